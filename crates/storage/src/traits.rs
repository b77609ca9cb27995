//! The store traits every backend implements. They are object-safe (`dyn` through
//! `async-trait`) so the backend is chosen at runtime from the configuration, and they
//! mention no engine type, SQL or row id.
//!
//! An *owner* is a bare JID: a user (`juliet@example.com`), a room
//! (`room@conference.example.com`), or a domain alone (`example.com`) for data that
//! belongs to the host. JIDs arrive prepared (`waxwing_jid`), and stores compare their
//! prepared strings exactly. Ownership is exact: a domain JID does not cover its users.

use async_trait::async_trait;
use waxwing_jid::BareJid;
use waxwing_sasl::{ScramCredentials, ScramHash};

use crate::blocking::run_blocking;
use crate::error::{Entity, StorageError};
use crate::types::{
    Account, AccountStatus, ArchiveItem, ArchivePage, ArchiveQuery, CredentialSet, NewArchiveItem,
};

/// One opaque value per (owner, store name): vCards (XEP-0054), private XML (XEP-0049),
/// roster version counters.
#[async_trait]
pub trait KeyValueStore: Send + Sync {
    /// The value, if one is set.
    async fn get(&self, owner: &BareJid, store: &str) -> Result<Option<Vec<u8>>, StorageError>;

    /// Sets (creates or replaces) the value.
    async fn set(&self, owner: &BareJid, store: &str, value: &[u8]) -> Result<(), StorageError>;

    /// Removes the value; `true` if there was one.
    async fn delete(&self, owner: &BareJid, store: &str) -> Result<bool, StorageError>;

    /// Sets several values of store `store`, in one transaction where the backend has them
    /// (all or none written); this default sets them one by one. For writers that batch
    /// (one commit, one sync, for many owners).
    async fn set_many(
        &self,
        store: &str,
        values: &[(BareJid, Vec<u8>)],
    ) -> Result<(), StorageError> {
        for (owner, value) in values {
            self.set(owner, store, value).await?;
        }
        Ok(())
    }
}

