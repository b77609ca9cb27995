//! Property: any valid stanza element passes through the views unchanged.

use proptest::prelude::*;
use waxwing_stanza::{Stanza, StanzaError, StanzaErrorCondition, ns};
use waxwing_xml::{Element, XML_NS};

const JIDS: [&str; 6] = [
    "juliet@example.com",
    "romeo@example.net/orchard",
    "example.com",
    "Juliet@Example.COM/Balcony",
    "pubsub.example.org",
    "nurse@example.com/a/b@c",
];
const EXT_NS: [&str; 4] = [
    "urn:example:unknown",
    "http://jabber.org/protocol/chatstates",
    "jabber:client",
    "urn:xmpp:sid:0",
];

fn extension() -> impl Strategy<Value = Element> {
    (
        "[a-z][a-z0-9-]{0,6}",
        prop::sample::select(EXT_NS.as_slice()),
        prop::collection::vec(("[a-z]{1,4}", "[ -~]{0,8}"), 0..3),
        prop::option::of("[a-zA-Z0-9 <>&'\"]{1,12}"),
        prop::option::of(("[a-z]{1,5}", "[a-z0-9]{0,5}")),
    )
        .prop_map(|(name, ns, attrs, text, child)| {
            let mut e = Element::new(ns, name);
            for (k, v) in attrs {
                e.set_attr(k, v);
            }
            if let Some(t) = text {
                e.append_text(t);
            }
            if let Some((cn, ct)) = child {
                e.append_child(Element::new("urn:example:child", cn))
                    .append_text(ct);
            }
            e
        })
}

fn stanza_element() -> impl Strategy<Value = Element> {
    let addr = || prop::option::of(prop::sample::select(JIDS.as_slice()));
    (
        0..3_u8,
        prop::sample::select(ns::STANZA_NAMESPACES.as_slice()),
        addr(),
        addr(),
        prop::option::of("[a-zA-Z0-9-]{1,10}"),
        prop::option::of(prop::sample::select(["en", "de", "i-klingon"].as_slice())),
        0..8_usize,
        prop::collection::vec(extension(), 0..4),
    )
        .prop_map(|(kind, ns, to, from, id, lang, type_pick, mut children)| {
            let (name, type_) = match kind {
                0 => (
                    "message",
                    [
                        None,
                        Some("chat"),
                        Some("error"),
                        Some("groupchat"),
                        Some("headline"),
                        Some("normal"),
                        Some("x-future"),
                        None,
                    ][type_pick],
                ),
                1 => (
                    "presence",
                    [
                        None,
                        Some("unavailable"),
                        Some("subscribe"),
                        Some("subscribed"),
                        Some("unsubscribe"),
                        Some("unsubscribed"),
                        Some("probe"),
                        Some("error"),
                    ][type_pick],
                ),
                _ => (
                    "iq",
                    [Some("get"), Some("set"), Some("result"), Some("error")][type_pick % 4],
                ),
            };
            let mut e = Element::new(ns, name);
            if let Some(f) = from {
                e.set_attr("from", f);
            }
            if let Some(t) = to {
                e.set_attr("to", t);
            }
            match (name, id) {
                (_, Some(id)) => e.set_attr("id", id),
                ("iq", None) => e.set_attr("id", "fallback"),
                _ => {}
            }
            if let Some(t) = type_ {
                e.set_attr("type", t);
            }
            if let Some(l) = lang {
                e.set_attr_ns(XML_NS, "lang", l);
            }
            if name == "iq" {
                match type_ {
                    Some("get" | "set") => {
                        children.truncate(1);
                        if children.is_empty() {
                            children.push(Element::new(ns::PING, "ping"));
                        }
                    }
                    Some("result") => children.truncate(1),
                    _ => {
                        children.truncate(1);
                        children.push(
                            StanzaError::new(StanzaErrorCondition::ItemNotFound).to_element_in(ns),
                        );
                    }
                }
            }
            for c in children {
                e.append_child(c);
            }
            e
        })
}

proptest! {
    #[test]
    fn valid_stanzas_round_trip_through_views(el in stanza_element()) {
        let view = Stanza::from_element(el.clone()).unwrap();
        prop_assert_eq!(view.id(), el.attr("id"));
        prop_assert_eq!(view.to().is_some(), el.attr("to").is_some());
        let back = view.clone().into_element();
        prop_assert_eq!(&back, &el);
        // Through the serializer and parser too: still the same element and the same view.
        let reparsed = waxwing_xml::parse_element(back.to_xml().as_bytes()).unwrap();
        prop_assert_eq!(&reparsed, &el);
        prop_assert_eq!(Stanza::from_element(reparsed).unwrap(), view.clone());
        // Replies are always well-formed stanzas themselves.
        if let Some(reply) = view.error_reply(&StanzaError::new(StanzaErrorCondition::BadRequest)) {
            let r = Stanza::from_element(reply).unwrap();
            prop_assert!(r.is_error());
            prop_assert_eq!(r.id(), view.id());
            prop_assert_eq!(r.to(), view.from());
            prop_assert_eq!(r.from(), view.to());
        }
    }
}
