//! Property tests: preparation is idempotent and parse/display round-trips, under both
//! profiles, on arbitrary and on address-shaped input.

use proptest::prelude::*;
use waxwing_jid::{
    Jid, Profile, prepare_domainpart, prepare_localpart, prepare_resourcepart, profiles_disagree,
};

const PROFILES: [Profile; 2] = [Profile::Precis, Profile::Stringprep];

/// Characters that exercise the interesting tables: ASCII, delimiters, B.1, case, sigma,
/// ß, compatibility forms, bidi, combining marks, full-width forms, IDNA dots.
fn interesting_char() -> impl Strategy<Value = char> {
    prop_oneof![
        4 => proptest::char::range('a', 'z'),
        2 => proptest::char::range('A', 'Z'),
        1 => proptest::sample::select(vec![
            '@', '/', '.', '-', ' ', '"', '\\', '\u{AD}', '\u{200B}', '\u{200D}', '\u{DF}', '\u{3A3}',
            '\u{3C2}', '\u{3C3}', '\u{130}', '\u{2163}', '\u{FB01}', '\u{2121}', '\u{5D0}',
            '\u{627}', '\u{301}', '\u{340}', '\u{FF21}', '\u{FF20}', '\u{3002}', '\u{FF0E}',
            '\u{A0}', '\u{E9}', '\u{FC}', '\u{265A}', '1', '[', ']', ':',
        ]),
        1 => any::<char>(),
    ]
}

fn interesting_string(max: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(interesting_char(), 0..max).prop_map(|v| v.into_iter().collect())
}

fn address() -> impl Strategy<Value = String> {
    (
        proptest::option::of(interesting_string(12)),
        interesting_string(16),
        proptest::option::of(interesting_string(12)),
    )
        .prop_map(|(n, d, r)| {
            let mut s = String::new();
            if let Some(n) = n {
                s.push_str(&n);
                s.push('@');
            }
            s.push_str(&d);
            if let Some(r) = r {
                s.push('/');
                s.push_str(&r);
            }
            s
        })
}

fn check_parts(s: &str) {
    for p in PROFILES {
        type Prep = fn(&str, Profile) -> Result<String, waxwing_jid::JidError>;
        let preps: [Prep; 3] = [prepare_localpart, prepare_domainpart, prepare_resourcepart];
        for prep in preps {
            if let Ok(once) = prep(s, p) {
                assert_eq!(prep(&once, p).as_ref(), Ok(&once), "{s:?} under {p:?}");
            }
        }
    }
}

fn check_address(s: &str) {
    for p in PROFILES {
        if let Ok(jid) = Jid::parse_with(s, p) {
            let shown = format!("{jid}");
            let again = Jid::parse_with(&shown, p);
            assert_eq!(again.as_ref(), Ok(&jid), "{s:?} under {p:?}");
            if let Some(r) = jid.resource() {
                assert_eq!(prepare_resourcepart(r, p).as_deref(), Ok(r));
            }
        }
    }
    let _ = profiles_disagree(s);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn part_preparation_is_idempotent(s in interesting_string(24)) {
        check_parts(&s);
    }

    #[test]
    fn parse_display_round_trips(s in address()) {
        check_address(&s);
    }

    #[test]
    fn arbitrary_strings_never_panic_and_round_trip(s in any::<String>()) {
        check_parts(&s);
        check_address(&s);
    }

    #[test]
    fn valid_ascii_addresses_round_trip(
        n in "[a-zA-Z0-9._-]{1,20}",
        d in "[a-zA-Z][a-zA-Z0-9]{0,10}(\\.[a-zA-Z][a-zA-Z0-9]{0,10}){0,3}",
        r in "[ -~]{1,20}",
    ) {
        let s = format!("{n}@{d}/{r}");
        for p in PROFILES {
            let jid = Jid::parse_with(&s, p).unwrap();
            let lower = n.to_lowercase();
            prop_assert_eq!(jid.node(), Some(lower.as_str()));
            prop_assert_eq!(jid.domain(), d.to_lowercase());
            prop_assert_eq!(jid.resource(), Some(r.as_str()));
            prop_assert_eq!(Jid::parse_with(jid.as_str(), p).unwrap(), jid);
        }
    }
}
