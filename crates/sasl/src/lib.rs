//! SASL (RFC 4422) mechanisms as pure, sans-I/O state machines, server and client side.
//!
//! No I/O, no storage, no XML: the stream layer decodes `<auth/>` and `<response/>` with
//! [`b64::decode_initial_response`] / [`b64::decode_strict`] (RFC 6120 §6.4.2), feeds the
//! bytes to a [`ServerMechanism`] started by [`ServerContext::start`], and turns each
//! [`Step`] into `<challenge/>`, `<success/>` or `<failure/>` ([`Condition`], RFC 6120 §6.5).
//! Credential look-ups are returned as [`Step::NeedCredentials`] and answered with
//! [`ServerMechanism::provide_credentials`], so storage stays async and elsewhere.
//!
//! Implemented:
//! - SCRAM-SHA-1, -SHA-256, -SHA-512, each with and without -PLUS: RFC 5802 §5–§7,
//!   RFC 7677; channel bindings `tls-exporter` (RFC 9266) and `tls-server-end-point`
//!   (RFC 5929 §4), downgrade rules of RFC 5802 §6, advertised per XEP-0440.
//! - PLAIN (RFC 4616), verified against stored SCRAM keys: no cleartext password is stored.
//! - EXTERNAL (RFC 4422 Appendix A; certificate identities per XEP-0178 supplied by the caller).
//! - ANONYMOUS (RFC 4505).
//! - Stored credentials ([`ScramCredentials`]): PBKDF2 with 4096..=1,000,000 iterations
//!   (default 10,000); passwords prepared with OpaqueString (RFC 8265) or SASLprep (RFC 4013),
//!   usernames with the RFC 7622 §3.3 localpart rules or SASLprep (RFC 5802 §5.1).
//!
//! Error mapping: syntax errors → `malformed-request`; bad Base64 around the payload →
//! `incorrect-encoding` (the stream layer's job, via [`b64`]); wrong proof or password,
//! unknown user, channel-binding mismatch, a `y` flag while -PLUS is offered, or an
//! unavailable binding type → `not-authorized`; a `p=` flag with a non-PLUS mechanism or
//! `n`/`y` with a -PLUS one → `malformed-request`; PLAIN on a cleartext stream →
//! `encryption-required`; unknown or unoffered mechanism → `invalid-mechanism`; an ambiguous
//! EXTERNAL identity → `invalid-authzid`; RNG failure → `temporary-auth-failure`.
//! Unknown users get a salt and iteration count derived from the username and a server
//! secret, and fail exactly like a wrong password.
//!
//! ```
//! use waxwing_sasl::{b64, ClientBinding, ClientMechanism, ScramClient, ScramCredentials, ScramHash,
//!     ServerConfig, ServerContext, Step};
//!
//! let stored = ScramCredentials::new_random(ScramHash::Sha256, "pencil")?;  // kept by storage
//! let ctx = ServerContext::new(ServerConfig::new([0x5a; 32])).encrypted(true);
//! assert_eq!(ctx.offered_names(), ["SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN"]);
//!
//! let mut client = ScramClient::new(ScramHash::Sha256, "juliet", "pencil", ClientBinding::Unsupported)?;
//! // <auth mechanism='SCRAM-SHA-256'>base64</auth>
//! let auth_text = b64::encode(&client.initial_response()?.unwrap_or_default());
//! let mut server = ctx.start("SCRAM-SHA-256")?;
//! let mut step = server.step(b64::decode_initial_response(&auth_text)?.as_deref());
//! loop {
//!     step = match step {
//!         Step::NeedCredentials(req) => {
//!             assert_eq!(req.username, "juliet");
//!             server.provide_credentials(Some(&stored)) // after the async storage look-up
//!         }
//!         Step::Challenge(c) => server.step(Some(&client.respond(&c)?)),
//!         Step::Success(s) => {
//!             client.finish(s.additional_data.as_deref())?; // checks the server's `v=`
//!             assert_eq!(s.identity.authcid(), Some("juliet"));
//!             break;
//!         }
//!         Step::Failure(f) => panic!("{f}"),
//!     };
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod b64;
pub mod client;
mod credentials;
mod error;
mod hash;
mod mechanism;
pub mod prep;
mod scram;
pub mod server;

pub use client::{
    AnonymousClient, ClientBinding, ClientMechanism, ExternalClient, PlainClient,
    SaltedPasswordSource, ScramClient, choose_scram,
};
pub use credentials::{
    DEFAULT_ITERATIONS, MAX_ITERATIONS, MAX_SALT_LEN, MIN_ITERATIONS, MIN_SALT_LEN,
    RANDOM_SALT_LEN, ScramCredentials,
};
pub use error::{ClientError, Condition, CredentialsError, Failure};
pub use hash::ScramHash;
pub use mechanism::{ChannelBindingType, ChannelBindings, Mechanism};
pub use prep::{PasswordPrep, UsernamePrep};
pub use server::{
    AnonymousServer, CredentialsRequest, ExternalServer, Identity, MAX_MESSAGE_LEN, PlainServer,
    ScramServer, ServerConfig, ServerContext, ServerMechanism, Step, Success,
};
