//! XEP-0160 Best Practices for Handling Offline Messages, with XEP-0203 delay stamps.
//!
//! - Storage (XEP-0160 §2): a `chat` or `normal` message for an account with no available
//!   resource of non-negative priority reaches [`waxwing_core::hooks::MessageUndeliverable`]
//!   (the router applies RFC 6121 §8.5.2.2.1 and §8.5.3.2.1: `groupchat`, `headline` and
//!   `error` never get here, XEP-0160 §3). The serialized stanza is appended to the archive
//!   store (`store "offline"`, owner = the recipient's bare JID) before the hook returns
//!   `Break`: once accepted, a message is on disk.
//! - What is stored (XEP-0160 §3, XEP-0334 §4): every such message, with or without a body
//!   (receipts, markers and encrypted payloads matter offline too), except
//!   - messages with a `<no-store/>` hint (XEP-0334 §4.2 forbids even temporary storage):
//!     answered as if offline storage did not exist, `service-unavailable` (RFC 6121
//!     §8.5.2.2.1);
//!   - messages whose only content is XEP-0085 chat states (XEP-0160 §3 "SHOULD NOT be
//!     stored"): dropped silently, since an error per typing notification helps nobody.
//!
//!   `<no-permanent-store/>` does not prevent offline storage: XEP-0334 §4.1 restricts only
//!   permanent archives. A `<store/>` hint (§4.4) stores whatever the content.
//! - Quota (`[modules.offline] max_messages` per account): a full queue is answered
//!   `service-unavailable` (XEP-0160 §2 step 3) by the core's default. A storage failure is
//!   answered `internal-server-error`, never dropped silently.
//! - Delivery (XEP-0160 §2 step 5): when a resource sends available presence with a
//!   non-negative priority (initial presence, or a later one raising the priority), stored
//!   messages go to that resource oldest first, each with
//!   `<delay xmlns='urn:xmpp:delay' from='<domain>' stamp='…Z'>Offline Storage</delay>`
//!   (XEP-0203 §3, XEP-0082 UTC, the time of storage). Delivery runs on its own task, waits
//!   for room in the session's mailbox, and deletes a message only after it is in the mailbox:
//!   a session that goes away mid-way leaves the rest stored.
//! - A message stored while a resource became available (a race with its presence) is handed
//!   to that resource at once rather than left until the next login.
//! - Accounts whose queue is known to be empty (a delivery emptied it, or found it empty, and
//!   nothing was stored since) are remembered in memory, so their initial presence makes no
//!   archive query; storing a message forgets the account first, under the same lock.
//! - §4: disco feature `msgoffline` on the server.
//!
//! Without storage the module builds (so configurations can be checked) but registers nothing:
//! the core answers `service-unavailable`, as RFC 6121 §8.5.2.2.1 says for servers without
//! offline storage.

pub(crate) mod keyed;

use std::collections::HashSet;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use serde::Deserialize;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;
use waxwing_core::hooks::{MessageUndeliverable, PresenceBroadcast, PresenceChange};
use waxwing_core::{BuildContext, BuildError, Flow, Module, Registrar, Server, SessionHandle};
use waxwing_jid::BareJid;
use waxwing_stanza::{
    Message, MessageType, PresenceType, Stanza, StanzaError, StanzaErrorCondition, ns,
};
use waxwing_storage::{ArchiveItem, ArchiveQuery, NewArchiveItem, Storage, Timestamp};
use waxwing_xml::Element;

use keyed::KeyedLocks;

/// The archive store name of offline messages.
pub const STORE: &str = "offline";

/// Messages taken from storage per round of delivery.
const BATCH: usize = 64;

/// How long delivery waits for room in a session's mailbox before leaving the rest stored.
const MAILBOX_WAIT: Duration = Duration::from_secs(30);

/// XEP-0082 §3.3 DateTime in UTC (XEP-0203 §3 requires UTC).
const STAMP: &[BorrowedFormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");

/// `[modules.offline]`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct OfflineConfig {
    /// Most messages stored per account; more are answered `service-unavailable`.
    /// Default 1000.
    pub max_messages: u64,
}

impl Default for OfflineConfig {
    fn default() -> Self {
        Self { max_messages: 1000 }
    }
}

/// What to do with an undeliverable message (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Store it.
    Store,
    /// Do not store it; the sender gets the core's `service-unavailable`.
    Refuse,
    /// Do not store it and answer nothing.
    Drop,
}

/// The storage policy for `m` (XEP-0160 §3, XEP-0334 §4).
pub fn policy(m: &Message) -> Policy {
    let el = m.element();
    let hint = |name: &str| el.children().any(|c| c.is(name, ns::HINTS));
    if hint("store") {
        return Policy::Store;
    }
    if hint("no-store") {
        return Policy::Refuse;
    }
    let mut chat_state = false;
    for c in el.children() {
        if c.ns() == ns::CHATSTATES {
            chat_state = true;
        } else if !(c.is("thread", el.ns()) || c.ns() == ns::HINTS || c.ns() == ns::STANZA_ID) {
            return Policy::Store;
        }
    }
    if chat_state {
        Policy::Drop
    } else {
        Policy::Store
    }
}

