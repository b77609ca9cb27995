//! SASL failure conditions (RFC 6120 §6.5) and the crate's other error types.

use std::fmt;

/// A `<failure/>` condition of RFC 6120 §6.5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Condition {
    /// §6.5.1: the initiating entity aborted the exchange.
    Aborted,
    /// §6.5.2: the account is disabled.
    AccountDisabled,
    /// §6.5.3: the credentials have expired.
    CredentialsExpired,
    /// §6.5.4: the mechanism needs a protected (TLS) stream.
    EncryptionRequired,
    /// §6.5.5: the Base64 encoding of the payload is incorrect.
    IncorrectEncoding,
    /// §6.5.6: the authzid is malformed or not permitted.
    InvalidAuthzid,
    /// §6.5.7: the mechanism is not supported or not offered.
    InvalidMechanism,
    /// §6.5.8: the request is malformed.
    MalformedRequest,
    /// §6.5.9: the mechanism is weaker than policy allows.
    MechanismTooWeak,
    /// §6.5.10: bad credentials (also used for unknown users, deliberately).
    NotAuthorized,
    /// §6.5.11: a temporary error on the receiving entity's side.
    TemporaryAuthFailure,
}

impl Condition {
    /// Every condition, in RFC order.
    pub const ALL: [Self; 11] = [
        Self::Aborted,
        Self::AccountDisabled,
        Self::CredentialsExpired,
        Self::EncryptionRequired,
        Self::IncorrectEncoding,
        Self::InvalidAuthzid,
        Self::InvalidMechanism,
        Self::MalformedRequest,
        Self::MechanismTooWeak,
        Self::NotAuthorized,
        Self::TemporaryAuthFailure,
    ];

    /// The element name used on the wire, e.g. `not-authorized`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Aborted => "aborted",
            Self::AccountDisabled => "account-disabled",
            Self::CredentialsExpired => "credentials-expired",
            Self::EncryptionRequired => "encryption-required",
            Self::IncorrectEncoding => "incorrect-encoding",
            Self::InvalidAuthzid => "invalid-authzid",
            Self::InvalidMechanism => "invalid-mechanism",
            Self::MalformedRequest => "malformed-request",
            Self::MechanismTooWeak => "mechanism-too-weak",
            Self::NotAuthorized => "not-authorized",
            Self::TemporaryAuthFailure => "temporary-auth-failure",
        }
    }

    /// Parses a wire name.
    pub fn from_wire(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A failed exchange: the condition and an optional human-readable `<text/>`.
///
/// For SCRAM the text is the RFC 5802 §7 `server-error-value` (e.g. `invalid-proof`), which
/// names the protocol rule that failed and never whether the account exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The RFC 6120 §6.5 condition.
    pub condition: Condition,
    /// Optional descriptive text.
    pub text: Option<String>,
}

impl Failure {
    /// A failure without text.
    pub const fn new(condition: Condition) -> Self {
        Self {
            condition,
            text: None,
        }
    }

    /// A failure with text.
    pub fn with_text(condition: Condition, text: impl Into<String>) -> Self {
        Self {
            condition,
            text: Some(text.into()),
        }
    }

    /// The answer to a client's `<abort/>` (RFC 6120 §6.4.4).
    pub const fn aborted() -> Self {
        Self::new(Condition::Aborted)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.text {
            Some(text) => write!(f, "{}: {text}", self.condition),
            None => write!(f, "{}", self.condition),
        }
    }
}

impl std::error::Error for Failure {}

/// Errors creating or checking stored SCRAM credentials.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialsError {
    /// Iteration count outside [`crate::MIN_ITERATIONS`]..=[`crate::MAX_ITERATIONS`].
    #[error("iteration count {0} outside the allowed range")]
    Iterations(u32),
    /// Salt shorter than [`crate::MIN_SALT_LEN`] or longer than [`crate::MAX_SALT_LEN`].
    #[error("salt length {0} outside the allowed range")]
    Salt(usize),
    /// Key lengths do not match the hash.
    #[error("key length does not match the hash")]
    KeyLength,
    /// The password failed OpaqueString / SASLprep preparation.
    #[error("password is not acceptable under the selected preparation profile")]
    Password,
    /// The system random number generator failed.
    #[error("random number generator failed")]
    Random,
}

/// Errors of the client side of a mechanism.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server's message broke the mechanism's syntax.
    #[error("malformed server message: {0}")]
    Malformed(&'static str),
    /// The server's nonce does not extend ours (RFC 5802 §5.1).
    #[error("server nonce does not extend the client nonce")]
    NonceMismatch,
    /// The server asked for an iteration count we refuse (DoS or downgrade).
    #[error("server iteration count {0} outside the accepted range")]
    Iterations(u32),
    /// The server's salt is empty or too long.
    #[error("server salt length {0} outside the accepted range")]
    Salt(usize),
    /// The server signature (`v=`) is wrong: the server does not know our credentials.
    #[error("server signature mismatch")]
    ServerSignature,
    /// The server reported an RFC 5802 `e=` error.
    #[error("server error: {0}")]
    Server(String),
    /// A message arrived in a state where none was expected.
    #[error("unexpected message in this state")]
    UnexpectedMessage,
    /// The exchange ended without the server proving itself.
    #[error("success without server verification")]
    NotVerified,
    /// The username, authzid or password failed preparation or is unusable.
    #[error("credentials not usable: {0}")]
    Credentials(&'static str),
    /// The system random number generator failed.
    #[error("random number generator failed")]
    Random,
}
