//! Resource binding (RFC 6120 §7): reading the client's request and writing the answers.

use waxwing_jid::FullJid;
use waxwing_stanza::{StanzaError, StanzaErrorCondition, ns};
use waxwing_xml::{ByteString, Element, Node};

/// A well-formed bind request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BindRequest {
    /// The IQ's `id`, echoed in the answer.
    pub id: ByteString,
    /// The resource the client asked for, unprepared; `None` when it left the choice to us
    /// (no `<resource/>`, or an empty one).
    pub resource: Option<ByteString>,
}

/// Whether `el` is an IQ carrying a `<bind/>` element: a bind attempt, well-formed or not.
pub fn is_bind_iq(el: &Element) -> bool {
    el.is("iq", ns::CLIENT) && el.has_child("bind", ns::XMPP_BIND)
}

/// Reads a bind attempt (see [`is_bind_iq`]). A wrong shape — not `type='set'`, no `id`,
/// other payload beside `<bind/>`, anything but one `<resource/>` of text inside it — is
/// answered with `bad-request` (RFC 6120 §7.7.2.1, §8.3.3.1); the error is returned as the
/// reply element to send.
pub fn parse(el: &Element) -> Result<BindRequest, Element> {
    let bad = || {
        error_reply(
            el.attr_str("id"),
            &StanzaError::new(StanzaErrorCondition::BadRequest),
        )
    };
    let Some(id) = el.attr_str("id") else {
        return Err(bad());
    };
    if el.attr("type") != Some("set") || el.children().count() != 1 {
        return Err(bad());
    }
    let Some(bind) = el.get_child("bind", ns::XMPP_BIND) else {
        return Err(bad());
    };
    let mut resource = None;
    for node in bind.nodes() {
        match node {
            Node::Text(t) if t.trim().is_empty() => {}
            Node::Element(r)
                if r.is("resource", ns::XMPP_BIND)
                    && resource.is_none()
                    && r.children().next().is_none() =>
            {
                resource = Some(r.text().into_owned());
            }
            _ => return Err(bad()),
        }
    }
    Ok(BindRequest {
        id: id.clone(),
        resource: resource.filter(|r| !r.is_empty()).map(ByteString::from),
    })
}

/// `<iq type='result'><bind><jid>…</jid></bind></iq>` (RFC 6120 §7.6.1).
pub fn result_reply(id: &ByteString, jid: &FullJid) -> Element {
    Element::new(ns::CLIENT, "iq")
        .with_attr("id", id.clone())
        .with_attr("type", "result")
        .with_child(
            Element::new(ns::XMPP_BIND, "bind")
                .with_child(Element::new(ns::XMPP_BIND, "jid").with_text(jid.as_str().to_owned())),
        )
}

/// `<iq type='error'>` with `err` (RFC 6120 §7.7.2, §8.3.1), echoing `id` when there is one.
pub fn error_reply(id: Option<&ByteString>, err: &StanzaError) -> Element {
    let mut r = Element::new(ns::CLIENT, "iq");
    if let Some(id) = id {
        r.set_attr("id", id.clone());
    }
    r.set_attr("type", "error");
    r.with_child(err.to_element())
}

#[cfg(test)]
mod tests {
    use super::*;
    use waxwing_xml::parse_element;

    fn el(s: &str) -> Element {
        parse_element(s.as_bytes()).unwrap()
    }

    #[test]
    fn shapes() {
        let ok = el(
            "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\n <resource>balcony</resource> </bind></iq>",
        );
        assert_eq!(parse(&ok).unwrap().resource.as_deref(), Some("balcony"));
        let empty = el(
            "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource/></bind></iq>",
        );
        assert_eq!(parse(&empty).unwrap().resource, None);
        for bad in [
            "<iq xmlns='jabber:client' type='get' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
            "<iq xmlns='jabber:client' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
            "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><x xmlns='y'/></iq>",
            "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>a</resource><resource>b</resource></bind></iq>",
            "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource><x/></resource></bind></iq>",
            "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>text</bind></iq>",
            "<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><other/></bind></iq>",
        ] {
            let e = el(bad);
            assert!(is_bind_iq(&e), "{bad}");
            let reply = parse(&e).unwrap_err();
            assert!(reply.to_xml().contains("<bad-request"), "{bad}");
        }
    }
}
