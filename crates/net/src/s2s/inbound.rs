//! Inbound s2s connections: negotiation, dialback verification, stanza intake.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use rustls_pki_types::CertificateDer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::Instrument as _;
use waxwing_stanza::{Stanza, StreamError, StreamErrorCondition};
use waxwing_stream::s2s::MAX_PAIRS;
use waxwing_stream::s2s_dialback::Verdict;
use waxwing_stream::{PeerCert, S2sAction, S2sInbound};

use super::Shared;
use super::io::S2sIo;
use crate::Transport;

const READ_BUF: usize = 4096;
/// How long we wait for the peer's `</stream:stream>` after ours (RFC 6120 §4.4).
const CLOSE_GRACE: Duration = Duration::from_secs(2);

fn peer_cert(sh: &Shared, chain: Vec<CertificateDer<'static>>) -> PeerCert {
    if chain.is_empty() {
        return PeerCert::none();
    }
    let v = sh.verifier.clone();
    PeerCert::new(move |d| v.authenticates(&chain, d))
}

struct Conn<S> {
    id: u64,
    io: S2sIo<S>,
    n: S2sInbound,
    /// Dialback verdicts from the verification tasks.
    verdicts: mpsc::Sender<(String, String, Verdict)>,
    closing: bool,
    done: bool,
}

pub(super) async fn serve<S: Transport>(sh: Arc<Shared>, stream: S, peer: String, direct: bool) {
    let span = tracing::info_span!("s2s_in", %peer);
    serve_inner(sh, stream, direct).instrument(span).await;
}

async fn serve_inner<S: Transport>(sh: Arc<Shared>, stream: S, direct: bool) {
    if *sh.shutdown.borrow() {
        return;
    }
    let mut io = S2sIo::Plain(stream);
    let mut cert = PeerCert::none();
    if direct {
        let Some(tls) = &sh.tls else {
            tracing::warn!("direct TLS s2s connection but no TLS configured");
            return;
        };
        let S2sIo::Plain(s) = io else { return };
        let accept = tokio::time::timeout(sh.connect_timeout, tls.direct_acceptor().accept(s));
        let Ok(Ok(t)) = accept.await else {
            tracing::debug!("TLS handshake failed");
            return;
        };
        io = S2sIo::Tls(Box::new(tokio_rustls::TlsStream::Server(t)));
        cert = peer_cert(&sh, io.peer_chain());
    }
    let (tx, mut rx) = mpsc::channel(MAX_PAIRS);
    let mut c = Conn {
        id: sh.next_id.fetch_add(1, Ordering::Relaxed),
        io,
        n: S2sInbound::new(Arc::clone(&sh.cfg), direct, cert),
        verdicts: tx,
        closing: false,
        done: false,
    };
    let mut shutdown = sh.shutdown.subscribe();
    let mut buf = Vec::with_capacity(READ_BUF);
    let mut actions = Vec::new();
    let negotiation_deadline = Instant::now() + sh.connect_timeout;
    let mut idle_at = Instant::now() + sh.idle_timeout;
    let mut grace: Option<Instant> = None;
    while !c.done {
        let deadline = if let Some(g) = grace {
            g
        } else if c.n.pairs().is_empty() {
            negotiation_deadline
        } else {
            idle_at
        };
        tokio::select! {
            r = c.io.read_buf(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    c.n.feed(&buf, &mut actions);
                    buf.clear();
                    idle_at = Instant::now() + sh.idle_timeout;
                    c.perform(&sh, &mut actions).await;
                }
            },
            Some((orig, recv, verdict)) = rx.recv() => {
                c.n.dialback_verified(&orig, &recv, verdict, &mut actions);
                c.perform(&sh, &mut actions).await;
            }
            () = tokio::time::sleep_until(deadline) => {
                if grace.is_some() {
                    break;
                }
                let err = c.n.pairs().is_empty().then(|| StreamError::new(StreamErrorCondition::ConnectionTimeout));
                c.n.close(err, &mut actions);
                c.perform(&sh, &mut actions).await;
            }
            r = shutdown.changed(), if !c.closing => {
                if r.is_err() || *shutdown.borrow() {
                    c.n.close(Some(StreamError::new(StreamErrorCondition::SystemShutdown)), &mut actions);
                    c.perform(&sh, &mut actions).await;
                }
            }
        }
        if c.closing && grace.is_none() {
            grace = Some(Instant::now() + CLOSE_GRACE);
        }
    }
    if let Ok(mut v) = sh.inbound.lock() {
        v.retain(|(id, ..)| *id != c.id);
    }
    let _ = tokio::time::timeout(Duration::from_secs(1), c.io.shutdown()).await;
    tracing::debug!("inbound stream closed");
}

