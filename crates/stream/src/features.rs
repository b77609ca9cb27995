//! The `<stream:features/>` advertised at each stage of negotiation (RFC 6120 §4.3.2).

use waxwing_sasl::ServerContext;
use waxwing_stanza::ns;
use waxwing_xml::Element;

/// `<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>`, with `<required/>` when TLS is
/// mandatory-to-negotiate (RFC 6120 §5.4.1).
pub fn starttls(required: bool) -> Element {
    let el = Element::new(ns::XMPP_TLS, "starttls");
    if required {
        el.with_child(Element::new(ns::XMPP_TLS, "required"))
    } else {
        el
    }
}

/// The SASL features for a connection: `<mechanisms/>` (RFC 6120 §6.4.1) and, when a -PLUS
/// mechanism is offered, XEP-0440's `<sasl-channel-binding/>` listing the binding types.
/// Empty when no mechanism can be offered (an empty `<mechanisms/>` would be useless).
pub fn sasl(ctx: &ServerContext) -> Vec<Element> {
    let names = ctx.offered_names();
    if names.is_empty() {
        return Vec::new();
    }
    let mut mechanisms = Element::new(ns::XMPP_SASL, "mechanisms");
    for name in names {
        mechanisms.append_child(Element::new(ns::XMPP_SASL, "mechanism").with_text(name));
    }
    let mut out = vec![mechanisms];
    let types = ctx.channel_binding_types();
    if !types.is_empty() {
        let mut cb = Element::new(ns::SASL_CB, "sasl-channel-binding");
        for t in types {
            cb.append_child(Element::new(ns::SASL_CB, "channel-binding").with_attr("type", t));
        }
        out.push(cb);
    }
    out
}

/// The features after SASL: `<bind/>` (RFC 6120 §7.4), the RFC 3921 session marked
/// `<optional/>` (draft-cridland-xmpp-session-01, as RFC 6121 dropped it) when offered, then
/// the modules' features.
pub fn post_auth(offer_session: bool, extra: &[Element]) -> Vec<Element> {
    let mut out = vec![Element::new(ns::XMPP_BIND, "bind")];
    if offer_session {
        out.push(
            Element::new(ns::XMPP_SESSION, "session")
                .with_child(Element::new(ns::XMPP_SESSION, "optional")),
        );
    }
    out.extend(extra.iter().cloned());
    out
}

/// Wraps feature elements in `<stream:features/>`.
pub fn features(children: Vec<Element>) -> Element {
    let mut el = Element::new(ns::STREAM, "features");
    for c in children {
        el.append_child(c);
    }
    el
}
