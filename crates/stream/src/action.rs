//! What the negotiator asks the network layer to do, and the answers it takes back.

use waxwing_jid::{BareJid, FullJid};
use waxwing_sasl::{Mechanism, ScramCredentials, ScramHash};
use waxwing_stanza::StreamError;
use waxwing_xml::Element;

/// One thing for the network layer to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Write these bytes (already serialized). Consecutive writes are merged into one.
    Send(Vec<u8>),
    /// Flush the pending writes (they end with `<proceed/>`), run the TLS handshake on the
    /// socket, then call [`crate::C2sNegotiator::tls_established`]. Bytes received before the
    /// handshake must not be fed (RFC 6120 §5.4.3.3): they were sent in the clear.
    StartTls,
    /// Look the account up and answer with [`crate::C2sNegotiator::credentials`]. `hash` is
    /// the SCRAM hash whose stored keys are needed; `None` means any (PLAIN: prefer the
    /// strongest stored set).
    FetchCredentials {
        /// The account (prepared localpart at the stream's domain).
        user: BareJid,
        /// Which stored credentials the mechanism needs.
        hash: Option<ScramHash>,
    },
    /// SASL succeeded (the `<success/>` is in the preceding `Send`); the stream restarts.
    Authenticated {
        /// The authenticated account.
        user: BareJid,
        /// The mechanism used.
        mechanism: Mechanism,
    },
    /// The client asked to bind `jid` (RFC 6120 §7). The caller checks the session registry
    /// and answers with [`crate::C2sNegotiator::bind_result`]: `Ok` with the JID to bind (it
    /// may change the resource, RFC 6120 §7.7.2.2), or a stanza error (`conflict`,
    /// `not-allowed`, `resource-constraint`, RFC 6120 §7.7.2).
    ///
    /// Default conflict policy (the caller enforces it): the new session wins; the old one
    /// is closed with a `<conflict/>` stream error ([`crate::C2sNegotiator::close`]), as
    /// RFC 6120 §7.7.2.2 allows and most servers do.
    Bind {
        /// The requested full JID, resource already prepared (OpaqueString, RFC 7622 §3.4).
        jid: FullJid,
        /// Whether the server generated the resource (the client sent none).
        generated: bool,
    },
    /// Negotiation is done; from now on stanzas arrive as [`Action::Stanza`].
    Bound {
        /// The session's full JID.
        jid: FullJid,
    },
    /// A `<message/>`, `<presence/>` or `<iq/>` in `jabber:client` after binding, unchanged.
    /// Nothing is validated here: the router parses it ([`waxwing_stanza::Stanza`]) and
    /// stamps or checks `from` (RFC 6120 §8.1.2.1) — a client-supplied `from` is passed on
    /// as received.
    Stanza(Element),
    /// Any other top-level element after binding in a namespace other than `jabber:client`
    /// and the stream namespace (XEP-0198 `<r/>`, XEP-0352 `<active/>`, ...), for modules.
    Nonza(Element),
    /// Our side of the stream is closed: the stream error (if any) and `</stream:stream>` are
    /// in the preceding `Send`. Flush, then close the connection once the peer closes its
    /// stream ([`Action::PeerClosed`]) or a short grace period passes (RFC 6120 §4.4).
    Close {
        /// The stream error sent, for logging.
        error: Option<StreamError>,
    },
    /// The peer closed its stream. Both streams are now closed (our `</stream:stream>`, if
    /// still owed, is in the preceding `Send`): flush and close the connection.
    PeerClosed,
}

/// The answer to [`Action::FetchCredentials`].
#[derive(Clone, PartialEq, Eq)]
pub enum CredentialsLookup {
    /// The account exists and is enabled.
    Found(ScramCredentials),
    /// The account exists but is disabled: the exchange runs to its end so that only a
    /// client that proves the password learns this, then fails with `account-disabled`
    /// (RFC 6120 §6.5.2).
    Disabled(ScramCredentials),
    /// No such account: the mechanism fails exactly as for a wrong password.
    NotFound,
    /// Storage could not answer: `temporary-auth-failure` (RFC 6120 §6.5.11).
    Unavailable,
}

impl std::fmt::Debug for CredentialsLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Found(_) => "Found",
            Self::Disabled(_) => "Disabled",
            Self::NotFound => "NotFound",
            Self::Unavailable => "Unavailable",
        })
    }
}
