//! Outbound streams: one per remote domain, set up on the first stanza from one of our
//! domains; further local domains join it by dialback piggybacking (XEP-0220
//! multiplexing) or get a stream of their own. Each (local, remote) pair has its own
//! bounded queue.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll};

use rustls_pki_types::ServerName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument as _;
use waxwing_core::Bounce;
use waxwing_stanza::{
    Stanza, StanzaError, StanzaErrorCondition, StreamError, StreamErrorCondition,
};
use waxwing_stream::s2s::MAX_PAIRS;
use waxwing_stream::s2s_dialback::Verdict;
use waxwing_stream::{AuthMethod, Purpose, S2sAction, S2sOutbound, write_s2s_stanza};

use super::io::S2sIo;
use super::resolve::{ResolveError, Target};
use super::{Route, Shared};

const READ_BUF: usize = 4096;
/// Stanzas written per flush when the queue is busy.
const BATCH: usize = 64;

fn bounce_now(stanza: Stanza, condition: StanzaErrorCondition) -> Box<Bounce> {
    Box::new(Bounce {
        stanza,
        error: StanzaError::new(condition),
    })
}

/// A (local, remote) pair's queue, waiting for or served by a stream.
pub(super) struct Pair {
    local: String,
    /// The [`Route`] id, so that a pair leaves the table only if it is still its own.
    id: u64,
    rx: mpsc::Receiver<Stanza>,
}

/// An authenticated stream that takes further local domains for its remote domain.
pub(super) struct Link {
    id: u64,
    join: mpsc::Sender<Pair>,
}

/// Queues `stanza` on the queue of its domain pair, setting one up if needed: on the
/// remote domain's existing stream when it takes further pairs, else on a new stream.
pub(super) fn route(sh: &Arc<Shared>, stanza: Stanza) -> Result<(), Box<Bounce>> {
    let Some(remote) = stanza.to().map(|j| j.domain().to_owned()) else {
        return Err(bounce_now(
            stanza,
            StanzaErrorCondition::RemoteServerNotFound,
        ));
    };
    // The sending domain is the stanza's; server-generated stanzas without `from` speak
    // for the first served domain.
    let local = stanza
        .from()
        .and_then(|j| sh.cfg.served_domain(j.domain()))
        .or_else(|| sh.cfg.domains.first().map(String::as_str))
        .map(str::to_owned);
    let Some(local) = local else {
        return Err(bounce_now(
            stanza,
            StanzaErrorCondition::RemoteServerNotFound,
        ));
    };
    if *sh.shutdown.borrow() {
        return Err(bounce_now(
            stanza,
            StanzaErrorCondition::RemoteServerNotFound,
        ));
    }
    let Ok(mut routes) = sh.routes.lock() else {
        return Err(bounce_now(
            stanza,
            StanzaErrorCondition::InternalServerError,
        ));
    };
    let key = (local, remote);
    let stanza = match routes.get(&key) {
        Some(r) => match r.tx.try_send(stanza) {
            Ok(()) => return Ok(()),
            Err(mpsc::error::TrySendError::Full(s)) => {
                return Err(bounce_now(s, StanzaErrorCondition::ResourceConstraint));
            }
            // The stream ended between removing the pair and our look-up: start afresh.
            Err(mpsc::error::TrySendError::Closed(s)) => s,
        },
        None => stanza,
    };
    let (tx, rx) = mpsc::channel(sh.queue_limit);
    let _ = tx.try_send(stanza);
    let id = sh.next_id.fetch_add(1, Ordering::Relaxed);
    routes.insert(key.clone(), Route { id, tx });
    drop(routes);
    let (local, remote) = key;
    let pair = Pair { local, id, rx };
    if let Some(pair) = offer_to_link(sh, &remote, pair) {
        spawn_stream(sh, pair, remote);
    }
    Ok(())
}

/// Hands `pair` to the remote domain's multiplexing stream; gives it back when there is
/// none or it is busy.
fn offer_to_link(sh: &Shared, remote: &str, pair: Pair) -> Option<Pair> {
    let Ok(links) = sh.links.lock() else {
        return Some(pair);
    };
    let Some(link) = links.get(remote) else {
        return Some(pair);
    };
    match link.join.try_send(pair) {
        Ok(()) => None,
        Err(e) => Some(e.into_inner()),
    }
}

