//! SCRAM client (RFC 5802 §5, §7; RFC 7677).

use std::fmt;
use std::sync::Arc;

use subtle::ConstantTimeEq as _;

use super::{ClientMechanism, check_len};
use crate::b64::{decode_raw, encode_raw};
use crate::credentials::{MAX_ITERATIONS, MAX_SALT_LEN, MIN_ITERATIONS};
use crate::error::ClientError;
use crate::hash::{ScramHash, xor};
use crate::mechanism::{ChannelBindingType, Mechanism};
use crate::prep::{PasswordPrep, escape_saslname};
use crate::scram::{ServerFinal, is_printable, parse_server_final, parse_server_first};

/// Random bytes in a client nonce (32 printable Base64 characters).
const NONCE_BYTES: usize = 24;

/// The client's channel-binding stance, which becomes the GS2 flag (RFC 5802 §6).
#[derive(Clone, PartialEq, Eq)]
pub enum ClientBinding {
    /// `n`: this client cannot do channel binding.
    Unsupported,
    /// `y`: this client could, but the server did not offer a `-PLUS` mechanism.
    NotOffered,
    /// `p=<type>`: bind to this type with this data (selects the `-PLUS` mechanism).
    Bound(ChannelBindingType, Vec<u8>),
}

impl fmt::Debug for ClientBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unsupported => f.write_str("Unsupported"),
            Self::NotOffered => f.write_str("NotOffered"),
            Self::Bound(t, _) => f.debug_tuple("Bound").field(t).finish(),
        }
    }
}

/// Where a client gets `SaltedPassword := Hi(Normalize(password), salt, i)` (RFC 5802 §3).
///
/// The default computes it for every exchange. A client that logs in many times with the same
/// password, salt and iteration count (a load generator) can remember it instead: Hi is
/// deliberately expensive, and the rest of the exchange is a few HMACs.
pub trait SaltedPasswordSource: Send + Sync {
    /// `Hi(password, salt, iterations)` for `hash`; `password` is already normalised.
    fn salted_password(
        &self,
        hash: ScramHash,
        password: &str,
        salt: &[u8],
        iterations: u32,
    ) -> Vec<u8>;
}

/// Client side of `SCRAM-SHA-*` and (with [`ClientBinding::Bound`]) `SCRAM-SHA-*-PLUS`.
pub struct ScramClient {
    hash: ScramHash,
    username: String,
    password: String,
    prep: PasswordPrep,
    authzid: Option<String>,
    binding: ClientBinding,
    nonce: Option<String>,
    salted: Option<Arc<dyn SaltedPasswordSource>>,
    state: State,
}

enum State {
    Initial,
    AwaitServerFirst {
        gs2_header: String,
        bare: String,
        nonce: String,
    },
    AwaitServerFinal {
        server_signature: Vec<u8>,
    },
    Verified,
    Done,
}

impl fmt::Debug for ScramClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramClient")
            .field("mechanism", &self.mechanism())
            .field("username", &self.username)
            .field("binding", &self.binding)
            .finish_non_exhaustive()
    }
}

impl ScramClient {
    /// A new exchange. The username is sent as given (escaped), so pass it prepared the way
    /// the server expects (in XMPP, the account's localpart).
    pub fn new(
        hash: ScramHash,
        username: &str,
        password: &str,
        binding: ClientBinding,
    ) -> Result<Self, ClientError> {
        if username.is_empty() || username.contains('\0') {
            return Err(ClientError::Credentials("username"));
        }
        Ok(Self {
            hash,
            username: username.to_owned(),
            password: password.to_owned(),
            prep: PasswordPrep::OpaqueString,
            authzid: None,
            binding,
            nonce: None,
            salted: None,
            state: State::Initial,
        })
    }

    /// Requests an authorization identity.
    #[must_use]
    pub fn with_authzid(mut self, authzid: &str) -> Self {
        self.authzid = (!authzid.is_empty()).then(|| authzid.to_owned());
        self
    }

    /// Password preparation (default: OpaqueString).
    #[must_use]
    pub const fn with_password_prep(mut self, prep: PasswordPrep) -> Self {
        self.prep = prep;
        self
    }

    /// Takes SaltedPassword from `source` instead of computing Hi for this exchange.
    #[must_use]
    pub fn with_salted_password_source(mut self, source: Arc<dyn SaltedPasswordSource>) -> Self {
        self.salted = Some(source);
        self
    }

    /// Uses a fixed client nonce instead of a random one. For test vectors only.
    pub fn with_nonce(mut self, nonce: &str) -> Result<Self, ClientError> {
        if !is_printable(nonce) {
            return Err(ClientError::Credentials("nonce"));
        }
        self.nonce = Some(nonce.to_owned());
        Ok(self)
    }

