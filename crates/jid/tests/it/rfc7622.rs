//! Every example of RFC 7622 §3.5, plus the rules of §3.1–§3.4 they exercise.

use waxwing_jid::{Jid, JidError, Part, Profile};

/// RFC 7622 §3.5.1, examples 1–15, with the parts each one prepares to.
const VALID: &[(&str, Option<&str>, &str, Option<&str>)] = &[
    ("juliet@example.com", Some("juliet"), "example.com", None),
    (
        "juliet@example.com/foo",
        Some("juliet"),
        "example.com",
        Some("foo"),
    ),
    (
        "juliet@example.com/foo bar",
        Some("juliet"),
        "example.com",
        Some("foo bar"),
    ),
    (
        "juliet@example.com/foo@bar",
        Some("juliet"),
        "example.com",
        Some("foo@bar"),
    ),
    (
        "foo\\20bar@example.com",
        Some("foo\\20bar"),
        "example.com",
        None,
    ),
    (
        "fussball@example.com",
        Some("fussball"),
        "example.com",
        None,
    ),
    (
        "fu\u{DF}ball@example.com",
        Some("fu\u{DF}ball"),
        "example.com",
        None,
    ),
    ("\u{3C0}@example.com", Some("\u{3C0}"), "example.com", None),
    (
        "\u{3A3}@example.com/foo",
        Some("\u{3C3}"),
        "example.com",
        Some("foo"),
    ),
    (
        "\u{3C3}@example.com/foo",
        Some("\u{3C3}"),
        "example.com",
        Some("foo"),
    ),
    (
        "\u{3C2}@example.com/foo",
        Some("\u{3C2}"),
        "example.com",
        Some("foo"),
    ),
    (
        "king@example.com/\u{265A}",
        Some("king"),
        "example.com",
        Some("\u{265A}"),
    ),
    ("example.com", None, "example.com", None),
    ("example.com/foobar", None, "example.com", Some("foobar")),
    (
        "a.example.com/b@example.net",
        None,
        "a.example.com",
        Some("b@example.net"),
    ),
];

#[test]
fn section_3_5_1_valid_examples() {
    for &(input, node, domain, resource) in VALID {
        let jid = Jid::parse(input).unwrap_or_else(|e| panic!("{input:?} refused: {e}"));
        assert_eq!(jid.node(), node, "{input:?}");
        assert_eq!(jid.domain(), domain, "{input:?}");
        assert_eq!(jid.resource(), resource, "{input:?}");
        assert_eq!(jid.is_full(), resource.is_some(), "{input:?}");
    }
}

#[test]
fn section_3_5_2_invalid_examples() {
    let cases: &[(&str, JidError)] = &[
        // Example 16: quotation marks are excluded by §3.3.1.
        (
            "\"juliet\"@example.com",
            JidError::Disallowed {
                part: Part::Localpart,
                codepoint: '"',
            },
        ),
        // Example 17: space is disallowed in the IdentifierClass (RFC 8264 §9.14).
        (
            "foo bar@example.com",
            JidError::Disallowed {
                part: Part::Localpart,
                codepoint: ' ',
            },
        ),
        // Example 19: empty localpart (and empty resourcepart); the first is reported.
        ("@example.com/", JidError::Empty(Part::Localpart)),
        // Example 20: U+2163 ROMAN NUMERAL FOUR has a compatibility decomposition.
        (
            "henry\u{2163}@example.com",
            JidError::Disallowed {
                part: Part::Localpart,
                codepoint: '\u{2163}',
            },
        ),
        // Example 21: U+265A BLACK CHESS KING is a symbol, not allowed in identifiers.
        (
            "\u{265A}@example.com",
            JidError::Disallowed {
                part: Part::Localpart,
                codepoint: '\u{265A}',
            },
        ),
        // Example 22: no domainpart.
        ("juliet@", JidError::Empty(Part::Domainpart)),
        // Example 23: no domainpart before the resourcepart.
        ("/foobar", JidError::Empty(Part::Domainpart)),
    ];
    for (input, expected) in cases {
        assert_eq!(Jid::parse(input).as_ref(), Err(expected), "{input:?}");
    }
}

