//! Character classes of XML 1.0 (Fifth Edition) §2.2 and §2.3, with an ASCII fast path.

// The hot helpers are forced inline: each was measured (callgrind) to pay for itself, where
// plain `#[inline]` left them out of line with costly prologues and register spills.
#![allow(clippy::inline_always)]

const START: u8 = 1;
const NAME: u8 = 2;
const DELIM: u8 = 4;

/// Class bits for ASCII bytes. `:` is deliberately absent: the namespace-aware name scanner
/// handles it as the prefix separator (XML Namespaces §3 `QName`).
/// Indexed by any byte (so lookups need no bounds check); bytes ≥ 0x80 have no class.
static ASCII: [u8; 256] = ascii_table();

// Evaluated at compile time, where an out-of-bounds index is a build error, not a panic.
#[allow(clippy::indexing_slicing)]
const fn ascii_table() -> [u8; 256] {
    let mut t = [0u8; 256];
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

/// `NameStartChar` for non-ASCII characters (XML 1.0 §2.3, production 4).
pub(crate) fn name_start_char(c: char) -> bool {
    matches!(c as u32,
        0xC0..=0xD6 | 0xD8..=0xF6 | 0xF8..=0x2FF | 0x370..=0x37D | 0x37F..=0x1FFF
        | 0x200C..=0x200D | 0x2070..=0x218F | 0x2C00..=0x2FEF | 0x3001..=0xD7FF
        | 0xF900..=0xFDCF | 0xFDF0..=0xFFFD | 0x10000..=0xEFFFF)
        || (c.is_ascii() && ascii_name_start(c as u8))
}

/// `NameChar` for any character (XML 1.0 §2.3, production 4a), without `:`.
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

/// Checks UTF-8 text for characters outside `Char`: C0 controls other than TAB/LF/CR and
/// U+FFFE/U+FFFF (surrogates cannot occur in a `str`). Returns the offending offset and code.
pub(crate) fn check_chars(s: &str) -> Result<(), (usize, u32)> {
    let b = s.as_bytes();
    // The minimum and maximum bytes tell, in one vectorisable pass, whether any control
    // character exists and whether any lead byte of U+FFFE/U+FFFF (0xEF) or above does: most
    // stanzas need no second pass at all.
    let (min, max) = b
        .iter()
        .fold((0xFF_u8, 0_u8), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    if min < 0x20 {
        for (i, &x) in b.iter().enumerate() {
            if x < 0x20 && !matches!(x, b'\t' | b'\n' | b'\r') {
                return Err((i, u32::from(x)));
            }
        }
    }
    if max < 0xEF {
        return Ok(());
    }
    // U+FFFE and U+FFFF are EF BF BE / EF BF BF.
    for i in memchr::memchr_iter(0xEF, b) {
        if let (Some(0xBF), Some(&last @ (0xBE | 0xBF))) = (b.get(i + 1), b.get(i + 2)) {
            return Err((i, 0xFFC0 | (u32::from(last) & 0x3F)));
        }
    }
    Ok(())
}

// SWAR ("SIMD within a register") scanning, eight bytes per step in safe code. For each
// predicate the lowest flagged byte is exact: false positives can only appear above a true
// match, from the borrow of the subtraction, so "first match" and "any match below the
// first X" are both computed correctly.
const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// High bit set in each byte of `x` that is zero (exact up to the first one).
#[inline]
fn zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(LO) & !x & HI
}

/// High bit set in each byte of `x` that equals `b` (exact up to the first one).
#[inline]
pub(crate) fn eq_bytes(x: u64, b: u8) -> u64 {
    zero_bytes(x ^ (LO * u64::from(b)))
}

/// High bit set in each byte of `x` that is below `n` (`n` ≤ 128; exact up to the first one).
#[inline]
pub(crate) fn lt_bytes(x: u64, n: u8) -> u64 {
    x.wrapping_sub(LO * u64::from(n)) & !x & HI
}

/// The eight bytes at `chunk` as a little-endian word.
#[inline]
fn word(chunk: &[u8]) -> u64 {
    u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]))
}

/// The four bytes at `chunk` as a little-endian word.
#[inline]
pub(crate) fn half(chunk: &[u8]) -> u32 {
    u32::from_le_bytes(chunk.try_into().unwrap_or([0; 4]))
}

/// Byte equality without a library call, for the short strings (names, namespaces) compared
/// while parsing: whole words, the tail as one overlapping word (no byte loop).
#[inline]
pub(crate) fn bytes_eq(a: &[u8], b: &[u8]) -> bool {
    let len = a.len();
    if len != b.len() {
        return false;
    }
    if len >= 8 {
        let (mut wa, mut wb) = (a.chunks_exact(8), b.chunks_exact(8));
        for (p, q) in (&mut wa).zip(&mut wb) {
            if word(p) != word(q) {
                return false;
            }
        }
        let tail = len - 8;
        return len.is_multiple_of(8)
            || word(a.get(tail..).unwrap_or_default()) == word(b.get(tail..).unwrap_or_default());
    }
    if len >= 4 {
        let tail = len - 4;
        return half(a.get(..4).unwrap_or_default()) == half(b.get(..4).unwrap_or_default())
            && half(a.get(tail..).unwrap_or_default()) == half(b.get(tail..).unwrap_or_default());
    }
    a.iter().zip(b).all(|(p, q)| p == q)
}

