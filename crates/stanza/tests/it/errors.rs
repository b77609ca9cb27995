use waxwing_stanza::{
    ErrorText, StanzaError, StanzaErrorCondition, StanzaErrorType, StreamError,
    StreamErrorCondition, ns,
};
use waxwing_xml::Element;

use crate::xml_trimmed;

#[test]
fn rfc_6120_stanza_error_examples() {
    // RFC 6120 §8.3.3.5 (gone), §8.3.3.14 (redirect), §8.3.3.1 (bad-request),
    // §8.3.2 (text and application-specific condition).
    let gone = xml_trimmed(
        "<error by='im.example.com' type='cancel' xmlns='jabber:client'>
           <gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:romeo@afterlife.example.net</gone>
         </error>",
    );
    let e = StanzaError::from_element(&gone).unwrap();
    assert_eq!(e.type_, StanzaErrorType::Cancel);
    assert_eq!(
        e.condition,
        StanzaErrorCondition::Gone(Some("xmpp:romeo@afterlife.example.net".into()))
    );
    assert_eq!(
        e.by.as_ref().map(waxwing_jid::Jid::as_str),
        Some("im.example.com")
    );
    assert_eq!(e.to_element_in(ns::CLIENT), gone);

    let redirect = xml_trimmed(
        "<error type='modify' xmlns='jabber:server'>
           <redirect xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'>xmpp:rms@example.com</redirect>
         </error>",
    );
    let e = StanzaError::from_element(&redirect).unwrap();
    assert_eq!(
        e,
        StanzaError::new(StanzaErrorCondition::Redirect(Some(
            "xmpp:rms@example.com".into()
        )))
    );
    assert_eq!(e.to_element_in(ns::SERVER), redirect);

    let app = xml_trimmed(
        "<error type='modify' xmlns='jabber:client'>
           <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
           <text xmlns='urn:ietf:params:xml:ns:xmpp-stanzas' xml:lang='en'>Some special application diagnostic information!</text>
           <too-many-parameters xmlns='http://example.org/ns'/>
         </error>",
    );
    let e = StanzaError::from_element(&app).unwrap();
    assert_eq!(e.condition, StanzaErrorCondition::BadRequest);
    assert_eq!(
        e.text,
        Some(ErrorText::new(
            Some("en"),
            "Some special application diagnostic information!"
        ))
    );
    assert_eq!(
        e.app_condition,
        Some(Element::new("http://example.org/ns", "too-many-parameters"))
    );
    assert_eq!(e.to_element(), app);
}

#[test]
fn rfc_6120_stream_error_examples() {
    // RFC 6120 §4.9.4 (text and application-specific condition) and §4.9.3.19 (see-other-host).
    let el = xml_trimmed(
        "<stream:error xmlns:stream='http://etherx.jabber.org/streams'>
           <not-well-formed xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>
           <text xml:lang='en' xmlns='urn:ietf:params:xml:ns:xmpp-streams'>Some special application diagnostic information!</text>
           <escape-your-data xmlns='http://example.org/ns'/>
         </stream:error>",
    );
    let e = StreamError::from_element(&el).unwrap();
    assert_eq!(e.condition, StreamErrorCondition::NotWellFormed);
    assert_eq!(e.text.as_ref().and_then(|t| t.lang.as_deref()), Some("en"));
    assert_eq!(
        e.app_condition.as_ref().map(Element::name),
        Some("escape-your-data")
    );
    assert_eq!(e.to_element(), el);

    let el = xml_trimmed(
        "<stream:error xmlns:stream='http://etherx.jabber.org/streams'>
           <see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>[2001:41D0:1:A49b::1]:9222</see-other-host>
         </stream:error>",
    );
    let e = StreamError::from_element(&el).unwrap();
    assert_eq!(
        e.condition,
        StreamErrorCondition::SeeOtherHost("[2001:41D0:1:A49b::1]:9222".into())
    );
    assert_eq!(e.to_element(), el);
}

#[test]
fn every_condition_round_trips_through_serialized_xml() {
    for name in StanzaErrorCondition::ALL {
        let c: StanzaErrorCondition = name.parse().unwrap();
        let err = StanzaError::new(c)
            .with_text(Some("en"), "why")
            .with_type(StanzaErrorType::Continue);
        let text = err.to_element_in(ns::SERVER).to_xml();
        assert_eq!(
            StanzaError::from_element(&crate::xml(&text)),
            Ok(err),
            "{text}"
        );
    }
    for name in StreamErrorCondition::ALL {
        let c: StreamErrorCondition = name.parse().unwrap();
        let err = StreamError::new(c).with_app_condition(Element::new("urn:example", "detail"));
        let text = err.to_element().to_xml();
        assert_eq!(
            StreamError::from_element(&crate::xml(&text)),
            Ok(err),
            "{text}"
        );
    }
}