/// Example 18 (`juliet@example.com/ foo`, "leading space in resourcepart") is listed as
/// invalid by RFC 7622 §3.5.2, but no rule of the OpaqueString profile (RFC 8265 §4.2)
/// that RFC 7622 §3.4 applies refuses a leading space, and deployed servers accept it.
/// Verified RFC erratum 4560 removes the example for exactly this reason.
#[test]
fn section_3_5_2_example_18_follows_the_normative_rules() {
    let jid = Jid::parse("juliet@example.com/ foo").unwrap();
    assert_eq!(jid.resource(), Some(" foo"));
    assert_ne!(jid, Jid::parse("juliet@example.com/foo").unwrap());
}

#[test]
fn each_empty_part_is_refused_on_its_own() {
    assert_eq!(
        Jid::parse("@example.com"),
        Err(JidError::Empty(Part::Localpart))
    );
    assert_eq!(
        Jid::parse("juliet@example.com/"),
        Err(JidError::Empty(Part::Resourcepart))
    );
    assert_eq!(
        Jid::parse("example.com/"),
        Err(JidError::Empty(Part::Resourcepart))
    );
    assert_eq!(Jid::parse(""), Err(JidError::Empty(Part::Domainpart)));
    assert_eq!(Jid::parse("@"), Err(JidError::Empty(Part::Localpart)));
    assert_eq!(Jid::parse("/"), Err(JidError::Empty(Part::Domainpart)));
    for p in [Profile::Precis, Profile::Stringprep] {
        assert_eq!(
            Jid::parse_with("@example.com", p),
            Err(JidError::Empty(Part::Localpart))
        );
        assert_eq!(
            Jid::parse_with("example.com/", p),
            Err(JidError::Empty(Part::Resourcepart))
        );
        assert_eq!(
            Jid::parse_with("juliet@", p),
            Err(JidError::Empty(Part::Domainpart))
        );
    }
}

/// RFC 7622 §3.1: split at the first `/`, then at the first `@` before it.
#[test]
fn section_3_1_parsing_order() {
    let jid = Jid::parse("juliet@example.com/foo/bar@baz").unwrap();
    assert_eq!(jid.node(), Some("juliet"));
    assert_eq!(jid.domain(), "example.com");
    assert_eq!(jid.resource(), Some("foo/bar@baz"));
    // A second `@` before the `/` lands in the domainpart, which refuses it.
    assert_eq!(Jid::parse("a@b@example.com"), Err(JidError::InvalidDomain));
}

/// §3.3.3 / §3.2.3: localpart and domainpart compare case-insensitively, §3.4.3: the
/// resourcepart does not.
#[test]
fn case_mapping_applies_to_localpart_and_domainpart_only() {
    let jid = Jid::parse("Juliet@Example.COM/Balcony").unwrap();
    assert_eq!(jid.as_str(), "juliet@example.com/Balcony");
    assert_ne!(jid, Jid::parse("juliet@example.com/balcony").unwrap());
}

/// Notes to examples 6/7 and 9–11: toLowerCase, not case folding.
#[test]
fn sharp_s_and_sigma_notes() {
    let p = |s| Jid::parse(s).unwrap();
    assert_ne!(p("fu\u{DF}ball@example.com"), p("fussball@example.com"));
    assert_eq!(p("\u{3A3}@example.com"), p("\u{3C3}@example.com"));
    assert_ne!(p("\u{3C2}@example.com"), p("\u{3C3}@example.com"));
}

/// RFC 7622 §3.1: each part is limited to 1023 octets after preparation (octets, not
/// characters).
#[test]
fn part_length_limits() {
    let a1023 = "a".repeat(1023);
    let a1024 = "a".repeat(1024);
    assert!(Jid::parse(&format!("{a1023}@example.com")).is_ok());
    assert_eq!(
        Jid::parse(&format!("{a1024}@example.com")),
        Err(JidError::PartTooLong {
            part: Part::Localpart,
            len: 1024
        })
    );
    let pi600 = "\u{3C0}".repeat(600);
    assert_eq!(
        Jid::parse(&format!("{pi600}@example.com")),
        Err(JidError::PartTooLong {
            part: Part::Localpart,
            len: 1200
        })
    );
    assert!(Jid::parse(&format!("example.com/{a1023}")).is_ok());
    assert_eq!(
        Jid::parse(&format!("example.com/{a1024}")),
        Err(JidError::PartTooLong {
            part: Part::Resourcepart,
            len: 1024
        })
    );
    // The limit applies after preparation: soft hyphens vanish under stringprep's B.1.
    let shy = "\u{AD}".repeat(600);
    let jid = Jid::parse_with(&format!("a{shy}@example.com"), Profile::Stringprep).unwrap();
    assert_eq!(jid.node(), Some("a"));
}

