//! Serialization helpers for the network layer and the negotiator: stanzas inside a
//! `jabber:client` stream, stream-level elements with the `stream:` prefix, stream errors.

use waxwing_stanza::{StreamError, ns};
use waxwing_xml::{Attr, Element, Node, StreamHeader, XML_NS};

/// Appends a stanza (or any top-level element) as written inside a client stream: the
/// `jabber:client` default namespace of our stream header is in scope, so it is not
/// redeclared. Use one buffer per flush to write many stanzas without allocating.
pub fn write_stanza(el: &Element, out: &mut Vec<u8>) {
    if el.ns() == ns::STREAM {
        write_stream_element(el, out);
    } else {
        el.write_to(out, ns::CLIENT);
    }
}

/// Appends an element of the stream namespace (`<stream:features/>`, `<stream:error/>`)
/// with the `stream:` prefix our header declares. Old clients match the prefixed name
/// literally, so the serializer's default-namespace form is avoided. Only child elements
/// and unprefixed attributes are written (stream elements have nothing else).
pub fn write_stream_element(el: &Element, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<stream:");
    out.extend_from_slice(el.name().as_bytes());
    for a in el.attrs().iter().filter(|a| a.ns.is_none()) {
        write_attr(out, &a.name, &a.value);
    }
    let children: Vec<&Element> = el
        .nodes()
        .iter()
        .filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
        .collect();
    if children.is_empty() {
        out.extend_from_slice(b"/>");
        return;
    }
    out.push(b'>');
    for c in children {
        c.write_to(out, ns::CLIENT);
    }
    out.extend_from_slice(b"</stream:");
    out.extend_from_slice(el.name().as_bytes());
    out.push(b'>');
}

/// ` name='value'`, escaped as the xml crate's serializer does (XML 1.0 §2.4, §3.3.3).
fn write_attr(out: &mut Vec<u8>, name: &str, value: &str) {
    out.push(b' ');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"='");
    for c in value.bytes() {
        match c {
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'\'' => out.extend_from_slice(b"&apos;"),
            b'\t' => out.extend_from_slice(b"&#x9;"),
            b'\n' => out.extend_from_slice(b"&#xA;"),
            b'\r' => out.extend_from_slice(b"&#xD;"),
            _ => out.push(c),
        }
    }
    out.push(b'\'');
}

/// Appends `<stream:error>...</stream:error>` (RFC 6120 §4.9.2); follow it with
/// [`write_stream_end`].
pub fn write_stream_error(err: &StreamError, out: &mut Vec<u8>) {
    write_stream_element(&err.to_element(), out);
}

/// Appends `</stream:stream>`.
pub fn write_stream_end(out: &mut Vec<u8>) {
    waxwing_xml::write_stream_end(out);
}

/// The attributes of our response stream header (RFC 6120 §4.7).
#[derive(Debug, Clone, Copy)]
pub struct ResponseHeader<'a> {
    /// Our domain (`from`, RFC 6120 §4.7.1, §4.9.1.3).
    pub from: Option<&'a str>,
    /// The client's address reflected from its `from` (RFC 6120 §4.7.2), if valid.
    pub to: Option<&'a str>,
    /// The stream id (RFC 6120 §4.7.3).
    pub id: &'a str,
    /// The stream's default language (RFC 6120 §4.7.4).
    pub lang: &'a str,
}

/// Appends the XML declaration and our response stream header, content namespace
/// `jabber:client`, version 1.0 (RFC 6120 §4.7.5, §11.5).
pub fn write_response_header(h: &ResponseHeader<'_>, out: &mut Vec<u8>) {
    out.extend_from_slice(b"<?xml version='1.0'?>");
    let mut header = StreamHeader::new(ns::CLIENT);
    if let Some(from) = h.from {
        header.attrs.push(Attr::new("from", from));
    }
    header.attrs.push(Attr::new("id", h.id));
    if let Some(to) = h.to {
        header.attrs.push(Attr::new("to", to));
    }
    header.attrs.push(Attr::new("version", "1.0"));
    header.attrs.push(Attr::with_ns(XML_NS, "lang", h.lang));
    header.write_to(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use waxwing_stanza::StreamErrorCondition;

    fn s(b: &[u8]) -> &str {
        std::str::from_utf8(b).unwrap()
    }

    #[test]
    fn stanza_inherits_client_namespace() {
        let el = Element::new(ns::CLIENT, "message")
            .with_attr("to", "a@b")
            .with_child(Element::new(ns::CLIENT, "body").with_text("x<y"));
        let mut out = Vec::new();
        write_stanza(&el, &mut out);
        assert_eq!(s(&out), "<message to='a@b'><body>x&lt;y</body></message>");
    }

    #[test]
    fn stream_error_is_prefixed() {
        let err = StreamError::new(StreamErrorCondition::HostUnknown).with_text(Some("en"), "a'b");
        let mut out = Vec::new();
        write_stream_error(&err, &mut out);
        write_stream_end(&mut out);
        assert_eq!(
            s(&out),
            "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
             <text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>a'b</text>\
             </stream:error></stream:stream>"
        );
    }

    #[test]
    fn stream_element_attributes_are_escaped() {
        let el = Element::new(ns::STREAM, "x").with_attr("a", "'&");
        let mut out = Vec::new();
        write_stanza(&el, &mut out);
        assert_eq!(s(&out), "<stream:x a='&apos;&amp;'/>");
    }

    #[test]
    fn header() {
        let mut out = Vec::new();
        write_response_header(
            &ResponseHeader {
                from: Some("example.com"),
                to: None,
                id: "i",
                lang: "en",
            },
            &mut out,
        );
        assert_eq!(
            s(&out),
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
             xmlns:stream='http://etherx.jabber.org/streams' from='example.com' id='i' \
             version='1.0' xml:lang='en'>"
        );
    }
}
