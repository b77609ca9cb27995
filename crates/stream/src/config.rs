//! Listener-wide configuration ([`C2sConfig`]) and per-connection facts ([`ConnInfo`]).

use waxwing_jid::{Profile, prepare_domainpart};
use waxwing_sasl::{ChannelBindings, Mechanism, ServerConfig};
use waxwing_xml::{Element, Limits};

/// How TLS is provided on a listener (RFC 6120 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// STARTTLS is offered on cleartext connections (RFC 6120 §5.4). With `required`, it is
    /// mandatory-to-negotiate: the first features carry `<required/>` and nothing else
    /// (RFC 6120 §5.3.1), so no SASL mechanism is offered before TLS.
    StartTls {
        /// Whether TLS must be negotiated before anything else.
        required: bool,
    },
    /// The connection is TLS from its first byte (XEP-0368); STARTTLS is never offered.
    Direct,
    /// No TLS on this listener (tests, or TLS terminated in front of us and reported through
    /// [`ConnInfo::encrypted`]); STARTTLS is never offered.
    None,
}

/// Built once per listener by the server and shared by its connections through an `Arc`.
#[derive(Debug, Clone)]
pub struct C2sConfig {
    /// The served domains, prepared (RFC 7622 §3.2); a stream's `to` must name one of them
    /// (RFC 6120 §4.7.2, §4.9.3.6).
    pub domains: Vec<String>,
    /// STARTTLS policy.
    pub tls: TlsMode,
    /// SASL server settings (secret for unknown-user salts, preparation profiles).
    pub sasl: ServerConfig,
    /// SASL mechanisms policy allows; the connection offers those of them its state permits
    /// (PLAIN only when encrypted, -PLUS only with channel bindings).
    pub mechanisms: Vec<Mechanism>,
    /// Parser limits (RFC 6120 §13.12).
    pub limits: Limits,
    /// SASL failures tolerated on one connection; the one that reaches this count closes the
    /// stream with `policy-violation` after its `<failure/>`.
    pub max_auth_failures: u32,
    /// Whether to advertise the RFC 3921 session feature as `<optional/>` and answer its IQ.
    pub offer_session: bool,
    /// Features contributed by modules (e.g. XEP-0198 `<sm/>`, CSI), advertised after SASL.
    pub extra_features: Vec<Element>,
    /// The JID preparation profile for domains, authzids and resources.
    pub profile: Profile,
}

impl C2sConfig {
    /// A configuration with STARTTLS required, every mechanism but ANONYMOUS and EXTERNAL,
    /// default limits, three authentication attempts and the session feature offered.
    /// Domains are prepared with the default (PRECIS) profile; ones that cannot be are kept
    /// as given, lower-cased.
    pub fn new<S: AsRef<str>>(domains: impl IntoIterator<Item = S>, sasl: ServerConfig) -> Self {
        let profile = Profile::default();
        Self {
            domains: domains
                .into_iter()
                .map(|d| {
                    prepare_domainpart(d.as_ref(), profile)
                        .unwrap_or_else(|_| d.as_ref().to_ascii_lowercase())
                })
                .collect(),
            tls: TlsMode::StartTls { required: true },
            sasl,
            mechanisms: Mechanism::ALL
                .into_iter()
                .filter(|m| !matches!(m, Mechanism::Anonymous | Mechanism::External))
                .collect(),
            limits: Limits::default(),
            max_auth_failures: 3,
            offer_session: true,
            extra_features: Vec::new(),
            profile,
        }
    }

    /// The served domain named by a stream's `to`, prepared, if we serve it.
    pub fn served_domain(&self, to: &str) -> Option<&str> {
        let prepared = prepare_domainpart(to, self.profile).ok()?;
        self.domains
            .iter()
            .find(|d| **d == prepared)
            .map(String::as_str)
    }
}

/// What the network layer knows about a new connection.
#[derive(Debug, Clone, Default)]
pub struct ConnInfo {
    /// Whether the connection is already encrypted (direct TLS, or TLS terminated by a
    /// trusted front end).
    pub encrypted: bool,
    /// Channel-binding data of that TLS session (empty without TLS).
    pub channel_bindings: ChannelBindings,
}

impl ConnInfo {
    /// A cleartext TCP connection.
    pub fn plain() -> Self {
        Self::default()
    }

    /// A direct-TLS connection (XEP-0368) with its channel bindings.
    pub fn direct_tls(channel_bindings: ChannelBindings) -> Self {
        Self {
            encrypted: true,
            channel_bindings,
        }
    }
}
