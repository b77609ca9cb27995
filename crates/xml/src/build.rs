//! Second pass: builds an [`Element`] (or a stream header) from the complete bytes of one
//! top-level item, which the first pass ([`crate::Parser`]) has already delimited — or, on the
//! parser's fast path, from buffered text in which the builder itself finds the element's end.
//!
//! Working on a complete slice means this pass never has to suspend, so it is a plain loop with
//! an explicit stack of open elements: it never recurses on input depth. Strings that need no
//! unescaping are [`ByteString::slice_ref`] slices of the item's one buffer.
//!
//! Start tags are read in one pass in the common case (declarations take effect as they are
//! read); anything unusual, errors included, is re-read by the exact path, which checks in the
//! order the specifications imply, so that both paths report the same first error.

// The hot helpers are forced inline: each was measured (callgrind) to pay for itself, where
// plain `#[inline]` left them out of line with costly prologues and register spills.
#![allow(clippy::inline_always)]

use bytestring::ByteString;
use memchr::{memchr, memchr3};

use crate::chars::{
    ascii_name_char, ascii_name_start, bytes_eq, is_space, is_xml_char, name_char, name_start_char,
    scan_attr_value, scan_text, text_special,
};
use crate::error::{Construct, Limit};
use crate::{Attr, Element, Limits, Node, XML_NS, XMLNS_NS, XmlError};

/// Namespace bindings in scope where an item starts (the stream header's, in stream mode).
#[derive(Clone, Debug, Default)]
pub(crate) struct NsContext {
    pub default_ns: ByteString,
    pub prefixes: Vec<(ByteString, ByteString)>,
}

/// An attribute as written, before namespace resolution: offsets into the source.
pub(crate) struct RawAttr {
    /// Start of the qualified name (also the offset reported in errors).
    start: usize,
    /// The colon of a prefixed name.
    colon: Option<usize>,
    /// End of the qualified name.
    end: usize,
    /// The value as written, between the quotes.
    value: (usize, usize),
    /// The decoded value, when it contained references or white space to normalise.
    decoded: Option<ByteString>,
}

impl RawAttr {
    #[inline]
    fn local_start(&self) -> usize {
        self.colon.map_or(self.start, |c| c + 1)
    }
}

/// An open element: its start tag with namespaces resolved. Its children so far are
/// `Scratch::nodes[child_start..]`, so that each element's child list is allocated once, at its
/// exact size, when it closes.
pub(crate) struct Frame {
    pub ns: ByteString,
    pub name: ByteString,
    pub qname: (usize, usize),
    pub attrs: Vec<Attr>,
    child_start: usize,
    pub mark: usize,
}

/// Scratch capacity kept between items: decoded-text bytes, and entries per list.
const SCRATCH_TEXT_KEEP: usize = 4096;
const SCRATCH_ITEMS_KEEP: usize = 64;

/// Reusable allocations, kept by the parser between items.
#[derive(Default)]
pub(crate) struct Scratch {
    raw: Vec<RawAttr>,
    /// The fast path's qualified-name spans and prefixed attributes.
    spans: Vec<(usize, usize)>,
    deferred: Vec<(usize, usize, usize)>,
    bindings: Vec<(ByteString, ByteString)>,
    stack: Vec<Frame>,
    /// Children of all open elements, innermost last.
    nodes: Vec<Node>,
    /// The buffer in which character data is decoded, reused between text nodes.
    text: String,
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
    scratch: &'a mut Scratch,
}

fn nwf(offset: usize, reason: &'static str) -> XmlError {
    XmlError::NotWellFormed { offset, reason }
}

fn lossy(b: &[u8]) -> String {
    String::from_utf8_lossy(b).chars().take(64).collect()
}

impl<'a> Builder<'a> {
    /// A name: a static string if it is a common one, else a shared slice.
    #[inline(always)]
    fn name_sub(&self, a: usize, b: usize) -> ByteString {
        crate::intern::intern_bytes(self.bytes(a, b)).unwrap_or_else(|| self.sub(a, b))
    }

    /// Checks the characters of `src` and prepares to build from it. Offsets in errors count
    /// from the start of `src`.
    pub(crate) fn new(
        src: &'a ByteString,
        limits: &'a Limits,
        ctx: &'a NsContext,
        scratch: &'a mut Scratch,
    ) -> Result<Self, XmlError> {
        crate::chars::check_chars(src)
            .map_err(|(offset, code)| XmlError::InvalidChar { offset, code })?;
        Ok(Self::new_unchecked(src, limits, ctx, scratch))
    }

