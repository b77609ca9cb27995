//! XEP-0191 Blocking Command.
//!
//! - §3.2 blocklist retrieval, §3.3 block, §3.4 unblock, §3.5 unblock all: IQs from the
//!   account itself (no `to`, or its own bare JID; anyone else gets `forbidden`). A `<block/>`
//!   without `<item/>` is `bad-request` (§3.3); an item without `jid` is `bad-request`, one
//!   whose `jid` is not a JID is `jid-malformed` (RFC 6120 §8.3.3.8). The list is bounded by
//!   `[modules.blocking] max_items` (`policy-violation` beyond it).
//! - Every change is stored (map store `"blocklist"`, key = the prepared JID) before the
//!   result, then pushed to each resource of the account that has retrieved the blocklist
//!   (§3.3, §3.4, §3.5) and announced with [`waxwing_core::hooks::BlocklistChanged`] (the
//!   presence module sends the presence consequences).
//! - Matching (§6 "JID Matching", after XEP-0016 §2.1): an item `user@domain/resource`
//!   matches only that full JID; `user@domain` any of its resources; `domain/resource` only
//!   that address; `domain` the domain, every address at it, and its subdomains.
//! - Inbound stanzas from a blocked entity (§3.3): presence dropped without answer; messages
//!   answered `service-unavailable`; IQ get/set answered `service-unavailable`; IQ results and
//!   errors dropped — the user appears offline.
//! - Outbound stanzas to a blocked entity (§3.3): not routed; the client gets `not-acceptable`
//!   with `<blocked xmlns='urn:xmpp:blocking:errors'/>`. Stanzas to the account itself are
//!   never blocked.
//! - [`waxwing_core::hooks::IsBlocked`] answers other modules (presence broadcast, probes).
//! - §3.1: disco feature `urn:xmpp:blocking` on the server.
//!
//! Each account's list is cached while it has sessions: loaded at resource binding (before
//! the client can send anything, so the synchronous outbound check always has it), dropped
//! when its last session ends. Lookups for accounts without sessions read the store, unless
//! the account is remembered as having an empty list (no read at its next login either).
//! Both checks answer synchronously from the cache (no `Arc`, no boxed future per stanza).
//!
//! Without storage the module builds (so configurations can be checked) but registers nothing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde::Deserialize;
use waxwing_core::hooks::{
    BlocklistChange, BlocklistChanged, ClientStanza, IsBlocked, ResourceBound, SessionClosed,
    SessionEvent, StanzaFromClient, StanzaToAccount,
};
use waxwing_core::{
    BuildContext, BuildError, Flow, IqError, IqRequest, IqResult, IqTarget, IqType, Module,
    Registrar, Server,
};
use waxwing_jid::{BareJid, FullJid, Jid};
use waxwing_stanza::{Stanza, StanzaError, StanzaErrorCondition, StanzaErrorType, ns};
use waxwing_storage::{Storage, StorageError};
use waxwing_xml::Element;

use crate::offline::keyed::KeyedLocks;

/// The map store name of blocklists.
pub const STORE: &str = "blocklist";

/// Most accounts remembered as having an empty blocklist.
const MAX_KNOWN_EMPTY: usize = 100_000;

/// `[modules.blocking]`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct BlockingConfig {
    /// Most JIDs one account may block. Default 1000.
    pub max_items: usize,
}

impl Default for BlockingConfig {
    fn default() -> Self {
        Self { max_items: 1000 }
    }
}

/// Whether a blocklist (prepared JID strings) blocks `other` (XEP-0191 §6).
pub fn matches<S: std::hash::BuildHasher>(items: &HashSet<String, S>, other: &Jid) -> bool {
    if items.is_empty() {
        return false;
    }
    if items.contains(other.as_str()) {
        return true;
    }
    if other.node().is_some()
        && other.resource().is_some()
        && items.contains(other.to_bare().as_str())
    {
        return true;
    }
    let mut domain = other.domain();
    loop {
        if items.contains(domain) {
            return true;
        }
        match domain.split_once('.') {
            Some((_, parent)) if !parent.is_empty() => domain = parent,
            _ => return false,
        }
    }
}

