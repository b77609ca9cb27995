//! RFC 6121 roster management (§2), roster versioning (§2.6), presence subscriptions (§3 and
//! the state tables of Appendix A) and subscription pre-approval (§3.4).
//!
//! Each account's roster lives in memory while the account has a session (loaded at
//! `ResourceBound` with one Map `list`, written through on every change) and is read from
//! storage on demand otherwise. Every operation takes the account's lock, computes the change
//! and what must be sent, writes storage, releases the lock, and only then routes stanzas: a
//! stanza routed to a local contact re-enters this module for the contact's account, and may
//! come back (an auto-reply), so nothing is routed under a lock.
//!
//! Operations, one file each: `get` (§2.2, §2.6.3), `set` (§2.3–§2.5), `store` (§2.6
//! versions), [`subscription`] (§3, Appendix A, §3.4), [`item`] (the states of Appendix
//! A.1). Pushes (§2.1.6) go to *interested* resources only: those that requested the roster.
//!
//! Choices where the RFC leaves one:
//! - Roster set errors (§2.3.3): `bad-request` for several items, a missing `jid`, a
//!   `subscription` other than `remove`, an `ask` attribute, or duplicate groups;
//!   `not-acceptable` for a name or group longer than the configured limit, or an empty group;
//!   `jid-malformed` for an unparsable `jid`. The roster quota (`max_items`) answers
//!   `not-allowed` (cancel): a policy refusal that retrying will not change (RFC 6120
//!   §8.3.3.12), where `resource-constraint` (§8.3.3.18, type wait) would tell the client to
//!   retry later.
//! - A subscription request from a contact outside the roster is kept apart from it (§3.1.3:
//!   "MUST NOT add an item") and is redelivered at every initial presence until answered; at
//!   most `max_items` such requests are kept, later ones are dropped.
//! - An inbound `subscribe` repeated while one is pending is not delivered again (A.3.1) and
//!   the first request stays stored.

mod get;
pub mod item;
mod set;
mod store;
pub mod subscription;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use waxwing_core::hooks::{
    PresenceFromClient, PresenceToAccount, ResourceBound, SessionClosed, StanzaFromClient,
    StreamFeaturesPostBind,
};
use waxwing_core::{BuildContext, BuildError, Flow, IqTarget, IqType, Module, Registrar, Server};
use waxwing_jid::{BareJid, FullJid};
use waxwing_stanza::{Iq, id, ns};
use waxwing_storage::{Storage, StorageError};
use waxwing_xml::Element;

pub use item::{Item, Kind, State, Subscription};
use store::RosterData;

/// Roster versioning stream feature (RFC 6121 §2.6.1).
pub const NS_ROSTERVER: &str = "urn:xmpp:features:rosterver";
/// Subscription pre-approval stream feature (RFC 6121 §3.4).
pub const NS_PRE_APPROVAL: &str = "urn:xmpp:features:pre-approval";

/// `[modules.roster]`.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RosterConfig {
    /// Most items in one roster (RFC 6121 §2.3.3 quota); also the most subscription requests
    /// kept from contacts outside the roster.
    pub max_items: usize,
    /// Longest item name, in bytes (§2.3.3 `not-acceptable`).
    pub max_name_len: usize,
    /// Longest group name, in bytes (§2.3.3 `not-acceptable`).
    pub max_group_len: usize,
    /// Most groups on one item.
    pub max_groups: usize,
    /// Whether roster versioning (§2.6) is offered.
    pub versioning: bool,
    /// Most tombstones of removed items kept for versioning; older versions get the whole
    /// roster.
    pub max_tombstones: usize,
    /// Whether subscription pre-approval (§3.4) is offered.
    pub pre_approval: bool,
}

impl Default for RosterConfig {
    fn default() -> Self {
        Self {
            max_items: 1000,
            max_name_len: 1023,
            max_group_len: 1023,
            max_groups: 64,
            versioning: true,
            max_tombstones: 1000,
            pre_approval: true,
        }
    }
}

/// A resource that requested the roster (RFC 6121 §2.1.6).
#[derive(Clone, Debug)]
pub(crate) struct Interested {
    pub(crate) jid: FullJid,
    /// It sent `ver` (§2.6): pushes carry `ver`.
    pub(crate) versioned: bool,
}

/// One account's roster state.
#[derive(Debug, Default)]
pub(crate) struct Account {
    data: Option<RosterData>,
    sessions: usize,
    interested: Vec<Interested>,
}

/// The roster module.
pub struct Roster {
    config: RosterConfig,
    /// `None`: rosters live in memory only, for the server's lifetime (tests, no storage).
    storage: Option<Storage>,
    accounts: Mutex<HashMap<BareJid, Arc<AsyncMutex<Account>>>>,
}

