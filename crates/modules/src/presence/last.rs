//! The last unavailable presence of an account, for answering probes while it has no
//! available resource (RFC 6121 §4.3.2, item 3), stamped with XEP-0203 delayed delivery.
//!
//! RFC 6121 §4.3.2: "3. Else, if the contact has no available resources, then the server
//! SHOULD reply to the presence probe by sending to the user a presence stanza of type
//! "unavailable"", which SHOULD "include information about the time when the last unavailable
//! presence stanza was generated (formatted using the XMPP delayed delivery extension)", and
//! MAY "include the full XML of the last unavailable presence stanza that the server received
//! from the contact (including the 'id' of the original stanza)". The RFC's example is sent
//! from the full JID of the resource that went offline, which is what the stored stanza
//! carries.
//!
//! Kept in the key-value store [`STORE`], owner the account, as `<unix micros> <xml>`: written
//! when the account's last available resource becomes unavailable (explicit unavailable
//! presence, or a session ending or replaced without it), read only by probes that find no
//! available resource. Restarts keep it.

use waxwing_core::Server;
use waxwing_jid::BareJid;
use waxwing_stanza::ns;
use waxwing_storage::Timestamp;
use waxwing_xml::Element;

/// Key-value store name of the last unavailable presence.
pub const STORE: &str = "presence.last";

/// Stores `el` (an unavailable presence, `from` the full JID of the resource that sent it) as
/// `user`'s last unavailable presence, generated now. Without storage, or if the write fails
/// (logged), probes get the plain unavailable presence.
pub(super) async fn save(server: &Server, user: &BareJid, el: &Element) {
    let Some(storage) = server.storage() else {
        return;
    };
    let mut el = el.clone();
    el.remove_attr("to");
    // The stamp is the server's word (XEP-0203 §3 `from` is this domain): a client-supplied
    // delay must not pass for it.
    while el.remove_child("delay", ns::DELAY).is_some() {}
    let value = encode(Timestamp::now(), &el);
    if let Err(e) = storage.kv().set(user, STORE, value.as_bytes()).await {
        tracing::warn!(%user, error = %e, "last unavailable presence not stored");
    }
}

/// `user`'s last unavailable presence with its XEP-0203 `<delay/>` (from `user`'s domain,
/// stamped with when it was generated), without `to`; `None` if none is stored or it cannot be
/// read (logged).
pub(super) async fn load(server: &Server, user: &BareJid) -> Option<Element> {
    let stored = match server.storage()?.kv().get(user, STORE).await {
        Ok(v) => v?,
        Err(e) => {
            tracing::warn!(%user, error = %e, "last unavailable presence not read");
            return None;
        }
    };
    let Some((at, mut el)) = decode(&stored) else {
        tracing::warn!(%user, "stored last unavailable presence unreadable");
        return None;
    };
    let mut delay = Element::new(ns::DELAY, "delay").with_attr("from", user.domain().to_owned());
    if let Some(stamp) = crate::offline::stamp(at) {
        delay.set_attr("stamp", stamp);
    }
    el.append_child(delay);
    Some(el)
}

fn encode(at: Timestamp, el: &Element) -> String {
    format!("{} {}", at.as_unix_micros(), el.to_xml())
}

fn decode(stored: &[u8]) -> Option<(Timestamp, Element)> {
    let text = std::str::from_utf8(stored).ok()?;
    let (micros, xml) = text.split_once(' ')?;
    let at = Timestamp::from_unix_micros(micros.parse().ok()?);
    let el = waxwing_xml::parse_element(xml.as_bytes()).ok()?;
    (el.name() == "presence" && el.attr("type") == Some("unavailable")).then_some((at, el))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let el = waxwing_xml::parse_element(
            b"<presence xmlns='jabber:client' from='juliet@example.com/balcony' type='unavailable' id='u1'><status>Gone</status></presence>",
        )
        .unwrap();
        let at = Timestamp::from_unix_micros(1_031_701_267_000_000);
        let (t, back) = decode(encode(at, &el).as_bytes()).unwrap();
        assert_eq!(t, at);
        assert_eq!(back.to_xml(), el.to_xml());
        assert_eq!(
            crate::offline::stamp(t).as_deref(),
            Some("2002-09-10T23:41:07Z")
        );
    }

    #[test]
    fn rejects_garbage() {
        for bad in [
            &b""[..],
            b"12",
            b"x <presence type='unavailable'/>",
            b"12 <presence type='unavailable'",
            b"12 <message type='unavailable'/>",
            b"12 <presence/>",
            b"\xff <presence type='unavailable'/>",
        ] {
            assert!(decode(bad).is_none(), "{bad:?}");
        }
    }
}
