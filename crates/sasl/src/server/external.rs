//! EXTERNAL server (RFC 4422 Appendix A) over identities from the peer's TLS certificate.

use super::{Identity, ServerMechanism, Step, Success, out_of_order, too_long};
use crate::error::{Condition, Failure};
use crate::mechanism::Mechanism;

/// Server side of `EXTERNAL`.
///
/// The caller supplies the identities its certificate validation accepted (XEP-0178: XmppAddr
/// or DNS names, prepared). The client's message is an authzid or empty (RFC 4422 A.1):
/// - empty, one identity: authenticated as it;
/// - empty, several identities: `invalid-authzid` (the client must say which, XEP-0178 §3);
/// - authzid equal to one identity: authenticated as it, authzid reported;
/// - other authzid, one identity: authenticated as it, authzid reported for the caller to
///   allow or refuse; with several identities: `invalid-authzid`.
#[derive(Debug)]
pub struct ExternalServer {
    identities: Vec<String>,
    state: State,
}

#[derive(Debug)]
enum State {
    Start,
    AwaitResponse,
    Done,
}

impl ExternalServer {
    /// A new exchange over the certificate's identities.
    pub const fn new(identities: Vec<String>) -> Self {
        Self {
            identities,
            state: State::Start,
        }
    }

    fn decide(&self, input: &[u8]) -> Step {
        let Ok(authzid) = std::str::from_utf8(input) else {
            return Step::Failure(Failure::new(Condition::MalformedRequest));
        };
        if authzid.contains('\0') {
            return Step::Failure(Failure::new(Condition::MalformedRequest));
        }
        let success = |authcid: &str, authzid: Option<&str>| {
            Step::Success(Success {
                identity: Identity::Certificate {
                    authcid: authcid.to_owned(),
                    authzid: authzid.map(str::to_owned),
                },
                additional_data: None,
            })
        };
        match (self.identities.as_slice(), authzid) {
            ([], _) => Step::Failure(Failure::new(Condition::NotAuthorized)),
            ([only], "") => success(only, None),
            (_, "") => Step::Failure(Failure::with_text(
                Condition::InvalidAuthzid,
                "certificate names several identities; choose one as authzid",
            )),
            (ids, wanted) => match ids.iter().find(|id| *id == wanted) {
                Some(id) => success(id, Some(wanted)),
                None => match ids {
                    [only] => success(only, Some(wanted)),
                    _ => Step::Failure(Failure::new(Condition::InvalidAuthzid)),
                },
            },
        }
    }
}

impl ServerMechanism for ExternalServer {
    fn mechanism(&self) -> Mechanism {
        Mechanism::External
    }

    fn step(&mut self, response: Option<&[u8]>) -> Step {
        let state = std::mem::replace(&mut self.state, State::Done);
        match (state, response) {
            (State::Start, None) => {
                self.state = State::AwaitResponse;
                Step::Challenge(Vec::new())
            }
            (State::Start | State::AwaitResponse, Some(input)) => {
                too_long(input).unwrap_or_else(|| self.decide(input))
            }
            _ => out_of_order(),
        }
    }
}
