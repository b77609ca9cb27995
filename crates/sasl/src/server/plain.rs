//! PLAIN server (RFC 4616), checked against stored SCRAM keys: no cleartext password is stored.

use std::fmt;

use super::{
    CredentialsRequest, Identity, ServerConfig, ServerMechanism, Step, Success, out_of_order,
    too_long,
};
use crate::credentials::ScramCredentials;
use crate::error::{Condition, Failure};
use crate::mechanism::Mechanism;

/// Server side of `PLAIN`. Offer it only on encrypted streams ([`super::ServerContext`] does).
pub struct PlainServer {
    config: ServerConfig,
    state: State,
}

enum State {
    Start,
    AwaitResponse,
    NeedCredentials {
        username: String,
        authzid: Option<String>,
        password: String,
    },
    Done,
}

impl fmt::Debug for PlainServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never print the password held while credentials are awaited.
        f.debug_struct("PlainServer").finish_non_exhaustive()
    }
}

impl PlainServer {
    /// A new exchange.
    pub fn new(config: &ServerConfig) -> Self {
        Self {
            config: config.clone(),
            state: State::Start,
        }
    }

    fn parse(&mut self, input: &[u8]) -> Step {
        // message = [authzid] UTF8NUL authcid UTF8NUL passwd (RFC 4616 §2).
        let malformed = || Step::Failure(Failure::new(Condition::MalformedRequest));
        let Ok(text) = std::str::from_utf8(input) else {
            return malformed();
        };
        let mut parts = text.split('\0');
        let (Some(authzid), Some(authcid), Some(password), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return malformed();
        };
        if authcid.is_empty() || password.is_empty() {
            return malformed();
        }
        let Some(username) = self.config.username_prep().prepare(authcid) else {
            return Step::Failure(Failure::new(Condition::NotAuthorized));
        };
        let authzid = (!authzid.is_empty()).then(|| authzid.to_owned());
        self.state = State::NeedCredentials {
            username: username.clone(),
            authzid: authzid.clone(),
            password: password.to_owned(),
        };
        Step::NeedCredentials(CredentialsRequest {
            username,
            authzid,
            hash: None,
        })
    }
}

impl ServerMechanism for PlainServer {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Plain
    }

    fn step(&mut self, response: Option<&[u8]>) -> Step {
        let state = std::mem::replace(&mut self.state, State::Done);
        match (state, response) {
            (State::Start, None) => {
                self.state = State::AwaitResponse;
                Step::Challenge(Vec::new())
            }
            (State::Start | State::AwaitResponse, Some(input)) => {
                too_long(input).unwrap_or_else(|| self.parse(input))
            }
            _ => out_of_order(),
        }
    }

    fn provide_credentials(&mut self, credentials: Option<&ScramCredentials>) -> Step {
        let State::NeedCredentials {
            username,
            authzid,
            password,
        } = std::mem::replace(&mut self.state, State::Done)
        else {
            return out_of_order();
        };
        let prep = self.config.password_prep();
        let ok = if let Some(c) = credentials {
            c.verify_password(prep, &password)
        } else {
            // Spend the same PBKDF2 work as for a real account, so timing does not reveal
            // which users exist.
            let fake = self
                .config
                .fake_credentials(crate::hash::ScramHash::Sha256, &username);
            let _ = fake.verify_password(prep, &password);
            false
        };
        if ok {
            Step::Success(Success {
                identity: Identity::User {
                    authcid: username,
                    authzid,
                },
                additional_data: None,
            })
        } else {
            Step::Failure(Failure::new(Condition::NotAuthorized))
        }
    }
}
