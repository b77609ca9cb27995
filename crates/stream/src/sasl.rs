//! SASL negotiation elements (RFC 6120 §6.4): reading `<auth/>`, `<response/>` and
//! `<abort/>`, writing `<challenge/>`, `<success/>` and `<failure/>`.

use waxwing_sasl::{Condition, Failure, b64};
use waxwing_stanza::ns;
use waxwing_xml::{Element, XML_NS};

/// A client SASL command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// `<auth mechanism='…'>` (RFC 6120 §6.4.2). The payload is `None` for an absent initial
    /// response, `Some(vec![])` for `=`; an error is the failure condition to answer with.
    Auth {
        /// The mechanism name; absent is answered with `invalid-mechanism`.
        mechanism: Option<String>,
        /// The decoded initial response.
        payload: Result<Option<Vec<u8>>, Condition>,
    },
    /// `<response/>` (RFC 6120 §6.4.3), decoded.
    Response(Result<Vec<u8>, Condition>),
    /// `<abort/>` (RFC 6120 §6.4.4).
    Abort,
    /// Another element in the SASL namespace (`malformed-request`).
    Unknown,
}

/// Reads an element in the SASL namespace; `None` for any other element.
///
/// Payloads are strict Base64 (RFC 6120 §6.4.2, RFC 4648 §4): white space, missing padding
/// or stray bits are `incorrect-encoding`; child elements are `malformed-request`.
pub fn read(el: &Element) -> Option<Command> {
    if el.ns() != ns::XMPP_SASL {
        return None;
    }
    let text = || {
        if el.children().next().is_some() {
            return Err(Condition::MalformedRequest);
        }
        Ok(el.text())
    };
    Some(match el.name() {
        "auth" => Command::Auth {
            mechanism: el.attr("mechanism").map(str::to_owned),
            payload: text().and_then(|t| {
                b64::decode_initial_response(&t).map_err(|_| Condition::IncorrectEncoding)
            }),
        },
        "response" => Command::Response(
            text().and_then(|t| b64::decode_strict(&t).map_err(|_| Condition::IncorrectEncoding)),
        ),
        "abort" => Command::Abort,
        _ => Command::Unknown,
    })
}

/// `<challenge/>` carrying `data` (an empty challenge is `=`, RFC 6120 §6.4.3).
pub fn challenge(data: &[u8]) -> Element {
    Element::new(ns::XMPP_SASL, "challenge").with_text(b64::encode(data))
}

/// `<success/>` with its additional data, if any (RFC 6120 §6.4.6; empty data is `=`).
pub fn success(additional_data: Option<&[u8]>) -> Element {
    let el = Element::new(ns::XMPP_SASL, "success");
    match additional_data {
        Some(d) => el.with_text(b64::encode(d)),
        None => el,
    }
}

/// `<failure/>` with the condition and the failure's text, if any (RFC 6120 §6.5); the
/// text is ours, so it is marked English.
pub fn failure(f: &Failure) -> Element {
    let mut el = Element::new(ns::XMPP_SASL, "failure");
    el.append_child(Element::new(ns::XMPP_SASL, f.condition.as_str()));
    if let Some(text) = &f.text {
        let mut t = Element::new(ns::XMPP_SASL, "text");
        t.set_attr_ns(XML_NS, "lang", "en");
        el.append_child(t.with_text(text.clone()));
    }
    el
}

#[cfg(test)]
mod tests {
    use super::*;
    use waxwing_xml::parse_element;

    fn cmd(s: &str) -> Command {
        read(&parse_element(s.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn initial_responses() {
        let auth = |payload| Command::Auth {
            mechanism: Some("PLAIN".into()),
            payload,
        };
        assert_eq!(
            cmd("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>"),
            auth(Ok(None))
        );
        assert_eq!(
            cmd("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>=</auth>"),
            auth(Ok(Some(vec![])))
        );
        assert_eq!(
            cmd("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>YQ==</auth>"),
            auth(Ok(Some(b"a".to_vec())))
        );
        assert_eq!(
            cmd("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>YQ</auth>"),
            auth(Err(Condition::IncorrectEncoding))
        );
        assert_eq!(
            cmd("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'><x/></auth>"),
            auth(Err(Condition::MalformedRequest))
        );
        assert_eq!(
            cmd("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
            Command::Response(Ok(vec![]))
        );
        assert_eq!(
            cmd("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'> YQ==</response>"),
            Command::Response(Err(Condition::IncorrectEncoding))
        );
        assert_eq!(
            cmd("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
            Command::Abort
        );
        assert_eq!(
            cmd("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
            Command::Unknown
        );
        assert!(read(&parse_element(b"<auth xmlns='other'/>").unwrap()).is_none());
    }

    #[test]
    fn answers() {
        assert_eq!(
            challenge(b"").to_xml(),
            "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</challenge>"
        );
        assert_eq!(
            success(None).to_xml(),
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
        );
        assert_eq!(
            success(Some(b"")).to_xml(),
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</success>"
        );
        assert_eq!(
            failure(&Failure::with_text(
                Condition::NotAuthorized,
                "invalid-proof"
            ))
            .to_xml(),
            "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/>\
             <text xml:lang='en'>invalid-proof</text></failure>"
        );
    }
}
