//! One task per client connection (RFC 6120 §4–§7 through [`C2sNegotiator`], then §8, §10
//! through the core router): a single `select!` over the socket, the session mailbox, the
//! negotiation deadline, the closing grace period and server shutdown.
//!
//! An idle bound session has no timer armed: it waits on a read, its mailbox and the
//! shutdown signal only. It owns no read buffer: bytes are read into a buffer of the worker
//! thread ([`READ_BUF`] bytes) and handed to the parser within the same poll, so idle sessions
//! hold little memory besides the parser's and TLS's own state. A write arms its timeout only
//! when the socket would block.

use std::cell::RefCell;
use std::fmt;
use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWriteExt as _, ReadBuf};
use tokio::sync::{mpsc, watch};
use tracing::Instrument as _;
use waxwing_core::{Mailbox, Server, SessionCommand, SessionHandle};
use waxwing_jid::{BareJid, FullJid};
use waxwing_sasl::{ChannelBindings, ScramHash};
use waxwing_stanza::{Stanza, StreamError, StreamErrorCondition};
use waxwing_stream::{Action, C2sConfig, C2sNegotiator, ConnInfo, CredentialsLookup};

use crate::io::{Io, Transport};
use crate::tls::TlsContext;

/// Size of the per-thread read buffer (one TLS record's plaintext).
pub const READ_BUF: usize = 16 * 1024;
/// Initial capacity of the output buffer (most writes are one small stanza).
const OUT_BUF_START: usize = 512;
/// Stanzas taken from the mailbox per write (fewer syscalls and TLS records).
const MAILBOX_BATCH: usize = 64;

/// A boxed future, as returned by [`CredentialSource::lookup`].
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where SASL finds stored credentials (RFC 6120 §6; the storage crate in the server).
pub trait CredentialSource: Send + Sync + 'static {
    /// The credentials of `user` for `hash` (`None`: any, strongest first, for PLAIN).
    fn lookup<'a>(
        &'a self,
        user: &'a BareJid,
        hash: Option<ScramHash>,
    ) -> BoxFuture<'a, CredentialsLookup>;
}

/// How a listener's connections start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnMode {
    /// Cleartext; STARTTLS offered (required or not per the negotiator config).
    StartTls,
    /// TLS from the first byte (XEP-0368).
    DirectTls,
    /// Cleartext and no TLS offered (loopback tests and benchmarks only).
    Plain,
}

/// Per-listener timing.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// A connection that has not bound a resource by then is closed with
    /// `connection-timeout` (RFC 6120 §4.9.3.4).
    pub negotiation: Duration,
    /// After we close our stream, how long we wait for the peer's `</stream:stream>`
    /// (RFC 6120 §4.4) before dropping the connection.
    pub close_grace: Duration,
    /// A write that makes no progress for this long drops the connection (a peer that
    /// stopped reading).
    pub write: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Self {
            negotiation: Duration::from_mins(1),
            close_grace: Duration::from_secs(5),
            write: Duration::from_secs(30),
        }
    }
}

struct Shared {
    server: Server,
    credentials: Arc<dyn CredentialSource>,
    tls: Option<TlsContext>,
    /// Negotiator configs per mode, built once.
    starttls_cfg: Arc<C2sConfig>,
    direct_cfg: Arc<C2sConfig>,
    plain_cfg: Arc<C2sConfig>,
    timeouts: Timeouts,
    shutdown: watch::Receiver<bool>,
    /// Each connection upgrades this to a strong sender for its lifetime; the
    /// [`ShutdownHandle`] holds the original and waits until every strong one is gone.
    alive: mpsc::WeakSender<()>,
}

/// Everything connections need; cheap to clone. One per server, shared by every listener.
#[derive(Clone)]
pub struct C2sService(Arc<Shared>);

impl fmt::Debug for C2sService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("C2sService")
            .field("tls", &self.0.tls.is_some())
            .field("timeouts", &self.0.timeouts)
            .finish_non_exhaustive()
    }
}