fn spawn_stream(sh: &Arc<Shared>, pair: Pair, remote: String) {
    let span = tracing::info_span!("s2s_out", local = %pair.local, %remote);
    tokio::spawn(run(Arc::clone(sh), pair, remote).instrument(span));
}

/// Why a stream could not be set up, and what its stanzas bounce with.
struct Failure {
    condition: StanzaErrorCondition,
    reason: String,
}

impl Failure {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            condition: StanzaErrorCondition::RemoteServerNotFound,
            reason: reason.into(),
        }
    }

    /// The setup limit passed. RFC 6120 §8.3.3.17 `remote-server-timeout` is for a
    /// remote server that "was resolved but communications could not be established
    /// within a reasonable amount of time"; a domain whose DNS never answered "cannot be
    /// resolved", which is §8.3.3.16 `remote-server-not-found`.
    fn timed_out(resolved: bool) -> Self {
        if resolved {
            Self {
                condition: StanzaErrorCondition::RemoteServerTimeout,
                reason: "timed out".into(),
            }
        } else {
            Self::new("timed out resolving the domain")
        }
    }
}

/// A stream that finished negotiating.
struct Established {
    io: S2sIo<TcpStream>,
    n: S2sOutbound,
    outcome: Outcome,
}

enum Outcome {
    Ready(AuthMethod),
    Verified(bool),
}

/// Counts a live outbound stanza stream for as long as it is held.
struct Counted<'a>(&'a AtomicUsize);

impl<'a> Counted<'a> {
    fn new(c: &'a AtomicUsize) -> Self {
        c.fetch_add(1, Ordering::Relaxed);
        Self(c)
    }
}

impl Drop for Counted<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// How a stream ended: the pairs it served (their queues bounce with `condition`), and
/// pairs that had not joined it yet (they get a stream of their own).
struct Ended {
    active: Vec<Pair>,
    waiting: Vec<Pair>,
    condition: StanzaErrorCondition,
}

async fn run(sh: Arc<Shared>, first: Pair, remote: String) {
    let counted = Counted::new(&sh.connections);
    let resolved = AtomicBool::new(false);
    let set_up = tokio::time::timeout(
        sh.connect_timeout,
        connect(&sh, &first.local, &remote, Purpose::Authenticate, &resolved),
    )
    .await
    .unwrap_or_else(|_| Err(Failure::timed_out(resolved.load(Ordering::Relaxed))));
    let (ended, link) = match set_up {
        Ok(Established {
            io,
            n,
            outcome: Outcome::Ready(via),
        }) => {
            tracing::info!(?via, piggyback = n.can_piggyback(), "outbound stream ready");
            let mut c = Conn {
                io,
                n,
                active: vec![first],
                pending: Vec::new(),
                next: 0,
                joins: None,
                link: None,
            };
            c.offer_link(&sh, &remote);
            let ended = c.serve(&sh, &remote).await;
            (ended, c.joins.take().map(|j| (c.link, j)))
        }
        Ok(Established { .. }) => (
            Ended {
                active: vec![first],
                waiting: Vec::new(),
                condition: StanzaErrorCondition::RemoteServerNotFound,
            },
            None,
        ),
        Err(f) => {
            tracing::info!(reason = %f.reason, condition = f.condition.as_str(), "outbound stream failed");
            (
                Ended {
                    active: vec![first],
                    waiting: Vec::new(),
                    condition: f.condition,
                },
                None,
            )
        }
    };
    drop(counted);
    finish(&sh, &remote, ended, link).await;
}

