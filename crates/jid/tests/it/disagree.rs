//! Where PRECIS (RFC 7622) and stringprep (RFC 6122) part ways.

use waxwing_jid::{
    Disagreement, Jid, JidError, Part, Profile, domainpart_disagreement, localpart_disagreement,
    profiles_disagree, resourcepart_disagreement,
};

#[test]
fn agreement_is_none() {
    assert_eq!(profiles_disagree("juliet@example.com/balcony"), None);
    assert_eq!(profiles_disagree("Juliet@Example.com"), None);
    assert_eq!(localpart_disagreement("juliet"), None);
    // Both refusing is agreement too.
    assert_eq!(profiles_disagree("foo bar@example.com"), None);
    assert_eq!(profiles_disagree("juliet@"), None);
}

#[test]
fn different_prepared_forms() {
    let jid = |s, p| Jid::parse_with(s, p).unwrap();
    assert_eq!(
        profiles_disagree("fu\u{DF}ball@example.com"),
        Some(Disagreement::DifferentForms {
            precis: jid("fu\u{DF}ball@example.com", Profile::Precis),
            stringprep: jid("fussball@example.com", Profile::Stringprep),
        })
    );
    assert_eq!(
        localpart_disagreement("\u{3C2}"),
        Some(Disagreement::DifferentForms {
            precis: "\u{3C2}".to_owned(),
            stringprep: "\u{3C3}".to_owned(),
        })
    );
    // Resourceprep applies NFKC, OpaqueString only NFC.
    assert_eq!(
        resourcepart_disagreement("\u{FB01}"),
        Some(Disagreement::DifferentForms {
            precis: "\u{FB01}".to_owned(),
            stringprep: "fi".to_owned(),
        })
    );
    assert_eq!(
        domainpart_disagreement("fa\u{DF}.de"),
        Some(Disagreement::DifferentForms {
            precis: "fa\u{DF}.de".to_owned(),
            stringprep: "fass.de".to_owned(),
        })
    );
}

#[test]
fn only_stringprep_accepts() {
    assert_eq!(
        localpart_disagreement("\u{265A}"),
        Some(Disagreement::OnlyStringprepAccepts {
            stringprep: "\u{265A}".to_owned(),
            precis_error: JidError::Disallowed {
                part: Part::Localpart,
                codepoint: '\u{265A}'
            },
        })
    );
    assert!(matches!(
        profiles_disagree("henry\u{2163}@example.com"),
        Some(Disagreement::OnlyStringprepAccepts { stringprep, .. }) if stringprep.node() == Some("henryiv")
    ));
    // A soft hyphen vanishes under stringprep and is disallowed under PRECIS.
    assert!(matches!(
        localpart_disagreement("a\u{AD}b"),
        Some(Disagreement::OnlyStringprepAccepts { .. })
    ));
}

#[test]
fn only_precis_accepts() {
    // U+0221 was unassigned in Unicode 3.2.
    assert_eq!(
        localpart_disagreement("\u{221}"),
        Some(Disagreement::OnlyPrecisAccepts {
            precis: "\u{221}".to_owned(),
            stringprep_error: JidError::Disallowed {
                part: Part::Localpart,
                codepoint: '\u{221}'
            },
        })
    );
    assert!(matches!(
        profiles_disagree("\u{221}@example.com"),
        Some(Disagreement::OnlyPrecisAccepts { .. })
    ));
}