/// One account with sessions: its list and the resources that asked for it (§3.2 pushes).
#[derive(Debug, Default)]
struct Cached {
    items: HashSet<String>,
    interested: HashSet<FullJid>,
}

/// The blocking command module.
#[derive(Debug)]
pub struct Blocking {
    storage: Option<Storage>,
    max_items: usize,
    cache: Mutex<HashMap<BareJid, Cached>>,
    /// Accounts without sessions whose list is known to be empty (most accounts): their next
    /// login and the checks of stanzas to them need no storage read. Added when an empty
    /// cached list is dropped at the last session's end, removed by any block (both under the
    /// `cache` lock, taken first); in memory only (a restart asks the store again), at most
    /// [`MAX_KNOWN_EMPTY`] accounts.
    empty: Mutex<HashSet<BareJid>>,
    /// Serialises loads and changes of one account's list, so the cache never misses a write.
    locks: KeyedLocks,
}

impl Module for Blocking {
    const NAME: &'static str = "blocking";
    type Config = BlockingConfig;

    fn build(cx: &BuildContext<'_>, config: BlockingConfig) -> Result<Self, BuildError> {
        Ok(Self {
            storage: cx.storage().cloned(),
            max_items: config.max_items,
            cache: Mutex::default(),
            empty: Mutex::default(),
            locks: KeyedLocks::default(),
        })
    }

    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        if self.storage.is_none() {
            tracing::debug!(module = Self::NAME, "no storage: blocking disabled");
            return;
        }
        r.disco_feature(ns::BLOCKING);
        r.iq_on(
            self,
            IqType::Get,
            ("blocklist", ns::BLOCKING),
            IqTarget::Account,
            |me, req| async move { me.get(&req).await },
        );
        r.iq_on(
            self,
            IqType::Set,
            ("block", ns::BLOCKING),
            IqTarget::Account,
            |me, req| async move { me.block(&req).await },
        );
        r.iq_on(
            self,
            IqType::Set,
            ("unblock", ns::BLOCKING),
            IqTarget::Account,
            |me, req| async move { me.unblock(&req).await },
        );
        let me = Arc::clone(self);
        r.async_hook::<ResourceBound, _, _>(0, move |server, ev| {
            let me = Arc::clone(&me);
            async move {
                me.bound(&server, &ev).await;
                Flow::Continue(())
            }
        });
        let me = Arc::clone(self);
        r.async_hook::<SessionClosed, _, _>(0, move |server, ev| {
            let me = Arc::clone(&me);
            async move {
                me.closed(&server, &ev);
                Flow::Continue(())
            }
        });
        let me = Arc::clone(self);
        r.hook::<StanzaFromClient, _>(0, move |server, arg| me.outbound(server, arg));
        let me = Arc::clone(self);
        let quick = Arc::clone(self);
        r.async_hook_quick::<StanzaToAccount, _, _, _>(
            0,
            move |_, st| quick.inbound_quick(st),
            move |server, st| {
                let me = Arc::clone(&me);
                async move { me.inbound(&server, &st).await }
            },
        );
        let me = Arc::clone(self);
        let quick = Arc::clone(self);
        r.async_hook_quick::<IsBlocked, _, _, _>(
            0,
            move |_, q| {
                let cached = quick
                    .cache()
                    .get(&q.owner)
                    .map(|c| matches(&c.items, &q.other));
                let blocked = match cached {
                    Some(b) => b,
                    None if quick.known_empty(q.owner.as_str()) => false,
                    None => return None,
                };
                Some(if blocked {
                    Flow::Break(())
                } else {
                    Flow::Continue(())
                })
            },
            move |_, q| {
                let me = Arc::clone(&me);
                async move {
                    if me.blocks(&q.owner, &q.other).await {
                        Flow::Break(())
                    } else {
                        Flow::Continue(())
                    }
                }
            },
        );
    }
}