    /// Prepares to build from `src` without checking its characters: the caller checks the
    /// part that was built from (see [`Builder::pos`]) before using the result.
    pub(crate) fn new_unchecked(
        src: &'a ByteString,
        limits: &'a Limits,
        ctx: &'a NsContext,
        scratch: &'a mut Scratch,
    ) -> Self {
        let s: &str = src;
        Self {
            src,
            s,
            b: s.as_bytes(),
            pos: 0,
            limits,
            ctx,
            default_ns: ctx.default_ns.clone(),
            scratch,
        }
    }

    /// Starts building at `pos` instead of at the start of the source.
    pub(crate) fn start_at(&mut self, pos: usize) {
        self.pos = pos;
    }

    /// How far building has read.
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Clears the reusable allocations (kept by the parser) for the next item.
    pub(crate) fn finish(self) {
        let s = self.scratch;
        s.raw.clear();
        s.bindings.clear();
        s.stack.clear();
        s.nodes.clear();
        // One large stanza must not leave every idle session holding its high-water mark:
        // give back what ordinary stanzas never need.
        if s.text.capacity() > SCRATCH_TEXT_KEEP {
            s.text = String::new();
        }
        if s.nodes.capacity() > SCRATCH_ITEMS_KEEP {
            s.nodes = Vec::new();
        }
        if s.stack.capacity() > SCRATCH_ITEMS_KEEP {
            s.stack = Vec::new();
        }
        if s.raw.capacity() > SCRATCH_ITEMS_KEEP {
            s.raw = Vec::new();
        }
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
    #[inline]
    fn qname(&mut self) -> Result<(usize, Option<usize>, usize), XmlError> {
        // Fast path: ASCII `NCName` or `NCName:NCName` followed by a byte that cannot
        // continue a name; anything else takes the general scanner from the start.
        let b = self.b;
        let start = self.pos;
        let mut i = start;
        if b.get(i).copied().is_some_and(ascii_name_start) {
            i += 1;
            while b.get(i).copied().is_some_and(ascii_name_char) {
                i += 1;
            }
            let mut colon = None;
            if b.get(i) == Some(&b':') && b.get(i + 1).copied().is_some_and(ascii_name_start) {
                colon = Some(i);
                i += 2;
                while b.get(i).copied().is_some_and(ascii_name_char) {
                    i += 1;
                }
            }
            let ends = match b.get(i) {
                Some(&c) => c < 0x80 && c != b':',
                None => true,
            };
            if ends && i - start <= self.limits.max_name_len {
                self.pos = i;
                return Ok((start, colon, i));
            }
        }
        self.qname_slow()
    }

    /// The general `QName` scanner (non-ASCII names, errors, limits).
    #[cold]
    fn qname_slow(&mut self) -> Result<(usize, Option<usize>, usize), XmlError> {
        let start = self.pos;
        let mut colon = None;
        let mut i = start;
        let mut need_start = true;
        loop {
            // Fast path: a run of ASCII name characters.
            let run_start = i;
            let rest = self.bytes(i, self.b.len());
            i += rest
                .iter()
                .position(|&c| !ascii_name_char(c))
                .unwrap_or(rest.len());
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
                    let ok = if need_start {
                        name_start_char(ch)
                    } else {
                        name_char(ch)
                    };
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
                let name_ok = body
                    .first()
                    .is_some_and(|&c| c >= 0x80 || ascii_name_start(c));
                return Err(if name_ok {
                    XmlError::UndeclaredEntity {
                        offset: at,
                        name: lossy(body),
                    }
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
            _ => Err(XmlError::InvalidChar {
                offset: at,
                code: v,
            }),
        }
    }

    /// An attribute value after its opening quote `q`; leaves the cursor after the closing one.
    /// Returns the value's span and, if it needed decoding, the decoded value.
    #[inline(always)]
    fn attr_value(&mut self, q: u8) -> Result<((usize, usize), Option<ByteString>), XmlError> {
        let start = self.pos;
        let Some((rel, special)) = scan_attr_value(self.bytes(start, self.b.len()), q) else {
            return Err(nwf(start, "unterminated attribute value"));
        };
        let end = start + rel;
        self.pos = end + 1;
        if !special {
            return Ok(((start, end), None));
        }
        self.decode_attr_value(start, end)
            .map(|v| ((start, end), Some(ByteString::from(v))))
    }

    /// XML 1.0 §3.3.3: references expand, literal white space becomes #x20 (after §2.11
    /// turned CRLF into LF, so CRLF yields one space); `<` is forbidden (WFC No < in
    /// Attribute Values).
    #[cold]
    fn decode_attr_value(&self, start: usize, end: usize) -> Result<String, XmlError> {
        let mut out = String::with_capacity(end - start);
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
        Ok(out)
    }

    /// The value of `a` as a string, interned when it is a common short one
    /// (`type='chat'`, `xml:lang='en'`).
    #[inline]
    fn value_of(&self, a: &mut RawAttr) -> ByteString {
        self.value_from(a.value, a.decoded.take())
    }

    /// An attribute value from its span and its decoded form, if it needed decoding.
    #[inline]
    fn value_from(&self, (s, e): (usize, usize), decoded: Option<ByteString>) -> ByteString {
        if let Some(v) = decoded {
            return v;
        }
        if e - s <= 12 {
            self.name_sub(s, e)
        } else {
            self.sub(s, e)
        }
    }

    /// The value of `a` as written or decoded, borrowed.
    #[inline]
    fn value_str<'r>(&self, a: &'r RawAttr) -> &'r str
    where
        'a: 'r,
    {
        match &a.decoded {
            Some(v) => v,
            None => self.str(a.value.0, a.value.1),
        }
    }

    /// A namespace name from the value of declaration `a`.
    fn ns_value(&self, a: &RawAttr) -> ByteString {
        self.ns_from(a.value, a.decoded.clone())
    }

    /// A namespace name from a declaration's value span and decoded form.
    #[inline(always)]
    fn ns_from(&self, (s, e): (usize, usize), decoded: Option<ByteString>) -> ByteString {
        match decoded {
            Some(d) => crate::intern::intern(&d).unwrap_or(d),
            None => crate::intern::intern_bytes(self.bytes(s, e)).unwrap_or_else(|| self.sub(s, e)),
        }
    }

    /// Parses a start tag at the cursor (which is on `<`) and resolves its namespaces. New
    /// bindings stay in scope until [`Builder::restore`] with the returned mark.
    pub(crate) fn start_tag(&mut self) -> Result<(Frame, bool), XmlError> {
        let empty = self.open_tag(false)?;
        match self.scratch.stack.pop() {
            Some(frame) => Ok((frame, empty)),
            None => Err(nwf(self.pos, "unexpected end of start tag")),
        }
    }

    /// Parses a start tag at the cursor (which is on `<`), resolves its namespaces and pushes
    /// it onto the stack of open elements. Returns whether it was an empty-element tag; with
    /// `leaf`, such an element is instead added to the children of the innermost open one.
    #[inline(always)]
    fn open_tag(&mut self, leaf: bool) -> Result<bool, XmlError> {
        let start = self.pos;
        let mark = self.scratch.bindings.len();
        if let Some(empty) = self.open_tag_fast(mark, leaf) {
            return Ok(empty);
        }
        // Undo, and let the exact path report the first error in document order (or handle
        // the rare constructs that the fast path leaves to it).
        self.restore(mark);
        self.pos = start;
        let empty = self.open_tag_exact()?;
        if empty && leaf {
            let el = self
                .close(Vec::new())
                .ok_or_else(|| nwf(start, "start tag lost"))?;
            self.scratch.nodes.push(Node::Element(el));
        }
        Ok(empty)
    }

    /// One pass over a start tag for the common case: declarations take effect as they are
    /// read and attributes are built at once, only prefixed ones waiting for their namespace.
    /// `None` on any error or unusual construct; the caller then restores the bindings to
    /// `mark`.
    // One loop over the attributes, as in the exact path.
    #[allow(clippy::too_many_lines)]
    #[inline(always)]
    fn open_tag_fast(&mut self, mark: usize, leaf: bool) -> Option<bool> {
        // Pushed to directly, the first allocation sized so that one is enough in the common
        // cases: stanzas carry up to five (`from`, `to`, `type`, `id`, `xml:lang`), their
        // children mostly up to four.
        let mut attrs: Vec<Attr> = Vec::new();
        let first_cap = if leaf { 4 } else { 5 };
        self.pos += 1;
        let (qs, qc, qe) = self.qname().ok()?;
        let hard_cap = self
            .limits
            .max_attrs
            .saturating_add(self.limits.max_ns_decls);
        let mut n_decls = 0usize;
        // A default namespace declared here: it takes effect once the tag is read (only the
        // element and its content are in its scope), and only if the element has content.
        let mut new_default: Option<ByteString> = None;
        self.scratch.spans.clear();
        self.scratch.deferred.clear();
        let empty = loop {
            let had_space = self.skip_space();
            match self.peek() {
                Some(b'>') => {
                    self.pos += 1;
                    break false;
                }
                Some(b'/') if self.b.get(self.pos + 1) == Some(&b'>') => {
                    self.pos += 2;
                    break true;
                }
                Some(_) if had_space => {}
                _ => return None,
            }
            let (at, colon, end) = self.qname().ok()?;
            let quote = if let (Some(b'='), Some(&q @ (b'\'' | b'"'))) =
                (self.peek(), self.b.get(self.pos + 1))
            {
                self.pos += 2;
                q
            } else {
                self.skip_space();
                if self.peek() != Some(b'=') {
                    return None;
                }
                self.pos += 1;
                self.skip_space();
                let Some(q @ (b'\'' | b'"')) = self.peek() else {
                    return None;
                };
                self.pos += 1;
                q
            };
            let (value, decoded) = self.attr_value(quote).ok()?;
            if self.scratch.spans.len() >= hard_cap {
                return None;
            }
            let qn = self.bytes(at, end);
            // WFC Unique Att Spec compares names as written.
            if self
                .scratch
                .spans
                .iter()
                .any(|&(os, oe)| oe - os == qn.len() && bytes_eq(self.bytes(os, oe), qn))
            {
                return None;
            }
            self.scratch.spans.push((at, end));
            match colon {
                None if qn == b"xmlns" => {
                    n_decls += 1;
                    let val = decoded.as_deref().unwrap_or(self.str(value.0, value.1));
                    if val == XML_NS || val == XMLNS_NS {
                        return None;
                    }
                    new_default = Some(self.ns_from(value, decoded));
                }
                Some(c) if self.bytes(at, c) == b"xmlns" => {
                    n_decls += 1;
                    let local = self.bytes(c + 1, end);
                    let val = decoded.as_deref().unwrap_or(self.str(value.0, value.1));
                    if local == b"xmlns"
                        || local == b"xml"
                        || val == XML_NS
                        || val == XMLNS_NS
                        || val.is_empty()
                    {
                        return None;
                    }
                    let p = self.name_sub(c + 1, end);
                    let uri = self.ns_from(value, decoded);
                    self.scratch.bindings.push((p, uri));
                }
                Some(c) => {
                    self.scratch.deferred.push((attrs.len(), at, c));
                    let name = self.name_sub(c + 1, end);
                    let value = self.value_from(value, decoded);
                    if attrs.capacity() == 0 {
                        attrs = Vec::with_capacity(first_cap);
                    }
                    attrs.push(Attr {
                        ns: None,
                        name,
                        value,
                    });
                }
                None => {
                    let name = self.name_sub(at, end);
                    let value = self.value_from(value, decoded);
                    if attrs.capacity() == 0 {
                        attrs = Vec::with_capacity(first_cap);
                    }
                    attrs.push(Attr {
                        ns: None,
                        name,
                        value,
                    });
                }
            }
        };
        if n_decls > self.limits.max_ns_decls || attrs.len() > self.limits.max_attrs {
            return None;
        }
        // `None`: the default namespace.
        let (ns, name) = match qc {
            None => (None, self.name_sub(qs, qe)),
            Some(c) => {
                let prefix = self.str(qs, c);
                if prefix == "xmlns" {
                    return None;
                }
                (Some(self.lookup(prefix)?), self.name_sub(c + 1, qe))
            }
        };
        for k in 0..self.scratch.deferred.len() {
            let (idx, ps, c) = *self.scratch.deferred.get(k)?;
            let uri = self.lookup(self.str(ps, c))?;
            let (before, rest) = attrs.split_at_mut(idx);
            let a = rest.first_mut()?;
            // XML Namespaces §6.3: no two attributes with the same expanded name.
            if before
                .iter()
                .any(|o| o.ns.as_ref() == Some(&uri) && o.name == a.name)
            {
                return None;
            }
            a.ns = Some(uri);
        }
        if empty && leaf {
            // No content: a default namespace declared here only names the element itself.
            let ns = ns.unwrap_or_else(|| new_default.unwrap_or_else(|| self.default_ns.clone()));
            self.restore(mark);
            let el = Element::from_parts(ns, name, attrs, Vec::new());
            self.scratch.nodes.push(Node::Element(el));
            return Some(true);
        }
        if leaf && let Some((lt, close_end, special)) = self.text_only_content(qs, qe) {
            // A child with nothing but character data (`<body>`, `<thread>`, `<stamp>`…):
            // built at once, without an open-element frame, exactly as the content loop
            // would build it. Any error in the text is left to the exact path to report.
            let text = if special {
                let mut pending = Pending::Empty;
                self.text_run(&mut pending, self.pos, lt).ok()?;
                self.text_node(pending)
            } else {
                (lt > self.pos).then(|| self.sub(self.pos, lt))
            };
            let children = match text {
                Some(t) => vec![Node::Text(t)],
                None => Vec::new(),
            };
            self.pos = close_end;
            let ns = ns.unwrap_or_else(|| new_default.unwrap_or_else(|| self.default_ns.clone()));
            self.restore(mark);
            let el = Element::from_parts(ns, name, attrs, children);
            self.scratch.nodes.push(Node::Element(el));
            return Some(false);
        }
        let ns = match ns {
            Some(ns) => ns,
            None => new_default.as_ref().unwrap_or(&self.default_ns).clone(),
        };
        if let Some(d) = new_default {
            self.declare_default(d);
        }
        let child_start = self.scratch.nodes.len();
        self.scratch.stack.push(Frame {
            ns,
            name,
            qname: (qs, qe),
            attrs,
            child_start,
            mark,
        });
        Some(empty)
    }

    /// For content at the cursor that is character data followed by the end tag of the
    /// element named `[qs, qe)` (as written, then `>`): the position of that `<`, the end of
    /// the end tag and whether the text needs decoding. Anything else is left to the content
    /// loop.
    #[inline(always)]
    fn text_only_content(&self, qs: usize, qe: usize) -> Option<(usize, usize, bool)> {
        let rest = self.bytes(self.pos, self.b.len());
        let (rel, special) = scan_text(rest)?;
        let lt = self.pos + rel;
        if self.bytes(lt, lt + 2) != b"</" {
            return None;
        }
        let want = self.bytes(qs, qe);
        let name_end = lt + 2 + want.len();
        (bytes_eq(self.bytes(lt + 2, name_end), want) && self.b.get(name_end) == Some(&b'>'))
            .then_some((lt, name_end + 1, special))
    }

    /// The exact path for a start tag: all attributes first, then declarations and
    /// resolution, so that errors come in the order the specification's checks imply.
    fn open_tag_exact(&mut self) -> Result<bool, XmlError> {
        self.pos += 1;
        let (qs, qc, qe) = self.qname()?;
        let mut raw = std::mem::take(&mut self.scratch.raw);
        raw.clear();
        let result = self
            .attributes(&mut raw)
            .and_then(|empty| self.resolve_raw(&mut raw, qs, qc, qe).map(|()| empty));
        self.scratch.raw = raw;
        result
    }

    /// Parses the attributes of a start tag into `raw`, up to and including `>` or `/>`.
    /// Returns whether the tag was an empty-element tag.
    fn attributes(&mut self, raw: &mut Vec<RawAttr>) -> Result<bool, XmlError> {
        let hard_cap = self
            .limits
            .max_attrs
            .saturating_add(self.limits.max_ns_decls);
        loop {
            let had_space = self.skip_space();
            match self.peek() {
                Some(b'>') => {
                    self.pos += 1;
                    return Ok(false);
                }
                Some(b'/') => {
                    if self.b.get(self.pos + 1) == Some(&b'>') {
                        self.pos += 2;
                        return Ok(true);
                    }
                    return Err(nwf(self.pos, "expected '>' after '/'"));
                }
                None => return Err(nwf(self.pos, "unexpected end of start tag")),
                Some(_) if !had_space => {
                    return Err(nwf(
                        self.pos,
                        "expected white space, '>' or '/>' in start tag",
                    ));
                }
                Some(_) => {}
            }
            let (start, colon, end) = self.qname()?;
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
            let (value, decoded) = self.attr_value(q)?;
            if raw.len() >= hard_cap {
                return Err(XmlError::LimitExceeded {
                    offset: start,
                    limit: Limit::Attributes,
                    max: self.limits.max_attrs,
                });
            }
            raw.push(RawAttr {
                start,
                colon,
                end,
                value,
                decoded,
            });
        }
    }

    fn raw_name(&self, a: &RawAttr) -> String {
        lossy(self.bytes(a.start, a.end))
    }

    // Declarations, duplicates, limits and resolution share the per-attribute loop state.
    #[allow(clippy::too_many_lines)]
    #[inline]
    fn resolve_raw(
        &mut self,
        raw: &mut [RawAttr],
        qs: usize,
        qc: Option<usize>,
        qe: usize,
    ) -> Result<(), XmlError> {
        let mark = self.scratch.bindings.len();
        let (mut n_decls, mut n_attrs) = (0usize, 0usize);
        // Whether some attribute has a prefix other than `xmlns` (needing resolution).
        let mut prefixed = false;
        for (i, a) in raw.iter().enumerate() {
            let qn = self.bytes(a.start, a.end);
            // WFC Unique Att Spec compares names as written.
            if raw
                .iter()
                .take(i)
                .any(|o| o.end - o.start == qn.len() && self.bytes(o.start, o.end) == qn)
            {
                return Err(XmlError::DuplicateAttribute {
                    offset: a.start,
                    name: self.raw_name(a),
                });
            }
            match a.colon {
                None if qn == b"xmlns" => {
                    n_decls += 1;
                    let v = self.value_str(a);
                    if v == XML_NS || v == XMLNS_NS {
                        return Err(XmlError::BadNamespaceDeclaration {
                            offset: a.start,
                            reason: "reserved namespace as default namespace",
                        });
                    }
                    let ns = self.ns_value(a);
                    self.declare_default(ns);
                }
                Some(c) if self.bytes(a.start, c) == b"xmlns" => {
                    n_decls += 1;
                    let local = self.bytes(c + 1, a.end);
                    let v = self.value_str(a);
                    let reason = if local == b"xmlns" {
                        Some("the xmlns prefix cannot be declared")
                    } else if local == b"xml" {
                        (v != XML_NS).then_some("the xml prefix cannot be rebound")
                    } else if v == XML_NS || v == XMLNS_NS {
                        Some("reserved namespace bound to another prefix")
                    } else if v.is_empty() {
                        Some("a prefix cannot be undeclared in XML Namespaces 1.0")
                    } else {
                        None
                    };
                    if let Some(reason) = reason {
                        return Err(XmlError::BadNamespaceDeclaration {
                            offset: a.start,
                            reason,
                        });
                    }
                    let p = self.name_sub(c + 1, a.end);
                    let uri = self.ns_value(a);
                    self.scratch.bindings.push((p, uri));
                }
                Some(_) => {
                    prefixed = true;
                    n_attrs += 1;
                }
                None => n_attrs += 1,
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
                    return Err(XmlError::UnboundPrefix {
                        offset: qs,
                        prefix: prefix.into(),
                    });
                };
                (ns, self.name_sub(c + 1, qe))
            }
        };
        let mut attrs = Vec::with_capacity(n_attrs);
        if n_decls == 0 && !prefixed {
            // The common case: every attribute is in no namespace.
            for a in raw.iter_mut() {
                let value = self.value_of(a);
                attrs.push(Attr {
                    ns: None,
                    name: self.name_sub(a.start, a.end),
                    value,
                });
            }
        } else {
            self.resolve_attrs(raw, &mut attrs)?;
        }
        let child_start = self.scratch.nodes.len();
        self.scratch.stack.push(Frame {
            ns,
            name,
            qname: (qs, qe),
            attrs,
            child_start,
            mark,
        });
        Ok(())
    }

    /// Resolves the namespaces of attributes, skipping declarations.
    fn resolve_attrs(&self, raw: &mut [RawAttr], attrs: &mut Vec<Attr>) -> Result<(), XmlError> {
        for a in raw.iter_mut() {
            let ns = match a.colon {
                None if self.bytes(a.start, a.end) == b"xmlns" => continue,
                None => None,
                Some(c) => {
                    let prefix = self.str(a.start, c);
                    if prefix == "xmlns" {
                        continue;
                    }
                    let Some(uri) = self.lookup(prefix) else {
                        return Err(XmlError::UnboundPrefix {
                            offset: a.start,
                            prefix: prefix.into(),
                        });
                    };
                    // XML Namespaces §6.3: no two attributes with the same expanded name.
                    let local = self.str(c + 1, a.end);
                    if attrs
                        .iter()
                        .any(|o: &Attr| o.ns.as_ref() == Some(&uri) && o.name == local)
                    {
                        return Err(XmlError::DuplicateAttribute {
                            offset: a.start,
                            name: self.raw_name(a),
                        });
                    }
                    Some(uri)
                }
            };
            let name = self.name_sub(a.local_start(), a.end);
            let value = self.value_of(a);
            attrs.push(Attr { ns, name, value });
        }
        Ok(())
    }

    /// Makes `ns` the default namespace. The one it replaces is kept on the bindings stack
    /// under the empty prefix (which no lookup asks for), so that [`Builder::restore`] brings
    /// it back and open elements need not carry it.
    fn declare_default(&mut self, ns: ByteString) {
        let old = std::mem::replace(&mut self.default_ns, ns);
        self.scratch.bindings.push((ByteString::new(), old));
    }

    /// Takes bindings made since `mark` out of scope.
    #[inline(always)]
    fn restore(&mut self, mark: usize) {
        while self.scratch.bindings.len() > mark {
            if let Some((prefix, uri)) = self.scratch.bindings.pop()
                && prefix.is_empty()
            {
                self.default_ns = uri;
            }
        }
    }

    /// Prefix declarations made by the last start tag (for stream headers).
    pub(crate) fn bindings_since(&self, mark: usize) -> Vec<(ByteString, ByteString)> {
        self.scratch
            .bindings
            .get(mark..)
            .unwrap_or_default()
            .iter()
            .filter(|(p, _)| !p.is_empty())
            .cloned()
            .collect()
    }

    /// Whether the last start tag declared a default namespace (for stream headers).
    pub(crate) fn declared_default_since(&self, mark: usize) -> bool {
        self.scratch
            .bindings
            .get(mark..)
            .unwrap_or_default()
            .iter()
            .any(|(p, _)| p.is_empty())
    }

    /// The default namespace currently in scope.
    pub(crate) fn default_ns(&self) -> ByteString {
        self.default_ns.clone()
    }

    /// Whether the cursor is at the end of the source.
    pub(crate) fn at_end(&self) -> bool {
        self.pos == self.b.len()
    }

    #[inline(always)]
    fn push_slice(&self, text: &mut Pending, start: usize, end: usize) {
        if start == end {
            return;
        }
        if let Pending::Empty = text {
            *text = Pending::Slice(start, end);
        } else {
            self.append_slice(text, start, end);
        }
    }

    /// [`Builder::push_slice`] onto text that is already pending.
    #[inline(never)]
    fn append_slice(&self, text: &mut Pending, start: usize, end: usize) {
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

    /// The pending text as an owned string with room for `extra` more bytes (decoding never
    /// makes text longer, so one reservation for the run being decoded avoids regrowth).
    fn owned<'t>(&mut self, text: &'t mut Pending, extra: usize) -> &'t mut String {
        if let Pending::Slice(x, y) = *text {
            let mut s = std::mem::take(&mut self.scratch.text);
            s.reserve(y - x + extra);
            s.push_str(self.str(x, y));
            *text = Pending::Owned(s);
        } else if let Pending::Empty = text {
            let mut s = std::mem::take(&mut self.scratch.text);
            s.reserve(extra);
            *text = Pending::Owned(s);
        } else if let Pending::Owned(s) = text {
            s.reserve(extra);
        }
        match text {
            Pending::Owned(s) => s,
            // Both other states were replaced just above.
            Pending::Empty | Pending::Slice(..) => unreachable!("text was made owned above"),
        }
    }

