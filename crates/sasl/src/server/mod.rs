//! Server side: the [`ServerMechanism`] trait, its [`Step`] results and the per-connection
//! [`ServerContext`] that decides what to offer and starts mechanisms.
//!
//! The state machines are sans-I/O: the caller feeds decoded client bytes and acts on each
//! [`Step`]. Credential look-ups are requests ([`Step::NeedCredentials`]) the caller answers
//! with [`ServerMechanism::provide_credentials`] after its (async) storage query, so this crate
//! never blocks and never touches storage. New mechanisms (DIGEST-MD5, GSSAPI with its
//! security-layer round) add request variants and answer methods with default bodies.

mod anonymous;
mod external;
mod plain;
mod scram;

use std::fmt;

pub use anonymous::{AnonymousServer, MAX_TRACE_CHARS};
pub use external::ExternalServer;
pub use plain::PlainServer;
pub use scram::ScramServer;

use crate::credentials::{DEFAULT_ITERATIONS, MAX_ITERATIONS, MIN_ITERATIONS, ScramCredentials};
use crate::error::{Condition, Failure};
use crate::hash::ScramHash;
use crate::mechanism::{ChannelBindings, Mechanism};
use crate::prep::{PasswordPrep, UsernamePrep};

/// Largest client message any mechanism accepts, in decoded bytes; longer ones fail with
/// `malformed-request` before any parsing, bounding work per message.
pub const MAX_MESSAGE_LEN: usize = 4096;

/// What the caller must do next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Send these bytes as a `<challenge/>` and wait for the `<response/>`.
    Challenge(Vec<u8>),
    /// Look up the user's credentials and call [`ServerMechanism::provide_credentials`]
    /// (with `None` if the user is unknown: the mechanism then fails exactly as for a wrong
    /// password, after the same number of round trips).
    NeedCredentials(CredentialsRequest),
    /// Authentication succeeded; send `<success/>` with the additional data, if any.
    Success(Success),
    /// Authentication failed; send `<failure/>`.
    Failure(Failure),
}

/// A credential look-up the mechanism needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialsRequest {
    /// The prepared authentication identity (see [`UsernamePrep`]).
    pub username: String,
    /// The requested authorization identity, unprepared, if any.
    pub authzid: Option<String>,
    /// The hash whose [`ScramCredentials`] are needed; `None` means any (PLAIN can check a
    /// password against whichever set is stored; prefer the strongest).
    pub hash: Option<ScramHash>,
}

/// The result of a successful exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Success {
    /// Who authenticated, and as whom they want to act.
    pub identity: Identity,
    /// Additional data with success (RFC 6120 §6.4.6), e.g. SCRAM's `v=` server signature.
    pub additional_data: Option<Vec<u8>>,
}

/// An authenticated identity.
///
/// The authzid is handed over as the client sent it: the caller decides whether the
/// authenticated entity may act as it (for c2s, RFC 6120 §6.3.8 permits only absent or the
/// user's own bare JID; the caller answers anything else with `invalid-authzid`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Identity {
    /// A user proven by a password-based mechanism (SCRAM, PLAIN).
    User {
        /// The prepared username (authcid).
        authcid: String,
        /// The requested authzid, if any.
        authzid: Option<String>,
    },
    /// A peer proven by its TLS certificate (EXTERNAL).
    Certificate {
        /// The certificate identity chosen (one of those the caller supplied).
        authcid: String,
        /// The requested authzid, if any.
        authzid: Option<String>,
    },
    /// An anonymous client (RFC 4505), with its optional trace information.
    Anonymous {
        /// The trace token or email, informational only.
        trace: Option<String>,
    },
}

impl Identity {
    /// The authentication identity, if not anonymous.
    pub fn authcid(&self) -> Option<&str> {
        match self {
            Self::User { authcid, .. } | Self::Certificate { authcid, .. } => Some(authcid),
            Self::Anonymous { .. } => None,
        }
    }

    /// The requested authorization identity, if any.
    pub fn authzid(&self) -> Option<&str> {
        match self {
            Self::User { authzid, .. } | Self::Certificate { authzid, .. } => authzid.as_deref(),
            Self::Anonymous { .. } => None,
        }
    }
}

/// One server-side mechanism exchange.
pub trait ServerMechanism: Send + fmt::Debug {
    /// Which mechanism this is.
    fn mechanism(&self) -> Mechanism;

