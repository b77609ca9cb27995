//! The local directory of bound c2s sessions (RFC 6120 §7) and the mailbox each session reads.
//!
//! The registry is keyed by bare JID and sharded, each shard behind a `RwLock`, so that lookups
//! for routing (the hot path) only take a read lock on one shard. It keeps no timers and no
//! per-session tasks: 100k sessions cost 100k small entries.
//!
//! Its method set (`register`, `unregister`, `set_presence`, `session`, `resources`) is the one a
//! cluster-wide `SessionDirectory` mirrors (see `design/clustering.md` §3.1): the router only
//! ever asks these questions, so a replicated directory can stand in later.

use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, RandomState};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use tokio::sync::Notify;
use waxwing_jid::{BareJid, FullJid};
use waxwing_stanza::{StanzaError, StanzaErrorCondition, StreamError, StreamErrorCondition, id};
use waxwing_xml::Element;

/// Identifies one session for its whole life; never reused within a process.
pub type SessionId = u64;

/// What the router asks a session task to do.
#[derive(Debug)]
pub enum SessionCommand {
    /// Write this stanza to the client. Its `to` and `from` are already final.
    Stanza(Element),
    /// Send this stream error and close the stream (RFC 6120 §4.9): resource conflict, slow
    /// reader, shutdown.
    Close(StreamError),
}

/// What a session's handles and its mailbox share: the bounded stanza queue and the close
/// signal that bypasses it (a full mailbox must still be able to carry "close now"). One small
/// allocation per session: the queue takes memory only while stanzas wait (tokio's channel
/// allocated its cache-padded state and a first block of 32 slots for every session, about
/// 800 bytes per idle session).
#[derive(Debug)]
struct Control {
    closing: AtomicBool,
    // Boxed: a pending close is rare, and every session carries this slot.
    reason: Mutex<Option<Box<StreamError>>>,
    /// Wakes the session task: a stanza queued, a close requested, the last handle dropped.
    notify: Notify,
    queue: Mutex<VecDeque<Queued>>,
    capacity: usize,
    /// Live [`SessionHandle`]s; the mailbox ends once none is left and the queue is empty.
    senders: AtomicUsize,
    /// The [`Mailbox`] was dropped: deliveries fail with [`DeliveryError::Gone`].
    receiver_gone: AtomicBool,
    /// Wakes [`SessionHandle::deliver_waiting`] callers when a full queue gets room.
    room: Notify,
}

/// Queue capacity kept once the queue is empty again (a burst's larger one is given back).
const QUEUE_KEEP: usize = 8;

impl Control {
    fn new(capacity: usize) -> Self {
        Self {
            closing: AtomicBool::new(false),
            reason: Mutex::new(None),
            notify: Notify::new(),
            queue: Mutex::new(VecDeque::new()),
            capacity,
            senders: AtomicUsize::new(1),
            receiver_gone: AtomicBool::new(false),
            room: Notify::new(),
        }
    }

    fn queue(&self) -> MutexGuard<'_, VecDeque<Queued>> {
        self.queue.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Queues `stanza` if there is room; gives it back if the queue is full.
    fn push(&self, stanza: Queued) -> Result<(), PushError> {
        let mut q = self.queue();
        if self.receiver_gone.load(Ordering::Acquire) {
            return Err(PushError::Gone);
        }
        if q.len() >= self.capacity {
            return Err(PushError::Full(stanza));
        }
        q.push_back(stanza);
        drop(q);
        self.notify.notify_one();
        Ok(())
    }

    fn pop(&self) -> Option<Queued> {
        let mut q = self.queue();
        let was_full = q.len() >= self.capacity;
        let el = q.pop_front()?;
        if q.is_empty() && q.capacity() > QUEUE_KEEP {
            *q = VecDeque::new();
        }
        drop(q);
        if was_full {
            self.room.notify_waiters();
        }
        Some(el)
    }