    fn client_first(&mut self) -> Result<Vec<u8>, ClientError> {
        let nonce = if let Some(n) = self.nonce.take() {
            n
        } else {
            let mut bytes = [0u8; NONCE_BYTES];
            getrandom::fill(&mut bytes).map_err(|_| ClientError::Random)?;
            encode_raw(&bytes)
        };
        let flag = match &self.binding {
            ClientBinding::Unsupported => "n".to_owned(),
            ClientBinding::NotOffered => "y".to_owned(),
            ClientBinding::Bound(t, _) => format!("p={t}"),
        };
        let authz = self
            .authzid
            .as_deref()
            .map(|a| format!("a={}", escape_saslname(a)))
            .unwrap_or_default();
        let gs2_header = format!("{flag},{authz},");
        let bare = format!("n={},r={nonce}", escape_saslname(&self.username));
        let message = format!("{gs2_header}{bare}").into_bytes();
        self.state = State::AwaitServerFirst {
            gs2_header,
            bare,
            nonce,
        };
        Ok(message)
    }

    fn client_final(
        &self,
        gs2_header: &str,
        bare: &str,
        nonce: &str,
        challenge: &[u8],
    ) -> Result<(Vec<u8>, Vec<u8>), ClientError> {
        let text =
            std::str::from_utf8(challenge).map_err(|_| ClientError::Malformed("not UTF-8"))?;
        let msg =
            parse_server_first(text).map_err(|_| ClientError::Malformed("server-first-message"))?;
        if !msg.nonce.starts_with(nonce) || msg.nonce.len() == nonce.len() {
            return Err(ClientError::NonceMismatch);
        }
        if !(MIN_ITERATIONS..=MAX_ITERATIONS).contains(&msg.iterations) {
            return Err(ClientError::Iterations(msg.iterations));
        }
        let salt = decode_raw(msg.salt).ok_or(ClientError::Malformed("salt"))?;
        if salt.is_empty() || salt.len() > MAX_SALT_LEN {
            return Err(ClientError::Salt(salt.len()));
        }
        let password = self
            .prep
            .prepare(&self.password)
            .ok_or(ClientError::Credentials("password"))?;
        let salted = match &self.salted {
            Some(source) => source.salted_password(self.hash, &password, &salt, msg.iterations),
            None => self.hash.hi(password.as_bytes(), &salt, msg.iterations),
        };
        let keys = self.hash.keys(&salted);
        let mut cbind = gs2_header.as_bytes().to_vec();
        if let ClientBinding::Bound(_, data) = &self.binding {
            cbind.extend_from_slice(data);
        }
        let without_proof = format!("c={},r={}", encode_raw(&cbind), msg.nonce);
        let auth_message = [bare, ",", text, ",", &without_proof].concat();
        let client_signature = self.hash.hmac(&keys.stored_key, &[auth_message.as_bytes()]);
        let proof = xor(&keys.client_key, &client_signature);
        let server_signature = self.hash.hmac(&keys.server_key, &[auth_message.as_bytes()]);
        Ok((
            format!("{without_proof},p={}", encode_raw(&proof)).into_bytes(),
            server_signature,
        ))
    }

    fn verify(expected: &[u8], data: &[u8]) -> Result<(), ClientError> {
        let text = std::str::from_utf8(data).map_err(|_| ClientError::Malformed("not UTF-8"))?;
        match parse_server_final(text)
            .map_err(|_| ClientError::Malformed("server-final-message"))?
        {
            ServerFinal::Error(e) => Err(ClientError::Server(e.to_owned())),
            ServerFinal::Verifier(v) => {
                let sig = decode_raw(v).ok_or(ClientError::Malformed("verifier"))?;
                if bool::from(sig.ct_eq(expected)) {
                    Ok(())
                } else {
                    Err(ClientError::ServerSignature)
                }
            }
        }
    }
}

impl ClientMechanism for ScramClient {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Scram {
            hash: self.hash,
            plus: matches!(self.binding, ClientBinding::Bound(..)),
        }
    }

    fn initial_response(&mut self) -> Result<Option<Vec<u8>>, ClientError> {
        if !matches!(self.state, State::Initial) {
            return Err(ClientError::UnexpectedMessage);
        }
        self.client_first().map(Some)
    }

    fn respond(&mut self, challenge: &[u8]) -> Result<Vec<u8>, ClientError> {
        check_len(challenge)?;
        match std::mem::replace(&mut self.state, State::Done) {
            State::Initial if challenge.is_empty() => self.client_first(),
            State::AwaitServerFirst {
                gs2_header,
                bare,
                nonce,
            } => {
                let (message, server_signature) =
                    self.client_final(&gs2_header, &bare, &nonce, challenge)?;
                self.state = State::AwaitServerFinal { server_signature };
                Ok(message)
            }
            // RFC 6120 §6.4.6 lets a server send `v=` as a final challenge instead of as
            // additional data with success; the answer is an empty response.
            State::AwaitServerFinal { server_signature } => {
                Self::verify(&server_signature, challenge)?;
                self.state = State::Verified;
                Ok(Vec::new())
            }
            State::Initial | State::Verified | State::Done => Err(ClientError::UnexpectedMessage),
        }
    }

    fn finish(&mut self, additional_data: Option<&[u8]>) -> Result<(), ClientError> {
        match (
            std::mem::replace(&mut self.state, State::Done),
            additional_data,
        ) {
            (State::AwaitServerFinal { server_signature }, Some(data)) if !data.is_empty() => {
                check_len(data)?;
                Self::verify(&server_signature, data)
            }
            (State::Verified, None | Some([])) => Ok(()),
            _ => Err(ClientError::NotVerified),
        }
    }
}