    /// Feeds one client message. `None` is an *absent* initial response (RFC 6120 §6.4.2: the
    /// mechanism then answers with an empty challenge); `Some(&[])` is an empty one. After a
    /// terminal step, or while credentials are awaited, every call fails.
    fn step(&mut self, response: Option<&[u8]>) -> Step;

    /// Answers [`Step::NeedCredentials`]; `None` = no such user. Mechanisms that never ask
    /// fail when called.
    fn provide_credentials(&mut self, credentials: Option<&ScramCredentials>) -> Step {
        let _ = credentials;
        Step::Failure(Failure::with_text(
            Condition::TemporaryAuthFailure,
            "no credentials were requested",
        ))
    }
}

/// Server-wide settings shared by all exchanges.
#[derive(Clone, PartialEq, Eq)]
pub struct ServerConfig {
    secret: [u8; 32],
    fake_iterations: u32,
    username_prep: UsernamePrep,
    password_prep: PasswordPrep,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("fake_iterations", &self.fake_iterations)
            .field("username_prep", &self.username_prep)
            .field("password_prep", &self.password_prep)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// A configuration with a server secret, from which salts for unknown users are derived.
    /// The secret must be stable across restarts (or unknown users would show changing salts)
    /// and must not leak.
    pub const fn new(secret: [u8; 32]) -> Self {
        Self {
            secret,
            fake_iterations: DEFAULT_ITERATIONS,
            username_prep: UsernamePrep::Localpart,
            password_prep: PasswordPrep::OpaqueString,
        }
    }

    /// The iteration count announced to unknown users; set it to what real accounts use.
    /// Clamped to the accepted range.
    #[must_use]
    pub fn with_fake_iterations(mut self, iterations: u32) -> Self {
        self.fake_iterations = iterations.clamp(MIN_ITERATIONS, MAX_ITERATIONS);
        self
    }

    /// Username preparation (default: RFC 7622 localpart).
    #[must_use]
    pub const fn with_username_prep(mut self, prep: UsernamePrep) -> Self {
        self.username_prep = prep;
        self
    }

    /// Password preparation used by PLAIN (default: OpaqueString); must match how the stored
    /// credentials were derived.
    #[must_use]
    pub const fn with_password_prep(mut self, prep: PasswordPrep) -> Self {
        self.password_prep = prep;
        self
    }

    /// The username preparation in force.
    pub const fn username_prep(&self) -> UsernamePrep {
        self.username_prep
    }

    /// The password preparation in force.
    pub const fn password_prep(&self) -> PasswordPrep {
        self.password_prep
    }

    /// Deterministic stand-in credentials for an unknown user, so that their salt and count
    /// look like a real account's and stay the same on every attempt (RFC 5802 §9's advice on
    /// not revealing which users exist). No password derives these keys.
    pub(crate) fn fake_credentials(&self, hash: ScramHash, username: &str) -> ScramCredentials {
        let h = ScramHash::Sha256;
        let label = |what: &[u8]| {
            h.hmac(
                &self.secret,
                &[
                    b"waxwing-sasl unknown user\0",
                    what,
                    b"\0",
                    hash.name().as_bytes(),
                    b"\0",
                    username.as_bytes(),
                ],
            )
        };
        let mut salt = label(b"salt");
        salt.truncate(crate::credentials::RANDOM_SALT_LEN);
        let mut stored_key = label(b"stored key");
        stored_key.resize(hash.output_len(), 0);
        let mut server_key = label(b"server key");
        server_key.resize(hash.output_len(), 0);
        ScramCredentials {
            hash,
            salt,
            iterations: self.fake_iterations,
            stored_key,
            server_key,
        }
    }
}

/// Everything the server knows about one connection that decides which mechanisms to offer.
#[derive(Debug, Clone)]
pub struct ServerContext {
    /// Server-wide settings.
    pub config: ServerConfig,
    /// Whether the stream is encrypted (TLS); PLAIN is offered only then.
    pub encrypted: bool,
    /// Channel-binding data the TLS layer offers; `-PLUS` mechanisms are offered only if any.
    pub channel_bindings: ChannelBindings,
    /// Identities from the peer's verified certificate (e.g. XmppAddr or DNS names, already
    /// prepared by the caller); EXTERNAL is offered only if any.
    pub peer_identities: Vec<String>,
    /// Mechanisms policy allows (default: all but ANONYMOUS).
    pub enabled: Vec<Mechanism>,
}

