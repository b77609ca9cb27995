#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod harness;

mod bind;
mod close;
mod header;
mod s2s;
mod sasl;
mod split;
mod starttls;
