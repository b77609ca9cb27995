//! The parser builds an element that arrived complete straight from the buffer (one pass) and
//! otherwise delimits it first (two passes). Both must give the same events and the same
//! errors, offsets included: feeding a document whole takes the one-pass path, feeding it a
//! byte at a time takes the two-pass path.

use proptest::prelude::*;
use waxwing_xml::{Event, Limits, Parser, XmlError};

fn events(
    doc: &[u8],
    chunk: usize,
    fragments: bool,
    limits: &Limits,
) -> Vec<Result<Event, XmlError>> {
    let mut p = if fragments {
        Parser::new_fragments(limits.clone())
    } else {
        Parser::new(limits.clone())
    };
    let mut out = Vec::new();
    for c in doc.chunks(chunk.max(1)) {
        p.feed(c);
        loop {
            match p.next_event() {
                Ok(Some(ev)) => out.push(Ok(ev)),
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e));
                    return out;
                }
            }
        }
    }
    out
}

fn agree(doc: &[u8], limits: &Limits) -> Result<(), TestCaseError> {
    for fragments in [true, false] {
        let mut input = Vec::new();
        if !fragments {
            input.extend_from_slice(
                b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:p='urn:outer'>",
            );
        }
        input.extend_from_slice(doc);
        let whole = events(&input, input.len(), fragments, limits);
        let bytes = events(&input, 1, fragments, limits);
        prop_assert_eq!(&whole, &bytes, "{:?}", String::from_utf8_lossy(&input));
    }
    Ok(())
}

const TOKENS: &[&str] = &[
    "<a>",
    "</a>",
    "<b/>",
    "<p:c>",
    "</p:c>",
    "<q:d/>",
    " x='1'",
    " xmlns='urn:d'",
    " xmlns:q='urn:q'",
    " xmlns:p=''",
    " xmlns:xml='http://www.w3.org/XML/1998/namespace'",
    " xml:lang='en'",
    " p:k='v'",
    " q:k='w'",
    " xmlns=''",
    " x='2'",
    " y=\"&amp;&#x41;\"",
    " z='a\tb'",
    "t",
    "&lt;",
    "&bogus;",
    "<![CDATA[c]]>",
    "]]>",
    "\r\n",
    " ",
    ">",
    "/>",
    "<",
    "'",
    "\u{e9}",
    "\u{FFFF}",
    "\u{1}",
    "<!-- c -->",
    "<?pi?>",
    "<message",
    " to='a@b'",
    "<body>",
    "</body>",
    "</message>",
    "<e xmlns:p='urn:p2' p:x='1' x='1'/>",
    "<f a='1' a='2'/>",
    "<g xmlns:r='urn:r' r:a='1' xmlns:s='urn:r' s:a='2'/>",
];

#[test]
fn known_documents_agree() {
    let limits = Limits::default();
    for doc in [
        "<a/>",
        "<a x='1' y='2'><b/>text<c xmlns='urn:c' xml:lang='en'>t&amp;u</c></a>",
        "<a xmlns:p='urn:p' p:k='v'><p:b x='1'>t<![CDATA[c]]></p:b><c/></a>",
        "<a xmlns:q='urn:q' q:x='1' xmlns:r='urn:q' r:x='2'/>",
        "<a x='1' x='1'/>",
        "<a xmlns='http://www.w3.org/XML/1998/namespace'/>",
        "<a xmlns:xml='http://www.w3.org/XML/1998/namespace' xml:lang='en'/>",
        "<u:a/>",
        "<a><b></a></b>",
        "<a>\u{1}</a>",
        "<a x='\u{FFFE}'/>",
        "<a>]]></a>",
        "<a/><b/>  <c>t</c>",
        "<a x='1'y='2'/>",
        "<a x = '1' />",
        "<a x='<'/>",
        "<a>&#0;</a>",
        // Children with nothing but plain text, built without an open-element frame.
        "<a><b>t</b><c></c><d x='1' xmlns='urn:d'>u</d><p:e xmlns:p='urn:p'>v</p:e></a>",
        "<a><b>t</c></a>",
        "<a><b>t</b ></a>",
        "<a><b>t</bb></a>",
        "<a><b>t&amp;u</b><c>x\r\ny</c><d>]]></d></a>",
        "<a><b>t<c/></b></a>",
        // An invalid character in a later element of the same chunk, and in plain text.
        "<a/><b>\u{1}</b>",
        "<a>t</a><b x='\u{FFFF}'/>",
        "<a><b>x\u{1}y</b></a>",
    ] {
        agree(doc.as_bytes(), &limits).unwrap();
    }
}

