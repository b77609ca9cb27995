//! waxwing-stream: sans-I/O negotiation of client-to-server XML streams. A
//! [`C2sNegotiator`] is fed bytes and returns [`Action`]s (bytes to write, a TLS handshake
//! to run, credentials to fetch, a resource to check); the network layer performs them and
//! reports back. No sockets, no async, no storage: every exchange is testable byte for byte.
//!
//! ```
//! use std::sync::Arc;
//! use waxwing_sasl::{ScramCredentials, ScramHash, ServerConfig};
//! use waxwing_stream::{Action, C2sConfig, C2sNegotiator, ConnInfo, CredentialsLookup, TlsMode};
//!
//! let mut cfg = C2sConfig::new(["example.com"], ServerConfig::new([7; 32]));
//! cfg.tls = TlsMode::Direct;
//! let mut n = C2sNegotiator::new(Arc::new(cfg), ConnInfo::direct_tls(Default::default()));
//! let mut out = Vec::new();
//! n.feed(b"<stream:stream to='example.com' version='1.0' xmlns='jabber:client' \
//!          xmlns:stream='http://etherx.jabber.org/streams'>", &mut out);
//! let Some(Action::Send(header_and_features)) = out.pop() else { unreachable!() };
//! assert!(header_and_features.ends_with(b"<mechanism>PLAIN</mechanism></mechanisms></stream:features>"));
//!
//! // PLAIN: "\0juliet\0pencil"
//! n.feed(b"<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldABwZW5jaWw=</auth>", &mut out);
//! let Some(Action::FetchCredentials { user, .. }) = out.pop() else { unreachable!() };
//! assert_eq!(user.as_str(), "juliet@example.com");
//! let stored = ScramCredentials::derive(ScramHash::Sha256, "pencil", b"0123456789abcdef", 4096)?;
//! n.credentials(CredentialsLookup::Found(stored), &mut out);
//! assert_eq!(out[0], Action::Send(b"<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>".to_vec()));
//! assert!(matches!(out[1], Action::Authenticated { .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # What it implements
//! - RFC 6120 §4.2–§4.4, §4.7–§4.9: stream headers (checks of the stream namespace and
//!   prefix, content namespace, `to`, `version`; `from`/`xml:lang` reflection; fresh stream
//!   ids per restart), stream errors (our header first when none was sent, §4.9.1.2, from our
//!   own domain when the client named none we serve, §4.9.1.3), the
//!   closing handshake, white-space keepalives.
//! - RFC 6120 §4.3.2: stream features per stage ([`features`]).
//! - RFC 6120 §5: STARTTLS, mandatory or optional ([`TlsMode`]), `<proceed/>`/`<failure/>`.
//! - RFC 6120 §6: SASL with strict Base64, `<challenge/>`/`<response/>`, `<success/>` with
//!   additional data, `<failure/>` conditions, `<abort/>`, authzid rules (§6.3.8), stream
//!   restart; mechanisms from `waxwing-sasl` (SCRAM-SHA-*(-PLUS), PLAIN, ...) and the
//!   XEP-0440 channel-binding capability.
//! - RFC 6120 §7: resource binding, client-chosen (OpaqueString, RFC 7622 §3.4) or
//!   server-generated (UUID); conflicts are the caller's ([`Action::Bind`]).
//! - RFC 3921 §3 session establishment as `<optional/>` (draft-cridland-xmpp-session-01).
//!
//! # Decisions (where the RFC leaves a choice)
//! - The stream namespace must use the `stream` prefix (RFC 6120 §4.8.5 permits this
//!   restriction); `jabber:client` must be declared as the default namespace (we do not
//!   accept prefix-free canonicalization of §4.8.2): `bad-namespace-prefix` and
//!   `invalid-namespace` otherwise. A missing `to` is `host-unknown`, like an unknown one;
//!   after a restart `to` must name the same domain as before.
//! - An invalid `from` in the header is ignored (not reflected) rather than refused.
//! - With TLS required, only `<starttls/>` is offered first (RFC 6120 §5.3.1). An `<auth/>`
//!   before TLS is answered with SASL `<encryption-required/>` (RFC 6120 §6.5.4, as Prosody
//!   and ejabberd do) and counts as a failed attempt. `<starttls/>` when TLS is not on offer
//!   (already encrypted, or disabled) takes RFC 6120 §5.4.2.2's failure case: `<failure/>`,
//!   then `</stream:stream>` without a stream error.
//! - Stanzas or any other element before authentication or before binding:
//!   `not-authorized` stream error (RFC 6120 §4.9.3.12).
//! - Each SASL `<failure/>` (bad encoding, malformed request, unknown mechanism, wrong
//!   password, abort, ...) keeps the stream open for a retry; the one reaching
//!   [`C2sConfig::max_auth_failures`] is followed by a `policy-violation` stream error.
//!   `<auth/>` without `mechanism` is `invalid-mechanism` (as in Prosody).
//! - A disabled account fails with `account-disabled` only after the client proved the
//!   password ([`CredentialsLookup::Disabled`]), so the state does not leak to guessers.
//! - A SASL element after authentication is a `policy-violation` stream error; a second
//!   bind after binding gets a `not-allowed` IQ error; an element in `jabber:client` that is
//!   not a stanza, or a stream-namespace element, is `unsupported-stanza-type`
//!   (RFC 6120 §4.9.3.24). A `<stream:error/>` from the peer closes our stream without one.
//! - Nothing is validated in stanzas after binding (in particular a client-supplied `from`):
//!   that is the router's job (RFC 6120 §8.1.2.1).
//! - XML errors are fatal with the condition of [`waxwing_xml::XmlError::condition`].
//!
//! # Server-to-server
//! [`s2s`] negotiates `jabber:server` streams in both directions ([`S2sInbound`],
//! [`S2sOutbound`]): STARTTLS, SASL EXTERNAL (RFC 6120 §13.7.2, XEP-0178), dialback
//! (XEP-0220, keys per XEP-0185 in [`s2s_dialback`]); it reuses [`features`], [`sasl`] and
//! [`mod@write`].
//!
//! # Designed for, not built
//! WebSocket framing (RFC 7395) would replace the header and end writers; SASL2
//! / Bind2 (XEP-0388/0386) and XEP-0198 resumption add stages to the negotiator.

mod action;
pub mod bind;
mod config;
pub mod features;
pub mod header;
mod negotiator;
pub mod s2s;
pub mod s2s_dialback;
pub mod sasl;
pub mod session;
pub mod starttls;
pub mod write;

pub use action::{Action, CredentialsLookup};
pub use config::{C2sConfig, ConnInfo, TlsMode};
pub use negotiator::C2sNegotiator;
pub use s2s::{
    AuthMethod, PeerCert, Purpose, S2sAction, S2sConfig, S2sInbound, S2sOutbound, write_s2s_header,
    write_s2s_stanza,
};
pub use write::{write_stanza, write_stream_end, write_stream_error};
