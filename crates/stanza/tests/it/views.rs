use waxwing_jid::Jid;
use waxwing_stanza::{
    InvalidStanza, Message, MessageType, Presence, PresenceType, Stanza, StanzaErrorCondition,
    StreamErrorCondition, ns,
};

use crate::xml;

fn jid(s: &str) -> Jid {
    Jid::parse(s).unwrap()
}

#[test]
fn message_view_reads_common_attributes() {
    let el = xml(
        "<message xmlns='jabber:client' from='juliet@example.com/balcony' \
         to='romeo@example.net' id='ktx72v49' type='chat' xml:lang='en'>\
         <body>Art thou not Romeo, and a Montague?</body></message>",
    );
    let Stanza::Message(m) = Stanza::from_element(el).unwrap() else {
        panic!("not a message")
    };
    assert_eq!(m.to(), Some(&jid("romeo@example.net")));
    assert_eq!(m.from(), Some(&jid("juliet@example.com/balcony")));
    assert_eq!(m.id(), Some("ktx72v49"));
    assert_eq!(m.type_(), MessageType::Chat);
    assert_eq!(m.lang(), Some("en"));
    assert_eq!(
        m.body().as_deref(),
        Some("Art thou not Romeo, and a Montague?")
    );
    assert_eq!(
        m.to_string(),
        "message from=juliet@example.com/balcony to=romeo@example.net id=\"ktx72v49\""
    );
}

#[test]
fn message_type_absent_or_unknown_is_normal_and_kept_verbatim() {
    let m = Message::from_element(xml("<message xmlns='jabber:client'/>")).unwrap();
    assert_eq!(m.type_(), MessageType::Normal);
    assert_eq!(m.element().attr("type"), None, "no type is invented");
    let el = xml("<message xmlns='jabber:client' type='fancy'/>");
    let m = Message::from_element(el.clone()).unwrap();
    assert_eq!(m.type_(), MessageType::Normal);
    assert_eq!(
        m.into_element(),
        el,
        "the unknown type is routed as received"
    );
    for t in [
        MessageType::Chat,
        MessageType::Error,
        MessageType::Groupchat,
        MessageType::Headline,
        MessageType::Normal,
    ] {
        let el = xml(&format!(
            "<message xmlns='jabber:client' type='{}'/>",
            t.as_str()
        ));
        assert_eq!(Message::from_element(el).unwrap().type_(), t);
    }
}

#[test]
fn presence_types() {
    let p = Presence::from_element(xml("<presence xmlns='jabber:client'/>")).unwrap();
    assert_eq!(p.type_(), PresenceType::Available);
    for t in [
        PresenceType::Unavailable,
        PresenceType::Subscribe,
        PresenceType::Subscribed,
        PresenceType::Unsubscribe,
        PresenceType::Unsubscribed,
        PresenceType::Probe,
        PresenceType::Error,
    ] {
        let wire = t.as_str().unwrap();
        let el = xml(&format!("<presence xmlns='jabber:client' type='{wire}'/>"));
        assert_eq!(Presence::from_element(el).unwrap().type_(), t);
    }
    // RFC 6121 §4.7.1 lists no "available" value: the absence of 'type' means available.
    let err = Presence::from_element(xml("<presence xmlns='jabber:client' type='available'/>"))
        .unwrap_err();
    assert_eq!(
        err.reason(),
        &InvalidStanza::UnknownType("available".into())
    );
    assert_eq!(
        err.stanza_error().unwrap().condition,
        StanzaErrorCondition::BadRequest
    );
    assert!(err.reply_allowed());
}

#[test]
fn presence_set_type_writes_the_wire_form() {
    let mut p = Presence::new(PresenceType::Subscribe);
    assert_eq!(p.element().attr("type"), Some("subscribe"));
    p.set_type(PresenceType::Available);
    assert_eq!(p.element().attr("type"), None);
    assert_eq!(p.type_(), PresenceType::Available);
    let again = Presence::from_element(p.clone().into_element()).unwrap();
    assert_eq!(again, p);
}