fn internal() -> IqError {
    StanzaErrorCondition::InternalServerError.into()
}

/// The error for a stanza to a blocked entity (XEP-0191 §3.3 Example 9: type `cancel`, since
/// retrying will not help until the user unblocks).
pub fn blocked_error() -> StanzaError {
    StanzaError::new(StanzaErrorCondition::NotAcceptable)
        .with_type(StanzaErrorType::Cancel)
        .with_app_condition(Element::new(ns::BLOCKING_ERRORS, "blocked"))
}

/// `<name xmlns='urn:xmpp:blocking'>` with one `<item/>` per JID.
fn list_element(name: &str, jids: &[String]) -> Element {
    let mut el = Element::new(ns::BLOCKING, name.to_owned());
    for j in jids {
        el.append_child(Element::new(ns::BLOCKING, "item").with_attr("jid", j.clone()));
    }
    el
}

/// The `<item jid='…'/>` JIDs of a block or unblock request, prepared, without duplicates.
fn requested_items(payload: &Element) -> Result<Vec<String>, IqError> {
    let mut out: Vec<String> = Vec::new();
    for item in payload.children().filter(|c| c.is("item", ns::BLOCKING)) {
        let Some(raw) = item.attr("jid") else {
            return Err(StanzaError::new(StanzaErrorCondition::BadRequest)
                .with_text(Some("en"), "an <item/> needs a jid attribute")
                .into());
        };
        let jid = Jid::parse(raw).map_err(|e| {
            IqError::from(
                StanzaError::new(StanzaErrorCondition::JidMalformed)
                    .with_text(Some("en"), format!("{raw:?}: {e}")),
            )
        })?;
        let s = jid.as_str().to_owned();
        if !out.contains(&s) {
            out.push(s);
        }
    }
    Ok(out)
}

impl Blocking {
    fn cache(&self) -> MutexGuard<'_, HashMap<BareJid, Cached>> {
        self.cache.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn empty(&self) -> MutexGuard<'_, HashSet<BareJid>> {
        self.empty.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `owner`'s list is known to be empty without reading the store.
    fn known_empty(&self, owner: &str) -> bool {
        self.empty().contains(owner)
    }

    async fn stored(&self, owner: &BareJid) -> Result<HashSet<String>, StorageError> {
        let Some(st) = &self.storage else {
            return Ok(HashSet::new());
        };
        let entries = st.map().list(owner, STORE).await?;
        Ok(entries.into_iter().map(|(k, _)| k).collect())
    }

    /// The account's list: the cache, or the store.
    async fn current(&self, owner: &BareJid) -> Result<HashSet<String>, StorageError> {
        if let Some(c) = self.cache().get(owner) {
            return Ok(c.items.clone());
        }
        self.stored(owner).await
    }

    /// Whether `owner` blocks `other`. A storage failure is logged and counts as not blocked.
    pub async fn blocks(&self, owner: &BareJid, other: &Jid) -> bool {
        if let Some(c) = self.cache().get(owner) {
            return matches(&c.items, other);
        }
        if self.known_empty(owner.as_str()) {
            return false;
        }
        match self.stored(owner).await {
            Ok(items) => matches(&items, other),
            Err(e) => {
                tracing::error!(%owner, error = %e, "blocklist read failed");
                false
            }
        }
    }

