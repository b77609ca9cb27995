//! waxwing-core: the server core every transport and module plugs into.
//!
//! - [`SessionRegistry`]: the local directory of bound c2s sessions (RFC 6120 §7.7 resource
//!   binding and its conflict rules, §7.7.2.2), with presence priority per resource
//!   (RFC 6121 §4.7.2.3). Each session reads a bounded [`Mailbox`]; a slow reader is closed
//!   with a stream error rather than buffered without limit (RFC 6120 §4.9.3.16).
//! - [`Server`]: served domains (virtual hosts), the registry, the router, hooks and modules;
//!   built by [`ServerBuilder`], which reports every configuration error at once.
//! - The router ([`Server::route_from_client`], [`Server::route`]): `from` stamping and
//!   `invalid-from` (RFC 6120 §8.1.2.1, §4.9.3.9), the rules of RFC 6120 §10 and RFC 6121 §8.5
//!   (see the `router` module docs for every choice made), IQ dispatch with
//!   `service-unavailable` for unhandled requests (RFC 6120 §8.4), error replies per §8.3.1,
//!   and a [`RemoteRoute`] slot for s2s.
//! - The module API: [`Module`], [`Registrar`] (IQ handlers, typed [`hooks`], folds, disco
//!   features), [`ModuleFactory`] for lists of modules by name.
//!
//! Transports call, per connection: [`Server::bind`] after resource binding,
//! [`Server::route_from_client`] for each stanza, [`Mailbox::recv`] in their `select!`, and
//! [`Server::session_closed`] at the end. A module and a session, end to end:
//!
//! ```
//! use std::sync::Arc;
//! use waxwing_core::{
//!     BuildContext, BuildError, IqTarget, IqType, Module, ModuleFactory, NoConfig, Registrar,
//!     Server, SessionCommand, SessionHandle,
//! };
//! use waxwing_jid::FullJid;
//! use waxwing_stanza::{Stanza, ns};
//!
//! struct Ping;
//! impl Module for Ping {
//!     const NAME: &'static str = "ping";
//!     type Config = NoConfig;
//!     fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
//!         Ok(Self)
//!     }
//!     fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
//!         r.disco_feature(ns::PING);
//!         r.iq(IqType::Get, ("ping", ns::PING), IqTarget::Any, |_| async { Ok(None) });
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
//! # rt.block_on(async {
//! let server = Server::builder()
//!     .domain("example.com")
//!     .module(ModuleFactory::of::<Ping>())
//!     .build()?; // every config error at once
//!
//! // In the connection task, once the client has bound a resource:
//! let jid = FullJid::parse("juliet@example.com/balcony")?;
//! let (handle, mut mailbox) = SessionHandle::channel(jid, server.mailbox_capacity());
//! let bound = server.bind(handle).await.map_err(|e| e.to_stanza_error())?; // answer the bind with bound.handle.jid()
//! let jid = bound.handle.jid().clone();
//!
//! // For every stanza the client sends (an Err is a stream error: send it and close):
//! let el = waxwing_xml::parse_element(
//!     b"<iq xmlns='jabber:client' to='example.com' type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>",
//! )?;
//! server.route_from_client(&jid, Stanza::from_element(el)?).await?;
//!
//! // In the select! loop: write stanzas, or send the stream error and close.
//! match mailbox.recv().await {
//!     Some(SessionCommand::Stanza(reply)) => {
//!         assert_eq!(reply.attr("type"), Some("result"));
//!         assert_eq!(reply.attr("from"), Some("example.com"));
//!     }
//!     Some(SessionCommand::Close(stream_error)) => unreachable!("{stream_error}"),
//!     None => unreachable!(),
//! }
//!
//! // When the connection ends, whatever the reason:
//! server.session_closed(&jid, bound.handle.id()).await;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! # })
//! # }
//! ```

pub mod hooks;
mod module;
mod router;
mod server;
mod session;
mod tracker;

pub use hooks::{AsyncHook, BoxFuture, Flow, Fold, Hook};
pub use module::{
    BuildContext, BuildError, BuildErrors, IqError, IqRequest, IqResult, IqTarget, Module,
    ModuleFactory, NoConfig, Registrar,
};
pub use router::Bounce;
pub use server::{
    AccountDirectory, NoFederation, RemoteRoute, Server, ServerBuilder, StaticAccounts,
    StorageAccounts,
};
pub use session::{
    BindError, ConflictPolicy, DEFAULT_MAX_RESOURCES, DeliveryError, Mailbox, Registration,
    Resource, SessionCommand, SessionHandle, SessionId, SessionRegistry, next_session_id,
};
pub use tracker::IqSendError;

/// Re-exported so modules need not depend on the protocol crates' exact paths.
pub use waxwing_stanza::IqType;
