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
    (19, "available"),
    (22, "enable"),
    (36, "to"),
    (42, "urn:xmpp:receipts"),
    (63, "jabber:server"),
    (64, "error"),
    (69, "parent"),
    (100, "field"),
    (104, "urn:ietf:params:xml:ns:xmpp-bind"),
    (106, "urn:ietf:params:xml:ns:xmpp-tls"),
    (118, "show"),
    (122, "iq"),
    (132, "urn:xmpp:carbons:2"),
    (136, "1.0"),
    (137, "displayed"),
    (150, "urn:ietf:params:xml:ns:xmpp-stanzas"),
    (155, "en"),
    (174, "inactive"),
    (179, "stamp"),
    (202, "mechanism"),
    (214, "http://jabber.org/protocol/disco"),
    (227, "away"),
    (237, "request"),
    (247, "normal"),
    (248, "active"),
    (249, "received"),
    (252, "status"),
    (268, "true"),
    (270, "subscribe"),
    (280, "urn:xmpp:stanza-id:0"),
    (303, "ver"),
    (305, "urn:xmpp:sm:3"),
    (306, "x"),
    (310, "urn:xmpp:chat-markers:0"),
    (357, "none"),
    (358, "priority"),
    (359, "node"),
    (367, "markable"),
    (379, "reason"),
    (393, "urn:xmpp:delay"),
    (396, "query"),
    (413, "http://jabber.org/protocol/pubsub"),
    (415, "publish"),
    (420, "urn:ietf:params:xml:ns:xmpp-streams"),
    (431, "http://jabber.org/protocol/disco#info"),
    (432, "presence"),
    (434, "forward"),
    (442, "event"),
    (446, "version"),
    (451, "continue"),
    (471, "urn:xmpp:hints"),
    (479, "jid"),
    (505, "items"),
    (507, "jabber:iq:roster"),
    (509, "http://www.w3.org/XML/1998/namespace"),
    (533, "both"),
    (534, "headline"),
    (536, "jabber:x"),
    (545, "chat"),
    (546, "store"),
    (561, "urn:xmpp:sid:0"),
    (576, "jabber:iq:private"),
    (594, "urn:xmpp:message-correct:0"),
    (606, "features"),
    (607, "bind"),
    (609, "gone"),
    (610, "item"),
    (621, "remove"),
    (622, "http://etherx.jabber.org/streams"),
    (630, "r"),
    (640, "origin-id"),
    (645, "replace"),
    (650, "by"),
    (651, "private"),
    (663, "mechanisms"),
    (666, "dnd"),
    (692, "unsubscribe"),
    (695, "a"),
    (698, "urn:xmpp:ping"),
    (721, "delay"),
    (726, "value"),
    (733, "xa"),
    (741, "forwarded"),
    (749, "stream"),
    (780, "modify"),
    (781, "jabber:client"),
    (801, "id"),
    (803, "groupchat"),
    (810, "get"),
    (813, "composing"),
    (816, "set"),
    (820, "urn:xmpp:mam:2"),
    (825, "urn:ietf:params:xml:ns:xmpp-sasl"),
    (830, "http://jabber.org/protocol/pubsub#event"),
    (841, "resource"),
    (843, "type"),
    (844, "false"),
    (846, "stanza-id"),
    (848, "identifier"),
    (855, "acknowledged"),
    (865, "thread"),
    (869, "http://jabber.org/protocol/disco#items"),
    (880, "group"),
    (894, "body"),
    (900, "wait"),
    (902, "cancel"),
    (910, "probe"),
    (911, "unavailable"),
    (915, "auth"),
    (927, "result"),
    (932, "unsubscribed"),
    (949, "name"),
    (955, "subject"),
    (982, "urn:xmpp:forward:0"),
    (987, "paused"),
    (991, "from"),
    (995, "message"),
    (1002, "lang"),
    (1011, "http://jabber.org/protocol/chatstates"),
    (1017, "jabber:x:data"),
    (1023, "subscribed"),
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

/// The slot of `b` in [`TABLE`]: a multiplicative hash of the length and five bytes, with a
/// multiplier chosen so that the interned strings never collide.
#[inline]
fn slot(b: &[u8]) -> Option<usize> {
    let (&first, &last) = (b.first()?, b.last()?);
    let (&mid, &third) = (b.get(b.len() / 2)?, b.get(b.len() / 3)?);
    let &penultimate = b.get(b.len().saturating_sub(2))?;
    let x = (b.len() as u64 & 0xFF)
        | u64::from(first) << 8
        | u64::from(last) << 16
        | u64::from(mid) << 24
        | u64::from(third) << 32
        | u64::from(penultimate) << 40;
    usize::try_from(x.wrapping_mul(0xA140_205C_6FF0_4C0B) >> 54).ok()
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
