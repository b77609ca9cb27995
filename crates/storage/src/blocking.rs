//! Running blocking work (engine calls, PBKDF2) off the async worker threads.

use crate::error::StorageError;

/// Runs `f` on tokio's blocking pool and waits for it. If the caller's future is dropped,
/// `f` still runs to completion, so a write is never half-applied by cancellation.
pub(crate) async fn run_blocking<T, F>(f: F) -> Result<T, StorageError>
where
    F: FnOnce() -> Result<T, StorageError> + Send + 'static,
    T: Send + 'static,
{
    let handle = tokio::runtime::Handle::try_current().map_err(|_| StorageError::Task {
        reason: "no tokio runtime",
    })?;
    handle
        .spawn_blocking(f)
        .await
        .map_err(|_| StorageError::Task {
            reason: "blocking task panicked or was cancelled",
        })?
}
