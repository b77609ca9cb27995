//! Domainparts: IDNA (RFC 7622 §3.2 with IDNA2008/UTS #46; RFC 6122 §2.2 with IDNA2003)
//! and IP literals.

use waxwing_jid::{Jid, JidError, Part, Profile, prepare_domainpart};

const BOTH: [Profile; 2] = [Profile::Precis, Profile::Stringprep];

fn dom(s: &str, p: Profile) -> Result<String, JidError> {
    prepare_domainpart(s, p)
}

/// RFC 7622 §3.2.1: A-labels become U-labels, so both spellings compare equal.
#[test]
fn a_labels_and_u_labels_compare_equal() {
    for p in BOTH {
        assert_eq!(
            dom("B\u{FC}cher.example", p).unwrap(),
            "b\u{FC}cher.example",
            "{p:?}"
        );
        assert_eq!(
            dom("xn--bcher-kva.example", p).unwrap(),
            "b\u{FC}cher.example",
            "{p:?}"
        );
        assert_eq!(
            dom("XN--BCHER-KVA.Example", p).unwrap(),
            "b\u{FC}cher.example",
            "{p:?}"
        );
        assert_eq!(
            Jid::parse_with("juliet@xn--bcher-kva.example", p).unwrap(),
            Jid::parse_with("Juliet@B\u{FC}cher.example", p).unwrap()
        );
    }
}

#[test]
fn uppercase_is_lowercased() {
    for p in BOTH {
        assert_eq!(dom("EXAMPLE.COM", p).unwrap(), "example.com");
        assert_eq!(dom("Example.Com", p).unwrap(), "example.com");
    }
}

/// RFC 7622 §3.2 / RFC 6122 §2.2: exactly one trailing dot is stripped.
#[test]
fn one_trailing_dot_is_stripped() {
    for p in BOTH {
        assert_eq!(dom("example.com.", p).unwrap(), "example.com");
        assert_eq!(
            Jid::parse_with("juliet@example.com./r", p)
                .unwrap()
                .domain(),
            "example.com"
        );
        assert_eq!(dom("example.com..", p), Err(JidError::InvalidDomain));
        assert_eq!(dom(".", p), Err(JidError::Empty(Part::Domainpart)));
    }
}

#[test]
fn invalid_labels_are_refused() {
    for p in BOTH {
        for bad in [
            "-example.com",
            "example-.com",
            "exa_mple.com",
            "exa mple.com",
            "example..com",
            ".example.com",
            "exa!mple.com",
            "xn--.example",
        ] {
            assert_eq!(
                dom(bad, p),
                Err(JidError::InvalidDomain),
                "{bad:?} under {p:?}"
            );
        }
    }
    // IDNA2008 only: R-LDH labels that are not A-labels (RFC 5890 §2.3.1), malformed
    // A-labels, leading combining marks, joiners without context (RFC 5892 A.2).
    for bad in [
        "ex--ample.com",
        "xn--zz.example",
        "\u{301}a.example",
        "a\u{200D}b.example",
    ] {
        assert_eq!(
            dom(bad, Profile::Precis),
            Err(JidError::InvalidDomain),
            "{bad:?}"
        );
    }
    // IDNA2008 disallows symbols that UTS #46 lets through (U+2603 SNOWMAN); IDNA2003
    // allowed them.
    assert_eq!(
        dom("xn--n3h.example", Profile::Precis),
        Err(JidError::Disallowed {
            part: Part::Domainpart,
            codepoint: '\u{2603}'
        })
    );
    assert_eq!(
        dom("xn--n3h.example", Profile::Stringprep).unwrap(),
        "\u{2603}.example"
    );
}

/// Labels are limited to 63 octets in their ASCII (A-label) form.
#[test]
fn over_long_labels() {
    let l63 = "a".repeat(63);
    let l64 = "a".repeat(64);
    for p in BOTH {
        assert_eq!(
            dom(&format!("{l63}.example"), p).unwrap(),
            format!("{l63}.example")
        );
        assert_eq!(
            dom(&format!("{l64}.example"), p),
            Err(JidError::InvalidDomain)
        );
    }
    // 60 "ü" are 120 octets of UTF-8 and far more than 63 octets as an A-label.
    let long_u = "\u{FC}".repeat(60);
    for p in BOTH {
        assert_eq!(
            dom(&format!("{long_u}.example"), p),
            Err(JidError::InvalidDomain)
        );
    }
}

