//! The serializer: escaping (XML 1.0 §2.4, §3.3.3) and minimal namespace declarations.
//!
//! Elements are always written unprefixed, with a default-namespace declaration only where
//! the namespace differs from the parent's. Namespaced attributes get generated prefixes
//! (`ns0`, `ns1`, ...) declared on the element that carries them; `xml:` is never declared.
//! The tree is walked with an explicit stack, so depth costs heap, not call stack.
//!
//! The serializer trusts the tree's names, but not its strings: a character outside XML's
//! `Char` production (C0 controls other than TAB/LF/CR, U+FFFE, U+FFFF) is written as U+FFFD,
//! because such text reaches us from peers through error messages and must never make us emit
//! a document the other side has to reject as not well-formed.
//! Attributes that cannot be expressed are skipped: an unprefixed attribute named `xmlns` and
//! attributes in the `http://www.w3.org/2000/xmlns/` namespace.

use crate::{Attr, Element, Node, STREAMS_NS, StreamHeader, XML_NS, XMLNS_NS};

/// Bytes that need escaping in text content. `>` is always escaped, which also rules out
/// `]]>`; CR is escaped so that line-end normalisation (XML 1.0 §2.11) does not eat it.
static TEXT_SPECIAL: [bool; 256] = table(b"&<>\r");
/// Bytes that need escaping in single-quoted attribute values; TAB, LF and CR are escaped
/// because attribute-value normalisation (XML 1.0 §3.3.3) would turn them into spaces.
static ATTR_SPECIAL: [bool; 256] = table(b"&<'\t\n\r");

// Evaluated at compile time, where an out-of-bounds index is a build error, not a panic.
// Besides `special`, every byte that can start a non-`Char` is marked: C0 controls other than
// TAB/LF/CR, and 0xEF, the lead byte of U+FFFE/U+FFFF (checked in full in `escape`).
#[allow(clippy::indexing_slicing)]
const fn table(special: &[u8]) -> [bool; 256] {
    let mut t = [false; 256];
    let mut i = 0;
    while i < special.len() {
        t[special[i] as usize] = true;
        i += 1;
    }
    let mut c = 0;
    while c < 0x20 {
        if c != b'\t' as usize && c != b'\n' as usize && c != b'\r' as usize {
            t[c] = true;
        }
        c += 1;
    }
    t[0xEF] = true;
    t
}

/// UTF-8 of U+FFFD REPLACEMENT CHARACTER, written for characters XML cannot carry.
const REPLACEMENT: &[u8] = "\u{FFFD}".as_bytes();

fn escape(out: &mut Vec<u8>, s: &str, special: &[bool; 256]) {
    let b = s.as_bytes();
    let mut lit = 0;
    for (i, &c) in b.iter().enumerate() {
        if !special.get(usize::from(c)).copied().unwrap_or(false) {
            continue;
        }
        let replacement: &[u8] = match c {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'\'' => b"&apos;",
            b'\t' => b"&#x9;",
            b'\n' => b"&#xA;",
            b'\r' => b"&#xD;",
            // U+FFFE and U+FFFF are EF BF BE / EF BF BF; every other 0xEF sequence is fine.
            0xEF => match b.get(i + 1..i + 3) {
                Some([0xBF, 0xBE | 0xBF]) => {
                    out.extend_from_slice(b.get(lit..i).unwrap_or_default());
                    out.extend_from_slice(REPLACEMENT);
                    lit = i + 3;
                    continue;
                }
                _ => continue,
            },
            _ => REPLACEMENT,
        };
        out.extend_from_slice(b.get(lit..i).unwrap_or_default());
        out.extend_from_slice(replacement);
        lit = i + 1;
    }
    out.extend_from_slice(b.get(lit..).unwrap_or_default());
}

