//! TLS for c2s: rustls 0.23 with the aws-lc-rs provider only, TLS 1.2 and 1.3 only
//! (RFC 7590 §3.1 asks for TLS 1.2 or later), certificates chosen per virtual host by SNI,
//! a self-signed certificate generated on first start when none is configured, and the
//! channel-binding data SASL -PLUS needs (RFC 9266 `tls-exporter`, RFC 5929 §4
//! `tls-server-end-point`).

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::crypto::CryptoProvider;
use rustls::server::{ClientHello, ResolvesServerCert, ServerConnection};
use rustls::sign::CertifiedKey;
use rustls::{ProtocolVersion, ServerConfig};
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use sha2::Digest as _;
use waxwing_sasl::{ChannelBindingType, ChannelBindings};
use x509_parser::oid_registry as oids;

/// ALPN protocol id for direct TLS c2s (XEP-0368 §3).
pub const ALPN_XMPP_CLIENT: &[u8] = b"xmpp-client";

/// RFC 9266 §2: label of the `tls-exporter` channel binding.
const EXPORTER_LABEL: &[u8] = b"EXPORTER-Channel-Binding";
/// RFC 9266 §2: 32 bytes of exported keying material.
const EXPORTER_LEN: usize = 32;

/// File names of the generated certificate inside the data directory.
pub const SELF_SIGNED_CERT_FILE: &str = "self-signed-cert.pem";
/// File name of the generated key inside the data directory.
pub const SELF_SIGNED_KEY_FILE: &str = "self-signed-key.pem";

/// Why TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// A PEM file held no certificate.
    #[error("{what}: no certificate found in PEM data")]
    NoCertificate {
        /// Where the PEM came from.
        what: String,
    },
    /// A PEM file held no usable private key, or one that could not be parsed.
    #[error("{what}: no usable private key in PEM data ({reason})")]
    BadKey {
        /// Where the PEM came from.
        what: String,
        /// The cause.
        reason: String,
    },
    /// PEM syntax error.
    #[error("{what}: invalid PEM: {reason}")]
    Pem {
        /// Where the PEM came from.
        what: String,
        /// The cause.
        reason: String,
    },
    /// The key does not belong to the certificate.
    #[error("{what}: the private key does not match the certificate")]
    KeyMismatch {
        /// Where the pair came from.
        what: String,
    },
    /// The certificate is not valid X.509.
    #[error("{what}: invalid certificate: {reason}")]
    BadCertificate {
        /// Where the certificate came from.
        what: String,
        /// The cause.
        reason: String,
    },
    /// Certificate generation failed.
    #[error("generating a self-signed certificate: {0}")]
    Generate(String),
    /// rustls refused the configuration.
    #[error("TLS configuration: {0}")]
    Rustls(#[from] rustls::Error),
    /// No certificate was added to the resolver.
    #[error("no certificate configured")]
    NoCertificates,
}

/// The aws-lc-rs provider: the only crypto provider in the build (`ring` is kept out).
pub fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// One certificate chain with its key, plus what we derive from it once.
pub struct CertEntry {
    key: Arc<CertifiedKey>,
    /// RFC 5929 §4.1 `tls-server-end-point` data; `None` when undefined for this certificate.
    end_point: Option<Vec<u8>>,
    /// DNS names from the end-entity certificate's subjectAltName.
    dns_names: Vec<String>,
    /// notAfter, as Unix seconds.
    not_after: i64,
    /// SHA-256 of the end-entity certificate (DER).
    fingerprint: String,
}

impl fmt::Debug for CertEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CertEntry")
            .field("dns_names", &self.dns_names)
            .field("not_after", &self.not_after)
            .field("fingerprint", &self.fingerprint)
            .finish_non_exhaustive()
    }
}

impl CertEntry {
    /// Loads a PEM certificate chain (end-entity first) and a PEM private key from files.
    pub fn from_pem_files(cert: &Path, key: &Path) -> Result<Self, TlsError> {
        let cert_pem = std::fs::read(cert).map_err(|source| TlsError::Io {
            path: cert.to_owned(),
            source,
        })?;
        let key_pem = std::fs::read(key).map_err(|source| TlsError::Io {
            path: key.to_owned(),
            source,
        })?;
        let what = format!("{} / {}", cert.display(), key.display());
        Self::from_pem(&cert_pem, &key_pem, &what)
    }

