use waxwing_stanza::{Iq, IqType, Stanza, StanzaError, StanzaErrorCondition, StanzaErrorType, ns};
use waxwing_xml::Element;

use crate::{xml, xml_trimmed};

const PAYLOAD: &str = "<x xmlns='urn:example:never-seen' k='v'><y>z</y></x>";

fn stanza(kind: &str, ns: &str, addrs: &str) -> (Element, Stanza) {
    let attrs = if kind == "iq" {
        " id='r1' type='get'"
    } else {
        " id='r1'"
    };
    let el = xml(&format!(
        "<{kind} xmlns='{ns}'{addrs}{attrs} xml:lang='en'>{PAYLOAD}</{kind}>"
    ));
    (el.clone(), Stanza::from_element(el).unwrap())
}

#[test]
fn error_reply_swaps_addresses_for_every_kind() {
    let cases = [
        (
            " from='juliet@example.com/balcony' to='romeo@example.net'",
            Some("juliet@example.com/balcony"),
            Some("romeo@example.net"),
        ),
        (
            " from='juliet@example.com/balcony'",
            Some("juliet@example.com/balcony"),
            None,
        ),
        (" to='romeo@example.net'", None, Some("romeo@example.net")),
        ("", None, None),
    ];
    let err = StanzaError::new(StanzaErrorCondition::ServiceUnavailable);
    for kind in ["message", "presence", "iq"] {
        for ns in [ns::CLIENT, ns::SERVER, ns::COMPONENT_ACCEPT] {
            for (addrs, orig_from, orig_to) in cases {
                let (el, s) = stanza(kind, ns, addrs);
                let reply = s.error_reply(&err).unwrap();
                assert!(reply.is(kind, ns));
                assert_eq!(reply.attr("to"), orig_from, "{kind} {addrs}");
                assert_eq!(reply.attr("from"), orig_to, "{kind} {addrs}");
                assert_eq!(reply.attr("id"), Some("r1"));
                assert_eq!(reply.attr("type"), Some("error"));
                assert_eq!(reply.lang(), Some("en"));
                // The original payload, verbatim, then the error.
                let children: Vec<&Element> = reply.children().collect();
                assert_eq!(children.len(), 2);
                assert_eq!(children[0], el.children().next().unwrap());
                assert_eq!(children[1], &err.to_element_in(ns));
                // The reply is itself a valid error stanza that is never answered.
                let parsed = Stanza::from_element(reply.clone()).unwrap();
                assert!(parsed.is_error());
                assert_eq!(parsed.error_reply(&err), None);
                let Some(Ok(read)) = (match &parsed {
                    Stanza::Message(m) => m.error(),
                    Stanza::Presence(p) => p.error(),
                    Stanza::Iq(i) => i.error(),
                }) else {
                    panic!("reply has no readable error")
                };
                assert_eq!(read, err);

                let bare = s.error_reply_without_payload(&err).unwrap();
                assert_eq!(bare.children().count(), 1);
                assert_eq!(bare.attrs(), reply.attrs());
            }
        }
    }
}

#[test]
fn error_reply_matches_rfc_6120_example() {
    // RFC 6120 §8.3.3.19 (service-unavailable), with the original payload echoed (§8.3.1).
    let s = Stanza::from_element(xml_trimmed(
        "<iq from='romeo@example.net/foo' id='yt2vs71m' to='juliet@im.example.com' type='get' xmlns='jabber:client'>
           <query xmlns='jabber:iq:version'/>
         </iq>",
    ))
    .unwrap();
    let reply = s
        .error_reply(&StanzaErrorCondition::ServiceUnavailable.into())
        .unwrap();
    let expected = xml_trimmed(
        "<iq xmlns='jabber:client' from='juliet@im.example.com' to='romeo@example.net/foo' id='yt2vs71m' type='error'>
           <query xmlns='jabber:iq:version'/>
           <error type='cancel'>
             <service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>
           </error>
         </iq>",
    );
    assert_eq!(reply, expected);
}

#[test]
fn error_stanzas_get_no_error_reply() {
    let err = StanzaError::new(StanzaErrorCondition::BadRequest);
    for fixture in [
        "<message xmlns='jabber:client' type='error' from='a@b'><error type='cancel'><gone xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>",
        "<presence xmlns='jabber:client' type='error'/>",
        "<iq xmlns='jabber:client' type='error' id='1'><error type='cancel'><conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>",
    ] {
        let s = Stanza::from_element(xml(fixture)).unwrap();
        assert!(s.is_error());
        assert_eq!(s.error_reply(&err), None, "{fixture}");
        assert_eq!(s.error_reply_without_payload(&err), None);
    }
}

#[test]
fn iq_result_reply() {
    let iq = Iq::from_element(xml(
        "<iq xmlns='jabber:client' from='juliet@example.com/balcony' to='example.com' id='c2s1' type='get' xml:lang='en'>\
         <ping xmlns='urn:xmpp:ping'/></iq>",
    ))
    .unwrap();
    assert_eq!(iq.payload().map(Element::name), Some("ping"));
    let reply = iq.result_reply().unwrap();
    // RFC 6120 §8.2.3 / XEP-0199 §4.2 example, plus the xml:lang the request carried.
    let expected = xml(
        "<iq xmlns='jabber:client' from='example.com' to='juliet@example.com/balcony' id='c2s1' type='result' xml:lang='en'/>",
    );
    assert_eq!(reply, expected);
    let parsed = Iq::from_element(reply).unwrap();
    assert_eq!(parsed.type_(), IqType::Result);
    assert_eq!(parsed.result_reply(), None, "results are not answered");

    let set = Iq::set("s1", Element::new(ns::ROSTER, "query"));
    let r = set.result_reply().unwrap();
    assert_eq!(
        (r.attr("to"), r.attr("from"), r.attr("id")),
        (None, None, Some("s1"))
    );
    assert!(r.is_empty());
}

#[test]
fn parse_error_reply_for_invalid_iq() {
    // RFC 6120 §8.3.3.1: an IQ with an unknown type gets <bad-request/> of type modify.
    let el = xml(
        "<iq from='juliet@im.example.com/balcony' id='zj3v142b' to='im.example.com' type='subscribe' xmlns='jabber:client'><ping xmlns='urn:xmpp:ping'/></iq>",
    );
    let err = Stanza::from_element(el).unwrap_err();
    let reply = err.error_reply().unwrap();
    assert_eq!(reply.attr("to"), Some("juliet@im.example.com/balcony"));
    assert_eq!(reply.attr("from"), Some("im.example.com"));
    assert_eq!(reply.attr("id"), Some("zj3v142b"));
    assert_eq!(reply.attr("type"), Some("error"));
    let e = StanzaError::from_element(reply.get_child("error", ns::CLIENT).unwrap()).unwrap();
    assert_eq!(e.condition, StanzaErrorCondition::BadRequest);
    assert_eq!(e.type_, StanzaErrorType::Modify);
    assert!(reply.has_child("ping", ns::PING));
}