impl ServerContext {
    /// A context for an unencrypted stream without channel binding or client certificate.
    pub fn new(config: ServerConfig) -> Self {
        Self {
            config,
            encrypted: false,
            channel_bindings: ChannelBindings::none(),
            peer_identities: Vec::new(),
            enabled: Mechanism::ALL
                .into_iter()
                .filter(|m| *m != Mechanism::Anonymous)
                .collect(),
        }
    }

    /// Marks the stream as encrypted or not.
    #[must_use]
    pub const fn encrypted(mut self, encrypted: bool) -> Self {
        self.encrypted = encrypted;
        self
    }

    /// Sets the channel-binding data.
    #[must_use]
    pub fn with_channel_bindings(mut self, channel_bindings: ChannelBindings) -> Self {
        self.channel_bindings = channel_bindings;
        self
    }

    /// Sets the certificate identities for EXTERNAL.
    #[must_use]
    pub fn with_peer_identities(mut self, identities: Vec<String>) -> Self {
        self.peer_identities = identities;
        self
    }

    /// Sets the mechanisms policy allows.
    #[must_use]
    pub fn with_enabled(mut self, enabled: Vec<Mechanism>) -> Self {
        self.enabled = enabled;
        self
    }

    fn unavailable(&self, mechanism: Mechanism) -> Option<Failure> {
        if !self.enabled.contains(&mechanism) {
            return Some(Failure::new(Condition::InvalidMechanism));
        }
        if mechanism.needs_encryption() && !self.encrypted {
            return Some(Failure::new(Condition::EncryptionRequired));
        }
        if mechanism.is_plus() && self.channel_bindings.is_empty() {
            return Some(Failure::new(Condition::InvalidMechanism));
        }
        if mechanism == Mechanism::External && self.peer_identities.is_empty() {
            return Some(Failure::new(Condition::InvalidMechanism));
        }
        None
    }

    /// The mechanisms to advertise, in preference order.
    pub fn offered(&self) -> Vec<Mechanism> {
        Mechanism::ALL
            .into_iter()
            .filter(|m| self.unavailable(*m).is_none())
            .collect()
    }

    /// The mechanism names to advertise.
    pub fn offered_names(&self) -> Vec<&'static str> {
        self.offered().into_iter().map(Mechanism::name).collect()
    }

    /// The channel-binding types to advertise per XEP-0440 (empty when nothing is offered,
    /// in which case the `<sasl-channel-binding/>` element is omitted).
    pub fn channel_binding_types(&self) -> Vec<&'static str> {
        let any_plus = self.offered().iter().any(|m| m.is_plus());
        if any_plus {
            self.channel_bindings.advertised()
        } else {
            Vec::new()
        }
    }

    /// Starts the mechanism a client named in `<auth mechanism=.../>`: `invalid-mechanism` if
    /// unknown or not offered, `encryption-required` for PLAIN on a cleartext stream.
    pub fn start(&self, name: &str) -> Result<Box<dyn ServerMechanism>, Failure> {
        let mechanism =
            Mechanism::from_name(name).ok_or(Failure::new(Condition::InvalidMechanism))?;
        self.start_mechanism(mechanism)
    }

    /// Like [`ServerContext::start`], from a parsed mechanism.
    pub fn start_mechanism(
        &self,
        mechanism: Mechanism,
    ) -> Result<Box<dyn ServerMechanism>, Failure> {
        if let Some(failure) = self.unavailable(mechanism) {
            return Err(failure);
        }
        Ok(match mechanism {
            Mechanism::Scram { hash, plus: false } => Box::new(ScramServer::new(
                &self.config,
                hash,
                self.channel_bindings.clone(),
            )),
            Mechanism::Scram { hash, plus: true } => Box::new(ScramServer::new_plus(
                &self.config,
                hash,
                self.channel_bindings.clone(),
            )),
            Mechanism::Plain => Box::new(PlainServer::new(&self.config)),
            Mechanism::External => Box::new(ExternalServer::new(self.peer_identities.clone())),
            Mechanism::Anonymous => Box::new(AnonymousServer::new()),
        })
    }
}

/// Shared guard: a terminal failure for an over-long message.
pub(crate) fn too_long(response: &[u8]) -> Option<Step> {
    (response.len() > MAX_MESSAGE_LEN).then(|| {
        Step::Failure(Failure::with_text(
            Condition::MalformedRequest,
            "message too long",
        ))
    })
}

/// The failure for a call in a state that does not accept it.
pub(crate) fn out_of_order() -> Step {
    Step::Failure(Failure::with_text(
        Condition::MalformedRequest,
        "unexpected message",
    ))
}
