//! Fuzzes both s2s negotiators (RFC 6120 §4–§6 for servers, XEP-0220 dialback, piggybacking)
//! with arbitrary peer bytes.
//!
//! Input: byte 0 picks the set-up — bit 0: inbound (we receive) or outbound (we initiate);
//! bit 1: direct TLS (already encrypted); bit 2: the peer's certificate authenticates it; bit 3:
//! the dialback answers we give are `valid`, else `invalid`; bits 4–7: the chunk size the rest
//! is fed in (8–128). Every question is answered at once (TLS succeeds, dialback verification
//! answers per bit 3); an outbound stream that becomes ready asks to piggyback a second domain.
//! Invariants: no panic; nothing is sent after `Close`/`PeerClosed`; every stream we write
//! (split at each XML declaration, i.e. at each restart) parses without error.
#![no_main]

mod common;

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use waxwing_stream::s2s_dialback::Verdict;
use waxwing_stream::{PeerCert, Purpose, S2sAction, S2sConfig, S2sInbound, S2sOutbound};

fn config() -> Arc<S2sConfig> {
    static CFG: OnceLock<Arc<S2sConfig>> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut cfg = S2sConfig::new(["a.test", "muc.a.test"], b"fuzz secret".to_vec());
        cfg.limits.max_stanza_bytes = 4096;
        Arc::new(cfg)
    })
    .clone()
}

enum Side {
    In(S2sInbound),
    Out(S2sOutbound),
}

fuzz_target!(|data: &[u8]| {
    let Some((&setup, rest)) = data.split_first() else {
        return;
    };
    let encrypted = setup & 2 != 0;
    let cert_ok = setup & 4 != 0;
    let valid = setup & 8 != 0;
    let chunk = usize::from(setup >> 4).max(1) * 8;
    let cert = || {
        if cert_ok {
            PeerCert::new(|d| d == "b.test")
        } else {
            PeerCert::none()
        }
    };
    let mut queue = Vec::new();
    let mut side = if setup & 1 == 1 {
        Side::In(S2sInbound::new(config(), encrypted, cert()))
    } else {
        let mut o = S2sOutbound::new(
            config(),
            "a.test",
            "b.test",
            Purpose::Authenticate,
            encrypted,
            cert_ok,
        );
        o.start(&mut queue);
        Side::Out(o)
    };
    let mut written: Vec<u8> = Vec::new();
    let mut closed = false;
    let mut asked_piggyback = false;
    let mut pieces = rest.chunks(chunk);
    loop {
        // Answer questions until none is left; answers may produce more actions.
        while !queue.is_empty() {
            let mut next = Vec::new();
            for action in queue.drain(..) {
                match action {
                    S2sAction::Send(bytes) => {
                        assert!(!closed, "bytes sent after the stream was closed");
                        written.extend_from_slice(&bytes);
                    }
                    S2sAction::StartTls => match &mut side {
                        Side::In(n) => n.tls_established(cert(), &mut next),
                        Side::Out(n) => n.tls_established(cert_ok, &mut next),
                    },
                    S2sAction::VerifyDialback {
                        originating,
                        receiving,
                        ..
                    } => {
                        if let Side::In(n) = &mut side {
                            let verdict = if valid {
                                Verdict::Valid
                            } else {
                                Verdict::Invalid
                            };
                            n.dialback_verified(&originating, &receiving, verdict, &mut next);
                        }
                    }
                    S2sAction::Ready { .. } => {
                        if let Side::Out(n) = &mut side {
                            if !asked_piggyback && n.can_piggyback() {
                                asked_piggyback = true;
                                n.add_pair("muc.a.test", &mut next);
                            }
                        }
                    }
                    S2sAction::Close { .. } | S2sAction::PeerClosed => closed = true,
                    S2sAction::Authenticated { .. }
                    | S2sAction::Piggybacked { .. }
                    | S2sAction::Verified { .. }
                    | S2sAction::Stanza(_) => {}
                }
            }
            queue = next;
        }
        let Some(piece) = pieces.next() else { break };
        match &mut side {
            Side::In(n) => n.feed(piece, &mut queue),
            Side::Out(n) => n.feed(piece, &mut queue),
        }
    }
    common::assert_streams_parse(written);
});
