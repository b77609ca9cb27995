//! The typed API: conversions, equality, hashing, display and parsing.

use std::collections::HashSet;
use std::str::FromStr;

use waxwing_jid::{BareJid, FullJid, Jid, JidError, Part, Profile};

#[test]
fn accessors_and_kinds() {
    let full = Jid::parse("juliet@example.com/balcony").unwrap();
    assert!(full.is_full() && !full.is_bare());
    assert_eq!(full.node(), Some("juliet"));
    assert_eq!(full.domain(), "example.com");
    assert_eq!(full.resource(), Some("balcony"));
    assert_eq!(full.as_str(), "juliet@example.com/balcony");
    assert_eq!(full.to_bare().as_str(), "juliet@example.com");

    let domain = Jid::parse("example.com").unwrap();
    assert!(domain.is_bare() && !domain.is_full());
    assert_eq!(domain.node(), None);
    assert_eq!(domain.resource(), None);
    assert_eq!(domain.to_bare().as_str(), "example.com");

    let service = Jid::parse("example.com/admin@x").unwrap();
    assert_eq!(service.node(), None);
    assert_eq!(service.domain(), "example.com");
    assert_eq!(service.resource(), Some("admin@x"));
}

#[test]
fn try_into_full_and_bare() {
    let full = Jid::parse("juliet@example.com/balcony").unwrap();
    let f = full.clone().try_into_full().unwrap();
    assert_eq!(f.resource(), "balcony");
    assert_eq!(f.node(), Some("juliet"));
    assert_eq!(f.domain(), "example.com");
    assert_eq!(f.to_bare().as_str(), "juliet@example.com");
    assert_eq!(full.clone().try_into_bare().unwrap_err(), f);

    let bare = Jid::parse("juliet@example.com").unwrap();
    let b = bare.clone().try_into_full().unwrap_err();
    assert_eq!(b.as_str(), "juliet@example.com");

    assert_eq!(
        FullJid::try_from(bare.clone()),
        Err(JidError::MissingResource)
    );
    assert_eq!(
        BareJid::try_from(full.clone()),
        Err(JidError::UnexpectedResource)
    );
    assert_eq!(BareJid::try_from(bare.clone()).unwrap(), b);
    assert_eq!(FullJid::try_from(full.clone()).unwrap(), f);
}

#[test]
fn typed_parsers_refuse_the_other_kind() {
    assert_eq!(
        BareJid::parse("juliet@example.com/r"),
        Err(JidError::UnexpectedResource)
    );
    assert_eq!(
        FullJid::parse("juliet@example.com"),
        Err(JidError::MissingResource)
    );
    assert_eq!(
        FullJid::parse("juliet@example.com/"),
        Err(JidError::Empty(Part::Resourcepart))
    );
    assert!(BareJid::parse_with("JULIET@example.com", Profile::Stringprep).is_ok());
    assert!(FullJid::parse_with("juliet@example.com/R", Profile::Stringprep).is_ok());
}

#[test]
fn equality_across_types() {
    let bare = BareJid::parse("juliet@example.com").unwrap();
    let full = FullJid::parse("juliet@example.com/balcony").unwrap();
    let jb: Jid = bare.clone().into();
    let jf: Jid = full.clone().into();
    assert_eq!(jb, bare);
    assert_eq!(bare, jb);
    assert_eq!(jf, full);
    assert_eq!(full, jf);
    assert_ne!(jf, bare);
    assert_ne!(jb, full);
    // Equality is on the prepared form.
    assert_eq!(BareJid::parse("JULIET@EXAMPLE.COM.").unwrap(), bare);
}

#[test]
fn hash_and_order_follow_the_prepared_form() {
    let mut set = HashSet::new();
    set.insert(Jid::parse("juliet@example.com").unwrap());
    assert!(set.contains(&Jid::parse("Juliet@Example.com").unwrap()));
    assert!(!set.contains(&Jid::parse("juliet@example.com/r").unwrap()));
    let a = Jid::parse("a@example.com").unwrap();
    let b = Jid::parse("B@example.com").unwrap();
    assert!(a < b);
}

