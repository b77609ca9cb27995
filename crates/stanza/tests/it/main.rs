//! Integration tests for waxwing-stanza: views, replies, IQ validation, errors, round trips.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    missing_docs
)]

mod errors;
mod iq;
mod replies;
mod roundtrip;
mod views;

use waxwing_xml::Element;

/// Parses one standalone element; test fixtures are written as XML text.
pub fn xml(s: &str) -> Element {
    waxwing_xml::parse_element(s.as_bytes()).unwrap_or_else(|e| panic!("fixture {s:?}: {e:?}"))
}

/// Parses an element and drops whitespace-only text nodes, so that fixtures can be indented.
pub fn xml_trimmed(s: &str) -> Element {
    fn trim(e: &mut Element) {
        e.nodes_mut()
            .retain(|n| !matches!(n, waxwing_xml::Node::Text(t) if t.trim().is_empty()));
        e.children_mut().for_each(trim);
    }
    let mut e = xml(s);
    trim(&mut e);
    e
}