    fn close(&self, err: StreamError) {
        // The first reason wins: it is the cause, later ones are consequences.
        if self.closing.swap(true, Ordering::AcqRel) {
            return;
        }
        *self.reason.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(err));
        self.notify.notify_one();
    }

    fn take(&self) -> Option<StreamError> {
        self.reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
            .map(|b| *b)
    }

    fn is_closing(&self) -> bool {
        self.closing.load(Ordering::Acquire)
    }
}

/// Why a stanza could not be put in a session's mailbox.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    /// The mailbox was full: the client does not read fast enough. The session has been told to
    /// close with `policy-violation` and the stanza is lost.
    #[error("session mailbox full; session told to close")]
    MailboxFull,
    /// The session has been told to close, or its task has ended (mailbox receiver dropped).
    #[error("session is closing or gone")]
    Gone,
}

enum PushError {
    Full(Queued),
    Gone,
}

/// The router's handle on one bound session: cheap to clone.
#[derive(Debug)]
pub struct SessionHandle {
    id: SessionId,
    jid: FullJid,
    control: Arc<Control>,
}

impl Clone for SessionHandle {
    fn clone(&self) -> Self {
        self.control.senders.fetch_add(1, Ordering::Relaxed);
        Self {
            id: self.id,
            jid: self.jid.clone(),
            control: Arc::clone(&self.control),
        }
    }
}

impl Drop for SessionHandle {
    fn drop(&mut self) {
        if self.control.senders.fetch_sub(1, Ordering::AcqRel) == 1 {
            // The last one: the task learns that nothing more can come.
            self.control.notify.notify_one();
        }
    }
}

/// The session task's side of a [`SessionHandle`]: stanzas to write and the close signal.
#[derive(Debug)]
pub struct Mailbox {
    control: Arc<Control>,
}

impl Drop for Mailbox {
    fn drop(&mut self) {
        self.control.receiver_gone.store(true, Ordering::Release);
        // Taken under the queue's lock: a delivery either saw the flag or is dropped here.
        let queued = std::mem::take(&mut *self.control.queue());
        drop(queued);
        self.control.room.notify_waiters();
    }
}

/// What the mailbox queue holds: boxed, so that a queue of waiting stanzas is a queue of
/// pointers.
type Queued = Box<Element>;

static NEXT_SESSION_ID: AtomicU64 = AtomicU64::new(1);

/// Stanzas for the session whose own task is running: what a client's stanza causes for that
/// same client (its presence echo, probe answers from hundreds of contacts at login) is
/// collected here and written by the session task after routing, instead of going through
/// the bounded mailbox that the task cannot drain while it is routing.
struct OwnOutput {
    id: SessionId,
    out: std::cell::RefCell<Vec<Element>>,
}

tokio::task_local! {
    static OWN_OUTPUT: OwnOutput;
}

/// A fresh session id, unique within this process.
pub fn next_session_id() -> SessionId {
    NEXT_SESSION_ID.fetch_add(1, Ordering::Relaxed)
}

impl SessionHandle {
    /// A handle and its mailbox, with room for `capacity` stanzas (at least 1) and a fresh id.
    pub fn channel(jid: FullJid, capacity: usize) -> (Self, Mailbox) {
        let control = Arc::new(Control::new(capacity.max(1)));
        let handle = Self {
            id: next_session_id(),
            jid,
            control: Arc::clone(&control),
        };
        (handle, Mailbox { control })
    }

    /// The session's id.
    pub fn id(&self) -> SessionId {
        self.id
    }

    /// The full JID the session is bound to.
    pub fn jid(&self) -> &FullJid {
        &self.jid
    }

    /// The same session under another JID (used when the server picks the resource).
    #[must_use]
    pub fn with_jid(mut self, jid: FullJid) -> Self {
        self.jid = jid;
        self
    }

