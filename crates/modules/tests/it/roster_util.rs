//! Helpers for the RFC 6121 roster, subscription and presence scenarios: a server on SQLite
//! storage serving `example.com` (every localpart is an account), `example.net` captured as
//! the remote domain, and clients with roomy mailboxes.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use waxwing_core::{Bounce, Mailbox, RemoteRoute, Server, SessionCommand, SessionHandle};
use waxwing_jid::{BareJid, FullJid};
use waxwing_modules::roster::{Item, State};
use waxwing_stanza::Stanza;
use waxwing_storage::Storage;
use waxwing_xml::Element;

use crate::canon;

/// Stanzas routed to remote domains.
#[derive(Clone, Default)]
pub struct Remote(pub Arc<Mutex<Vec<Element>>>);

impl RemoteRoute for Remote {
    fn route(&self, stanza: Stanza) -> Result<(), Box<Bounce>> {
        self.0.lock().unwrap().push(stanza.into_element());
        Ok(())
    }
}

impl Remote {
    /// Everything routed remotely since the last call, canonical, ids removed.
    pub fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap())
            .into_iter()
            .map(strip)
            .collect()
    }
}

pub struct Env {
    pub server: Server,
    pub storage: Storage,
    pub remote: Remote,
}

pub async fn env() -> Env {
    env_with(Storage::memory().await.unwrap(), "")
}

pub async fn env_config(config: &str) -> Env {
    env_with(Storage::memory().await.unwrap(), config)
}

/// A server on `storage` (a restart, when the storage was used before).
pub fn env_with(storage: Storage, config: &str) -> Env {
    env_modules(storage, config, Vec::new())
}

pub fn env_modules(storage: Storage, config: &str, extra: Vec<waxwing_core::ModuleFactory>) -> Env {
    let remote = Remote::default();
    let server = Server::builder()
        .domain("example.com")
        .modules(waxwing_modules::all())
        .modules(extra)
        .module_config(toml::from_str(config).unwrap())
        .storage(storage.clone())
        .accounts(Arc::new(|j: &BareJid| j.domain() == "example.com"))
        .remote(Arc::new(remote.clone()))
        .mailbox_capacity(4096)
        .build()
        .unwrap();
    Env {
        server,
        storage,
        remote,
    }
}

pub struct C {
    pub jid: FullJid,
    pub mailbox: Mailbox,
    pub id: u64,
}

pub async fn login(s: &Server, jid: &str) -> C {
    let (handle, mailbox) = SessionHandle::channel(FullJid::parse(jid).unwrap(), 4096);
    let reg = s.bind(handle).await.unwrap();
    C {
        jid: reg.handle.jid().clone(),
        id: reg.handle.id(),
        mailbox,
    }
}

/// Lets spawned tasks (IQ handlers) run to completion.
pub async fn settle() {
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
    tokio::time::sleep(Duration::from_millis(5)).await;
    for _ in 0..50 {
        tokio::task::yield_now().await;
    }
}

/// Canonical XML without the `id` attribute of the top element (pushes carry random ids).
pub fn strip(mut el: Element) -> String {
    el.remove_attr("id");
    canon(el)
}

/// Canonical form of `xml` without its top `id`.
pub fn x(xml: &str) -> String {
    strip(waxwing_xml::parse_element(xml.as_bytes()).unwrap())
}

impl C {
    pub async fn send(&self, s: &Server, xml: &str) {
        let st = Stanza::from_element(waxwing_xml::parse_element(xml.as_bytes()).unwrap()).unwrap();
        s.route_from_client(&self.jid, st).await.unwrap();
    }

    /// Everything waiting, after letting spawned tasks finish (canonical, ids stripped).
    pub async fn take(&mut self) -> Vec<String> {
        settle().await;
        let mut out = Vec::new();
        while let Some(cmd) = self.mailbox.try_recv() {
            match cmd {
                SessionCommand::Stanza(el) => out.push(strip(el)),
                SessionCommand::Close(e) => panic!("closed: {e}"),
            }
        }
        out
    }

    /// Sends and returns everything received. For an IQ request, waits (up to 10 s) for its
    /// answer first: handlers run on their own tasks and storage on blocking threads, so on a
    /// loaded machine a fixed pause is not enough.
    pub async fn exchange(&mut self, s: &Server, xml: &str) -> Vec<String> {
        let request = waxwing_xml::parse_element(xml.as_bytes()).unwrap();
        let awaited = (request.name() == "iq"
            && matches!(request.attr("type"), Some("get" | "set")))
        .then(|| request.attr("id").map(str::to_owned))
        .flatten();
        self.send(s, xml).await;
        let Some(id) = awaited else {
            return self.take().await;
        };
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            let cmd = tokio::time::timeout_at(deadline, self.mailbox.recv())
                .await
                .unwrap_or_else(|_| panic!("no answer to iq {id}; got {out:?}"));
            match cmd {
                Some(SessionCommand::Stanza(el)) => {
                    let answer = el.name() == "iq"
                        && el.attr("id") == Some(id.as_str())
                        && matches!(el.attr("type"), Some("result" | "error"));
                    out.push(strip(el));
                    if answer {
                        break;
                    }
                }
                Some(SessionCommand::Close(e)) => panic!("closed: {e}"),
                None => panic!("mailbox closed"),
            }
        }
        out.extend(self.take().await);
        out
    }

    /// Sends initial presence and drops what arrives.
    pub async fn online(&mut self, s: &Server) {
        self.send(s, "<presence xmlns='jabber:client'/>").await;
        self.take().await;
    }

    /// Fetches the roster (becoming interested) and returns the answer.
    pub async fn roster(&mut self, s: &Server) -> Vec<String> {
        self.exchange(
            s,
            "<iq xmlns='jabber:client' type='get' id='r'><query xmlns='jabber:iq:roster'/></iq>",
        )
        .await
    }

    pub async fn close(self, s: &Server) {
        s.session_closed(&self.jid, self.id).await;
    }
}

/// Writes a roster record for `owner` directly (the server must be restarted, or the account
/// offline, for it to be seen).
pub async fn seed(st: &Storage, owner: &str, contact: &str, state: State) {
    let owner = BareJid::parse(owner).unwrap();
    let contact = BareJid::parse(contact).unwrap();
    let mut item = Item::new(contact.clone());
    let (sub, out, inn) = state.parts();
    item.subscription = sub;
    item.ask = out;
    item.in_roster = true;
    item.ver = 1;
    if inn {
        item.pending_in = Some(
            waxwing_xml::parse_element(
                format!("<presence xmlns='jabber:client' from='{contact}' to='{owner}' type='subscribe'/>")
                    .as_bytes(),
            )
            .unwrap(),
        );
    }
    st.map()
        .set(&owner, "roster", contact.as_str(), &item.to_stored())
        .await
        .unwrap();
}

/// The stored record of `contact` in `owner`'s roster.
pub async fn stored(st: &Storage, owner: &str, contact: &str) -> Option<Item> {
    let owner = BareJid::parse(owner).unwrap();
    st.map()
        .get(&owner, "roster", contact)
        .await
        .unwrap()
        .and_then(|v| Item::from_stored(&v))
}

/// The stored subscription state (None when absent or outside the roster without request).
pub async fn state(st: &Storage, owner: &str, contact: &str) -> State {
    stored(st, owner, contact)
        .await
        .map_or(State::None, |i| i.state())
}