/// Keyed values per (owner, store name): roster items (RFC 6121 §2), blocklists
/// (XEP-0191).
#[async_trait]
pub trait MapStore: Send + Sync {
    /// The value under `key`, if any.
    async fn get(
        &self,
        owner: &BareJid,
        store: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StorageError>;

    /// Sets (creates or replaces) the value under `key`.
    async fn set(
        &self,
        owner: &BareJid,
        store: &str,
        key: &str,
        value: &[u8],
    ) -> Result<(), StorageError>;

    /// Removes `key`; `true` if it was there.
    async fn delete(&self, owner: &BareJid, store: &str, key: &str) -> Result<bool, StorageError>;

    /// Every entry, ordered by key (bytewise).
    async fn list(
        &self,
        owner: &BareJid,
        store: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StorageError>;

    /// Removes every entry of this (owner, store); returns how many there were.
    async fn delete_all(&self, owner: &BareJid, store: &str) -> Result<u64, StorageError>;
}

/// Append-only, time-ordered items per (owner, store name): message archives
/// (XEP-0313), MUC history (XEP-0045 §7.2.15), offline messages (XEP-0160).
///
/// Items are ordered by timestamp, then id (bytewise). See [`ArchiveQuery`] for how
/// filters and XEP-0059 paging combine.
#[async_trait]
pub trait ArchiveStore: Send + Sync {
    /// Appends an item and returns its id (the caller's, or a fresh UUID v7).
    /// An id already used in this (owner, store) is a [`StorageError::Conflict`].
    async fn append(
        &self,
        owner: &BareJid,
        store: &str,
        item: NewArchiveItem,
    ) -> Result<String, StorageError>;

    /// One item by id.
    async fn get(
        &self,
        owner: &BareJid,
        store: &str,
        id: &str,
    ) -> Result<Option<ArchiveItem>, StorageError>;

    /// A page of items. An `after_id` or `before_id` that names no item of this
    /// (owner, store) is [`StorageError::NotFound`] (XEP-0313 §4.3.1 `item-not-found`).
    async fn query(
        &self,
        owner: &BareJid,
        store: &str,
        query: &ArchiveQuery,
    ) -> Result<ArchivePage, StorageError>;

    /// How many items match the query's filters, ignoring `limit` and `reverse`
    /// (XEP-0059 §2.6 `<count/>`, offline-message quotas).
    async fn count(
        &self,
        owner: &BareJid,
        store: &str,
        query: &ArchiveQuery,
    ) -> Result<u64, StorageError>;

    /// Deletes exactly the items [`ArchiveStore::query`] would return for `query` (so
    /// `limit` without `reverse` trims the oldest); returns how many were deleted.
    async fn delete(
        &self,
        owner: &BareJid,
        store: &str,
        query: &ArchiveQuery,
    ) -> Result<u64, StorageError>;

    /// Deletes every item of every archive store of `owner`; returns how many.
    async fn delete_owner(&self, owner: &BareJid) -> Result<u64, StorageError>;
}

/// User accounts (RFC 6120 §6: what SASL authenticates against) with their SCRAM
/// credentials. The password itself is never stored.
///
/// Every `user` must have a localpart ([`StorageError::InvalidInput`] otherwise).
#[async_trait]
pub trait AccountStore: Send + Sync {
    /// Creates an enabled account; [`StorageError::Conflict`] if it exists.
    async fn create(&self, user: &BareJid, credentials: &CredentialSet)
    -> Result<(), StorageError>;

    /// The stored credentials for one hash; `None` if the account does not exist (or,
    /// for imported accounts, has no credentials for that hash). Does not look at the
    /// account's status: check [`AccountStore::account`] too.
    async fn credentials(
        &self,
        user: &BareJid,
        hash: ScramHash,
    ) -> Result<Option<ScramCredentials>, StorageError>;

    /// Replaces all the credentials of an account; [`StorageError::NotFound`] if absent.
    async fn set_credentials(
        &self,
        user: &BareJid,
        credentials: &CredentialSet,
    ) -> Result<(), StorageError>;

    /// Deletes the account and everything the user owns in the key-value, map and
    /// archive stores, atomically; [`StorageError::NotFound`] if absent.
    async fn delete(&self, user: &BareJid) -> Result<(), StorageError>;

    /// Whether the account exists (enabled or not).
    async fn exists(&self, user: &BareJid) -> Result<bool, StorageError>;

    /// The account record, if it exists.
    async fn account(&self, user: &BareJid) -> Result<Option<Account>, StorageError>;

    /// Every account of a domain, ordered by localpart. `domain` is prepared here
    /// (RFC 7622 §3.2); [`StorageError::InvalidInput`] if it is not a valid domainpart.
    async fn list(&self, domain: &str) -> Result<Vec<BareJid>, StorageError>;

    /// Enables or disables the account; [`StorageError::NotFound`] if absent.
    async fn set_status(&self, user: &BareJid, status: AccountStatus) -> Result<(), StorageError>;

    /// Derives credentials from `password` off the async threads, then
    /// [`AccountStore::create`]s the account.
    async fn create_with_password(
        &self,
        user: &BareJid,
        password: &str,
    ) -> Result<(), StorageError> {
        // Cheap early answer before three PBKDF2 runs; `create` still decides races.
        if self.exists(user).await? {
            return Err(StorageError::Conflict {
                entity: Entity::Account,
            });
        }
        let credentials = derive_off_thread(password).await?;
        self.create(user, &credentials).await
    }

    /// Derives credentials from `password` off the async threads, then replaces the
    /// account's credentials with them (all three hashes).
    async fn set_password(&self, user: &BareJid, password: &str) -> Result<(), StorageError> {
        if !self.exists(user).await? {
            return Err(StorageError::NotFound {
                entity: Entity::Account,
            });
        }
        let credentials = derive_off_thread(password).await?;
        self.set_credentials(user, &credentials).await
    }
}

async fn derive_off_thread(password: &str) -> Result<CredentialSet, StorageError> {
    let password = password.to_owned();
    run_blocking(move || CredentialSet::derive(&password)).await
}
