//! Second pass: builds an [`Element`] (or a stream header) from the complete bytes of one
//! top-level item, which the first pass ([`crate::Parser`]) has already delimited.
//!
//! Working on a complete slice means this pass never has to suspend, so it is a plain loop with
//! an explicit stack of open elements: it never recurses on input depth. Strings that need no
//! unescaping are [`ByteString::slice_ref`] slices of the item's one buffer.

use bytestring::ByteString;
use memchr::{memchr, memchr2, memchr3};

use crate::chars::{
    CtrlScan, ascii_name_char, find_byte, ascii_name_start, is_space, is_xml_char, name_char,
    name_start_char,
};
use crate::error::{Construct, Limit};
use crate::{Attr, Element, Limits, Node, XML_NS, XMLNS_NS, XmlError};

/// Namespace bindings in scope where an item starts (the stream header's, in stream mode).
#[derive(Clone, Debug, Default)]
pub(crate) struct NsContext {
    pub default_ns: ByteString,
    pub prefixes: Vec<(ByteString, ByteString)>,
}

/// An attribute as written, before namespace resolution.
pub(crate) struct RawAttr {
    prefix: Option<(usize, usize)>,
    local: (usize, usize),
    value: ByteString,
    offset: usize,
}

struct Frame {
    ns: ByteString,
    name: ByteString,
    qname: (usize, usize),
    attrs: Vec<Attr>,
    children: Vec<Node>,
    mark: usize,
    prev_default: Option<ByteString>,
}

/// Reusable allocations, kept by the parser between items.
#[derive(Default)]
pub(crate) struct Scratch {
    raw: Vec<RawAttr>,
    bindings: Vec<(ByteString, ByteString)>,
    stack: Vec<Frame>,
}

/// A parsed start tag with its namespaces resolved.
pub(crate) struct StartTag {
    pub ns: ByteString,
    pub name: ByteString,
    pub qname: (usize, usize),
    pub attrs: Vec<Attr>,
    pub empty: bool,
    pub mark: usize,
    /// The default namespace this tag replaced, if it declared one.
    pub prev_default: Option<ByteString>,
}

/// Character data collected between two tags (runs, references and CDATA sections merge).
enum Pending {
    Empty,
    Slice(usize, usize),
    Owned(String),
}

pub(crate) struct Builder<'a> {
    src: &'a ByteString,
    s: &'a str,
    b: &'a [u8],
    pos: usize,
    limits: &'a Limits,
    ctx: &'a NsContext,
    default_ns: ByteString,
    ctrl: CtrlScan,
    scratch: Scratch,
}

/// Bytes that make an attribute value need decoding: references, the forbidden `<`, and
/// white space that normalisation turns into spaces (XML 1.0 §3.3.3).
static ATTR_SPECIAL: [bool; 256] = attr_special();

// Evaluated at compile time, where an out-of-bounds index is a build error, not a panic.
#[allow(clippy::indexing_slicing)]
const fn attr_special() -> [bool; 256] {
    let mut t = [false; 256];
    t[b'&' as usize] = true;
    t[b'<' as usize] = true;
    t[b'\t' as usize] = true;
    t[b'\n' as usize] = true;
    t[b'\r' as usize] = true;
    t
}

fn nwf(offset: usize, reason: &'static str) -> XmlError {
    XmlError::NotWellFormed { offset, reason }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).chars().take(64).collect()
}

impl<'a> Builder<'a> {
    /// A name: a static string if it is a common one, else a shared slice.
    #[inline]
    fn name_sub(&self, a: usize, b: usize) -> ByteString {
        let t = self.str(a, b);
        crate::intern::intern(t).unwrap_or_else(|| self.sub(a, b))
    }