    /// Queues a stanza without waiting. A full mailbox means a slow reader: the session is told
    /// to close with `policy-violation` (RFC 6120 §4.9.3.16: the client broke the local policy
    /// of reading what it is sent; `resource-constraint`, §4.9.3.17, would say the server as a
    /// whole is short of resources, which it is not) rather than buffered without limit.
    pub fn deliver(&self, stanza: Element) -> Result<(), DeliveryError> {
        if self.control.is_closing() {
            return Err(DeliveryError::Gone);
        }
        let Some(stanza) = self.unless_own(stanza) else {
            return Ok(());
        };
        match self.control.push(Box::new(stanza)) {
            Ok(()) => Ok(()),
            Err(PushError::Full(_)) => {
                tracing::warn!(session = self.id, jid = %self.jid, "mailbox full, closing slow reader");
                self.close(
                    StreamError::new(StreamErrorCondition::PolicyViolation)
                        .with_text(Some("en"), "too many stanzas waiting to be read"),
                );
                Err(DeliveryError::MailboxFull)
            }
            Err(PushError::Gone) => Err(DeliveryError::Gone),
        }
    }

    /// Inside [`SessionHandle::with_own_output`] for this very session, takes `stanza` into
    /// the task's own output and returns `None`; otherwise gives it back.
    fn unless_own(&self, stanza: Element) -> Option<Element> {
        let mut stanza = Some(stanza);
        let own = OWN_OUTPUT
            .try_with(|o| {
                if o.id != self.id {
                    return false;
                }
                if let Some(s) = stanza.take() {
                    o.out.borrow_mut().push(s);
                }
                true
            })
            .unwrap_or(false);
        stanza.filter(|_| !own)
    }

    /// Queues a stanza, waiting for room in the mailbox instead of closing a slow reader: for
    /// IQ answers and bulk senders (offline messages, XEP-0160) that must hand over every
    /// stanza. From the session's own task (inside [`SessionHandle::with_own_output`]) the
    /// stanza goes to the task's own output and nothing waits; from elsewhere, bound the wait
    /// with a timeout.
    pub async fn deliver_waiting(&self, stanza: Element) -> Result<(), DeliveryError> {
        if self.control.is_closing() {
            return Err(DeliveryError::Gone);
        }
        let Some(stanza) = self.unless_own(stanza) else {
            return Ok(());
        };
        let mut stanza = Box::new(stanza);
        loop {
            // Registered before trying, so that room made between the try and the wait is
            // not missed.
            let room = self.control.room.notified();
            let mut room = std::pin::pin!(room);
            room.as_mut().enable();
            match self.control.push(stanza) {
                Ok(()) => return Ok(()),
                Err(PushError::Gone) => return Err(DeliveryError::Gone),
                Err(PushError::Full(back)) => stanza = back,
            }
            room.await;
        }
    }

    /// Runs `f` (the routing of one of this session's own stanzas) on the session's task and
    /// returns, besides its result, the stanzas it delivered to this same session, in order:
    /// they bypass the mailbox, so the fan-in one stanza causes (e.g. probe answers from every
    /// online contact at login) cannot overflow it. The task writes them after `f`.
    pub async fn with_own_output<F: std::future::Future>(&self, f: F) -> (F::Output, Vec<Element>) {
        let ctx = OwnOutput {
            id: self.id,
            out: std::cell::RefCell::new(Vec::new()),
        };
        OWN_OUTPUT
            .scope(ctx, async move {
                let r = f.await;
                let out = OWN_OUTPUT.try_with(|o| o.out.take()).unwrap_or_default();
                (r, out)
            })
            .await
    }

    /// Tells the session to send `err` and close. Never blocks; works with a full mailbox. The
    /// first reason given wins.
    pub fn close(&self, err: StreamError) {
        self.control.close(err);
    }

    /// Whether the session has been told to close.
    pub fn is_closing(&self) -> bool {
        self.control.is_closing()
    }