    #[inline(always)]
    fn flush(&mut self, text: &mut Pending) {
        if !matches!(text, Pending::Empty) {
            self.flush_text(text);
        }
    }

    /// [`Builder::flush`] for text that is pending.
    #[inline(never)]
    fn flush_text(&mut self, text: &mut Pending) {
        if let Some(node) = self.text_node(std::mem::replace(text, Pending::Empty)) {
            self.scratch.nodes.push(Node::Text(node));
        }
    }

    /// The text node for pending text, if there is any text.
    fn text_node(&mut self, text: Pending) -> Option<ByteString> {
        match text {
            Pending::Empty => None,
            Pending::Slice(a, b) => Some(self.sub(a, b)),
            Pending::Owned(mut s) => {
                // Copied out at its exact size (`Bytes` would keep a `String` with spare
                // capacity behind an extra shared header allocation); the buffer is reused.
                let node = (!s.is_empty()).then(|| ByteString::from(s.as_str()));
                s.clear();
                self.scratch.text = s;
                node
            }
        }
    }

    /// Character data `[a, b)` (no `<` inside).
    #[inline]
    fn text_run(&mut self, text: &mut Pending, a: usize, b: usize) -> Result<(), XmlError> {
        let raw = self.bytes(a, b);
        let special = text_special(raw);
        if !special {
            self.push_slice(text, a, b);
            return Ok(());
        }
        let out = self.owned(text, b - a);
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
        if memchr(b'\r', self.bytes(start, end)).is_some() {
            let out = self.owned(text, end - start);
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
            XmlError::Restricted {
                offset: at,
                construct: Construct::Comment,
            }
        } else if rest.starts_with(b"<?") {
            XmlError::Restricted {
                offset: at,
                construct: Construct::ProcessingInstruction,
            }
        } else if rest.starts_with(b"<![") {
            nwf(at, "malformed CDATA section")
        } else {
            XmlError::Restricted {
                offset: at,
                construct: Construct::Doctype,
            }
        }
    }

