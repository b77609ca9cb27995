//! waxwing-xml: an incremental, sans-I/O tokenizer and serializer for the XML subset that XMPP
//! streams use (RFC 6120 §11). It knows nothing of sockets: bytes go in with
//! [`Parser::feed`], events come out of [`Parser::next_event`].
//!
//! # What it implements
//! - A push parser for a never-ending stream document (RFC 6120 §4): the stream header,
//!   one complete top-level element (stanza or nonza) per event, the stream end. Input may be
//!   split anywhere, even inside a UTF-8 sequence. White space between top-level elements
//!   (keepalives, RFC 6120 §4.6.1) produces no event.
//! - XML Namespaces: prefixes resolved (the stream prefix and default namespace of the header
//!   are in scope for stanzas, `xml:` is predeclared); prefixes are not kept.
//! - XML 1.0: the five predefined entities and character references, attribute-value
//!   normalisation (§3.3.3), line-end handling (§2.11), CDATA sections.
//! - The RFC 6120 §11 restrictions, each a typed [`XmlError`] whose
//!   [`XmlError::condition`] is the RFC 6120 §4.9.3 stream error to send.
//! - [`Limits`] against denial of service (RFC 6120 §13.12, XEP-0205): stanza size, depth,
//!   attribute and namespace-declaration counts, name length; exceeding one is
//!   `policy-violation`.
//! - A serializer with minimal namespace declarations ([`Element::write_to`]).
//!
//! # Decisions
//! - CDATA sections are accepted: RFC 6120 §11.1 does not list them among the restricted
//!   constructs (and rxml accepts them). The serializer never writes them.
//! - Character data directly between top-level elements, other than white space, is
//!   `not-well-formed`: it is well-formed XML only as mixed content, which RFC 6120 §11.1
//!   does not restrict, but the stream's content model (RFC 6120 §4.7, Appendix A) has none,
//!   and no XMPP entity can process it.
//! - Unescaped `>`, `'` and `"` in character data are accepted (XML 1.0 allows them); RFC
//!   6120 §11.1 only asks senders to escape.
//! - The content namespace of the stream header (`jabber:client`, `jabber:server`, ...) is
//!   not checked here; the stream layer decides which it supports.
//! - Memory: each top-level item is split off the input buffer without copying, so its
//!   strings share the allocation of the chunk(s) it arrived in; holding a parsed stanza for
//!   long keeps at most that buffer alive. Strings that needed unescaping are separate.
//! - Depth: the default [`Limits::max_depth`] is 64. The parser and serializer never recurse,
//!   but derived `Drop`, `PartialEq`, `Hash` and `Clone` of [`Element`] do, so parsed trees keep
//!   that recursion bounded by the limit.

mod build;
mod chars;
mod decl;
mod element;
mod error;
mod intern;
mod parser;
#[cfg(test)]
mod tests;
mod write;

pub use element::{Attr, ByteString, Element, Node, XML_NS, XMLNS_NS};
pub use error::{Construct, Limit, XmlError, XmlErrorCondition};
pub use parser::Parser;
pub use write::write_stream_end;

/// The streams namespace (RFC 6120 §4.8.1).
pub const STREAMS_NS: &str = "http://etherx.jabber.org/streams";

/// Resource limits against denial of service (RFC 6120 §13.12, XEP-0205). Exceeding any is a
/// `policy-violation`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Maximum size in bytes of one top-level item (stanza, nonza or stream header), and so
    /// of the parser's buffer. Default 256 KiB.
    pub max_stanza_bytes: usize,
    /// Maximum element nesting depth within a top-level element (which is depth 1). Default 64.
    pub max_depth: usize,
    /// Maximum attributes per element, namespace declarations not counted. Default 64.
    pub max_attrs: usize,
    /// Maximum length in bytes of an element or attribute name, prefix included. Default 256.
    pub max_name_len: usize,
    /// Maximum namespace declarations per element. Default 32.
    pub max_ns_decls: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_stanza_bytes: 256 * 1024,
            max_depth: 64,
            max_attrs: 64,
            max_name_len: 256,
            max_ns_decls: 32,
        }
    }
}

/// What the parser produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The stream header `<stream:stream ...>` (stream mode only).
    StreamStart(StreamHeader),
    /// One complete top-level element (stanza or nonza).
    Element(Element),
    /// `</stream:stream>` (stream mode only). No further events follow.
    StreamEnd,
}

/// The stream header's element and the namespaces it declares (RFC 6120 §4.7, §4.8).
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct StreamHeader {
    /// The element's namespace (always [`STREAMS_NS`] when parsed).
    pub ns: ByteString,
    /// The element's local name (always `stream` when parsed).
    pub name: ByteString,
    /// The attributes (`to`, `from`, `id`, `version`, `xml:lang`, ...), declarations excluded.
    pub attrs: Vec<Attr>,
    /// The default namespace declared on the header: the content namespace, e.g. `jabber:client`.
    pub default_ns: Option<ByteString>,
    /// Prefix declarations on the header, `(prefix, namespace)`, in document order.
    pub prefixes: Vec<(ByteString, ByteString)>,
}

impl StreamHeader {
    /// A header in the streams namespace with content namespace `default_ns`.
    pub fn new(default_ns: impl Into<ByteString>) -> Self {
        Self {
            ns: ByteString::from_static(STREAMS_NS),
            name: ByteString::from_static("stream"),
            attrs: Vec::new(),
            default_ns: Some(default_ns.into()),
            prefixes: vec![(
                ByteString::from_static("stream"),
                ByteString::from_static(STREAMS_NS),
            )],
        }
    }

    /// Value of the unprefixed attribute `name`.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.is_none() && *a.name == *name)
            .map(|a| &*a.value)
    }

    /// `xml:lang`, if present.
    pub fn lang(&self) -> Option<&str> {
        self.attrs
            .iter()
            .find(|a| a.ns.as_deref() == Some(XML_NS) && &*a.name == "lang")
            .map(|a| &*a.value)
    }
}

/// Parses one complete standalone element (surrounding white space allowed) with default
/// limits, except that the size limit grows to fit `xml`.
pub fn parse_element(xml: &[u8]) -> Result<Element, XmlError> {
    let limits = Limits {
        max_stanza_bytes: Limits::default().max_stanza_bytes.max(xml.len()),
        ..Limits::default()
    };
    parse_element_with(xml, limits)
}

/// Parses one complete standalone element with the given limits.
pub fn parse_element_with(xml: &[u8], limits: Limits) -> Result<Element, XmlError> {
    let mut p = Parser::new_fragments(limits);
    p.feed(xml);
    match p.next_event()? {
        Some(Event::Element(e)) => match p.next_event()? {
            None if p.buffered() == 0 => Ok(e),
            _ => Err(XmlError::NotWellFormed {
                offset: xml.len() - p.buffered(),
                reason: "data after the element",
            }),
        },
        Some(_) | None => Err(XmlError::NotWellFormed {
            offset: xml.len(),
            reason: "unexpected end of input",
        }),
    }
}
