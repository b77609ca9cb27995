//! First pass: the resumable push tokenizer. It only finds where each top-level item (XML
//! declaration, stream header, stanza, stream end tag) ends, tracking depth, quotes and the
//! limits; the complete item is then handed to [`crate::build`] in one piece. Because this pass
//! keeps its cursor across calls, every byte is looked at once however the input is chunked.
//!
//! Fast path: a top-level element that is already complete in the buffer (the usual case, as
//! stanzas are small next to socket reads) is built in one pass, straight from the buffered
//! text, the builder finding its end itself. Whenever that does not succeed cleanly (the
//! element is incomplete, or anything is wrong with it) the two-pass path above takes over
//! from the same state, so errors, offsets and the independence from chunking are exactly
//! those of the two-pass path.

use bytes::{Buf, Bytes, BytesMut};
use bytestring::ByteString;
use memchr::memchr;

use std::cell::RefCell;

use crate::build::{Builder, NsContext, Scratch};
use crate::chars::{find_byte, find_tag_delim, is_space};
use crate::error::{Construct, Limit};
use crate::{Element, Event, Limits, STREAMS_NS, StreamHeader, XmlError};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Before the stream header (or, in fragment mode, before the first element).
    Prolog,
    /// Inside the stream (or between fragments).
    Content,
    /// After `</stream:stream>`: only white space may follow.
    Closed,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    Undecided,
    Decl,
    Header,
    Element,
    StreamEnd,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Scan {
    /// Just after the item's `<`.
    Open,
    /// Inside a start tag, outside quotes.
    Tag,
    /// Inside a quoted attribute value.
    Quote(u8),
    /// In element content, looking for `<`.
    Content,
    /// Just after a `<` in content.
    Lt,
    /// After `<!` in content: a CDATA section or a forbidden declaration.
    Bang,
    /// Inside a CDATA section.
    Cdata,
    /// Inside an end tag.
    EndTag,
    /// Inside the XML declaration.
    Decl,
}

#[derive(Clone, Copy, Debug)]
struct Item {
    kind: Kind,
    scan: Scan,
    /// Scan cursor, relative to the start of the buffer (where the item starts).
    pos: usize,
    depth: usize,
}

/// The push tokenizer: feed it bytes as they arrive, then call [`Parser::next_event`] until it
/// returns `Ok(None)`.
///
/// It holds at most one incomplete top-level item, which may not exceed
/// [`Limits::max_stanza_bytes`]: as long as every [`Parser::feed`] is followed by draining
/// [`Parser::next_event`], the buffer never exceeds that limit plus one fed chunk. After an
/// error the parser is poisoned: it discards further input and returns the same error again.
pub struct Parser {
    limits: Limits,
    fragments: bool,
    /// Input already checked to be UTF-8, which comes before `buf`: top-level elements that
    /// arrived complete are built from it directly, without the first pass.
    text: ByteString,
    /// How much of `text` has been consumed.
    text_pos: usize,
    /// `text` up to here consists of XML `Char`s, so that elements built from it need no
    /// check of their own: all of it or none, checked once when it is frozen.
    text_clean: usize,
    buf: BytesMut,
    /// Bytes removed from the front of `buf` since the start (or the last reset).
    consumed: usize,
    phase: Phase,
    decl_allowed: bool,
    item: Option<Item>,
    ctx: NsContext,
    stream_qname: ByteString,
    pending_end: bool,
    failed: Option<XmlError>,
}

thread_local! {
    /// The builder's reusable allocations, shared by every parser on this thread: an item is
    /// built within one call and the scratch is cleared after it, so no parser needs its own
    /// between items (thousands of idle streams would each keep about a kilobyte).
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// Runs `f` with this thread's scratch, or a fresh one when that is unavailable (in use
/// further up the stack, or the thread is being torn down).
fn with_scratch<R>(mut f: impl FnMut(&mut Scratch) -> R) -> R {
    SCRATCH
        .try_with(|cell| cell.try_borrow_mut().ok().map(|mut s| f(&mut s)))
        .ok()
        .flatten()
        .unwrap_or_else(|| f(&mut Scratch::default()))
}

impl std::fmt::Debug for Parser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parser")
            .field("fragments", &self.fragments)
            .field("buffered", &self.buffered())
            .field("consumed", &self.consumed)
            .field("phase", &self.phase)
            .field("failed", &self.failed)
            .finish_non_exhaustive()
    }
}

