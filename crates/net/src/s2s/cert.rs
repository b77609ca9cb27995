//! Peer certificate checks for s2s (RFC 6120 §13.7.2, RFC 6125 / RFC 9525).
//!
//! The chain is validated by rustls-webpki as a TLS *server* certificate against the
//! configured trust anchors, for inbound peers as well: a server presents its server
//! certificate when it connects to us, and since 2026 Let's Encrypt certificates carry only
//! the serverAuth usage, so requiring clientAuth would break federation.
//!
//! Identity: webpki matches DNS-IDs (with the RFC 6125 §6.4.3 wildcard rule: `*` as the
//! whole left-most label only). SRV-IDs (`_xmpp-server.<domain>`, RFC 4985) and XmppAddr
//! (`id-on-xmppAddr`, RFC 6120 §13.7.1.4) are otherName entries webpki does not read; they
//! are matched here with x509-parser. The Common Name is never used (RFC 9525 §6.3).

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::ServerCertVerifier;
use rustls::{CertificateError, RootCertStore};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::tls::{TlsError, provider};

/// `id-on-xmppAddr` (RFC 6120 §13.7.1.4).
const OID_XMPP_ADDR: &str = "1.3.6.1.5.5.7.8.5";
/// `id-on-dnsSRV` (RFC 4985 §2).
const OID_SRV_NAME: &str = "1.3.6.1.5.5.7.8.7";
/// The system trust store on Debian and its derivatives.
pub const SYSTEM_CA_FILE: &str = "/etc/ssl/certs/ca-certificates.crt";

/// Validates peer certificates for domains.
#[derive(Clone)]
pub struct CertVerifier {
    verifier: Option<Arc<WebPkiServerVerifier>>,
}

impl fmt::Debug for CertVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertVerifier")
            .field("has_roots", &self.verifier.is_some())
            .finish()
    }
}

impl CertVerifier {
    /// Trust anchors from `ca_files` (PEM), plus the system store when `system` is set
    /// (missing system file: no system anchors). With no anchor at all every certificate
    /// fails (dialback remains, if policy allows).
    pub fn new(ca_files: &[PathBuf], system: bool) -> Result<Self, TlsError> {
        let mut roots = RootCertStore::empty();
        for f in ca_files {
            let pem = |reason: String| TlsError::Pem {
                what: f.display().to_string(),
                reason,
            };
            let certs = CertificateDer::pem_file_iter(f).map_err(|e| pem(e.to_string()))?;
            let mut any = false;
            for c in certs {
                let c = c.map_err(|e| pem(e.to_string()))?;
                roots.add(c).map_err(|e| pem(e.to_string()))?;
                any = true;
            }
            if !any {
                return Err(TlsError::NoCertificate {
                    what: f.display().to_string(),
                });
            }
        }
        if system && let Ok(iter) = CertificateDer::pem_file_iter(SYSTEM_CA_FILE) {
            let (_added, _ignored) = roots.add_parsable_certificates(iter.flatten());
        }
        if roots.is_empty() {
            return Ok(Self { verifier: None });
        }
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider())
            .build()
            .map_err(|e| TlsError::Pem {
                what: "trust anchors".into(),
                reason: e.to_string(),
            })?;
        Ok(Self {
            verifier: Some(verifier),
        })
    }

    /// Whether `chain` (end entity first) is valid now and names `domain`.
    pub fn authenticates(&self, chain: &[CertificateDer<'_>], domain: &str) -> bool {
        self.check(chain, domain).is_ok()
    }

    /// As [`CertVerifier::authenticates`], with the reason for a refusal.
    pub fn check(&self, chain: &[CertificateDer<'_>], domain: &str) -> Result<(), String> {
        let Some(v) = &self.verifier else {
            return Err("no trust anchors configured".into());
        };
        let Some((ee, intermediates)) = chain.split_first() else {
            return Err("no certificate".into());
        };
        let name = ServerName::try_from(domain.to_owned()).map_err(|e| e.to_string())?;
        // webpki validates the chain before the name: a name mismatch means the chain is
        // good and only DNS-IDs failed, so the otherName identities get their turn.
        match v.verify_server_cert(ee, intermediates, &name, &[], UnixTime::now()) {
            Ok(_) => Ok(()),
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => {
                if other_name_matches(ee, domain) {
                    Ok(())
                } else {
                    Err(format!("certificate does not name {domain}"))
                }
            }
            Err(e) => Err(e.to_string()),
        }
    }
}

/// The SRV-IDs (`_xmpp-server.<domain>`, as the domain) and XmppAddr identities of a
/// certificate.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct OtherNames {
    /// Domains of `_xmpp-server.` SRVNames (RFC 4985, RFC 6120 §13.7.1.2.1).
    pub srv: Vec<String>,
    /// XmppAddr values (RFC 6120 §13.7.1.4).
    pub xmpp_addrs: Vec<String>,
}

