//! The module API: [`Module`], its [`BuildContext`], the [`Registrar`] it declares itself with,
//! and [`ModuleFactory`], the type-erased form the server crate lists modules by.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use waxwing_jid::{BareJid, Jid};
use waxwing_stanza::{Iq, IqType, StanzaError, StanzaErrorCondition};
use waxwing_storage::Storage;
use waxwing_xml::Element;

use crate::Server;
use crate::hooks::{
    AsyncFn, AsyncHook, BoxFuture, Entry, Flow, Fold, FoldFn, Hook, HookTable, SyncFn,
};

/// A server module (a Prosody module in Rust clothing).
pub trait Module: Send + Sync + Sized + 'static {
    /// The config key (`[modules.<NAME>]`) and log target.
    const NAME: &'static str;
    /// The module's configuration. Give the struct `#[serde(default)]` so that a partial table
    /// works; unknown keys are refused by the core whatever the struct says.
    type Config: DeserializeOwned + Default;
    /// Builds the module from its configuration, before any port is bound.
    fn build(cx: &BuildContext<'_>, config: Self::Config) -> Result<Self, BuildError>;
    /// Declares every IQ handler, hook and feature. Everything declared is tagged with
    /// [`Module::NAME`], so the core knows what to undo.
    fn register(self: &Arc<Self>, r: &mut Registrar<'_>);
}

/// The configuration of a module that has none: any key in its table is an error (the core
/// refuses unknown keys for every module).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub struct NoConfig {}

/// What a module may look at while it is built.
pub struct BuildContext<'a> {
    pub(crate) domains: &'a [BareJid],
    pub(crate) storage: Option<&'a Storage>,
}

impl fmt::Debug for BuildContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BuildContext")
            .field("domains", &self.domains)
            .field("storage", &self.storage.is_some())
            .finish()
    }
}

impl BuildContext<'_> {
    /// The domains this server serves (virtual hosts).
    pub fn domains(&self) -> &[BareJid] {
        self.domains
    }

    /// The storage, if the server has one (a module that needs it should refuse to build
    /// without it). Cheap to clone and keep.
    pub fn storage(&self) -> Option<&Storage> {
        self.storage
    }
}

/// A configuration or start-up error. All of them are collected and reported together before
/// any port is bound.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// No domain to serve.
    #[error("no domain configured")]
    NoDomains,
    /// A configured domain is not a valid domainpart (RFC 7622 §3.2).
    #[error("invalid domain {domain:?}: {reason}")]
    InvalidDomain {
        /// As configured.
        domain: String,
        /// Why.
        reason: String,
    },
    /// A `[modules.<name>]` table for a module that is not loaded.
    #[error("[modules.{module}]: no such module is loaded")]
    UnknownModule {
        /// The table's name.
        module: String,
    },
    /// The same module loaded twice.
    #[error("module {module} is loaded twice")]
    DuplicateModule {
        /// Its name.
        module: &'static str,
    },
    /// A key the module's configuration does not have.
    #[error("[modules.{module}]: unknown key `{key}`")]
    UnknownKey {
        /// The module.
        module: &'static str,
        /// The key's path inside the module's table.
        key: String,
    },
    /// A value of the wrong type or out of range.
    #[error("[modules.{module}]: {message}")]
    Config {
        /// The module.
        module: &'static str,
        /// The deserialiser's explanation.
        message: String,
    },
    /// The module refused to build.
    #[error("module {module}: {message}")]
    Module {
        /// The module.
        module: &'static str,
        /// Why.
        message: String,
    },
    /// Two modules claim the same IQ.
    #[error("module {module}: IQ {type_} <{name} xmlns='{ns}'/> already handled by {other}")]
    IqConflict {
        /// The later module.
        module: &'static str,
        /// The module that registered first.
        other: &'static str,
        /// `get` or `set`.
        type_: &'static str,
        /// Payload element name.
        name: String,
        /// Payload namespace.
        ns: String,
    },
    /// IQ handlers exist for `get` and `set` only (RFC 6120 §8.2.3).
    #[error("module {module}: IQ handlers take type get or set, not {type_}")]
    IqType {
        /// The module.
        module: &'static str,
        /// The type given.
        type_: &'static str,
    },
}

