//! Outbound streams: one per (local, remote) domain pair, set up on the first stanza.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::Ordering;

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
use waxwing_stream::s2s_dialback::Verdict;
use waxwing_stream::{AuthMethod, Purpose, S2sAction, S2sOutbound, write_s2s_stanza};

use super::io::S2sIo;
use super::resolve::Target;
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

/// Queues `stanza` on the stream for its domain pair, starting one if needed.
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
            // The task ended between removing itself and our look-up: start afresh.
            Err(mpsc::error::TrySendError::Closed(s)) => s,
        },
        None => stanza,
    };
    let (tx, rx) = mpsc::channel(sh.queue_limit);
    let _ = tx.try_send(stanza);
    let id = sh.next_id.fetch_add(1, Ordering::Relaxed);
    routes.insert(key.clone(), Route { id, tx });
    drop(routes);
    let sh = Arc::clone(sh);
    let span = tracing::info_span!("s2s_out", local = %key.0, remote = %key.1);
    tokio::spawn(run(sh, key.0, key.1, id, rx).instrument(span));
    Ok(())
}

/// Why a stream could not be set up.
struct Failure {
    timeout: bool,
    reason: String,
}

impl Failure {
    fn new(reason: impl Into<String>) -> Self {
        Self {
            timeout: false,
            reason: reason.into(),
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

async fn run(
    sh: Arc<Shared>,
    local: String,
    remote: String,
    id: u64,
    mut rx: mpsc::Receiver<Stanza>,
) {
    let set_up = tokio::time::timeout(
        sh.connect_timeout,
        connect(&sh, &local, &remote, Purpose::Authenticate),
    )
    .await
    .unwrap_or_else(|_| {
        Err(Failure {
            timeout: true,
            reason: "timed out".into(),
        })
    });
    let condition = match set_up {
        Ok(Established {
            io,
            n,
            outcome: Outcome::Ready(via),
        }) => {
            tracing::info!(?via, "outbound stream ready");
            serve(&sh, io, n, &mut rx).await;
            StanzaErrorCondition::RemoteServerNotFound
        }
        Ok(Established { .. }) => StanzaErrorCondition::RemoteServerNotFound,
        Err(f) => {
            tracing::info!(reason = %f.reason, timeout = f.timeout, "outbound stream failed");
            if f.timeout {
                StanzaErrorCondition::RemoteServerTimeout
            } else {
                StanzaErrorCondition::RemoteServerNotFound
            }
        }
    };
    // Leave the table first, so that new stanzas start a new stream instead of joining
    // this dying queue; then bounce what is left.
    if let Ok(mut routes) = sh.routes.lock()
        && routes
            .get(&(local.clone(), remote.clone()))
            .is_some_and(|r| r.id == id)
    {
        routes.remove(&(local, remote));
    }
    rx.close();
    while let Ok(s) = rx.try_recv() {
        sh.bounce(&s, condition.clone()).await;
    }
}

/// Writes queued stanzas until the stream ends, idles out or the server shuts down.
async fn serve(
    sh: &Shared,
    mut io: S2sIo<TcpStream>,
    mut n: S2sOutbound,
    rx: &mut mpsc::Receiver<Stanza>,
) {
    let mut shutdown = sh.shutdown.subscribe();
    let mut rbuf = Vec::with_capacity(READ_BUF);
    let mut wbuf = Vec::new();
    let mut actions = Vec::new();
    let mut idle_at = Instant::now() + sh.idle_timeout;
    loop {
        tokio::select! {
            s = rx.recv() => {
                let Some(s) = s else { break };
                wbuf.clear();
                write_s2s_stanza(s.element(), &mut wbuf);
                let mut batch = vec![s];
                while batch.len() < BATCH {
                    let Ok(more) = rx.try_recv() else { break };
                    write_s2s_stanza(more.element(), &mut wbuf);
                    batch.push(more);
                }
                if io.write_all(&wbuf).await.is_err() || io.flush().await.is_err() {
                    tracing::info!("write failed");
                    for s in batch {
                        sh.bounce(&s, StanzaErrorCondition::RemoteServerNotFound).await;
                    }
                    return;
                }
                idle_at = Instant::now() + sh.idle_timeout;
            }
            r = io.read_buf(&mut rbuf) => {
                match r {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {
                        n.feed(&rbuf, &mut actions);
                        rbuf.clear();
                        if !flush_actions(&mut io, &mut actions).await {
                            return;
                        }
                    }
                }
            }
            () = tokio::time::sleep_until(idle_at) => {
                tracing::debug!("closing idle stream");
                n.close(None, &mut actions);
                let _ = flush_actions(&mut io, &mut actions).await;
                return;
            }
            r = shutdown.changed() => {
                if r.is_err() || *shutdown.borrow() {
                    n.close(Some(StreamError::new(StreamErrorCondition::SystemShutdown)), &mut actions);
                    let _ = flush_actions(&mut io, &mut actions).await;
                    return;
                }
            }
        }
    }
}

/// Writes `Send`s; false once the stream is closing.
async fn flush_actions(io: &mut S2sIo<TcpStream>, actions: &mut Vec<S2sAction>) -> bool {
    let mut open = true;
    for a in actions.drain(..) {
        match a {
            S2sAction::Send(b) if io.write_all(&b).await.is_err() => return false,
            S2sAction::Close { .. } | S2sAction::PeerClosed => open = false,
            _ => {}
        }
    }
    io.flush().await.is_ok() && open
}

/// Resolves `remote` and negotiates a stream with the first target that answers.
async fn connect(
    sh: &Shared,
    local: &str,
    remote: &str,
    purpose: Purpose,
) -> Result<Established, Failure> {
    let targets = sh
        .resolver
        .targets(remote)
        .await
        .map_err(|e| Failure::new(e.to_string()))?;
    let mut last = Failure::new("no address");
    for t in targets {
        let addrs = match sh.resolver.addresses(&t).await {
            Ok(a) => a,
            Err(e) => {
                last = Failure::new(e.to_string());
                continue;
            }
        };
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
    match tokio::time::timeout(
        sh.connect_timeout,
        connect(sh, receiving, originating, purpose),
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
        Err(_) => Verdict::Error(StanzaErrorCondition::RemoteServerTimeout),
    }
}