/// IDNA2003 and IDNA2008 differ on deviation characters: ß is kept by UTS #46
/// non-transitional processing, folded to "ss" by nameprep. An A-label for "faß" is not
/// a valid IDNA2003 label, so ToUnicode (RFC 3490 §4.2) leaves it as it is.
#[test]
fn deviation_characters() {
    assert_eq!(dom("fa\u{DF}.de", Profile::Precis).unwrap(), "fa\u{DF}.de");
    assert_eq!(
        dom("xn--fa-hia.de", Profile::Precis).unwrap(),
        "fa\u{DF}.de"
    );
    assert_eq!(dom("fa\u{DF}.de", Profile::Stringprep).unwrap(), "fass.de");
    assert_eq!(
        dom("xn--fa-hia.de", Profile::Stringprep).unwrap(),
        "xn--fa-hia.de"
    );
}

/// IDNA2003 recognises the ideographic and full-width full stops as separators.
#[test]
fn idna2003_label_separators() {
    assert_eq!(
        dom("example\u{3002}com", Profile::Stringprep).unwrap(),
        "example.com"
    );
    assert_eq!(
        dom("example\u{FF0E}com\u{FF61}", Profile::Stringprep).unwrap(),
        "example.com"
    );
    // UTS #46 maps them to "." as well.
    assert_eq!(
        dom("example\u{3002}com", Profile::Precis).unwrap(),
        "example.com"
    );
}

#[test]
fn ipv4_literals() {
    for p in BOTH {
        assert_eq!(dom("192.0.2.1", p).unwrap(), "192.0.2.1");
        assert_eq!(
            Jid::parse_with("juliet@192.0.2.1/r", p).unwrap().domain(),
            "192.0.2.1"
        );
        for bad in ["192.0.2", "192.0.2.256", "192.0.2.01", "1", "1.2.3.4.5"] {
            assert_eq!(
                dom(bad, p),
                Err(JidError::InvalidIpLiteral),
                "{bad:?} under {p:?}"
            );
        }
        // Full-width digits map to an IPv4 address, stored in its ASCII form.
        assert_eq!(
            dom("\u{FF11}.\u{FF12}.\u{FF13}.\u{FF14}", p).unwrap(),
            "1.2.3.4"
        );
    }
}

#[test]
fn ipv6_literals() {
    for p in BOTH {
        assert_eq!(dom("[::1]", p).unwrap(), "[::1]");
        // RFC 5952 form: lower case, longest zero run compressed.
        assert_eq!(dom("[2001:DB8:0:0:0:0:0:1]", p).unwrap(), "[2001:db8::1]");
        assert_eq!(
            Jid::parse_with("juliet@[2001:db8::1]/balcony", p).unwrap(),
            Jid::parse_with("juliet@[2001:0DB8::0:1]/balcony", p).unwrap()
        );
        for bad in ["[::1", "[::g]", "[]", "[192.0.2.1]", "[fe80::1%eth0]"] {
            assert_eq!(
                dom(bad, p),
                Err(JidError::InvalidIpLiteral),
                "{bad:?} under {p:?}"
            );
        }
        // Unbracketed IPv6 is not a host name either.
        assert!(dom("::1", p).is_err());
    }
}

/// RFC 7622 §3.2: a domainpart is at most 1023 octets; as a DNS name it is in fact far
/// shorter. Every label here is valid, so the name's length alone is refused.
#[test]
fn over_long_names() {
    let name = vec!["a".repeat(63); 5].join(".");
    assert_eq!(dom(&name, Profile::Precis), Err(JidError::InvalidDomain));
    let name = vec!["a".repeat(63); 17].join(".");
    assert_eq!(
        dom(&name, Profile::Stringprep),
        Err(JidError::PartTooLong {
            part: Part::Domainpart,
            len: 1087
        })
    );
}
