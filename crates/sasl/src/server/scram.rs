//! SCRAM server (RFC 5802 §5, §6, §7; RFC 7677; channel binding per RFC 5929 and RFC 9266).

use std::fmt;

use subtle::ConstantTimeEq as _;

use super::{
    CredentialsRequest, Identity, ServerConfig, ServerMechanism, Step, Success, out_of_order,
    too_long,
};
use crate::b64::{decode_raw, encode_raw};
use crate::credentials::ScramCredentials;
use crate::error::{Condition, Failure};
use crate::hash::{ScramHash, xor};
use crate::mechanism::{ChannelBindingType, ChannelBindings, Mechanism};
use crate::scram::{
    CbFlag, E_CB_MISMATCH, E_CB_NOT_SUPPORTED, E_CB_TYPE, E_INVALID_ENCODING, E_INVALID_PROOF,
    E_OTHER, E_SERVER_DOES_CB, E_USERNAME, is_printable, parse_client_final, parse_client_first,
};

/// Random bytes in a server nonce (encoded as 32 printable Base64 characters).
const NONCE_BYTES: usize = 24;

/// Server side of `SCRAM-SHA-*` and `SCRAM-SHA-*-PLUS`.
pub struct ScramServer {
    config: ServerConfig,
    hash: ScramHash,
    plus: bool,
    channel_bindings: ChannelBindings,
    fixed_nonce: Option<String>,
    state: State,
}

impl fmt::Debug for ScramServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ScramServer")
            .field("mechanism", &self.mechanism())
            .field("state", &self.state.name())
            .finish_non_exhaustive()
    }
}

struct First {
    gs2_header: String,
    cb_data: Vec<u8>,
    authzid: Option<String>,
    bare: String,
    username: String,
    client_nonce: String,
}

struct Final {
    first: First,
    server_first: String,
    nonce: String,
    credentials: ScramCredentials,
    known: bool,
}

enum State {
    Start,
    AwaitFirst,
    NeedCredentials(First),
    AwaitFinal(Box<Final>),
    Done,
}

impl State {
    const fn name(&self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::AwaitFirst => "await-first",
            Self::NeedCredentials(_) => "need-credentials",
            Self::AwaitFinal(_) => "await-final",
            Self::Done => "done",
        }
    }
}

fn fail(condition: Condition, e: &str) -> Step {
    Step::Failure(Failure::with_text(condition, e))
}

impl ScramServer {
    /// `SCRAM-<hash>` (no channel binding). `channel_bindings` is what the TLS layer offers on
    /// this connection: if non-empty the server advertises `-PLUS`, so a client's `y` flag is
    /// a downgrade and fails (RFC 5802 §6).
    pub fn new(config: &ServerConfig, hash: ScramHash, channel_bindings: ChannelBindings) -> Self {
        Self {
            config: config.clone(),
            hash,
            plus: false,
            channel_bindings,
            fixed_nonce: None,
            state: State::Start,
        }
    }

    /// `SCRAM-<hash>-PLUS`: the client must bind to one of the offered channel-binding types.
    pub fn new_plus(
        config: &ServerConfig,
        hash: ScramHash,
        channel_bindings: ChannelBindings,
    ) -> Self {
        Self {
            plus: true,
            ..Self::new(config, hash, channel_bindings)
        }
    }

    /// Uses a fixed server nonce part instead of a random one. For test vectors only: a
    /// predictable nonce lets an attacker replay. Ignored unless printable.
    #[must_use]
    pub fn with_fixed_nonce(mut self, nonce: &str) -> Self {
        if is_printable(nonce) {
            self.fixed_nonce = Some(nonce.to_owned());
        }
        self
    }

    fn server_nonce(&self) -> Option<String> {
        if let Some(n) = &self.fixed_nonce {
            return Some(n.clone());
        }
        let mut bytes = [0u8; NONCE_BYTES];
        getrandom::fill(&mut bytes).ok()?;
        Some(encode_raw(&bytes))
    }

    /// Checks the GS2 header against RFC 5802 §6 and picks the channel-binding data.
    fn check_binding(&self, flag: CbFlag<'_>) -> Result<Vec<u8>, Step> {
        let server_offers_plus = !self.channel_bindings.is_empty();
        match (self.plus, flag) {
            (true, CbFlag::Plus(name)) => ChannelBindingType::from_name(name)
                .and_then(|t| self.channel_bindings.get(t))
                .map(<[u8]>::to_vec)
                .ok_or_else(|| fail(Condition::NotAuthorized, E_CB_TYPE)),
            // A -PLUS mechanism without binding is self-contradictory.
            (true, CbFlag::No | CbFlag::Yes) => Err(fail(Condition::MalformedRequest, E_OTHER)),
            (false, CbFlag::Plus(_)) => Err(fail(
                Condition::MalformedRequest,
                if server_offers_plus {
                    E_OTHER
                } else {
                    E_CB_NOT_SUPPORTED
                },
            )),
            // The client could bind but believes we cannot: someone stripped -PLUS from our list.
            (false, CbFlag::Yes) if server_offers_plus => {
                Err(fail(Condition::NotAuthorized, E_SERVER_DOES_CB))
            }
            (false, CbFlag::No | CbFlag::Yes) => Ok(Vec::new()),
        }
    }

