//! Character classes of XML 1.0 (Fifth Edition) §2.2 and §2.3, with an ASCII fast path.

const START: u8 = 1;
const NAME: u8 = 2;
const DELIM: u8 = 4;

/// Class bits for ASCII bytes. `:` is deliberately absent: the namespace-aware name scanner
/// handles it as the prefix separator (XML Namespaces §3 `QName`).
static ASCII: [u8; 128] = ascii_table();

// Evaluated at compile time, where an out-of-bounds index is a build error, not a panic.
#[allow(clippy::indexing_slicing)]
const fn ascii_table() -> [u8; 128] {
    let mut t = [0u8; 128];
    let mut c: u8 = 0;
    while c < 128 {
        if c.is_ascii_alphabetic() || c == b'_' {
            t[c as usize] = START | NAME;
        } else if c.is_ascii_digit() || c == b'-' || c == b'.' {
            t[c as usize] = NAME;
        } else if c == b'>' || c == b'\'' || c == b'"' {
            t[c as usize] = DELIM;
        }
        c += 1;
    }
    t
}

/// Whether ASCII byte `b` may start an NCName.
#[inline]
pub(crate) fn ascii_name_start(b: u8) -> bool {
    ASCII.get(usize::from(b)).is_some_and(|c| c & START != 0)
}

/// Whether ASCII byte `b` may continue an NCName.
#[inline]
pub(crate) fn ascii_name_char(b: u8) -> bool {
    ASCII.get(usize::from(b)).is_some_and(|c| c & NAME != 0)
}

/// `NameStartChar` for non-ASCII characters (XML 1.0 §2.3 [4]).
pub(crate) fn name_start_char(c: char) -> bool {
    matches!(c as u32,
        0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF | 0x370..=0x37D | 0x37F..=0x1FFF
        | 0x200C..=0x200D | 0x2070..=0x218F | 0x2C00..=0x2FEF | 0x3001..=0xD7FF
        | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD | 0x10000..=0xEFFFF)
        || (c.is_ascii() && ascii_name_start(c as u8))
}

/// `NameChar` for any character (XML 1.0 §2.3 [4a]), without `:`.
pub(crate) fn name_char(c: char) -> bool {
    name_start_char(c)
        || (c.is_ascii() && ascii_name_char(c as u8))
        || matches!(c as u32, 0xB7 | 0x300..=0x36F | 0x203F..=0x2040)
}

/// XML 1.0 §2.2 `Char`.
#[inline]
pub(crate) fn is_xml_char(c: u32) -> bool {
    matches!(c, 0x9 | 0xA | 0xD | 0x20..=0xD7FF | 0xE000..=0xFFFD | 0x10000..=0x10_FFFF)
}

/// XML 1.0 §2.3 `S`.
#[inline]
pub(crate) fn is_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// What a whole-item scan found among the control characters.
#[derive(Clone, Copy, Default)]
pub(crate) struct CtrlScan {
    /// A literal CR exists (line-end normalisation needed, XML 1.0 §2.11).
    pub cr: bool,
    /// A literal TAB, LF or CR exists (attribute-value normalisation may be needed, §3.3.3).
    pub ws: bool,
}

/// Checks UTF-8 text for characters outside `Char`: C0 controls other than TAB/LF/CR and
/// U+FFFE/U+FFFF (surrogates cannot occur in a `str`). Returns the offending offset and code.
pub(crate) fn check_chars(s: &str) -> Result<CtrlScan, (usize, u32)> {
    let b = s.as_bytes();
    // The minimum byte tells, in one vectorisable pass, whether any control character exists.
    let min = b.chunks(64).fold(0xFF_u8, |m, c| c.iter().fold(m, |m, &x| m.min(x)));
    let mut scan = CtrlScan::default();
    if min < 0x20 {
        for (i, &x) in b.iter().enumerate() {
            match x {
                b'\r' => {
                    scan.cr = true;
                    scan.ws = true;
                }
                b'\t' | b'\n' => scan.ws = true,
                0..0x20 => return Err((i, u32::from(x))),
                _ => {}
            }
        }
    }
    // U+FFFE and U+FFFF are EF BF BE / EF BF BF.
    for i in memchr::memchr_iter(0xEF, b) {
        if let (Some(0xBF), Some(&last @ (0xBE | 0xBF))) = (b.get(i + 1), b.get(i + 2)) {
            return Err((i, 0xFFC0 | (u32::from(last) & 0x3F)));
        }
    }
    Ok(scan)
}

/// Position of `needle` in `hay`. Most gaps in XMPP markup are a few bytes long, where a plain
/// loop beats the set-up cost of a vectorised search; longer ones go to `memchr`.
#[inline]
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    let head = hay.get(..16).unwrap_or(hay);
    if let Some(i) = head.iter().position(|&c| c == needle) {
        return Some(i);
    }
    let rest = hay.get(head.len()..)?;
    memchr::memchr(needle, rest).map(|i| i + head.len())
}

/// Position of the first `>`, `'` or `"` in `hay` (a plain loop: tags are short).
#[inline]
pub(crate) fn find_tag_delim(hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&c| ASCII.get(usize::from(c)).is_some_and(|k| k & DELIM != 0))
}