impl BuildError {
    /// A module's own refusal, for [`Module::build`].
    pub fn module(module: &'static str, message: impl fmt::Display) -> Self {
        Self::Module {
            module,
            message: message.to_string(),
        }
    }
}

/// Every error found while building a server, in the order found.
#[derive(Debug, thiserror::Error)]
pub struct BuildErrors(pub Vec<BuildError>);

impl fmt::Display for BuildErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

// ------------------------------------------------------------------------------------------------
// IQ handlers
// ------------------------------------------------------------------------------------------------

/// Which addresses an IQ handler answers for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IqTarget {
    /// `to` is a domain this server serves.
    Server,
    /// `to` is the bare JID of an existing local account (or absent: the sender's own account,
    /// RFC 6120 §10.3.3); the server answers on the account's behalf.
    Account,
    /// Both.
    Any,
}

impl IqTarget {
    fn overlaps(self, other: Self) -> bool {
        self == other || self == Self::Any || other == Self::Any
    }
}

/// An IQ request handed to a handler.
#[derive(Debug)]
pub struct IqRequest {
    /// The server (to route stanzas, look up sessions, ...).
    pub server: Server,
    /// The requester (a client's full JID, stamped by the server).
    pub from: Jid,
    /// The entity addressed: a served domain, or an account's bare JID (also when the request
    /// had no `to`).
    pub to: Jid,
    /// The request as received.
    pub iq: Iq,
}

impl IqRequest {
    /// The payload element (present for every valid get/set, RFC 6120 §8.2.3).
    pub fn payload(&self) -> Option<&Element> {
        self.iq.payload()
    }

    /// Whether the request is about the requester's own account.
    pub fn from_account_itself(&self) -> bool {
        self.to.node().is_some() && self.from.to_bare().as_str() == self.to.as_str()
    }
}

/// What an IQ handler answers: a result payload (or an empty result), or an error.
pub type IqResult = Result<Option<Element>, IqError>;

/// A stanza error answering an IQ, boxed to keep [`IqResult`] small. Build it with `?` or
/// `.into()` from a [`StanzaError`] or a bare [`StanzaErrorCondition`].
#[derive(Clone, Debug, thiserror::Error)]
#[error("{0}")]
pub struct IqError(pub Box<StanzaError>);

impl IqError {
    /// The stanza error.
    pub fn stanza_error(&self) -> &StanzaError {
        &self.0
    }
}

impl From<StanzaError> for IqError {
    fn from(e: StanzaError) -> Self {
        Self(Box::new(e))
    }
}

impl From<StanzaErrorCondition> for IqError {
    fn from(c: StanzaErrorCondition) -> Self {
        Self(Box::new(StanzaError::new(c)))
    }
}

pub(crate) type IqHandler = Arc<dyn Fn(IqRequest) -> BoxFuture<'static, IqResult> + Send + Sync>;

struct IqRoute {
    type_: IqType,
    name: Box<str>,
    target: IqTarget,
    module: &'static str,
    handler: IqHandler,
}

/// IQ handlers by payload namespace.
#[derive(Default)]
pub(crate) struct IqTable {
    by_ns: HashMap<Box<str>, Vec<IqRoute>>,
}

impl IqTable {
    /// The handler for a request of `type_` with payload `{ns}name` sent to `target` (`Server`
    /// or `Account`); a handler for exactly that target wins over an `Any` handler.
    pub(crate) fn find(
        &self,
        type_: IqType,
        name: &str,
        ns: &str,
        target: IqTarget,
    ) -> Option<&IqHandler> {
        let routes = self.by_ns.get(ns)?;
        let mut any = None;
        for r in routes {
            if r.type_ != type_ || &*r.name != name {
                continue;
            }
            if r.target == target {
                return Some(&r.handler);
            }
            if r.target == IqTarget::Any {
                any = Some(&r.handler);
            }
        }
        any
    }
}

