//! Server-to-server transport (RFC 6120, XEP-0220, XEP-0178, XEP-0368).
//!
//! - [`S2sService`] is the [`waxwing_core::RemoteRoute`]: one bounded queue per (local
//!   domain, remote domain), served by one outbound stream per remote domain where the
//!   peer allows it: a further local domain is piggybacked on an authenticated stream by
//!   dialback (XEP-0220 multiplexing, with `<errors/>` per XEP-0220 §2.4), and gets a
//!   stream of its own when the peer does not offer that or answers `type='error'`.
//!   Stanzas wait in their queue while the stream or the pair is set up; when setup fails
//!   they are bounced with `remote-server-not-found` (the domain cannot be resolved or
//!   reached, or refused us), or `remote-server-timeout` when a resolved peer takes too
//!   long (RFC 6120 §8.3.3.16–17); beyond the queue, `resource-constraint` (§8.3.3.18); a
//!   write that stalls past the write timeout closes the stream; idle streams are closed.
//! - Inbound connections (STARTTLS on 5269, direct TLS with ALPN `xmpp-server`) run the
//!   [`waxwing_stream::S2sInbound`] negotiator; dialback keys are verified with the
//!   authoritative server over a stream of their own (XEP-0220 §2.1.2); stanzas whose
//!   domains check out go to [`waxwing_core::Server::route`].
//! - [`resolve`]: SRV (`_xmpps-server`, `_xmpp-server`, RFC 2782 order) and A/AAAA, with a
//!   static override table; [`cert`]: chain and identity checks (DNS-ID, SRV-ID,
//!   XmppAddr); [`tls`]: the s2s TLS configurations.

pub mod cert;
mod inbound;
mod io;
mod outbound;
pub mod resolve;
pub mod tls;

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch};
use waxwing_core::{Bounce, RemoteRoute, Server};
use waxwing_stanza::{Stanza, StanzaError, StanzaErrorCondition};
use waxwing_stream::{AuthMethod, S2sConfig};

use crate::Transport;
use crate::tls::{TlsContext, TlsError};
use cert::CertVerifier;
use resolve::{Resolver, ResolverSettings};
use tls::S2sTls;

/// s2s settings.
#[derive(Debug, Clone)]
pub struct S2sSettings {
    /// Negotiation settings (domains, dialback secret, TLS and certificate policy).
    pub negotiation: S2sConfig,
    /// DNS and overrides.
    pub resolver: ResolverSettings,
    /// PEM files of trusted CAs for peer certificates.
    pub ca_files: Vec<PathBuf>,
    /// Whether the system trust store is used as well.
    pub system_roots: bool,
    /// How long an outbound stream may take to be ready (resolution, connection, TLS,
    /// authentication) before queued stanzas bounce with `remote-server-timeout`; also
    /// the limit for an inbound stream to authenticate a first domain pair.
    pub connect_timeout: Duration,
    /// Streams with no traffic for this long are closed.
    pub idle_timeout: Duration,
    /// Stanzas queued per outbound domain pair; beyond, `resource-constraint`.
    pub queue_limit: usize,
    /// How long one write to a peer may block (a peer that stopped reading) before the
    /// stream is closed and its queued stanzas bounce with `remote-server-timeout`.
    pub write_timeout: Duration,
}

impl S2sSettings {
    /// Defaults: 30 s to connect, 30 s per write, 10 min idle, 1000 queued stanzas, system
    /// trust store.
    pub fn new(negotiation: S2sConfig) -> Self {
        Self {
            negotiation,
            resolver: ResolverSettings::default(),
            ca_files: Vec::new(),
            system_roots: true,
            connect_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_mins(10),
            queue_limit: 1000,
            write_timeout: Duration::from_secs(30),
        }
    }
}

/// An outbound stream being set up or running.
struct Route {
    id: u64,
    tx: mpsc::Sender<Stanza>,
}

struct Shared {
    cfg: Arc<S2sConfig>,
    resolver: Resolver,
    verifier: CertVerifier,
    tls: Option<S2sTls>,
    server: RwLock<Option<Server>>,
    routes: Mutex<HashMap<(String, String), Route>>,
    /// Authenticated outbound streams that take further local domains, by remote domain.
    links: Mutex<HashMap<String, outbound::Link>>,
    /// Outbound stanza streams (TCP connections) being set up or running.
    connections: AtomicUsize,
    /// Authenticated inbound pairs: (connection id, peer, local, method).
    inbound: Mutex<Vec<(u64, String, String, AuthMethod)>>,
    next_id: AtomicU64,
    connect_timeout: Duration,
    idle_timeout: Duration,
    write_timeout: Duration,
    queue_limit: usize,
    shutdown: watch::Sender<bool>,
}

impl Shared {
    fn server(&self) -> Option<Server> {
        self.server.read().ok().and_then(|s| s.clone())
    }

