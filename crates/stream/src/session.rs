//! RFC 3921 §3 session establishment, kept for old clients: the IQ is answered with an
//! empty result and nothing else happens (draft-cridland-xmpp-session-01).

use waxwing_stanza::ns;
use waxwing_xml::{Element, XML_NS};

/// The result for a session-establishment request `<iq type='set'><session/></iq>`, or
/// `None` when `el` is not one.
pub fn reply(el: &Element) -> Option<Element> {
    if !el.is("iq", ns::CLIENT) || el.attr("type") != Some("set") {
        return None;
    }
    let id = el.attr_str("id")?;
    let mut children = el.children();
    let only = children.next()?;
    if !only.is("session", ns::XMPP_SESSION) || children.next().is_some() {
        return None;
    }
    let mut r = Element::new(ns::CLIENT, "iq")
        .with_attr("id", id.clone())
        .with_attr("type", "result");
    if let Some(lang) = el.lang() {
        r.set_attr_ns(XML_NS, "lang", lang.to_owned());
    }
    Some(r)
}