    /// Builds an entry from PEM bytes; `what` names the source in errors.
    pub fn from_pem(cert_pem: &[u8], key_pem: &[u8], what: &str) -> Result<Self, TlsError> {
        let chain = CertificateDer::pem_slice_iter(cert_pem)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsError::Pem {
                what: what.to_owned(),
                reason: e.to_string(),
            })?;
        if chain.is_empty() {
            return Err(TlsError::NoCertificate {
                what: what.to_owned(),
            });
        }
        let key = PrivateKeyDer::from_pem_slice(key_pem).map_err(|e| TlsError::BadKey {
            what: what.to_owned(),
            reason: e.to_string(),
        })?;
        Self::from_der(chain, key, what)
    }

    /// Builds an entry from DER data, checking that the key matches the certificate.
    pub fn from_der(
        chain: Vec<CertificateDer<'static>>,
        key: PrivateKeyDer<'static>,
        what: &str,
    ) -> Result<Self, TlsError> {
        let provider = provider();
        let signing =
            provider
                .key_provider
                .load_private_key(key)
                .map_err(|e| TlsError::BadKey {
                    what: what.to_owned(),
                    reason: e.to_string(),
                })?;
        let certified = CertifiedKey::new(chain, signing);
        match certified.keys_match() {
            Ok(()) => {}
            Err(rustls::Error::InconsistentKeys(rustls::InconsistentKeys::KeyMismatch)) => {
                return Err(TlsError::KeyMismatch {
                    what: what.to_owned(),
                });
            }
            Err(e) => {
                return Err(TlsError::BadCertificate {
                    what: what.to_owned(),
                    reason: e.to_string(),
                });
            }
        }
        let ee = certified
            .cert
            .first()
            .ok_or_else(|| TlsError::NoCertificate {
                what: what.to_owned(),
            })?;
        let info = inspect_certificate(ee.as_ref()).map_err(|reason| TlsError::BadCertificate {
            what: what.to_owned(),
            reason,
        })?;
        Ok(Self {
            end_point: info.end_point,
            dns_names: info.dns_names,
            not_after: info.not_after,
            fingerprint: sha256_fingerprint(ee.as_ref()),
            key: Arc::new(certified),
        })
    }

    /// The rustls key.
    pub fn certified_key(&self) -> &Arc<CertifiedKey> {
        &self.key
    }

    /// `tls-server-end-point` channel-binding data (RFC 5929 §4.1).
    pub fn server_end_point(&self) -> Option<&[u8]> {
        self.end_point.as_deref()
    }

    /// DNS names of the subjectAltName extension, as written in the certificate.
    pub fn dns_names(&self) -> &[String] {
        &self.dns_names
    }

    /// Expiry (notAfter) in Unix seconds.
    pub fn not_after_unix(&self) -> i64 {
        self.not_after
    }

    /// SHA-256 fingerprint of the end-entity certificate, `AB:CD:...`.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// Whether the certificate names `domain` (exact, case-insensitive, or a one-label
    /// wildcard per RFC 6125 §6.4.3).
    pub fn covers(&self, domain: &str) -> bool {
        self.dns_names.iter().any(|n| name_matches(n, domain))
    }
}

fn name_matches(pattern: &str, domain: &str) -> bool {
    let domain = domain.trim_end_matches('.');
    if pattern.eq_ignore_ascii_case(domain) {
        return true;
    }
    match (pattern.strip_prefix("*."), domain.split_once('.')) {
        (Some(suffix), Some((label, rest))) => {
            !label.is_empty() && suffix.eq_ignore_ascii_case(rest)
        }
        _ => false,
    }
}

struct CertInfo {
    end_point: Option<Vec<u8>>,
    dns_names: Vec<String>,
    not_after: i64,
}

