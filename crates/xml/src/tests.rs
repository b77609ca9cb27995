//! Unit tests: every rejection with its exact RFC 6120 §4.9.3 condition, limits, stream handling.

use crate::{
    Construct, Element, Event, Limit, Limits, Parser, STREAMS_NS, StreamHeader, XML_NS, XmlError,
    XmlErrorCondition as C, parse_element, write_stream_end,
};

const HEADER: &str = "<stream:stream xmlns='jabber:client' \
    xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0'>";

/// Feeds `input` in one piece and collects events until the parser needs more input.
fn events(mut p: Parser, input: &[u8]) -> Result<Vec<Event>, XmlError> {
    p.feed(input);
    let mut out = Vec::new();
    while let Some(ev) = p.next_event()? {
        out.push(ev);
    }
    Ok(out)
}

fn stream_err(body: &str) -> XmlError {
    let input = format!("{HEADER}{body}");
    match events(Parser::new(Limits::default()), input.as_bytes()) {
        Ok(evs) => panic!("accepted {body:?}: {evs:?}"),
        Err(e) => e,
    }
}

fn frag_err(input: &str) -> XmlError {
    match parse_element(input.as_bytes()) {
        Ok(e) => panic!("accepted {input:?}: {e:?}"),
        Err(e) => e,
    }
}

fn cond(input: &str) -> C {
    frag_err(input).condition()
}

fn el(input: &str) -> Element {
    parse_element(input.as_bytes()).unwrap_or_else(|e| panic!("rejected {input:?}: {e}"))
}

// ---- stream handling ----

#[test]
fn rfc6120_stream_header_and_stanzas() {
    // RFC 6120 §4.7 / §9.1 style exchange.
    let input = format!(
        "<?xml version='1.0'?>{HEADER}\n  <message to='romeo@example.net' type='chat' \
         xml:lang='en'><body>Art thou not Romeo, and a Montague?</body></message> \
         <stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>\
         </stream:stream>"
    );
    let evs = events(Parser::new(Limits::default()), input.as_bytes()).unwrap();
    assert_eq!(evs.len(), 4, "{evs:?}");
    let Event::StreamStart(h) = &evs[0] else {
        panic!("{evs:?}")
    };
    assert_eq!(&*h.ns, STREAMS_NS);
    assert_eq!(&*h.name, "stream");
    assert_eq!(h.default_ns.as_deref(), Some("jabber:client"));
    assert_eq!(h.attr("to"), Some("example.com"));
    assert_eq!(h.attr("version"), Some("1.0"));
    assert_eq!(h.prefixes.len(), 1);
    assert_eq!(
        (&*h.prefixes[0].0, &*h.prefixes[0].1),
        ("stream", STREAMS_NS)
    );
    let Event::Element(m) = &evs[1] else {
        panic!("{evs:?}")
    };
    assert!(
        m.is("message", "jabber:client"),
        "content namespace inherited from the header"
    );
    assert_eq!(m.lang(), Some("en"));
    assert_eq!(
        m.get_child("body", "jabber:client")
            .map(|b| b.text().into_owned())
            .as_deref(),
        Some("Art thou not Romeo, and a Montague?")
    );
    let Event::Element(f) = &evs[2] else {
        panic!("{evs:?}")
    };
    assert!(
        f.is("features", STREAMS_NS),
        "stream prefix of the header resolves in stanzas"
    );
    assert!(f.has_child("bind", "urn:ietf:params:xml:ns:xmpp-bind"));
    assert_eq!(evs[3], Event::StreamEnd);
}

#[test]
fn whitespace_keepalives_produce_no_event() {
    let mut p = Parser::new(Limits::default());
    p.feed(HEADER.as_bytes());
    assert!(matches!(p.next_event(), Ok(Some(Event::StreamStart(_)))));
    p.feed(b" \n\t\r\n ");
    assert_eq!(p.next_event(), Ok(None));
    assert_eq!(p.buffered(), 0, "white space is not kept");
}