fn write_attr(out: &mut Vec<u8>, prefix: Option<&str>, name: &str, value: &str) {
    out.push(b' ');
    if let Some(p) = prefix {
        out.extend_from_slice(p.as_bytes());
        out.push(b':');
    }
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"='");
    escape(out, value, &ATTR_SPECIAL);
    out.push(b'\'');
}

fn skipped(a: &Attr) -> bool {
    match a.ns.as_deref() {
        None | Some("") => &*a.name == "xmlns",
        Some(ns) => ns == XMLNS_NS,
    }
}

/// Writes attributes, declaring generated prefixes for namespaced ones. `known` maps
/// namespaces to prefixes that are already declared on this tag.
fn write_attrs(out: &mut Vec<u8>, attrs: &[Attr], known: &[(&str, &str)]) {
    // Generated prefixes for this tag: index in `ns_list` gives `ns<index>`.
    let mut ns_list: Vec<&str> = Vec::new();
    for a in attrs {
        if let Some(ns) = a.ns.as_deref()
            && !ns.is_empty()
            && ns != XML_NS
            && ns != XMLNS_NS
            && !known.iter().any(|(_, u)| *u == ns)
            && !ns_list.contains(&ns)
        {
            ns_list.push(ns);
        }
    }
    let mut pname = String::new();
    for (i, ns) in ns_list.iter().enumerate() {
        pname.clear();
        pname.push_str("ns");
        pname.push_str(&i.to_string());
        write_attr(out, Some("xmlns"), &pname, ns);
    }
    for a in attrs {
        if skipped(a) {
            continue;
        }
        match a.ns.as_deref() {
            None | Some("") => write_attr(out, None, &a.name, &a.value),
            Some(XML_NS) => write_attr(out, Some("xml"), &a.name, &a.value),
            Some(ns) => {
                if let Some((p, _)) = known.iter().find(|(_, u)| *u == ns) {
                    write_attr(out, Some(p), &a.name, &a.value);
                } else {
                    let i = ns_list.iter().position(|n| *n == ns).unwrap_or(0);
                    pname.clear();
                    pname.push_str("ns");
                    pname.push_str(&i.to_string());
                    write_attr(out, Some(&pname), &a.name, &a.value);
                }
            }
        }
    }
}

/// Writes an element's name. An element in the XML namespace cannot be written with a default
/// namespace declaration (XML Namespaces §3 forbids declaring it), so it keeps the `xml:`
/// prefix, which is always bound.
fn write_name(out: &mut Vec<u8>, e: &Element) {
    if e.ns() == XML_NS {
        out.extend_from_slice(b"xml:");
    }
    out.extend_from_slice(e.name().as_bytes());
}

/// Opens `e` and returns the default namespace in scope for its children.
fn open_tag<'a>(out: &mut Vec<u8>, e: &'a Element, parent_default_ns: &'a str) -> &'a str {
    out.push(b'<');
    write_name(out, e);
    let default_ns = if e.ns() == XML_NS {
        parent_default_ns
    } else {
        if e.ns() != parent_default_ns {
            write_attr(out, None, "xmlns", e.ns());
        }
        e.ns()
    };
    write_attrs(out, e.attrs(), &[]);
    default_ns
}

impl Element {
    /// Appends this element's XML to `out`. `parent_default_ns` is the default namespace in
    /// scope where it is written (e.g. `jabber:client` inside a client stream): the element
    /// declares `xmlns` only if its namespace differs.
    pub fn write_to(&self, out: &mut Vec<u8>, parent_default_ns: &str) {
        // Explicit stack of (element, index of the next child to write, default namespace in
        // scope for its children).
        let mut stack: Vec<(&Element, usize, &str)> = Vec::new();
        let inner = open_tag(out, self, parent_default_ns);
        if self.nodes().is_empty() {
            out.extend_from_slice(b"/>");
            return;
        }
        out.push(b'>');
        stack.push((self, 0, inner));
        while let Some((el, idx, scope)) = stack.last_mut() {
            let el: &Element = el;
            let scope: &str = scope;
            let Some(node) = el.nodes().get(*idx) else {
                out.extend_from_slice(b"</");
                write_name(out, el);
                out.push(b'>');
                stack.pop();
                continue;
            };
            *idx += 1;
            match node {
                Node::Text(t) => escape(out, t, &TEXT_SPECIAL),
                Node::Element(child) => {
                    let inner = open_tag(out, child, scope);
                    if child.nodes().is_empty() {
                        out.extend_from_slice(b"/>");
                    } else {
                        out.push(b'>');
                        stack.push((child, 0, inner));
                    }
                }
            }
        }
    }