#[test]
fn all_three_content_namespaces_are_accepted() {
    for ns in [ns::CLIENT, ns::SERVER, ns::COMPONENT_ACCEPT] {
        for name in ["message", "presence", "iq"] {
            let extra = if name == "iq" {
                " id='a' type='result'"
            } else {
                ""
            };
            let el = xml(&format!("<{name} xmlns='{ns}'{extra}/>"));
            let s = Stanza::from_element(el.clone()).unwrap();
            assert_eq!(s.element().ns(), ns);
            assert_eq!(s.into_element(), el);
        }
    }
}

#[test]
fn non_stanzas_are_stream_errors() {
    for fixture in [
        "<message xmlns='urn:example:other'/>",
        "<iq xmlns='http://etherx.jabber.org/streams' id='a' type='get'/>",
        "<query xmlns='jabber:client'/>",
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>",
    ] {
        let el = xml(fixture);
        let err = Stanza::from_element(el.clone()).unwrap_err();
        assert!(
            matches!(err.reason(), InvalidStanza::NotAStanza { .. }),
            "{fixture}"
        );
        assert_eq!(
            err.stream_error(),
            Some(StreamErrorCondition::UnsupportedStanzaType)
        );
        assert_eq!(err.stanza_error(), None);
        assert!(!err.reply_allowed());
        assert_eq!(err.error_reply(), None);
        assert_eq!(err.into_element(), el, "the element is handed back");
    }
    // A view of the wrong kind refuses too.
    assert!(Message::from_element(xml("<presence xmlns='jabber:client'/>")).is_err());
}

#[test]
fn malformed_addresses_are_jid_malformed() {
    for (fixture, attr) in [
        (
            "<message xmlns='jabber:client' to='@example.com' from='juliet@example.com'/>",
            "to",
        ),
        ("<presence xmlns='jabber:client' from='juliet@'/>", "from"),
        (
            "<iq xmlns='jabber:client' to='&quot;juliet&quot;@example.com' id='1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
            "to",
        ),
        ("<message xmlns='jabber:client' to='example.com/'/>", "to"),
    ] {
        let err = Stanza::from_element(xml(fixture)).unwrap_err();
        assert!(
            matches!(err.reason(), InvalidStanza::MalformedAddress { attr: a, .. } if *a == attr),
            "{fixture}: {:?}",
            err.reason()
        );
        assert_eq!(
            err.stanza_error().unwrap().condition,
            StanzaErrorCondition::JidMalformed
        );
        assert_eq!(err.stanza_error().unwrap().type_.as_str(), "modify");
        assert!(err.reply_allowed());
        let reply = err.error_reply().unwrap();
        // The malformed address is not echoed back as an address; the valid one is swapped.
        let original = err.element();
        let valid = |a: &str| original.attr(a).filter(|v| Jid::parse(v).is_ok());
        assert_eq!(reply.attr("to"), valid("from"), "{fixture}");
        assert_eq!(reply.attr("from"), valid("to"), "{fixture}");
        let swapped = if attr == "to" { "from" } else { "to" };
        assert_eq!(reply.attr(swapped), None, "{fixture}");
        assert!(reply.has_child("error", ns::CLIENT));
    }
    let err = Stanza::from_element(xml(
        "<message xmlns='jabber:client' to='@example.com' from='juliet@example.com' id='m'/>",
    ))
    .unwrap_err();
    let reply = err.error_reply().unwrap();
    assert_eq!(reply.attr("to"), Some("juliet@example.com"));
    assert_eq!(reply.attr("from"), None);
    assert_eq!(reply.attr("id"), Some("m"));
    // A malformed address on an error stanza is still refused, but never answered.
    let err = Stanza::from_element(xml("<message xmlns='jabber:client' to='@x' type='error'/>"))
        .unwrap_err();
    assert!(!err.reply_allowed());
    assert_eq!(err.error_reply(), None);
}

#[test]
fn cache_holds_prepared_addresses_while_the_element_keeps_raw_ones() {
    let el = xml("<message xmlns='jabber:client' to='Romeo@Example.NET'/>");
    let m = Message::from_element(el.clone()).unwrap();
    assert_eq!(m.to().unwrap().as_str(), "romeo@example.net");
    assert_eq!(m.element().attr("to"), Some("Romeo@Example.NET"));
    assert_eq!(m.into_element(), el);
}