/// Stops every connection of a [`C2sService`] (each sends `system-shutdown`) and waits for
/// them.
#[derive(Debug)]
pub struct ShutdownHandle {
    tx: watch::Sender<bool>,
    alive: Option<mpsc::Sender<()>>,
    alive_rx: mpsc::Receiver<()>,
}

impl ShutdownHandle {
    /// Signals shutdown and waits until every connection has ended or `limit` passed.
    /// Returns whether all connections ended in time.
    pub async fn shutdown(mut self, limit: Duration) -> bool {
        let _ = self.tx.send(true);
        self.alive = None;
        tokio::time::timeout(limit, async {
            // `None` once every connection (and the service) dropped its sender.
            while self.alive_rx.recv().await.is_some() {}
        })
        .await
        .is_ok()
    }

    /// Signals shutdown without waiting.
    pub fn signal(&self) {
        let _ = self.tx.send(true);
    }
}

/// Builds a [`C2sService`].
pub struct C2sServiceBuilder {
    server: Server,
    credentials: Arc<dyn CredentialSource>,
    tls: Option<TlsContext>,
    base: C2sConfig,
    require_encryption: bool,
    timeouts: Timeouts,
}

impl C2sServiceBuilder {
    /// `base` carries domains, SASL settings, limits and mechanisms; its `tls` mode and
    /// `extra_features` are set per listener mode here.
    pub fn new(server: Server, credentials: Arc<dyn CredentialSource>, base: C2sConfig) -> Self {
        Self {
            server,
            credentials,
            tls: None,
            base,
            require_encryption: true,
            timeouts: Timeouts::default(),
        }
    }

    /// Enables STARTTLS and direct TLS.
    #[must_use]
    pub fn tls(mut self, tls: TlsContext) -> Self {
        self.tls = Some(tls);
        self
    }

    /// Whether STARTTLS is `<required/>` (RFC 6120 §5.3.1). Default true.
    #[must_use]
    pub fn require_encryption(mut self, required: bool) -> Self {
        self.require_encryption = required;
        self
    }

    /// Timeouts.
    #[must_use]
    pub fn timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The service and the handle that shuts it down.
    pub fn build(self) -> (C2sService, ShutdownHandle) {
        let mut base = self.base;
        base.extra_features
            .extend(self.server.stream_features_post_bind());
        let with_mode = |mode| {
            let mut c = base.clone();
            c.tls = mode;
            Arc::new(c)
        };
        let starttls_cfg = with_mode(waxwing_stream::TlsMode::StartTls {
            required: self.require_encryption,
        });
        let direct_cfg = with_mode(waxwing_stream::TlsMode::Direct);
        let plain_cfg = with_mode(waxwing_stream::TlsMode::None);
        let (tx, shutdown) = watch::channel(false);
        let (alive, alive_rx) = mpsc::channel(1);
        let service = C2sService(Arc::new(Shared {
            server: self.server,
            credentials: self.credentials,
            tls: self.tls,
            starttls_cfg,
            direct_cfg,
            plain_cfg,
            timeouts: self.timeouts,
            shutdown,
            alive: alive.downgrade(),
        }));
        (
            service,
            ShutdownHandle {
                tx,
                alive: Some(alive),
                alive_rx,
            },
        )
    }
}

static NEXT_CONN: AtomicU64 = AtomicU64::new(1);

impl C2sService {
    /// The core server.
    pub fn server(&self) -> &Server {
        &self.0.server
    }

