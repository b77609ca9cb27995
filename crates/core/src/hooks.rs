//! Every extension point of the core, as types.
//!
//! A hook is a marker type implementing one of three traits; a misspelled hook does not compile
//! and its argument type is fixed by the hook:
//! - [`Hook`]: synchronous, for the hot path (every stanza). Handlers get `&mut` the argument and
//!   return [`Flow`]; invoking a chain allocates nothing.
//! - [`AsyncHook`]: handlers may await (storage); the argument is shared behind one `Arc`.
//!   A handler may come with a synchronous answer for the common case
//!   ([`crate::Registrar::async_hook_quick`]): while every handler answers that way, running
//!   the chain allocates nothing (no `Arc`, no boxed future).
//! - [`Fold`]: handlers add to an accumulator (stream features, disco#info answers).
//!
//! Handlers run in descending priority; among equal priorities, in registration order.
//! `ControlFlow::Break` stops a [`Hook`] or [`AsyncHook`] chain and means "handled": the core's
//! default action (documented on each hook) is then skipped.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::Pin;
use std::sync::Arc;

use waxwing_jid::{BareJid, FullJid, Jid};
use waxwing_stanza::{Message, Presence, PresenceType, Stanza};
use waxwing_xml::Element;

use crate::Server;
use crate::session::SessionId;

/// What a hook handler returns: `Break` = handled, stop the chain.
pub type Flow = ControlFlow<()>;

/// A boxed, sendable future.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A synchronous hook (see the module docs).
pub trait Hook: 'static {
    /// What handlers receive (by `&mut`).
    type Arg: Send + 'static;
}

/// An asynchronous hook (see the module docs).
pub trait AsyncHook: 'static {
    /// What handlers receive (shared).
    type Arg: Send + Sync + 'static;
}

/// An accumulating hook (see the module docs).
pub trait Fold: 'static {
    /// The question.
    type Input: Sync + 'static;
    /// The answer being built.
    type Acc: 'static;
}

pub(crate) type SyncFn<H> = dyn Fn(&Server, &mut <H as Hook>::Arg) -> Flow + Send + Sync;
pub(crate) type AsyncRun<H> =
    dyn Fn(Server, Arc<<H as AsyncHook>::Arg>) -> BoxFuture<'static, Flow> + Send + Sync;
pub(crate) type QuickFn<H> = dyn Fn(&Server, &<H as AsyncHook>::Arg) -> Option<Flow> + Send + Sync;

/// One handler of an [`AsyncHook`]: an optional synchronous answer, then the async handler.
pub(crate) struct AsyncFn<H: AsyncHook> {
    /// `Some(flow)` answers without calling `run`: no `Arc`, no boxed future (hot paths).
    pub(crate) quick: Option<Box<QuickFn<H>>>,
    pub(crate) run: Box<AsyncRun<H>>,
}

/// An async hook's argument on its way along the chain: owned until the first handler that
/// has to await needs it shared, so a chain answered synchronously allocates nothing.
pub(crate) struct HookArg<T> {
    owned: Option<T>,
    shared: Option<Arc<T>>,
}

impl<T> HookArg<T> {
    pub(crate) fn new(arg: T) -> Self {
        Self {
            owned: Some(arg),
            shared: None,
        }
    }

    /// The argument (always `Some`: one of the two is set).
    pub(crate) fn get(&self) -> Option<&T> {
        self.shared.as_deref().or(self.owned.as_ref())
    }

    /// The argument shared for an async handler.
    pub(crate) fn share(&mut self) -> Option<Arc<T>> {
        if let Some(t) = self.owned.take() {
            self.shared = Some(Arc::new(t));
        }
        self.shared.clone()
    }

    /// Whether an async handler has had the argument (and may have awaited).
    pub(crate) fn was_shared(&self) -> bool {
        self.shared.is_some()
    }