/// Everything modules declare, gathered while the server is built.
#[derive(Default)]
pub(crate) struct Tables {
    pub(crate) hooks: HookTable,
    pub(crate) iq: IqTable,
    pub(crate) features: Vec<String>,
    pub(crate) modules: Vec<(&'static str, Arc<dyn Any + Send + Sync>)>,
}

/// What a module declares itself with (see [`Module::register`]).
pub struct Registrar<'a> {
    module: &'static str,
    tables: &'a mut Tables,
    errors: &'a mut Vec<BuildError>,
}

impl<'a> Registrar<'a> {
    pub(crate) fn new(
        module: &'static str,
        tables: &'a mut Tables,
        errors: &'a mut Vec<BuildError>,
    ) -> Self {
        Self {
            module,
            tables,
            errors,
        }
    }

    /// The module this registrar declares for.
    pub fn module(&self) -> &'static str {
        self.module
    }

    /// Handles IQ requests of `type_` (`Get` or `Set`) whose payload is `<name xmlns=ns/>`,
    /// addressed to `target`. Requests nobody handles get `service-unavailable` from the core
    /// (RFC 6120 §8.4). Two modules claiming the same IQ is a build error.
    ///
    /// See the crate docs for an example.
    pub fn iq<F, Fut>(&mut self, type_: IqType, payload: (&str, &str), target: IqTarget, handler: F)
    where
        F: Fn(IqRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = IqResult> + Send + 'static,
    {
        if !type_.is_request() {
            self.errors.push(BuildError::IqType {
                module: self.module,
                type_: type_.as_str(),
            });
            return;
        }
        let (name, ns) = payload;
        let routes = self.tables.iq.by_ns.entry(ns.into()).or_default();
        if let Some(other) = routes
            .iter()
            .find(|r| r.type_ == type_ && &*r.name == name && r.target.overlaps(target))
        {
            self.errors.push(BuildError::IqConflict {
                module: self.module,
                other: other.module,
                type_: type_.as_str(),
                name: name.to_owned(),
                ns: ns.to_owned(),
            });
            return;
        }
        routes.push(IqRoute {
            type_,
            name: name.into(),
            target,
            module: self.module,
            handler: Arc::new(move |req| Box::pin(handler(req))),
        });
    }

    /// [`Registrar::iq`] for a handler that is a method of the module: `this` (the module, as
    /// `register` gets it) is handed to every call.
    pub fn iq_on<M, F, Fut>(
        &mut self,
        this: &Arc<M>,
        type_: IqType,
        payload: (&str, &str),
        target: IqTarget,
        handler: F,
    ) where
        M: Send + Sync + 'static,
        F: Fn(Arc<M>, IqRequest) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = IqResult> + Send + 'static,
    {
        let this = Arc::clone(this);
        self.iq(type_, payload, target, move |req| {
            handler(Arc::clone(&this), req)
        });
    }

    /// Adds a handler to the synchronous hook `H`; higher `priority` runs first.
    pub fn hook<H, F>(&mut self, priority: i32, handler: F)
    where
        H: Hook,
        F: Fn(&Server, &mut H::Arg) -> Flow + Send + Sync + 'static,
    {
        let f: Arc<SyncFn<H>> = Arc::new(handler);
        self.tables.hooks.add::<H, _>(Entry {
            priority,
            module: self.module,
            f,
        });
    }

    /// Adds a handler to the asynchronous hook `H`; higher `priority` runs first.
    pub fn async_hook<H, F, Fut>(&mut self, priority: i32, handler: F)
    where
        H: AsyncHook,
        F: Fn(Server, Arc<H::Arg>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Flow> + Send + 'static,
    {
        let f: Arc<AsyncFn<H>> = Arc::new(AsyncFn {
            quick: None,
            run: Box::new(move |s, a| Box::pin(handler(s, a))),
        });
        self.tables.hooks.add::<H, _>(Entry {
            priority,
            module: self.module,
            f,
        });
    }

    /// Adds a handler to the asynchronous hook `H` with a synchronous answer for the common
    /// case: `quick` returns `Some(flow)` when it can decide without awaiting (then `handler`
    /// is not called and nothing is allocated), `None` to run `handler`. Both must answer
    /// alike: `quick` is an optimisation, never a different decision.
    pub fn async_hook_quick<H, Q, F, Fut>(&mut self, priority: i32, quick: Q, handler: F)
    where
        H: AsyncHook,
        Q: Fn(&Server, &H::Arg) -> Option<Flow> + Send + Sync + 'static,
        F: Fn(Server, Arc<H::Arg>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Flow> + Send + 'static,
    {
        let f: Arc<AsyncFn<H>> = Arc::new(AsyncFn {
            quick: Some(Box::new(quick)),
            run: Box::new(move |s, a| Box::pin(handler(s, a))),
        });
        self.tables.hooks.add::<H, _>(Entry {
            priority,
            module: self.module,
            f,
        });
    }

    /// Adds a contributor to the fold `F`; higher `priority` runs first.
    pub fn fold<F, G>(&mut self, priority: i32, handler: G)
    where
        F: Fold,
        G: Fn(&Server, &F::Input, &mut F::Acc) + Send + Sync + 'static,
    {
        let f: Arc<FoldFn<F>> = Arc::new(handler);
        self.tables.hooks.add::<F, _>(Entry {
            priority,
            module: self.module,
            f,
        });
    }

    /// Advertises a feature of the served domains in disco#info (XEP-0030 §3.1).
    pub fn disco_feature(&mut self, ns: &str) {
        if !self.tables.features.iter().any(|f| f == ns) {
            self.tables.features.push(ns.to_owned());
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Type-erased modules
// ------------------------------------------------------------------------------------------------

type LoadFn = fn(&BuildContext<'_>, Option<toml::Value>, &mut Tables, &mut Vec<BuildError>);

/// A module in a list: its name and how to build and register it from its config table.
#[derive(Clone, Copy)]
pub struct ModuleFactory {
    name: &'static str,
    load: LoadFn,
}

impl fmt::Debug for ModuleFactory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ModuleFactory")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ModuleFactory {
    /// The factory for module `M`.
    pub fn of<M: Module>() -> Self {
        Self {
            name: M::NAME,
            load: load::<M>,
        }
    }

    /// The module's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    pub(crate) fn load(
        &self,
        cx: &BuildContext<'_>,
        config: Option<toml::Value>,
        tables: &mut Tables,
        errors: &mut Vec<BuildError>,
    ) {
        (self.load)(cx, config, tables, errors);
    }
}

fn load<M: Module>(
    cx: &BuildContext<'_>,
    config: Option<toml::Value>,
    tables: &mut Tables,
    errors: &mut Vec<BuildError>,
) {
    let Some(config) = parse_config::<M::Config>(M::NAME, config, errors) else {
        return;
    };
    match M::build(cx, config) {
        Ok(m) => {
            let m = Arc::new(m);
            let mut r = Registrar::new(M::NAME, tables, errors);
            m.register(&mut r);
            tables.modules.push((M::NAME, m));
        }
        Err(e) => errors.push(e),
    }
}

/// Reads a module's table: absent → `Default`; unknown keys and bad values → errors (all of
/// them, as far as the deserialiser gets).
pub(crate) fn parse_config<C: DeserializeOwned + Default>(
    module: &'static str,
    value: Option<toml::Value>,
    errors: &mut Vec<BuildError>,
) -> Option<C> {
    let Some(value) = value else {
        return Some(C::default());
    };
    let mut unknown = Vec::new();
    let parsed: Result<C, _> =
        serde_ignored::deserialize(value, |path| unknown.push(path.to_string()));
    let had_unknown = !unknown.is_empty();
    errors.extend(
        unknown
            .into_iter()
            .map(|key| BuildError::UnknownKey { module, key }),
    );
    match parsed {
        Ok(c) if !had_unknown => Some(c),
        Ok(_) => None,
        Err(e) => {
            errors.push(BuildError::Config {
                module,
                message: e.to_string().trim_end().to_owned(),
            });
            None
        }
    }
}
