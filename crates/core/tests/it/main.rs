#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod config;
mod hooks;
mod im_hooks;
mod registry;
mod routing;
mod storage;
mod tracker;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use waxwing_core::{Mailbox, Server, ServerBuilder, SessionCommand, SessionHandle, StaticAccounts};
use waxwing_jid::{BareJid, FullJid};
use waxwing_stanza::Stanza;
use waxwing_xml::Element;

pub fn full(s: &str) -> FullJid {
    FullJid::parse(s).unwrap()
}

pub fn bare(s: &str) -> BareJid {
    BareJid::parse(s).unwrap()
}

pub fn stanza(xml: &str) -> Stanza {
    Stanza::from_element(waxwing_xml::parse_element(xml.as_bytes()).unwrap()).unwrap()
}

/// `example.com` with accounts juliet, romeo and nurse.
pub fn builder() -> ServerBuilder {
    let accounts: HashSet<BareJid> = [
        "juliet@example.com",
        "romeo@example.com",
        "nurse@example.com",
    ]
    .into_iter()
    .map(bare)
    .collect();
    Server::builder()
        .domain("example.com")
        .accounts(Arc::new(StaticAccounts(accounts)))
}

pub fn server() -> Server {
    builder().build().unwrap()
}

pub struct Client {
    pub jid: FullJid,
    pub handle: SessionHandle,
    pub mailbox: Mailbox,
}

/// Binds `jid`; `priority` `Some` makes it available with that priority.
pub async fn connect(server: &Server, jid: &str, priority: Option<i8>) -> Client {
    let (handle, mailbox) = SessionHandle::channel(full(jid), server.mailbox_capacity());
    let reg = server.bind(handle).await.unwrap();
    if priority.is_some() {
        assert!(
            server
                .sessions()
                .set_presence(reg.handle.jid(), priority)
                .is_some()
        );
    }
    Client {
        jid: reg.handle.jid().clone(),
        handle: reg.handle,
        mailbox,
    }
}

impl Client {
    pub async fn send(&self, server: &Server, xml: &str) {
        server
            .route_from_client(&self.jid, stanza(xml))
            .await
            .unwrap();
    }

    /// The next stanza, waiting up to a second (IQ handlers run on their own task).
    pub async fn recv(&mut self) -> Element {
        match tokio::time::timeout(Duration::from_secs(1), self.mailbox.recv()).await {
            Ok(Some(SessionCommand::Stanza(el))) => el,
            other => panic!("{}: expected a stanza, got {other:?}", self.jid),
        }
    }

    /// The next stanza as canonical XML (see [`canon`]).
    pub async fn recv_xml(&mut self) -> String {
        canon(self.recv().await)
    }

    /// Asserts nothing arrives within 50 ms.
    pub async fn assert_nothing(&mut self) {
        if let Ok(cmd) = tokio::time::timeout(Duration::from_millis(50), self.mailbox.recv()).await
        {
            panic!("{}: expected nothing, got {cmd:?}", self.jid);
        }
    }
}

/// XML with every element's attributes sorted, so that comparisons ignore attribute order
/// (which XML does not give meaning to).
pub fn canon(mut el: Element) -> String {
    fn sort(el: &mut Element) {
        el.attrs_mut()
            .sort_by(|a, b| (a.ns.as_deref(), &*a.name).cmp(&(b.ns.as_deref(), &*b.name)));
        for c in el.children_mut() {
            sort(c);
        }
    }
    sort(&mut el);
    el.to_xml()
}

/// Canonical XML of an expected stanza.
pub fn xml(s: &str) -> String {
    canon(waxwing_xml::parse_element(s.as_bytes()).unwrap())
}
