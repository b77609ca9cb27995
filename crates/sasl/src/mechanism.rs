//! Mechanism names (RFC 4422 §3.1), channel-binding types and what to offer (XEP-0440).

use std::fmt;

use crate::hash::ScramHash;

/// A SASL mechanism this crate implements.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Mechanism {
    /// `SCRAM-<hash>` or, with `plus`, `SCRAM-<hash>-PLUS` (RFC 5802, RFC 7677).
    Scram {
        /// The hash function.
        hash: ScramHash,
        /// Whether this is the channel-binding (`-PLUS`) variant.
        plus: bool,
    },
    /// `PLAIN` (RFC 4616).
    Plain,
    /// `EXTERNAL` (RFC 4422 Appendix A).
    External,
    /// `ANONYMOUS` (RFC 4505).
    Anonymous,
}

impl Mechanism {
    /// `SCRAM-SHA-1`.
    pub const SCRAM_SHA_1: Self = Self::Scram {
        hash: ScramHash::Sha1,
        plus: false,
    };
    /// `SCRAM-SHA-1-PLUS`.
    pub const SCRAM_SHA_1_PLUS: Self = Self::Scram {
        hash: ScramHash::Sha1,
        plus: true,
    };
    /// `SCRAM-SHA-256`.
    pub const SCRAM_SHA_256: Self = Self::Scram {
        hash: ScramHash::Sha256,
        plus: false,
    };
    /// `SCRAM-SHA-256-PLUS`.
    pub const SCRAM_SHA_256_PLUS: Self = Self::Scram {
        hash: ScramHash::Sha256,
        plus: true,
    };
    /// `SCRAM-SHA-512`.
    pub const SCRAM_SHA_512: Self = Self::Scram {
        hash: ScramHash::Sha512,
        plus: false,
    };
    /// `SCRAM-SHA-512-PLUS`.
    pub const SCRAM_SHA_512_PLUS: Self = Self::Scram {
        hash: ScramHash::Sha512,
        plus: true,
    };

    /// Every mechanism in server preference order: EXTERNAL (a verified certificate beats a
    /// password), then SCRAM strongest hash first with -PLUS before its plain twin, PLAIN,
    /// ANONYMOUS.
    pub const ALL: [Self; 9] = [
        Self::External,
        Self::SCRAM_SHA_512_PLUS,
        Self::SCRAM_SHA_256_PLUS,
        Self::SCRAM_SHA_1_PLUS,
        Self::SCRAM_SHA_512,
        Self::SCRAM_SHA_256,
        Self::SCRAM_SHA_1,
        Self::Plain,
        Self::Anonymous,
    ];

    /// The registered name (RFC 4422 §3.1).
    pub const fn name(self) -> &'static str {
        match self {
            Self::Scram {
                hash: ScramHash::Sha1,
                plus: false,
            } => "SCRAM-SHA-1",
            Self::Scram {
                hash: ScramHash::Sha1,
                plus: true,
            } => "SCRAM-SHA-1-PLUS",
            Self::Scram {
                hash: ScramHash::Sha256,
                plus: false,
            } => "SCRAM-SHA-256",
            Self::Scram {
                hash: ScramHash::Sha256,
                plus: true,
            } => "SCRAM-SHA-256-PLUS",
            Self::Scram {
                hash: ScramHash::Sha512,
                plus: false,
            } => "SCRAM-SHA-512",
            Self::Scram {
                hash: ScramHash::Sha512,
                plus: true,
            } => "SCRAM-SHA-512-PLUS",
            Self::Plain => "PLAIN",
            Self::External => "EXTERNAL",
            Self::Anonymous => "ANONYMOUS",
        }
    }

    /// Looks a name up; mechanism names are case-sensitive upper case (RFC 4422 §3.1).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    /// Whether this mechanism binds to the TLS channel.
    pub const fn is_plus(self) -> bool {
        matches!(self, Self::Scram { plus: true, .. })
    }

    /// Whether the client sends a cleartext password, so TLS is required (RFC 6120 §6.4.2 bars
    /// offering such mechanisms on an unprotected stream).
    pub const fn needs_encryption(self) -> bool {
        matches!(self, Self::Plain)
    }
}