fn inspect_certificate(der: &[u8]) -> Result<CertInfo, String> {
    use x509_parser::extensions::GeneralName;
    let (_, cert) = x509_parser::parse_x509_certificate(der).map_err(|e| e.to_string())?;
    let mut dns_names = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for name in &san.value.general_names {
            if let GeneralName::DNSName(n) = name {
                dns_names.push((*n).to_owned());
            }
        }
    }
    Ok(CertInfo {
        end_point: server_end_point(&cert, der),
        dns_names,
        not_after: cert.validity().not_after.timestamp(),
    })
}

/// RFC 5929 §4.1: hash the certificate with the hash of its signature algorithm, SHA-256
/// when that is MD5 or SHA-1; undefined when the algorithm uses no single hash (Ed25519).
fn server_end_point(
    cert: &x509_parser::certificate::X509Certificate<'_>,
    der: &[u8],
) -> Option<Vec<u8>> {
    use x509_parser::signature_algorithm::SignatureAlgorithm;
    #[derive(Clone, Copy)]
    enum H {
        S256,
        S384,
        S512,
    }
    let alg = &cert.signature_algorithm;
    let oid = &alg.algorithm;
    let hash = if *oid == oids::OID_PKCS1_SHA384WITHRSA || *oid == oids::OID_SIG_ECDSA_WITH_SHA384 {
        H::S384
    } else if *oid == oids::OID_PKCS1_SHA512WITHRSA || *oid == oids::OID_SIG_ECDSA_WITH_SHA512 {
        H::S512
    } else if *oid == oids::OID_SIG_ED25519 || *oid == oids::OID_SIG_ED448 {
        return None;
    } else if let Ok(SignatureAlgorithm::RSASSA_PSS(params)) = SignatureAlgorithm::try_from(alg) {
        let h = params.hash_algorithm_oid();
        if *h == oids::OID_NIST_HASH_SHA384 {
            H::S384
        } else if *h == oids::OID_NIST_HASH_SHA512 {
            H::S512
        } else {
            H::S256
        }
    } else {
        // SHA-256, SHA-224 (weaker than SHA-256: §4.1 names only MD5 and SHA-1, but
        // every implementation upgrades), MD5 and SHA-1.
        H::S256
    };
    Some(match hash {
        H::S256 => sha2::Sha256::digest(der).to_vec(),
        H::S384 => sha2::Sha384::digest(der).to_vec(),
        H::S512 => sha2::Sha512::digest(der).to_vec(),
    })
}

/// SHA-256 of DER bytes as upper-case hex pairs joined by `:`.
pub fn sha256_fingerprint(der: &[u8]) -> String {
    use std::fmt::Write as _;
    let digest = sha2::Sha256::digest(der);
    let mut out = String::with_capacity(digest.len() * 3);
    for (i, b) in digest.iter().enumerate() {
        if i > 0 {
            out.push(':');
        }
        let _ = write!(out, "{b:02X}");
    }
    out
}

/// Certificates by server name (SNI, RFC 6066 §3), with a default for clients that send
/// none or an unknown one.
#[derive(Debug, Default)]
pub struct CertResolver {
    by_name: HashMap<String, Arc<CertEntry>>,
    entries: Vec<Arc<CertEntry>>,
    default: Option<Arc<CertEntry>>,
}

impl CertResolver {
    /// An empty resolver.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a certificate for the given domains (and, as fallbacks, the DNS names it
    /// carries). The first certificate added is the default.
    pub fn add(&mut self, domains: &[String], entry: CertEntry) -> Arc<CertEntry> {
        let entry = Arc::new(entry);
        for d in domains {
            self.by_name
                .insert(d.to_ascii_lowercase(), Arc::clone(&entry));
        }
        self.entries.push(Arc::clone(&entry));
        if self.default.is_none() {
            self.default = Some(Arc::clone(&entry));
        }
        entry
    }