    /// Whether both handles point at the same session.
    pub fn same_session(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Mailbox {
    /// The next command: a pending close first (even when stanzas are waiting), then stanzas in
    /// order. `None` once every handle is dropped and the mailbox is empty.
    pub async fn recv(&mut self) -> Option<SessionCommand> {
        loop {
            if let Some(cmd) = self.try_recv() {
                return Some(cmd);
            }
            if self.control.senders.load(Ordering::Acquire) == 0 {
                // A stanza queued just before the last handle went is still delivered.
                return self.try_recv();
            }
            // Every change (stanza queued, close, last handle dropped) notifies after it is
            // made, and `notify_one` keeps a permit when nobody waits: nothing is missed.
            self.control.notify.notified().await;
        }
    }

    /// The next command if one is ready, without waiting (a close first).
    pub fn try_recv(&mut self) -> Option<SessionCommand> {
        if let Some(err) = self.control.take() {
            return Some(SessionCommand::Close(err));
        }
        self.control.pop().map(|el| SessionCommand::Stanza(*el))
    }
}

/// Why a bind failed; [`BindError::to_stanza_error`] gives the answer to the bind request
/// (RFC 6120 §7.6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BindError {
    /// The resource is bound already and the policy is [`ConflictPolicy::Refuse`]
    /// (RFC 6120 §7.7.2.2).
    #[error("resource already bound")]
    Conflict,
    /// The JID's domain is not served here.
    #[error("domain not served")]
    NotAllowed,
    /// The account already has the maximum number of sessions (RFC 6120 §7.6.2.1).
    #[error("too many sessions for this account")]
    ResourceConstraint,
}

impl BindError {
    /// The stanza error condition to answer the bind IQ with.
    pub fn condition(self) -> StanzaErrorCondition {
        match self {
            Self::Conflict => StanzaErrorCondition::Conflict,
            Self::NotAllowed => StanzaErrorCondition::NotAllowed,
            Self::ResourceConstraint => StanzaErrorCondition::ResourceConstraint,
        }
    }

    /// The stanza error to answer the bind IQ with.
    pub fn to_stanza_error(self) -> StanzaError {
        StanzaError::new(self.condition())
    }
}

/// What to do when a client binds a resource that is already bound (RFC 6120 §7.7.2.2).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConflictPolicy {
    /// The new session wins; the old one is closed with a `<conflict/>` stream error
    /// (RFC 6120 §7.7.2.2 option 2, §4.9.3.3). The default: a reconnecting client after a
    /// network change would otherwise be locked out until the dead session times out.
    #[default]
    Replace,
    /// The new bind is refused with the `conflict` stanza error (option 3).
    Refuse,
    /// The server binds the new session to another resource it picks (option 1).
    Rename,
}

/// One resource of an account, as routing sees it.
#[derive(Clone, Debug)]
pub struct Resource {
    /// The session.
    pub handle: SessionHandle,
    /// `None` until the session sends initial presence and after it becomes unavailable;
    /// otherwise its presence priority (RFC 6121 §4.7.2.3).
    pub priority: Option<i8>,
}

impl Resource {
    /// Whether this resource is available (has sent available presence).
    pub fn is_available(&self) -> bool {
        self.priority.is_some()
    }
}

/// The outcome of a successful [`SessionRegistry::register`].
#[derive(Debug)]
pub struct Registration {
    /// The session as bound: under [`ConflictPolicy::Rename`] its JID may differ from the one
    /// asked for.
    pub handle: SessionHandle,
    /// The session this one replaced (already told to close with `<conflict/>`).
    pub replaced: Option<SessionHandle>,
}

type Shard = RwLock<HashMap<BareJid, Vec<Resource>>>;

/// The local directory of bound sessions. See the module docs.
#[derive(Debug)]
pub struct SessionRegistry {
    shards: Box<[Shard; SHARDS]>,
    hasher: RandomState,
    max_resources: usize,
}

const SHARDS: usize = 64;

/// Default limit of simultaneous sessions per account: memory per account stays bounded
/// (a resource list is scanned on every bare-JID message) while leaving room for many devices.
pub const DEFAULT_MAX_RESOURCES: usize = 32;

impl Default for SessionRegistry {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionRegistry {
    /// An empty registry allowing [`DEFAULT_MAX_RESOURCES`] sessions per account.
    pub fn new() -> Self {
        Self::with_max_resources(DEFAULT_MAX_RESOURCES)
    }

    /// An empty registry allowing `max` (at least 1) sessions per account.
    pub fn with_max_resources(max: usize) -> Self {
        Self {
            shards: Box::new(std::array::from_fn(|_| RwLock::default())),
            hasher: RandomState::new(),
            max_resources: max.max(1),
        }
    }