    /// The argument back, copied only if a handler kept a reference.
    pub(crate) fn into_inner(self) -> Option<T>
    where
        T: Clone,
    {
        match (self.owned, self.shared) {
            (Some(t), _) => Some(t),
            (None, Some(a)) => Some(Arc::try_unwrap(a).unwrap_or_else(|a| (*a).clone())),
            (None, None) => None,
        }
    }
}
pub(crate) type FoldFn<F> =
    dyn Fn(&Server, &<F as Fold>::Input, &mut <F as Fold>::Acc) + Send + Sync;

pub(crate) struct Entry<F: ?Sized> {
    pub(crate) priority: i32,
    pub(crate) module: &'static str,
    pub(crate) f: Arc<F>,
}

/// Hashes `TypeId`s, which are hashes already: a multiply-rotate fold (FxHash) instead of
/// SipHash, which cost about a tenth of a routed message's instructions in chain lookups.
/// Keys are types of this program, never peer data, so no flooding resistance is needed.
#[derive(Default)]
pub(crate) struct TypeIdHasher(u64);

impl std::hash::Hasher for TypeIdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Handler chains keyed by hook type and chain kind. The hook's own type must be part of the
/// key: two hooks with the same argument type have the same handler type.
#[derive(Default)]
pub(crate) struct HookTable {
    chains: HashMap<
        (TypeId, TypeId),
        Box<dyn Any + Send + Sync>,
        std::hash::BuildHasherDefault<TypeIdHasher>,
    >,
}

impl HookTable {
    fn key<K: 'static, F: ?Sized + 'static>() -> (TypeId, TypeId) {
        (TypeId::of::<K>(), TypeId::of::<Vec<Entry<F>>>())
    }

    /// Adds `e` to hook `K`'s chain of handlers of type `F`.
    pub(crate) fn add<K: 'static, F: ?Sized + Send + Sync + 'static>(&mut self, e: Entry<F>) {
        let chain = self
            .chains
            .entry(Self::key::<K, F>())
            .or_insert_with(|| Box::new(Vec::<Entry<F>>::new()));
        if let Some(v) = chain.downcast_mut::<Vec<Entry<F>>>() {
            // After the last entry of higher or equal priority: stable by registration.
            let at = v.partition_point(|x| x.priority >= e.priority);
            v.insert(at, e);
        }
    }

    /// Hook `K`'s chain of handlers of type `F`, in running order.
    pub(crate) fn chain<K: 'static, F: ?Sized + Send + Sync + 'static>(&self) -> &[Entry<F>] {
        self.chains
            .get(&Self::key::<K, F>())
            .and_then(|c| c.downcast_ref::<Vec<Entry<F>>>())
            .map_or(&[], Vec::as_slice)
    }

    /// Module names of the handlers on hook `K`'s chain `F`, in running order.
    pub(crate) fn modules<K: 'static, F: ?Sized + Send + Sync + 'static>(
        &self,
    ) -> Vec<&'static str> {
        self.chain::<K, F>().iter().map(|e| e.module).collect()
    }
}

// ------------------------------------------------------------------------------------------------
// The extension points
// ------------------------------------------------------------------------------------------------

/// A stanza a bound client sent, after the `from` check and stamp (RFC 6120 §8.1.2.1).
#[derive(Debug)]
pub struct ClientStanza {
    /// The sending session's full JID.
    pub session: FullJid,
    /// The stanza, `from` already stamped. Handlers may change it (use the view's setters).
    pub stanza: Stanza,
}

/// Every stanza from a bound client, before routing. Hot path: keep handlers cheap.
/// Break = consumed (the core routes nothing). Default: route it (RFC 6120 §10).
pub struct StanzaFromClient;
impl Hook for StanzaFromClient {
    type Arg = ClientStanza;
}

/// A session event.
#[derive(Clone, Debug)]
pub struct SessionEvent {
    /// The session's full JID.
    pub jid: FullJid,
    /// The session's id.
    pub id: SessionId,
}

/// A session bound its resource (RFC 6120 §7). Fired by [`Server::bind`] before the bind is
/// answered, so per-session state a module loads here (roster, blocklist) is ready before the
/// client can send its first stanza. The return value is ignored (every handler runs).
pub struct ResourceBound;
impl AsyncHook for ResourceBound {
    type Arg = SessionEvent;
}

