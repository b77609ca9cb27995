//! Typed tokenizer errors and their mapping to RFC 6120 §4.9.3 stream error conditions.

use std::fmt;

/// Why the tokenizer rejected its input. Every variant carries the byte offset (counted from the
/// start of the stream, or from the last [`crate::Parser::reset`]) where the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum XmlError {
    /// Input that is not well-formed XML 1.0 (XML 1.0 §2.1).
    #[error("not well-formed at byte {offset}: {reason}")]
    NotWellFormed {
        /// Byte offset.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// Bytes that are not UTF-8 (RFC 6120 §11.6 makes UTF-8 the only encoding).
    #[error("invalid UTF-8 at byte {offset}")]
    InvalidUtf8 {
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// A character outside XML 1.0's `Char` production (§2.2), literally or as a reference.
    #[error("character U+{code:04X} at byte {offset} is not an XML Char")]
    InvalidChar {
        /// Byte offset.
        offset: usize,
        /// The code point.
        code: u32,
    },
    /// A name that does not match the XML `Name`/Namespaces `QName` productions.
    #[error("malformed name at byte {offset}")]
    InvalidName {
        /// Byte offset.
        offset: usize,
    },
    /// The same attribute twice on one element, literally or through two prefixes bound to the
    /// same namespace (XML 1.0 WFC Unique Att Spec, XML Namespaces §6.3).
    #[error("duplicate attribute {name:?} at byte {offset}")]
    DuplicateAttribute {
        /// Byte offset.
        offset: usize,
        /// The attribute's qualified name.
        name: String,
    },
    /// An end tag that does not match its start tag (XML 1.0 WFC Element Type Match).
    #[error("end tag </{found}> at byte {offset} does not match <{expected}>")]
    MismatchedEndTag {
        /// Byte offset.
        offset: usize,
        /// Qualified name of the open element.
        expected: String,
        /// Qualified name in the end tag.
        found: String,
    },
    /// A construct that RFC 6120 §11.1 forbids in XMPP streams.
    #[error("{construct} at byte {offset} is not allowed in XMPP (RFC 6120 §11.1)")]
    Restricted {
        /// Byte offset.
        offset: usize,
        /// What was found.
        construct: Construct,
    },
    /// An entity reference other than the five predefined ones (RFC 6120 §11.1).
    #[error("undeclared entity &{name}; at byte {offset}")]
    UndeclaredEntity {
        /// Byte offset.
        offset: usize,
        /// The entity name (truncated to 64 bytes).
        name: String,
    },
    /// A prefix that no namespace declaration binds (XML Namespaces §5).
    #[error("unbound namespace prefix {prefix:?} at byte {offset}")]
    UnboundPrefix {
        /// Byte offset.
        offset: usize,
        /// The prefix.
        prefix: String,
    },
    /// A namespace declaration that XML Namespaces §3 forbids (binding `xmlns`, rebinding `xml`,
    /// binding the reserved namespaces, or undeclaring a prefix).
    #[error("invalid namespace declaration at byte {offset}: {reason}")]
    BadNamespaceDeclaration {
        /// Byte offset.
        offset: usize,
        /// What was wrong.
        reason: &'static str,
    },
    /// The stream root is not `{http://etherx.jabber.org/streams}stream` (RFC 6120 §4.9.3.10).
    #[error("stream root is {{{ns}}}{name}, expected {{http://etherx.jabber.org/streams}}stream")]
    InvalidStreamNamespace {
        /// The root's namespace.
        ns: String,
        /// The root's local name.
        name: String,
    },
    /// An encoding other than UTF-8 was declared or signalled by a byte order mark
    /// (RFC 6120 §11.6, §4.9.3.22).
    #[error("unsupported encoding {encoding:?} at byte {offset}")]
    UnsupportedEncoding {
        /// Byte offset.
        offset: usize,
        /// The declared or detected encoding.
        encoding: String,
    },
    /// A configured [`crate::Limits`] value was exceeded (RFC 6120 §4.9.3.14 `policy-violation`).
    #[error("{limit} limit of {max} exceeded at byte {offset}")]
    LimitExceeded {
        /// Byte offset.
        offset: usize,
        /// Which limit.
        limit: Limit,
        /// Its configured value.
        max: usize,
    },
}

/// The constructs RFC 6120 §11.1 forbids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Construct {
    /// `<!-- ... -->`
    Comment,
    /// `<?target ...?>` other than a leading XML declaration.
    ProcessingInstruction,
    /// `<!DOCTYPE ...>` or any other markup declaration (`<!ENTITY`, `<!ELEMENT`, ...).
    Doctype,
}

impl fmt::Display for Construct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Comment => "a comment",
            Self::ProcessingInstruction => "a processing instruction",
            Self::Doctype => "a document type or markup declaration",
        })
    }
}

