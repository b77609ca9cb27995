//! Per-account async locks that exist only while someone holds or awaits them, so memory is
//! bounded by the accounts in use rather than by every account ever seen.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
use waxwing_jid::BareJid;

type Slot = Arc<AsyncMutex<()>>;

/// A lock per bare JID.
#[derive(Debug, Default)]
pub(crate) struct KeyedLocks {
    slots: Mutex<HashMap<BareJid, Slot>>,
}

/// Holds one account's lock; dropping it frees the slot if nobody else wants it.
pub(crate) struct KeyedGuard<'a> {
    locks: &'a KeyedLocks,
    key: BareJid,
    slot: Slot,
    guard: Option<OwnedMutexGuard<()>>,
}

impl KeyedLocks {
    /// Waits for `key`'s lock.
    pub(crate) async fn lock(&self, key: &BareJid) -> KeyedGuard<'_> {
        let slot = Arc::clone(
            self.slots
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(key.clone())
                .or_default(),
        );
        let guard = Arc::clone(&slot).lock_owned().await;
        KeyedGuard {
            locks: self,
            key: key.clone(),
            slot,
            guard: Some(guard),
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

impl Drop for KeyedGuard<'_> {
    fn drop(&mut self) {
        drop(self.guard.take());
        let mut slots = self
            .locks
            .slots
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        // Under the map's lock, two references (the map's and ours) mean nobody else holds
        // or waits for this slot, and nobody can take it without that lock.
        if Arc::strong_count(&self.slot) == 2 {
            slots.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn slots_are_freed_and_exclusive() {
        let locks = KeyedLocks::default();
        let a = BareJid::parse("a@example.com").unwrap();
        let b = BareJid::parse("b@example.com").unwrap();
        {
            let _ga = locks.lock(&a).await;
            let _gb = locks.lock(&b).await;
            assert_eq!(locks.len(), 2);
            // The same key is held: a second lock must wait.
            let second = locks.lock(&a);
            tokio::pin!(second);
            assert!(futures_poll_once(second.as_mut()).await.is_none());
        }
        assert_eq!(locks.len(), 0);
    }

    async fn futures_poll_once<F: std::future::Future + Unpin>(f: F) -> Option<F::Output> {
        tokio::select! {
            biased;
            out = f => Some(out),
            () = std::future::ready(()) => None,
        }
    }
}
