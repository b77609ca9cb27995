//! Common XMPP names, namespaces and attribute values as `'static` strings.
//!
//! A [`ByteString`] made with [`ByteString::from_static`] costs nothing to clone or drop,
//! whereas a slice of the stanza buffer costs two atomic operations on its reference count.
//! Element names, attribute names and namespaces repeat endlessly in XMPP, so mapping the
//! frequent ones to static strings removes most of that traffic.
//!
//! To add a string, put it into [`ENTRIES`] with slot `slot(key(string))`; if that slot is
//! taken, choose another multiplier in [`slot`] and recompute all slots. The unit test fails on
//! any collision or misplaced entry.

use bytestring::ByteString;

/// The interned strings with their slots in [`TABLE`] (generated offline with [`slot`] and
/// [`key`]).
static ENTRIES: [(usize, &str); 121] = [
    (20, "http://jabber.org/protocol/disco#items"),
    (25, "enable"),
    (27, "gone"),
    (46, "identifier"),
    (61, "replace"),
    (63, "stream"),
    (66, "jabber:iq:roster"),
    (82, "jabber:x"),
    (84, "query"),
    (88, "delay"),
    (101, "priority"),
    (109, "continue"),
    (120, "resource"),
    (147, "node"),
    (157, "error"),
    (160, "urn:xmpp:delay"),
    (170, "http://www.w3.org/XML/1998/namespace"),
    (179, "type"),
    (196, "items"),
    (208, "true"),
    (217, "jid"),
    (247, "name"),
    (252, "http://jabber.org/protocol/pubsub"),
    (258, "r"),
    (270, "body"),
    (281, "urn:ietf:params:xml:ns:xmpp-streams"),
    (282, "thread"),
    (283, "urn:xmpp:forward:0"),
    (296, "urn:xmpp:sm:3"),
    (305, "http://etherx.jabber.org/streams"),
    (310, "urn:xmpp:sid:0"),
    (337, "a"),
    (340, "urn:ietf:params:xml:ns:xmpp-bind"),
    (367, "lang"),
    (373, "http://jabber.org/protocol/disco"),
    (374, "jabber:x:data"),
    (376, "show"),
    (377, "headline"),
    (388, "xa"),
    (407, "features"),
    (408, "mechanisms"),
    (420, "urn:xmpp:stanza-id:0"),
    (441, "urn:xmpp:receipts"),
    (442, "get"),
    (444, "stamp"),
    (453, "field"),
    (456, "value"),
    (457, "away"),
    (471, "jabber:client"),
    (472, "urn:ietf:params:xml:ns:xmpp-tls"),
    (475, "parent"),
    (476, "jabber:server"),
    (483, "markable"),
    (490, "group"),
    (496, "remove"),
    (501, "urn:ietf:params:xml:ns:xmpp-sasl"),
    (508, "store"),
    (510, "from"),
    (524, "to"),
    (530, "private"),
    (531, "x"),
    (539, "presence"),
    (549, "set"),
    (557, "available"),
    (562, "both"),
    (566, "request"),
    (583, "composing"),
    (588, "modify"),
    (593, "subject"),
    (602, "inactive"),
    (614, "acknowledged"),
    (627, "status"),
    (628, "unsubscribed"),
    (639, "ver"),
    (640, "forwarded"),
    (646, "false"),
    (647, "stanza-id"),
    (657, "urn:xmpp:hints"),
    (664, "groupchat"),
    (672, "publish"),
    (673, "version"),
    (677, "urn:xmpp:carbons:2"),
    (707, "urn:xmpp:mam:2"),
    (729, "by"),
    (733, "subscribe"),
    (738, "none"),
    (739, "bind"),
    (749, "subscribed"),
    (754, "message"),
    (761, "item"),
    (771, "displayed"),
    (791, "probe"),
    (826, "http://jabber.org/protocol/chatstates"),
    (836, "auth"),
    (839, "jabber:iq:private"),
    (840, "iq"),
    (851, "mechanism"),
    (856, "chat"),
    (865, "en"),
    (875, "reason"),
    (876, "id"),
    (879, "cancel"),
    (881, "http://jabber.org/protocol/pubsub#event"),
    (894, "normal"),
    (913, "1.0"),
    (914, "urn:xmpp:ping"),
    (921, "http://jabber.org/protocol/disco#info"),
    (922, "event"),
    (927, "urn:xmpp:message-correct:0"),
    (935, "unavailable"),
    (949, "active"),
    (954, "urn:ietf:params:xml:ns:xmpp-stanzas"),
    (985, "paused"),
    (989, "unsubscribe"),
    (990, "result"),
    (1002, "origin-id"),
    (1008, "wait"),
    (1009, "forward"),
    (1010, "received"),
    (1011, "urn:xmpp:chat-markers:0"),
    (1015, "dnd"),
];

/// Slots of a perfect hash over the interned strings: 0 for none, else 1 + the index into
/// [`ENTRIES`] (one byte per slot keeps the table in a few cache lines).
static TABLE: [u8; 1024] = table();