    /// Returns `stanza` to its sender with `condition` (RFC 6120 §8.3.1).
    async fn bounce(&self, stanza: &Stanza, condition: StanzaErrorCondition) {
        let Some(server) = self.server() else { return };
        let Some(reply) = stanza.error_reply(&StanzaError::new(condition)) else {
            return;
        };
        if let Ok(s) = Stanza::from_element(reply) {
            server.route(s).await;
        }
    }
}

/// The s2s service: outbound route manager and inbound connection handler. Cheap to clone.
#[derive(Clone)]
pub struct S2sService(Arc<Shared>);

impl fmt::Debug for S2sService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S2sService")
            .field("domains", &self.0.cfg.domains)
            .finish_non_exhaustive()
    }
}

impl S2sService {
    /// Builds the service; `tls` supplies our certificates (without it, no TLS is offered
    /// or used, which only tests with `require_tls = false` can live with).
    pub fn new(settings: S2sSettings, tls: Option<&TlsContext>) -> Result<Self, TlsError> {
        let mut cfg = settings.negotiation;
        let tls = tls.map(|t| S2sTls::new(t.shared_resolver())).transpose()?;
        cfg.tls_available = tls.is_some();
        let (shutdown, _) = watch::channel(false);
        Ok(Self(Arc::new(Shared {
            cfg: Arc::new(cfg),
            resolver: Resolver::new(&settings.resolver),
            verifier: CertVerifier::new(&settings.ca_files, settings.system_roots)?,
            tls,
            server: RwLock::new(None),
            routes: Mutex::new(HashMap::new()),
            links: Mutex::new(HashMap::new()),
            connections: AtomicUsize::new(0),
            inbound: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(0),
            connect_timeout: settings.connect_timeout,
            idle_timeout: settings.idle_timeout,
            write_timeout: settings.write_timeout,
            queue_limit: settings.queue_limit.max(1),
            shutdown,
        })))
    }

    /// Connects the service to the server it routes for (the server is built with this
    /// service as its [`RemoteRoute`], so it is attached afterwards).
    pub fn attach(&self, server: Server) {
        if let Ok(mut s) = self.0.server.write() {
            *s = Some(server);
        }
    }

    /// Closes every stream with `system-shutdown` and detaches the server (breaking the
    /// reference cycle between them).
    pub fn shutdown(&self) {
        self.0.shutdown.send_replace(true);
        if let Ok(mut s) = self.0.server.write() {
            *s = None;
        }
    }

    /// Outbound domain pairs (local, remote) currently set up or running.
    pub fn outbound_count(&self) -> usize {
        self.0.routes.lock().map_or(0, |r| r.len())
    }

    /// Outbound stanza streams (TCP connections) currently set up or running; several
    /// domain pairs may share one (XEP-0220 multiplexing). Dialback verification streams
    /// are not counted.
    pub fn outbound_connections(&self) -> usize {
        self.0.connections.load(Ordering::Relaxed)
    }

    /// The domain pairs authenticated on open inbound streams: (peer, local, method).
    pub fn inbound_pairs(&self) -> Vec<(String, String, AuthMethod)> {
        self.0
            .inbound
            .lock()
            .map(|v| {
                v.iter()
                    .map(|(_, p, l, m)| (p.clone(), l.clone(), *m))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The certificate verifier (for `waxwing check`).
    pub fn verifier(&self) -> &CertVerifier {
        &self.0.verifier
    }

    /// Runs one inbound connection to its end.
    pub async fn serve_inbound<S: Transport>(
        &self,
        stream: S,
        peer: impl fmt::Display,
        direct_tls: bool,
    ) {
        inbound::serve(Arc::clone(&self.0), stream, peer.to_string(), direct_tls).await;
    }

    /// Accepts inbound connections until shutdown.
    pub fn spawn_listener(
        &self,
        listener: TcpListener,
        direct_tls: bool,
    ) -> tokio::task::JoinHandle<()> {
        let this = self.clone();
        tokio::spawn(async move {
            let local = listener.local_addr().ok();
            let mut shutdown = this.0.shutdown.subscribe();
            loop {
                tokio::select! {
                    r = listener.accept() => match r {
                        Ok((sock, peer)) => {
                            let _ = sock.set_nodelay(true);
                            let svc = this.clone();
                            tokio::spawn(async move { svc.serve_inbound(sock, peer, direct_tls).await });
                        }
                        Err(e) => {
                            tracing::warn!(?local, error = %e, "s2s accept failed");
                            tokio::time::sleep(Duration::from_millis(100)).await;
                        }
                    },
                    r = shutdown.changed() => {
                        if r.is_err() || *shutdown.borrow() {
                            break;
                        }
                    }
                }
            }
        })
    }
}

impl RemoteRoute for S2sService {
    fn route(&self, stanza: Stanza) -> Result<(), Box<Bounce>> {
        outbound::route(&self.0, stanza)
    }
}
