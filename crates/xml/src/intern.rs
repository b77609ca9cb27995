//! Common XMPP names, namespaces and attribute values as `'static` strings.
//!
//! A [`ByteString`] made with [`ByteString::from_static`] costs nothing to clone or drop,
//! whereas a slice of the stanza buffer costs two atomic operations on its reference count.
//! Element names, attribute names and namespaces repeat endlessly in XMPP, so mapping the
//! frequent ones to static strings removes most of that traffic.
//!
//! To add a string, put it into [`ENTRIES`] at index `slot(string)`; if that slot is taken,
//! choose another multiplier in [`slot`] and recompute all slots. The unit test fails on any
//! collision or misplaced entry.

use bytestring::ByteString;

/// The interned strings with their slots in [`TABLE`] (generated offline with [`slot`]).
static ENTRIES: [(usize, &str); 121] = [
    (2, "ver"),
    (6, "paused"),
    (17, "urn:ietf:params:xml:ns:xmpp-sasl"),
    (20, "show"),
    (30, "urn:ietf:params:xml:ns:xmpp-streams"),
    (34, "mechanism"),
    (36, "headline"),
    (41, "stanza-id"),
    (51, "unavailable"),
    (93, "dnd"),
    (98, "subject"),
    (99, "http://jabber.org/protocol/disco#items"),
    (105, "set"),
    (114, "inactive"),
    (134, "urn:xmpp:forward:0"),
    (136, "urn:xmpp:hints"),
    (139, "displayed"),
    (163, "parent"),
    (171, "status"),
    (181, "urn:ietf:params:xml:ns:xmpp-stanzas"),
    (190, "by"),
    (199, "x"),
    (202, "urn:xmpp:chat-markers:0"),
    (206, "jid"),
    (237, "http://jabber.org/protocol/chatstates"),
    (249, "active"),
    (251, "enable"),
    (252, "markable"),
    (258, "continue"),
    (282, "query"),
    (288, "body"),
    (289, "resource"),
    (302, "field"),
    (314, "iq"),
    (319, "true"),
    (339, "stream"),
    (342, "group"),
    (356, "http://jabber.org/protocol/pubsub#event"),
    (358, "item"),
    (371, "http://etherx.jabber.org/streams"),
    (380, "groupchat"),
    (382, "available"),
    (388, "probe"),
    (393, "bind"),
    (400, "http://jabber.org/protocol/pubsub"),
    (412, "items"),
    (426, "1.0"),
    (436, "id"),
    (489, "remove"),
    (492, "replace"),
    (493, "none"),
    (504, "false"),
    (506, "from"),
    (524, "lang"),
    (533, "both"),
    (543, "mechanisms"),
    (545, "result"),
    (558, "wait"),
    (562, "node"),
    (566, "a"),
    (597, "urn:ietf:params:xml:ns:xmpp-tls"),
    (603, "name"),
    (605, "auth"),
    (606, "urn:xmpp:sm:3"),
    (607, "r"),
    (611, "jabber:server"),
    (615, "presence"),
    (624, "http://jabber.org/protocol/disco#info"),
    (637, "message"),
    (649, "xa"),
    (650, "private"),
    (651, "jabber:x"),
    (653, "store"),
    (661, "composing"),
    (666, "normal"),
    (669, "urn:xmpp:message-correct:0"),
    (670, "error"),
    (671, "cancel"),
    (673, "features"),
    (679, "subscribed"),
    (688, "away"),
    (689, "value"),
    (706, "urn:xmpp:receipts"),
    (707, "urn:ietf:params:xml:ns:xmpp-bind"),
    (709, "jabber:iq:roster"),
    (734, "priority"),
    (739, "version"),
    (741, "urn:xmpp:ping"),
    (753, "http://jabber.org/protocol/disco"),
    (758, "delay"),
    (761, "unsubscribed"),
    (779, "origin-id"),
    (780, "thread"),
    (783, "request"),
    (798, "urn:xmpp:stanza-id:0"),
    (799, "received"),
    (802, "event"),
    (819, "urn:xmpp:mam:2"),
    (822, "urn:xmpp:carbons:2"),
    (823, "acknowledged"),
    (829, "chat"),
    (832, "modify"),
    (837, "http://www.w3.org/XML/1998/namespace"),
    (845, "forward"),
    (866, "type"),
    (872, "reason"),
    (880, "jabber:x:data"),
    (883, "to"),
    (886, "urn:xmpp:delay"),
    (888, "forwarded"),
    (896, "jabber:client"),
    (905, "jabber:iq:private"),
    (916, "unsubscribe"),
    (930, "stamp"),
    (931, "subscribe"),
    (933, "urn:xmpp:sid:0"),
    (944, "en"),
    (946, "publish"),
    (961, "identifier"),
    (971, "get"),
    (999, "gone"),
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

/// The slot of `b` in [`TABLE`]: a multiplicative hash of the length and four bytes (no
/// division), with a multiplier chosen so that the interned strings never collide.
#[inline]
fn slot(b: &[u8]) -> Option<usize> {
    let n = b.len();
    let (&first, &last) = (b.first()?, b.last()?);
    let (&mid, &penultimate) = (b.get(n / 2)?, b.get(n.saturating_sub(2))?);
    let x = (n as u64 & 0xFF)
        | u64::from(first) << 8
        | u64::from(last) << 16
        | u64::from(mid) << 24
        | u64::from(penultimate) << 32;
    usize::try_from(x.wrapping_mul(0x26ED_F1BD_2785_5799) >> 54).ok()
}

/// The static twin of `s`, if `s` is a frequent XMPP name, namespace or attribute value.
#[inline]
pub(crate) fn intern(s: &str) -> Option<ByteString> {
    intern_bytes(s.as_bytes())
}

/// [`intern`] for bytes (a match is always valid UTF-8: it equals a static `str`).
#[inline]
pub(crate) fn intern_bytes(b: &[u8]) -> Option<ByteString> {
    let i = usize::from(*TABLE.get(slot(b)?)?);
    let &(_, cand) = ENTRIES.get(i.checked_sub(1)?)?;
    crate::chars::bytes_eq(cand.as_bytes(), b).then(|| ByteString::from_static(cand))
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
        assert_eq!(super::all().count(), 121);
        for s in super::all() {
            assert_eq!(intern(s).as_deref(), Some(s));
            // A near miss hashes elsewhere or fails the comparison.
            assert_eq!(intern(&format!("{s}x")), None);
        }
    }
}