/// The XEP-0203 stamp for a storage time.
pub fn stamp(t: Timestamp) -> Option<String> {
    let nanos = i128::from(t.as_unix_micros()) * 1000;
    OffsetDateTime::from_unix_timestamp_nanos(nanos)
        .ok()?
        .format(STAMP)
        .ok()
}

/// The offline message module.
#[derive(Debug)]
pub struct Offline {
    storage: Option<Storage>,
    max_messages: u64,
    locks: KeyedLocks,
    /// Accounts whose queue is known to be empty: initial presence skips the archive query.
    /// Set by a delivery that emptied (or found empty) the queue, cleared before a message is
    /// stored, both under the account's lock; in memory only, so after a restart the first
    /// presence of each account asks the store. At most [`MAX_KNOWN_EMPTY`] entries (beyond:
    /// not remembered, asked).
    empty: Mutex<HashSet<BareJid>>,
}

/// Most accounts remembered as having no offline messages.
const MAX_KNOWN_EMPTY: usize = 100_000;

impl Module for Offline {
    const NAME: &'static str = "offline";
    type Config = OfflineConfig;

    fn build(cx: &BuildContext<'_>, config: OfflineConfig) -> Result<Self, BuildError> {
        Ok(Self {
            storage: cx.storage().cloned(),
            max_messages: config.max_messages,
            locks: KeyedLocks::default(),
            empty: Mutex::default(),
        })
    }

    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        if self.storage.is_none() {
            tracing::debug!(module = Self::NAME, "no storage: offline messages disabled");
            return;
        }
        r.disco_feature(ns::MSGOFFLINE);
        let me = Arc::clone(self);
        r.async_hook::<MessageUndeliverable, _, _>(0, move |server, m| {
            let me = Arc::clone(&me);
            async move { me.undeliverable(&server, &m).await }
        });
        // Entirely synchronous (delivery runs on its own task): the quick answer does it all.
        let me = Arc::clone(self);
        r.async_hook_quick::<PresenceBroadcast, _, _, _>(
            0,
            move |server, change| {
                me.presence(server, change);
                Some(Flow::Continue(()))
            },
            |_, _| async { Flow::Continue(()) },
        );
    }
}

/// Answers `m`'s sender with `condition` (never an error with an error).
async fn answer(server: &Server, m: &Message, condition: StanzaErrorCondition) {
    if let Some(reply) = m.error_reply(&StanzaError::new(condition))
        && let Ok(st) = Stanza::from_element(reply)
    {
        server.route(st).await;
    }
}

impl Offline {
    /// How many messages are stored for `owner`, once any store or delivery under way for it
    /// has finished (a consistent answer: never in the middle of a batch).
    ///
    /// # Errors
    /// The storage's.
    pub async fn count(&self, owner: &BareJid) -> Result<u64, waxwing_storage::StorageError> {
        let _guard = self.locks.lock(owner).await;
        self.count_locked(owner).await
    }

    async fn count_locked(&self, owner: &BareJid) -> Result<u64, waxwing_storage::StorageError> {
        match &self.storage {
            Some(st) => {
                st.archive()
                    .count(owner, STORE, &ArchiveQuery::default())
                    .await
            }
            None => Ok(0),
        }
    }

    async fn undeliverable(self: &Arc<Self>, server: &Server, m: &Message) -> Flow {
        let (Some(storage), Some(to)) = (&self.storage, m.to()) else {
            return Flow::Continue(());
        };
        if !matches!(m.type_(), MessageType::Chat | MessageType::Normal) {
            return Flow::Continue(());
        }
        match policy(m) {
            Policy::Store => {}
            Policy::Refuse => return Flow::Continue(()),
            Policy::Drop => return Flow::Break(()),
        }
        let owner = to.to_bare();
        let with = m
            .from()
            .map_or_else(|| owner.domain_jid(), waxwing_jid::Jid::to_bare);
        {
            let _guard = self.locks.lock(&owner).await;
            // Before the message is on disk, so a presence that finds the flag gone looks.
            self.known_empty(&owner, false);
            match self.count_locked(&owner).await {
                Ok(n) if n >= self.max_messages => {
                    tracing::debug!(%owner, stored = n, "offline queue full");
                    return Flow::Continue(());
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::error!(%owner, error = %e, "offline count failed");
                    answer(server, m, StanzaErrorCondition::InternalServerError).await;
                    return Flow::Break(());
                }
            }
            let item = NewArchiveItem::now(with, m.element().to_xml());
            if let Err(e) = storage.archive().append(&owner, STORE, item).await {
                tracing::error!(%owner, error = %e, "offline store failed");
                answer(server, m, StanzaErrorCondition::InternalServerError).await;
                return Flow::Break(());
            }
        }
        // The recipient may have become available while the message was being stored: its
        // presence found nothing to deliver, so hand the message over now.
        if let Some(target) = best_resource(server, &owner) {
            self.spawn_drain(owner, target);
        }
        Flow::Break(())
    }

