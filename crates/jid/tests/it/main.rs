//! Integration tests for `waxwing-jid`: RFC test vectors, API behaviour, property tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod api;
mod disagree;
mod domain;
mod props;
mod rfc7622;
mod stringprep;
