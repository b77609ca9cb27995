//! An account's roster in memory, its storage (Map store `roster`, key = contact's bare JID;
//! key-value store `roster` for the version counter), and roster versioning (RFC 6121 §2.6).
//!
//! Versions are a per-account counter. Every visible change (an item added, changed or removed)
//! takes the next number and stamps it on the record; removed items stay as tombstones carrying
//! the version of their removal, so "the changes since version N" are the records with a
//! version above N. Tombstones beyond a bound are dropped oldest first, and `floor` remembers the
//! newest dropped one: a client version below it gets the whole roster.

use std::collections::HashMap;

use waxwing_jid::BareJid;
use waxwing_storage::{Storage, StorageError};

use super::item::Item;

/// Store names (Map for records, key-value for the counter).
pub(crate) const STORE: &str = "roster";

/// One account's roster records.
#[derive(Debug, Default)]
pub struct RosterData {
    /// Every record, by contact.
    pub items: HashMap<BareJid, Item>,
    /// The current roster version.
    pub ver: u64,
    /// Versions below this cannot be answered with pushes (tombstones dropped).
    pub floor: u64,
}

impl RosterData {
    /// Loads an account's records: one Map `list` and one key-value `get`.
    pub async fn load(storage: Option<&Storage>, owner: &BareJid) -> Result<Self, StorageError> {
        let mut data = Self::default();
        let Some(storage) = storage else {
            return Ok(data);
        };
        for (key, value) in storage.map().list(owner, STORE).await? {
            if let Some(item) = Item::from_stored(&value) {
                data.ver = data.ver.max(item.ver);
                data.items.insert(item.jid.clone(), item);
            } else {
                tracing::warn!(%owner, key, "damaged roster record ignored");
            }
        }
        if let Some(meta) = storage.kv().get(owner, STORE).await? {
            let text = String::from_utf8_lossy(&meta);
            let mut parts = text.split_whitespace().map(str::parse::<u64>);
            if let Some(Ok(v)) = parts.next() {
                data.ver = data.ver.max(v);
            }
            if let Some(Ok(f)) = parts.next() {
                data.floor = f;
            }
        }
        Ok(data)
    }

    /// Number of items in the roster proper.
    pub fn roster_len(&self) -> usize {
        self.items.values().filter(|i| i.in_roster).count()
    }

    /// Number of subscription requests kept for contacts outside the roster.
    pub fn bare_requests(&self) -> usize {
        self.items
            .values()
            .filter(|i| !i.in_roster && i.pending_in.is_some())
            .count()
    }

    /// Takes the next version for a visible change.
    pub fn bump(&mut self) -> u64 {
        self.ver += 1;
        self.ver
    }

    /// The records changed since version `since`, oldest change first; `None` if `since` cannot
    /// be answered with pushes (RFC 6121 §2.6.3: the whole roster is sent instead).
    pub fn changes_since(&self, since: u64) -> Option<Vec<&Item>> {
        if since < self.floor || since > self.ver {
            return None;
        }
        let mut changed: Vec<&Item> = self.items.values().filter(|i| i.ver > since).collect();
        changed.sort_by_key(|i| i.ver);
        Some(changed)
    }

    /// Drops the oldest tombstones beyond `max`; returns the contacts whose records must be
    /// deleted from storage.
    pub fn prune_tombstones(&mut self, max: usize) -> Vec<BareJid> {
        let mut tombs: Vec<(u64, BareJid)> = self
            .items
            .values()
            .filter(|i| i.is_tombstone())
            .map(|i| (i.ver, i.jid.clone()))
            .collect();
        if tombs.len() <= max {
            return Vec::new();
        }
        tombs.sort_unstable_by_key(|(v, _)| *v);
        let excess = tombs.len() - max;
        let mut dropped = Vec::with_capacity(excess);
        for (v, jid) in tombs.into_iter().take(excess) {
            self.floor = self.floor.max(v);
            self.items.remove(&jid);
            dropped.push(jid);
        }
        dropped
    }

    /// Writes the records of `changed` (deleting those no longer present or worth keeping) and
    /// the version counter.
    pub async fn persist(
        &mut self,
        storage: Option<&Storage>,
        owner: &BareJid,
        changed: &[BareJid],
    ) -> Result<(), StorageError> {
        for jid in changed {
            // A record never visible and with nothing pending carries no information.
            if self
                .items
                .get(jid)
                .is_some_and(|i| i.is_tombstone() && i.ver == 0)
            {
                self.items.remove(jid);
            }
        }
        let Some(storage) = storage else {
            return Ok(());
        };
        for jid in changed {
            match self.items.get(jid) {
                Some(item) => {
                    storage
                        .map()
                        .set(owner, STORE, jid.as_str(), &item.to_stored())
                        .await?;
                }
                None => {
                    storage.map().delete(owner, STORE, jid.as_str()).await?;
                }
            }
        }
        let meta = format!("{} {}", self.ver, self.floor);
        storage.kv().set(owner, STORE, meta.as_bytes()).await
    }
}