#[test]
fn limits_agree() {
    let limits = Limits {
        max_stanza_bytes: 64,
        max_depth: 3,
        max_attrs: 2,
        max_name_len: 8,
        max_ns_decls: 1,
    };
    for doc in [
        "<a><b><c><d/></c></b></a>",
        "<a><b><c/></b></a>",
        "<a x='1' y='2' z='3'/>",
        "<a x='1' y='2'/>",
        "<a xmlns='urn:a' xmlns:p='urn:p'/>",
        "<abcdefghi/>",
        "<a p:abcdefgh='1' xmlns:p='urn:p'/>",
        "<a>0123456789012345678901234567890123456789012345678901234567890123456789</a>",
    ] {
        agree(doc.as_bytes(), &limits).unwrap();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn token_soup_agrees(tokens in proptest::collection::vec(0..TOKENS.len(), 1..16)) {
        let doc: String = tokens.iter().map(|&i| TOKENS[i]).collect();
        agree(doc.as_bytes(), &Limits::default())?;
    }

    #[test]
    fn invalid_utf8_agrees(
        tokens in proptest::collection::vec(0..TOKENS.len(), 1..10),
        at in 0usize..200,
        byte in 0x80u8..=0xFF,
    ) {
        let mut doc: Vec<u8> = tokens.iter().flat_map(|&i| TOKENS[i].bytes()).collect();
        let at = at % (doc.len() + 1);
        doc.insert(at, byte);
        agree(&doc, &Limits::default())?;
    }
}

/// The builder's scratch space is shared by the parsers of a thread: parsers interleaved on one
/// thread, one of them stopping mid-element and failing, must each still build their own
/// elements exactly.
#[test]
fn parsers_interleaved_on_one_thread_build_their_own_elements() {
    let header =
        b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";
    let a_doc: &[u8] =
        b"<message to='a@x'><body>one &amp; two</body><x xmlns='urn:a'><y/></x></message>";
    let b_doc: &[u8] =
        b"<iq type='get' id='b1'><query xmlns='urn:b'><item n='1'/><item n='2'/></query></iq>";
    let bad: &[u8] = b"<presence><show>away</shw></presence>";
    let mut a = Parser::new(Limits::default());
    let mut b = Parser::new(Limits::default());
    let mut c = Parser::new(Limits::default());
    for p in [&mut a, &mut b, &mut c] {
        p.feed(header);
        assert!(matches!(p.next_event(), Ok(Some(Event::StreamStart(_)))));
    }
    let (a1, a2) = a_doc.split_at(40);
    a.feed(a1);
    assert!(matches!(a.next_event(), Ok(None)));
    c.feed(bad);
    assert!(c.next_event().is_err());
    b.feed(b_doc);
    a.feed(a2);
    let Ok(Some(Event::Element(eb))) = b.next_event() else {
        panic!("b");
    };
    let Ok(Some(Event::Element(ea))) = a.next_event() else {
        panic!("a");
    };
    assert_eq!(
        ea.to_xml(),
        "<message xmlns='jabber:client' to='a@x'><body>one &amp; two</body><x xmlns='urn:a'><y/></x></message>"
    );
    assert_eq!(eb.attr("id"), Some("b1"));
    assert_eq!(eb.children().count(), 1);
    let q = eb.get_child("query", "urn:b").unwrap();
    assert_eq!(q.children().count(), 2);
    assert_eq!(
        ea.get_child("body", "jabber:client").unwrap().text(),
        "one & two"
    );
}
