//! A cheap scanner for `<message …>…</message>` and `<presence …>` elements in the server's
//! byte stream once a session is established: no tree is built, so the generator's cost per
//! routed message stays far below the server's.
//!
//! It relies on what every XMPP stream guarantees (RFC 6120 §11, XML 1.0 §2.4): `<` never
//! appears raw in character data or attribute values, so `<message` and `</message>` in the
//! bytes are tags. A `<message>` nested inside another stanza (e.g. a forwarded one) is
//! counted on its own; the workloads here never receive such stanzas.

use memchr::memmem;

/// Largest element the scanner buffers before giving up.
pub const MAX_ELEMENT: usize = 256 * 1024;

/// What the scanner found in one chunk.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Found {
    /// Complete `<message>` elements that are not errors.
    pub messages: usize,
    /// `<message type='error'>` elements.
    pub errors: usize,
    /// `<presence>` start tags.
    pub presences: usize,
    /// The `<body>` text of each counted message, if the caller asked for bodies.
    pub bodies: Vec<Vec<u8>>,
}

/// Incremental scanner; keeps only the bytes of an unfinished element.
#[derive(Debug, Default)]
pub struct Scanner {
    buf: Vec<u8>,
    /// Whether to collect bodies (latency timestamps).
    pub want_bodies: bool,
}

fn is_tag_end(b: Option<&u8>) -> bool {
    matches!(b, Some(b' ' | b'>' | b'/' | b'\t' | b'\r' | b'\n'))
}

/// The start tag `<name …>` beginning at `at`, if complete: its length and whether it is
/// self-closing.
fn start_tag(buf: &[u8], at: usize) -> Option<(usize, bool)> {
    let rest = buf.get(at..)?;
    let end = memchr::memchr(b'>', rest)?;
    let self_closing = end > 0 && rest.get(end - 1) == Some(&b'/');
    Some((end + 1, self_closing))
}

fn has_type_error(tag: &[u8]) -> bool {
    memmem::find(tag, b"type='error'").is_some() || memmem::find(tag, b"type=\"error\"").is_some()
}

fn body_of(element: &[u8]) -> Option<Vec<u8>> {
    let open = memmem::find(element, b"<body")?;
    let (len, self_closing) = start_tag(element, open)?;
    if self_closing {
        return Some(Vec::new());
    }
    let text = element.get(open + len..)?;
    let close = memmem::find(text, b"</body>")?;
    text.get(..close).map(<[u8]>::to_vec)
}

impl Scanner {
    /// A scanner; `want_bodies` collects message bodies.
    pub fn new(want_bodies: bool) -> Self {
        Self {
            buf: Vec::new(),
            want_bodies,
        }
    }

    /// Feeds a chunk and reports the complete elements in it (plus what was held back).
    pub fn feed(&mut self, chunk: &[u8]) -> Result<Found, String> {
        self.buf.extend_from_slice(chunk);
        let mut found = Found::default();
        let mut pos = 0;
        let keep_from = loop {
            let Some(lt) = memchr::memchr(b'<', self.buf.get(pos..).unwrap_or_default()) else {
                break self.buf.len();
            };
            let at = pos + lt;
            let rest = self.buf.get(at..).unwrap_or_default();
            if rest.starts_with(b"<message") && rest.len() > 8 {
                if !is_tag_end(rest.get(8)) {
                    pos = at + 1;
                    continue;
                }
                let Some((tag_len, self_closing)) = start_tag(&self.buf, at) else {
                    break at;
                };
                let tag = self.buf.get(at..at + tag_len).unwrap_or_default();
                let error = has_type_error(tag);
                let end = if self_closing {
                    at + tag_len
                } else {
                    let body_start = at + tag_len;
                    let Some(close) = memmem::find(
                        self.buf.get(body_start..).unwrap_or_default(),
                        b"</message>",
                    ) else {
                        break at;
                    };
                    body_start + close + b"</message>".len()
                };
                if error {
                    found.errors += 1;
                } else {
                    found.messages += 1;
                    if self.want_bodies {
                        let element = self.buf.get(at..end).unwrap_or_default();
                        found.bodies.push(body_of(element).unwrap_or_default());
                    }
                }
                pos = end;
            } else if rest.starts_with(b"<presence") && rest.len() > 9 {
                if is_tag_end(rest.get(9)) {
                    found.presences += 1;
                }
                pos = at + 9;
            } else if rest.len() < 10 {
                // Maybe the start of a name cut by the chunk boundary.
                break at;
            } else {
                pos = at + 1;
            }
        };
        self.buf.drain(..keep_from.min(self.buf.len()));
        if self.buf.len() > MAX_ELEMENT {
            return Err(format!("an element larger than {MAX_ELEMENT} bytes"));
        }
        Ok(found)
    }

    /// Bytes held back for an unfinished element.
    pub fn held(&self) -> usize {
        self.buf.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &[u8] = b"<message from='a@x/r' to='b@x/s' type='chat'><body>123</body></message>\
        <presence from='c@x/r'/><message to='b@x/s' type=\"error\"><error/></message>\
        <message from='a@x/r'><body>45&amp;</body><thread>t</thread></message><iq type='result'/>";

    #[test]
    fn whole_input() {
        let mut s = Scanner::new(true);
        let f = s.feed(TWO).unwrap();
        assert_eq!(f.messages, 2);
        assert_eq!(f.errors, 1);
        assert_eq!(f.presences, 1);
        assert_eq!(f.bodies, vec![b"123".to_vec(), b"45&amp;".to_vec()]);
        assert_eq!(s.held(), 0);
    }

    #[test]
    fn every_split_point_gives_the_same_counts() {
        for split in 0..=TWO.len() {
            let mut s = Scanner::new(true);
            let (a, b) = TWO.split_at(split);
            let f1 = s.feed(a).unwrap();
            let f2 = s.feed(b).unwrap();
            assert_eq!(f1.messages + f2.messages, 2, "split {split}");
            assert_eq!(f1.errors + f2.errors, 1, "split {split}");
            assert_eq!(f1.presences + f2.presences, 1, "split {split}");
            let mut bodies = f1.bodies;
            bodies.extend(f2.bodies);
            assert_eq!(bodies, vec![b"123".to_vec(), b"45&amp;".to_vec()]);
        }
    }

    #[test]
    fn byte_at_a_time() {
        let mut s = Scanner::new(false);
        let mut n = 0;
        for b in TWO {
            n += s.feed(std::slice::from_ref(b)).unwrap().messages;
        }
        assert_eq!(n, 2);
    }

    #[test]
    fn similar_names_are_not_messages() {
        let mut s = Scanner::new(false);
        let f = s
            .feed(b"<messages xmlns='x'/><presences/><message/>")
            .unwrap();
        assert_eq!((f.messages, f.presences), (1, 0));
    }

    #[test]
    fn unterminated_element_is_bounded() {
        let mut s = Scanner::new(false);
        assert!(s.feed(b"<message><body>").is_ok());
        assert!(s.feed(&vec![b'a'; MAX_ELEMENT]).is_err());
    }
}
