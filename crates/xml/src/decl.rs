//! The XML declaration (XML 1.0 §2.8): `<?xml version='1.0' encoding='UTF-8' standalone='yes'?>`.

use crate::XmlError;
use crate::chars::is_space;

fn nwf(offset: usize, reason: &'static str) -> XmlError {
    XmlError::NotWellFormed { offset, reason }
}

/// Checks a complete declaration `raw` (from `<?xml` to `?>`). Only UTF-8 is accepted
/// (RFC 6120 §11.6); any other declared encoding is `unsupported-encoding`.
pub(crate) fn check(raw: &[u8]) -> Result<(), XmlError> {
    let end = raw.len().saturating_sub(2);
    let mut i = 5;
    let mut seen = 0u8; // 0: nothing, 1: version, 2: encoding, 3: standalone
    loop {
        let start = i;
        while raw.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        if i >= end {
            break;
        }
        if i == start {
            return Err(nwf(i, "expected white space in XML declaration"));
        }
        let name_start = i;
        while raw.get(i).is_some_and(u8::is_ascii_alphabetic) {
            i += 1;
        }
        let name = raw.get(name_start..i).unwrap_or_default();
        while raw.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        if raw.get(i) != Some(&b'=') {
            return Err(nwf(i, "expected '=' in XML declaration"));
        }
        i += 1;
        while raw.get(i).copied().is_some_and(is_space) {
            i += 1;
        }
        let Some(&q @ (b'\'' | b'"')) = raw.get(i) else {
            return Err(nwf(i, "expected a quoted value in XML declaration"));
        };
        let value_start = i + 1;
        let Some(rel) = raw.get(value_start..end).and_then(|r| memchr::memchr(q, r)) else {
            return Err(nwf(i, "unterminated value in XML declaration"));
        };
        let value = raw.get(value_start..value_start + rel).unwrap_or_default();
        i = value_start + rel + 1;
        match (name, seen) {
            (b"version", 0) => {
                if value != b"1.0" {
                    return Err(nwf(value_start, "unsupported XML version"));
                }
                seen = 1;
            }
            (b"encoding", 1) => {
                if !value.eq_ignore_ascii_case(b"UTF-8") {
                    return Err(XmlError::UnsupportedEncoding {
                        offset: value_start,
                        encoding: String::from_utf8_lossy(value).chars().take(64).collect(),
                    });
                }
                seen = 2;
            }
            (b"standalone", 1 | 2) => {
                if value != b"yes" && value != b"no" {
                    return Err(nwf(value_start, "standalone must be 'yes' or 'no'"));
                }
                seen = 3;
            }
            _ => {
                return Err(nwf(
                    name_start,
                    "unexpected pseudo-attribute in XML declaration",
                ));
            }
        }
    }
    if seen == 0 {
        return Err(nwf(5, "XML declaration without version"));
    }
    Ok(())
}