#[test]
fn text_between_stanzas_is_not_well_formed() {
    let e = stream_err("hello<message/>");
    assert_eq!(e.condition(), C::NotWellFormed);
    assert!(matches!(e, XmlError::NotWellFormed { .. }));
}

#[test]
fn wrong_stream_root_is_invalid_namespace() {
    let e = events(
        Parser::new(Limits::default()),
        b"<stream:stream xmlns:stream='urn:wrong'>",
    )
    .unwrap_err();
    assert_eq!(e.condition(), C::InvalidNamespace);
    let e = events(
        Parser::new(Limits::default()),
        b"<foo xmlns='http://etherx.jabber.org/streams'>",
    )
    .unwrap_err();
    assert_eq!(e.condition(), C::InvalidNamespace);
}

#[test]
fn unbound_stream_prefix_is_bad_namespace_prefix() {
    let e = events(
        Parser::new(Limits::default()),
        b"<stream:stream xmlns='jabber:client'>",
    )
    .unwrap_err();
    assert_eq!(e.condition(), C::BadNamespacePrefix);
}

#[test]
fn mismatched_stream_end_is_not_well_formed() {
    let e = stream_err("</stream:streamx>");
    assert!(matches!(e, XmlError::MismatchedEndTag { .. }), "{e:?}");
    assert_eq!(e.condition(), C::NotWellFormed);
}

