//! Property: serializing a tree and parsing it back gives the same tree, and serializing a
//! parsed element and parsing it again gives an equal element.

use proptest::prelude::*;
use waxwing_xml::{Attr, ByteString, Element, Event, Limits, Node, Parser, XML_NS, parse_element};

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z_][a-zA-Z0-9._-]{0,8}",
        // Non-ASCII NameStartChar / NameChar (XML 1.0 §2.3).
        "[\u{C0}-\u{D6}\u{3B1}-\u{3C9}\u{4E00}-\u{4E20}][a-z\u{B7}\u{300}-\u{302}0-9]{0,4}",
    ]
    .prop_filter("xmlns is reserved", |n| {
        !n.to_ascii_lowercase().starts_with("xml")
    })
}

fn ns() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("jabber:client".to_owned()),
        Just("urn:xmpp:receipts".to_owned()),
        "urn:[a-z]{1,6}(:[a-z0-9]{1,4})?",
        Just("http://example.org/a?b=c&d='e'".to_owned()),
    ]
}

/// Text with every character class the escaper must handle, including CR, `]]>` and
/// characters beyond the BMP.
fn text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("&".to_owned()),
            Just("<".to_owned()),
            Just(">".to_owned()),
            Just("]]>".to_owned()),
            Just("'".to_owned()),
            Just("\"".to_owned()),
            Just("\r\n".to_owned()),
            Just("\r".to_owned()),
            Just("\t".to_owned()),
            Just("\n".to_owned()),
            "[ -~]{1,6}",
            "[\u{A0}-\u{D7FF}\u{E000}-\u{FFFD}\u{10000}-\u{10FFFF}]{1,3}",
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn attr() -> impl Strategy<Value = Attr> {
    prop_oneof![
        3 => (name(), text()).prop_map(|(n, v)| Attr::new(n, v)),
        1 => ("urn:[a-z]{1,3}", name(), text()).prop_map(|(ns, n, v)| Attr::with_ns(ns, n, v)),
        1 => (prop_oneof![Just("lang"), Just("space")], text())
            .prop_map(|(n, v)| Attr::with_ns(XML_NS, n, v)),
    ]
}

fn leaf() -> impl Strategy<Value = Element> {
    (ns(), name(), proptest::collection::vec(attr(), 0..4)).prop_map(|(ns, name, attrs)| {
        let mut e = Element::new(ns, name);
        for a in attrs {
            // Attribute identity is (ns, name): keep the first of duplicates.
            if !e.attrs().iter().any(|o| o.ns == a.ns && o.name == a.name) {
                e.attrs_mut().push(a);
            }
        }
        e
    })
}

fn tree() -> impl Strategy<Value = Element> {
    leaf().prop_recursive(4, 24, 5, |inner| {
        (
            leaf(),
            proptest::collection::vec(
                prop_oneof![
                    inner.prop_map(Node::Element),
                    text().prop_map(|t| Node::Text(t.into()))
                ],
                0..5,
            ),
        )
            .prop_map(|(mut e, kids)| {
                e.nodes_mut().extend(kids);
                e
            })
    })
}

/// What parsing yields for a tree: CRs in text come back as written (they are escaped), but
/// adjacent text nodes merge and empty ones vanish.
fn normalised(e: &Element) -> Element {
    let (ns, name, attrs, nodes) = e.clone().into_parts();
    let mut out: Vec<Node> = Vec::new();
    for n in nodes {
        match n {
            Node::Element(c) => out.push(Node::Element(normalised(&c))),
            Node::Text(t) if t.is_empty() => {}
            Node::Text(t) => match out.last_mut() {
                Some(Node::Text(prev)) => *prev = ByteString::from(format!("{prev}{t}")),
                _ => out.push(Node::Text(t)),
            },
        }
    }
    Element::from_parts(ns, name, attrs, out)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn serialize_then_parse_is_identity(e in tree()) {
        let xml = e.to_xml();
        let parsed = parse_element(xml.as_bytes())
            .map_err(|err| TestCaseError::fail(format!("{err} in {xml}")))?;
        prop_assert_eq!(&parsed, &normalised(&e), "{}", xml);
        // Parsed → serialized → parsed is a fixed point.
        let again = parse_element(parsed.to_xml().as_bytes()).unwrap();
        prop_assert_eq!(again, parsed);
    }

    #[test]
    fn stanzas_round_trip_inside_a_stream(e in tree(), split in 0usize..4096) {
        // Written relative to the stream's default namespace, read back inside the stream.
        let mut doc = b"<stream:stream xmlns='jabber:client' \
            xmlns:stream='http://etherx.jabber.org/streams'>".to_vec();
        e.write_to(&mut doc, "jabber:client");
        let split = split % (doc.len() + 1);
        let mut p = Parser::new(Limits::default());
        p.feed(&doc[..split]);
        let mut evs = Vec::new();
        while let Some(ev) = p.next_event().unwrap() { evs.push(ev); }
        p.feed(&doc[split..]);
        while let Some(ev) = p.next_event().unwrap() { evs.push(ev); }
        prop_assert_eq!(evs.len(), 2);
        prop_assert_eq!(&evs[1], &Event::Element(normalised(&e)));
    }
}