    #[allow(clippy::indexing_slicing, clippy::cast_possible_truncation)]
    fn shard(&self, bare: &str) -> &Shard {
        // In bounds: the index is reduced modulo the array's length. Truncating the hash on
        // 32-bit targets only drops bits the modulo would drop anyway (SHARDS is 2^6).
        // A `BareJid` hashes as its string, so `&str` and `&BareJid` pick the same shard.
        &self.shards[(self.hasher.hash_one(bare) as usize) % SHARDS]
    }

    /// Lookups take the bare JID as text so that routing to a full JID does not allocate a
    /// `BareJid` per stanza.
    fn read<R>(&self, bare: &str, f: impl FnOnce(Option<&Vec<Resource>>) -> R) -> R {
        let map = self
            .shard(bare)
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        f(map.get(bare))
    }

    /// Binds `handle` to its full JID. Under [`ConflictPolicy::Replace`] an existing session
    /// with that JID is told to close with `<conflict/>` and returned; under
    /// [`ConflictPolicy::Refuse`] the bind fails with the `conflict` stanza error; under
    /// [`ConflictPolicy::Rename`] the new session gets a server-picked resource.
    pub fn register(
        &self,
        handle: SessionHandle,
        policy: ConflictPolicy,
    ) -> Result<Registration, BindError> {
        let bare = handle.jid.to_bare();
        let mut map = self
            .shard(bare.as_str())
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let entries = map.entry(bare.clone()).or_default();
        let existing = entries.iter().position(|r| r.handle.jid == handle.jid);
        let full = entries.len() >= self.max_resources;
        let Some(pos) = existing else {
            if full {
                // Not empty (the limit is at least 1), so no empty entry is left behind.
                return Err(BindError::ResourceConstraint);
            }
            entries.push(Resource {
                handle: handle.clone(),
                priority: None,
            });
            return Ok(Registration {
                handle,
                replaced: None,
            });
        };
        match policy {
            ConflictPolicy::Replace => {
                let new = Resource {
                    handle: handle.clone(),
                    priority: None,
                };
                let old = entries
                    .get_mut(pos)
                    .map(|slot| std::mem::replace(slot, new));
                drop(map);
                if let Some(old) = &old {
                    old.handle.close(
                        StreamError::new(StreamErrorCondition::Conflict)
                            .with_text(Some("en"), "replaced by a new session"),
                    );
                }
                Ok(Registration {
                    handle,
                    replaced: old.map(|r| r.handle),
                })
            }
            ConflictPolicy::Refuse => Err(BindError::Conflict),
            ConflictPolicy::Rename if full => Err(BindError::ResourceConstraint),
            ConflictPolicy::Rename => {
                // A random suffix cannot collide in practice; check anyway and give up after a
                // few tries rather than loop.
                for _ in 0..4 {
                    let res = format!("{}-{}", handle.jid.resource(), &id::nonce());
                    let Ok(jid) = bare.with_resource(&res) else {
                        // Too long with the suffix: use the suffix alone.
                        continue;
                    };
                    if entries.iter().any(|r| r.handle.jid == jid) {
                        continue;
                    }
                    let handle = handle.with_jid(jid);
                    entries.push(Resource {
                        handle: handle.clone(),
                        priority: None,
                    });
                    return Ok(Registration {
                        handle,
                        replaced: None,
                    });
                }
                let jid = bare
                    .with_resource(&id::nonce())
                    .map_err(|_| BindError::Conflict)?;
                let handle = handle.with_jid(jid);
                entries.push(Resource {
                    handle: handle.clone(),
                    priority: None,
                });
                Ok(Registration {
                    handle,
                    replaced: None,
                })
            }
        }
    }

    /// Removes the session bound to `jid` if it is still session `id` (a replaced session's
    /// late cleanup must not remove its successor). Returns whether it was removed.
    pub fn unregister(&self, jid: &FullJid, id: SessionId) -> bool {
        let bare = jid.bare_str();
        let mut map = self
            .shard(bare)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let Some(entries) = map.get_mut(bare) else {
            return false;
        };
        let before = entries.len();
        entries.retain(|r| !(r.handle.jid == *jid && r.handle.id == id));
        let removed = entries.len() != before;
        if entries.is_empty() {
            map.remove(bare);
        }
        removed
    }

