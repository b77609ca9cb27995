//! SASL credentials from the storage crate's account store. (Account existence for routing is
//! the core's own `waxwing_core::StorageAccounts`, used when the server is given the storage.)

use waxwing_jid::BareJid;
use waxwing_sasl::ScramHash;
use waxwing_storage::{AccountStatus, Storage};
use waxwing_stream::CredentialsLookup;

use crate::c2s::{BoxFuture, CredentialSource};

/// SASL credentials from [`Storage`].
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
