//! The crate's error type: which part of an address failed, and why.

use std::fmt;

/// One of the three parts of an XMPP address (RFC 7622 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    /// The optional `localpart@` (RFC 7622 §3.3).
    Localpart,
    /// The mandatory domainpart (RFC 7622 §3.2).
    Domainpart,
    /// The optional `/resourcepart` (RFC 7622 §3.4).
    Resourcepart,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::Localpart => "localpart",
            Part::Domainpart => "domainpart",
            Part::Resourcepart => "resourcepart",
        })
    }
}

/// Why an address, or one of its parts, was refused.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum JidError {
    /// The whole input is longer than any valid address could be; refused before any
    /// Unicode preparation is attempted, so that the work done is bounded.
    #[error("address is {len} octets, over the {max}-octet input limit")]
    InputTooLong {
        /// Octets in the input.
        len: usize,
        /// The limit ([`crate::MAX_INPUT_LEN`]).
        max: usize,
    },
    /// A part is empty: `@example.com`, `juliet@`, `example.com/`, or an empty string
    /// (RFC 7622 §3.1, §3.2, §3.3, §3.4).
    #[error("{0} is empty")]
    Empty(Part),
    /// A part is longer than 1023 octets after preparation (RFC 7622 §3.2–§3.4).
    #[error("{part} is {len} octets after preparation, over the 1023-octet limit")]
    PartTooLong {
        /// Which part.
        part: Part,
        /// Its length in octets after preparation.
        len: usize,
    },
    /// A part contains a code point its profile refuses: disallowed by the PRECIS string
    /// class or by RFC 7622 §3.3.1, prohibited or unassigned in stringprep (RFC 3454 §5, §7).
    #[error("{part} contains the disallowed code point U+{:04X}", u32::from(*codepoint))]
    Disallowed {
        /// Which part.
        part: Part,
        /// The offending code point.
        codepoint: char,
    },
    /// A part violates the bidirectional text rule (RFC 5893 for PRECIS via RFC 8265,
    /// RFC 3454 §6 for stringprep).
    #[error("{part} violates the bidirectional text rule")]
    Bidi {
        /// Which part.
        part: Part,
    },
    /// A part is not a valid string of its profile for another reason (a PRECIS context
    /// rule, or a string that does not stabilise under preparation, RFC 8264 §7).
    #[error("{part} is not a valid string of its profile")]
    Invalid {
        /// Which part.
        part: Part,
    },
    /// The domainpart is not a valid internationalized domain name: a label is empty,
    /// over 63 octets, has a hyphen where none may be, holds a code point IDNA refuses,
    /// or is a malformed A-label (RFC 7622 §3.2, RFC 5890–5892; RFC 3490 for the
    /// legacy profile).
    #[error("domainpart is not a valid domain name")]
    InvalidDomain,
    /// The domainpart looks like an IP literal but is not a valid IPv4 address or
    /// bracketed IPv6 address (RFC 7622 §3.2, RFC 3986 §3.2.2).
    #[error("domainpart is not a valid IP address literal")]
    InvalidIpLiteral,
    /// A full JID was required but the address has no resourcepart.
    #[error("address has no resourcepart where a full JID is required")]
    MissingResource,
    /// A bare JID was required but the address has a resourcepart.
    #[error("address has a resourcepart where a bare JID is required")]
    UnexpectedResource,
}
