//! Account existence from the storage crate (RFC 6121 §8.5.1 needs it).

use std::sync::Arc;

use waxwing_core::hooks::PresenceToAccount;
use waxwing_core::{
    AccountDirectory, BuildContext, BuildError, Flow, Module, ModuleFactory, NoConfig, Registrar,
    Server, StorageAccounts,
};
use waxwing_storage::Storage;

use crate::{bare, connect};

static SEEN: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

struct NeedsStorage;
impl Module for NeedsStorage {
    const NAME: &'static str = "needs_storage";
    type Config = NoConfig;
    fn build(cx: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        cx.storage()
            .map(|_| Self)
            .ok_or_else(|| BuildError::module(Self::NAME, "storage required"))
    }
    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.async_hook::<PresenceToAccount, _, _>(0, |_, p| async move {
            SEEN.lock().unwrap().push(p.to().unwrap().to_string());
            Flow::Break(())
        });
    }
}

#[tokio::test]
async fn storage_accounts_decide_existence() {
    let storage = Storage::memory().await.unwrap();
    storage
        .accounts()
        .create_with_password(&bare("romeo@example.com"), "pencil")
        .await
        .unwrap();
    let dir = StorageAccounts(storage.clone());
    assert!(dir.exists(&bare("romeo@example.com")).await.unwrap());
    assert!(!dir.exists(&bare("tybalt@example.com")).await.unwrap());

    let s = Server::builder()
        .domain("example.com")
        .storage(storage)
        .module(ModuleFactory::of::<NeedsStorage>())
        .build()
        .unwrap();
    assert!(s.storage().is_some());
    let juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    for to in ["romeo@example.com", "tybalt@example.com"] {
        juliet
            .send(
                &s,
                &format!("<presence xmlns='jabber:client' to='{to}' type='subscribe'/>"),
            )
            .await;
    }
    // Only the existing account's presence reaches the hook (RFC 6121 §8.5.1: drop).
    assert_eq!(*SEEN.lock().unwrap(), ["romeo@example.com"]);
}

#[test]
fn module_refusing_to_build_without_storage() {
    let err = Server::builder()
        .domain("example.com")
        .module(ModuleFactory::of::<NeedsStorage>())
        .build()
        .unwrap_err();
    assert_eq!(err.to_string(), "module needs_storage: storage required");
}