impl std::fmt::Debug for Roster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Roster")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// An account's roster, locked.
pub(crate) struct Locked<'a> {
    roster: &'a Roster,
    owner: BareJid,
    entry: Arc<AsyncMutex<Account>>,
    guard: OwnedMutexGuard<Account>,
    changed: Vec<BareJid>,
}

impl Drop for Locked<'_> {
    fn drop(&mut self) {
        if self.guard.sessions == 0 {
            // The map's reference, ours and the guard's.
            self.roster.release(&self.owner, &self.entry, 3);
        }
    }
}

impl Locked<'_> {
    fn account(&mut self) -> &mut Account {
        &mut self.guard
    }

    /// The records.
    pub(crate) fn data(&mut self) -> &mut RosterData {
        self.guard.data.get_or_insert_with(RosterData::default)
    }

    /// The record for `jid`, created (outside the roster) if absent; marked changed.
    pub(crate) fn item_mut(&mut self, jid: &BareJid) -> &mut Item {
        if !self.changed.contains(jid) {
            self.changed.push(jid.clone());
        }
        self.data()
            .items
            .entry(jid.clone())
            .or_insert_with(|| Item::new(jid.clone()))
    }

    /// The record for `jid`.
    pub(crate) fn item(&mut self, jid: &BareJid) -> Option<&Item> {
        self.data().items.get(jid)
    }

    /// Marks a visible change of `jid`'s item: takes a new version and pushes the item (or its
    /// removal) to the interested resources (RFC 6121 §2.1.6).
    pub(crate) fn visible_change(&mut self, server: &Server, jid: &BareJid) {
        let ver = self.data().bump();
        let payload = {
            let item = self.item_mut(jid);
            item.ver = ver;
            if item.in_roster {
                item.to_client()
            } else {
                Item::removal(jid)
            }
        };
        let versioning = self.roster.config.versioning;
        for i in &self.guard.interested {
            server.deliver_to_session(
                &i.jid,
                push(&i.jid, &payload, (versioning && i.versioned).then_some(ver)),
            );
        }
    }

    /// Writes every changed record.
    pub(crate) async fn commit(&mut self) -> Result<(), StorageError> {
        let max = self.roster.config.max_tombstones;
        let mut changed = std::mem::take(&mut self.changed);
        changed.extend(self.data().prune_tombstones(max));
        let storage = self.roster.storage.clone();
        let owner = self.owner.clone();
        let result = self
            .data()
            .persist(storage.as_ref(), &owner, &changed)
            .await;
        if result.is_err() {
            // Memory may now be ahead of storage: reload from storage at the next use.
            self.guard.data = None;
        }
        result
    }
}

/// A roster push of `item` to `to` (RFC 6121 §2.1.6): no `from`, as the RFC's examples.
pub(crate) fn push(to: &FullJid, item: &Element, ver: Option<u64>) -> Element {
    let mut query = Element::new(ns::ROSTER, "query").with_child(item.clone());
    if let Some(ver) = ver {
        query.set_attr("ver", ver.to_string());
    }
    let mut iq = Iq::set(id::nonce(), query);
    iq.set_to(Some(to.clone().into()));
    iq.into_element()
}

impl Roster {
    /// The configuration.
    pub fn config(&self) -> &RosterConfig {
        &self.config
    }

