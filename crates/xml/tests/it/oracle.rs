//! The rxml 0.14 oracle shared by the differential tests (`differential.rs`) and the `xml_diff`
//! fuzz target (which includes this file by path): on XMPP's XML subset both parsers accept and
//! reject the same documents, and build the same trees when both accept. Only `std`, `rxml` and
//! `waxwing_xml` may be used here.
//!
//! Inputs are single standalone elements (our fragment mode; rxml parses them as whole
//! documents). Intended differences, excluded from the comparison:
//! - Limits: we enforce [`waxwing_xml::Limits`] (size, depth, attributes, names, namespace
//!   declarations); rxml only limits single tokens (8 KiB by default). Inputs over one of
//!   ours are not compared.
//! - White space and a UTF-8 byte order mark before the root element: XML 1.0 allows both
//!   (`prolog ::= XMLDecl? Misc*`, §4.3.3), and streams may well start with a newline; rxml
//!   rejects them. The oracle is given the document without them — except when an XML
//!   declaration follows, which both must then reject as a misplaced PI.
//! - `standalone='no'` in the XML declaration: it means nothing without a DTD (XML 1.0 §2.9),
//!   so we accept it; rxml rejects it. The oracle sees `standalone='yes'` instead.
//! - A lone CR in an attribute value (not followed by LF): XML 1.0 §2.11 turns it into LF
//!   and §3.3.3 then into a space; rxml 0.14 rejects it as an invalid character. The oracle
//!   sees CRLF instead, which XML defines to mean the same.
//! - A repeated namespace declaration (`xmlns='a' xmlns='a'`, or `xmlns:p` twice): XML 1.0's
//!   Unique Att Spec makes it not well-formed, and we refuse it; rxml 0.14 accepts it (found by
//!   the `xml_diff` fuzz target).
//! - A CRLF right after `]` inside a CDATA section: XML 1.0 §2.11 makes it LF, rxml 0.14 keeps
//!   the CR (found by the `xml_diff` fuzz target); `]\r\n` is compared as `]\n` on both sides.
//! - Names with characters in U+FDF0–U+FFFD: XML 1.0 (Fifth Edition) §2.3 makes them
//!   `NameStartChar`s; rxml's tables omit that range. When we accept and rxml rejects a
//!   document containing such a character, the case is not counted.
//! - The XML declaration otherwise: we accept exactly version `1.0` and UTF-8, like rxml.
//! - Error *kinds* are not compared, only the accept/reject verdict: rxml's error enum has no
//!   RFC 6120 mapping.
//! - Text: rxml may split character data into several events; trees merge adjacent text on
//!   both sides before comparing. Attribute order is compared as a set (rxml keeps attributes
//!   in a map).

use rxml::{Parse as _, error::EndOrError};
use waxwing_xml::{Element, Node, XmlError, parse_element};