#[test]
fn display_and_from_str() {
    let jid: Jid = "Juliet@Example.com/Balcony".parse().unwrap();
    assert_eq!(jid.to_string(), "juliet@example.com/Balcony");
    let bare = BareJid::from_str("Juliet@Example.com").unwrap();
    assert_eq!(format!("{bare}"), "juliet@example.com");
    let full = FullJid::from_str("example.com/x").unwrap();
    assert_eq!(full.to_string(), "example.com/x");
    assert!("juliet@".parse::<Jid>().is_err());
    assert!("juliet@example.com/r".parse::<BareJid>().is_err());
    assert_eq!(format!("{jid:?}"), "Jid(\"juliet@example.com/Balcony\")");
}

#[test]
fn with_resource_prepares_the_resource() {
    let bare = BareJid::parse("juliet@example.com").unwrap();
    let full = bare.with_resource("bal\u{A0}cony").unwrap();
    assert_eq!(full.as_str(), "juliet@example.com/bal cony");
    assert_eq!(
        bare.with_resource(""),
        Err(JidError::Empty(Part::Resourcepart))
    );
    assert_eq!(
        bare.with_resource("a\u{7}"),
        Err(JidError::Disallowed {
            part: Part::Resourcepart,
            codepoint: '\u{7}'
        })
    );
    // `/` and `@` are fine in a resource.
    assert_eq!(bare.with_resource("a/b@c").unwrap().resource(), "a/b@c");
    let sp = bare
        .with_resource_using("\u{FB01}", Profile::Stringprep)
        .unwrap();
    assert_eq!(sp.resource(), "fi");
}

#[test]
fn from_parts_and_domain_jid() {
    let bare = BareJid::from_parts(Some("Juliet"), "Example.com").unwrap();
    assert_eq!(bare.as_str(), "juliet@example.com");
    assert_eq!(bare.domain_jid().as_str(), "example.com");
    assert_eq!(bare.domain_jid().domain_jid(), bare.domain_jid());
    assert_eq!(
        BareJid::from_parts(None, "example.com").unwrap().as_str(),
        "example.com"
    );
    // Parts are prepared individually: delimiters cannot smuggle in another part.
    assert!(BareJid::from_parts(Some("a@b"), "example.com").is_err());
    assert!(BareJid::from_parts(Some("a/b"), "example.com").is_err());
    assert!(BareJid::from_parts(None, "example.com/r").is_err());
    assert!(BareJid::from_parts(None, "a@example.com").is_err());
    assert_eq!(
        BareJid::from_parts(Some(""), "example.com"),
        Err(JidError::Empty(Part::Localpart))
    );
    let full = FullJid::from_parts(Some("juliet"), "example.com", "r/1").unwrap();
    assert_eq!(full.as_str(), "juliet@example.com/r/1");
    let any = Jid::from_parts(None, "example.com", Some("r")).unwrap();
    assert_eq!(any, FullJid::parse("example.com/r").unwrap());
    let sp =
        BareJid::from_parts_with(Some("fu\u{DF}ball"), "example.com", Profile::Stringprep).unwrap();
    assert_eq!(sp.node(), Some("fussball"));
}

#[test]
fn clone_shares_the_storage() {
    let jid = Jid::parse("juliet@example.com/balcony").unwrap();
    let copy = jid.clone();
    assert!(std::ptr::eq(jid.as_str(), copy.as_str()));
    let bare = BareJid::parse("juliet@example.com").unwrap();
    assert!(std::ptr::eq(
        Jid::from(bare.clone()).to_bare().as_str(),
        bare.as_str()
    ));
}

#[test]
fn errors_name_the_part() {
    let e = Jid::parse("foo bar@example.com").unwrap_err();
    assert_eq!(
        e.to_string(),
        "localpart contains the disallowed code point U+0020"
    );
    let e = Jid::parse("example.com/").unwrap_err();
    assert_eq!(e.to_string(), "resourcepart is empty");
}
