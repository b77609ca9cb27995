//! [`Server`]: the shared state every session task, module and listener holds, and its builder.

use std::any::Any;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use waxwing_jid::{BareJid, Jid};
use waxwing_stanza::{Stanza, StanzaError, StanzaErrorCondition};
use waxwing_storage::Storage;
use waxwing_xml::Element;

use crate::hooks::{AsyncFn, AsyncHook, BoxFuture, Flow, Fold, FoldFn, Hook, HookArg, SyncFn};
use crate::module::{
    BuildContext, BuildError, BuildErrors, IqHandler, IqTarget, ModuleFactory, Tables,
};
use crate::router::Bounce;
use crate::session::{ConflictPolicy, SessionRegistry};
use crate::tracker::IqTracker;
use waxwing_stanza::IqType;

/// Whether a local account exists (RFC 6121 §8.5.1 needs it). The server crate adapts the
/// storage's account store; tests inject a closure or a set.
pub trait AccountDirectory: Send + Sync + 'static {
    /// Whether `user` (a bare JID of a served domain) is an account. A storage failure is an
    /// error (answered `internal-server-error`).
    fn exists<'a>(&'a self, user: &'a BareJid) -> BoxFuture<'a, Result<bool, StanzaError>>;
}

impl<F> AccountDirectory for F
where
    F: Fn(&BareJid) -> bool + Send + Sync + 'static,
{
    fn exists<'a>(&'a self, user: &'a BareJid) -> BoxFuture<'a, Result<bool, StanzaError>> {
        let found = self(user);
        Box::pin(async move { Ok(found) })
    }
}

/// A fixed set of accounts (tests, and servers without storage).
#[derive(Clone, Debug, Default)]
pub struct StaticAccounts(pub HashSet<BareJid>);

impl AccountDirectory for StaticAccounts {
    fn exists<'a>(&'a self, user: &'a BareJid) -> BoxFuture<'a, Result<bool, StanzaError>> {
        let found = self.0.contains(user);
        Box::pin(async move { Ok(found) })
    }
}

/// The account store of a [`Storage`] as an [`AccountDirectory`]; the default when the
/// builder is given storage and no other directory.
#[derive(Clone)]
pub struct StorageAccounts(pub Storage);

impl fmt::Debug for StorageAccounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StorageAccounts")
    }
}

impl AccountDirectory for StorageAccounts {
    fn exists<'a>(&'a self, user: &'a BareJid) -> BoxFuture<'a, Result<bool, StanzaError>> {
        Box::pin(async move {
            self.0.accounts().exists(user).await.map_err(|e| {
                tracing::error!(%user, error = %e, "account lookup failed");
                StanzaError::new(StanzaErrorCondition::InternalServerError)
            })
        })
    }
}

/// Where stanzas for domains this server does not serve go: s2s (and components) later.
pub trait RemoteRoute: Send + Sync + 'static {
    /// Queues `stanza` (its `to` names a remote domain) or hands it back with the error for
    /// its sender. Must not block.
    fn route(&self, stanza: Stanza) -> Result<(), Box<Bounce>>;
}

/// The default [`RemoteRoute`] until federation exists: every remote domain is
/// `remote-server-not-found` (RFC 6120 §8.3.3.16, §10.4.3).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoFederation;

impl RemoteRoute for NoFederation {
    fn route(&self, stanza: Stanza) -> Result<(), Box<Bounce>> {
        Err(Box::new(Bounce {
            stanza,
            error: StanzaError::new(StanzaErrorCondition::RemoteServerNotFound),
        }))
    }
}

pub(crate) struct Inner {
    pub(crate) domains: Vec<BareJid>,
    pub(crate) registry: SessionRegistry,
    pub(crate) tables: Tables,
    pub(crate) accounts: Arc<dyn AccountDirectory>,
    pub(crate) remote: Arc<dyn RemoteRoute>,
    pub(crate) mailbox_capacity: usize,
    pub(crate) conflict_policy: ConflictPolicy,
    pub(crate) tracker: IqTracker,
    pub(crate) storage: Option<Storage>,
}

