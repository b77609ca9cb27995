//! The `[storage]` section of the server configuration.
//!
//! ```toml
//! [storage]
//! backend = "sqlite"
//! path = "/var/lib/waxwing/waxwing.sqlite"
//! synchronous = "full"      # or "normal"; default "full"
//! busy_timeout_ms = 5000
//! readers = 2
//! ```

use std::path::PathBuf;

use serde::Deserialize;

/// Storage configuration: which backend, and its settings.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct StorageConfig {
    /// The backend, selected by the `backend` key.
    #[serde(flatten)]
    pub backend: Backend,
}

impl StorageConfig {
    /// SQLite at `path`, with default settings.
    pub fn sqlite(path: impl Into<PathBuf>) -> Self {
        Self {
            backend: Backend::Sqlite(SqliteConfig::new(path)),
        }
    }
}

/// The storage engines.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "backend", rename_all = "lowercase")]
#[non_exhaustive]
pub enum Backend {
    /// One SQLite file (the embedded default).
    Sqlite(SqliteConfig),
}

/// Settings of the SQLite backend.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub struct SqliteConfig {
    /// The database file, normally in the data directory; its directory must exist. A
    /// relative path is taken from the working directory, so the server's config loader
    /// should resolve it against the data directory first.
    pub path: PathBuf,
    /// When a commit reaches the disk.
    #[serde(default)]
    pub synchronous: Synchronous,
    /// How long a write waits for another connection or process (e.g. the CLI while the
    /// server runs) to release the database before failing, in milliseconds.
    #[serde(default = "default_busy_timeout_ms")]
    pub busy_timeout_ms: u32,
    /// Read-only connections kept open beside the single writer (0 to read through the
    /// writer), at most [`MAX_READERS`].
    #[serde(default = "default_readers")]
    pub readers: usize,
}

/// Most reader connections accepted.
pub const MAX_READERS: usize = 64;

const fn default_busy_timeout_ms() -> u32 {
    5000
}

const fn default_readers() -> usize {
    2
}

impl SqliteConfig {
    /// Default settings for the file at `path`.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self {
            path: path.into(),
            synchronous: Synchronous::default(),
            busy_timeout_ms: default_busy_timeout_ms(),
            readers: default_readers(),
        }
    }

    /// With another durability setting.
    #[must_use]
    pub fn with_synchronous(mut self, synchronous: Synchronous) -> Self {
        self.synchronous = synchronous;
        self
    }

    /// With another busy timeout.
    #[must_use]
    pub fn with_busy_timeout_ms(mut self, millis: u32) -> Self {
        self.busy_timeout_ms = millis;
        self
    }

    /// With another number of reader connections.
    #[must_use]
    pub fn with_readers(mut self, readers: usize) -> Self {
        self.readers = readers;
        self
    }
}

/// SQLite's `synchronous` setting, in WAL mode.
///
/// The default is [`Synchronous::Full`]: Waxwing acknowledges data to clients (an IQ
/// result, an XEP-0198 `<a/>`) only after it is durable (DESIGN.md §Storage), and with
/// `NORMAL` a commit is not yet fsynced, so a power loss or OS crash can silently drop the
/// last acknowledged transactions (a process crash cannot: the WAL is already written).
/// `FULL` costs one fsync of the WAL per write transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Synchronous {
    /// fsync the WAL at every commit: durable before acknowledged.
    #[default]
    Full,
    /// fsync only at checkpoints: faster; survives process crashes, not power loss.
    Normal,
}
