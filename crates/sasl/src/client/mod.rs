//! Client side of every mechanism, for tests, server-to-server links and the load generator.

mod scram;
mod simple;

use std::fmt;

pub use scram::{ClientBinding, SaltedPasswordSource, ScramClient};
pub use simple::{AnonymousClient, ExternalClient, PlainClient};

use crate::error::ClientError;
use crate::hash::ScramHash;
use crate::mechanism::{ChannelBindingType, ChannelBindings, Mechanism};
use crate::server::MAX_MESSAGE_LEN;

/// Picks the SCRAM variant a client should use from the server's `<mechanisms/>` and its
/// XEP-0440 channel-binding types, given what our TLS layer can bind to.
///
/// Any usable `-PLUS` variant beats every plain one (binding defeats a MITM), then the
/// strongest hash wins. If the server advertised no binding types, the client's own
/// preference is tried. Without a `-PLUS` pick, the GS2 flag is `y` only when the server
/// offered no `-PLUS` mechanism at all and we could bind (RFC 5802 §6); otherwise `n`, so a
/// server that offers -PLUS with types we lack does not see a false downgrade claim.
pub fn choose_scram(
    offered: &[&str],
    server_cb_types: &[&str],
    local: &ChannelBindings,
) -> Option<(ScramHash, ClientBinding)> {
    let by_strength = [ScramHash::Sha512, ScramHash::Sha256, ScramHash::Sha1];
    let is_offered = |m: Mechanism| offered.contains(&m.name());
    let usable_type = local.types().find(|t: &ChannelBindingType| {
        server_cb_types.is_empty() || server_cb_types.contains(&t.as_str())
    });
    if let Some(kind) = usable_type {
        for hash in by_strength {
            if is_offered(Mechanism::Scram { hash, plus: true })
                && let Some(data) = local.get(kind)
            {
                return Some((hash, ClientBinding::Bound(kind, data.to_vec())));
            }
        }
    }
    let any_plus = offered
        .iter()
        .any(|name| Mechanism::from_name(name).is_some_and(Mechanism::is_plus));
    let binding = if !local.is_empty() && !any_plus {
        ClientBinding::NotOffered
    } else {
        ClientBinding::Unsupported
    };
    by_strength
        .into_iter()
        .find(|hash| {
            is_offered(Mechanism::Scram {
                hash: *hash,
                plus: false,
            })
        })
        .map(|hash| (hash, binding))
}

/// One client-side mechanism exchange.
pub trait ClientMechanism: Send + fmt::Debug {
    /// Which mechanism this is.
    fn mechanism(&self) -> Mechanism;

    /// The initial response for `<auth/>`; `Some(vec![])` is an empty one (sent as `=`).
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, ClientError>;

    /// Answers a server challenge.
    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, ClientError>;

    /// Handles `<success/>` and its additional data; fails if the server did not prove
    /// itself where the mechanism requires it (SCRAM's `v=`).
    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), ClientError>;
}

pub(crate) fn check_len(data: &[u8]) -> Result<(), ClientError> {
    if data.len() > MAX_MESSAGE_LEN {
        return Err(ClientError::Malformed("message too long"));
    }
    Ok(())
}