    /// Checks the characters of `src` and prepares to build from it. Offsets in errors count
    /// from the start of `src`.
    pub(crate) fn new(
        src: &'a ByteString,
        limits: &'a Limits,
        ctx: &'a NsContext,
        scratch: Scratch,
    ) -> Result<Self, XmlError> {
        let s: &str = src;
        let ctrl = crate::chars::check_chars(s)
            .map_err(|(offset, code)| XmlError::InvalidChar { offset, code })?;
        Ok(Self {
            src,
            s,
            b: s.as_bytes(),
            pos: 0,
            limits,
            ctx,
            default_ns: ctx.default_ns.clone(),
            ctrl,
            scratch,
        })
    }

    /// Gives the reusable allocations back.
    pub(crate) fn into_scratch(mut self) -> Scratch {
        self.scratch.raw.clear();
        self.scratch.bindings.clear();
        self.scratch.stack.clear();
        self.scratch
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    #[inline]
    fn str(&self, a: usize, b: usize) -> &'a str {
        self.s.get(a..b).unwrap_or_default()
    }

    #[inline]
    fn bytes(&self, a: usize, b: usize) -> &'a [u8] {
        self.b.get(a..b).unwrap_or_default()
    }

    /// A shared slice of the source (a refcount bump, no copy).
    #[inline]
    fn sub(&self, a: usize, b: usize) -> ByteString {
        match self.s.get(a..b) {
            Some(t) if !t.is_empty() => self.src.slice_ref(t),
            _ => ByteString::new(),
        }
    }

    fn skip_space(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(is_space) {
            self.pos += 1;
        }
        self.pos > start
    }

    /// Scans a `QName` (XML Namespaces §4) at the cursor: `(start, colon, end)`.
    fn qname(&mut self) -> Result<(usize, Option<usize>, usize), XmlError> {
        let start = self.pos;
        let mut colon = None;
        let mut i = start;
        let mut need_start = true;
        loop {
            // Fast path: a run of ASCII name characters.
            let run_start = i;
            while self.b.get(i).copied().is_some_and(ascii_name_char) {
                i += 1;
            }
            if i > run_start {
                if need_start && !self.b.get(run_start).copied().is_some_and(ascii_name_start) {
                    return Err(XmlError::InvalidName { offset: run_start });
                }
                need_start = false;
            }
            match self.b.get(i).copied() {
                Some(b':') => {
                    if colon.is_some() || need_start {
                        return Err(XmlError::InvalidName { offset: i });
                    }
                    colon = Some(i);
                    need_start = true;
                    i += 1;
                }
                Some(c) if c >= 0x80 => {
                    let Some(ch) = self.s.get(i..).and_then(|t| t.chars().next()) else {
                        return Err(XmlError::InvalidName { offset: i });
                    };
                    let ok = if need_start { name_start_char(ch) } else { name_char(ch) };
                    if !ok {
                        break;
                    }
                    need_start = false;
                    i += ch.len_utf8();
                }
                _ => break,
            }
        }
        if need_start {
            return Err(XmlError::InvalidName { offset: i });
        }
        if i - start > self.limits.max_name_len {
            return Err(XmlError::LimitExceeded {
                offset: start,
                limit: Limit::NameLength,
                max: self.limits.max_name_len,
            });
        }
        self.pos = i;
        Ok((start, colon, i))
    }

    fn lookup(&self, prefix: &str) -> Option<ByteString> {
        if prefix == "xml" {
            return Some(ByteString::from_static(XML_NS));
        }
        self.scratch
            .bindings
            .iter()
            .rev()
            .chain(self.ctx.prefixes.iter().rev())
            .find(|(p, _)| &**p == prefix)
            .map(|(_, u)| u.clone())
    }

    /// Decodes a reference at `at` (`&...;`, ending before `limit`), appending to `out`.
    /// Returns the offset after the `;`.
    fn reference(&self, at: usize, limit: usize, out: &mut String) -> Result<usize, XmlError> {
        let body_start = at + 1;
        let Some(rel) = memchr(b';', self.bytes(body_start, limit)) else {
            return Err(nwf(at, "'&' not starting a reference"));
        };
        let semi = body_start + rel;
        let body = self.bytes(body_start, semi);
        let c = match body {
            b"lt" => '<',
            b"gt" => '>',
            b"amp" => '&',
            b"apos" => '\'',
            b"quot" => '"',
            [b'#', b'x', hex @ ..] => Self::char_ref(at, hex, 16)?,
            [b'#', dec @ ..] => Self::char_ref(at, dec, 10)?,
            _ => {
                let name_ok = body.first().is_some_and(|&c| c >= 0x80 || ascii_name_start(c));
                return Err(if name_ok {
                    XmlError::UndeclaredEntity { offset: at, name: lossy(body) }
                } else {
                    nwf(at, "malformed reference")
                });
            }
        };
        out.push(c);
        Ok(semi + 1)
    }

    fn char_ref(at: usize, digits: &[u8], radix: u32) -> Result<char, XmlError> {
        if digits.is_empty() {
            return Err(nwf(at, "empty character reference"));
        }
        let mut v: u32 = 0;
        for &d in digits {
            let Some(x) = char::from(d).to_digit(radix) else {
                return Err(nwf(at, "malformed character reference"));
            };
            // Saturate: anything beyond U+10FFFF is rejected below either way.
            v = v.saturating_mul(radix).saturating_add(x).min(0x11_0000);
        }
        match char::from_u32(v) {
            Some(c) if is_xml_char(v) => Ok(c),
            _ => Err(XmlError::InvalidChar { offset: at, code: v }),
        }
    }

    /// An attribute value after its opening quote `q`; leaves the cursor after the closing one.
    #[inline(never)]
    fn attr_value(&mut self, q: u8) -> Result<ByteString, XmlError> {
        let start = self.pos;
        // One plain loop finds the closing quote and notes whether anything needs decoding.
        let rest = self.bytes(start, self.b.len());
        let mut special = false;
        let Some(rel) = rest.iter().position(|&c| {
            special |= ATTR_SPECIAL.get(usize::from(c)).copied().unwrap_or(false);
            c == q
        }) else {
            return Err(nwf(start, "unterminated attribute value"));
        };
        let end = start + rel;
        self.pos = end + 1;
        let raw = self.bytes(start, end);
        if !special {
            // Short values (`type='chat'`, `xml:lang='en'`) are often common words.
            return Ok(if raw.len() <= 12 { self.name_sub(start, end) } else { self.sub(start, end) });
        }
        // XML 1.0 §3.3.3: references expand, literal white space becomes #x20 (after §2.11
        // turned CRLF into LF, so CRLF yields one space); `<` is forbidden (WFC No < in
        // Attribute Values).
        let mut out = String::with_capacity(raw.len());
        let mut lit = start;
        let mut i = start;
        while i < end {
            match self.b.get(i).copied().unwrap_or(0) {
                b'&' => {
                    out.push_str(self.str(lit, i));
                    i = self.reference(i, end, &mut out)?;
                    lit = i;
                }
                b'<' => return Err(nwf(i, "'<' in attribute value")),
                b'\t' | b'\n' => {
                    out.push_str(self.str(lit, i));
                    out.push(' ');
                    i += 1;
                    lit = i;
                }
                b'\r' => {
                    out.push_str(self.str(lit, i));
                    out.push(' ');
                    i += 1;
                    if self.b.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                    lit = i;
                }
                _ => i += 1,
            }
        }
        out.push_str(self.str(lit, end));
        Ok(ByteString::from(out))
    }

    /// Parses a start tag at the cursor (which is on `<`) and resolves its namespaces. New
    /// bindings stay in scope until [`Builder::restore`] with the returned mark.
    pub(crate) fn start_tag(&mut self) -> Result<StartTag, XmlError> {
        self.pos += 1;
        let (qs, qc, qe) = self.qname()?;
        self.scratch.raw.clear();
        let hard_cap = self.limits.max_attrs.saturating_add(self.limits.max_ns_decls);
        let empty = loop {
            let had_space = self.skip_space();
            match self.peek() {
                Some(b'>') => {
                    self.pos += 1;
                    break false;
                }
                Some(b'/') => {
                    if self.b.get(self.pos + 1) == Some(&b'>') {
                        self.pos += 2;
                        break true;
                    }
                    return Err(nwf(self.pos, "expected '>' after '/'"));
                }
                None => return Err(nwf(self.pos, "unexpected end of start tag")),
                Some(_) if !had_space => {
                    return Err(nwf(self.pos, "expected white space, '>' or '/>' in start tag"));
                }
                Some(_) => {}
            }
            let offset = self.pos;
            let (a_s, a_c, a_e) = self.qname()?;
            self.skip_space();
            if self.peek() != Some(b'=') {
                return Err(nwf(self.pos, "expected '=' after attribute name"));
            }
            self.pos += 1;
            self.skip_space();
            let Some(q @ (b'\'' | b'"')) = self.peek() else {
                return Err(nwf(self.pos, "expected a quoted attribute value"));
            };
            self.pos += 1;
            let value = self.attr_value(q)?;
            if self.scratch.raw.len() >= hard_cap {
                return Err(XmlError::LimitExceeded {
                    offset,
                    limit: Limit::Attributes,
                    max: self.limits.max_attrs,
                });
            }
            let (prefix, local) = match a_c {
                Some(c) => (Some((a_s, c)), (c + 1, a_e)),
                None => (None, (a_s, a_e)),
            };
            self.scratch.raw.push(RawAttr { prefix, local, value, offset });
        };
        self.resolve(qs, qc, qe, empty)
    }

    fn raw_name(&self, a: &RawAttr) -> String {
        match a.prefix {
            Some((p, _)) => lossy(self.bytes(p, a.local.1)),
            None => lossy(self.bytes(a.local.0, a.local.1)),
        }
    }

    fn resolve(
        &mut self,
        qs: usize,
        qc: Option<usize>,
        qe: usize,
        empty: bool,
    ) -> Result<StartTag, XmlError> {
        let mut raw = std::mem::take(&mut self.scratch.raw);
        let result = self.resolve_raw(&mut raw, qs, qc, qe, empty);
        self.scratch.raw = raw;
        result
    }

    // Declarations, duplicates, limits and resolution share the per-attribute loop state.
    #[allow(clippy::too_many_lines)]
    #[inline(never)]
    fn resolve_raw(
        &mut self,
        raw: &mut [RawAttr],
        qs: usize,
        qc: Option<usize>,
        qe: usize,
        empty: bool,
    ) -> Result<StartTag, XmlError> {
        let mark = self.scratch.bindings.len();
        let mut prev_default = None;
        let (mut n_decls, mut n_attrs) = (0usize, 0usize);
        for (i, a) in raw.iter().enumerate() {
            let local = self.bytes(a.local.0, a.local.1);
            let prefix = a.prefix.map(|(p, c)| self.bytes(p, c));
            // WFC Unique Att Spec compares names as written.
            if raw.iter().take(i).any(|o| {
                o.local.1 - o.local.0 == local.len()
                    && self.bytes(o.local.0, o.local.1) == local
                    && o.prefix.map(|(p, c)| self.bytes(p, c)) == prefix
            }) {
                return Err(XmlError::DuplicateAttribute {
                    offset: a.offset,
                    name: self.raw_name(a),
                });
            }
            match prefix {
                None if local == b"xmlns" => {
                    n_decls += 1;
                    if &*a.value == XML_NS || &*a.value == XMLNS_NS {
                        return Err(XmlError::BadNamespaceDeclaration {
                            offset: a.offset,
                            reason: "reserved namespace as default namespace",
                        });
                    }
                    let ns = crate::intern::intern(&a.value).unwrap_or_else(|| a.value.clone());
                    let old = std::mem::replace(&mut self.default_ns, ns);
                    // A second declaration is a duplicate attribute, rejected above.
                    prev_default.get_or_insert(old);
                }
                Some(b"xmlns") => {
                    n_decls += 1;
                    let reason = if local == b"xmlns" {
                        Some("the xmlns prefix cannot be declared")
                    } else if local == b"xml" {
                        (&*a.value != XML_NS).then_some("the xml prefix cannot be rebound")
                    } else if &*a.value == XML_NS || &*a.value == XMLNS_NS {
                        Some("reserved namespace bound to another prefix")
                    } else if a.value.is_empty() {
                        Some("a prefix cannot be undeclared in XML Namespaces 1.0")
                    } else {
                        None
                    };
                    if let Some(reason) = reason {
                        return Err(XmlError::BadNamespaceDeclaration { offset: a.offset, reason });
                    }
                    let p = self.name_sub(a.local.0, a.local.1);
                    let uri = crate::intern::intern(&a.value).unwrap_or_else(|| a.value.clone());
                    self.scratch.bindings.push((p, uri));
                }
                _ => n_attrs += 1,
            }
        }
        if n_decls > self.limits.max_ns_decls {
            return Err(XmlError::LimitExceeded {
                offset: qs,
                limit: Limit::NamespaceDeclarations,
                max: self.limits.max_ns_decls,
            });
        }
        if n_attrs > self.limits.max_attrs {
            return Err(XmlError::LimitExceeded {
                offset: qs,
                limit: Limit::Attributes,
                max: self.limits.max_attrs,
            });
        }
        let (ns, name) = match qc {
            None => (self.default_ns.clone(), self.name_sub(qs, qe)),
            Some(c) => {
                let prefix = self.str(qs, c);
                let ns = match prefix {
                    "xmlns" => None,
                    _ => self.lookup(prefix),
                };
                let Some(ns) = ns else {
                    return Err(XmlError::UnboundPrefix { offset: qs, prefix: prefix.into() });
                };
                (ns, self.name_sub(c + 1, qe))
            }
        };
        let mut attrs = Vec::with_capacity(n_attrs);
        for a in raw.iter_mut() {
            let ns = match a.prefix {
                None if self.str(a.local.0, a.local.1) == "xmlns" => continue,
                None => None,
                Some((p, c)) => {
                    let prefix = self.str(p, c);
                    if prefix == "xmlns" {
                        continue;
                    }
                    let Some(uri) = self.lookup(prefix) else {
                        return Err(XmlError::UnboundPrefix { offset: p, prefix: prefix.into() });
                    };
                    // XML Namespaces §6.3: no two attributes with the same expanded name.
                    let local = self.str(a.local.0, a.local.1);
                    if attrs.iter().any(|o: &Attr| o.ns.as_ref() == Some(&uri) && o.name == local)
                    {
                        return Err(XmlError::DuplicateAttribute {
                            offset: a.offset,
                            name: self.raw_name(a),
                        });
                    }
                    Some(uri)
                }
            };
            let name = self.name_sub(a.local.0, a.local.1);
            attrs.push(Attr { ns, name, value: std::mem::take(&mut a.value) });
        }
        Ok(StartTag { ns, name, qname: (qs, qe), attrs, empty, mark, prev_default })
    }

    /// Takes bindings made since `mark` out of scope.
    fn restore(&mut self, mark: usize, prev_default: Option<ByteString>) {
        self.scratch.bindings.truncate(mark);
        if let Some(d) = prev_default {
            self.default_ns = d;
        }
    }

    /// Namespace declarations made by the last start tag (for stream headers).
    pub(crate) fn bindings_since(&self, mark: usize) -> Vec<(ByteString, ByteString)> {
        self.scratch.bindings.get(mark..).unwrap_or_default().to_vec()
    }

    /// The default namespace currently in scope.
    pub(crate) fn default_ns(&self) -> ByteString {
        self.default_ns.clone()
    }

    /// Whether the cursor is at the end of the source.
    pub(crate) fn at_end(&self) -> bool {
        self.pos == self.b.len()
    }

    fn push_slice(&self, text: &mut Pending, start: usize, end: usize) {
        if start == end {
            return;
        }
        match text {
            Pending::Empty => *text = Pending::Slice(start, end),
            Pending::Slice(prev_start, prev_end) => {
                let mut owned = String::with_capacity(*prev_end - *prev_start + end - start);
                owned.push_str(self.str(*prev_start, *prev_end));
                owned.push_str(self.str(start, end));
                *text = Pending::Owned(owned);
            }
            Pending::Owned(owned) => owned.push_str(self.str(start, end)),
        }
    }

    fn owned<'t>(&self, text: &'t mut Pending) -> &'t mut String {
        if let Pending::Slice(x, y) = *text {
            *text = Pending::Owned(self.str(x, y).to_owned());
        } else if let Pending::Empty = text {
            *text = Pending::Owned(String::new());
        }
        match text {
            Pending::Owned(s) => s,
            // Both other states were replaced just above.
            Pending::Empty | Pending::Slice(..) => unreachable!("text was made owned above"),
        }
    }

    fn flush(&self, text: &mut Pending, children: &mut Vec<Node>) {
        match std::mem::replace(text, Pending::Empty) {
            Pending::Empty => {}
            Pending::Slice(a, b) => children.push(Node::Text(self.sub(a, b))),
            Pending::Owned(s) => {
                if !s.is_empty() {
                    children.push(Node::Text(ByteString::from(s)));
                }
            }
        }
    }

    /// Character data `[a, b)` (no `<` inside).
    #[inline(never)]
    fn text_run(&self, text: &mut Pending, a: usize, b: usize) -> Result<(), XmlError> {
        let raw = self.bytes(a, b);
        let special = if raw.len() <= 32 {
            raw.iter().any(|&c| c == b'&' || c == b'>' || c == b'\r')
        } else {
            memchr2(b'&', b'>', raw).is_some() || (self.ctrl.cr && memchr(b'\r', raw).is_some())
        };
        if !special {
            self.push_slice(text, a, b);
            return Ok(());
        }
        let out = self.owned(text);
        let mut lit = a;
        let mut i = a;
        while let Some(rel) = memchr3(b'&', b'\r', b'>', self.bytes(i, b)) {
            let at = i + rel;
            match self.b.get(at).copied().unwrap_or(0) {
                b'&' => {
                    out.push_str(self.str(lit, at));
                    i = self.reference(at, b, out)?;
                    lit = i;
                }
                b'\r' => {
                    // XML 1.0 §2.11: CRLF and lone CR become LF.
                    out.push_str(self.str(lit, at));
                    out.push('\n');
                    i = at + 1;
                    if self.b.get(i) == Some(&b'\n') {
                        i += 1;
                    }
                    lit = i;
                }
                _ => {
                    // XML 1.0 §2.4: `]]>` must not appear literally in content.
                    if at >= a + 2 && self.bytes(at - 2, at) == b"]]" {
                        return Err(nwf(at - 2, "']]>' in character data"));
                    }
                    i = at + 1;
                }
            }
        }
        out.push_str(self.str(lit, b));
        Ok(())
    }

    fn cdata(&mut self, text: &mut Pending) -> Result<(), XmlError> {
        let start = self.pos + 9;
        let Some(rel) = memchr::memmem::find(self.bytes(start, self.b.len()), b"]]>") else {
            return Err(nwf(self.pos, "unterminated CDATA section"));
        };
        let end = start + rel;
        self.pos = end + 3;
        if self.ctrl.cr && memchr(b'\r', self.bytes(start, end)).is_some() {
            let out = self.owned(text);
            let mut lit = start;
            let mut i = start;
            while let Some(rel) = memchr(b'\r', self.bytes(i, end)) {
                let at = i + rel;
                out.push_str(self.str(lit, at));
                out.push('\n');
                i = at + 1;
                if self.b.get(i) == Some(&b'\n') {
                    i += 1;
                }
                lit = i;
            }
            out.push_str(self.str(lit, end));
        } else {
            self.push_slice(text, start, end);
        }
        Ok(())
    }

    fn markup_error(&self, at: usize) -> XmlError {
        let rest = self.bytes(at, self.b.len());
        if rest.starts_with(b"<!--") {
            XmlError::Restricted { offset: at, construct: Construct::Comment }
        } else if rest.starts_with(b"<?") {
            XmlError::Restricted { offset: at, construct: Construct::ProcessingInstruction }
        } else if rest.starts_with(b"<![") {
            nwf(at, "malformed CDATA section")
        } else {
            XmlError::Restricted { offset: at, construct: Construct::Doctype }
        }
    }

    /// Builds one complete element starting at the cursor (which must be on `<`).
    pub(crate) fn element(&mut self) -> Result<Element, XmlError> {
        let root = self.start_tag()?;
        if root.empty {
            self.restore(root.mark, root.prev_default);
            return Ok(Element::from_parts(root.ns, root.name, root.attrs, Vec::new()));
        }
        let mut stack = std::mem::take(&mut self.scratch.stack);
        stack.clear();
        let result = self.element_content(root, &mut stack);
        stack.clear();
        self.scratch.stack = stack;
        result
    }

    #[inline(never)]
    fn element_content(
        &mut self,
        root: StartTag,
        stack: &mut Vec<Frame>,
    ) -> Result<Element, XmlError> {
        stack.push(Frame {
            ns: root.ns,
            name: root.name,
            qname: root.qname,
            attrs: root.attrs,
            children: Vec::new(),
            mark: root.mark,
            prev_default: root.prev_default,
        });
        let mut text = Pending::Empty;
        loop {
            let Some(rel) = find_byte(b'<', self.bytes(self.pos, self.b.len())) else {
                return Err(nwf(self.b.len(), "unexpected end of input in content"));
            };
            let lt = self.pos + rel;
            self.text_run(&mut text, self.pos, lt)?;
            self.pos = lt;
            match self.b.get(lt + 1).copied() {
                Some(b'/') => {
                    self.pos = lt + 2;
                    let (qs, _, qe) = self.qname()?;
                    self.skip_space();
                    if self.peek() != Some(b'>') {
                        return Err(nwf(self.pos, "expected '>' in end tag"));
                    }
                    self.pos += 1;
                    let Some(mut frame) = stack.pop() else {
                        return Err(nwf(lt, "end tag without start tag"));
                    };
                    self.flush(&mut text, &mut frame.children);
                    if self.bytes(qs, qe) != self.bytes(frame.qname.0, frame.qname.1) {
                        return Err(XmlError::MismatchedEndTag {
                            offset: lt,
                            expected: lossy(self.bytes(frame.qname.0, frame.qname.1)),
                            found: lossy(self.bytes(qs, qe)),
                        });
                    }
                    self.restore(frame.mark, frame.prev_default);
                    let el = Element::from_parts(frame.ns, frame.name, frame.attrs, frame.children);
                    match stack.last_mut() {
                        Some(parent) => parent.children.push(Node::Element(el)),
                        None => return Ok(el),
                    }
                }
                Some(b'!') if self.bytes(lt, lt + 9) == b"<![CDATA[" => self.cdata(&mut text)?,
                Some(b'!' | b'?') => return Err(self.markup_error(lt)),
                _ => {
                    if stack.len() >= self.limits.max_depth {
                        return Err(XmlError::LimitExceeded {
                            offset: lt,
                            limit: Limit::Depth,
                            max: self.limits.max_depth,
                        });
                    }
                    let st = self.start_tag()?;
                    let Some(top) = stack.last_mut() else {
                        return Err(nwf(lt, "content after the root element"));
                    };
                    self.flush(&mut text, &mut top.children);
                    if st.empty {
                        self.restore(st.mark, st.prev_default);
                        top.children.push(Node::Element(Element::from_parts(
                            st.ns,
                            st.name,
                            st.attrs,
                            Vec::new(),
                        )));
                    } else {
                        stack.push(Frame {
                            ns: st.ns,
                            name: st.name,
                            qname: st.qname,
                            attrs: st.attrs,
                            children: Vec::new(),
                            mark: st.mark,
                            prev_default: st.prev_default,
                        });
                    }
                }
            }
        }
    }

    /// The qualified name `[a, b)` as written.
    pub(crate) fn qname_str(&self, q: (usize, usize)) -> ByteString {
        self.sub(q.0, q.1)
    }
}