    /// Records the session's availability: `Some(priority)` after available presence, `None`
    /// after unavailable presence. Returns the previous value (`Some(None)`: it was
    /// unavailable), or `None` if the session is not registered.
    pub fn set_presence(&self, jid: &FullJid, priority: Option<i8>) -> Option<Option<i8>> {
        let bare = jid.bare_str();
        let mut map = self
            .shard(bare)
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let r = map
            .get_mut(bare)
            .and_then(|v| v.iter_mut().find(|r| r.handle.jid == *jid))?;
        Some(std::mem::replace(&mut r.priority, priority))
    }

    /// The session bound to `jid`.
    pub fn session(&self, jid: &FullJid) -> Option<SessionHandle> {
        self.read(jid.bare_str(), |v| {
            v.and_then(|v| v.iter().find(|r| r.handle.jid == *jid))
                .map(|r| r.handle.clone())
        })
    }

    /// Every session of the account, available or not.
    pub fn resources(&self, bare: &BareJid) -> Vec<Resource> {
        self.read(bare.as_str(), |v| v.cloned().unwrap_or_default())
    }

    /// Runs `f` on the account's resources under the shard's read lock (no allocation). Keep
    /// `f` short and non-blocking.
    pub fn with_resources<R>(&self, bare: &BareJid, f: impl FnOnce(&[Resource]) -> R) -> R {
        self.read(bare.as_str(), |v| f(v.map_or(&[][..], Vec::as_slice)))
    }

    /// Whether the account has at least one bound session.
    pub fn has_sessions(&self, bare: &BareJid) -> bool {
        self.read(bare.as_str(), |v| v.is_some_and(|v| !v.is_empty()))
    }