/// A tree in a shape both parsers can produce: sorted attributes, merged text.
#[derive(Debug, PartialEq, Eq)]
pub struct Tree {
    ns: String,
    name: String,
    attrs: Vec<(String, String, String)>,
    children: Vec<Kid>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Kid {
    El(Tree),
    Text(String),
}

fn push_text(kids: &mut Vec<Kid>, t: &str) {
    if t.is_empty() {
        return;
    }
    if let Some(Kid::Text(prev)) = kids.last_mut() {
        prev.push_str(t);
    } else {
        kids.push(Kid::Text(t.to_owned()));
    }
    // The CDATA `]\r\n` difference (module doc), factored out on both sides.
    if let Some(Kid::Text(last)) = kids.last_mut()
        && last.contains("]\r\n")
    {
        *last = last.replace("]\r\n", "]\n");
    }
}

pub fn from_ours(e: &Element) -> Tree {
    let mut attrs: Vec<_> = e
        .attrs()
        .iter()
        .map(|a| {
            (
                a.ns.as_deref().unwrap_or("").to_owned(),
                a.name.to_string(),
                a.value.to_string(),
            )
        })
        .collect();
    attrs.sort();
    let mut children = Vec::new();
    for n in e.nodes() {
        match n {
            Node::Element(c) => children.push(Kid::El(from_ours(c))),
            Node::Text(t) => push_text(&mut children, t),
        }
    }
    Tree {
        ns: e.ns().to_owned(),
        name: e.name().to_owned(),
        attrs,
        children,
    }
}

/// Parses a complete document with rxml and builds its root's tree.
pub fn rxml_tree(doc: &[u8]) -> Result<Tree, String> {
    let mut p = rxml::Parser::new();
    let mut buf = doc;
    let mut stack: Vec<Tree> = Vec::new();
    let mut root = None;
    loop {
        match p.parse(&mut buf, true) {
            Ok(Some(rxml::Event::StartElement(_, (ns, name), attrs))) => {
                let mut attrs: Vec<_> = attrs
                    .into_iter()
                    .map(|((ans, an), v)| (ans.as_str().to_owned(), an.to_string(), v))
                    .collect();
                attrs.sort();
                stack.push(Tree {
                    ns: ns.as_str().to_owned(),
                    name: name.to_string(),
                    attrs,
                    children: Vec::new(),
                });
            }
            Ok(Some(rxml::Event::EndElement(_))) => {
                let t = stack.pop().ok_or("unbalanced")?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Kid::El(t)),
                    None => root = Some(t),
                }
            }
            Ok(Some(rxml::Event::Text(_, t))) => {
                if let Some(top) = stack.last_mut() {
                    push_text(&mut top.children, &t);
                }
            }
            Ok(Some(rxml::Event::XmlDeclaration(..))) => {}
            Ok(None) => return root.ok_or_else(|| "no root".to_owned()),
            Err(EndOrError::NeedMoreData) => return Err("incomplete".to_owned()),
            Err(EndOrError::Error(e)) => return Err(e.to_string()),
        }
    }
}

/// Whether `doc` contains a character that rxml wrongly refuses in names.
fn has_fdf0_block(doc: &[u8]) -> bool {
    String::from_utf8_lossy(doc)
        .chars()
        .any(|c| ('\u{FDF0}'..='\u{FFFD}').contains(&c))
}

/// Compares verdicts and trees; returns a description of any disagreement.
pub fn compare(doc: &[u8]) -> Result<(), String> {
    // The intended differences listed in the module documentation.
    let mut oracle = doc.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(doc);
    // XML's white space (the `S` production) only: `trim_ascii_start` would also eat U+000C.
    let start = oracle
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
        .unwrap_or(oracle.len());
    let trimmed = oracle.get(start..).unwrap_or_default();
    if !trimmed.starts_with(b"<?xml") {
        oracle = trimmed;
    }
    let oracle = String::from_utf8_lossy(oracle)
        .replace("standalone='no'", "standalone='yes'")
        .replace("standalone=\"no\"", "standalone=\"yes\"")
        .replace("\r\n", "\r")
        .replace('\r', "\r\n");
    let oracle = if std::str::from_utf8(doc).is_ok() {
        oracle.as_bytes()
    } else {
        doc
    };
    let ours = match parse_element(doc) {
        Ok(e) => Ok(from_ours(&e)),
        // Limits are ours alone (module doc).
        Err(XmlError::LimitExceeded { .. }) => return Ok(()),
        Err(e) => Err(e),
    };
    match (ours, rxml_tree(oracle)) {
        (Ok(a), Ok(b)) if a == b => Ok(()),
        (Err(XmlError::DuplicateAttribute { name, .. }), Ok(_))
            if name == "xmlns" || name.starts_with("xmlns:") =>
        {
            Ok(())
        }
        (Ok(a), Ok(b)) => Err(format!("trees differ: ours {a:?}, rxml {b:?}")),
        (Err(_), Err(_)) => Ok(()),
        (Ok(_), Err(_)) if has_fdf0_block(doc) => Ok(()),
        (Ok(_), Err(e)) => Err(format!("we accept, rxml rejects: {e}")),
        (Err(e), Ok(_)) => Err(format!("we reject, rxml accepts: {e}")),
    }
}