    /// A receiver that turns true when shutdown starts.
    pub fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.0.shutdown.clone()
    }

    /// Runs one connection to its end (all errors are handled and logged inside).
    pub async fn serve<S: Transport>(&self, stream: S, peer: impl fmt::Display, mode: ConnMode) {
        let span = Self::span(&peer);
        self.serve_inner(stream, mode).instrument(span).await;
    }

    fn span(peer: &impl fmt::Display) -> tracing::Span {
        let conn = NEXT_CONN.fetch_add(1, Ordering::Relaxed);
        tracing::info_span!("c2s", conn, peer = %peer, jid = tracing::field::Empty)
    }

    /// Spawns [`C2sService::serve`] on the current runtime.
    #[allow(
        clippy::needless_pass_by_value,
        reason = "the signature predates the span being made here; callers hand the address over"
    )]
    pub fn spawn<S: Transport>(
        &self,
        stream: S,
        peer: impl fmt::Display + Send + 'static,
        mode: ConnMode,
    ) -> tokio::task::JoinHandle<()> {
        // The span is made here and the task runs `serve_inner` directly: every layer of
        // async wrapping would keep its own copy of the arguments for the whole session.
        let span = Self::span(&peer);
        let this = self.clone();
        let fut = async move { this.serve_inner(stream, mode).await }.instrument(span);
        tokio::spawn(fut)
    }

    async fn serve_inner<S: Transport>(&self, stream: S, mode: ConnMode) {
        let sh = &self.0;
        // Fails once shutdown has dropped the original: refuse new work then.
        let Some(_alive) = sh.alive.upgrade() else {
            return;
        };
        if *sh.shutdown.borrow() {
            return;
        }
        // Boxed, like every rare step: the task's future is as large as its largest state,
        // and an idle session should pay neither for the handshake's nor for the teardown's.
        let Some((io, info, cfg)) = Box::pin(self.open(stream, mode)).await else {
            return;
        };
        tracing::debug!(?mode, "connection opened");
        let mut conn = Conn {
            service: self,
            negotiator: C2sNegotiator::new(cfg, info),
            io,
            out: Vec::new(),
            session: None,
            mailbox: None,
            closing: false,
            done: false,
        };
        conn.run().await;
        Box::pin(conn.finish()).await;
    }

    /// The connection's transport (after the TLS handshake for direct TLS), what the
    /// negotiator knows about it, and its config; `None` if it cannot start.
    async fn open<S: Transport>(
        &self,
        stream: S,
        mode: ConnMode,
    ) -> Option<(Io<S>, ConnInfo, Arc<C2sConfig>)> {
        let sh = &self.0;
        Some(match mode {
            ConnMode::DirectTls => {
                let Some(tls) = &sh.tls else {
                    tracing::warn!("direct TLS connection but no TLS configured");
                    return None;
                };
                let accept = tls.direct_acceptor().accept(stream);
                let stream = match tokio::time::timeout(sh.timeouts.negotiation, accept).await {
                    Ok(Ok(s)) => s,
                    Ok(Err(e)) => {
                        tracing::debug!(error = %e, "TLS handshake failed");
                        return None;
                    }
                    Err(_) => {
                        tracing::debug!("TLS handshake timed out");
                        return None;
                    }
                };
                let cb = tls.channel_bindings(stream.get_ref().1);
                (
                    Io::Tls(Box::new(stream)),
                    ConnInfo::direct_tls(cb),
                    Arc::clone(&sh.direct_cfg),
                )
            }
            ConnMode::StartTls if sh.tls.is_some() => (
                Io::Plain(stream),
                ConnInfo::plain(),
                Arc::clone(&sh.starttls_cfg),
            ),
            ConnMode::StartTls | ConnMode::Plain => (
                Io::Plain(stream),
                ConnInfo::plain(),
                Arc::clone(&sh.plain_cfg),
            ),
        })
    }
}

impl<S: Transport> Conn<'_, S> {
    /// Unregisters the session and closes the transport.
    async fn finish(mut self) {
        if let Some(h) = self.session.take() {
            self.sh().server.session_closed(h.jid(), h.id()).await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(1), self.io.shutdown()).await;
        tracing::debug!("connection closed");
    }
}

thread_local! {
    /// The read buffer of the connections polled on this thread. A connection borrows it only
    /// inside one `poll_read` and hands what it read to its parser before returning, so no
    /// session keeps a buffer of its own while it waits for input.
    static THREAD_READ_BUF: RefCell<Box<[u8]>> = RefCell::new(vec![0; READ_BUF].into_boxed_slice());
}