    /// Number of bound sessions.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|s| {
                s.read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .values()
                    .map(Vec::len)
                    .sum::<usize>()
            })
            .sum()
    }

    /// Whether no session is bound.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jid(s: &str) -> FullJid {
        FullJid::parse(s).unwrap()
    }

    #[tokio::test]
    async fn close_overtakes_queued_stanzas_and_first_reason_wins() {
        let (h, mut mb) = SessionHandle::channel(jid("a@example.com/r"), 4);
        h.deliver(Element::new("jabber:client", "message")).unwrap();
        h.close(StreamError::new(StreamErrorCondition::Conflict));
        h.close(StreamError::new(StreamErrorCondition::SystemShutdown));
        match mb.recv().await {
            Some(SessionCommand::Close(e)) => {
                assert_eq!(e.condition, StreamErrorCondition::Conflict);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(mb.recv().await, Some(SessionCommand::Stanza(_))));
        assert_eq!(
            h.deliver(Element::new("jabber:client", "message")),
            Err(DeliveryError::Gone)
        );
        drop(h);
        assert!(mb.recv().await.is_none());
    }

    #[tokio::test]
    async fn deliver_waiting_waits_for_room_instead_of_closing() {
        let (h, mut mb) = SessionHandle::channel(jid("a@example.com/r"), 1);
        h.deliver_waiting(Element::new("jabber:client", "a"))
            .await
            .unwrap();
        let second = h.deliver_waiting(Element::new("jabber:client", "b"));
        tokio::pin!(second);
        // Full: the second waits rather than closing the session.
        tokio::select! {
            biased;
            _ = &mut second => panic!("delivered into a full mailbox"),
            () = std::future::ready(()) => {}
        }
        assert!(!h.is_closing());
        assert!(matches!(mb.recv().await, Some(SessionCommand::Stanza(e)) if e.name() == "a"));
        second.await.unwrap();
        assert!(matches!(mb.recv().await, Some(SessionCommand::Stanza(e)) if e.name() == "b"));
        drop(mb);
        assert_eq!(
            h.deliver_waiting(Element::new("jabber:client", "c")).await,
            Err(DeliveryError::Gone)
        );
    }

    #[tokio::test]
    async fn a_waiting_delivery_ends_when_the_mailbox_is_dropped() {
        let (h, mb) = SessionHandle::channel(jid("a@example.com/r"), 1);
        h.deliver(Element::new("jabber:client", "a")).unwrap();
        let waiting = {
            let h = h.clone();
            tokio::spawn(async move { h.deliver_waiting(Element::new("jabber:client", "b")).await })
        };
        tokio::task::yield_now().await;
        drop(mb);
        assert_eq!(waiting.await.unwrap(), Err(DeliveryError::Gone));
        assert_eq!(
            h.deliver(Element::new("jabber:client", "c")),
            Err(DeliveryError::Gone)
        );
    }

    #[tokio::test]
    async fn mailbox_ends_after_the_last_handle_and_what_it_queued() {
        let (h, mut mb) = SessionHandle::channel(jid("a@example.com/r"), 4);
        let other = h.clone();
        h.deliver(Element::new("jabber:client", "a")).unwrap();
        drop(h);
        other.deliver(Element::new("jabber:client", "b")).unwrap();
        let waiter = tokio::spawn(async move {
            let mut names = Vec::new();
            while let Some(cmd) = mb.recv().await {
                if let SessionCommand::Stanza(e) = cmd {
                    names.push(e.name().to_owned());
                }
            }
            names
        });
        tokio::task::yield_now().await;
        drop(other);
        assert_eq!(waiter.await.unwrap(), ["a", "b"]);
    }

    #[tokio::test]
    async fn own_output_bypasses_the_mailbox_only_for_the_running_session() {
        let (me, mut my_mb) = SessionHandle::channel(jid("a@example.com/r"), 1);
        let (other, mut other_mb) = SessionHandle::channel(jid("b@example.com/r"), 1);
        let (sent, own) = me
            .with_own_output(async {
                // Far more than the mailbox holds: none of it closes the session.
                for i in 0..100 {
                    me.deliver(
                        Element::new("jabber:client", "presence").with_attr("id", i.to_string()),
                    )
                    .unwrap();
                }
                other
                    .deliver(Element::new("jabber:client", "message"))
                    .unwrap();
                "done"
            })
            .await;
        assert_eq!(sent, "done");
        assert_eq!(own.len(), 100);
        assert_eq!(own[99].attr("id"), Some("99"));
        assert!(!me.is_closing());
        assert!(my_mb.try_recv().is_none());
        assert!(matches!(
            other_mb.try_recv(),
            Some(SessionCommand::Stanza(_))
        ));
        // Outside the scope, the mailbox is used again.
        me.deliver(Element::new("jabber:client", "message"))
            .unwrap();
        assert!(matches!(my_mb.try_recv(), Some(SessionCommand::Stanza(_))));
    }

    #[test]
    fn resource_limit() {
        let reg = SessionRegistry::with_max_resources(2);
        for r in ["a", "b"] {
            let (h, _) = SessionHandle::channel(jid(&format!("u@example.com/{r}")), 1);
            reg.register(h, ConflictPolicy::Replace).unwrap();
        }
        let (c, _) = SessionHandle::channel(jid("u@example.com/c"), 1);
        assert_eq!(
            reg.register(c.clone(), ConflictPolicy::Replace)
                .unwrap_err(),
            BindError::ResourceConstraint
        );
        let (a2, _) = SessionHandle::channel(jid("u@example.com/a"), 1);
        // Replacing does not add a session; renaming would.
        assert!(
            reg.register(a2.clone(), ConflictPolicy::Replace)
                .unwrap()
                .replaced
                .is_some()
        );
        assert_eq!(
            reg.register(a2, ConflictPolicy::Rename).unwrap_err(),
            BindError::ResourceConstraint
        );
        // Other accounts are not affected.
        let (v, _) = SessionHandle::channel(jid("v@example.com/c"), 1);
        reg.register(v, ConflictPolicy::Replace).unwrap();
        assert_eq!(reg.len(), 3);
    }
}
