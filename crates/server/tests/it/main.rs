//! Tests of the `waxwing` binary itself: configuration errors, `check`, `user`, `serve`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod cli;
