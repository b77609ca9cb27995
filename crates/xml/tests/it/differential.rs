//! Differential tests against rxml 0.14: fixed inputs, generated families and mutations, each
//! compared by the oracle in `oracle.rs` (whose module doc lists the intended differences).

use proptest::prelude::*;

use crate::oracle::compare;

#[test]
fn repeated_namespace_declarations_are_not_well_formed() {
    for doc in [
        &b"<r xmlns='a' xmlns='a'/>"[..],
        b"<r xmlns:p='a' xmlns:p='a'/>",
    ] {
        let err = waxwing_xml::parse_element(doc).unwrap_err();
        assert!(
            matches!(err, waxwing_xml::XmlError::DuplicateAttribute { .. }),
            "{err:?}"
        );
        assert_eq!(
            err.condition(),
            waxwing_xml::XmlErrorCondition::NotWellFormed
        );
    }
}

#[test]
fn form_feed_before_the_root_is_refused_by_both() {
    // Found by the `xml_diff` fuzz target: U+000C is ASCII white space to Rust but not XML's `S`.
    assert!(waxwing_xml::parse_element(b"\x0c<r/>").is_err());
    compare(b"\x0c<r/>").unwrap();
}

#[test]
fn crlf_after_a_bracket_in_cdata_is_a_line_feed() {
    let e = waxwing_xml::parse_element(b"<a><![CDATA[x]\r\ny]\r]]></a>").unwrap();
    assert_eq!(e.text(), "x]\ny]\n");
}

#[test]
fn fixed_inputs_agree() {
    let cases: &[&[u8]] = &[
        // accepted
        b"<a/>",
        b"<?xml version='1.0'?><a/>",
        b"<?xml version='1.0' encoding='utf-8' standalone='no'?>\n<a/>\n",
        b"\xEF\xBB\xBF<a/>",
        b"<message xmlns='jabber:client' to='a@b' type='chat'><body>hi &amp; bye</body></message>",
        b"<a xmlns:p='u' p:x='1' x='2'><p:b/></a>",
        b"<a>x<![CDATA[<y>]]>z</a>",
        b"<a b='&#x9;&#10;&#13;&lt;'>&#x10FFFF;</a>",
        b"<a v='a\tb\r\nc'>l1\r\nl2\rl3</a>",
        b"<a xml:lang='en' xmlns:xml='http://www.w3.org/XML/1998/namespace'/>",
        b"<a xmlns='u'><b xmlns=''/></a>",
        "<caf\u{e9} \u{3b1}='1'>\u{1F600}</caf\u{e9}>".as_bytes(),
        b"<a>]]</a>",
        b"<a>></a>",
        b"<a >\n</a >",
        // rejected
        b"<a><!-- c --></a>",
        b"<a><?pi?></a>",
        b"<!DOCTYPE a><a/>",
        b"<a>&nbsp;</a>",
        b"<a>&#0;</a>",
        b"<a>&#xFFFE;</a>",
        b"<a>\x01</a>",
        b"<a>\xFF</a>",
        b"<a x='1' x='2'/>",
        b"<a xmlns:p='u' xmlns:q='u' p:x='1' q:x='2'/>",
        b"<p:a/>",
        b"<a><b></a></b>",
        b"<1a/>",
        b"<a:b:c xmlns:a='u'/>",
        b"<a>]]></a>",
        b"<a b='<'/>",
        b"<a xmlns:p=''/>",
        b"<a xmlns:xml='urn:x'/>",
        b"<a xmlns:xmlns='urn:x'/>",
        b"<a/><b/>",
        b"<a>",
        b"text",
        b"<?xml version='1.1'?><a/>",
        b"<?xml version='1.0' encoding='latin1'?><a/>",
        b" <?xml version='1.0'?><a/>",
        b"<a b=c/>",
        b"<a b='1'c='2'/>",
        b"<a/ >",
    ];
    let mut failures = Vec::new();
    for doc in cases {
        if let Err(e) = compare(doc) {
            failures.push(format!("{}: {e}", String::from_utf8_lossy(doc)));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Tokens that make up XML-ish noise: mostly markup pieces, so that random concatenations
/// and mutations hit the interesting states of both parsers.
const TOKENS: &[&str] = &[
    "<a",
    "<b",
    "<p:a",
    "</a>",
    "</b>",
    "</p:a>",
    ">",
    "/>",
    " ",
    "\t",
    "\r\n",
    "x='1'",
    "x=\"2\"",
    "p:x='3'",
    "q:x='4'",
    "xmlns='u'",
    "xmlns:p='u'",
    "xmlns:q='u'",
    "xmlns:p=''",
    "xml:lang='en'",
    "&amp;",
    "&lt;",
    "&#65;",
    "&#x10FFFF;",
    "&#0;",
    "&foo;",
    "&",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "<?x",
    "?>",
    "'",
    "\"",
    "=",
    ":",
    "text",
    "\u{e9}",
    "\u{1F600}",
    "\u{FFFE}",
    "\u{1}",
    "]]",
    "<?xml version='1.0'?>",
    "<!DOCTYPE a>",
    "1",
    "-",
    ".",
];

fn mutate(doc: &str, pos: usize, token: &str, delete: usize) -> String {
    let mut pos = pos % (doc.len() + 1);
    while !doc.is_char_boundary(pos) {
        pos -= 1;
    }
    let mut end = (pos + delete).min(doc.len());
    while !doc.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}{}{}", &doc[..pos], token, &doc[end..])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn random_token_soup_agrees(tokens in proptest::collection::vec(0..TOKENS.len(), 1..14)) {
        let doc: String = tokens.iter().map(|&i| TOKENS[i]).collect();
        if let Err(e) = compare(doc.as_bytes()) {
            return Err(TestCaseError::fail(format!("{doc:?}: {e}")));
        }
    }

    #[test]
    fn mutated_valid_documents_agree(
        pos in 0usize..400,
        token in 0..TOKENS.len(),
        delete in 0usize..3,
        variant in 0usize..4,
    ) {
        let base = [
            "<message xmlns='jabber:client' to='a@b' type='chat' xml:lang='en'><body>hi &amp; \
             &#x263A;</body><request xmlns='urn:xmpp:receipts'/></message>",
            "<a xmlns:p='urn:p' p:k='v'><p:b x='1'>t<![CDATA[c]]></p:b><c/></a>",
            "<iq type='set' id='1'><query xmlns='jabber:iq:roster'><item jid='x@y' \
             name='X'><group>G</group></item></query></iq>",
            "<?xml version='1.0'?><x xmlns='jabber:x:data' type='form'><field var='a'>\
             <value>1</value></field></x>",
        ][variant];
        let doc = mutate(base, pos, TOKENS[token], delete);
        if let Err(e) = compare(doc.as_bytes()) {
            return Err(TestCaseError::fail(format!("{doc:?}: {e}")));
        }
    }

    #[test]
    fn random_bytes_agree(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let mut doc = b"<a>".to_vec();
        doc.extend_from_slice(&bytes);
        doc.extend_from_slice(b"</a>");
        if let Err(e) = compare(&doc) {
            return Err(TestCaseError::fail(format!("{:?}: {e}", String::from_utf8_lossy(&doc))));
        }
    }
}
