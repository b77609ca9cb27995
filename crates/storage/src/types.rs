//! Values passed through the store traits: timestamps, archive items and queries, accounts.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use waxwing_jid::BareJid;
use waxwing_sasl::{DEFAULT_ITERATIONS, PasswordPrep, ScramCredentials, ScramHash};

use crate::error::StorageError;

/// Longest store name accepted, in octets. Store names are chosen by modules
/// (`"roster"`, `"vcard"`, `"mam"`), never by peers.
pub const MAX_STORE_NAME_LEN: usize = 255;

/// A point in time: microseconds since the Unix epoch, UTC.
///
/// Microseconds because XEP-0082 timestamps may carry fractional seconds and archive
/// order (XEP-0313 §4) should follow arrival order closely; an `i64` of them spans
/// ±292,000 years, so conversions saturate rather than fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(i64);

impl Timestamp {
    /// From microseconds since the Unix epoch.
    pub const fn from_unix_micros(micros: i64) -> Self {
        Self(micros)
    }

    /// Microseconds since the Unix epoch.
    pub const fn as_unix_micros(self) -> i64 {
        self.0
    }

    /// The current wall-clock time.
    pub fn now() -> Self {
        Self::from_system_time(SystemTime::now())
    }

    /// From a [`SystemTime`], saturating outside the representable range.
    pub fn from_system_time(time: SystemTime) -> Self {
        match time.duration_since(UNIX_EPOCH) {
            Ok(after) => Self(i64::try_from(after.as_micros()).unwrap_or(i64::MAX)),
            Err(before) => Self(
                i64::try_from(before.duration().as_micros()).map_or(i64::MIN, i64::saturating_neg),
            ),
        }
    }

    /// As a [`SystemTime`]; `None` if the platform cannot represent it.
    pub fn to_system_time(self) -> Option<SystemTime> {
        let magnitude = Duration::from_micros(self.0.unsigned_abs());
        if self.0 >= 0 {
            UNIX_EPOCH.checked_add(magnitude)
        } else {
            UNIX_EPOCH.checked_sub(magnitude)
        }
    }
}

/// One archived item as stored and returned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchiveItem {
    /// Unique within its (owner, store): a UUID v7 string unless the caller chose another.
    pub id: String,
    /// When the item was archived (or sent, for imported history).
    pub timestamp: Timestamp,
    /// The other party, bare (XEP-0313 §4.1.1 `with`).
    pub with: BareJid,
    /// The payload, typically the serialized stanza.
    pub payload: String,
}

/// An item to append; see [`crate::ArchiveStore::append`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArchiveItem {
    /// The id to store it under, or `None` to let the store assign a fresh UUID v7.
    pub id: Option<String>,
    /// When the item was archived.
    pub timestamp: Timestamp,
    /// The other party, bare.
    pub with: BareJid,
    /// The payload.
    pub payload: String,
}

impl NewArchiveItem {
    /// An item stamped now, with a store-assigned id.
    pub fn now(with: BareJid, payload: impl Into<String>) -> Self {
        Self {
            id: None,
            timestamp: Timestamp::now(),
            with,
            payload: payload.into(),
        }
    }
}

/// Which archive items a query, count or delete addresses.
///
/// The filters (`start`, `end`, `with`, `after_id`, `before_id`) select a set of items,
/// ordered by timestamp, then id. Without `reverse`, the first `limit` of that sequence
/// are returned, oldest first; with `reverse`, the last `limit`, newest first. XEP-0059
/// paging maps onto this as: `<after>id</after>` → `after_id`; `<before>id</before>` →
/// `before_id` and `reverse`; an empty `<before/>` (the last page) → `reverse` alone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchiveQuery {
    /// Only items at or after this time (XEP-0313 §4.1.2: inclusive).
    pub start: Option<Timestamp>,
    /// Only items at or before this time (inclusive).
    pub end: Option<Timestamp>,
    /// Only items exchanged with this bare JID.
    pub with: Option<BareJid>,
    /// Only items strictly after the item with this id (which must exist).
    pub after_id: Option<String>,
    /// Only items strictly before the item with this id (which must exist).
    pub before_id: Option<String>,
    /// At most this many items. `None` means no limit: callers facing peers must set one.
    pub limit: Option<usize>,
    /// Take items from the newest end, and return them newest first.
    pub reverse: bool,
}

/// One page of query results.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ArchivePage {
    /// The items, oldest first (newest first for a `reverse` query).
    pub items: Vec<ArchiveItem>,
    /// No item matching the filters lies beyond this page in the query's direction
    /// (XEP-0313 §4.3 `complete`).
    pub complete: bool,
}

/// Whether an account may log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum AccountStatus {
    /// The account may authenticate.
    #[default]
    Enabled,
    /// Authentication is refused (SASL `account-disabled`, RFC 6120 §6.5.1).
    Disabled,
}

/// An account's record, without its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    /// The account's bare JID.
    pub jid: BareJid,
    /// Whether it may log in.
    pub status: AccountStatus,
    /// When it was created.
    pub created: Timestamp,
}

/// SCRAM credentials for every hash Waxwing offers (SHA-1, SHA-256, SHA-512), so that an
/// account can log in with whichever SCRAM variant or PLAIN the client picks
/// (RFC 5802, RFC 7677).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSet {
    sha1: ScramCredentials,
    sha256: ScramCredentials,
    sha512: ScramCredentials,
}

