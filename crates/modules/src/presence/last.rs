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
//! Kept in the key-value store [`STORE`], owner the account, as `<unix micros> <xml>`: set
//! when the account's last available resource becomes unavailable (explicit unavailable
//! presence, or a session ending or replaced without it), read only by probes that find no
//! available resource. Restarts keep it.
//!
//! Writes are off the logout path: [`Writer`] holds the newest value per account in memory
//! (where probes find it at once) and one task writes what accumulated in one transaction
//! (one commit and sync for many logouts). A clean shutdown writes what is pending
//! ([`waxwing_core::hooks::ServerStopping`]); a crash loses the values not yet written — at
//! most the last moments' logouts, whose probes then get the previous stored value or a plain
//! `unavailable`. This is informational state (RFC 6121 §4.3.2 SHOULD), unlike messages.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use waxwing_core::Server;
use waxwing_jid::BareJid;
use waxwing_stanza::ns;
use waxwing_storage::{Storage, Timestamp};
use waxwing_xml::Element;

/// Key-value store name of the last unavailable presence.
pub const STORE: &str = "presence.last";

/// Most values waiting to be written; beyond, a logout writes its own at once (backpressure
/// when the store is slower than logouts).
const MAX_PENDING: usize = 10_000;

/// Values not yet written, and whether a task is writing.
#[derive(Debug, Default)]
struct Pending {
    values: HashMap<BareJid, Arc<[u8]>>,
    writing: bool,
}

/// The batched writer of last unavailable presences (see the module docs).
#[derive(Debug, Default)]
pub(crate) struct Writer {
    pending: Arc<Mutex<Pending>>,
    /// Wakes [`Writer::flush`] when a batch is done.
    done: Arc<tokio::sync::Notify>,
}

fn lock(m: &Mutex<Pending>) -> MutexGuard<'_, Pending> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Writer {
    /// Records `el` (an unavailable presence, `from` the full JID of the resource that sent
    /// it) as `user`'s last unavailable presence, generated now. Without storage, or if the
    /// write fails (logged), probes get the plain unavailable presence.
    pub(crate) async fn save(&self, server: &Server, user: &BareJid, el: &Element) {
        let Some(storage) = server.storage() else {
            return;
        };
        let mut el = el.clone();
        el.remove_attr("to");
        // The stamp is the server's word (XEP-0203 §3 `from` is this domain): a client-supplied
        // delay must not pass for it.
        while el.remove_child("delay", ns::DELAY).is_some() {}
        let value: Arc<[u8]> = encode(Timestamp::now(), &el).into_bytes().into();
        let spawn = {
            let mut p = lock(&self.pending);
            if p.values.len() >= MAX_PENDING && !p.values.contains_key(user) {
                None
            } else {
                p.values.insert(user.clone(), value.clone());
                Some(!std::mem::replace(&mut p.writing, true))
            }
        };
        match spawn {
            Some(true) => {
                let (pending, done, storage) = (
                    Arc::clone(&self.pending),
                    Arc::clone(&self.done),
                    storage.clone(),
                );
                tokio::spawn(async move { write_batches(&pending, &done, &storage).await });
            }
            Some(false) => {}
            None => {
                if let Err(e) = storage.kv().set(user, STORE, &value).await {
                    tracing::warn!(%user, error = %e, "last unavailable presence not stored");
                }
            }
        }
    }

    /// `user`'s last unavailable presence with its XEP-0203 `<delay/>` (from `user`'s
    /// domain, stamped with when it was generated), without `to`; `None` if none is stored or
    /// it cannot be read (logged).
    pub(crate) async fn load(&self, server: &Server, user: &BareJid) -> Option<Element> {
        let pending = lock(&self.pending).values.get(user).cloned();
        let stored = match pending {
            Some(v) => v.to_vec(),
            None => match server.storage()?.kv().get(user, STORE).await {
                Ok(v) => v?,
                Err(e) => {
                    tracing::warn!(%user, error = %e, "last unavailable presence not read");
                    return None;
                }
            },
        };
        let Some((at, mut el)) = decode(&stored) else {
            tracing::warn!(%user, "stored last unavailable presence unreadable");
            return None;
        };
        let mut delay =
            Element::new(ns::DELAY, "delay").with_attr("from", user.domain().to_owned());
        if let Some(stamp) = crate::offline::stamp(at) {
            delay.set_attr("stamp", stamp);
        }
        el.append_child(delay);
        Some(el)
    }

    /// Waits until every value recorded so far is written (or its write failed, logged).
    pub(crate) async fn flush(&self) {
        loop {
            let done = self.done.notified();
            tokio::pin!(done);
            // Registered before looking, so a batch ending in between still wakes us.
            done.as_mut().enable();
            {
                let p = lock(&self.pending);
                if p.values.is_empty() && !p.writing {
                    return;
                }
            }
            done.await;
        }
    }
}

/// The writing task: writes what is pending, in batches, until nothing is.
async fn write_batches(pending: &Mutex<Pending>, done: &tokio::sync::Notify, storage: &Storage) {
    loop {
        let batch: Vec<(BareJid, Arc<[u8]>)> = {
            let mut p = lock(pending);
            if p.values.is_empty() {
                p.writing = false;
                drop(p);
                done.notify_waiters();
                return;
            }
            p.values
                .iter()
                .map(|(k, v)| (k.clone(), Arc::clone(v)))
                .collect()
        };
        let values: Vec<(BareJid, Vec<u8>)> =
            batch.iter().map(|(k, v)| (k.clone(), v.to_vec())).collect();
        if let Err(e) = storage.kv().set_many(STORE, &values).await {
            tracing::warn!(count = values.len(), error = %e, "last unavailable presences not stored");
        }
        // Written (or given up): forgotten, unless a newer value arrived meanwhile.
        let mut p = lock(pending);
        for (user, v) in &batch {
            if p.values.get(user).is_some_and(|now| Arc::ptr_eq(now, v)) {
                p.values.remove(user);
            }
        }
        drop(p);
        done.notify_waiters();
    }
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