/// Takes a dead stream's pairs out of the tables: served pairs' queues bounce, pairs
/// that had not joined yet get a stream of their own (or bounce at shutdown).
async fn finish(
    sh: &Arc<Shared>,
    remote: &str,
    mut ended: Ended,
    link: Option<(Option<u64>, mpsc::Receiver<Pair>)>,
) {
    if let Some((id, mut joins)) = link {
        // Leave the links table first: `route` sends joins while holding its lock, so once
        // we are out no join can be in flight and draining finds them all.
        if let Some(id) = id
            && let Ok(mut links) = sh.links.lock()
            && links.get(remote).is_some_and(|l| l.id == id)
        {
            links.remove(remote);
        }
        joins.close();
        while let Ok(p) = joins.try_recv() {
            ended.waiting.push(p);
        }
    }
    let shutting_down = *sh.shutdown.borrow();
    if shutting_down {
        ended.active.append(&mut ended.waiting);
    }
    for p in ended.waiting {
        spawn_stream(sh, p, remote.to_owned());
    }
    for p in ended.active {
        drop_pair(sh, remote, p, ended.condition.clone()).await;
    }
}

/// Removes a pair from the routing table (new stanzas start afresh rather than join a
/// dying queue), then bounces what is left in its queue.
async fn drop_pair(sh: &Shared, remote: &str, mut p: Pair, condition: StanzaErrorCondition) {
    let key = (p.local, remote.to_owned());
    if let Ok(mut routes) = sh.routes.lock()
        && routes.get(&key).is_some_and(|r| r.id == p.id)
    {
        routes.remove(&key);
    }
    p.rx.close();
    while let Ok(s) = p.rx.try_recv() {
        sh.bounce(&s, condition.clone()).await;
    }
}

/// A ready outbound stream and the pairs on it.
struct Conn {
    io: S2sIo<TcpStream>,
    n: S2sOutbound,
    /// Pairs whose stanzas are written.
    active: Vec<Pair>,
    /// Piggybacked pairs awaiting the peer's answer, with their deadline.
    pending: Vec<(Pair, Instant)>,
    /// Round-robin start among `active`.
    next: usize,
    joins: Option<mpsc::Receiver<Pair>>,
    link: Option<u64>,
}

/// Polls the active queues from `start` on, so that one busy pair cannot starve others.
fn poll_pairs(
    pairs: &mut [Pair],
    start: &mut usize,
    cx: &mut Context<'_>,
) -> Poll<(usize, Option<Stanza>)> {
    let n = pairs.len();
    for k in 0..n {
        let i = (*start + k) % n;
        if let Some(p) = pairs.get_mut(i)
            && let Poll::Ready(s) = p.rx.poll_recv(cx)
        {
            *start = i + 1;
            return Poll::Ready((i, s));
        }
    }
    Poll::Pending
}

/// Why writing failed: a peer that stopped reading times out, a broken connection is
/// gone.
fn write_failure(timed_out: bool) -> StanzaErrorCondition {
    if timed_out {
        StanzaErrorCondition::RemoteServerTimeout
    } else {
        StanzaErrorCondition::RemoteServerNotFound
    }
}

impl Conn {
    /// Lets further local domains join this stream when the peer allows piggybacking.
    fn offer_link(&mut self, sh: &Shared, remote: &str) {
        if !self.n.can_piggyback() {
            return;
        }
        let Ok(mut links) = sh.links.lock() else {
            return;
        };
        if links.contains_key(remote) {
            return; // another stream to the same domain already takes them
        }
        let id = sh.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = mpsc::channel(MAX_PAIRS);
        links.insert(remote.to_owned(), Link { id, join: tx });
        self.joins = Some(rx);
        self.link = Some(id);
    }

