//! End-to-end c2s tests through the real transport over in-memory pipes (no ports).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod errors;
mod negotiation;
mod routing;
mod s2s;
mod s2s_cert;
mod s2s_dns;
mod s2s_faults;
mod s2s_mux;
mod s2s_spoof;
mod tls;