/// Reads once from `io` into `buf` and feeds what came to the parser; `Ok(0)` is end of stream.
fn poll_read_into(
    io: &mut (impl AsyncRead + Unpin),
    buf: &mut [u8],
    negotiator: &mut C2sNegotiator,
    actions: &mut Vec<Action>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    let mut rb = ReadBuf::new(buf);
    match Pin::new(io).poll_read(cx, &mut rb) {
        Poll::Ready(Ok(())) => {
            let bytes = rb.filled();
            if !bytes.is_empty() {
                negotiator.feed(bytes, actions);
            }
            Poll::Ready(Ok(bytes.len()))
        }
        Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
        Poll::Pending => Poll::Pending,
    }
}

/// [`poll_read_into`] with the thread's buffer (a private one in the unexpected case that it
/// is already borrowed).
fn poll_read_feed(
    io: &mut (impl AsyncRead + Unpin),
    negotiator: &mut C2sNegotiator,
    actions: &mut Vec<Action>,
    cx: &mut Context<'_>,
) -> Poll<io::Result<usize>> {
    THREAD_READ_BUF
        .try_with(|cell| match cell.try_borrow_mut() {
            Ok(mut buf) => poll_read_into(io, &mut buf, negotiator, actions, cx),
            Err(_) => poll_read_into(io, &mut [0; 4096], negotiator, actions, cx),
        })
        .unwrap_or_else(|_| Poll::Ready(Err(io::Error::other("thread is shutting down"))))
}

struct Conn<'a, S> {
    service: &'a C2sService,
    negotiator: C2sNegotiator,
    io: Io<S>,
    /// Bytes waiting to be written; given back after each flush.
    out: Vec<u8>,
    session: Option<SessionHandle>,
    mailbox: Option<Mailbox>,
    /// Our stream is closed; waiting for the peer's close or the grace period.
    closing: bool,
    /// The connection is to be dropped.
    done: bool,
}

async fn next_command(mailbox: &mut Option<Mailbox>) -> Option<SessionCommand> {
    match mailbox {
        Some(m) => m.recv().await,
        None => std::future::pending().await,
    }
}

/// Waits for `timer` if there is one, for ever if not.
async fn sleep_opt(timer: Option<&mut Pin<Box<tokio::time::Sleep>>>) {
    match timer {
        Some(t) => t.as_mut().await,
        None => std::future::pending().await,
    }
}