/// Reads the otherName identities of a DER certificate (none if it does not parse).
pub fn other_names(der: &[u8]) -> OtherNames {
    let mut out = OtherNames::default();
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return out;
    };
    let Ok(Some(san)) = cert.subject_alternative_name() else {
        return out;
    };
    for gn in &san.value.general_names {
        let GeneralName::OtherName(oid, value) = gn else {
            continue;
        };
        let oid = oid.to_id_string();
        let Some(text) = explicit_string(value) else {
            continue;
        };
        if oid == OID_XMPP_ADDR {
            out.xmpp_addrs.push(text);
        } else if oid == OID_SRV_NAME
            && let Some(d) = text.strip_prefix("_xmpp-server.")
        {
            out.srv.push(d.to_owned());
        }
    }
    out
}

/// Whether the certificate's SRV-ID or XmppAddr names `domain` (exact match, case-
/// insensitively; no wildcards in either type, RFC 6125 §6.4.3 applies to DNS-IDs).
pub fn other_name_matches(der: &[u8], domain: &str) -> bool {
    let names = other_names(der);
    let want = domain.trim_end_matches('.');
    names
        .srv
        .iter()
        .chain(&names.xmpp_addrs)
        .any(|n| n.trim_end_matches('.').eq_ignore_ascii_case(want))
}

/// A DER length at the start of `b`: (length, header bytes used).
fn der_len(b: &[u8]) -> Option<(usize, usize)> {
    let first = *b.first()?;
    if first < 0x80 {
        return Some((usize::from(first), 1));
    }
    let n = usize::from(first & 0x7f);
    if n == 0 || n > 4 {
        return None;
    }
    let mut len = 0usize;
    for i in 0..n {
        len = len.checked_mul(256)? + usize::from(*b.get(1 + i)?);
    }
    Some((len, 1 + n))
}

/// One TLV: (tag, value, rest).
fn tlv(b: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let tag = *b.first()?;
    let (len, used) = der_len(b.get(1..)?)?;
    let start = 1 + used;
    let value = b.get(start..start.checked_add(len)?)?;
    let rest = b.get(start + len..)?;
    Some((tag, value, rest))
}

/// The string in an otherName value: `[0] EXPLICIT` wrapping a UTF8String (XmppAddr) or
/// IA5String (SRVName). Tolerates a value already unwrapped.
fn explicit_string(value: &[u8]) -> Option<String> {
    let (tag, inner, _) = tlv(value)?;
    let (tag, s) = if tag == 0xa0 {
        let (t, s, _) = tlv(inner)?;
        (t, s)
    } else {
        (tag, inner)
    };
    // 0x0c UTF8String, 0x16 IA5String.
    if tag != 0x0c && tag != 0x16 {
        return None;
    }
    std::str::from_utf8(s).ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explicit_strings() {
        // [0] { UTF8String "a.test" }
        let v = [0xa0, 0x08, 0x0c, 0x06, b'a', b'.', b't', b'e', b's', b't'];
        assert_eq!(explicit_string(&v).as_deref(), Some("a.test"));
        // IA5String without the wrapper.
        let v = [0x16, 0x01, b'x'];
        assert_eq!(explicit_string(&v).as_deref(), Some("x"));
        // Truncated, wrong type, oversized length.
        assert_eq!(explicit_string(&[0xa0, 0x08, 0x0c]), None);
        assert_eq!(explicit_string(&[0x02, 0x01, 0x01]), None);
        assert_eq!(explicit_string(&[0x0c, 0x85, 1, 1, 1, 1, 1]), None);
        assert_eq!(explicit_string(&[]), None);
    }
}