    /// The entry for a server name: configured domain first, then any certificate that
    /// covers it, then the default.
    pub fn lookup(&self, server_name: Option<&str>) -> Option<&Arc<CertEntry>> {
        if let Some(name) = server_name {
            let lower = name.trim_end_matches('.').to_ascii_lowercase();
            if let Some(e) = self.by_name.get(&lower) {
                return Some(e);
            }
            if let Some(e) = self.entries.iter().find(|e| e.covers(&lower)) {
                return Some(e);
            }
        }
        self.default.as_ref()
    }

    /// Whether no certificate was added.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl ResolvesServerCert for CertResolver {
    fn resolve(&self, client_hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.lookup(client_hello.server_name())
            .map(|e| Arc::clone(e.certified_key()))
    }
}

/// The TLS server side shared by all c2s listeners.
#[derive(Clone)]
pub struct TlsContext {
    resolver: Arc<CertResolver>,
    starttls: Arc<ServerConfig>,
    direct: Arc<ServerConfig>,
}

impl fmt::Debug for TlsContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TlsContext")
            .field("resolver", &self.resolver)
            .finish_non_exhaustive()
    }
}

/// A TLS 1.2/1.3 server configuration over `resolver`'s certificates; `client_auth` asks for
/// (but never requires) a client certificate, for s2s SASL EXTERNAL.
pub(crate) fn server_config(
    resolver: &Arc<CertResolver>,
    client_auth: Option<Arc<dyn rustls::server::danger::ClientCertVerifier>>,
    alpn: Vec<Vec<u8>>,
) -> Result<Arc<ServerConfig>, TlsError> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?;
    let builder = match client_auth {
        Some(v) => builder.with_client_cert_verifier(v),
        None => builder.with_no_client_auth(),
    };
    let mut cfg = builder.with_cert_resolver(Arc::clone(resolver) as Arc<dyn ResolvesServerCert>);
    cfg.alpn_protocols = alpn;
    // Session tickets would keep per-connection state alive; resumption is not worth it for
    // long-lived XMPP streams.
    cfg.send_tls13_tickets = 0;
    Ok(Arc::new(cfg))
}

impl TlsContext {
    /// Builds the STARTTLS and direct-TLS (ALPN `xmpp-client`) server configurations.
    pub fn new(resolver: CertResolver) -> Result<Self, TlsError> {
        if resolver.is_empty() {
            return Err(TlsError::NoCertificates);
        }
        let resolver = Arc::new(resolver);
        let build = |alpn: Vec<Vec<u8>>| server_config(&resolver, None, alpn);
        Ok(Self {
            starttls: build(Vec::new())?,
            // XEP-0368 §3: clients send ALPN `xmpp-client`; clients that send no ALPN still
            // get through (rustls only refuses a non-overlapping list).
            direct: build(vec![ALPN_XMPP_CLIENT.to_vec()])?,
            resolver,
        })
    }

    /// Acceptor for STARTTLS (RFC 6120 §5).
    pub fn starttls_acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.starttls))
    }

    /// Acceptor for direct TLS (XEP-0368).
    pub fn direct_acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.direct))
    }

    /// The certificates.
    pub fn resolver(&self) -> &CertResolver {
        &self.resolver
    }

    /// The certificates, shared (the s2s listeners build their own server configurations
    /// over the same resolver).
    pub fn shared_resolver(&self) -> Arc<CertResolver> {
        Arc::clone(&self.resolver)
    }

    /// Channel-binding data of an established connection.
    ///
    /// `tls-exporter` (RFC 9266 §2) is offered on TLS 1.3 only: RFC 9266 §4.2 allows it on
    /// TLS 1.2 only with the Extended Master Secret, and rustls does not tell whether a
    /// TLS 1.2 connection negotiated it. `tls-server-end-point` (RFC 5929 §4) is the hash of
    /// the certificate the resolver picked for this connection's SNI.
    pub fn channel_bindings(&self, conn: &ServerConnection) -> ChannelBindings {
        let mut cb = ChannelBindings::none();
        let tls13 = conn.protocol_version() == Some(ProtocolVersion::TLSv1_3);
        if ChannelBindingType::tls_exporter_usable(tls13, false)
            && let Ok(data) =
                conn.export_keying_material([0u8; EXPORTER_LEN], EXPORTER_LABEL, Some(&[]))
        {
            cb = cb.with(ChannelBindingType::TlsExporter, data.to_vec());
        }
        if let Some(ep) = self
            .resolver
            .lookup(conn.server_name())
            .and_then(|e| e.server_end_point())
        {
            cb = cb.with(ChannelBindingType::TlsServerEndPoint, ep.to_vec());
        }
        cb
    }
}