    /// Writes `bytes` within the write timeout; on failure, the condition to bounce with.
    async fn write(&mut self, sh: &Shared, bytes: &[u8]) -> Result<(), StanzaErrorCondition> {
        let io = &mut self.io;
        let w = async {
            io.write_all(bytes).await?;
            io.flush().await
        };
        match tokio::time::timeout(sh.write_timeout, w).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => {
                tracing::info!(error = %e, "write failed");
                Err(write_failure(false))
            }
            Err(_) => {
                tracing::info!(timeout = ?sh.write_timeout, "write timed out: the peer does not read");
                Err(write_failure(true))
            }
        }
    }

    /// Performs the negotiator's actions; `Err` once the stream is over.
    async fn perform(
        &mut self,
        sh: &Arc<Shared>,
        remote: &str,
        actions: &mut Vec<S2sAction>,
    ) -> Result<(), StanzaErrorCondition> {
        let mut open = true;
        for a in std::mem::take(actions) {
            match a {
                S2sAction::Send(b) => self.write(sh, &b).await?,
                S2sAction::Piggybacked { local, verdict } => {
                    self.piggybacked(sh, remote, &local, verdict).await;
                }
                S2sAction::Close { .. } | S2sAction::PeerClosed => open = false,
                _ => {}
            }
        }
        if open {
            Ok(())
        } else {
            Err(StanzaErrorCondition::RemoteServerNotFound)
        }
    }

    /// The peer's answer to a piggybacked pair.
    async fn piggybacked(&mut self, sh: &Arc<Shared>, remote: &str, local: &str, v: Verdict) {
        let Some(i) = self.pending.iter().position(|(p, _)| p.local == local) else {
            return;
        };
        let (p, _) = self.pending.swap_remove(i);
        match v {
            Verdict::Valid => {
                tracing::info!(%local, "domain pair piggybacked on the stream");
                self.active.push(p);
            }
            // XEP-0220 §2.4: the receiving server may refuse a further pair on this stream
            // (policy, resources) without judging the domain: it gets a stream of its own,
            // which fails on its own if the peer refuses the domain itself.
            Verdict::Error(c) => {
                tracing::info!(%local, condition = c.as_str(), "piggybacking refused: opening a stream of its own");
                spawn_stream(sh, p, remote.to_owned());
            }
            // Our key was judged invalid: like a failed dialback on a stream of its own
            // (RFC 6120 §8.3.3.16).
            Verdict::Invalid => {
                tracing::info!(%local, "piggybacked dialback invalid");
                drop_pair(sh, remote, p, StanzaErrorCondition::RemoteServerNotFound).await;
            }
        }
    }

    /// Writes `first` and what else pair `i` has queued (up to [`BATCH`]); on failure the
    /// batch bounces and the stream is over.
    async fn write_batch(
        &mut self,
        sh: &Shared,
        i: usize,
        first: Stanza,
        wbuf: &mut Vec<u8>,
    ) -> Result<(), StanzaErrorCondition> {
        wbuf.clear();
        write_s2s_stanza(first.element(), wbuf);
        let mut batch = vec![first];
        while batch.len() < BATCH {
            let Some(Ok(more)) = self.active.get_mut(i).map(|p| p.rx.try_recv()) else {
                break;
            };
            write_s2s_stanza(more.element(), wbuf);
            batch.push(more);
        }
        let r = self.write(sh, wbuf).await;
        if let Err(c) = &r {
            for s in batch {
                sh.bounce(&s, c.clone()).await;
            }
        }
        r
    }

    /// Piggybacked pairs the peer did not answer in time bounce `remote-server-timeout`.
    async fn expire_pending(&mut self, sh: &Shared, remote: &str) {
        let now = Instant::now();
        let (late, keep): (Vec<_>, Vec<_>) = std::mem::take(&mut self.pending)
            .into_iter()
            .partition(|(_, d)| *d <= now);
        self.pending = keep;
        for (p, _) in late {
            tracing::info!(local = %p.local, "no answer to the piggybacked pair");
            drop_pair(sh, remote, p, StanzaErrorCondition::RemoteServerTimeout).await;
        }
    }

    /// Writes queued stanzas until the stream ends, idles out or the server shuts down.
    async fn serve(&mut self, sh: &Arc<Shared>, remote: &str) -> Ended {
        let mut shutdown = sh.shutdown.subscribe();
        let mut rbuf = Vec::with_capacity(READ_BUF);
        let mut wbuf = Vec::new();
        let mut actions = Vec::new();
        let mut idle_at = Instant::now() + sh.idle_timeout;
        let condition = loop {
            let pending_at = self.pending.iter().map(|(_, d)| *d).min();
            let Self {
                io,
                active,
                next,
                joins,
                ..
            } = self;
            tokio::select! {
                (i, s) = std::future::poll_fn(|cx| poll_pairs(active, next, cx)) => {
                    let Some(s) = s else {
                        // All senders are gone: the pair left the table.
                        if i < self.active.len() {
                            self.active.swap_remove(i);
                        }
                        continue;
                    };
                    if let Err(c) = self.write_batch(sh, i, s, &mut wbuf).await {
                        break c;
                    }
                    idle_at = Instant::now() + sh.idle_timeout;
                }
                Some(p) = async { match joins { Some(j) => j.recv().await, None => None } } => {
                    if self.n.add_pair(&p.local, &mut actions) {
                        tracing::debug!(local = %p.local, "piggybacking a further domain pair");
                        self.pending.push((p, Instant::now() + sh.connect_timeout));
                        if let Err(c) = self.perform(sh, remote, &mut actions).await {
                            break c;
                        }
                    } else {
                        spawn_stream(sh, p, remote.to_owned());
                    }
                }
                r = io.read_buf(&mut rbuf) => {
                    match r {
                        Ok(0) | Err(_) => break StanzaErrorCondition::RemoteServerNotFound,
                        Ok(_) => {
                            self.n.feed(&rbuf, &mut actions);
                            rbuf.clear();
                            if let Err(c) = self.perform(sh, remote, &mut actions).await {
                                break c;
                            }
                        }
                    }
                }
                () = async {
                    match pending_at {
                        Some(d) => tokio::time::sleep_until(d).await,
                        None => std::future::pending().await,
                    }
                } => {
                    self.expire_pending(sh, remote).await;
                }
                () = tokio::time::sleep_until(idle_at), if self.pending.is_empty() => {
                    tracing::debug!("closing idle stream");
                    self.n.close(None, &mut actions);
                    let _ = self.perform(sh, remote, &mut actions).await;
                    break StanzaErrorCondition::RemoteServerNotFound;
                }
                r = shutdown.changed() => {
                    if r.is_err() || *shutdown.borrow() {
                        self.n.close(Some(StreamError::new(StreamErrorCondition::SystemShutdown)), &mut actions);
                        let _ = self.perform(sh, remote, &mut actions).await;
                        break StanzaErrorCondition::RemoteServerNotFound;
                    }
                }
            }
        };
        Ended {
            active: std::mem::take(&mut self.active),
            waiting: std::mem::take(&mut self.pending)
                .into_iter()
                .map(|(p, _)| p)
                .collect(),
            condition,
        }
    }
}