impl fmt::Display for Mechanism {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A channel-binding type (RFC 5056 §2.1; names from the IANA registry).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelBindingType {
    /// `tls-exporter` (RFC 9266). Only sound over TLS 1.3, or TLS 1.2 with the Extended Master
    /// Secret extension (RFC 7627); the TLS layer must not supply it otherwise.
    TlsExporter,
    /// `tls-server-end-point` (RFC 5929 §4): a hash of the server certificate.
    TlsServerEndPoint,
}

impl ChannelBindingType {
    /// Every type, in preference order (XEP-0440 §4 recommends tls-exporter).
    pub const ALL: [Self; 2] = [Self::TlsExporter, Self::TlsServerEndPoint];

    /// The registered name, as in the GS2 header and in XEP-0440's `<channel-binding type=/>`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::TlsExporter => "tls-exporter",
            Self::TlsServerEndPoint => "tls-server-end-point",
        }
    }

    /// Looks a name up (`tls-unique` is deliberately unsupported: undefined for TLS 1.3).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == name)
    }

    /// Whether `tls-exporter` is sound for a connection (RFC 9266 §3, §4.2).
    pub const fn tls_exporter_usable(tls13: bool, extended_master_secret: bool) -> bool {
        tls13 || extended_master_secret
    }
}

impl fmt::Display for ChannelBindingType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The channel-binding data the TLS layer can provide for this connection.
///
/// Empty means no channel binding (plain TCP, or a TLS library that cannot export): then
/// no `-PLUS` mechanism is offered and a client's `y` flag is accepted.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ChannelBindings {
    entries: Vec<(ChannelBindingType, Vec<u8>)>,
}

impl fmt::Debug for ChannelBindings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.entries.iter().map(|(t, _)| t))
            .finish()
    }
}

impl ChannelBindings {
    /// No channel binding available.
    pub const fn none() -> Self {
        Self {
            entries: Vec::new(),
        }
    }

    /// Adds (or replaces) the data for one type.
    #[must_use]
    pub fn with(mut self, kind: ChannelBindingType, data: impl Into<Vec<u8>>) -> Self {
        self.entries.retain(|(t, _)| *t != kind);
        self.entries.push((kind, data.into()));
        self.entries.sort_by_key(|(t, _)| *t);
        self
    }

    /// The data for a type, if the TLS layer offered it.
    pub fn get(&self, kind: ChannelBindingType) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(t, _)| *t == kind)
            .map(|(_, d)| d.as_slice())
    }

    /// Whether no type is available.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The available types, in preference order.
    pub fn types(&self) -> impl Iterator<Item = ChannelBindingType> + '_ {
        self.entries.iter().map(|(t, _)| *t)
    }

    /// The type names to advertise per XEP-0440 (`urn:xmpp:sasl-cb:0`).
    pub fn advertised(&self) -> Vec<&'static str> {
        self.types().map(ChannelBindingType::as_str).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for m in Mechanism::ALL {
            assert_eq!(Mechanism::from_name(m.name()), Some(m));
        }
        assert_eq!(Mechanism::from_name("scram-sha-1"), None);
        assert_eq!(Mechanism::from_name("DIGEST-MD5"), None);
        assert_eq!(ChannelBindingType::from_name("tls-unique"), None);
        assert_eq!(
            ChannelBindingType::from_name("tls-exporter"),
            Some(ChannelBindingType::TlsExporter)
        );
    }

    #[test]
    fn bindings_sorted_and_replaced() {
        let cb = ChannelBindings::none()
            .with(ChannelBindingType::TlsServerEndPoint, vec![1])
            .with(ChannelBindingType::TlsExporter, vec![2])
            .with(ChannelBindingType::TlsServerEndPoint, vec![3]);
        assert_eq!(cb.advertised(), ["tls-exporter", "tls-server-end-point"]);
        assert_eq!(
            cb.get(ChannelBindingType::TlsServerEndPoint),
            Some(&[3u8][..])
        );
        assert!(!ChannelBindingType::tls_exporter_usable(false, false));
        assert!(ChannelBindingType::tls_exporter_usable(false, true));
    }
}