    fn presence(self: &Arc<Self>, server: &Server, change: &PresenceChange) {
        if change.presence.type_() != PresenceType::Available {
            return;
        }
        let owner = change.session.to_bare();
        if self.is_known_empty(&owner) {
            return;
        }
        let target = server.sessions().with_resources(&owner, |rs| {
            rs.iter()
                .find(|r| r.handle.jid() == &change.session && r.priority.is_some_and(|p| p >= 0))
                .map(|r| r.handle.clone())
        });
        if let Some(target) = target {
            self.spawn_drain(owner, target);
        }
    }

    fn is_known_empty(&self, owner: &BareJid) -> bool {
        self.empty
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains(owner)
    }

    /// Records whether `owner`'s queue is known to be empty; callers hold `owner`'s lock.
    fn known_empty(&self, owner: &BareJid, empty: bool) {
        let mut set = self.empty.lock().unwrap_or_else(PoisonError::into_inner);
        if !empty {
            set.remove(owner);
        } else if set.len() < MAX_KNOWN_EMPTY {
            set.insert(owner.clone());
        }
    }

    /// Delivery runs on its own task: it waits for room in the mailbox, which the session's
    /// task empties only once the presence that started it has been handled.
    fn spawn_drain(self: &Arc<Self>, owner: BareJid, target: SessionHandle) {
        let me = Arc::clone(self);
        tokio::spawn(async move { me.drain(&owner, &target).await });
    }

    /// Delivers `owner`'s stored messages to `target`, oldest first, deleting each batch once
    /// it is in the mailbox.
    async fn drain(&self, owner: &BareJid, target: &SessionHandle) {
        let Some(storage) = &self.storage else {
            return;
        };
        let archive = storage.archive();
        let first = ArchiveQuery {
            limit: Some(BATCH),
            ..ArchiveQuery::default()
        };
        loop {
            // Held across the batch: no message is stored between reading the oldest items
            // and deleting them, so "the oldest n" are exactly the ones delivered.
            let _guard = self.locks.lock(owner).await;
            let page = match archive.query(owner, STORE, &first).await {
                Ok(p) => p,
                Err(e) => {
                    tracing::error!(%owner, error = %e, "offline read failed");
                    return;
                }
            };
            if page.items.is_empty() {
                self.known_empty(owner, true);
                return;
            }
            let mut done = 0;
            let mut stopped = false;
            for item in &page.items {
                if let Some(el) = with_delay(owner, item) {
                    let sent = tokio::time::timeout(MAILBOX_WAIT, target.deliver_waiting(el));
                    if !matches!(sent.await, Ok(Ok(()))) {
                        stopped = true;
                        break;
                    }
                }
                done += 1;
            }
            if done > 0 {
                let delivered = ArchiveQuery {
                    limit: Some(done),
                    ..ArchiveQuery::default()
                };
                if let Err(e) = archive.delete(owner, STORE, &delivered).await {
                    // Delivered but still stored: delivered again next time (duplicates, no
                    // loss).
                    tracing::error!(%owner, error = %e, "offline delete failed");
                    return;
                }
                tracing::debug!(%owner, count = done, "offline messages delivered");
                if !stopped && page.complete {
                    self.known_empty(owner, true);
                }
            }
            if stopped || page.complete || page.items.is_empty() {
                return;
            }
        }
    }
}

/// The resource a message for `owner` would go to now: the highest non-negative priority.
fn best_resource(server: &Server, owner: &BareJid) -> Option<SessionHandle> {
    server.sessions().with_resources(owner, |rs| {
        rs.iter()
            .filter(|r| r.priority.is_some_and(|p| p >= 0))
            .max_by_key(|r| r.priority)
            .map(|r| r.handle.clone())
    })
}

/// The stored stanza with its XEP-0203 `<delay/>`; `None` (logged) if it cannot be read.
fn with_delay(owner: &BareJid, item: &ArchiveItem) -> Option<Element> {
    let mut el = match waxwing_xml::parse_element(item.payload.as_bytes()) {
        Ok(el) => el,
        Err(e) => {
            tracing::error!(%owner, id = %item.id, error = %e, "unreadable offline message dropped");
            return None;
        }
    };
    let mut delay = Element::new(ns::DELAY, "delay").with_attr("from", owner.domain().to_owned());
    if let Some(stamp) = stamp(item.timestamp) {
        delay.set_attr("stamp", stamp);
    }
    delay.append_text("Offline Storage");
    el.append_child(delay);
    Some(el)
}