/// Which of the [`crate::Limits`] was exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// [`crate::Limits::max_stanza_bytes`]
    StanzaBytes,
    /// [`crate::Limits::max_depth`]
    Depth,
    /// [`crate::Limits::max_attrs`]
    Attributes,
    /// [`crate::Limits::max_name_len`]
    NameLength,
    /// [`crate::Limits::max_ns_decls`]
    NamespaceDeclarations,
}

impl fmt::Display for Limit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::StanzaBytes => "stanza size",
            Self::Depth => "nesting depth",
            Self::Attributes => "attribute count",
            Self::NameLength => "name length",
            Self::NamespaceDeclarations => "namespace declaration count",
        })
    }
}

/// The RFC 6120 §4.9.3 stream error condition an [`XmlError`] maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum XmlErrorCondition {
    /// `<not-well-formed/>` (RFC 6120 §4.9.3.13).
    NotWellFormed,
    /// `<restricted-xml/>` (RFC 6120 §4.9.3.18).
    RestrictedXml,
    /// `<invalid-namespace/>` (RFC 6120 §4.9.3.10).
    InvalidNamespace,
    /// `<bad-namespace-prefix/>` (RFC 6120 §4.9.3.2).
    BadNamespacePrefix,
    /// `<unsupported-encoding/>` (RFC 6120 §4.9.3.22).
    UnsupportedEncoding,
    /// `<policy-violation/>` (RFC 6120 §4.9.3.14).
    PolicyViolation,
}

impl XmlErrorCondition {
    /// The element name of the condition, e.g. `not-well-formed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotWellFormed => "not-well-formed",
            Self::RestrictedXml => "restricted-xml",
            Self::InvalidNamespace => "invalid-namespace",
            Self::BadNamespacePrefix => "bad-namespace-prefix",
            Self::UnsupportedEncoding => "unsupported-encoding",
            Self::PolicyViolation => "policy-violation",
        }
    }
}

impl XmlError {
    /// The stream error condition to close the stream with.
    pub fn condition(&self) -> XmlErrorCondition {
        match self {
            Self::NotWellFormed { .. }
            | Self::InvalidUtf8 { .. }
            | Self::InvalidChar { .. }
            | Self::InvalidName { .. }
            | Self::DuplicateAttribute { .. }
            | Self::MismatchedEndTag { .. } => XmlErrorCondition::NotWellFormed,
            Self::Restricted { .. } | Self::UndeclaredEntity { .. } => {
                XmlErrorCondition::RestrictedXml
            }
            Self::UnboundPrefix { .. } | Self::BadNamespaceDeclaration { .. } => {
                XmlErrorCondition::BadNamespacePrefix
            }
            Self::InvalidStreamNamespace { .. } => XmlErrorCondition::InvalidNamespace,
            Self::UnsupportedEncoding { .. } => XmlErrorCondition::UnsupportedEncoding,
            Self::LimitExceeded { .. } => XmlErrorCondition::PolicyViolation,
        }
    }

    /// The byte offset where the problem was found, if the error has one.
    pub fn offset(&self) -> Option<usize> {
        match self {
            Self::NotWellFormed { offset, .. }
            | Self::InvalidUtf8 { offset }
            | Self::InvalidChar { offset, .. }
            | Self::InvalidName { offset }
            | Self::DuplicateAttribute { offset, .. }
            | Self::MismatchedEndTag { offset, .. }
            | Self::Restricted { offset, .. }
            | Self::UndeclaredEntity { offset, .. }
            | Self::UnboundPrefix { offset, .. }
            | Self::BadNamespaceDeclaration { offset, .. }
            | Self::UnsupportedEncoding { offset, .. }
            | Self::LimitExceeded { offset, .. } => Some(*offset),
            Self::InvalidStreamNamespace { .. } => None,
        }
    }

    /// The same error with its offset moved by `base` (builders count from the item start).
    pub(crate) fn shifted(mut self, base: usize) -> Self {
        match &mut self {
            Self::NotWellFormed { offset, .. }
            | Self::InvalidUtf8 { offset }
            | Self::InvalidChar { offset, .. }
            | Self::InvalidName { offset }
            | Self::DuplicateAttribute { offset, .. }
            | Self::MismatchedEndTag { offset, .. }
            | Self::Restricted { offset, .. }
            | Self::UndeclaredEntity { offset, .. }
            | Self::UnboundPrefix { offset, .. }
            | Self::BadNamespaceDeclaration { offset, .. }
            | Self::UnsupportedEncoding { offset, .. }
            | Self::LimitExceeded { offset, .. } => *offset = offset.saturating_add(base),
            Self::InvalidStreamNamespace { .. } => {}
        }
        self
    }
}
