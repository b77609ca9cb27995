//! Adapters from the storage crate's account store to what the transport and the core need.

use waxwing_core::AccountDirectory;
use waxwing_jid::BareJid;
use waxwing_sasl::ScramHash;
use waxwing_stanza::{StanzaError, StanzaErrorCondition};
use waxwing_storage::{AccountStatus, Storage};
use waxwing_stream::CredentialsLookup;

use crate::c2s::{BoxFuture, CredentialSource};

/// SASL credentials and account existence from [`Storage`].
#[derive(Clone, Debug)]
pub struct StorageAccounts(pub Storage);

impl CredentialSource for StorageAccounts {
    fn lookup<'a>(
        &'a self,
        user: &'a BareJid,
        hash: Option<ScramHash>,
    ) -> BoxFuture<'a, CredentialsLookup> {
        Box::pin(async move {
            let accounts = self.0.accounts();
            let account = match accounts.account(user).await {
                Ok(Some(a)) => a,
                Ok(None) => return CredentialsLookup::NotFound,
                Err(e) => {
                    tracing::warn!(%user, error = %e, "account look-up failed");
                    return CredentialsLookup::Unavailable;
                }
            };
            // PLAIN accepts any stored set: try the strongest first.
            let order: &[ScramHash] = match &hash {
                Some(h) => std::slice::from_ref(h),
                None => &[ScramHash::Sha512, ScramHash::Sha256, ScramHash::Sha1],
            };
            for h in order {
                match accounts.credentials(user, *h).await {
                    Ok(Some(c)) => {
                        return match account.status {
                            AccountStatus::Enabled => CredentialsLookup::Found(c),
                            AccountStatus::Disabled => CredentialsLookup::Disabled(c),
                        };
                    }
                    Ok(None) => {}
                    Err(e) => {
                        tracing::warn!(%user, error = %e, "credentials look-up failed");
                        return CredentialsLookup::Unavailable;
                    }
                }
            }
            // An imported account without keys for this hash cannot use this mechanism.
            CredentialsLookup::NotFound
        })
    }
}

impl AccountDirectory for StorageAccounts {
    fn exists<'a>(
        &'a self,
        user: &'a BareJid,
    ) -> waxwing_core::BoxFuture<'a, Result<bool, StanzaError>> {
        Box::pin(async move {
            self.0.accounts().exists(user).await.map_err(|e| {
                tracing::warn!(%user, error = %e, "account look-up failed");
                StanzaError::new(StanzaErrorCondition::InternalServerError)
            })
        })
    }
}