    /// Builds one complete element starting at the cursor (which must be on `<`).
    pub(crate) fn element(&mut self) -> Result<Element, XmlError> {
        self.scratch.stack.clear();
        self.scratch.nodes.clear();
        let empty = self.open_tag(false)?;
        if empty {
            return self
                .close(Vec::new())
                .ok_or_else(|| nwf(self.pos, "start tag lost"));
        }
        self.element_content()
    }

    /// Pops the innermost open element, takes its bindings out of scope and returns it with
    /// `children`.
    #[inline]
    fn close(&mut self, children: Vec<Node>) -> Option<Element> {
        let frame = self.scratch.stack.pop()?;
        self.restore(frame.mark);
        Some(Element::from_parts(
            frame.ns,
            frame.name,
            frame.attrs,
            children,
        ))
    }

    fn element_content(&mut self) -> Result<Element, XmlError> {
        let mut text = Pending::Empty;
        loop {
            let Some((rel, special)) = scan_text(self.bytes(self.pos, self.b.len())) else {
                return Err(nwf(self.b.len(), "unexpected end of input in content"));
            };
            let lt = self.pos + rel;
            if special {
                self.text_run(&mut text, self.pos, lt)?;
            } else {
                self.push_slice(&mut text, self.pos, lt);
            }
            self.pos = lt;
            match self.b.get(lt + 1).copied() {
                Some(b'/') => {
                    let Some(top) = self.scratch.stack.last() else {
                        return Err(nwf(lt, "end tag without start tag"));
                    };
                    let (expected, child_start) = (top.qname, top.child_start);
                    let want = self.bytes(expected.0, expected.1);
                    let name_end = lt + 2 + want.len();
                    // Common case: the expected name right before `>`, which the scanner
                    // below would accept just the same (`>` ends any name).
                    if bytes_eq(self.bytes(lt + 2, name_end), want)
                        && self.b.get(name_end) == Some(&b'>')
                    {
                        self.pos = name_end + 1;
                    } else {
                        self.pos = lt + 2;
                        let (qs, _, qe) = self.qname()?;
                        self.skip_space();
                        if self.peek() != Some(b'>') {
                            return Err(nwf(self.pos, "expected '>' in end tag"));
                        }
                        self.pos += 1;
                        if !bytes_eq(self.bytes(qs, qe), want) {
                            return Err(XmlError::MismatchedEndTag {
                                offset: lt,
                                expected: lossy(want),
                                found: lossy(self.bytes(qs, qe)),
                            });
                        }
                    }
                    self.flush(&mut text);
                    let children: Vec<Node> = if self.scratch.nodes.len() > child_start {
                        // One allocation of the exact size and one copy.
                        self.scratch.nodes.split_off(child_start)
                    } else {
                        Vec::new()
                    };
                    let Some(el) = self.close(children) else {
                        return Err(nwf(lt, "end tag without start tag"));
                    };
                    if self.scratch.stack.is_empty() {
                        return Ok(el);
                    }
                    self.scratch.nodes.push(Node::Element(el));
                }
                Some(b'!') if self.bytes(lt, lt + 9) == b"<![CDATA[" => self.cdata(&mut text)?,
                Some(b'!' | b'?') => return Err(self.markup_error(lt)),
                _ => {
                    if self.scratch.stack.len() >= self.limits.max_depth {
                        return Err(XmlError::LimitExceeded {
                            offset: lt,
                            limit: Limit::Depth,
                            max: self.limits.max_depth,
                        });
                    }
                    if self.scratch.stack.is_empty() {
                        return Err(nwf(lt, "content after the root element"));
                    }
                    self.flush(&mut text);
                    self.open_tag(true)?;
                }
            }
        }
    }

    /// The qualified name `[a, b)` as written.
    pub(crate) fn qname_str(&self, q: (usize, usize)) -> ByteString {
        self.sub(q.0, q.1)
    }
}