/// The server: served domains, session registry, router, hooks and modules. Cheap to clone.
#[derive(Clone)]
pub struct Server(pub(crate) Arc<Inner>);

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("domains", &self.0.domains)
            .field("sessions", &self.0.registry.len())
            .field(
                "modules",
                &self
                    .0
                    .tables
                    .modules
                    .iter()
                    .map(|(n, _)| *n)
                    .collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A builder.
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// The served domains (virtual hosts), as configured.
    pub fn domains(&self) -> &[BareJid] {
        &self.0.domains
    }

    /// Whether `domain` (a prepared domainpart) is served here.
    pub fn serves(&self, domain: &str) -> bool {
        self.0.domains.iter().any(|d| d.domain() == domain)
    }

    /// The session registry.
    pub fn sessions(&self) -> &SessionRegistry {
        &self.0.registry
    }

    /// The storage, if the server was built with one.
    pub fn storage(&self) -> Option<&Storage> {
        self.0.storage.as_ref()
    }

    /// Mailbox capacity for new sessions ([`crate::SessionHandle::channel`]).
    pub fn mailbox_capacity(&self) -> usize {
        self.0.mailbox_capacity
    }

    /// The configured resource-conflict policy for binds.
    pub fn conflict_policy(&self) -> ConflictPolicy {
        self.0.conflict_policy
    }

    /// The loaded module `M`, e.g. for another module to call it.
    pub fn module<M: Any + Send + Sync>(&self) -> Option<Arc<M>> {
        self.0
            .tables
            .modules
            .iter()
            .find_map(|(_, m)| Arc::clone(m).downcast::<M>().ok())
    }

    /// Names of the loaded modules, in load order.
    pub fn module_names(&self) -> Vec<&'static str> {
        self.0.tables.modules.iter().map(|(n, _)| *n).collect()
    }

    /// The features registered with [`crate::Registrar::disco_feature`], sorted, plus the
    /// core's own (XEP-0030 itself is the disco module's to declare).
    pub fn disco_features(&self) -> &[String] {
        &self.0.tables.features
    }

    /// Runs the synchronous hook `H` on `arg`; `Break` if a handler handled it.
    pub fn run_hook<H: Hook>(&self, arg: &mut H::Arg) -> Flow {
        for e in self.0.tables.hooks.chain::<H, SyncFn<H>>() {
            (e.f)(self, arg)?;
        }
        Flow::Continue(())
    }

    /// The modules handling the synchronous hook `H`, in running order (diagnostics).
    pub fn hook_modules<H: Hook>(&self) -> Vec<&'static str> {
        self.0.tables.hooks.modules::<H, SyncFn<H>>()
    }

    /// Whether the synchronous hook `H` has handlers.
    pub fn has_hook<H: Hook>(&self) -> bool {
        !self.0.tables.hooks.chain::<H, SyncFn<H>>().is_empty()
    }

    /// Runs the asynchronous hook `H` on `arg`; `Break` if a handler handled it.
    pub async fn run_async_hook<H: AsyncHook>(&self, arg: H::Arg) -> Flow {
        self.run_chain::<H>(arg, false).await.0
    }

    /// Stops the server's modules: call once every session has closed (their
    /// [`crate::hooks::SessionClosed`] handlers have run), before the process exits. Runs
    /// [`crate::hooks::ServerStopping`], whose handlers write what they hold in memory.
    pub async fn stop(&self) {
        let _ = self
            .run_chain::<crate::hooks::ServerStopping>((), true)
            .await;
    }

    /// Runs `H`'s chain: each handler's synchronous answer if it has one, else its async
    /// handler (the argument is then shared). A `Break` stops the chain unless `every`.
    pub(crate) async fn run_chain<H: AsyncHook>(
        &self,
        arg: H::Arg,
        every: bool,
    ) -> (Flow, HookArg<H::Arg>) {
        let mut arg = HookArg::new(arg);
        for e in self.0.tables.hooks.chain::<H, AsyncFn<H>>() {
            let quick = match (&e.f.quick, arg.get()) {
                (Some(q), Some(a)) => q(self, a),
                _ => None,
            };
            let flow = match quick {
                Some(flow) => flow,
                None => match arg.share() {
                    Some(shared) => (e.f.run)(self.clone(), shared).await,
                    None => Flow::Continue(()),
                },
            };
            if flow.is_break() && !every {
                return (flow, arg);
            }
        }
        (Flow::Continue(()), arg)
    }

    /// Runs every contributor of the fold `F` over `acc`.
    pub fn fold<F: Fold>(&self, input: &F::Input, mut acc: F::Acc) -> F::Acc {
        for e in self.0.tables.hooks.chain::<F, FoldFn<F>>() {
            (e.f)(self, input, &mut acc);
        }
        acc
    }

    /// The stream features modules offer next to `<bind/>` on the authenticated stream.
    pub fn stream_features_post_bind(&self) -> Vec<Element> {
        self.fold::<crate::hooks::StreamFeaturesPostBind>(&(), Vec::new())
    }

    pub(crate) fn iq_handler(
        &self,
        type_: IqType,
        name: &str,
        ns: &str,
        target: IqTarget,
    ) -> Option<IqHandler> {
        self.0.tables.iq.find(type_, name, ns, target).cloned()
    }

    pub(crate) fn accounts(&self) -> &dyn AccountDirectory {
        &*self.0.accounts
    }

    pub(crate) fn remote(&self) -> &dyn RemoteRoute {
        &*self.0.remote
    }

    /// Whether `jid` is a served domain itself (no localpart, no resource).
    pub(crate) fn is_served_domain(&self, jid: &Jid) -> bool {
        jid.node().is_none() && jid.resource().is_none() && self.serves(jid.domain())
    }

    /// Whether `jid` is an account of a served domain known to exist (sessions first, then
    /// the account directory).
    pub(crate) async fn account_exists(&self, user: &BareJid) -> Result<bool, StanzaError> {
        if self.0.registry.has_sessions(user) {
            return Ok(true);
        }
        self.accounts().exists(user).await
    }
}

