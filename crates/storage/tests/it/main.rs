//! Integration tests of waxwing-storage: the backend-independent conformance suite and
//! the SQLite-specific behaviour (shared files, migrations, corrupt rows, config).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod conformance;
mod sqlite;