    /// This element as a standalone XML string (declaring its own default namespace).
    pub fn to_xml(&self) -> String {
        let mut out = Vec::new();
        self.write_to(&mut out, "");
        // Every piece written is either ASCII or a whole `str`.
        String::from_utf8(out).unwrap_or_default()
    }
}

impl StreamHeader {
    /// Appends the stream's opening tag (never self-closed), e.g.
    /// `<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'
    /// to='example.com' version='1.0'>`. The root always uses the `stream` prefix so that
    /// [`write_stream_end`] matches it; other declared prefixes are written as given.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(b"<stream:");
        out.extend_from_slice(self.name.as_bytes());
        if let Some(d) = &self.default_ns {
            write_attr(out, None, "xmlns", d);
        }
        let ns: &str = if self.ns.is_empty() {
            STREAMS_NS
        } else {
            &self.ns
        };
        write_attr(out, Some("xmlns"), "stream", ns);
        let mut known: Vec<(&str, &str)> = vec![("stream", ns)];
        for (p, u) in &self.prefixes {
            if &**p == "stream" || &**p == "xml" || &**p == "xmlns" || u.is_empty() {
                continue;
            }
            if known.iter().any(|(k, _)| *k == &**p) {
                continue;
            }
            write_attr(out, Some("xmlns"), p, u);
            known.push((p, u));
        }
        write_attrs(out, &self.attrs, &known);
        out.push(b'>');
    }
}

/// Appends the stream's closing tag, `</stream:stream>`.
pub fn write_stream_end(out: &mut Vec<u8>) {
    out.extend_from_slice(b"</stream:stream>");
}

#[cfg(test)]
mod non_char_tests {
    use crate::{Element, XML_NS, parse_element};

    #[test]
    fn elements_in_the_xml_namespace_keep_the_xml_prefix() {
        // Found by the `xml` fuzz target: `<xml:tm/>` was written as `<tm xmlns='…XML…'/>`,
        // a declaration XML Namespaces §3 forbids.
        let parsed = parse_element(b"<a xmlns='urn:a'><xml:tm><b/></xml:tm></a>").unwrap();
        let xml = parsed.to_xml();
        assert_eq!(xml, "<a xmlns='urn:a'><xml:tm><b/></xml:tm></a>");
        assert_eq!(parse_element(xml.as_bytes()).unwrap(), parsed);
        assert_eq!(Element::new(XML_NS, "x").to_xml(), "<xml:x/>");
    }

    #[test]
    fn characters_xml_cannot_carry_become_replacement_characters() {
        // Found by the `stream` fuzz target: a peer's NUL bytes echoed in an error text.
        let e = Element::new("urn:x", "text")
            .with_attr("a", "x\u{0}y\u{FFFE}")
            .with_text("end tag </a\u{0}\u{1}b> \u{FFFF}\u{FFFD}\u{EFFF}\t\n");
        let xml = e.to_xml();
        let back = parse_element(xml.as_bytes()).expect("serializer output must parse");
        assert_eq!(back.attr("a"), Some("x\u{FFFD}y\u{FFFD}"));
        assert_eq!(
            back.text(),
            "end tag </a\u{FFFD}\u{FFFD}b> \u{FFFD}\u{FFFD}\u{EFFF}\t\n"
        );
    }
}