impl CredentialSet {
    /// Derives fresh credentials (random salts, default iterations) from a password,
    /// prepared with OpaqueString (RFC 8265 §4.2).
    ///
    /// Runs PBKDF2 three times: CPU-bound, so async callers should go through
    /// [`crate::AccountStore::create_with_password`] or
    /// [`crate::AccountStore::set_password`], which run it off the async threads.
    pub fn derive(password: &str) -> Result<Self, StorageError> {
        Self::derive_with(PasswordPrep::OpaqueString, password, DEFAULT_ITERATIONS)
    }

    /// Like [`CredentialSet::derive`] with an explicit password profile and PBKDF2
    /// iteration count (a deployment setting; RFC 7677 §4 asks for at least 4096).
    pub fn derive_with(
        prep: PasswordPrep,
        password: &str,
        iterations: u32,
    ) -> Result<Self, StorageError> {
        let one = |hash| ScramCredentials::new_random_with(hash, prep, password, iterations);
        Ok(Self {
            sha1: one(ScramHash::Sha1)?,
            sha256: one(ScramHash::Sha256)?,
            sha512: one(ScramHash::Sha512)?,
        })
    }

    /// Assembles a set from existing credentials (e.g. an XEP-0227 import), checking that
    /// each belongs to its hash and is valid.
    pub fn from_parts(
        sha1: ScramCredentials,
        sha256: ScramCredentials,
        sha512: ScramCredentials,
    ) -> Result<Self, StorageError> {
        for (creds, hash) in [
            (&sha1, ScramHash::Sha1),
            (&sha256, ScramHash::Sha256),
            (&sha512, ScramHash::Sha512),
        ] {
            if creds.hash != hash {
                return Err(StorageError::InvalidInput {
                    reason: "credentials given for the wrong hash",
                });
            }
            creds.validate()?;
        }
        Ok(Self {
            sha1,
            sha256,
            sha512,
        })
    }

    /// The credentials for one hash.
    pub fn get(&self, hash: ScramHash) -> &ScramCredentials {
        match hash {
            ScramHash::Sha1 => &self.sha1,
            ScramHash::Sha256 => &self.sha256,
            ScramHash::Sha512 => &self.sha512,
        }
    }

    /// All three, SHA-1 first.
    pub fn iter(&self) -> impl Iterator<Item = &ScramCredentials> {
        [&self.sha1, &self.sha256, &self.sha512].into_iter()
    }
}

/// Checks a store name chosen by a module.
pub(crate) fn check_store_name(store: &str) -> Result<(), StorageError> {
    if store.is_empty() {
        return Err(StorageError::InvalidInput {
            reason: "empty store name",
        });
    }
    if store.len() > MAX_STORE_NAME_LEN {
        return Err(StorageError::InvalidInput {
            reason: "store name too long",
        });
    }
    Ok(())
}

/// The localpart of a JID that must name a user.
pub(crate) fn user_node(user: &BareJid) -> Result<&str, StorageError> {
    user.node().ok_or(StorageError::InvalidInput {
        reason: "an account JID needs a localpart",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamp_round_trips_and_saturates() {
        let t = Timestamp::from_unix_micros(1_700_000_000_123_456);
        let st = t.to_system_time().unwrap();
        assert_eq!(Timestamp::from_system_time(st), t);
        let before = Timestamp::from_unix_micros(-1_500_000);
        assert_eq!(
            Timestamp::from_system_time(before.to_system_time().unwrap()),
            before
        );
        assert_eq!(Timestamp::from_system_time(UNIX_EPOCH).as_unix_micros(), 0);
        assert!(Timestamp::now() > Timestamp::from_unix_micros(1_600_000_000_000_000));
    }

    #[test]
    fn credential_set_checks_hashes() {
        let a = ScramCredentials::new_random(ScramHash::Sha1, "pencil").unwrap();
        let b = ScramCredentials::new_random(ScramHash::Sha256, "pencil").unwrap();
        let c = ScramCredentials::new_random(ScramHash::Sha512, "pencil").unwrap();
        assert!(matches!(
            CredentialSet::from_parts(b.clone(), a.clone(), c.clone()),
            Err(StorageError::InvalidInput { .. })
        ));
        let set = CredentialSet::from_parts(a.clone(), b, c).unwrap();
        let fast = CredentialSet::derive_with(PasswordPrep::OpaqueString, "pencil", 4096).unwrap();
        assert!(fast.iter().all(
            |c| c.iterations == 4096 && c.verify_password(PasswordPrep::OpaqueString, "pencil")
        ));
        assert!(CredentialSet::derive_with(PasswordPrep::OpaqueString, "pencil", 4095).is_err());
        assert_eq!(set.get(ScramHash::Sha1), &a);
        assert_eq!(
            set.iter().map(|c| c.hash).collect::<Vec<_>>(),
            ScramHash::ALL
        );
    }

    #[test]
    fn store_names_are_checked() {
        assert!(check_store_name("roster").is_ok());
        assert!(check_store_name("").is_err());
        assert!(check_store_name(&"x".repeat(MAX_STORE_NAME_LEN)).is_ok());
        assert!(check_store_name(&"x".repeat(MAX_STORE_NAME_LEN + 1)).is_err());
    }
}
