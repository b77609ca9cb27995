//! Server dialback (XEP-0220): the `<db:result/>` and `<db:verify/>` elements, and dialback
//! keys generated per XEP-0185 §3.
//!
//! A key is `hex(HMAC-SHA256(hex(SHA256(secret)), receiving ‖ ' ' ‖ originating ‖ ' ' ‖
//! stream-id))`: the authoritative server can recompute it from the secret alone, so it keeps
//! no state between sending `<db:result/>` and answering `<db:verify/>`.

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use waxwing_stanza::{StanzaError, StanzaErrorCondition, ns};
use waxwing_xml::Element;

type HmacSha256 = Hmac<Sha256>;

/// Longest key accepted from a peer: XEP-0185 keys are 64 hex digits; other generators
/// (older servers) produce different lengths, but nothing near this.
pub const MAX_KEY_LEN: usize = 1024;

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            s.extend(char::from_digit(u32::from(nibble), 16));
        }
    }
    s
}

fn mac(secret: &[u8], receiving: &str, originating: &str, stream_id: &str) -> Option<HmacSha256> {
    // XEP-0185 §3: the HMAC key is the hex form of SHA-256 of the secret.
    let key = hex(&Sha256::digest(secret));
    let mut m = HmacSha256::new_from_slice(key.as_bytes()).ok()?;
    m.update(receiving.as_bytes());
    m.update(b" ");
    m.update(originating.as_bytes());
    m.update(b" ");
    m.update(stream_id.as_bytes());
    Some(m)
}

/// The dialback key for a stream from `originating` to `receiving` with id `stream_id`
/// (XEP-0185 §3), as lowercase hex.
pub fn key(secret: &[u8], receiving: &str, originating: &str, stream_id: &str) -> String {
    mac(secret, receiving, originating, stream_id)
        .map(|m| hex(&m.finalize().into_bytes()))
        .unwrap_or_default()
}

/// Whether `candidate` is the key we would have generated, compared in constant time.
pub fn verify_key(
    secret: &[u8],
    receiving: &str,
    originating: &str,
    stream_id: &str,
    candidate: &str,
) -> bool {
    let Some(bytes) = unhex(candidate.trim()) else {
        return false;
    };
    mac(secret, receiving, originating, stream_id).is_some_and(|m| m.verify_slice(&bytes).is_ok())
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || s.len() > MAX_KEY_LEN {
        return None;
    }
    let digit = |c: u8| {
        char::from(c)
            .to_digit(16)
            .and_then(|d| u8::try_from(d).ok())
    };
    s.as_bytes()
        .chunks_exact(2)
        .map(|p| match p {
            [h, l] => Some(digit(*h)? << 4 | digit(*l)?),
            _ => None,
        })
        .collect()
}

/// The outcome carried in `type` (XEP-0220 §2.1.2, §2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// `type='valid'`.
    Valid,
    /// `type='invalid'`.
    Invalid,
    /// `type='error'` with the stanza error (XEP-0220 §2.4: `item-not-found` for an
    /// unknown domain, `remote-server-not-found` when the authoritative server was not
    /// reached, `policy-violation` when policy forbids dialback).
    Error(StanzaErrorCondition),
}

/// A `<db:result/>` or `<db:verify/>` as received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbElement {
    /// `from`.
    pub from: String,
    /// `to`.
    pub to: String,
    /// `id` (only on `<db:verify/>`).
    pub id: Option<String>,
    /// The key (requests) or the verdict (answers).
    pub body: DbBody,
}

/// A request or its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DbBody {
    /// A request carrying a key (no `type`).
    Key(String),
    /// An answer.
    Verdict(Verdict),
}

/// Reads a `<db:result/>` or `<db:verify/>` (`None`: malformed: missing `from`/`to`, an
/// unknown `type`, an oversized key, or `<db:verify/>` without `id`).
pub fn parse(el: &Element) -> Option<DbElement> {
    if el.ns() != ns::DIALBACK || !matches!(el.name(), "result" | "verify") {
        return None;
    }
    let from = el.attr("from")?.to_owned();
    let to = el.attr("to")?.to_owned();
    let id = el.attr("id").map(str::to_owned);
    if el.name() == "verify" && id.is_none() {
        return None;
    }
    let body = match el.attr("type") {
        None => {
            let k = el.text();
            if k.len() > MAX_KEY_LEN || k.trim().is_empty() {
                return None;
            }
            DbBody::Key(k.trim().to_owned())
        }
        Some("valid") => DbBody::Verdict(Verdict::Valid),
        Some("invalid") => DbBody::Verdict(Verdict::Invalid),
        Some("error") => {
            let cond = el
                .children()
                .find(|c| c.name() == "error")
                .and_then(|e| StanzaError::from_element(e).ok())
                .map_or(StanzaErrorCondition::UndefinedCondition, |e| e.condition);
            DbBody::Verdict(Verdict::Error(cond))
        }
        Some(_) => return None,
    };
    Some(DbElement { from, to, id, body })
}

