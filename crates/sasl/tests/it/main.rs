//! Integration tests of waxwing-sasl: RFC test vectors, client/server interop, negative cases.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod common;
mod interop;
mod negative;
mod props;
mod registry;
mod vectors;