#[test]
fn data_after_stream_end_is_rejected() {
    let e = stream_err("</stream:stream><message/>");
    assert_eq!(e.condition(), C::NotWellFormed);
    // White space after the end is fine.
    let input = format!("{HEADER}</stream:stream> \n");
    assert_eq!(
        events(Parser::new(Limits::default()), input.as_bytes())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn self_closed_stream_header_starts_and_ends() {
    let evs = events(
        Parser::new(Limits::default()),
        b"<stream:stream xmlns:stream='http://etherx.jabber.org/streams'/>",
    )
    .unwrap();
    assert!(
        matches!(evs.as_slice(), [Event::StreamStart(_), Event::StreamEnd]),
        "{evs:?}"
    );
}

#[test]
fn reset_expects_a_new_header_and_forgets_buffered_input() {
    let mut p = Parser::new(Limits::default());
    p.feed(
        format!("{HEADER}<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><injected/>")
            .as_bytes(),
    );
    assert!(matches!(p.next_event(), Ok(Some(Event::StreamStart(_)))));
    assert!(matches!(p.next_event(), Ok(Some(Event::Element(_)))));
    p.reset();
    assert_eq!(
        p.buffered(),
        0,
        "plaintext after <starttls/> must not survive the reset"
    );
    p.feed(b"<?xml version='1.0'?>");
    p.feed(HEADER.replace("example.com", "example.org").as_bytes());
    let Ok(Some(Event::StreamStart(h))) = p.next_event() else {
        panic!("no new header")
    };
    assert_eq!(h.attr("to"), Some("example.org"));
    p.feed(b"<iq type='get' id='1'/>");
    let Ok(Some(Event::Element(iq))) = p.next_event() else {
        panic!("no stanza")
    };
    assert!(iq.is("iq", "jabber:client"));
}

#[test]
fn sasl_restart_keeps_a_pipelined_header() {
    let mut p = Parser::new(Limits::default());
    p.feed(
        format!("{HEADER}<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>{HEADER}<iq/>").as_bytes(),
    );
    assert!(matches!(p.next_event(), Ok(Some(Event::StreamStart(_)))));
    assert!(matches!(p.next_event(), Ok(Some(Event::Element(_)))));
    p.reset_keep_buffered();
    assert!(
        matches!(p.next_event(), Ok(Some(Event::StreamStart(_)))),
        "pipelined header"
    );
    let Ok(Some(Event::Element(iq))) = p.next_event() else {
        panic!("no stanza")
    };
    assert!(iq.is("iq", "jabber:client"));
}

#[test]
fn errors_are_sticky() {
    let mut p = Parser::new_fragments(Limits::default());
    p.feed(b"<a><!-- c --></a>");
    let first = p.next_event().unwrap_err();
    p.feed(b"<b/>");
    assert_eq!(p.next_event().unwrap_err(), first);
    assert_eq!(p.buffered(), 0);
}

// ---- XML declaration and encodings ----

#[test]
fn xml_declaration_variants() {
    for decl in [
        "<?xml version='1.0'?>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
        "<?xml version='1.0' encoding='utf-8' standalone='yes'?>",
        "\u{FEFF}<?xml version='1.0'?>",
    ] {
        let input = format!("{decl}{HEADER}");
        let evs = events(Parser::new(Limits::default()), input.as_bytes())
            .unwrap_or_else(|e| panic!("{decl}: {e}"));
        assert_eq!(evs.len(), 1, "{decl}");
    }
}

#[test]
fn non_utf8_encoding_is_unsupported_encoding() {
    let input = format!("<?xml version='1.0' encoding='ISO-8859-1'?>{HEADER}");
    let e = events(Parser::new(Limits::default()), input.as_bytes()).unwrap_err();
    assert!(
        matches!(&e, XmlError::UnsupportedEncoding { encoding, .. } if encoding == "ISO-8859-1")
    );
    assert_eq!(e.condition(), C::UnsupportedEncoding);
}

#[test]
fn utf16_is_unsupported_encoding() {
    for input in [&b"\xFE\xFF\x00<"[..], b"\xFF\xFE<\x00", b"\x00<\x00s"] {
        let e = events(Parser::new(Limits::default()), input).unwrap_err();
        assert_eq!(e.condition(), C::UnsupportedEncoding, "{input:?}");
    }
}

#[test]
fn late_or_malformed_declarations_are_rejected() {
    let input = format!(" <?xml version='1.0'?>{HEADER}");
    let e = events(Parser::new(Limits::default()), input.as_bytes()).unwrap_err();
    assert_eq!(
        e.condition(),
        C::RestrictedXml,
        "a declaration after white space is a PI"
    );
    let input = format!("<?xml version='1.1'?>{HEADER}");
    let e = events(Parser::new(Limits::default()), input.as_bytes()).unwrap_err();
    assert_eq!(e.condition(), C::NotWellFormed);
    let input = format!("<?xml encoding='UTF-8'?>{HEADER}");
    let e = events(Parser::new(Limits::default()), input.as_bytes()).unwrap_err();
    assert_eq!(e.condition(), C::NotWellFormed);
}

// ---- RFC 6120 §11.1 restrictions ----

#[test]
fn comments_are_restricted_xml() {
    let e = frag_err("<a><!-- hi --></a>");
    assert!(
        matches!(
            e,
            XmlError::Restricted {
                construct: Construct::Comment,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.condition(), C::RestrictedXml);
    assert_eq!(stream_err("<!-- between -->").condition(), C::RestrictedXml);
}

#[test]
fn processing_instructions_are_restricted_xml() {
    let e = frag_err("<a><?pi data?></a>");
    assert!(matches!(
        e,
        XmlError::Restricted {
            construct: Construct::ProcessingInstruction,
            ..
        }
    ));
    assert_eq!(stream_err("<?pi?>").condition(), C::RestrictedXml);
    assert_eq!(
        stream_err("<?xml version='1.0'?>").condition(),
        C::RestrictedXml
    );
}

#[test]
fn doctype_and_entity_declarations_are_restricted_xml() {
    let e = events(
        Parser::new(Limits::default()),
        b"<!DOCTYPE stream [<!ENTITY x 'y'>]>",
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            XmlError::Restricted {
                construct: Construct::Doctype,
                ..
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.condition(), C::RestrictedXml);
    assert_eq!(cond("<a><!ENTITY x 'y'></a>"), C::RestrictedXml);
}

#[test]
fn undeclared_entities_are_restricted_xml() {
    let e = frag_err("<a>&nbsp;</a>");
    assert!(
        matches!(&e, XmlError::UndeclaredEntity { name, .. } if name == "nbsp"),
        "{e:?}"
    );
    assert_eq!(e.condition(), C::RestrictedXml);
    assert_eq!(cond("<a b='&x;'/>"), C::RestrictedXml);
}

#[test]
fn malformed_references_are_not_well_formed() {
    for input in [
        "<a>&amp</a>",
        "<a>& x;</a>",
        "<a>&#;</a>",
        "<a>&#x;</a>",
        "<a>&#xZZ;</a>",
        "<a>&#12a;</a>",
        "<a b='&'/>",
        "<a>&;</a>",
    ] {
        assert_eq!(cond(input), C::NotWellFormed, "{input}");
    }
}

#[test]
fn character_references_must_be_chars() {
    for input in [
        "<a>&#0;</a>",
        "<a>&#x1;</a>",
        "<a>&#xD800;</a>",
        "<a>&#xFFFE;</a>",
        "<a>&#x110000;</a>",
        "<a>&#99999999999999999999;</a>",
        "<a b='&#8;'/>",
    ] {
        let e = frag_err(input);
        assert!(matches!(e, XmlError::InvalidChar { .. }), "{input}: {e:?}");
        assert_eq!(e.condition(), C::NotWellFormed);
    }
}

#[test]
fn literal_non_chars_are_not_well_formed() {
    for input in [
        "<a>\u{1}</a>",
        "<a b='\u{8}'/>",
        "<a>\u{FFFE}</a>",
        "<a>\u{FFFF}</a>",
        "<a\u{0}/>",
    ] {
        let e = frag_err(input);
        assert!(
            matches!(e, XmlError::InvalidChar { .. }),
            "{input:?}: {e:?}"
        );
    }
}

#[test]
fn invalid_utf8_is_not_well_formed() {
    for input in [
        &b"<a>\xFF</a>"[..],
        b"<a>\xC3</a>",
        b"<a>\xED\xA0\x80</a>",
        b"<a b='\xC0\x80'/>",
    ] {
        let e = parse_element(input).unwrap_err();
        assert!(
            matches!(e, XmlError::InvalidUtf8 { offset: 3.. }),
            "{input:?}: {e:?}"
        );
        assert_eq!(e.condition(), C::NotWellFormed);
    }
}

#[test]
fn duplicate_attributes_are_not_well_formed() {
    let e = frag_err("<a x='1' x='2'/>");
    assert!(
        matches!(&e, XmlError::DuplicateAttribute { name, .. } if name == "x"),
        "{e:?}"
    );
    assert_eq!(e.condition(), C::NotWellFormed);
    // XML Namespaces §6.3: same expanded name through two prefixes.
    let e = frag_err("<a xmlns:p='urn:x' xmlns:q='urn:x' p:y='1' q:y='2'/>");
    assert!(
        matches!(&e, XmlError::DuplicateAttribute { name, .. } if name == "q:y"),
        "{e:?}"
    );
    assert_eq!(cond("<a xmlns='urn:a' xmlns='urn:b'/>"), C::NotWellFormed);
    // Same local name, different namespaces: fine.
    let a = el("<a xmlns:p='urn:x' y='1' p:y='2' xml:y='3'/>");
    assert_eq!(a.attr("y"), Some("1"));
    assert_eq!(a.attr_ns("urn:x", "y"), Some("2"));
    assert_eq!(a.attr_ns(XML_NS, "y"), Some("3"));
}

#[test]
fn unbound_prefixes_are_bad_namespace_prefix() {
    let e = frag_err("<p:a/>");
    assert!(
        matches!(&e, XmlError::UnboundPrefix { prefix, .. } if prefix == "p"),
        "{e:?}"
    );
    assert_eq!(e.condition(), C::BadNamespacePrefix);
    assert_eq!(cond("<a p:b='1'/>"), C::BadNamespacePrefix);
    assert_eq!(
        cond("<a><p:b xmlns:p='urn:p'/><p:c/></a>"),
        C::BadNamespacePrefix,
        "scope ends"
    );
    assert_eq!(cond("<xmlns:a/>"), C::BadNamespacePrefix);
}

#[test]
fn reserved_namespace_declarations_are_rejected() {
    for input in [
        "<a xmlns:xmlns='urn:x'/>",
        "<a xmlns:xml='urn:x'/>",
        "<a xmlns:p='http://www.w3.org/XML/1998/namespace'/>",
        "<a xmlns:p='http://www.w3.org/2000/xmlns/'/>",
        "<a xmlns='http://www.w3.org/2000/xmlns/'/>",
        "<a xmlns:p=''/>",
    ] {
        let e = frag_err(input);
        assert!(
            matches!(e, XmlError::BadNamespaceDeclaration { .. }),
            "{input}: {e:?}"
        );
        assert_eq!(e.condition(), C::BadNamespacePrefix);
    }
    // Binding xml to its own namespace is allowed.
    el("<a xmlns:xml='http://www.w3.org/XML/1998/namespace' xml:lang='en'/>");
}

#[test]
fn mismatched_end_tags_are_not_well_formed() {
    let e = frag_err("<a><b></a></b>");
    assert!(
        matches!(&e, XmlError::MismatchedEndTag { expected, found, .. }
        if expected == "b" && found == "a"),
        "{e:?}"
    );
    assert_eq!(e.condition(), C::NotWellFormed);
    // Prefixes must match as written, even when bound to the same namespace.
    assert_eq!(
        cond("<p:a xmlns:p='u' xmlns:q='u'></q:a>"),
        C::NotWellFormed
    );
}

#[test]
fn malformed_names_are_not_well_formed() {
    for input in [
        "<1a/>",
        "<-a/>",
        "<.a/>",
        "<a:/>",
        "<:a/>",
        "<a:b:c/>",
        "<a 1b='x'/>",
        "<a b:='x'/>",
        "<a\u{2070}\u{D7}/>",
        "< a/>",
        "<a:1b xmlns:a='u'/>",
    ] {
        let e = frag_err(input);
        assert_eq!(e.condition(), C::NotWellFormed, "{input}: {e:?}");
    }
    // Non-ASCII names per XML 1.0 §2.3.
    let e = el("<caf\u{E9} \u{3B1}='1'><\u{4E2D}\u{6587}/></caf\u{E9}>");
    assert_eq!(e.name(), "caf\u{E9}");
    assert_eq!(e.attr("\u{3B1}"), Some("1"));
}

#[test]
fn syntax_errors_are_not_well_formed() {
    for input in [
        "<a b='1'c='2'/>",
        "<a b=1/>",
        "<a b/>",
        "<a b='1/>",
        "<a / >",
        "<a><b></a>",
        "<a>]]></a>",
        "<a b='<'/>",
        "<a></a><b/>",
        "<a>",
        "text",
        "</a>",
        "<a><![CDATA[x]]</a>",
        "<a><![CDAT[x]]></a>",
    ] {
        let e = frag_err(input);
        assert_eq!(e.condition(), C::NotWellFormed, "{input}: {e:?}");
    }
}

// ---- accepted XML ----

#[test]
fn predefined_entities_and_character_references_unescape() {
    let a = el(
        "<a t='&lt;&gt;&amp;&apos;&quot;&#65;&#x42;&#x1F600;'>&lt;&gt;&amp;&apos;&quot;&#65;&#x42;</a>",
    );
    assert_eq!(a.attr("t"), Some("<>&'\"AB\u{1F600}"));
    assert_eq!(a.text(), "<>&'\"AB");
}

#[test]
fn attribute_value_normalisation() {
    // XML 1.0 §3.3.3: literal TAB, LF, CR (and CRLF as one) become spaces; references do not.
    let a = el("<a v='a\tb\nc\r\nd\re' r='&#9;&#10;&#13;'/>");
    assert_eq!(a.attr("v"), Some("a b c d e"));
    assert_eq!(a.attr("r"), Some("\t\n\r"));
}

#[test]
fn line_end_handling_in_text() {
    // XML 1.0 §2.11: CRLF and lone CR become LF; a CR reference survives.
    let a = el("<a>x\r\ny\rz&#13;\r</a>");
    assert_eq!(a.text(), "x\ny\nz\r\n");
    let c = el("<a><![CDATA[p\r\nq]]></a>");
    assert_eq!(c.text(), "p\nq");
}

#[test]
fn cdata_sections_are_text() {
    let a = el("<a>x<![CDATA[<b>&amp;]]]]>y<![CDATA[]]></a>");
    assert_eq!(a.text(), "x<b>&amp;]]y");
    assert_eq!(
        a.nodes().len(),
        1,
        "adjacent character data merges into one text node"
    );
}

#[test]
fn unescaped_gt_and_quotes_in_text_are_accepted() {
    let a = el("<a q=\"it's\">a > b \"q\" 'r' ]> ]]</a>");
    assert_eq!(a.text(), "a > b \"q\" 'r' ]> ]]");
    assert_eq!(a.attr("q"), Some("it's"));
}

#[test]
fn namespaces_resolve() {
    let a = el(
        "<a xmlns='urn:a' xmlns:p='urn:p'><b/><p:c p:x='1' y='2'><d xmlns=''/></p:c>\
                <e xmlns='urn:e'><f/></e><g/></a>",
    );
    assert_eq!(a.ns(), "urn:a");
    let kids: Vec<_> = a
        .children()
        .map(|c| (c.ns().to_owned(), c.name().to_owned()))
        .collect();
    assert_eq!(
        kids,
        [
            ("urn:a".into(), "b".into()),
            ("urn:p".into(), "c".into()),
            ("urn:e".into(), "e".into()),
            ("urn:a".into(), "g".to_owned())
        ]
    );
    let c = a.get_child("c", "urn:p").unwrap();
    assert_eq!(c.attr_ns("urn:p", "x"), Some("1"));
    assert_eq!(
        c.attr("y"),
        Some("2"),
        "unprefixed attributes are in no namespace"
    );
    assert_eq!(c.attrs().len(), 2, "declarations are not attributes");
    assert!(
        c.has_child("d", ""),
        "xmlns='' undeclares the default namespace"
    );
    assert!(a.get_child("e", "urn:e").unwrap().has_child("f", "urn:e"));
}

/// A default namespace declared on an empty or text-only child (built without an open-element
/// frame) names that child only; its siblings and the parent keep theirs.
#[test]
fn default_namespace_of_a_leaf_child_ends_with_it() {
    let a = el(
        "<a xmlns='urn:a'><b xmlns='urn:b'/><c xmlns='urn:c'>t</c><d>u</d><e/>\
                <p:f xmlns:p='urn:p' xmlns='urn:f'>v</p:f><g xmlns=''/><h/></a>",
    );
    let kids: Vec<_> = a
        .children()
        .map(|c| {
            (
                c.ns().to_owned(),
                c.name().to_owned(),
                c.text().into_owned(),
            )
        })
        .collect();
    assert_eq!(
        kids,
        [
            ("urn:b".into(), "b".into(), String::new()),
            ("urn:c".into(), "c".into(), "t".into()),
            ("urn:a".into(), "d".into(), "u".into()),
            ("urn:a".into(), "e".into(), String::new()),
            ("urn:p".into(), "f".into(), "v".into()),
            (String::new(), "g".into(), String::new()),
            ("urn:a".into(), "h".into(), String::new()),
        ]
    );
    assert_eq!(a.ns(), "urn:a");
}

#[test]
fn whitespace_inside_stanzas_is_kept() {
    let a = el("<a>\n  <b/>\n</a>");
    assert_eq!(a.nodes().len(), 3);
    assert_eq!(a.text(), "\n  \n");
}

#[test]
fn surrounding_whitespace_and_tag_spacing() {
    let a = el(" \n<a  x = 'y'\n ></a >\n");
    assert_eq!(a.attr("x"), Some("y"));
}

// ---- limits: each is a policy-violation ----

fn limit_err(limits: Limits, input: &str) -> (Limit, C) {
    let mut p = Parser::new_fragments(limits);
    p.feed(input.as_bytes());
    match p.next_event() {
        Err(e @ XmlError::LimitExceeded { limit, .. }) => (limit, e.condition()),
        other => panic!("{input}: {other:?}"),
    }
}

#[test]
fn each_limit_is_a_policy_violation() {
    let small = Limits {
        max_stanza_bytes: 64,
        max_depth: 3,
        max_attrs: 2,
        max_name_len: 8,
        max_ns_decls: 2,
    };
    assert_eq!(
        limit_err(small.clone(), &format!("<a>{}</a>", "x".repeat(100))),
        (Limit::StanzaBytes, C::PolicyViolation)
    );
    assert_eq!(
        limit_err(small.clone(), "<a><b><c><d/></c></b></a>"),
        (Limit::Depth, C::PolicyViolation)
    );
    assert_eq!(
        limit_err(small.clone(), "<a x='1' y='2' z='3'/>"),
        (Limit::Attributes, C::PolicyViolation)
    );
    assert_eq!(
        limit_err(small.clone(), "<abcdefghi/>"),
        (Limit::NameLength, C::PolicyViolation)
    );
    assert_eq!(
        limit_err(small.clone(), "<a b123456789='1'/>"),
        (Limit::NameLength, C::PolicyViolation)
    );
    assert_eq!(
        limit_err(small.clone(), "<a xmlns='u' xmlns:p='v' xmlns:q='w'/>"),
        (Limit::NamespaceDeclarations, C::PolicyViolation)
    );
    // At the limits: accepted.
    let mut p = Parser::new_fragments(small);
    p.feed(b"<a x='1' y='2'><b><abcdefgh xmlns='u' xmlns:p='v'/></b></a>");
    assert!(matches!(p.next_event(), Ok(Some(Event::Element(_)))));
}

#[test]
fn depth_limit_applies_to_the_stream_too() {
    let limits = Limits {
        max_depth: 2,
        ..Limits::default()
    };
    let input = format!("{HEADER}<message><a><b/></a></message>");
    let e = events(Parser::new(limits), input.as_bytes()).unwrap_err();
    assert!(
        matches!(
            e,
            XmlError::LimitExceeded {
                limit: Limit::Depth,
                max: 2,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn deep_nesting_is_refused_without_recursion() {
    // pitfalls.md: ejabberd crashes on 10,000-deep nesting.
    let deep = "<a>".repeat(100_000);
    let e = parse_element(deep.as_bytes()).unwrap_err();
    assert!(
        matches!(
            e,
            XmlError::LimitExceeded {
                limit: Limit::Depth,
                ..
            }
        ),
        "{e:?}"
    );
}

#[test]
fn tree_at_the_depth_limit_builds_serializes_and_drops() {
    let depth = Limits::default().max_depth;
    let xml = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    let e = el(&xml);
    let expected = format!(
        "{}<a/>{}",
        "<a>".repeat(depth - 1),
        "</a>".repeat(depth - 1)
    );
    assert_eq!(e.to_xml(), expected);
    let copy = e.clone();
    assert_eq!(copy, e);
    drop(e);
    drop(copy);
    let too_deep = format!("{}{}", "<a>".repeat(depth + 1), "</a>".repeat(depth + 1));
    assert!(parse_element(too_deep.as_bytes()).is_err());
}

#[test]
fn serializer_is_iterative_on_deep_programmatic_trees() {
    // Built by hand, deeper than any parser limit: serializing must not recurse.
    let mut e = Element::new("", "a");
    for _ in 0..50_000 {
        e = Element::new("", "a").with_child(e);
    }
    let mut out = Vec::new();
    e.write_to(&mut out, "");
    assert_eq!(out.len(), 50_000 * 7 + 4);
    // Drop iteratively too (derived Drop would recurse 50,000 deep).
    let mut cur = Some(e);
    while let Some(mut x) = cur.take() {
        cur = x.nodes_mut().pop().and_then(|n| match n {
            crate::Node::Element(c) => Some(c),
            crate::Node::Text(_) => None,
        });
    }
}

// ---- serializer ----

#[test]
fn serializer_escapes() {
    let e = Element::new("jabber:client", "body")
        .with_attr("a", "'\"<>&\t\n\r")
        .with_text("<>&'\"\r]]>");
    assert_eq!(
        e.to_xml(),
        "<body xmlns='jabber:client' a='&apos;\"&lt;>&amp;&#x9;&#xA;&#xD;'>\
        &lt;&gt;&amp;'\"&#xD;]]&gt;</body>"
    );
    assert_eq!(parse_element(e.to_xml().as_bytes()).unwrap(), e);
}

#[test]
fn serializer_declares_namespaces_minimally() {
    let e = Element::new("jabber:client", "message")
        .with_child(Element::new("jabber:client", "body").with_text("hi"))
        .with_child(Element::new("urn:xmpp:receipts", "request"))
        .with_child(Element::new("", "plain"));
    let mut out = Vec::new();
    e.write_to(&mut out, "jabber:client");
    assert_eq!(
        String::from_utf8(out).unwrap(),
        "<message><body>hi</body>\
        <request xmlns='urn:xmpp:receipts'/><plain xmlns=''/></message>"
    );
    let mut a = Element::new("urn:a", "a");
    a.set_attr_ns("urn:x", "p", "1");
    a.set_attr_ns("urn:y", "q", "2");
    a.set_attr_ns("urn:x", "r", "3");
    a.set_attr_ns(XML_NS, "lang", "en");
    assert_eq!(
        a.to_xml(),
        "<a xmlns='urn:a' xmlns:ns0='urn:x' xmlns:ns1='urn:y' ns0:p='1' \
        ns1:q='2' ns0:r='3' xml:lang='en'/>"
    );
    assert_eq!(parse_element(a.to_xml().as_bytes()).unwrap(), a);
}

#[test]
fn stream_header_round_trip() {
    let mut h = StreamHeader::new("jabber:client");
    h.attrs.push(crate::Attr::new("to", "example.com"));
    h.attrs.push(crate::Attr::new("version", "1.0"));
    h.attrs.push(crate::Attr::with_ns(XML_NS, "lang", "en"));
    let mut out = Vec::new();
    h.write_to(&mut out);
    assert_eq!(
        String::from_utf8(out.clone()).unwrap(),
        "<stream:stream xmlns='jabber:client' \
        xmlns:stream='http://etherx.jabber.org/streams' to='example.com' version='1.0' \
        xml:lang='en'>"
    );
    write_stream_end(&mut out);
    let evs = events(Parser::new(Limits::default()), &out).unwrap();
    assert_eq!(evs, [Event::StreamStart(h), Event::StreamEnd]);
}

#[test]
fn error_offsets_count_from_the_stream_start() {
    let input = format!("{HEADER}<message><a>&bogus;</a></message>");
    let e = events(Parser::new(Limits::default()), input.as_bytes()).unwrap_err();
    assert_eq!(e.offset(), Some(HEADER.len() + 12), "{e:?}");
}
