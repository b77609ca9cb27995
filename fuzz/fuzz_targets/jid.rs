//! Fuzz target for `waxwing-jid`: arbitrary bytes, if UTF-8, are parsed under both
//! profiles. Parsing never panics; an accepted address is already prepared (parsing its
//! display gives it back) and each of its parts is a fixed point of preparation; the
//! profile comparison never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;
use waxwing_jid::{
    Jid, Profile, localpart_disagreement, prepare_domainpart, prepare_localpart,
    prepare_resourcepart, profiles_disagree,
};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    for profile in [Profile::Precis, Profile::Stringprep] {
        if let Ok(jid) = Jid::parse_with(s, profile) {
            let shown = jid.to_string();
            assert_eq!(Jid::parse_with(&shown, profile).as_ref(), Ok(&jid));
            if let Some(node) = jid.node() {
                assert_eq!(prepare_localpart(node, profile).as_deref(), Ok(node));
            }
            assert_eq!(
                prepare_domainpart(jid.domain(), profile).as_deref(),
                Ok(jid.domain())
            );
            if let Some(resource) = jid.resource() {
                assert_eq!(
                    prepare_resourcepart(resource, profile).as_deref(),
                    Ok(resource)
                );
            }
            assert_eq!(
                jid.to_bare().as_str(),
                shown.split('/').next().unwrap_or("")
            );
        }
        // The whole input as a single part, too: preparation is idempotent.
        if let Ok(node) = prepare_localpart(s, profile) {
            assert_eq!(prepare_localpart(&node, profile).as_ref(), Ok(&node));
        }
        if let Ok(domain) = prepare_domainpart(s, profile) {
            assert_eq!(prepare_domainpart(&domain, profile).as_ref(), Ok(&domain));
        }
        if let Ok(resource) = prepare_resourcepart(s, profile) {
            assert_eq!(
                prepare_resourcepart(&resource, profile).as_ref(),
                Ok(&resource)
            );
        }
    }
    let _ = profiles_disagree(s);
    let _ = localpart_disagreement(s);
});
