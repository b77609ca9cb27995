//! Fuzzes the client-to-server negotiator with arbitrary client bytes.
//!
//! Input: byte 0 picks the set-up (bit 0: direct TLS, else STARTTLS required; bits 1–7: the
//! chunk size the rest is fed in, 1–128), the rest is what the client sends. Every question
//! the negotiator asks is answered at once: the TLS handshake succeeds, the account exists,
//! the requested resource is granted.
//! Invariants: no panic; nothing is sent after `Close`/`PeerClosed`; every stream we write
//! (split at each XML declaration, i.e. at each restart) parses without error.
#![no_main]

mod common;

use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use waxwing_sasl::{
    ChannelBindingType, ChannelBindings, ScramCredentials, ScramHash, ServerConfig,
};
use waxwing_stream::{Action, C2sConfig, C2sNegotiator, ConnInfo, CredentialsLookup, TlsMode};

fn config() -> Arc<C2sConfig> {
    static CFG: OnceLock<Arc<C2sConfig>> = OnceLock::new();
    CFG.get_or_init(|| {
        let mut cfg = C2sConfig::new(["example.com"], ServerConfig::new([1; 32]));
        cfg.tls = TlsMode::StartTls { required: true };
        cfg.limits.max_stanza_bytes = 4096;
        Arc::new(cfg)
    })
    .clone()
}

fn credentials() -> ScramCredentials {
    static CREDS: OnceLock<Option<ScramCredentials>> = OnceLock::new();
    CREDS
        .get_or_init(|| {
            ScramCredentials::derive(ScramHash::Sha256, "pencil", b"QSXCR+Q6sek8bf92", 4096).ok()
        })
        .clone()
        .unwrap_or_else(|| std::process::abort())
}

fn bindings() -> ChannelBindings {
    ChannelBindings::none().with(ChannelBindingType::TlsExporter, b"cb".to_vec())
}

fuzz_target!(|data: &[u8]| {
    let Some((&setup, rest)) = data.split_first() else {
        return;
    };
    let conn = if setup & 1 == 1 {
        ConnInfo::direct_tls(bindings())
    } else {
        ConnInfo::plain()
    };
    let chunk = usize::from(setup >> 1).max(1);
    let mut n = C2sNegotiator::new(config(), conn);
    let mut written: Vec<u8> = Vec::new();
    let mut closed = false;
    let mut queue = Vec::new();
    for piece in rest.chunks(chunk) {
        n.feed(piece, &mut queue);
        // Answer questions until none is left; answers may produce more actions.
        while !queue.is_empty() {
            let mut next = Vec::new();
            for action in queue.drain(..) {
                match action {
                    Action::Send(bytes) => {
                        assert!(!closed, "bytes sent after the stream was closed");
                        written.extend_from_slice(&bytes);
                    }
                    Action::StartTls => n.tls_established(bindings(), &mut next),
                    Action::FetchCredentials { .. } => {
                        n.credentials(CredentialsLookup::Found(credentials()), &mut next);
                    }
                    Action::Bind { jid, .. } => n.bind_result(Ok(jid), &mut next),
                    Action::Close { .. } | Action::PeerClosed => closed = true,
                    Action::Authenticated { .. }
                    | Action::Bound { .. }
                    | Action::Stanza(_)
                    | Action::Nonza(_) => {}
                }
            }
            queue = next;
        }
    }
    common::assert_streams_parse(written);
});
