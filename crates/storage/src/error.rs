//! The one error type of the storage layer.

use std::fmt;

use waxwing_sasl::CredentialsError;

/// A boxed error from a backend library, kept opaque so no engine's types leak.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a [`StorageError::NotFound`] or [`StorageError::Conflict`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Entity {
    /// A user account.
    Account,
    /// An archive item, looked up by its id (an RSM anchor, or a duplicate id on append).
    ArchiveItem,
}

impl fmt::Display for Entity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Account => "account",
            Self::ArchiveItem => "archive item",
        })
    }
}

/// Errors of every store and backend.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StorageError {
    /// The account or archive item does not exist.
    #[error("{entity} not found")]
    NotFound {
        /// What was looked for.
        entity: Entity,
    },
    /// The account or archive item already exists.
    #[error("{entity} already exists")]
    Conflict {
        /// What already exists.
        entity: Entity,
    },
    /// The caller passed something the store cannot hold (e.g. an empty store name or a
    /// user JID without a localpart).
    #[error("invalid input: {reason}")]
    InvalidInput {
        /// Why it was refused.
        reason: &'static str,
    },
    /// Credentials could not be derived (e.g. the password fails OpaqueString).
    #[error("credentials: {0}")]
    Credentials(#[from] CredentialsError),
    /// Data read back from the database is not what this code writes: a corrupted or
    /// foreign database, or a hand edit.
    #[error("corrupt data in {table}: {detail}")]
    Corrupt {
        /// The table (or logical store) the bad row is in.
        table: &'static str,
        /// What was wrong with it.
        detail: String,
    },
    /// The engine failed (I/O error, busy beyond the timeout, disk full, ...).
    #[error("storage backend error")]
    Backend {
        /// The engine's error.
        #[source]
        source: BoxError,
    },
    /// A schema migration failed; the database is left at the previous version.
    #[error("schema migration to version {version} failed")]
    Migration {
        /// The version that could not be applied.
        version: u32,
        /// Why.
        #[source]
        source: BoxError,
    },
    /// The database was written by a newer Waxwing; refusing to touch it.
    #[error(
        "database schema version {found} is newer than the newest this build knows ({supported})"
    )]
    TooNewSchema {
        /// The version recorded in the database.
        found: u32,
        /// The newest version this build can migrate to.
        supported: u32,
    },
    /// The configuration cannot be used (e.g. SQLite refused WAL mode on this file).
    #[error("storage configuration: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// The blocking work could not run: no tokio runtime, or the worker task died.
    #[error("storage task failed: {reason}")]
    Task {
        /// What happened.
        reason: &'static str,
    },
}

impl StorageError {
    /// Wraps an engine error.
    pub fn backend(source: impl Into<BoxError>) -> Self {
        Self::Backend {
            source: source.into(),
        }
    }

    pub(crate) fn corrupt(table: &'static str, detail: impl fmt::Display) -> Self {
        Self::Corrupt {
            table,
            detail: detail.to_string(),
        }
    }
}
