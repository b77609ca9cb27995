//! The legacy profile (RFC 6122): nodeprep, resourceprep and nameprep over RFC 3454.

use waxwing_jid::{
    Jid, JidError, Part, Profile, prepare_domainpart, prepare_localpart, prepare_resourcepart,
};

const SP: Profile = Profile::Stringprep;

fn node(s: &str) -> Result<String, JidError> {
    prepare_localpart(s, SP)
}

fn res(s: &str) -> Result<String, JidError> {
    prepare_resourcepart(s, SP)
}

/// RFC 3454 B.1: commonly mapped to nothing, in every profile.
#[test]
fn table_b1_mapped_to_nothing() {
    assert_eq!(node("a\u{AD}b").unwrap(), "ab"); // SOFT HYPHEN
    assert_eq!(node("a\u{1806}b").unwrap(), "ab"); // MONGOLIAN TODO SOFT HYPHEN
    assert_eq!(node("a\u{200B}b").unwrap(), "ab"); // ZERO WIDTH SPACE
    assert_eq!(node("a\u{FEFF}b").unwrap(), "ab"); // ZERO WIDTH NO-BREAK SPACE
    assert_eq!(res("a\u{AD}b").unwrap(), "ab");
    assert_eq!(
        prepare_domainpart("ex\u{AD}ample.com", SP).unwrap(),
        "example.com"
    );
    // A part that maps to nothing at all is empty.
    assert_eq!(node("\u{AD}"), Err(JidError::Empty(Part::Localpart)));
}

/// RFC 3454 B.2: case folding for NFKC, in nodeprep and nameprep but not resourceprep.
#[test]
fn table_b2_case_folding() {
    assert_eq!(node("JULIET").unwrap(), "juliet");
    assert_eq!(node("fu\u{DF}ball").unwrap(), "fussball"); // ß → ss
    assert_eq!(node("\u{130}").unwrap(), "i\u{307}"); // İ → i + COMBINING DOT ABOVE
    assert_eq!(node("\u{3C2}").unwrap(), "\u{3C3}"); // final sigma folds to sigma
    assert_eq!(node("\u{2121}").unwrap(), "tel"); // ℡: B.2 plus NFKC
    assert_eq!(res("Balcony").unwrap(), "Balcony");
    assert_eq!(
        prepare_domainpart("EXAMPLE.com", SP).unwrap(),
        "example.com"
    );
}

/// RFC 3454 §4: NFKC.
#[test]
fn nfkc_normalisation() {
    assert_eq!(node("henry\u{2163}").unwrap(), "henryiv");
    assert_eq!(res("\u{FB01}le").unwrap(), "file");
    assert_eq!(res("e\u{301}").unwrap(), "\u{E9}");
    // U+0340 is listed in C.8 but NFKC maps it to U+0300 before the prohibition step
    // (RFC 3454 §3–§5 order), so it never reaches it.
    assert_eq!(node("a\u{340}").unwrap(), "\u{E0}");
}