fn element(name: &str, from: &str, to: &str, id: Option<&str>) -> Element {
    let mut el = Element::new(ns::DIALBACK, name.to_owned())
        .with_attr("from", from.to_owned())
        .with_attr("to", to.to_owned());
    if let Some(id) = id {
        el.set_attr("id", id.to_owned());
    }
    el
}

/// `<db:result from to>key</db:result>` (XEP-0220 §2.1.1).
pub fn result_request(from: &str, to: &str, key: &str) -> Element {
    element("result", from, to, None).with_text(key.to_owned())
}

/// `<db:verify from to id>key</db:verify>` (XEP-0220 §2.1.2).
pub fn verify_request(from: &str, to: &str, id: &str, key: &str) -> Element {
    element("verify", from, to, Some(id)).with_text(key.to_owned())
}

fn answer(name: &str, from: &str, to: &str, id: Option<&str>, verdict: &Verdict) -> Element {
    let mut el = element(name, from, to, id);
    match verdict {
        Verdict::Valid => el.set_attr("type", "valid"),
        Verdict::Invalid => el.set_attr("type", "invalid"),
        Verdict::Error(c) => {
            el.set_attr("type", "error");
            el.append_child(StanzaError::new(c.clone()).to_element_in(ns::SERVER));
        }
    }
    el
}

/// `<db:result type/>` answering a request from `to` (XEP-0220 §2.1.4, §2.4).
pub fn result_answer(from: &str, to: &str, verdict: &Verdict) -> Element {
    answer("result", from, to, None, verdict)
}

/// `<db:verify type/>` answering a request from `to` (XEP-0220 §2.1.3).
pub fn verify_answer(from: &str, to: &str, id: &str, verdict: &Verdict) -> Element {
    answer("verify", from, to, Some(id), verdict)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// XEP-0185 §4's worked example (receiving xmpp.example.com, originating example.org).
    #[test]
    fn xep0185_example_key() {
        let k = key(
            b"s3cr3tf0rd14lb4ck",
            "xmpp.example.com",
            "example.org",
            "D60000229F",
        );
        assert_eq!(
            k,
            "37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643"
        );
        assert!(verify_key(
            b"s3cr3tf0rd14lb4ck",
            "xmpp.example.com",
            "example.org",
            "D60000229F",
            &k
        ));
        assert!(!verify_key(
            b"s3cr3tf0rd14lb4ck",
            "xmpp.example.com",
            "example.org",
            "D60000229G",
            &k
        ));
        assert!(!verify_key(b"x", "a", "b", "c", "zz"));
        assert!(!verify_key(b"x", "a", "b", "c", "abc"));
    }

    #[test]
    fn parse_and_write() {
        let el = waxwing_xml::parse_element(
            b"<db:result xmlns:db='jabber:server:dialback' from='example.org' to='xmpp.example.com'>\
              b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3</db:result>",
        )
        .unwrap();
        let db = parse(&el).unwrap();
        assert_eq!(db.from, "example.org");
        assert_eq!(
            db.body,
            DbBody::Key("b4835385f37fe2895af6c196b59097b16862406db80559900d96bf6fa7d23df3".into())
        );
        let ans = result_answer(
            "xmpp.example.com",
            "example.org",
            &Verdict::Error(StanzaErrorCondition::ItemNotFound),
        );
        let back = parse(&ans).unwrap();
        assert_eq!(
            back.body,
            DbBody::Verdict(Verdict::Error(StanzaErrorCondition::ItemNotFound))
        );
        let v = waxwing_xml::parse_element(
            b"<db:verify xmlns:db='jabber:server:dialback' from='a' to='b' type='maybe'/>",
        )
        .unwrap();
        assert!(parse(&v).is_none());
    }
}
