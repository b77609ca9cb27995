//! STARTTLS (RFC 6120 §5.4.2): the client's `<starttls/>` and our two answers.

use waxwing_stanza::ns;
use waxwing_xml::Element;

/// Whether `el` is the client's `<starttls/>` command.
pub fn is_starttls(el: &Element) -> bool {
    el.is("starttls", ns::XMPP_TLS)
}

/// `<proceed/>` (RFC 6120 §5.4.2.3): the TLS handshake follows.
pub fn proceed() -> Element {
    Element::new(ns::XMPP_TLS, "proceed")
}

/// `<failure/>` (RFC 6120 §5.4.2.2): after it the stream is closed without a stream error
/// and the connection terminated. Sent also for `<starttls/>` when TLS is not offered (already
/// encrypted, or no TLS on this listener): the command cannot proceed.
pub fn failure() -> Element {
    Element::new(ns::XMPP_TLS, "failure")
}