/// RFC 3454 C.*: prohibited output.
#[test]
fn tables_c_prohibited() {
    let prohibited = |s: &str, c: char| {
        assert_eq!(
            node(s),
            Err(JidError::Disallowed {
                part: Part::Localpart,
                codepoint: c
            }),
            "{s:?}"
        );
    };
    prohibited("a b", ' '); // C.1.1, nodeprep only
    prohibited("a\u{1680}b", '\u{1680}'); // C.1.2 (OGHAM SPACE MARK has no decomposition)
    prohibited("a\u{A0}b", ' '); // NBSP: NFKC turns it into U+0020 first, then C.1.1
    prohibited("a\u{7}", '\u{7}'); // C.2.1
    prohibited("a\u{80}", '\u{80}'); // C.2.2
    prohibited("a\u{E000}", '\u{E000}'); // C.3 private use
    prohibited("a\u{FFFF}", '\u{FFFF}'); // C.4 non-character
    prohibited("a\u{FFFD}", '\u{FFFD}'); // C.6
    prohibited("a\u{2FF0}", '\u{2FF0}'); // C.7
    prohibited("a\u{202E}", '\u{202E}'); // C.8
    prohibited("a\u{E0001}", '\u{E0001}'); // C.9
    for c in ['"', '&', '\'', ':', '<', '>'] {
        prohibited(&format!("a{c}b"), c); // RFC 6122 A.5
    }
    // Resourceprep allows the ASCII space and the node delimiters, not controls.
    assert_eq!(res("foo bar").unwrap(), "foo bar");
    assert_eq!(res("a\"&'/:<>@b").unwrap(), "a\"&'/:<>@b");
    assert_eq!(
        res("a\u{7}"),
        Err(JidError::Disallowed {
            part: Part::Resourcepart,
            codepoint: '\u{7}'
        })
    );
    assert_eq!(
        res("a\u{1680}b"),
        Err(JidError::Disallowed {
            part: Part::Resourcepart,
            codepoint: '\u{1680}'
        })
    );
    assert_eq!(res("a\u{A0}b").unwrap(), "a b");
}

/// RFC 3454 §7 and A.1: unassigned code points (in Unicode 3.2) are refused in stored
/// strings.
#[test]
fn table_a1_unassigned() {
    // U+0221 LATIN SMALL LETTER D WITH CURL was assigned in Unicode 4.0.
    assert_eq!(
        node("\u{221}"),
        Err(JidError::Disallowed {
            part: Part::Localpart,
            codepoint: '\u{221}'
        })
    );
    // U+2150 VULGAR FRACTION ONE SEVENTH (Unicode 5.2) would NFKC to assigned code
    // points; it is refused on input.
    assert_eq!(
        res("\u{2150}"),
        Err(JidError::Disallowed {
            part: Part::Resourcepart,
            codepoint: '\u{2150}'
        })
    );
}

/// RFC 3454 §6: bidirectional text.
#[test]
fn bidi_rules() {
    assert_eq!(node("\u{5D0}\u{5D1}").unwrap(), "\u{5D0}\u{5D1}");
    assert_eq!(node("\u{5D0}1\u{5D1}").unwrap(), "\u{5D0}1\u{5D1}");
    // RandALCat and LCat mixed.
    assert_eq!(
        node("\u{5D0}a\u{5D1}"),
        Err(JidError::Bidi {
            part: Part::Localpart
        })
    );
    // RandALCat present but not last.
    assert_eq!(
        node("\u{5D0}1"),
        Err(JidError::Bidi {
            part: Part::Localpart
        })
    );
    assert_eq!(
        res("1\u{5D0}"),
        Err(JidError::Bidi {
            part: Part::Resourcepart
        })
    );
}

/// The RFC 7622 §3.5 examples under the legacy profile.
#[test]
fn rfc7622_examples_under_stringprep() {
    let p = |s| Jid::parse_with(s, SP);
    assert_eq!(
        p("fu\u{DF}ball@example.com").unwrap().as_str(),
        "fussball@example.com"
    );
    assert_eq!(
        p("\u{3C2}@example.com/foo").unwrap(),
        p("\u{3C3}@example.com/foo").unwrap()
    );
    assert_eq!(
        p("\u{3A3}@example.com/foo").unwrap().as_str(),
        "\u{3C3}@example.com/foo"
    );
    // Nodeprep allows symbols and maps compatibility characters.
    assert_eq!(p("\u{265A}@example.com").unwrap().node(), Some("\u{265A}"));
    assert_eq!(
        p("henry\u{2163}@example.com").unwrap().node(),
        Some("henryiv")
    );
    assert_eq!(
        p("juliet@example.com/foo@bar").unwrap().resource(),
        Some("foo@bar")
    );
    assert!(p("\"juliet\"@example.com").is_err());
    assert!(p("foo bar@example.com").is_err());
    assert_eq!(p("@example.com/"), Err(JidError::Empty(Part::Localpart)));
    assert_eq!(p("/foobar"), Err(JidError::Empty(Part::Domainpart)));
}