/// Position of the first byte flagged by `flag` (word-wise) / `pred` (for the tail).
#[inline]
pub(crate) fn find_by(
    hay: &[u8],
    flag: impl Fn(u64) -> u64,
    pred: impl Fn(u8) -> bool,
) -> Option<usize> {
    let mut chunks = hay.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let m = flag(word(c));
        if m != 0 {
            return Some(base + (m.trailing_zeros() / 8) as usize);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| pred(b))
        .map(|i| base + i)
}

/// Position of `needle` in `hay`.
#[inline]
pub(crate) fn find_byte(needle: u8, hay: &[u8]) -> Option<usize> {
    find_by(hay, |x| eq_bytes(x, needle), |b| b == needle)
}

/// Position of the first `>`, `'` or `"` in `hay`.
#[inline]
pub(crate) fn find_tag_delim(hay: &[u8]) -> Option<usize> {
    find_by(
        hay,
        |x| eq_bytes(x, b'>') | eq_bytes(x, b'\'') | eq_bytes(x, b'"'),
        |b| matches!(b, b'>' | b'\'' | b'"'),
    )
}

/// For an attribute value starting at `hay[0]` and closed by quote `q`: the position of the
/// closing quote, and whether a byte that needs decoding (`&`, `<`, a control character)
/// comes before it.
#[inline(always)]
pub(crate) fn scan_attr_value(hay: &[u8], q: u8) -> Option<(usize, bool)> {
    // One scan for the first byte below 0x28 (both quotes, `&`, control characters, and the
    // harmless space, `!`, `#`, `$`, `%`, which are skipped) or `<`: two SWAR tests per word
    // instead of four. Only values with a special byte need a second scan for the quote.
    let mut from = 0;
    loop {
        let rel = find_by(
            hay.get(from..)?,
            |x| lt_bytes(x, 0x28) | eq_bytes(x, b'<'),
            |b| b < 0x28 || b == b'<',
        )?;
        let at = from + rel;
        let b = *hay.get(at)?;
        if b == q {
            return Some((at, false));
        }
        if b == b'&' || b == b'<' || b < 0x20 {
            let rest = hay.get(at..)?;
            return find_byte(q, rest).map(|r| (at + r, true));
        }
        from = at + 1;
    }
}

/// The first `<` in character data, and whether a byte that needs decoding (a reference, a
/// `>` for the `]]>` check, a CR) comes before it.
#[inline(always)]
pub(crate) fn scan_text(hay: &[u8]) -> Option<(usize, bool)> {
    let first = find_by(
        hay,
        |x| eq_bytes(x, b'<') | eq_bytes(x, b'&') | eq_bytes(x, b'>') | eq_bytes(x, b'\r'),
        |b| matches!(b, b'<' | b'&' | b'>' | b'\r'),
    )?;
    if hay.get(first) == Some(&b'<') {
        return Some((first, false));
    }
    let rest = hay.get(first..)?;
    find_byte(b'<', rest).map(|rel| (first + rel, true))
}

/// Whether character data needs decoding: a reference, a `>` (for the `]]>` check) or a CR.
#[inline]
pub(crate) fn text_special(hay: &[u8]) -> bool {
    find_by(
        hay,
        |x| eq_bytes(x, b'&') | eq_bytes(x, b'>') | eq_bytes(x, b'\r'),
        |b| matches!(b, b'&' | b'>' | b'\r'),
    )
    .is_some()
}

#[cfg(test)]
mod tests {
    use super::{bytes_eq, scan_attr_value};

    #[test]
    fn bytes_eq_matches_slice_equality() {
        let base: Vec<u8> = (0..40u8).map(|i| b'a' + i % 26).collect();
        for n in 0..base.len() {
            let a = base.get(..n).unwrap_or_default();
            assert!(bytes_eq(a, a));
            assert!(!bytes_eq(a, base.get(..n + 1).unwrap_or_default()));
            for k in 0..n {
                let mut b = a.to_vec();
                if let Some(x) = b.get_mut(k) {
                    *x ^= 0x20;
                }
                assert!(!bytes_eq(a, &b), "{n} {k}");
            }
        }
    }

    /// The SWAR scan against a byte-by-byte reference, with special bytes, the other quote
    /// and the skipped near-misses (space, `!`, `#`, `$`, `%`) at every position.
    #[test]
    fn scan_attr_value_matches_reference() {
        fn reference(hay: &[u8], q: u8) -> Option<(usize, bool)> {
            let end = hay.iter().position(|&b| b == q)?;
            let special = hay
                .iter()
                .take(end)
                .any(|&b| b == b'&' || b == b'<' || b < 0x20);
            Some((end, special))
        }
        let fillers = [
            b'a', b' ', b'!', b'#', b'$', b'%', b'&', b'<', b'\t', 0x01, b'\'', b'"', 0xC3, b'(',
        ];
        for q in [b'\'', b'"'] {
            for len in 0..20 {
                for &f in &fillers {
                    for at in 0..=len {
                        let mut v = vec![b'x'; len];
                        if let Some(b) = v.get_mut(at) {
                            *b = f;
                        }
                        for tail in [&b""[..], &b"'"[..], &b"\""[..], &b"  '\" "[..]] {
                            let mut hay = v.clone();
                            hay.extend_from_slice(tail);
                            assert_eq!(
                                scan_attr_value(&hay, q),
                                reference(&hay, q),
                                "{:?} quote {}",
                                String::from_utf8_lossy(&hay),
                                char::from(q)
                            );
                        }
                    }
                }
            }
        }
    }
}