#[test]
fn setters_keep_element_and_cache_in_sync() {
    let mut s = Stanza::from_element(xml(
        "<message xmlns='jabber:client' to='romeo@example.net' id='a'><body>hi</body></message>",
    ))
    .unwrap();
    s.set_from(Some(jid("juliet@example.com/balcony")));
    s.set_to(None);
    assert_eq!(s.from(), Some(&jid("juliet@example.com/balcony")));
    assert_eq!(s.to(), None);
    let el = s.element().clone();
    assert_eq!(el.attr("from"), Some("juliet@example.com/balcony"));
    assert_eq!(el.attr("to"), None);
    // Re-viewing the element gives the same view: nothing is cached that the element lacks.
    assert_eq!(Stanza::from_element(el).unwrap(), s);

    let Stanza::Message(mut m) = s else { panic!() };
    m.set_type(MessageType::Headline);
    m.set_id(None);
    m.set_lang(Some("de"));
    assert_eq!(m.element().attr("type"), Some("headline"));
    assert_eq!(m.id(), None);
    assert_eq!(m.lang(), Some("de"));
    m.set_lang(None);
    assert_eq!(m.element().lang(), None);
    assert_eq!(Message::from_element(m.clone().into_element()).unwrap(), m);
}

#[test]
fn body_prefers_the_one_without_xml_lang() {
    let m = Message::from_element(xml("<message xmlns='jabber:client' xml:lang='en'>\
         <body xml:lang='cs'>Ahoj</body><body>Hello</body></message>"))
    .unwrap();
    assert_eq!(m.body().as_deref(), Some("Hello"));
    let m = Message::from_element(xml(
        "<message xmlns='jabber:client'><body xml:lang='cs'>Ahoj</body></message>",
    ))
    .unwrap();
    assert_eq!(m.body().as_deref(), Some("Ahoj"));
    assert_eq!(Message::new(MessageType::Chat).body(), None);
}

#[test]
fn unknown_extensions_survive_view_and_serialization_exactly() {
    let fixtures = [
        "<message xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.net' \
         type='chat' id='x1'><body>Wherefore art thou?</body>\
         <thread>e0ffe42b28561960c6b12b944a092794b9683a38</thread>\
         <active xmlns='http://jabber.org/protocol/chatstates'/>\
         <x xmlns='urn:example:unknown' a='1' xmlns:q='urn:q' q:b='2'><deep><deeper>t&amp;t</deeper></deep>tail</x>\
         </message>",
        "<presence xmlns='jabber:server' from='juliet@example.com/balcony' to='romeo@example.net'>\
         <show>away</show><status xml:lang='en'>be right back</status><priority>5</priority>\
         <c xmlns='http://jabber.org/protocol/caps' hash='sha-1' node='http://example.org' ver='abc='/>\
         </presence>",
        "<iq xmlns='jabber:component:accept' from='a.example.com' to='b.example.com' id='q' type='set'>\
         <pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='n'><item id='1'>\
         <entry xmlns='http://www.w3.org/2005/Atom'>text &lt;here&gt;</entry></item></publish></pubsub></iq>",
    ];
    for fixture in fixtures {
        let el = xml(fixture);
        let serialized = el.to_xml();
        let view = Stanza::from_element(el.clone()).unwrap();
        let back = view.into_element();
        assert_eq!(back, el);
        assert_eq!(back.to_xml(), serialized);
        assert_eq!(xml(&back.to_xml()), el);
    }
}

#[test]
fn element_mut_gives_payload_access() {
    let mut m = Message::from_element(xml(
        "<message xmlns='jabber:client'><body>a</body></message>",
    ))
    .unwrap();
    m.element_mut()
        .get_child_mut("body", ns::CLIENT)
        .unwrap()
        .set_text("b");
    m.element_mut()
        .append_child(waxwing_xml::Element::new(ns::RECEIPTS, "request"));
    assert_eq!(m.body().as_deref(), Some("b"));
    assert!(m.element().has_child("request", ns::RECEIPTS));
}