/// A bound session ended (fired by [`Server::session_closed`] when the session was still
/// registered). Presence (unavailable broadcast) and per-session state cleanup plug in here;
/// every handler runs.
pub struct SessionClosed;
impl AsyncHook for SessionClosed {
    type Arg = SessionEvent;
}

/// The server is stopping, after its sessions have closed (fired by [`Server::stop`]):
/// modules write what they still hold in memory (batched writes). Every handler runs.
pub struct ServerStopping;
impl AsyncHook for ServerStopping {
    type Arg = ();
}

/// A change of a session's broadcast presence.
#[derive(Clone, Debug)]
pub struct PresenceChange {
    /// The session's full JID (also the presence's `from`).
    pub session: FullJid,
    /// The presence as the client sent it, `from` stamped; no `to`. Type available or
    /// unavailable.
    pub presence: Presence,
    /// Whether the session was available before this presence. Available presence from a
    /// session that was not is *initial presence* (RFC 6121 §4.2): probes, offline messages
    /// and pending subscription requests follow it.
    pub was_available: bool,
}

impl PresenceChange {
    /// Whether this is initial presence (RFC 6121 §4.2.1).
    pub fn is_initial(&self) -> bool {
        !self.was_available && self.presence.type_() == PresenceType::Available
    }
}

/// Presence with no `to` from a client: its broadcast presence (RFC 6121 §4.2, §4.4, §4.5).
/// The core has already recorded the availability and priority in the session registry.
/// Default: nothing (the presence module broadcasts it).
pub struct PresenceBroadcast;
impl AsyncHook for PresenceBroadcast {
    type Arg = PresenceChange;
}

/// Presence with a `to` from a bound client, after the `from` stamp and before routing:
/// subscription requests and answers (RFC 6121 §3), directed presence (§4.6), probes.
/// Break = handled (the handler routed what must be routed). Default: routed as it is.
pub struct PresenceFromClient;
impl AsyncHook for PresenceFromClient {
    type Arg = Presence;
}

/// Every stanza routed to an existing local account (its bare JID or one of its full JIDs),
/// from a local session, a module or a remote server, before the delivery rules of RFC 6121
/// §8.5 apply: privacy and blocking (XEP-0191) plug in here. Break = consumed (the handler sent
/// any error reply). Default: delivered by the rules.
pub struct StanzaToAccount;
impl AsyncHook for StanzaToAccount {
    type Arg = Stanza;
}

/// A message addressed to a domain this server serves (RFC 6120 §10.5.1).
/// Default: `service-unavailable` to the sender (never for `type='error'`).
pub struct MessageToServer;
impl AsyncHook for MessageToServer {
    type Arg = Message;
}

/// A presence addressed to a domain this server serves (RFC 6120 §10.5.1). Default: dropped.
pub struct PresenceToServer;
impl AsyncHook for PresenceToServer {
    type Arg = Presence;
}

/// A presence addressed to an existing local account's bare JID, or a subscription-related
/// presence or probe to one of its full JIDs (RFC 6121 §8.5.2.1.2, §8.5.2.2.2, §8.5.3, §4.3).
/// Default: dropped (the roster and presence module plugs in here).
pub struct PresenceToAccount;
impl AsyncHook for PresenceToAccount {
    type Arg = Presence;
}

/// A `chat` or `normal` message for an existing account with no available resource of
/// non-negative priority (RFC 6121 §8.5.2.2.1, §8.5.3.2.1). Break = handled (e.g. stored
/// offline, XEP-0160). Default: `service-unavailable` to the sender.
pub struct MessageUndeliverable;
impl AsyncHook for MessageUndeliverable {
    type Arg = Message;
}

/// A question for the blocking module (XEP-0191): does `owner` block `other`?
#[derive(Clone, Debug)]
pub struct BlockQuery {
    /// The account whose blocklist is asked about.
    pub owner: BareJid,
    /// The other entity (any JID form).
    pub other: Jid,
}