fn nwf(offset: usize, reason: &'static str) -> XmlError {
    XmlError::NotWellFormed { offset, reason }
}

impl Parser {
    /// A parser for a whole XMPP stream: an optional XML declaration, the
    /// `<stream:stream>` header, then top-level elements until `</stream:stream>`.
    pub fn new(limits: Limits) -> Self {
        Self::with_mode(limits, false)
    }

    /// A parser that returns every top-level element as one event, without a stream wrapper
    /// (RFC 7395 WebSocket framing, stored XML, tests).
    pub fn new_fragments(limits: Limits) -> Self {
        Self::with_mode(limits, true)
    }

    fn with_mode(limits: Limits, fragments: bool) -> Self {
        Self {
            limits,
            fragments,
            text: ByteString::new(),
            text_pos: 0,
            text_clean: 0,
            buf: BytesMut::new(),
            consumed: 0,
            phase: Phase::Prolog,
            decl_allowed: true,
            item: None,
            ctx: NsContext::default(),
            stream_qname: ByteString::new(),
            pending_end: false,
            failed: None,
        }
    }

    /// The configured limits.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Appends a chunk of input; it may end anywhere, even inside a UTF-8 sequence.
    pub fn feed(&mut self, bytes: &[u8]) {
        if self.failed.is_none() {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Bytes held but not yet returned as events.
    pub fn buffered(&self) -> usize {
        self.text.len().saturating_sub(self.text_pos) + self.buf.len()
    }

    /// Restarts the stream (RFC 6120 §4.3.3) after STARTTLS: forgets the old header and its
    /// namespaces and expects a new header. Buffered input is discarded: anything received in
    /// plaintext after `<starttls/>` must not be processed as part of the secured stream
    /// (RFC 6120 §5.4.3.3).
    pub fn reset(&mut self) {
        let limits = self.limits.clone();
        *self = Self::with_mode(limits, self.fragments);
    }

    /// Restarts the stream like [`Parser::reset`] but keeps input already buffered, which
    /// belongs to the new stream: for the restart after SASL success (RFC 6120 §6.4.6), where
    /// a client may have pipelined its new stream header (XEP-0305). Never use this after
    /// STARTTLS.
    pub fn reset_keep_buffered(&mut self) {
        self.unfreeze();
        let buf = std::mem::take(&mut self.buf);
        let failed = self.failed.take();
        self.reset();
        self.buf = buf;
        self.failed = failed;
    }

    /// The next event, `Ok(None)` when more input is needed.
    pub fn next_event(&mut self) -> Result<Option<Event>, XmlError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        match self.step() {
            Ok(ev) => Ok(ev),
            Err(e) => {
                self.failed = Some(e.clone());
                self.text = ByteString::new();
                self.text_pos = 0;
                self.buf = BytesMut::new();
                self.item = None;
                Err(e)
            }
        }
    }

    fn discard(&mut self, n: usize) {
        self.buf.advance(n);
        self.consumed += n;
    }

    #[inline]
    fn step(&mut self) -> Result<Option<Event>, XmlError> {
        loop {
            if self.pending_end {
                self.pending_end = false;
                self.phase = Phase::Closed;
                return Ok(Some(Event::StreamEnd));
            }
            if self.item.is_none() {
                if let Some(el) = self.fast_element() {
                    return Ok(Some(Event::Element(el)));
                }
                self.unfreeze();
                let n = self
                    .buf
                    .iter()
                    .position(|&b| !is_space(b))
                    .unwrap_or(self.buf.len());
                if n > 0 {
                    self.decl_allowed = false;
                    self.discard(n);
                }
                let Some(&first) = self.buf.first() else {
                    return Ok(None);
                };
                if self.phase == Phase::Closed {
                    return Err(nwf(self.consumed, "data after the stream end"));
                }
                if first != b'<' {
                    if self.decl_allowed && self.consumed == 0 {
                        // Wait until a signature (BOM, UTF-16 NULs) can be told apart, so
                        // that the verdict does not depend on how the input was chunked.
                        if self.buf.len() < 3 {
                            return Ok(None);
                        }
                        if let Some(skip) = self.check_encoding()? {
                            self.discard(skip);
                            continue;
                        }
                    }
                    return Err(nwf(self.consumed, "character data outside of an element"));
                }
                self.item = Some(Item {
                    kind: Kind::Undecided,
                    scan: Scan::Open,
                    pos: 1,
                    depth: 0,
                });
            }
            match self.scan()? {
                None => {
                    if self.buf.len() > self.limits.max_stanza_bytes {
                        return Err(self.too_big());
                    }
                    return Ok(None);
                }
                Some(end) => {
                    if end > self.limits.max_stanza_bytes {
                        return Err(self.too_big());
                    }
                    let kind = self.item.take().map_or(Kind::Undecided, |i| i.kind);
                    self.decl_allowed = false;
                    if let Some(ev) = self.finish(kind, end)? {
                        return Ok(Some(ev));
                    }
                }
            }
        }
    }

    /// Puts text that the fast path could not use back in front of the byte buffer, for the
    /// first pass. Copies at most what arrived since the last complete element.
    fn unfreeze(&mut self) {
        let text = std::mem::take(&mut self.text);
        let pos = std::mem::take(&mut self.text_pos);
        let rest = text.as_bytes().get(pos..).unwrap_or_default();
        if rest.is_empty() {
            return;
        }
        let mut buf = BytesMut::with_capacity(rest.len() + self.buf.len());
        buf.extend_from_slice(rest);
        buf.extend_from_slice(&self.buf);
        self.buf = buf;
    }

    /// The fast path for a top-level element that is already complete in the buffer: builds it
    /// straight from the UTF-8-checked text, which also finds where it ends. Anything unusual
    /// (an incomplete element, any error, the size limit) returns `None` and leaves the state
    /// as it was, apart from white space skipped, so that the two-pass path decides with its
    /// exact offsets and its chunking-independent verdicts.
    #[inline]
    fn fast_element(&mut self) -> Option<Element> {
        if !(self.phase == Phase::Content || (self.fragments && self.phase == Phase::Prolog)) {
            return None;
        }
        if self.text_pos >= self.text.len() {
            self.text = ByteString::new();
            self.text_pos = 0;
            if self.buf.is_empty() {
                // All input consumed: give back the spare tail of the last read's allocation,
                // which an idle stream would otherwise keep until its next input.
                if self.buf.capacity() > 0 {
                    self.buf = BytesMut::new();
                }
                return None;
            }
            let frozen = self.buf.split().freeze();
            match ByteString::try_from(frozen.clone()) {
                Ok(t) => self.text = t,
                Err(e) => {
                    // Keep the part that is not (yet) valid UTF-8 for the first pass.
                    let n = e.valid_up_to();
                    self.buf = BytesMut::from(frozen.get(n..).unwrap_or_default());
                    self.text = ByteString::try_from(frozen.slice(..n)).ok()?;
                }
            }
            self.text_clean = if crate::chars::check_chars(&self.text).is_ok() {
                self.text.len()
            } else {
                0
            };
        }
        let start = self.text_pos;
        let b = self.text.as_bytes();
        let rest = b.get(start..).unwrap_or_default();
        let ws = rest
            .iter()
            .position(|&c| !is_space(c))
            .unwrap_or(rest.len());
        if ws > 0 {
            self.decl_allowed = false;
            self.consumed += ws;
            self.text_pos += ws;
        }
        let start = self.text_pos;
        match (b.get(start), b.get(start + 1)) {
            (Some(b'<'), Some(c)) if !matches!(c, b'/' | b'!' | b'?') => {}
            _ => return None,
        }
        let (result, end) = with_scratch(|scratch| {
            let mut builder = Builder::new_unchecked(&self.text, &self.limits, &self.ctx, scratch);
            builder.start_at(start);
            let result = builder.element();
            let end = builder.pos();
            builder.finish();
            (result, end)
        });
        let el = result.ok()?;
        let t: &str = &self.text;
        let item = t.get(start..end)?;
        if item.len() > self.limits.max_stanza_bytes
            || (end > self.text_clean && crate::chars::check_chars(item).is_err())
        {
            return None;
        }
        self.text_pos = end;
        self.consumed += item.len();
        self.decl_allowed = false;
        self.phase = Phase::Content;
        Some(el)
    }

    fn too_big(&self) -> XmlError {
        XmlError::LimitExceeded {
            offset: self.consumed.saturating_add(self.limits.max_stanza_bytes),
            limit: Limit::StanzaBytes,
            max: self.limits.max_stanza_bytes,
        }
    }

    /// At the very start, before anything but `<`: a UTF-8 byte order mark is skipped (XML 1.0
    /// §4.3.3 allows it), other encodings are refused (RFC 6120 §11.6). `Some(n)`: skip n bytes.
    fn check_encoding(&self) -> Result<Option<usize>, XmlError> {
        let b = &self.buf[..];
        let encoding = match b {
            [0xEF, 0xBB, 0xBF, ..] => return Ok(Some(3)),
            [0xFE, 0xFF, ..] | [0xFF, 0xFE, ..] => "UTF-16 (byte order mark)",
            [0, ..] | [_, 0, ..] => "UTF-16 or UTF-32 (NUL bytes)",
            _ => return Ok(None),
        };
        Err(XmlError::UnsupportedEncoding {
            offset: self.consumed,
            encoding: encoding.into(),
        })
    }

    /// Advances the scan of the current item; `Some(end)` once it is complete.
    // One state machine reads best as one match.
    #[allow(clippy::too_many_lines)]
    fn scan(&mut self) -> Result<Option<usize>, XmlError> {
        let base = self.consumed;
        let max_depth = self.limits.max_depth;
        let b: &[u8] = &self.buf;
        let Some(it) = self.item.as_mut() else {
            return Ok(None);
        };
        loop {
            let rest = b.get(it.pos..).unwrap_or_default();
            match it.scan {
                Scan::Open => {
                    let Some(&c) = b.get(1) else { return Ok(None) };
                    match c {
                        b'?' => {
                            let head = b.get(..6).unwrap_or(b);
                            let is_decl = head.len() == 6
                                && head.starts_with(b"<?xml")
                                && head.get(5).copied().is_some_and(is_space);
                            if head.len() < 6 && b"<?xml".starts_with(head.get(..5).unwrap_or(head))
                            {
                                return Ok(None);
                            }
                            if !is_decl || !self.decl_allowed {
                                return Err(XmlError::Restricted {
                                    offset: base,
                                    construct: Construct::ProcessingInstruction,
                                });
                            }
                            it.kind = Kind::Decl;
                            it.scan = Scan::Decl;
                            it.pos = 6;
                        }
                        b'!' => {
                            let Some(&d) = b.get(2) else { return Ok(None) };
                            return Err(match d {
                                b'-' => XmlError::Restricted {
                                    offset: base,
                                    construct: Construct::Comment,
                                },
                                b'[' => nwf(base, "CDATA section outside of an element"),
                                _ => XmlError::Restricted {
                                    offset: base,
                                    construct: Construct::Doctype,
                                },
                            });
                        }
                        b'/' => {
                            if self.fragments || self.phase != Phase::Content {
                                return Err(nwf(base, "end tag without start tag"));
                            }
                            it.kind = Kind::StreamEnd;
                            it.scan = Scan::EndTag;
                            it.pos = 2;
                        }
                        _ => {
                            it.kind = if !self.fragments && self.phase == Phase::Prolog {
                                Kind::Header
                            } else {
                                Kind::Element
                            };
                            it.scan = Scan::Tag;
                            it.depth = 1;
                        }
                    }
                }
                Scan::Tag => {
                    let Some(rel) = find_tag_delim(rest) else {
                        it.pos = b.len();
                        return Ok(None);
                    };
                    let at = it.pos + rel;
                    match b.get(at).copied() {
                        Some(b'>') => {
                            it.pos = at + 1;
                            if it.kind == Kind::Header {
                                return Ok(Some(it.pos));
                            }
                            if at > 0 && b.get(at - 1) == Some(&b'/') {
                                it.depth -= 1;
                            }
                            if it.depth == 0 {
                                return Ok(Some(it.pos));
                            }
                            it.scan = Scan::Content;
                        }
                        Some(q) => {
                            it.scan = Scan::Quote(q);
                            it.pos = at + 1;
                        }
                        None => return Ok(None),
                    }
                }
                Scan::Quote(q) => {
                    let Some(rel) = find_byte(q, rest) else {
                        it.pos = b.len();
                        return Ok(None);
                    };
                    it.pos += rel + 1;
                    it.scan = Scan::Tag;
                }
                Scan::Content => {
                    let Some(rel) = find_byte(b'<', rest) else {
                        it.pos = b.len();
                        return Ok(None);
                    };
                    it.pos += rel + 1;
                    it.scan = Scan::Lt;
                }
                Scan::Lt => {
                    let Some(&c) = rest.first() else {
                        return Ok(None);
                    };
                    match c {
                        b'/' => {
                            it.pos += 1;
                            it.scan = Scan::EndTag;
                        }
                        b'!' => it.scan = Scan::Bang,
                        b'?' => {
                            return Err(XmlError::Restricted {
                                offset: base + it.pos - 1,
                                construct: Construct::ProcessingInstruction,
                            });
                        }
                        _ => {
                            it.depth += 1;
                            if it.depth > max_depth {
                                return Err(XmlError::LimitExceeded {
                                    offset: base + it.pos - 1,
                                    limit: Limit::Depth,
                                    max: max_depth,
                                });
                            }
                            it.scan = Scan::Tag;
                        }
                    }
                }
                Scan::Bang => {
                    const CDATA: &[u8] = b"![CDATA[";
                    let n = rest.len().min(CDATA.len());
                    if rest.get(..n) == CDATA.get(..n) {
                        if n < CDATA.len() {
                            return Ok(None);
                        }
                        it.pos += CDATA.len();
                        it.scan = Scan::Cdata;
                        continue;
                    }
                    let offset = base + it.pos - 1;
                    return Err(match rest.get(1) {
                        Some(b'-') => XmlError::Restricted {
                            offset,
                            construct: Construct::Comment,
                        },
                        Some(b'[') => nwf(offset, "malformed CDATA section"),
                        _ => XmlError::Restricted {
                            offset,
                            construct: Construct::Doctype,
                        },
                    });
                }
                Scan::Cdata => {
                    let Some(rel) = memchr::memmem::find(rest, b"]]>") else {
                        // Keep two bytes so that a terminator split across chunks is found.
                        it.pos = b.len().saturating_sub(2).max(it.pos);
                        return Ok(None);
                    };
                    it.pos += rel + 3;
                    it.scan = Scan::Content;
                }
                Scan::EndTag => {
                    let Some(rel) = memchr(b'>', rest) else {
                        it.pos = b.len();
                        return Ok(None);
                    };
                    it.pos += rel + 1;
                    if it.kind == Kind::StreamEnd {
                        return Ok(Some(it.pos));
                    }
                    it.depth -= 1;
                    if it.depth == 0 {
                        return Ok(Some(it.pos));
                    }
                    it.scan = Scan::Content;
                }
                Scan::Decl => {
                    let Some(rel) = memchr(b'>', rest) else {
                        it.pos = b.len();
                        return Ok(None);
                    };
                    let at = it.pos + rel;
                    it.pos = at + 1;
                    if b.get(at - 1) == Some(&b'?') {
                        return Ok(Some(it.pos));
                    }
                }
            }
        }
    }

    /// Turns the complete item `buf[..end]` into an event.
    fn finish(&mut self, kind: Kind, end: usize) -> Result<Option<Event>, XmlError> {
        // Splitting off the item shares the buffer's allocation instead of copying: the
        // item's strings keep (part of) one fed chunk alive, never more than the buffer held.
        let end = end.min(self.buf.len());
        let raw = self.buf.split_to(end).freeze();
        let base = self.consumed;
        self.consumed += end;
        match kind {
            Kind::Decl => {
                crate::decl::check(&raw).map_err(|e| e.shifted(base))?;
                Ok(None)
            }
            Kind::StreamEnd => {
                let name = raw.get(2..raw.len().saturating_sub(1)).unwrap_or_default();
                let name_end = name.iter().position(|&b| is_space(b)).unwrap_or(name.len());
                let (qname, trailing) = name.split_at(name_end);
                if qname != self.stream_qname.as_bytes() || !trailing.iter().all(|&b| is_space(b)) {
                    return Err(XmlError::MismatchedEndTag {
                        offset: base,
                        expected: self.stream_qname.to_string(),
                        found: String::from_utf8_lossy(qname).chars().take(64).collect(),
                    });
                }
                self.phase = Phase::Closed;
                Ok(Some(Event::StreamEnd))
            }
            Kind::Header => {
                let src = utf8(&raw, base)?;
                let (header, qname, empty) = self.header(&src).map_err(|e| e.shifted(base))?;
                self.ctx = NsContext {
                    default_ns: header.default_ns.clone().unwrap_or_default(),
                    prefixes: header.prefixes.clone(),
                };
                self.stream_qname = qname;
                self.phase = Phase::Content;
                self.pending_end = empty;
                Ok(Some(Event::StreamStart(header)))
            }
            Kind::Element | Kind::Undecided => {
                self.phase = Phase::Content;
                let src = utf8(&raw, base)?;
                let el = self.element(&src).map_err(|e| e.shifted(base))?;
                Ok(Some(Event::Element(el)))
            }
        }
    }

    fn element(&self, src: &ByteString) -> Result<Element, XmlError> {
        with_scratch(|scratch| {
            let mut b = Builder::new(src, &self.limits, &self.ctx, scratch)?;
            let result = b.element().and_then(|el| {
                if b.at_end() {
                    Ok(el)
                } else {
                    Err(nwf(src.len(), "data after the root element"))
                }
            });
            b.finish();
            result
        })
    }

    fn header(&mut self, src: &ByteString) -> Result<(StreamHeader, ByteString, bool), XmlError> {
        let empty_ctx = NsContext::default();
        let (header, qname, empty) = with_scratch(|scratch| {
            let mut b = Builder::new(src, &self.limits, &empty_ctx, scratch)?;
            let result = b.start_tag().map(|(st, empty)| {
                let prefixes = b.bindings_since(st.mark);
                let qname = b.qname_str(st.qname);
                let header = StreamHeader {
                    ns: st.ns,
                    name: st.name,
                    attrs: st.attrs,
                    default_ns: b.declared_default_since(st.mark).then(|| b.default_ns()),
                    prefixes,
                };
                (header, qname, empty)
            });
            b.finish();
            result
        })?;
        if &*header.ns != STREAMS_NS || &*header.name != "stream" {
            return Err(XmlError::InvalidStreamNamespace {
                ns: header.ns.to_string(),
                name: header.name.to_string(),
            });
        }
        Ok((header, qname, empty))
    }
}

fn utf8(raw: &Bytes, base: usize) -> Result<ByteString, XmlError> {
    ByteString::try_from(raw.clone()).map_err(|_| {
        let valid = std::str::from_utf8(raw).map_or_else(|e| e.valid_up_to(), |_| 0);
        XmlError::InvalidUtf8 {
            offset: base + valid,
        }
    })
}
