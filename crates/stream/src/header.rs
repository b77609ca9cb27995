//! Checking the initiating entity's stream header (RFC 6120 §4.7, §4.8) and choosing what
//! our response header says.

use waxwing_jid::Jid;
use waxwing_stanza::{StreamError, StreamErrorCondition, ns};
use waxwing_xml::{ByteString, StreamHeader};

use crate::config::C2sConfig;

/// The language used when the client names none, or one that is not a plausible tag.
pub const DEFAULT_LANG: &str = "en";

/// What the response header says, whether or not the initial header was acceptable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderInfo {
    /// The served domain the client addressed (`to`), prepared; `None` if it named none we
    /// serve.
    pub domain: Option<ByteString>,
    /// The client's `from`, prepared, when present and a valid JID (RFC 6120 §4.7.1): it is
    /// reflected as our `to` (RFC 6120 §4.7.2). An invalid one is ignored rather than
    /// refused, since before authentication it is only a hint.
    pub peer: Option<Jid>,
    /// The stream language (RFC 6120 §4.7.4): the client's `xml:lang` when it looks like a
    /// language tag, else [`DEFAULT_LANG`].
    pub lang: ByteString,
}

/// Checks an initial stream header for a `jabber:client` stream.
///
/// `expected_domain` is the domain of the first stream on this connection: after a restart
/// (RFC 6120 §4.3.3) the client must address the same domain.
///
/// Checks, in order: the stream namespace prefix (`stream`, RFC 6120 §4.8.5:
/// `bad-namespace-prefix`), the content namespace (`jabber:client` as default namespace,
/// RFC 6120 §4.8.2–§4.8.3: `invalid-namespace`), `to` (RFC 6120 §4.7.2: a domain we serve;
/// missing or unknown is `host-unknown`, §4.9.3.6), `version` (RFC 6120 §4.7.5: missing or
/// below 1.0 is `unsupported-version`, §4.9.3.25). The stream element's own namespace is
/// checked by the parser (`invalid-namespace`, RFC 6120 §4.8.1).
pub fn check(
    h: &StreamHeader,
    cfg: &C2sConfig,
    expected_domain: Option<&str>,
) -> (HeaderInfo, Result<(), StreamError>) {
    let domain = h
        .attr("to")
        .and_then(|to| cfg.served_domain(to))
        .filter(|d| expected_domain.is_none_or(|e| e == *d))
        .map(ByteString::from);
    let peer = h
        .attr("from")
        .and_then(|f| Jid::parse_with(f, cfg.profile).ok());
    let lang = h
        .lang()
        .filter(|l| is_language_tag(l))
        .map_or_else(|| ByteString::from_static(DEFAULT_LANG), ByteString::from);
    let info = HeaderInfo { domain, peer, lang };
    let result = verdict(h, &info).map_err(StreamError::new);
    (info, result)
}

fn verdict(h: &StreamHeader, info: &HeaderInfo) -> Result<(), StreamErrorCondition> {
    // The root is in the stream namespace (the parser checked); XML lets any prefix, or
    // none, name it, but RFC 6120 §4.8.5 lets us accept only `stream`, which is what every
    // client sends and what our own header and `</stream:stream>` use.
    let prefixed_stream = h
        .prefixes
        .iter()
        .any(|(p, u)| &**p == "stream" && &**u == ns::STREAM);
    let default_is_stream = h.default_ns.as_deref() == Some(ns::STREAM);
    if default_is_stream || !prefixed_stream {
        return Err(StreamErrorCondition::BadNamespacePrefix);
    }
    // RFC 6120 §4.8.2 also permits qualifying each stanza instead of declaring a default
    // namespace; no client does, and like Prosody and ejabberd we require the declaration.
    if h.default_ns.as_deref() != Some(ns::CLIENT) {
        return Err(StreamErrorCondition::InvalidNamespace);
    }
    if info.domain.is_none() {
        return Err(StreamErrorCondition::HostUnknown);
    }
    if !version_supported(h.attr("version")) {
        return Err(StreamErrorCondition::UnsupportedVersion);
    }
    Ok(())
}

/// `major.minor` with each part an integer, leading zeros ignored (RFC 6120 §4.7.5); at
/// least 1.0. A higher version is answered with ours (1.0), which the client then accepts
/// or refuses.
fn version_supported(v: Option<&str>) -> bool {
    let Some((major, minor)) = v.and_then(|v| v.split_once('.')) else {
        return false;
    };
    let num = |s: &str| -> Option<u64> {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let trimmed = s.trim_start_matches('0');
        if trimmed.len() > 9 {
            return Some(u64::MAX); // larger than any version; no overflow
        }
        trimmed.parse().ok().or(Some(0))
    };
    matches!((num(major), num(minor)), (Some(ma), Some(_)) if ma >= 1)
}

/// A loose BCP 47 shape check (RFC 5646 §2.1: alphanumeric subtags of 1–8 characters
/// joined by hyphens), so that anything we reflect is a tag and cannot be garbage.
fn is_language_tag(s: &str) -> bool {
    s.len() <= 64
        && !s.is_empty()
        && s.split('-')
            .all(|t| (1..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions() {
        for ok in ["1.0", "1.1", "01.00", "2.0", "1.99999999999999"] {
            assert!(version_supported(Some(ok)), "{ok}");
        }
        for bad in [
            "0.9", "", "1", "1.", ".0", "a.b", "1.0.0", "+1.0", "00.9", " 1.0",
        ] {
            assert!(!version_supported(Some(bad)), "{bad}");
        }
        assert!(!version_supported(None));
    }

    #[test]
    fn language_tags() {
        assert!(is_language_tag("en"));
        assert!(is_language_tag("de-CH-1901"));
        assert!(!is_language_tag(""));
        assert!(!is_language_tag("en_US"));
        assert!(!is_language_tag("en--x"));
        assert!(!is_language_tag("abcdefghi"));
        assert!(!is_language_tag("e'n"));
    }
}
