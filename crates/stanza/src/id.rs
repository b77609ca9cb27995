//! Identifiers: stream ids, nonces and stanza ids, all from UUIDs (RFC 9562, formerly RFC 4122).
//!
//! Version 4 (122 random bits) where an id must be unguessable: stream ids (RFC 6120 §4.7.3
//! wants them unpredictable) and nonces. Version 7 (48-bit Unix milliseconds, then random bits)
//! where sorting by id should follow creation time, as for archive and stanza ids.

use uuid::Uuid;

/// A fresh stream id for the `id` attribute of the response stream header (RFC 6120 §4.7.3):
/// a random (v4) UUID in hyphenated form.
pub fn stream_id() -> String {
    Uuid::new_v4().hyphenated().to_string()
}

/// A random nonce: a v4 UUID as 32 lowercase hex digits (122 bits of randomness).
pub fn nonce() -> String {
    Uuid::new_v4().simple().to_string()
}

/// An id whose lexical order follows creation time (v7 UUID, hyphenated), for stanza and
/// archive ids (XEP-0359, XEP-0313) where paging by id should page by time.
pub fn time_ordered_id() -> String {
    Uuid::now_v7().hyphenated().to_string()
}

/// An id for a stanza the server generates itself (e.g. a ping or a roster push): a random
/// (v4) UUID in hyphenated form, so peers cannot predict ids to spoof replies.
pub fn new_id() -> String {
    Uuid::new_v4().hyphenated().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn version(s: &str) -> usize {
        Uuid::parse_str(s).expect("a UUID").get_version_num()
    }

    #[test]
    fn versions_and_variant() {
        assert_eq!(version(&stream_id()), 4);
        assert_eq!(version(&nonce()), 4);
        assert_eq!(version(&new_id()), 4);
        assert_eq!(version(&time_ordered_id()), 7);
        for s in [stream_id(), nonce(), new_id(), time_ordered_id()] {
            assert_eq!(
                Uuid::parse_str(&s).unwrap().get_variant(),
                uuid::Variant::RFC4122
            );
        }
        assert_eq!(nonce().len(), 32);
        assert!(
            nonce()
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        assert_eq!(stream_id().len(), 36);
    }

    #[test]
    fn unique() {
        let mut seen = HashSet::new();
        for _ in 0..2000 {
            assert!(seen.insert(stream_id()));
            assert!(seen.insert(new_id()));
            assert!(seen.insert(nonce()));
            assert!(seen.insert(time_ordered_id()));
        }
    }

    #[test]
    fn time_ordered_ids_sort_by_creation_time() {
        let a = time_ordered_id();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = time_ordered_id();
        assert!(a < b, "{a} should sort before {b}");
    }
}
