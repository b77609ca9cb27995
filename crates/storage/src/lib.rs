//! Waxwing's storage layer: every byte the server keeps between connections.
//!
//! Three store shapes cover nearly all module data (Prosody's lesson), behind
//! object-safe async traits so the backend is picked at runtime:
//! - [`KeyValueStore`]: one opaque value per (owner, store name), for vCards
//!   (XEP-0054), private XML (XEP-0049), roster versions (RFC 6121 §2.6).
//! - [`MapStore`]: keyed values per (owner, store name), for roster items (RFC 6121 §2)
//!   and blocklists (XEP-0191).
//! - [`ArchiveStore`]: append-only, time-ordered items with RSM paging (XEP-0059), for
//!   message archives (XEP-0313), MUC history (XEP-0045) and offline messages
//!   (XEP-0160).
//!
//! plus [`AccountStore`]: the accounts SASL authenticates (RFC 6120 §6), holding only
//! SCRAM StoredKey/ServerKey per hash (RFC 5802 §3, RFC 7677) and an enabled flag
//! (`account-disabled`, RFC 6120 §6.5.1).
//!
//! The [`Storage`] facade bundles one backend's stores. The embedded default backend is
//! SQLite (one file, WAL mode, versioned migrations, usable by the CLI and the server at
//! once); the traits name no engine type so a PostgreSQL backend can follow. Writes and scans
//! run on tokio's blocking pool; point lookups of one owner's entries run on the caller's
//! thread when a reader connection is free (cheaper than the hand-off; see `read_point`).
//!
//! ```
//! use waxwing_jid::BareJid;
//! use waxwing_sasl::{PasswordPrep, ScramHash};
//! use waxwing_storage::{ArchiveQuery, NewArchiveItem, Storage};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let storage = Storage::memory().await?; // or Storage::open(&config.storage)
//! let juliet = BareJid::parse("juliet@example.com")?;
//! storage.accounts().create_with_password(&juliet, "pencil").await?;
//! let creds = storage.accounts().credentials(&juliet, ScramHash::Sha256).await?;
//! assert!(creds.is_some_and(|c| c.verify_password(PasswordPrep::OpaqueString, "pencil")));
//!
//! storage.kv().set(&juliet, "vcard", b"<vCard xmlns='vcard-temp'/>").await?;
//! let romeo = BareJid::parse("romeo@example.net")?;
//! let id = storage.archive().append(&juliet, "mam", NewArchiveItem::now(romeo, "<message/>")).await?;
//! let last = ArchiveQuery { limit: Some(10), reverse: true, ..ArchiveQuery::default() };
//! let page = storage.archive().query(&juliet, "mam", &last).await?;
//! assert_eq!(page.items[0].id, id);
//! assert!(page.complete);
//! # Ok(()) }
//! ```
//!
//! Durability: with the default `synchronous = "full"`, a write has reached the disk
//! when its future resolves, so callers may acknowledge it (DESIGN.md §Storage); see
//! [`Synchronous`].

mod blocking;
mod config;
mod error;
mod sqlite;
mod traits;
mod types;

use std::fmt;
use std::path::Path;
use std::sync::Arc;

pub use crate::config::{Backend, MAX_READERS, SqliteConfig, StorageConfig, Synchronous};
pub use crate::error::{BoxError, Entity, StorageError};
pub use crate::traits::{AccountStore, ArchiveStore, KeyValueStore, MapStore};
pub use crate::types::{
    Account, AccountStatus, ArchiveItem, ArchivePage, ArchiveQuery, CredentialSet,
    MAX_STORE_NAME_LEN, NewArchiveItem, Timestamp,
};

/// The SQLite schema version this build creates and understands.
pub const SQLITE_SCHEMA_VERSION: u32 = sqlite::SCHEMA_VERSION;

/// Every store of one backend. Cloning is one reference-count increment.
#[derive(Clone)]
pub struct Storage {
    inner: Arc<Stores>,
}

struct Stores {
    kv: Arc<dyn KeyValueStore>,
    map: Arc<dyn MapStore>,
    archive: Arc<dyn ArchiveStore>,
    accounts: Arc<dyn AccountStore>,
}

impl fmt::Debug for Storage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Storage").finish_non_exhaustive()
    }
}

impl Storage {
    /// Wraps a backend implementing every store (how other backends plug in).
    pub fn new<B>(backend: B) -> Self
    where
        B: KeyValueStore + MapStore + ArchiveStore + AccountStore + 'static,
    {
        let backend = Arc::new(backend);
        Self {
            inner: Arc::new(Stores {
                kv: backend.clone(),
                map: backend.clone(),
                archive: backend.clone(),
                accounts: backend,
            }),
        }
    }

    /// Opens the configured backend, creating and migrating its schema as needed.
    pub async fn open(config: &StorageConfig) -> Result<Self, StorageError> {
        match &config.backend {
            Backend::Sqlite(sqlite) => Ok(Self::new(sqlite::Sqlite::open(sqlite).await?)),
        }
    }

    /// Opens the SQLite file at `path` with default settings.
    pub async fn open_sqlite(path: impl AsRef<Path>) -> Result<Self, StorageError> {
        Self::open(&StorageConfig::sqlite(path.as_ref())).await
    }

    /// A private, empty in-memory SQLite database (for tests; gone when dropped).
    pub async fn memory() -> Result<Self, StorageError> {
        Ok(Self::new(sqlite::Sqlite::memory().await?))
    }

    /// The key-value store.
    pub fn kv(&self) -> &dyn KeyValueStore {
        &*self.inner.kv
    }

    /// The map store.
    pub fn map(&self) -> &dyn MapStore {
        &*self.inner.map
    }

    /// The archive store.
    pub fn archive(&self) -> &dyn ArchiveStore {
        &*self.inner.archive
    }

    /// The account store.
    pub fn accounts(&self) -> &dyn AccountStore {
        &*self.inner.accounts
    }
}
