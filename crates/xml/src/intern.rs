//! Common XMPP names, namespaces and attribute values as `'static` strings.
//!
//! A [`ByteString`] made with [`ByteString::from_static`] costs nothing to clone or drop,
//! whereas a slice of the stanza buffer costs two atomic operations on its reference count.
//! Element names, attribute names and namespaces repeat endlessly in XMPP, so mapping the
//! frequent ones to static strings removes most of that traffic.

use bytestring::ByteString;

/// The static twin of `s`, if `s` is a frequent XMPP name or namespace.
#[inline]
pub(crate) fn intern(s: &str) -> Option<ByteString> {
    let b = s.as_bytes();
    let (Some(&first), Some(&last)) = (b.first(), b.last()) else { return None };
    // Length, first and last byte select (nearly always) one candidate; one comparison decides.
    let candidates: &[&'static str] = match (b.len(), first, last) {
        (1, b'a', b'a') => &["a"],
        (1, b'r', b'r') => &["r"],
        (1, b'x', b'x') => &["x"],
        (2, b'b', b'y') => &["by"],
        (2, b'e', b'n') => &["en"],
        (2, b'i', b'd') => &["id"],
        (2, b'i', b'q') => &["iq"],
        (2, b't', b'o') => &["to"],
        (2, b'x', b'a') => &["xa"],
        (3, b'1', b'0') => &["1.0"],
        (3, b'd', b'd') => &["dnd"],
        (3, b'g', b't') => &["get"],
        (3, b'j', b'd') => &["jid"],
        (3, b's', b't') => &["set"],
        (3, b'v', b'r') => &["ver"],
        (4, b'a', b'h') => &["auth"],
        (4, b'a', b'y') => &["away"],
        (4, b'b', b'd') => &["bind"],
        (4, b'b', b'h') => &["both"],
        (4, b'b', b'y') => &["body"],
        (4, b'c', b't') => &["chat"],
        (4, b'f', b'm') => &["from"],
        (4, b'g', b'e') => &["gone"],
        (4, b'i', b'm') => &["item"],
        (4, b'l', b'g') => &["lang"],
        (4, b'n', b'e') => &["node", "name", "none"],
        (4, b's', b'w') => &["show"],
        (4, b't', b'e') => &["type", "true"],
        (4, b'w', b't') => &["wait"],
        (5, b'd', b'y') => &["delay"],
        (5, b'e', b'r') => &["error"],
        (5, b'e', b't') => &["event"],
        (5, b'f', b'd') => &["field"],
        (5, b'f', b'e') => &["false"],
        (5, b'g', b'p') => &["group"],
        (5, b'i', b's') => &["items"],
        (5, b'p', b'e') => &["probe"],
        (5, b'q', b'y') => &["query"],
        (5, b's', b'e') => &["store"],
        (5, b's', b'p') => &["stamp"],
        (5, b'v', b'e') => &["value"],
        (6, b'a', b'e') => &["active"],
        (6, b'c', b'l') => &["cancel"],
        (6, b'e', b'e') => &["enable"],
        (6, b'm', b'y') => &["modify"],
        (6, b'n', b'l') => &["normal"],
        (6, b'p', b'd') => &["paused"],
        (6, b'p', b't') => &["parent"],
        (6, b'r', b'e') => &["remove"],
        (6, b'r', b'n') => &["reason"],
        (6, b'r', b't') => &["result"],
        (6, b's', b'm') => &["stream"],
        (6, b's', b's') => &["status"],
        (6, b't', b'd') => &["thread"],
        (7, b'f', b'd') => &["forward"],
        (7, b'm', b'e') => &["message"],
        (7, b'p', b'e') => &["private"],
        (7, b'p', b'h') => &["publish"],
        (7, b'r', b'e') => &["replace"],
        (7, b'r', b't') => &["request"],
        (7, b's', b't') => &["subject"],
        (7, b'v', b'n') => &["version"],
        (8, b'c', b'e') => &["continue"],
        (8, b'f', b's') => &["features"],
        (8, b'h', b'e') => &["headline"],
        (8, b'i', b'e') => &["inactive"],
        (8, b'j', b'x') => &["jabber:x"],
        (8, b'm', b'e') => &["markable"],
        (8, b'p', b'e') => &["presence"],
        (8, b'p', b'y') => &["priority"],
        (8, b'r', b'd') => &["received"],
        (8, b'r', b'e') => &["resource"],
        (9, b'a', b'e') => &["available"],
        (9, b'c', b'g') => &["composing"],
        (9, b'd', b'd') => &["displayed"],
        (9, b'f', b'd') => &["forwarded"],
        (9, b'g', b't') => &["groupchat"],
        (9, b'm', b'm') => &["mechanism"],
        (9, b'o', b'd') => &["origin-id"],
        (9, b's', b'd') => &["stanza-id"],
        (9, b's', b'e') => &["subscribe"],
        (10, b'i', b'r') => &["identifier"],
        (10, b'm', b's') => &["mechanisms"],
        (10, b's', b'd') => &["subscribed"],
        (11, b'u', b'e') => &["unavailable", "unsubscribe"],
        (12, b'a', b'd') => &["acknowledged"],
        (12, b'u', b'd') => &["unsubscribed"],
        (13, b'j', b'a') => &["jabber:x:data"],
        (13, b'j', b'r') => &["jabber:server"],
        (13, b'j', b't') => &["jabber:client"],
        (13, b'u', b'3') => &["urn:xmpp:sm:3"],
        (13, b'u', b'g') => &["urn:xmpp:ping"],
        (14, b'u', b'0') => &["urn:xmpp:sid:0"],
        (14, b'u', b'2') => &["urn:xmpp:mam:2"],
        (14, b'u', b's') => &["urn:xmpp:hints"],
        (14, b'u', b'y') => &["urn:xmpp:delay"],
        (16, b'j', b'r') => &["jabber:iq:roster"],
        (17, b'j', b'e') => &["jabber:iq:private"],
        (17, b'u', b's') => &["urn:xmpp:receipts"],
        (18, b'u', b'0') => &["urn:xmpp:forward:0"],
        (18, b'u', b'2') => &["urn:xmpp:carbons:2"],
        (20, b'u', b'0') => &["urn:xmpp:stanza-id:0"],
        (23, b'u', b'0') => &["urn:xmpp:chat-markers:0"],
        (26, b'u', b'0') => &["urn:xmpp:message-correct:0"],
        (31, b'u', b's') => &["urn:ietf:params:xml:ns:xmpp-tls"],
        (32, b'h', b'o') => &["http://jabber.org/protocol/disco"],
        (32, b'h', b's') => &["http://etherx.jabber.org/streams"],
        (32, b'u', b'd') => &["urn:ietf:params:xml:ns:xmpp-bind"],
        (32, b'u', b'l') => &["urn:ietf:params:xml:ns:xmpp-sasl"],
        (33, b'h', b'b') => &["http://jabber.org/protocol/pubsub"],
        (35, b'u', b's') => &["urn:ietf:params:xml:ns:xmpp-stanzas", "urn:ietf:params:xml:ns:xmpp-streams"],
        (36, b'h', b'e') => &["http://www.w3.org/XML/1998/namespace"],
        (37, b'h', b'o') => &["http://jabber.org/protocol/disco#info"],
        (37, b'h', b's') => &["http://jabber.org/protocol/chatstates"],
        (38, b'h', b's') => &["http://jabber.org/protocol/disco#items"],
        (39, b'h', b't') => &["http://jabber.org/protocol/pubsub#event"],
        _ => return None,
    };
    candidates.iter().find(|c| c.as_bytes() == b).map(|c| ByteString::from_static(c))
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
    }
}