/// A generated certificate and key, PEM-encoded.
#[derive(Debug, Clone)]
pub struct GeneratedCert {
    /// The certificate.
    pub cert_pem: String,
    /// The PKCS#8 private key.
    pub key_pem: String,
}

/// Generates a self-signed ECDSA P-256 certificate naming `domains`.
pub fn generate_self_signed(domains: &[String]) -> Result<GeneratedCert, TlsError> {
    let mut params = rcgen::CertificateParams::new(domains.to_vec())
        .map_err(|e| TlsError::Generate(e.to_string()))?;
    let mut dn = rcgen::DistinguishedName::new();
    dn.push(
        rcgen::DnType::CommonName,
        domains.first().map_or("waxwing", String::as_str),
    );
    dn.push(rcgen::DnType::OrganizationName, "Waxwing self-signed");
    params.distinguished_name = dn;
    // From the start of this year for ten years: long enough for a self-signed certificate
    // that clients pin by hand, short of the dates some TLS stacks mishandle.
    let year = current_year();
    params.not_before = rcgen::date_time_ymd(year, 1, 1);
    params.not_after = rcgen::date_time_ymd(year + 10, 1, 1);
    let key = rcgen::KeyPair::generate().map_err(|e| TlsError::Generate(e.to_string()))?;
    let cert = params
        .self_signed(&key)
        .map_err(|e| TlsError::Generate(e.to_string()))?;
    Ok(GeneratedCert {
        cert_pem: cert.pem(),
        key_pem: key.serialize_pem(),
    })
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

/// The current year (UTC), to the day's accuracy that certificate validity needs.
fn current_year() -> i32 {
    // Mean Gregorian year: 365.2425 days.
    let years = unix_now() / 31_556_952;
    i32::try_from(1970 + years).unwrap_or(1970)
}

/// A kept self-signed certificate is replaced this long before it expires.
const RENEW_BEFORE_SECS: i64 = 30 * 86_400;

/// The self-signed certificate kept in the data directory.
#[derive(Debug)]
pub struct SelfSigned {
    /// Path of the certificate.
    pub cert_path: PathBuf,
    /// Path of the key.
    pub key_path: PathBuf,
    /// Whether it was generated now (false: reused from an earlier start).
    pub created: bool,
    /// The loaded entry.
    pub entry: CertEntry,
}

/// Loads the self-signed certificate from `dir`, generating it first when absent or when
/// it no longer covers every domain.
pub fn ensure_self_signed(dir: &Path, domains: &[String]) -> Result<SelfSigned, TlsError> {
    let cert_path = dir.join(SELF_SIGNED_CERT_FILE);
    let key_path = dir.join(SELF_SIGNED_KEY_FILE);
    if cert_path.exists()
        && key_path.exists()
        && let Ok(entry) = CertEntry::from_pem_files(&cert_path, &key_path)
        && domains.iter().all(|d| entry.covers(d))
        && entry.not_after_unix() > unix_now() + RENEW_BEFORE_SECS
    {
        return Ok(SelfSigned {
            cert_path,
            key_path,
            created: false,
            entry,
        });
    }
    let io_err = |path: &Path| {
        let path = path.to_owned();
        move |source| TlsError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let generated = generate_self_signed(domains)?;
    write_private(&key_path, generated.key_pem.as_bytes()).map_err(io_err(&key_path))?;
    std::fs::write(&cert_path, generated.cert_pem.as_bytes()).map_err(io_err(&cert_path))?;
    let what = cert_path.display().to_string();
    let entry = CertEntry::from_pem(
        generated.cert_pem.as_bytes(),
        generated.key_pem.as_bytes(),
        &what,
    )?;
    Ok(SelfSigned {
        cert_path,
        key_path,
        created: true,
        entry,
    })
}

/// Writes a file readable by its owner only.
pub fn write_private(path: &Path, data: &[u8]) -> io::Result<()> {
    use std::io::Write as _;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    opts.mode(0o600);
    let mut f = opts.open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains(d: &[&str]) -> Vec<String> {
        d.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn generated_cert_loads_and_covers_its_domains() {
        let g = generate_self_signed(&domains(&["example.com", "chat.example.org"])).unwrap();
        let e = CertEntry::from_pem(g.cert_pem.as_bytes(), g.key_pem.as_bytes(), "gen").unwrap();
        assert!(e.covers("example.com"));
        assert!(e.covers("EXAMPLE.com."));
        assert!(e.covers("chat.example.org"));
        assert!(!e.covers("example.net"));
        // ECDSA P-256 with SHA-256: RFC 5929 §4.1 uses SHA-256 of the DER certificate.
        let der = CertificateDer::from_pem_slice(g.cert_pem.as_bytes()).unwrap();
        assert_eq!(
            e.server_end_point().unwrap(),
            sha2::Sha256::digest(der.as_ref()).as_slice()
        );
        assert_eq!(e.fingerprint().len(), 32 * 3 - 1);
        let years = (e.not_after_unix() - unix_now()) / 31_556_952;
        assert!((8..=10).contains(&years), "{years} years");
    }

    #[test]
    fn mismatched_key_is_refused() {
        let a = generate_self_signed(&domains(&["a.example"])).unwrap();
        let b = generate_self_signed(&domains(&["b.example"])).unwrap();
        let err =
            CertEntry::from_pem(a.cert_pem.as_bytes(), b.key_pem.as_bytes(), "x").unwrap_err();
        assert!(matches!(err, TlsError::KeyMismatch { .. }), "{err}");
    }

    #[test]
    fn garbage_pem_is_refused() {
        let err = CertEntry::from_pem(b"nothing", b"nothing", "x").unwrap_err();
        assert!(matches!(err, TlsError::NoCertificate { .. }), "{err}");
    }

    #[test]
    fn wildcards_match_one_label() {
        assert!(name_matches("*.example.com", "chat.example.com"));
        assert!(!name_matches("*.example.com", "a.b.example.com"));
        assert!(!name_matches("*.example.com", "example.com"));
    }

    #[test]
    fn resolver_picks_by_sni_then_default() {
        let mut r = CertResolver::new();
        let a = generate_self_signed(&domains(&["a.example"])).unwrap();
        let b = generate_self_signed(&domains(&["b.example"])).unwrap();
        let ea = r.add(
            &domains(&["a.example"]),
            CertEntry::from_pem(a.cert_pem.as_bytes(), a.key_pem.as_bytes(), "a").unwrap(),
        );
        let eb = r.add(
            &domains(&["b.example"]),
            CertEntry::from_pem(b.cert_pem.as_bytes(), b.key_pem.as_bytes(), "b").unwrap(),
        );
        assert!(Arc::ptr_eq(r.lookup(Some("B.example")).unwrap(), &eb));
        assert!(Arc::ptr_eq(r.lookup(Some("a.example")).unwrap(), &ea));
        assert!(Arc::ptr_eq(r.lookup(None).unwrap(), &ea));
        assert!(Arc::ptr_eq(r.lookup(Some("other.example")).unwrap(), &ea));
    }

    #[test]
    fn self_signed_is_kept_and_regenerated_for_new_domains() {
        let dir = std::env::temp_dir().join(format!("waxwing-net-tls-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = ensure_self_signed(&dir, &domains(&["localhost"])).unwrap();
        assert!(first.created);
        let again = ensure_self_signed(&dir, &domains(&["localhost"])).unwrap();
        assert!(!again.created);
        assert_eq!(first.entry.fingerprint(), again.entry.fingerprint());
        let more = ensure_self_signed(&dir, &domains(&["localhost", "example.net"])).unwrap();
        assert!(more.created);
        assert!(more.entry.covers("example.net"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&more.key_path)
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