impl<S: Transport> Conn<'_, S> {
    fn sh(&self) -> &Shared {
        &self.service.0
    }

    /// The output buffer, allocated with room for a typical write when empty.
    fn out(&mut self) -> &mut Vec<u8> {
        if self.out.capacity() == 0 {
            self.out.reserve(OUT_BUF_START);
        }
        &mut self.out
    }

    async fn run(&mut self) {
        let mut shutdown = self.sh().shutdown.clone();
        // Only the timer that matters in the current state is armed (boxed: an idle bound
        // session has none and should not carry room for one): the negotiation deadline until
        // bound, then the closing grace period once our stream is closed.
        let mut timer = Some(Box::pin(tokio::time::sleep(self.sh().timeouts.negotiation)));
        let mut grace_armed = false;
        let mut actions = Vec::new();
        while !self.done {
            if self.session.is_some() && !self.closing {
                timer = None;
            }
            tokio::select! {
                r = std::future::poll_fn(|cx| {
                    poll_read_feed(&mut self.io, &mut self.negotiator, &mut actions, cx)
                }) => match r {
                    Ok(0) => {
                        tracing::debug!("peer closed the connection");
                        return;
                    }
                    Ok(_) => {
                        Box::pin(self.perform(&mut actions)).await;
                    }
                    Err(e) => {
                        tracing::debug!(error = %e, "read failed");
                        return;
                    }
                },
                cmd = next_command(&mut self.mailbox), if !self.closing => {
                    Box::pin(self.command(cmd, &mut actions)).await;
                }
                () = sleep_opt(timer.as_mut()), if timer.is_some() => {
                    if self.closing {
                        tracing::debug!("peer did not close its stream in time");
                        return;
                    }
                    tracing::info!("negotiation timed out");
                    self.negotiator.close(
                        Some(StreamError::new(StreamErrorCondition::ConnectionTimeout)),
                        &mut actions,
                    );
                    Box::pin(self.perform(&mut actions)).await;
                }
                r = shutdown.changed(), if !self.closing => {
                    if r.is_err() || *shutdown.borrow() {
                        self.negotiator.close(
                            Some(StreamError::new(StreamErrorCondition::SystemShutdown)),
                            &mut actions,
                        );
                        Box::pin(self.perform(&mut actions)).await;
                    }
                }
            }
            if self.closing && !grace_armed {
                grace_armed = true;
                timer = Some(Box::pin(tokio::time::sleep(self.sh().timeouts.close_grace)));
            }
        }
    }

    /// Moves up to `limit` stanzas already queued for this session into the output buffer; a
    /// queued close ends the stream instead.
    fn drain_mailbox(&mut self, actions: &mut Vec<Action>, limit: usize) {
        for _ in 0..limit {
            match self.mailbox.as_mut().and_then(Mailbox::try_recv) {
                Some(SessionCommand::Stanza(el)) => {
                    waxwing_stream::write_stanza(&el, self.out());
                }
                Some(SessionCommand::Close(err)) => {
                    self.negotiator.close(Some(err), actions);
                    break;
                }
                None => break,
            }
        }
    }

    async fn command(&mut self, cmd: Option<SessionCommand>, actions: &mut Vec<Action>) {
        match cmd {
            Some(SessionCommand::Stanza(el)) => {
                waxwing_stream::write_stanza(&el, self.out());
                // Drain what is already queued into the same write.
                self.drain_mailbox(actions, MAILBOX_BATCH - 1);
                self.perform(actions).await;
            }
            Some(SessionCommand::Close(err)) => {
                tracing::info!(error = %err, "closing on the server's request");
                self.negotiator.close(Some(err), actions);
                self.perform(actions).await;
            }
            None => {
                // Every handle is gone: the registry no longer routes to us.
                self.mailbox = None;
            }
        }
    }

    /// Performs the negotiator's actions in order, then flushes; `actions` is left empty.
    async fn perform(&mut self, actions: &mut Vec<Action>) {
        // Used as a stack (next action last), so that the actions an action produces go in
        // front of the rest without another queue.
        actions.reverse();
        let mut more = Vec::new();
        while let Some(action) = actions.pop() {
            match action {
                Action::Send(bytes) => self.out().extend_from_slice(&bytes),
                Action::StartTls => {
                    if !self.flush().await {
                        actions.clear();
                        return;
                    }
                    let Some(cb) = self.start_tls().await else {
                        self.done = true;
                        actions.clear();
                        return;
                    };
                    self.negotiator.tls_established(cb, &mut more);
                }
                Action::FetchCredentials { user, hash } => {
                    let found = self.sh().credentials.lookup(&user, hash).await;
                    self.negotiator.credentials(found, &mut more);
                }
                Action::Authenticated { user, mechanism } => {
                    tracing::info!(%user, mechanism = mechanism.name(), "authenticated");
                }
                Action::Bind { jid, generated: _ } => {
                    let res = self
                        .bind(jid)
                        .await
                        .map_err(waxwing_core::BindError::to_stanza_error);
                    self.negotiator.bind_result(res, &mut more);
                }
                Action::Bound { jid } => {
                    tracing::Span::current().record("jid", tracing::field::display(&jid));
                    tracing::info!("session bound");
                }
                Action::Stanza(el) => self.stanza(el, &mut more).await,
                Action::Nonza(el) => {
                    // No module consumes nonzas yet (XEP-0198, CSI come later).
                    tracing::debug!(name = %el.name(), ns = %el.ns(), "unsupported top-level element");
                    self.negotiator.close(
                        Some(StreamError::new(
                            StreamErrorCondition::UnsupportedStanzaType,
                        )),
                        &mut more,
                    );
                }
                Action::Close { error } => {
                    if let Some(e) = &error {
                        tracing::info!(error = %e, "stream closed with an error");
                    }
                    self.closing = true;
                }
                Action::PeerClosed => {
                    let _ = self.flush().await;
                    self.done = true;
                    actions.clear();
                    return;
                }
            }
            // Actions produced while performing come before the rest, in order.
            actions.extend(more.drain(..).rev());
        }
        if !self.flush().await {
            self.done = true;
        }
        // Given back: between reads an idle session keeps no action list.
        *actions = Vec::new();
    }

    async fn bind(&mut self, jid: FullJid) -> Result<FullJid, waxwing_core::BindError> {
        let server = &self.sh().server;
        let (handle, mailbox) = SessionHandle::channel(jid, server.mailbox_capacity());
        let reg = server.bind(handle).await?;
        let bound = reg.handle.jid().clone();
        self.session = Some(reg.handle);
        self.mailbox = Some(mailbox);
        Ok(bound)
    }

    async fn stanza(&mut self, el: waxwing_xml::Element, out: &mut Vec<Action>) {
        if self.session.is_none() {
            return;
        }
        let stanza = match Stanza::from_element(el) {
            Ok(s) => s,
            Err(e) => {
                if let Some(cond) = e.stream_error() {
                    self.negotiator.close(Some(StreamError::new(cond)), out);
                } else if matches!(
                    e.reason(),
                    waxwing_stanza::InvalidStanza::MalformedAddress { attr: "from", .. }
                ) {
                    // RFC 6120 §8.1.2.1: a `from` that is not the session's own address.
                    self.negotiator.close(
                        Some(StreamError::new(StreamErrorCondition::InvalidFrom)),
                        out,
                    );
                } else if let Some(reply) = e.error_reply() {
                    waxwing_stream::write_stanza(&reply, self.out());
                }
                return;
            }
        };
        let Some(handle) = self.session.as_ref() else {
            return;
        };
        let server = &self.service.0.server;
        let (routed, own) = handle
            .with_own_output(server.route_from_client(handle.jid(), stanza))
            .await;
        if let Err(err) = routed {
            tracing::info!(error = %err, "stanza refused");
            self.negotiator.close(Some(err), out);
            return;
        }
        // Replies to this client's own requests land in its mailbox while it is still working
        // through a burst of pipelined stanzas: move them to the output now, so that a client
        // pipelining more requests than the mailbox holds is not taken for a slow reader.
        self.drain_mailbox(out, usize::MAX);
        for el in &own {
            waxwing_stream::write_stanza(el, self.out());
        }
    }

    /// Runs the STARTTLS handshake (RFC 6120 §5.4.3.3); returns the channel bindings.
    async fn start_tls(&mut self) -> Option<ChannelBindings> {
        let tls = self.sh().tls.clone()?;
        let Io::Plain(stream) = std::mem::replace(&mut self.io, Io::Taken) else {
            tracing::warn!("STARTTLS on a stream that is not cleartext");
            return None;
        };
        let accept = tls.starttls_acceptor().accept(stream);
        match tokio::time::timeout(self.sh().timeouts.negotiation, accept).await {
            Ok(Ok(s)) => {
                let cb = tls.channel_bindings(s.get_ref().1);
                tracing::debug!(version = ?s.get_ref().1.protocol_version(), "TLS established");
                self.io = Io::Tls(Box::new(s));
                Some(cb)
            }
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "TLS handshake failed");
                None
            }
            Err(_) => {
                tracing::debug!("TLS handshake timed out");
                None
            }
        }
    }

    /// Writes pending output; false when the connection is gone.
    async fn flush(&mut self) -> bool {
        if self.out.is_empty() {
            return true;
        }
        let limit = self.service.0.timeouts.write;
        let res = {
            let (io, out) = (&mut self.io, &self.out);
            let mut write = std::pin::pin!(async move {
                io.write_all(out).await?;
                io.flush().await
            });
            // Most writes complete at once: the timer is armed only when the socket would
            // block, instead of being registered and cancelled around every write.
            match std::future::poll_fn(|cx| Poll::Ready(write.as_mut().poll(cx))).await {
                Poll::Ready(r) => Ok(r),
                Poll::Pending => tokio::time::timeout(limit, write).await,
            }
        };
        // Given back after every write: an idle session keeps no output buffer.
        self.out = Vec::new();
        match res {
            Ok(Ok(())) => true,
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "write failed");
                self.done = true;
                false
            }
            Err(_) => {
                tracing::info!("write timed out: peer not reading");
                self.done = true;
                false
            }
        }
    }
}