    /// Locks `owner`'s roster, loading it if needed.
    pub(crate) async fn lock(&self, owner: &BareJid) -> Result<Locked<'_>, StorageError> {
        let entry = {
            let mut map = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
            Arc::clone(map.entry(owner.clone()).or_default())
        };
        let mut guard = Arc::clone(&entry).lock_owned().await;
        if guard.data.is_none() {
            match RosterData::load(self.storage.as_ref(), owner).await {
                Ok(d) => guard.data = Some(d),
                Err(e) => {
                    let keep = guard.sessions > 0;
                    drop(guard);
                    if !keep {
                        self.release(owner, &entry, 2);
                    }
                    return Err(e);
                }
            }
        }
        Ok(Locked {
            roster: self,
            owner: owner.clone(),
            entry,
            guard,
            changed: Vec::new(),
        })
    }

    /// Forgets an account's roster held for no session, unless someone else holds it.
    /// `held` is the number of references the caller holds, the map's included: with no
    /// other, nobody else is waiting for it.
    fn release(&self, owner: &BareJid, entry: &Arc<AsyncMutex<Account>>, held: usize) {
        if self.storage.is_none() {
            return;
        }
        let mut map = self.accounts.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = map.get(owner)
            && Arc::ptr_eq(e, entry)
            && Arc::strong_count(entry) <= held
        {
            map.remove(owner);
        }
    }

    /// Whether `owner`'s roster is in memory (the account has a session).
    fn is_cached(&self, owner: &BareJid) -> bool {
        self.accounts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .contains_key(owner)
    }

    /// The subscription between `owner` and `contact` as `owner`'s roster records it, with
    /// whether `contact` is pre-approved. Reads one record from storage when the roster is not
    /// in memory.
    pub async fn subscription(&self, owner: &BareJid, contact: &BareJid) -> Subscription {
        if self.is_cached(owner) {
            if let Ok(mut l) = self.lock(owner).await {
                return l
                    .item(contact)
                    .map_or(Subscription::None, |i| i.subscription);
            }
            return Subscription::None;
        }
        let Some(storage) = &self.storage else {
            return Subscription::None;
        };
        match storage
            .map()
            .get(owner, store::STORE, contact.as_str())
            .await
        {
            Ok(Some(v)) => Item::from_stored(&v).map_or(Subscription::None, |i| i.subscription),
            Ok(None) => Subscription::None,
            Err(e) => {
                tracing::error!(%owner, error = %e, "roster read failed");
                Subscription::None
            }
        }
    }

    /// Every contact in `owner`'s roster with its subscription.
    pub async fn contacts(&self, owner: &BareJid) -> Vec<(BareJid, Subscription)> {
        match self.lock(owner).await {
            Ok(mut l) => l
                .data()
                .items
                .values()
                .filter(|i| i.in_roster && i.subscription != Subscription::None)
                .map(|i| (i.jid.clone(), i.subscription))
                .collect(),
            Err(e) => {
                tracing::error!(%owner, error = %e, "roster load failed");
                Vec::new()
            }
        }
    }

    /// The subscription requests `owner` has not answered (RFC 6121 §3.1.3), as received.
    pub async fn pending_requests(&self, owner: &BareJid) -> Vec<Element> {
        match self.lock(owner).await {
            Ok(mut l) => l
                .data()
                .items
                .values()
                .filter_map(|i| i.pending_in.clone())
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    async fn session_bound(&self, jid: &FullJid) {
        match self.lock(&jid.to_bare()).await {
            Ok(mut l) => l.account().sessions += 1,
            Err(e) => tracing::error!(%jid, error = %e, "roster load failed"),
        }
    }

    async fn session_closed(&self, jid: &FullJid) {
        if let Ok(mut l) = self.lock(&jid.to_bare()).await {
            let acc = l.account();
            acc.sessions = acc.sessions.saturating_sub(1);
            acc.interested.retain(|i| i.jid != *jid);
        }
    }
}

impl Module for Roster {
    const NAME: &'static str = "roster";
    type Config = RosterConfig;

    fn build(cx: &BuildContext<'_>, config: RosterConfig) -> Result<Self, BuildError> {
        let storage = cx.storage().cloned();
        if storage.is_none() {
            tracing::warn!("roster: no storage; rosters are kept in memory only");
        }
        Ok(Self {
            config,
            storage,
            accounts: Mutex::default(),
        })
    }

    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        let versioning = self.config.versioning;
        let pre_approval = self.config.pre_approval;
        r.fold::<StreamFeaturesPostBind, _>(0, move |_, (), acc| {
            if versioning {
                acc.push(Element::new(NS_ROSTERVER, "ver"));
            }
            if pre_approval {
                acc.push(Element::new(NS_PRE_APPROVAL, "sub"));
            }
        });
        let m = Arc::clone(self);
        r.async_hook::<ResourceBound, _, _>(100, move |_, ev| {
            let m = Arc::clone(&m);
            async move {
                m.session_bound(&ev.jid).await;
                Flow::Continue(())
            }
        });
        let m = Arc::clone(self);
        r.async_hook::<SessionClosed, _, _>(-100, move |_, ev| {
            let m = Arc::clone(&m);
            async move {
                m.session_closed(&ev.jid).await;
                Flow::Continue(())
            }
        });
        r.iq_on(
            self,
            IqType::Get,
            ("query", ns::ROSTER),
            IqTarget::Account,
            |me, req| async move { me.get(req).await },
        );
        r.iq_on(
            self,
            IqType::Set,
            ("query", ns::ROSTER),
            IqTarget::Account,
            |me, req| async move { me.set(req).await },
        );
        if versioning {
            // A versioned get is answered here so that its result precedes the pushes
            // (RFC 6121 §2.6.3); IQ handlers cannot send after their result.
            r.hook::<StanzaFromClient, _>(0, Self::intercept_versioned_get);
        }
        let m = Arc::clone(self);
        r.async_hook::<PresenceFromClient, _, _>(100, move |server, p| {
            let m = Arc::clone(&m);
            async move { m.outbound(&server, &p).await }
        });
        let m = Arc::clone(self);
        r.async_hook::<PresenceToAccount, _, _>(100, move |server, p| {
            let m = Arc::clone(&m);
            async move { m.inbound(&server, &p).await }
        });
    }
}
