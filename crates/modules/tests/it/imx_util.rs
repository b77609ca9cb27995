//! Helpers for the offline, blocking, vCard and message-delivery tests.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use waxwing_core::{Server, SessionCommand, SessionHandle, StaticAccounts};
use waxwing_jid::{BareJid, FullJid};
use waxwing_stanza::Stanza;
use waxwing_storage::Storage;
use waxwing_xml::Element;

use crate::{Client, canon};

/// Accounts of every test server: juliet and romeo at example.com.
pub fn accounts() -> Arc<StaticAccounts> {
    let set: HashSet<BareJid> = ["juliet@example.com", "romeo@example.com"]
        .into_iter()
        .map(|j| BareJid::parse(j).unwrap())
        .collect();
    Arc::new(StaticAccounts(set))
}

pub async fn storage() -> Storage {
    Storage::memory().await.unwrap()
}

/// `example.com` with every module, on `st`, with `config` as the `[modules]` table.
pub fn server_on(st: &Storage, config: &str) -> Server {
    Server::builder()
        .domain("example.com")
        .modules(waxwing_modules::all())
        .module_config(toml::from_str(config).unwrap())
        .accounts(accounts())
        .storage(st.clone())
        .build()
        .unwrap()
}

/// A bound session with a mailbox of `capacity` stanzas.
pub async fn connect_with(server: &Server, jid: &str, capacity: usize) -> Client {
    let (handle, mailbox) = SessionHandle::channel(FullJid::parse(jid).unwrap(), capacity);
    let reg = server.bind(handle).await.unwrap();
    Client {
        jid: reg.handle.jid().clone(),
        mailbox,
    }
}

pub fn stanza(xml: &str) -> Stanza {
    Stanza::from_element(waxwing_xml::parse_element(xml.as_bytes()).unwrap()).unwrap()
}

/// Sends `xml` from `c` without waiting for anything.
pub async fn send(server: &Server, c: &Client, xml: &str) {
    server.route_from_client(&c.jid, stanza(xml)).await.unwrap();
}

/// The next stanza for `c` that is not a presence (the presence module may broadcast to the
/// account's own resources; these tests are about other stanzas).
pub async fn recv(c: &mut Client) -> Element {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), c.mailbox.recv()).await {
            Ok(Some(SessionCommand::Stanza(el))) if el.name() == "presence" => {}
            Ok(Some(SessionCommand::Stanza(el))) => return el,
            other => panic!("{}: expected a stanza, got {other:?}", c.jid),
        }
    }
}

pub async fn recv_xml(c: &mut Client) -> String {
    canon(recv(c).await)
}

/// Every stanza waiting for `c` except presence, without waiting.
pub fn pending(c: &mut Client) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(cmd) = c.mailbox.try_recv() {
        match cmd {
            SessionCommand::Stanza(el) if el.name() == "presence" => {}
            SessionCommand::Stanza(el) => out.push(canon(el)),
            SessionCommand::Close(e) => out.push(format!("CLOSE {e}")),
        }
    }
    out
}

/// Asserts that nothing but presence is waiting for `c`.
#[track_caller]
pub fn assert_nothing(c: &mut Client) {
    let p = pending(c);
    assert!(p.is_empty(), "{}: unexpected {p:?}", c.jid);
}

/// Every waiting stanza, presence included.
pub fn pending_all(c: &mut Client) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(cmd) = c.mailbox.try_recv() {
        match cmd {
            SessionCommand::Stanza(el) => out.push(canon(el)),
            SessionCommand::Close(e) => out.push(format!("CLOSE {e}")),
        }
    }
    out
}

/// SQLite storage in a file, so a test can break it from a second connection.
pub async fn file_storage() -> (tempfile::TempDir, std::path::PathBuf, Storage) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("waxwing.sqlite");
    let st = Storage::open_sqlite(&path).await.unwrap();
    (dir, path, st)
}

/// Makes every later use of `table` fail, as a broken disk would.
pub fn break_table(path: &std::path::Path, table: &str) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(&format!("DROP TABLE {table}")).unwrap();
}