// Evaluated at compile time, where an out-of-bounds index or a lossy cast is a build error,
// not a panic.
#[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
const fn table() -> [u8; 1024] {
    assert!(ENTRIES.len() < 255);
    let mut t = [0; 1024];
    let mut i = 0;
    while i < ENTRIES.len() {
        t[ENTRIES[i].0] = (i + 1) as u8;
        i += 1;
    }
    t
}

/// The key of `b` for [`slot`]: its first and last four bytes (two loads; overlapping for
/// short strings) and its length, or for strings shorter than four, its length and all its
/// bytes. Strings of at most eight bytes with the same length and key are equal.
#[inline]
fn key(b: &[u8]) -> Option<u64> {
    let n = b.len();
    Some(if n >= 4 {
        let head = crate::chars::half(b.get(..4)?);
        let tail = crate::chars::half(b.get(n - 4..)?);
        (u64::from(head) | u64::from(tail) << 32) ^ n as u64
    } else {
        let (&first, &last) = (b.first()?, b.last()?);
        let mid = b.get(n / 2).copied().unwrap_or(first);
        u64::from(first) | u64::from(mid) << 8 | u64::from(last) << 16 | (n as u64) << 24
    })
}

/// [`key`] at compile time, for [`KEYS`].
// Evaluated at compile time, where an out-of-bounds index is a build error, not a panic.
#[allow(clippy::indexing_slicing)]
const fn const_key(b: &[u8]) -> u64 {
    let n = b.len();
    if n >= 4 {
        let head = u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as u64;
        let tail = u32::from_le_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]]) as u64;
        (head | tail << 32) ^ n as u64
    } else {
        b[0] as u64 | (b[n / 2] as u64) << 8 | (b[n - 1] as u64) << 16 | (n as u64) << 24
    }
}

/// The key of each entry of [`ENTRIES`], in the same order: an entry of at most eight bytes
/// is recognised by its length and key alone.
static KEYS: [u64; 121] = keys();

#[allow(clippy::indexing_slicing)]
const fn keys() -> [u64; 121] {
    let mut k = [0; 121];
    let mut i = 0;
    while i < ENTRIES.len() {
        k[i] = const_key(ENTRIES[i].1.as_bytes());
        i += 1;
    }
    k
}

/// The slot in [`TABLE`] of a string with key `x`: a multiplicative hash, with a multiplier
/// chosen so that the interned strings never collide.
#[inline]
fn slot(x: u64) -> usize {
    // The shift leaves ten bits: always an index into the 1024 slots.
    usize::try_from(x.wrapping_mul(0x5790_F82E_C1D3_FCFF) >> 54).unwrap_or(0)
}

/// The static twin of `s`, if `s` is a frequent XMPP name, namespace or attribute value.
#[inline]
pub(crate) fn intern(s: &str) -> Option<ByteString> {
    intern_bytes(s.as_bytes())
}

/// [`intern`] for bytes (a match is always valid UTF-8: it equals a static `str`).
#[inline]
pub(crate) fn intern_bytes(b: &[u8]) -> Option<ByteString> {
    let x = key(b)?;
    let i = usize::from(*TABLE.get(slot(x))?).checked_sub(1)?;
    let &(_, cand) = ENTRIES.get(i)?;
    let same = if b.len() <= 8 {
        cand.len() == b.len() && KEYS.get(i) == Some(&x)
    } else {
        crate::chars::bytes_eq(cand.as_bytes(), b)
    };
    same.then(|| ByteString::from_static(cand))
}

/// Every interned string, for tests.
#[cfg(test)]
pub(crate) fn all() -> impl Iterator<Item = &'static str> {
    TABLE
        .iter()
        .filter_map(|&i| ENTRIES.get(usize::from(i).checked_sub(1)?))
        .map(|&(_, s)| s)
}

#[cfg(test)]
mod tests {
    use super::intern;

    #[test]
    fn interned_strings_are_equal_to_their_input() {
        for s in [
            "message",
            "jabber:client",
            "urn:xmpp:chat-markers:0",
            "http://jabber.org/protocol/chatstates",
            "http://etherx.jabber.org/streams",
            "urn:xmpp:receipts",
            "id",
        ] {
            assert_eq!(intern(s).as_deref(), Some(s), "{s} should be interned");
        }
        assert_eq!(intern("not-a-common-name"), None);
        assert_eq!(intern(""), None);
        for (i, &(slot, s)) in super::ENTRIES.iter().enumerate() {
            let key = super::key(s.as_bytes());
            assert_eq!(key, super::KEYS.get(i).copied(), "{s}");
            assert_eq!(key.map(super::slot), Some(slot), "{s}");
        }
        // Near misses: another last or only byte, one more byte, and (longer than eight, so
        // compared byte-wise) the same length, first and last four bytes as `jabber:client`.
        for s in ["messagf", "messxage", "ie", "iq ", "jabber:cXient"] {
            assert_eq!(intern(s), None, "{s}");
        }
        assert_eq!(super::all().count(), 121);
        for s in super::all() {
            assert_eq!(intern(s).as_deref(), Some(s));
            // A near miss hashes elsewhere or fails the comparison.
            assert_eq!(intern(&format!("{s}x")), None);
        }
    }
}