#[test]
fn oversized_input_is_refused_before_preparation() {
    let huge = format!("{}@example.com", "a".repeat(5000));
    assert!(
        matches!(Jid::parse(&huge), Err(JidError::InputTooLong { len, .. }) if len == huge.len())
    );
    let max = waxwing_jid::MAX_INPUT_LEN;
    let full = format!(
        "{}@{}.{}/{}",
        "a".repeat(1023),
        "b".repeat(63),
        "c".repeat(63),
        "d".repeat(1023)
    );
    assert!(full.len() <= max);
    assert!(Jid::parse(&full).is_ok());
}

/// The localpart exclusions of §3.3.1 also catch full-width forms that width mapping
/// turns into them.
#[test]
fn section_3_3_1_exclusions() {
    for c in ['"', '&', '\'', ':', '<', '>'] {
        let input = format!("a{c}b@example.com");
        assert_eq!(
            Jid::parse(&input),
            Err(JidError::Disallowed {
                part: Part::Localpart,
                codepoint: c
            }),
            "{input:?}"
        );
    }
    assert_eq!(
        Jid::parse("a\u{FF20}b@example.com"),
        Err(JidError::Disallowed {
            part: Part::Localpart,
            codepoint: '@'
        })
    );
    // Width mapping (RFC 8265 §3.3.1 rule 1) of a full-width letter.
    assert_eq!(
        Jid::parse("\u{FF21}bc@example.com").unwrap().node(),
        Some("abc")
    );
}

/// OpaqueString maps non-ASCII spaces to U+0020 and applies NFC (RFC 8265 §4.2.2).
#[test]
fn resourcepart_opaque_string_rules() {
    assert_eq!(
        Jid::parse("example.com/a\u{A0}b").unwrap().resource(),
        Some("a b")
    );
    assert_eq!(
        Jid::parse("example.com/e\u{301}").unwrap().resource(),
        Some("\u{E9}")
    );
    // Control characters are disallowed in the FreeformClass.
    assert_eq!(
        Jid::parse("example.com/a\u{7}"),
        Err(JidError::Disallowed {
            part: Part::Resourcepart,
            codepoint: '\u{7}'
        })
    );
    // Compatibility characters are allowed (and kept) in the FreeformClass.
    assert_eq!(
        Jid::parse("example.com/\u{FB01}").unwrap().resource(),
        Some("\u{FB01}")
    );
}

/// RFC 8265 §3.3.1 rule 5 / RFC 5893: the bidi rule in the localpart.
#[test]
fn localpart_bidi_rule() {
    // Hebrew alone is fine; mixing a left-to-right letter into a right-to-left label is not.
    assert!(Jid::parse("\u{5D0}\u{5D1}@example.com").is_ok());
    assert!(Jid::parse("\u{5D0}a@example.com").is_err());
}

/// RFC 8265 §3.3.2 rule 3 asks for Unicode toLowerCase(), whose final-sigma mapping
/// depends on context (Unicode §3.13): a capital sigma ending a word becomes `ς`.
#[test]
fn final_sigma_in_context() {
    let jid =
        Jid::parse("\u{39F}\u{394}\u{3A5}\u{3A3}\u{3A3}\u{395}\u{3A5}\u{3A3}@example.com").unwrap();
    assert_eq!(
        jid.node(),
        Some("\u{3BF}\u{3B4}\u{3C5}\u{3C3}\u{3C3}\u{3B5}\u{3C5}\u{3C2}")
    );
    // Alone, it is not word-final: `σ` (RFC 7622 §3.5.1 example 9).
    assert_eq!(
        Jid::parse("\u{3A3}@example.com").unwrap().node(),
        Some("\u{3C3}")
    );
}