    async fn bound(&self, server: &Server, ev: &SessionEvent) {
        let owner = ev.jid.to_bare();
        let _guard = self.locks.lock(&owner).await;
        if self.cache().contains_key(&owner) {
            return;
        }
        let items = if self.known_empty(owner.as_str()) {
            Ok(HashSet::new())
        } else {
            self.stored(&owner).await
        };
        match items {
            // The session may have ended while the list was read.
            Ok(items) if server.sessions().has_sessions(&owner) => {
                self.cache().entry(owner).or_insert(Cached {
                    items,
                    interested: HashSet::new(),
                });
            }
            Ok(_) => {}
            Err(e) => {
                tracing::error!(%owner, error = %e, "blocklist load failed; not enforced for this session");
            }
        }
    }

    fn closed(&self, server: &Server, ev: &SessionEvent) {
        let owner = ev.jid.to_bare();
        let mut cache = self.cache();
        if !server.sessions().has_sessions(&owner) {
            if let Some(c) = cache.remove(&owner)
                && c.items.is_empty()
            {
                let mut empty = self.empty();
                if empty.len() < MAX_KNOWN_EMPTY {
                    empty.insert(owner);
                }
            }
        } else if let Some(c) = cache.get_mut(&owner) {
            c.interested.remove(&ev.jid);
        }
    }

    /// §3.3: a client's stanza to an entity its account blocks is refused.
    fn outbound(&self, server: &Server, arg: &mut ClientStanza) -> Flow {
        let Some(to) = arg.stanza.to() else {
            return Flow::Continue(());
        };
        if to.node() == arg.session.node() && to.domain() == arg.session.domain() {
            return Flow::Continue(());
        }
        let blocked = self
            .cache()
            .get(arg.session.bare_str())
            .is_some_and(|c| matches(&c.items, to));
        if !blocked {
            return Flow::Continue(());
        }
        if let Some(reply) = arg.stanza.error_reply(&blocked_error()) {
            server.deliver_to_session(&arg.session, reply);
        }
        Flow::Break(())
    }

    /// Whether the recipient of `st` blocks its sender, when that is known without the store:
    /// stanzas without both addresses or within one account are never blocked, and an account
    /// whose list is cached (or remembered empty) is answered under one lock without
    /// allocating. `None`: the store decides.
    fn blocked_without_store(&self, st: &Stanza) -> Option<bool> {
        let (Some(to), Some(from)) = (st.to(), st.from()) else {
            return Some(false);
        };
        if from.node() == to.node() && from.domain() == to.domain() {
            return Some(false);
        }
        match self
            .cache()
            .get(to.bare_str())
            .map(|c| matches(&c.items, from))
        {
            Some(b) => Some(b),
            None if self.known_empty(to.bare_str()) => Some(false),
            None => None,
        }
    }

    /// [`Self::inbound`] without awaiting, when it can: the stanza is known not to be blocked.
    /// `None`: blocked (an error may be owed) or not known (the store decides).
    fn inbound_quick(&self, st: &Stanza) -> Option<Flow> {
        (self.blocked_without_store(st) == Some(false)).then_some(Flow::Continue(()))
    }

    /// §3.3: a stanza from an entity the recipient blocks.
    async fn inbound(&self, server: &Server, st: &Stanza) -> Flow {
        let blocked = match self.blocked_without_store(st) {
            Some(b) => b,
            None => match (st.to(), st.from()) {
                (Some(to), Some(from)) => self.blocks(&to.to_bare(), from).await,
                _ => false,
            },
        };
        if !blocked {
            return Flow::Continue(());
        }
        let answer = match st {
            Stanza::Presence(_) => false,
            Stanza::Message(_) => true,
            Stanza::Iq(iq) => iq.type_().is_request(),
        };
        if answer {
            let err = StanzaError::new(StanzaErrorCondition::ServiceUnavailable);
            if let Some(reply) = st.error_reply(&err)
                && let Ok(reply) = Stanza::from_element(reply)
            {
                server.route(reply).await;
            }
        }
        Flow::Break(())
    }

