//! Integration tests for waxwing-xml.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod corpus;
mod differential;
mod fastpath;

mod limits;
mod oracle;
mod roundtrip;
mod split;
