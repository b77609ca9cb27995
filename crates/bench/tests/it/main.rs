#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]
//! waxwing-bench against an in-process Waxwing on a loopback port.

mod workloads;