    fn client_first(&mut self, input: &[u8]) -> Step {
        let Ok(text) = std::str::from_utf8(input) else {
            return fail(Condition::MalformedRequest, E_INVALID_ENCODING);
        };
        let msg = match parse_client_first(text) {
            Ok(m) => m,
            Err(e) => return fail(Condition::MalformedRequest, e),
        };
        let cb_data = match self.check_binding(msg.flag) {
            Ok(d) => d,
            Err(step) => return step,
        };
        let Some(username) = self.config.username_prep().prepare(&msg.username) else {
            return fail(Condition::NotAuthorized, E_USERNAME);
        };
        let request = CredentialsRequest {
            username: username.clone(),
            authzid: msg.authzid.clone(),
            hash: Some(self.hash),
        };
        self.state = State::NeedCredentials(First {
            gs2_header: msg.gs2_header.to_owned(),
            cb_data,
            authzid: msg.authzid,
            bare: msg.bare.to_owned(),
            username,
            client_nonce: msg.nonce.to_owned(),
        });
        Step::NeedCredentials(request)
    }

    fn client_final(&mut self, data: &Final, input: &[u8]) -> Step {
        let Ok(text) = std::str::from_utf8(input) else {
            return fail(Condition::MalformedRequest, E_INVALID_ENCODING);
        };
        let msg = match parse_client_final(text) {
            Ok(m) => m,
            Err(e) => return fail(Condition::MalformedRequest, e),
        };
        let Some(cb) = decode_raw(msg.channel_binding) else {
            return fail(Condition::MalformedRequest, E_INVALID_ENCODING);
        };
        let Some(proof) = decode_raw(msg.proof) else {
            return fail(Condition::MalformedRequest, E_INVALID_ENCODING);
        };
        if proof.len() != self.hash.output_len() {
            return fail(Condition::MalformedRequest, E_INVALID_ENCODING);
        }
        // RFC 5802 §5.1 `c=`: exactly the GS2 header followed by the channel-binding data.
        let mut expected = data.first.gs2_header.as_bytes().to_vec();
        expected.extend_from_slice(&data.first.cb_data);
        if !bool::from(cb.ct_eq(&expected)) {
            return fail(Condition::NotAuthorized, E_CB_MISMATCH);
        }
        if msg.nonce != data.nonce {
            return fail(Condition::NotAuthorized, E_OTHER);
        }
        let auth_message = [
            data.first.bare.as_str(),
            ",",
            data.server_first.as_str(),
            ",",
            msg.without_proof,
        ]
        .concat();
        let creds = &data.credentials;
        let client_signature = self
            .hash
            .hmac(&creds.stored_key, &[auth_message.as_bytes()]);
        let client_key = xor(&proof, &client_signature);
        let proven: bool = self
            .hash
            .digest(&client_key)
            .ct_eq(&creds.stored_key)
            .into();
        // Unknown users run the same computation against keys nobody can match.
        if !(proven && data.known) {
            return fail(Condition::NotAuthorized, E_INVALID_PROOF);
        }
        let server_signature = self
            .hash
            .hmac(&creds.server_key, &[auth_message.as_bytes()]);
        Step::Success(Success {
            identity: Identity::User {
                authcid: data.first.username.clone(),
                authzid: data.first.authzid.clone(),
            },
            additional_data: Some(format!("v={}", encode_raw(&server_signature)).into_bytes()),
        })
    }
}

impl ServerMechanism for ScramServer {
    fn mechanism(&self) -> Mechanism {
        Mechanism::Scram {
            hash: self.hash,
            plus: self.plus,
        }
    }

    fn step(&mut self, response: Option<&[u8]>) -> Step {
        let state = std::mem::replace(&mut self.state, State::Done);
        let Some(input) = response else {
            return if matches!(state, State::Start) {
                self.state = State::AwaitFirst;
                Step::Challenge(Vec::new())
            } else {
                out_of_order()
            };
        };
        if let Some(step) = too_long(input) {
            return step;
        }
        match state {
            State::Start | State::AwaitFirst => self.client_first(input),
            State::AwaitFinal(data) => self.client_final(&data, input),
            State::NeedCredentials(_) | State::Done => out_of_order(),
        }
    }

    fn provide_credentials(&mut self, credentials: Option<&ScramCredentials>) -> Step {
        let State::NeedCredentials(first) = std::mem::replace(&mut self.state, State::Done) else {
            return out_of_order();
        };
        // Credentials of another hash, or invalid ones (e.g. fewer than 4096 iterations), are
        // treated like an unknown user: the same answer for every failure leaks nothing.
        let usable = credentials.filter(|c| c.hash == self.hash && c.validate().is_ok());
        let known = usable.is_some();
        let credentials = usable
            .cloned()
            .unwrap_or_else(|| self.config.fake_credentials(self.hash, &first.username));
        let Some(server_nonce) = self.server_nonce() else {
            return Step::Failure(Failure::new(Condition::TemporaryAuthFailure));
        };
        let nonce = format!("{}{server_nonce}", first.client_nonce);
        let server_first = format!(
            "r={nonce},s={},i={}",
            encode_raw(&credentials.salt),
            credentials.iterations
        );
        let challenge = server_first.clone().into_bytes();
        self.state = State::AwaitFinal(Box::new(Final {
            first,
            server_first,
            nonce,
            credentials,
            known,
        }));
        Step::Challenge(challenge)
    }
}