/// Whether communication between an account and another entity is blocked (XEP-0191 §3.4
/// matching). Modules that send on an account's behalf (presence broadcast, probe answers) ask
/// it with [`Server::run_async_hook`]: Break = blocked. Default: not blocked.
pub struct IsBlocked;
impl AsyncHook for IsBlocked {
    type Arg = BlockQuery;
}

/// A change to an account's blocklist (XEP-0191 §3.3, §3.5), fired by the blocking module after
/// it is stored; the presence module sends the presence consequences (unavailable presence to
/// newly blocked contacts, current presence to unblocked ones).
#[derive(Clone, Debug)]
pub struct BlocklistChange {
    /// The account.
    pub owner: BareJid,
    /// JIDs added to the blocklist.
    pub blocked: Vec<Jid>,
    /// JIDs removed from it (all of them on unblock-all).
    pub unblocked: Vec<Jid>,
}

/// See [`BlocklistChange`]; every handler runs.
pub struct BlocklistChanged;
impl AsyncHook for BlocklistChanged {
    type Arg = BlocklistChange;
}

/// Stream features offered to an authenticated client on the restarted stream, next to
/// `<bind/>` (RFC 6120 §4.3.2; e.g. XEP-0198 `<sm/>`, XEP-0352 `<csi/>`).
pub struct StreamFeaturesPostBind;
impl Fold for StreamFeaturesPostBind {
    type Input = ();
    type Acc = Vec<Element>;
}

/// A disco#info request (XEP-0030 §3.1) to a served domain or an account's bare JID.
#[derive(Clone, Debug)]
pub struct DiscoQuery {
    /// The requester.
    pub from: Jid,
    /// The entity asked about: a domain or a bare account JID.
    pub to: Jid,
    /// The `node` attribute, if any.
    pub node: Option<String>,
}

/// One `<identity/>` (XEP-0030 §3.1).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Identity {
    /// `category`, e.g. `server`.
    pub category: String,
    /// `type`, e.g. `im`.
    pub type_: String,
    /// `xml:lang`.
    pub lang: Option<String>,
    /// `name`.
    pub name: Option<String>,
}

impl Identity {
    /// An identity without name or language.
    pub fn new(category: &str, type_: &str) -> Self {
        Self {
            category: category.to_owned(),
            type_: type_.to_owned(),
            lang: None,
            name: None,
        }
    }
}

/// A disco#info answer being built.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DiscoInfo {
    /// Identities.
    pub identities: Vec<Identity>,
    /// Feature namespaces.
    pub features: Vec<String>,
    /// Extended information forms (XEP-0128).
    pub extensions: Vec<Element>,
}

/// Contributions to a disco#info answer beyond the static features registered with
/// [`crate::Registrar::disco_feature`] (e.g. account features, node answers).
pub struct DiscoInfoFold;
impl Fold for DiscoInfoFold {
    type Input = DiscoQuery;
    type Acc = DiscoInfo;
}

/// Contributions to a disco#items answer (XEP-0030 §4.1): `<item/>` elements.
pub struct DiscoItemsFold;
impl Fold for DiscoItemsFold {
    type Input = DiscoQuery;
    type Acc = Vec<Element>;
}

#[cfg(test)]
mod tests {
    use super::*;

    struct H;
    impl Hook for H {
        type Arg = Vec<&'static str>;
    }

    #[test]
    fn chains_run_by_priority_then_registration() {
        let mut t = HookTable::default();
        for (priority, module) in [(0, "a"), (10, "b"), (0, "c"), (-5, "d"), (10, "e")] {
            let f: Arc<SyncFn<H>> = Arc::new(|_, _| Flow::Continue(()));
            t.add::<H, _>(Entry {
                priority,
                module,
                f,
            });
        }
        assert_eq!(t.modules::<H, SyncFn<H>>(), ["b", "e", "a", "c", "d"]);
        // A hook with the same argument type has its own chain.
        assert!(t.chain::<Same, SyncFn<Same>>().is_empty());
    }

    struct Same;
    impl Hook for Same {
        type Arg = Vec<&'static str>;
    }
}