    async fn get(&self, req: &IqRequest) -> IqResult {
        if !req.from_account_itself() {
            return Err(StanzaErrorCondition::Forbidden.into());
        }
        let owner = req.to.to_bare();
        let items = self.current(&owner).await.map_err(|e| {
            tracing::error!(%owner, error = %e, "blocklist read failed");
            internal()
        })?;
        if let Ok(full) = FullJid::try_from(req.from.clone())
            && let Some(c) = self.cache().get_mut(&owner)
        {
            c.interested.insert(full);
        }
        let mut items: Vec<String> = items.into_iter().collect();
        items.sort();
        Ok(Some(list_element("blocklist", &items)))
    }

    async fn block(&self, req: &IqRequest) -> IqResult {
        if !req.from_account_itself() {
            return Err(StanzaErrorCondition::Forbidden.into());
        }
        let Some(payload) = req.payload() else {
            return Err(StanzaErrorCondition::BadRequest.into());
        };
        let requested = requested_items(payload)?;
        if requested.is_empty() {
            return Err(StanzaError::new(StanzaErrorCondition::BadRequest)
                .with_text(Some("en"), "<block/> needs at least one <item/>")
                .into());
        }
        let owner = req.to.to_bare();
        let guard = self.locks.lock(&owner).await;
        let current = self.current(&owner).await.map_err(|e| {
            tracing::error!(%owner, error = %e, "blocklist read failed");
            internal()
        })?;
        let new: Vec<String> = requested
            .iter()
            .filter(|j| !current.contains(*j))
            .cloned()
            .collect();
        if current.len() + new.len() > self.max_items {
            return Err(StanzaError::new(StanzaErrorCondition::PolicyViolation)
                .with_text(
                    Some("en"),
                    format!("a blocklist holds at most {} JIDs", self.max_items),
                )
                .into());
        }
        let (written, failed) = self.write(&owner, &new, true).await;
        self.apply(&owner, &written, true);
        drop(guard);
        let pushed = if failed { &written } else { &requested };
        self.announce(&req.server, &owner, "block", pushed, &written, &[])
            .await;
        if failed { Err(internal()) } else { Ok(None) }
    }

    async fn unblock(&self, req: &IqRequest) -> IqResult {
        if !req.from_account_itself() {
            return Err(StanzaErrorCondition::Forbidden.into());
        }
        let Some(payload) = req.payload() else {
            return Err(StanzaErrorCondition::BadRequest.into());
        };
        let requested = requested_items(payload)?;
        let owner = req.to.to_bare();
        let guard = self.locks.lock(&owner).await;
        let current = self.current(&owner).await.map_err(|e| {
            tracing::error!(%owner, error = %e, "blocklist read failed");
            internal()
        })?;
        if requested.is_empty() {
            // §3.5: unblock all.
            let Some(st) = &self.storage else {
                return Err(internal());
            };
            if let Err(e) = st.map().delete_all(&owner, STORE).await {
                tracing::error!(%owner, error = %e, "blocklist clear failed");
                return Err(internal());
            }
            let mut all: Vec<String> = current.into_iter().collect();
            all.sort();
            self.apply(&owner, &all, false);
            drop(guard);
            self.announce(&req.server, &owner, "unblock", &[], &[], &all)
                .await;
            return Ok(None);
        }
        let gone: Vec<String> = requested
            .iter()
            .filter(|j| current.contains(*j))
            .cloned()
            .collect();
        let (written, failed) = self.write(&owner, &gone, false).await;
        self.apply(&owner, &written, false);
        drop(guard);
        let pushed = if failed { &written } else { &requested };
        self.announce(&req.server, &owner, "unblock", pushed, &[], &written)
            .await;
        if failed { Err(internal()) } else { Ok(None) }
    }