/// Resolves `remote` and negotiates a stream with the first target that answers;
/// `resolved` is set once an address is known (the setup timeout's condition depends on
/// it). Resolution failures of every kind are `remote-server-not-found` (RFC 6120
/// §8.3.3.16: the domain "cannot be resolved").
async fn connect(
    sh: &Shared,
    local: &str,
    remote: &str,
    purpose: Purpose,
    resolved: &AtomicBool,
) -> Result<Established, Failure> {
    let targets = sh.resolver.targets(remote).await.map_err(|e| {
        tracing::debug!(%remote, error = %e, "no connection targets");
        Failure::new(e.to_string())
    })?;
    let mut last = Failure::new("no address");
    for t in targets {
        let addrs = match sh.resolver.addresses(&t).await {
            Ok(a) => a,
            Err(e) => {
                if matches!(e, ResolveError::NoSuchDomain(_)) {
                    tracing::debug!(%remote, error = %e, "target does not exist");
                }
                last = Failure::new(e.to_string());
                continue;
            }
        };
        resolved.store(true, Ordering::Relaxed);
        for a in addrs {
            match TcpStream::connect(a).await {
                Ok(s) => {
                    let _ = s.set_nodelay(true);
                    match negotiate(sh, s, &t, local, remote, purpose.clone()).await {
                        Ok(e) => return Ok(e),
                        Err(e) => {
                            tracing::debug!(%a, reason = %e.reason, "negotiation failed");
                            last = e;
                        }
                    }
                }
                Err(e) => last = Failure::new(format!("{a}: {e}")),
            }
        }
    }
    Err(last)
}

async fn start_tls(
    sh: &Shared,
    io: &mut S2sIo<TcpStream>,
    local: &str,
    remote: &str,
    direct: bool,
) -> Result<bool, Failure> {
    let Some(tls) = &sh.tls else {
        return Err(Failure::new("TLS needed but no certificates configured"));
    };
    let connector = tls
        .connector(local, direct)
        .map_err(|e| Failure::new(e.to_string()))?;
    let name = ServerName::try_from(remote.to_owned()).map_err(|e| Failure::new(e.to_string()))?;
    let S2sIo::Plain(tcp) = std::mem::replace(io, S2sIo::Taken) else {
        return Err(Failure::new("TLS already established"));
    };
    let stream = connector
        .connect(name, tcp)
        .await
        .map_err(|e| Failure::new(format!("TLS handshake: {e}")))?;
    *io = S2sIo::Tls(Box::new(tokio_rustls::TlsStream::Client(stream)));
    let chain = io.peer_chain();
    let check = sh.verifier.check(&chain, remote);
    if let Err(e) = &check {
        tracing::debug!(reason = %e, "peer certificate does not authenticate it");
    }
    Ok(check.is_ok())
}