/// Builds a [`Server`]; every problem is collected and reported at once by
/// [`ServerBuilder::build`].
pub struct ServerBuilder {
    domains: Vec<String>,
    factories: Vec<ModuleFactory>,
    module_config: toml::Table,
    accounts: Option<Arc<dyn AccountDirectory>>,
    remote: Option<Arc<dyn RemoteRoute>>,
    mailbox_capacity: usize,
    conflict_policy: ConflictPolicy,
    storage: Option<Storage>,
    max_resources: usize,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        Self {
            domains: Vec::new(),
            factories: Vec::new(),
            module_config: toml::Table::new(),
            accounts: None,
            remote: None,
            mailbox_capacity: 256,
            conflict_policy: ConflictPolicy::default(),
            storage: None,
            max_resources: crate::session::DEFAULT_MAX_RESOURCES,
        }
    }
}

impl fmt::Debug for ServerBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerBuilder")
            .field("domains", &self.domains)
            .field("modules", &self.factories)
            .finish_non_exhaustive()
    }
}

impl ServerBuilder {
    /// Serves `domain` (a virtual host).
    #[must_use]
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domains.push(domain.into());
        self
    }

    /// Loads a module.
    #[must_use]
    pub fn module(mut self, factory: ModuleFactory) -> Self {
        self.factories.push(factory);
        self
    }

    /// Loads several modules.
    #[must_use]
    pub fn modules(mut self, factories: impl IntoIterator<Item = ModuleFactory>) -> Self {
        self.factories.extend(factories);
        self
    }

    /// The `[modules]` table: one sub-table per module, keyed by [`crate::Module::NAME`].
    #[must_use]
    pub fn module_config(mut self, table: toml::Table) -> Self {
        self.module_config = table;
        self
    }

    /// The storage modules get in their [`BuildContext`] and [`Server::storage`]; also the
    /// default account directory ([`StorageAccounts`]).
    #[must_use]
    pub fn storage(mut self, storage: Storage) -> Self {
        self.storage = Some(storage);
        self
    }

    /// Where account existence is looked up. Default: the storage's accounts if storage is
    /// given, else none exist but those with a session.
    #[must_use]
    pub fn accounts(mut self, accounts: Arc<dyn AccountDirectory>) -> Self {
        self.accounts = Some(accounts);
        self
    }

    /// Where stanzas for remote domains go. Default: [`NoFederation`].
    #[must_use]
    pub fn remote(mut self, remote: Arc<dyn RemoteRoute>) -> Self {
        self.remote = Some(remote);
        self
    }

    /// Capacity of each session's mailbox, in stanzas. Default 256.
    #[must_use]
    pub fn mailbox_capacity(mut self, capacity: usize) -> Self {
        self.mailbox_capacity = capacity.max(1);
        self
    }

    /// Simultaneous sessions allowed per account; one more bind is refused with
    /// `resource-constraint` (RFC 6120 §7.6.2.1). Default [`crate::DEFAULT_MAX_RESOURCES`].
    #[must_use]
    pub fn max_resources(mut self, max: usize) -> Self {
        self.max_resources = max.max(1);
        self
    }

    /// What a bind of an already bound resource does. Default [`ConflictPolicy::Replace`].
    #[must_use]
    pub fn conflict_policy(mut self, policy: ConflictPolicy) -> Self {
        self.conflict_policy = policy;
        self
    }

    /// Builds the server: parses domains, loads every module with its config table. All errors
    /// are returned together.
    pub fn build(self) -> Result<Server, BuildErrors> {
        let mut errors = Vec::new();
        let mut domains: Vec<BareJid> = Vec::new();
        for d in &self.domains {
            match BareJid::parse(d) {
                Ok(j) if j.node().is_none() => {
                    if !domains.contains(&j) {
                        domains.push(j);
                    }
                }
                Ok(_) => errors.push(BuildError::InvalidDomain {
                    domain: d.clone(),
                    reason: "a domain has no localpart".to_owned(),
                }),
                Err(e) => errors.push(BuildError::InvalidDomain {
                    domain: d.clone(),
                    reason: e.to_string(),
                }),
            }
        }
        if self.domains.is_empty() {
            errors.push(BuildError::NoDomains);
        }
        let mut config = self.module_config;
        let mut seen: Vec<&'static str> = Vec::new();
        let mut tables = Tables::default();
        let cx = BuildContext {
            domains: &domains,
            storage: self.storage.as_ref(),
        };
        for f in &self.factories {
            if seen.contains(&f.name()) {
                errors.push(BuildError::DuplicateModule { module: f.name() });
                continue;
            }
            seen.push(f.name());
            f.load(&cx, config.remove(f.name()), &mut tables, &mut errors);
        }
        for (module, _) in config {
            errors.push(BuildError::UnknownModule { module });
        }
        if !errors.is_empty() {
            return Err(BuildErrors(errors));
        }
        tables.features.sort();
        tables.features.dedup();
        Ok(Server(Arc::new(Inner {
            domains,
            registry: SessionRegistry::with_max_resources(self.max_resources),
            tables,
            accounts: match (self.accounts, &self.storage) {
                (Some(a), _) => a,
                (None, Some(st)) => Arc::new(StorageAccounts(st.clone())),
                (None, None) => Arc::new(|_: &BareJid| false),
            },
            remote: self.remote.unwrap_or_else(|| Arc::new(NoFederation)),
            mailbox_capacity: self.mailbox_capacity,
            conflict_policy: self.conflict_policy,
            tracker: IqTracker::default(),
            storage: self.storage,
        })))
    }
}
