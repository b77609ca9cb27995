//! Stanza views: bytes → `parse_element` → `Stanza::from_element` → `into_element` → serialize →
//! parse must give back the same element and the same view; building replies never panics and,
//! for a valid stanza, yields a valid error stanza.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waxwing_stanza::{Stanza, StanzaError, StanzaErrorCondition, StreamError};

fuzz_target!(|data: &[u8]| {
    let Ok(el) = waxwing_xml::parse_element(data) else {
        return;
    };
    // Error elements anywhere at the top level must read or fail without panicking.
    let _ = StreamError::from_element(&el);
    for child in el.children() {
        let _ = StanzaError::from_element(child);
    }
    let err = StanzaError::new(StanzaErrorCondition::ServiceUnavailable).with_text(Some("en"), "x");
    match Stanza::from_element(el.clone()) {
        Ok(stanza) => {
            let back = stanza.clone().into_element();
            assert_eq!(back, el, "the view changed the element");
            let text = back.to_xml();
            let reparsed = waxwing_xml::parse_element(text.as_bytes())
                .unwrap_or_else(|e| panic!("serialized stanza does not parse: {e:?}\n{text}"));
            assert_eq!(reparsed, el, "serialize → parse changed the element");
            let again = Stanza::from_element(reparsed).expect("a reparsed stanza stays valid");
            assert_eq!(again, stanza);
            if let Stanza::Iq(iq) = &stanza {
                if let Some(result) = iq.result_reply() {
                    assert!(
                        Stanza::from_element(result).is_ok(),
                        "result reply is invalid"
                    );
                }
            }
            match stanza.error_reply(&err) {
                Some(reply) => {
                    let reply = Stanza::from_element(reply).expect("error reply is a valid stanza");
                    assert!(reply.is_error());
                    assert_eq!(reply.to(), stanza.from());
                    assert_eq!(reply.from(), stanza.to());
                    assert_eq!(reply.id(), stanza.id());
                }
                None => assert!(stanza.is_error()),
            }
        }
        Err(e) => {
            let _ = e.stanza_error();
            let _ = e.stream_error();
            if let Some(reply) = e.error_reply() {
                assert!(e.reply_allowed());
                let _ = reply.to_xml();
            }
        }
    }
});