impl<S: Transport> Conn<S> {
    async fn perform(&mut self, sh: &Arc<Shared>, actions: &mut Vec<S2sAction>) {
        let mut queue: std::collections::VecDeque<S2sAction> = actions.drain(..).collect();
        while let Some(a) = queue.pop_front() {
            match a {
                S2sAction::Send(b) => {
                    if self.io.write_all(&b).await.is_err() {
                        self.done = true;
                        return;
                    }
                }
                S2sAction::StartTls => {
                    let _ = self.io.flush().await;
                    let Some(tls) = &sh.tls else {
                        self.done = true;
                        return;
                    };
                    let S2sIo::Plain(s) = std::mem::replace(&mut self.io, S2sIo::Taken) else {
                        self.done = true;
                        return;
                    };
                    let accept =
                        tokio::time::timeout(sh.connect_timeout, tls.starttls_acceptor().accept(s));
                    let Ok(Ok(t)) = accept.await else {
                        tracing::debug!("TLS handshake failed");
                        self.done = true;
                        return;
                    };
                    self.io = S2sIo::Tls(Box::new(tokio_rustls::TlsStream::Server(t)));
                    let cert = peer_cert(sh, self.io.peer_chain());
                    let mut more = Vec::new();
                    self.n.tls_established(cert, &mut more);
                    queue.extend(more);
                }
                S2sAction::VerifyDialback {
                    originating,
                    receiving,
                    stream_id,
                    key,
                } => {
                    let sh2 = Arc::clone(sh);
                    let tx = self.verdicts.clone();
                    tokio::spawn(
                        async move {
                            let v = super::outbound::verify(
                                &sh2,
                                &receiving,
                                &originating,
                                &stream_id,
                                &key,
                            )
                            .await;
                            let _ = tx.send((originating, receiving, v)).await;
                        }
                        .in_current_span(),
                    );
                }
                S2sAction::Authenticated { peer, local, via } => {
                    tracing::info!(%peer, %local, ?via, "inbound domain pair authenticated");
                    if let Ok(mut v) = sh.inbound.lock() {
                        v.push((self.id, peer, local, via));
                    }
                }
                S2sAction::Stanza(el) => {
                    let Some(server) = sh.server() else { continue };
                    match Stanza::from_element_with(el, sh.cfg.profile) {
                        Ok(s) => server.route(s).await,
                        Err(e) => {
                            // RFC 6120 §8.3: a malformed stanza gets an error, not the stream.
                            if let Some(reply) = e.error_reply()
                                && let Ok(r) = Stanza::from_element(reply)
                            {
                                server.route(r).await;
                            }
                        }
                    }
                }
                S2sAction::Close { error } => {
                    if let Some(e) = error {
                        tracing::info!(condition = e.condition.as_str(), "closing inbound stream");
                    }
                    self.closing = true;
                }
                S2sAction::PeerClosed => self.done = true,
                S2sAction::Ready { .. }
                | S2sAction::Verified { .. }
                | S2sAction::Piggybacked { .. } => {}
            }
        }
        if self.io.flush().await.is_err() {
            self.done = true;
        }
    }
}
