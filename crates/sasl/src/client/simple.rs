//! Single-message clients: PLAIN (RFC 4616), EXTERNAL (RFC 4422 A), ANONYMOUS (RFC 4505).

use std::fmt;

use super::{ClientMechanism, check_len};
use crate::error::ClientError;
use crate::mechanism::Mechanism;
use crate::prep::PasswordPrep;

/// Shared shape: one message, sent as the initial response or after an empty challenge.
#[derive(Debug, Default)]
struct OneShot {
    sent: bool,
}

impl OneShot {
    fn initial(&mut self, message: &[u8]) -> Vec<u8> {
        self.sent = true;
        message.to_vec()
    }

    fn respond(&mut self, challenge: &[u8], message: &[u8]) -> Result<Vec<u8>, ClientError> {
        check_len(challenge)?;
        if self.sent || !challenge.is_empty() {
            return Err(ClientError::UnexpectedMessage);
        }
        self.sent = true;
        Ok(message.to_vec())
    }
}

fn finish(additional_data: Option<&[u8]>) -> Result<(), ClientError> {
    match additional_data {
        None | Some([]) => Ok(()),
        Some(_) => Err(ClientError::UnexpectedMessage),
    }
}

/// Client side of `PLAIN`.
pub struct PlainClient {
    message: Vec<u8>,
    shot: OneShot,
}

impl fmt::Debug for PlainClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlainClient").finish_non_exhaustive()
    }
}

impl PlainClient {
    /// `authzid NUL authcid NUL passwd`, the password prepared with OpaqueString.
    pub fn new(authcid: &str, password: &str, authzid: Option<&str>) -> Result<Self, ClientError> {
        Self::with_prep(authcid, password, authzid, PasswordPrep::OpaqueString)
    }

    /// Like [`PlainClient::new`] with an explicit password preparation.
    pub fn with_prep(
        authcid: &str,
        password: &str,
        authzid: Option<&str>,
        prep: PasswordPrep,
    ) -> Result<Self, ClientError> {
        let password = prep
            .prepare(password)
            .ok_or(ClientError::Credentials("password"))?;
        let authzid = authzid.unwrap_or("");
        if authcid.is_empty() || authcid.contains('\0') || authzid.contains('\0') {
            return Err(ClientError::Credentials("authcid or authzid"));
        }
        let message = [authzid, "\0", authcid, "\0", &password]
            .concat()
            .into_bytes();
        Ok(Self {
            message,
            shot: OneShot::default(),
        })
    }
}

impl ClientMechanism for PlainClient {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Plain
    }
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        Ok(Some(self.shot.initial(&self.message)))
    }
    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, ClientError> {
        self.shot.respond(challenge, &self.message)
    }
    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), ClientError> {
        finish(additional_data)
    }
}

/// Client side of `EXTERNAL`: the message is the authzid, or empty to let the server derive
/// the identity from the certificate.
#[derive(Debug)]
pub struct ExternalClient {
    message: Vec<u8>,
    shot: OneShot,
}

impl ExternalClient {
    /// A new exchange.
    pub fn new(authzid: Option<&str>) -> Result<Self, ClientError> {
        let authzid = authzid.unwrap_or("");
        if authzid.contains('\0') {
            return Err(ClientError::Credentials("authzid"));
        }
        Ok(Self {
            message: authzid.as_bytes().to_vec(),
            shot: OneShot::default(),
        })
    }
}

impl ClientMechanism for ExternalClient {
    fn mechanism(&self) -> Mechanism {
        Mechanism::External
    }
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        Ok(Some(self.shot.initial(&self.message)))
    }
    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, ClientError> {
        self.shot.respond(challenge, &self.message)
    }
    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), ClientError> {
        finish(additional_data)
    }
}

/// Client side of `ANONYMOUS`, with optional trace information.
#[derive(Debug)]
pub struct AnonymousClient {
    message: Vec<u8>,
    shot: OneShot,
}

impl AnonymousClient {
    /// A new exchange; the trace is at most 255 characters (RFC 4505 §3).
    pub fn new(trace: Option<&str>) -> Result<Self, ClientError> {
        let trace = trace.unwrap_or("");
        if trace.chars().count() > crate::server::MAX_TRACE_CHARS {
            return Err(ClientError::Credentials("trace"));
        }
        Ok(Self {
            message: trace.as_bytes().to_vec(),
            shot: OneShot::default(),
        })
    }
}

impl ClientMechanism for AnonymousClient {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Anonymous
    }
    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        Ok(Some(self.shot.initial(&self.message)))
    }
    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, ClientError> {
        self.shot.respond(challenge, &self.message)
    }
    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), ClientError> {
        finish(additional_data)
    }
}
