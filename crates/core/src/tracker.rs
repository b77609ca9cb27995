//! IQ requests the server itself sends, and their responses (RFC 6120 §8.2.3): a request is
//! answered by exactly one result or error with the same `id`, from the entity it was sent to.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;
use waxwing_jid::Jid;
use waxwing_stanza::{Iq, Stanza, id};

use crate::Server;

/// Why [`Server::send_iq`] got no response.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IqSendError {
    /// No response within the timeout.
    #[error("no response within the timeout")]
    Timeout,
    /// The request has no `to`, or is not a get/set request.
    #[error("not a request with a recipient")]
    NotARequest,
}

#[derive(Default)]
pub(crate) struct IqTracker {
    pending: Mutex<HashMap<String, (Jid, oneshot::Sender<Iq>)>>,
}

impl IqTracker {
    fn insert(&self, id: String, to: Jid) -> oneshot::Receiver<Iq> {
        let (tx, rx) = oneshot::channel();
        self.lock().insert(id, (to, tx));
        rx
    }

    fn remove(&self, id: &str) {
        self.lock().remove(id);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (Jid, oneshot::Sender<Iq>)>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Server {
    /// Sends an IQ request from the server (its `from` should be a served domain) and waits
    /// for the response, which may be of type `error`. The `id` is replaced by a fresh one, so
    /// responses cannot be forged by guessing; a response is only accepted from the JID the
    /// request was sent to.
    pub async fn send_iq(&self, mut iq: Iq, timeout: Duration) -> Result<Iq, IqSendError> {
        let to = match iq.to() {
            Some(to) if iq.type_().is_request() => to.clone(),
            _ => return Err(IqSendError::NotARequest),
        };
        let request_id = id::new_id();
        iq.set_id(Some(&request_id));
        let rx = self.0.tracker.insert(request_id.clone(), to);
        self.route(Stanza::Iq(iq)).await;
        let got = tokio::time::timeout(timeout, rx).await;
        self.0.tracker.remove(&request_id);
        match got {
            Ok(Ok(response)) => Ok(response),
            Ok(Err(_)) | Err(_) => Err(IqSendError::Timeout),
        }
    }

    /// A result or error addressed to the server: the answer to a `send_iq`, or dropped.
    pub(crate) fn iq_response(&self, iq: Iq) {
        let Some(request_id) = iq.id() else { return };
        let mut pending = self.0.tracker.lock();
        let matches = pending
            .get(request_id)
            .is_some_and(|(to, _)| iq.from() == Some(to));
        if !matches {
            return;
        }
        if let Some((_, tx)) = pending.remove(request_id) {
            drop(pending);
            let _ = tx.send(iq);
        }
    }
}