async fn negotiate(
    sh: &Shared,
    tcp: TcpStream,
    t: &Target,
    local: &str,
    remote: &str,
    purpose: Purpose,
) -> Result<Established, Failure> {
    let mut io = S2sIo::Plain(tcp);
    let cert_ok = if t.direct_tls {
        start_tls(sh, &mut io, local, remote, true).await?
    } else {
        false
    };
    let mut n = S2sOutbound::new(
        Arc::clone(&sh.cfg),
        local,
        remote,
        purpose,
        t.direct_tls,
        cert_ok,
    );
    let mut queue: VecDeque<S2sAction> = VecDeque::new();
    let mut more = Vec::new();
    n.start(&mut more);
    queue.extend(more.drain(..));
    let mut rbuf = Vec::with_capacity(READ_BUF);
    let io_err = |e: std::io::Error| Failure::new(e.to_string());
    loop {
        while let Some(a) = queue.pop_front() {
            match a {
                S2sAction::Send(b) => {
                    io.write_all(&b).await.map_err(io_err)?;
                    io.flush().await.map_err(io_err)?;
                }
                S2sAction::StartTls => {
                    let ok = start_tls(sh, &mut io, local, remote, false).await?;
                    n.tls_established(ok, &mut more);
                    queue.extend(more.drain(..));
                }
                S2sAction::Ready { via } => {
                    return Ok(Established {
                        io,
                        n,
                        outcome: Outcome::Ready(via),
                    });
                }
                S2sAction::Verified { valid } => {
                    // Our `</stream:stream>` follows in the queue: write it, then report.
                    for rest in queue.drain(..) {
                        if let S2sAction::Send(b) = rest {
                            let _ = io.write_all(&b).await;
                        }
                    }
                    let _ = io.flush().await;
                    return Ok(Established {
                        io,
                        n,
                        outcome: Outcome::Verified(valid),
                    });
                }
                S2sAction::Close { .. } | S2sAction::PeerClosed => {
                    let _ = io.flush().await;
                    return Err(Failure::new(
                        n.failure().unwrap_or("stream closed").to_owned(),
                    ));
                }
                _ => {}
            }
        }
        let r = io.read_buf(&mut rbuf).await.map_err(io_err)?;
        if r == 0 {
            return Err(Failure::new(
                n.failure().unwrap_or("connection closed").to_owned(),
            ));
        }
        n.feed(&rbuf, &mut more);
        rbuf.clear();
        queue.extend(more.drain(..));
    }
}

/// Asks the authoritative server of `originating` whether `key` is valid for a stream
/// `originating` → `receiving` with id `stream_id` (XEP-0220 §2.1.2).
pub(super) async fn verify(
    sh: &Shared,
    receiving: &str,
    originating: &str,
    stream_id: &str,
    key: &str,
) -> Verdict {
    let purpose = Purpose::Verify {
        stream_id: stream_id.to_owned(),
        key: key.to_owned(),
    };
    let resolved = AtomicBool::new(false);
    match tokio::time::timeout(
        sh.connect_timeout,
        connect(sh, receiving, originating, purpose, &resolved),
    )
    .await
    {
        Ok(Ok(Established {
            outcome: Outcome::Verified(true),
            ..
        })) => Verdict::Valid,
        Ok(Ok(_)) => Verdict::Invalid,
        Ok(Err(f)) => {
            tracing::info!(%originating, reason = %f.reason, "dialback verification failed");
            Verdict::Error(StanzaErrorCondition::RemoteServerNotFound)
        }
        Err(_) => Verdict::Error(Failure::timed_out(resolved.load(Ordering::Relaxed)).condition),
    }
}