    /// Stores (`block`) or removes each JID; returns those done and whether one failed.
    async fn write(&self, owner: &BareJid, jids: &[String], block: bool) -> (Vec<String>, bool) {
        let mut done = Vec::new();
        let Some(st) = &self.storage else {
            return (done, !jids.is_empty());
        };
        for j in jids {
            let r = if block {
                st.map().set(owner, STORE, j, b"").await
            } else {
                st.map().delete(owner, STORE, j).await.map(|_| ())
            };
            if let Err(e) = r {
                tracing::error!(%owner, jid = %j, error = %e, "blocklist write failed");
                return (done, true);
            }
            done.push(j.clone());
        }
        (done, false)
    }

    fn apply(&self, owner: &BareJid, jids: &[String], block: bool) {
        let mut cache = self.cache();
        if block {
            // Even when nothing was written: a failed write may have reached the disk.
            self.empty().remove(owner);
        }
        if let Some(c) = cache.get_mut(owner) {
            for j in jids {
                if block {
                    c.items.insert(j.clone());
                } else {
                    c.items.remove(j);
                }
            }
        }
    }

    /// Pushes `<name>` with `pushed` to the interested resources (§3.3–§3.5), then fires
    /// [`BlocklistChanged`] for what actually changed.
    async fn announce(
        &self,
        server: &Server,
        owner: &BareJid,
        name: &str,
        pushed: &[String],
        blocked: &[String],
        unblocked: &[String],
    ) {
        let interested: Vec<FullJid> = self
            .cache()
            .get(owner)
            .map(|c| c.interested.iter().cloned().collect())
            .unwrap_or_default();
        for full in interested {
            let mut iq = Element::new(ns::CLIENT, "iq")
                .with_attr("type", "set")
                .with_attr("id", waxwing_stanza::id::new_id())
                .with_attr("to", full.as_str().to_owned());
            iq.append_child(list_element(name, pushed));
            server.deliver_to_session(&full, iq);
        }
        if blocked.is_empty() && unblocked.is_empty() {
            return;
        }
        let to_jids =
            |v: &[String]| -> Vec<Jid> { v.iter().filter_map(|s| Jid::parse(s).ok()).collect() };
        let change = BlocklistChange {
            owner: owner.clone(),
            blocked: to_jids(blocked),
            unblocked: to_jids(unblocked),
        };
        let _ = server.run_async_hook::<BlocklistChanged>(change).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matching_table() {
        // XEP-0191 §6 (after XEP-0016 §2.1).
        let rows: &[(&str, &str, bool)] = &[
            (
                "romeo@montague.net/orchard",
                "romeo@montague.net/orchard",
                true,
            ),
            (
                "romeo@montague.net/orchard",
                "romeo@montague.net/garden",
                false,
            ),
            ("romeo@montague.net/orchard", "romeo@montague.net", false),
            ("romeo@montague.net", "romeo@montague.net/orchard", true),
            ("romeo@montague.net", "romeo@montague.net", true),
            ("romeo@montague.net", "benvolio@montague.net/x", false),
            ("romeo@montague.net", "montague.net", false),
            ("montague.net/chapel", "montague.net/chapel", true),
            ("montague.net/chapel", "montague.net/crypt", false),
            ("montague.net/chapel", "romeo@montague.net/chapel", false),
            ("montague.net", "montague.net", true),
            ("montague.net", "romeo@montague.net", true),
            ("montague.net", "romeo@montague.net/orchard", true),
            ("montague.net", "montague.net/chapel", true),
            ("montague.net", "chat.montague.net", true),
            ("montague.net", "juliet@chat.montague.net/x", true),
            ("montague.net", "capulet.net", false),
            ("montague.net", "notmontague.net", false),
            ("montague.net", "montague.net.evil", false),
        ];
        for (item, other, want) in rows {
            let items: HashSet<String> = [Jid::parse(item).unwrap().as_str().to_owned()].into();
            assert_eq!(
                matches(&items, &Jid::parse(other).unwrap()),
                *want,
                "{item} vs {other}"
            );
        }
        assert!(!matches(&HashSet::new(), &Jid::parse("a@b").unwrap()));
    }
}
