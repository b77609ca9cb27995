#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod bench_scenarios;
mod disco;
mod imx_util;
mod ping;
mod rfc6121_messages;
mod rfc6121_presence;
mod rfc6121_roster;
mod rfc6121_subscription;
mod roster_util;
mod time;
mod version;
mod xep0054_vcard;
mod xep0160_offline;
mod xep0191_blocking;

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use waxwing_core::{Mailbox, Server, SessionCommand, SessionHandle, StaticAccounts};
use waxwing_jid::{BareJid, FullJid};
use waxwing_stanza::Stanza;
use waxwing_xml::Element;

/// `example.com` with every module of the crate and accounts juliet and romeo.
pub fn server_with(config: &str) -> Server {
    let accounts: HashSet<BareJid> = ["juliet@example.com", "romeo@example.com"]
        .into_iter()
        .map(|j| BareJid::parse(j).unwrap())
        .collect();
    Server::builder()
        .domain("example.com")
        .modules(waxwing_modules::all())
        .module_config(toml::from_str(config).unwrap())
        .accounts(Arc::new(StaticAccounts(accounts)))
        .build()
        .unwrap()
}

pub fn server() -> Server {
    server_with("")
}

pub struct Client {
    pub jid: FullJid,
    pub mailbox: Mailbox,
}

pub async fn connect(server: &Server, jid: &str) -> Client {
    let (handle, mailbox) = SessionHandle::channel(FullJid::parse(jid).unwrap(), 16);
    let reg = server.bind(handle).await.unwrap();
    Client {
        jid: reg.handle.jid().clone(),
        mailbox,
    }
}

impl Client {
    /// Sends `xml` and returns the reply.
    pub async fn ask(&mut self, server: &Server, xml: &str) -> Element {
        let st = Stanza::from_element(waxwing_xml::parse_element(xml.as_bytes()).unwrap()).unwrap();
        server.route_from_client(&self.jid, st).await.unwrap();
        match tokio::time::timeout(Duration::from_secs(1), self.mailbox.recv()).await {
            Ok(Some(SessionCommand::Stanza(el))) => el,
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    /// Sends `xml` and returns the reply as canonical XML.
    pub async fn ask_xml(&mut self, server: &Server, xml: &str) -> String {
        canon(self.ask(server, xml).await)
    }
}

/// XML with attributes sorted (their order carries no meaning).
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

pub fn xml(s: &str) -> String {
    canon(waxwing_xml::parse_element(s.as_bytes()).unwrap())
}

pub const SU: &str = "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";
