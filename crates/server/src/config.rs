//! The one TOML configuration file. Every error is collected and reported together, before
//! anything is bound: unknown keys, wrong types, invalid domains and addresses, missing files.
//!
//! Relative paths are resolved against the directory of the configuration file (against
//! the working directory when the server runs without one).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use waxwing_core::ConflictPolicy;

use serde::de::DeserializeOwned;

/// Default negotiation timeout (seconds) for connections that do not finish negotiation.
pub const DEFAULT_NEGOTIATION_TIMEOUT_SECS: u64 = 60;

/// The validated configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Config {
    /// Served domains, prepared (RFC 7622 §3.2).
    pub domains: Vec<String>,
    /// Where the database, the generated certificate and the SASL secret live.
    pub data_dir: PathBuf,
    /// `tracing` filter directive (`RUST_LOG` wins when set).
    pub log_level: String,
    /// Client-to-server listeners.
    pub c2s: C2s,
    /// Certificates.
    pub tls: Tls,
    /// Storage backend.
    pub storage: Storage,
    /// Server-to-server federation.
    pub s2s: S2s,
    /// `[modules.<name>]` tables, validated by the module registry.
    pub modules: toml::Table,
    /// Where the file was read from (`None`: built-in defaults).
    pub source: Option<PathBuf>,
}

/// `[c2s]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct C2s {
    /// STARTTLS listeners (RFC 6120 §5).
    pub listen: Vec<SocketAddr>,
    /// Direct TLS listeners (XEP-0368).
    pub direct_tls_listen: Vec<SocketAddr>,
    /// Whether STARTTLS is `<required/>` (RFC 6120 §5.3.1).
    pub require_encryption: bool,
    /// Seconds a connection may take to authenticate and bind.
    pub negotiation_timeout_secs: u64,
    /// Largest stanza accepted, in bytes (RFC 6120 §13.12).
    pub max_stanza_bytes: usize,
    /// Failed SASL attempts before the stream is closed.
    pub max_auth_failures: u32,
    /// What a bind of an already bound resource does (RFC 6120 §7.7.2.2).
    pub resource_conflict: ConflictPolicy,
}

impl Default for C2s {
    fn default() -> Self {
        Self {
            listen: vec![SocketAddr::from(([127, 0, 0, 1], 5222))],
            direct_tls_listen: vec![SocketAddr::from(([127, 0, 0, 1], 5223))],
            require_encryption: true,
            negotiation_timeout_secs: DEFAULT_NEGOTIATION_TIMEOUT_SECS,
            max_stanza_bytes: 256 * 1024,
            max_auth_failures: 3,
            resource_conflict: ConflictPolicy::Replace,
        }
    }
}

/// `[s2s]`: federation (RFC 6120 server-to-server, XEP-0220 dialback, XEP-0178 EXTERNAL).
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(clippy::struct_excessive_bools)] // independent switches of the `[s2s]` table
pub struct S2s {
    /// Whether federation is on (off: remote domains get `remote-server-not-found`).
    pub enabled: bool,
    /// STARTTLS listeners (RFC 6120 §14.7: port 5269).
    pub listen: Vec<SocketAddr>,
    /// Direct TLS listeners (XEP-0368, ALPN `xmpp-server`).
    pub direct_tls_listen: Vec<SocketAddr>,
    /// Whether TLS is required on s2s streams (RFC 7590).
    pub require_encryption: bool,
    /// The dialback secret (XEP-0185); `None`: generated once and kept in the data dir.
    pub dialback_secret: Option<String>,
    /// Default policy: peers must present valid certificates (`true`), or may fall back to
    /// dialback (`false`).
    pub require_valid_certificates: bool,
    /// Per-domain policy overrides (`true`: certificates required).
    pub domain_policy: BTreeMap<String, bool>,
    /// Extra trusted CA files (PEM) for peer certificates.
    pub ca_files: Vec<PathBuf>,
    /// Whether the system trust store is used.
    pub system_ca: bool,
    /// DNS servers to ask (`ip:port`); empty: the system's.
    pub nameservers: Vec<SocketAddr>,
    /// Static address overrides: domain → `ip:port` (STARTTLS).
    pub hosts: BTreeMap<String, SocketAddr>,
    /// Seconds without traffic before a stream is closed.
    pub idle_timeout_secs: u64,
    /// Seconds an outbound stream may take to be ready (then `remote-server-timeout`).
    pub connect_timeout_secs: u64,
    /// Seconds one write to a peer may block before the stream is closed and its queued
    /// stanzas bounce with `remote-server-timeout`.
    pub write_timeout_secs: u64,
}

impl Default for S2s {
    fn default() -> Self {
        Self {
            enabled: false,
            listen: vec![SocketAddr::from(([0, 0, 0, 0], 5269))],
            direct_tls_listen: Vec::new(),
            require_encryption: true,
            dialback_secret: None,
            require_valid_certificates: true,
            domain_policy: BTreeMap::new(),
            ca_files: Vec::new(),
            system_ca: true,
            nameservers: Vec::new(),
            hosts: BTreeMap::new(),
            idle_timeout_secs: 600,
            connect_timeout_secs: 30,
            write_timeout_secs: 30,
        }
    }
}

/// A certificate chain and its key (PEM files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertPair {
    /// Certificate chain, end-entity first.
    pub cert: PathBuf,
    /// Private key.
    pub key: PathBuf,
}

/// `[tls]`: a default pair and optional per-domain pairs (`[tls.domains."example.org"]`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tls {
    /// Default certificate (also used for clients without SNI).
    pub default: Option<CertPair>,
    /// Per-domain certificates, chosen by SNI.
    pub domains: BTreeMap<String, CertPair>,
}

impl Tls {
    /// Whether no certificate is configured (a self-signed one is then generated).
    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.domains.is_empty()
    }
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Storage {
    /// Only `sqlite` for now.
    pub backend: String,
    /// The SQLite file (default `<data_dir>/waxwing.sqlite`).
    pub path: PathBuf,
}

/// Every problem found in a configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigErrors {
    /// The problems, in file order.
    pub errors: Vec<String>,
    /// What could be read despite them (defaults elsewhere), so that later checks
    /// (certificates, module tables) can add their errors to the same report.
    pub partial: Option<Box<Config>>,
}

impl ConfigErrors {
    fn one(error: String) -> Self {
        Self {
            errors: vec![error],
            partial: None,
        }
    }
}

impl fmt::Display for ConfigErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{} configuration error(s):", self.errors.len())?;
        for e in &self.errors {
            writeln!(f, "  - {e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigErrors {}

impl Config {
    /// The configuration used when no file is given: domain `localhost`, data in
    /// `./waxwing-data`, c2s on 127.0.0.1:5222 and direct TLS on 127.0.0.1:5223.
    pub fn defaults() -> Self {
        let data_dir = PathBuf::from("waxwing-data");
        Self {
            domains: vec!["localhost".to_owned()],
            storage: Storage {
                backend: "sqlite".to_owned(),
                path: data_dir.join("waxwing.sqlite"),
            },
            data_dir,
            log_level: "info".to_owned(),
            c2s: C2s::default(),
            tls: Tls::default(),
            s2s: S2s::default(),
            modules: toml::Table::new(),
            source: None,
        }
    }

    /// Reads and validates a file.
    pub fn load(path: &Path) -> Result<Self, ConfigErrors> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigErrors::one(format!("{}: {e}", path.display())))?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        match Self::parse(&text, &base) {
            Ok(mut cfg) => {
                cfg.source = Some(path.to_owned());
                Ok(cfg)
            }
            Err(mut e) => {
                if let Some(p) = &mut e.partial {
                    p.source = Some(path.to_owned());
                }
                Err(e)
            }
        }
    }

    /// Parses and validates TOML text; relative paths are resolved against `base`.
    pub fn parse(text: &str, base: &Path) -> Result<Self, ConfigErrors> {
        let mut root: toml::Table =
            toml::from_str(text).map_err(|e| ConfigErrors::one(format!("TOML syntax: {e}")))?;
        let mut errs = Vec::new();
        let mut cfg = Self::defaults();

        if let Some(domains) = take::<Vec<String>>(&mut root, "domains", "", &mut errs) {
            cfg.domains.clear();
            if domains.is_empty() {
                errs.push("domains: at least one domain is needed".to_owned());
            }
            for d in domains {
                match waxwing_jid::prepare_domainpart(&d, waxwing_jid::Profile::Precis) {
                    Ok(p) if !cfg.domains.contains(&p) => cfg.domains.push(p),
                    Ok(_) => errs.push(format!("domains: `{d}` is listed twice")),
                    Err(e) => errs.push(format!("domains: `{d}` is not a valid domain: {e}")),
                }
            }
        }
        if let Some(d) = take::<PathBuf>(&mut root, "data_dir", "", &mut errs) {
            cfg.data_dir = base.join(d);
        }
        if let Some(level) = take::<String>(&mut root, "log_level", "", &mut errs) {
            if tracing_subscriber::EnvFilter::try_new(&level).is_err() {
                errs.push(format!(
                    "log_level: `{level}` is not a level (error, warn, info, debug, trace) or filter"
                ));
            }
            cfg.log_level = level;
        }
        if let Some(t) = take_table(&mut root, "c2s", &mut errs) {
            parse_c2s(t, &mut cfg.c2s, &mut errs);
        }
        if let Some(t) = take_table(&mut root, "tls", &mut errs) {
            parse_tls(t, &mut cfg.tls, base, &mut errs);
        }
        if let Some(t) = take_table(&mut root, "s2s", &mut errs) {
            parse_s2s(t, &mut cfg.s2s, base, &mut errs);
        }
        cfg.storage.path = cfg.data_dir.join("waxwing.sqlite");
        if let Some(mut t) = take_table(&mut root, "storage", &mut errs) {
            if let Some(b) = take::<String>(&mut t, "backend", "storage.", &mut errs) {
                if b != "sqlite" {
                    errs.push(format!(
                        "storage.backend: `{b}` is not supported (only `sqlite`)"
                    ));
                }
                cfg.storage.backend = b;
            }
            if let Some(p) = take::<PathBuf>(&mut t, "path", "storage.", &mut errs) {
                cfg.storage.path = base.join(p);
            }
            unknown(&t, "storage.", &mut errs);
        }
        if let Some(t) = take_table(&mut root, "modules", &mut errs) {
            for (name, v) in &t {
                if !v.is_table() {
                    errs.push(format!(
                        "modules.{name}: must be a table (`[modules.{name}]`)"
                    ));
                }
            }
            cfg.modules = t;
        }
        unknown(&root, "", &mut errs);
        if errs.is_empty() {
            Ok(cfg)
        } else {
            Err(ConfigErrors {
                errors: errs,
                partial: Some(Box::new(cfg)),
            })
        }
    }

    /// Problems found by reading what the configuration points to, without changing anything:
    /// configured certificates (readable, key matching) and the `[modules.<name>]` tables
    /// (checked by building the core server, as `serve` will).
    pub fn deep_errors(&self) -> Vec<String> {
        let mut errs = Vec::new();
        let pairs = self
            .tls
            .default
            .iter()
            .map(|p| ("tls".to_owned(), p))
            .chain(
                self.tls
                    .domains
                    .iter()
                    .map(|(d, p)| (format!("tls.domains.\"{d}\""), p)),
            );
        for (label, pair) in pairs {
            if let Err(e) = waxwing_net::tls::CertEntry::from_pem_files(&pair.cert, &pair.key) {
                errs.push(format!("{label}: {e}"));
            }
        }
        if self.s2s.enabled
            && let Err(e) = waxwing_net::s2s::cert::CertVerifier::new(&self.s2s.ca_files, false)
        {
            errs.push(format!("s2s.ca_files: {e}"));
        }
        let mut builder = waxwing_core::Server::builder()
            .modules(waxwing_modules::all())
            .module_config(self.modules.clone());
        for d in &self.domains {
            builder = builder.domain(d.clone());
        }
        if let Err(e) = builder.build() {
            errs.extend(
                e.0.iter()
                    .filter(|e| {
                        !matches!(
                            e,
                            waxwing_core::BuildError::NoDomains
                                | waxwing_core::BuildError::InvalidDomain { .. }
                        )
                    })
                    .map(ToString::to_string),
            );
        }
        errs
    }

    /// Non-fatal remarks (`waxwing check` prints them; `serve` logs them).
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.s2s.enabled && !self.s2s.require_valid_certificates {
            w.push(
                "s2s.policy = \"allow_dialback\": peers without valid certificates are \
                 authenticated by dialback, which trusts DNS"
                    .to_owned(),
            );
        }
        if self.s2s.enabled && !self.s2s.require_encryption {
            w.push(
                "s2s.require_encryption = false: federation traffic may be unencrypted".to_owned(),
            );
        }
        if !self.c2s.require_encryption {
            w.push(
                "c2s.require_encryption = false: clients may log in without TLS; use this only \
                 for loopback benchmarks and tests"
                    .to_owned(),
            );
        }
        for addr in self.c2s.listen.iter().chain(&self.c2s.direct_tls_listen) {
            if !addr.ip().is_loopback() && !self.c2s.require_encryption {
                w.push(format!(
                    "listener {addr} is reachable from the network without required TLS"
                ));
            }
        }
        w
    }
}

fn parse_c2s(mut t: toml::Table, c: &mut C2s, errs: &mut Vec<String>) {
    if let Some(v) = take(&mut t, "listen", "c2s.", errs) {
        c.listen = v;
    }
    if let Some(v) = take(&mut t, "direct_tls_listen", "c2s.", errs) {
        c.direct_tls_listen = v;
    }
    if let Some(v) = take(&mut t, "require_encryption", "c2s.", errs) {
        c.require_encryption = v;
    }
    if let Some(v) = take(&mut t, "negotiation_timeout_secs", "c2s.", errs) {
        c.negotiation_timeout_secs = v;
        if v == 0 {
            errs.push("c2s.negotiation_timeout_secs: must be at least 1".to_owned());
        }
    }
    if let Some(v) = take(&mut t, "max_stanza_bytes", "c2s.", errs) {
        c.max_stanza_bytes = v;
        if v < 10_000 {
            // RFC 6120 §13.12 item 4: at least 10,000 bytes.
            errs.push("c2s.max_stanza_bytes: RFC 6120 §13.12 asks for at least 10000".to_owned());
        }
    }
    if let Some(v) = take(&mut t, "max_auth_failures", "c2s.", errs) {
        c.max_auth_failures = v;
        if v == 0 {
            errs.push("c2s.max_auth_failures: must be at least 1".to_owned());
        }
    }
    if let Some(v) = take(&mut t, "resource_conflict", "c2s.", errs) {
        c.resource_conflict = v;
    }
    unknown(&t, "c2s.", errs);
    if c.listen.is_empty() && c.direct_tls_listen.is_empty() {
        errs.push("c2s: no listener (both `listen` and `direct_tls_listen` are empty)".to_owned());
    }
}

fn policy(v: &str, path: &str, errs: &mut Vec<String>) -> Option<bool> {
    match v {
        "require_certificates" => Some(true),
        "allow_dialback" => Some(false),
        other => {
            errs.push(format!(
                "{path}: `{other}` is not a policy (`require_certificates` or `allow_dialback`)"
            ));
            None
        }
    }
}

fn domain_key(d: &str, path: &str, errs: &mut Vec<String>) -> Option<String> {
    waxwing_jid::prepare_domainpart(d, waxwing_jid::Profile::Precis)
        .map_err(|e| errs.push(format!("{path}: `{d}` is not a valid domain: {e}")))
        .ok()
}

fn parse_s2s(mut t: toml::Table, c: &mut S2s, base: &Path, errs: &mut Vec<String>) {
    if let Some(v) = take(&mut t, "enabled", "s2s.", errs) {
        c.enabled = v;
    }
    if let Some(v) = take(&mut t, "listen", "s2s.", errs) {
        c.listen = v;
    }
    if let Some(v) = take(&mut t, "direct_tls_listen", "s2s.", errs) {
        c.direct_tls_listen = v;
    }
    if let Some(v) = take(&mut t, "require_encryption", "s2s.", errs) {
        c.require_encryption = v;
    }
    if let Some(v) = take::<String>(&mut t, "dialback_secret", "s2s.", errs) {
        if v.len() < 16 {
            errs.push("s2s.dialback_secret: use at least 16 characters (or leave it unset to have one generated)".to_owned());
        }
        c.dialback_secret = Some(v);
    }
    if let Some(v) = take::<String>(&mut t, "policy", "s2s.", errs)
        && let Some(p) = policy(&v, "s2s.policy", errs)
    {
        c.require_valid_certificates = p;
    }
    if let Some(d) = take_table_in(&mut t, "domain_policy", "s2s.", errs) {
        for (k, v) in d {
            let path = format!("s2s.domain_policy.\"{k}\"");
            let Some(v) = v.as_str() else {
                errs.push(format!("{path}: expected a string"));
                continue;
            };
            if let (Some(p), Some(k)) = (policy(v, &path, errs), domain_key(&k, &path, errs)) {
                c.domain_policy.insert(k, p);
            }
        }
    }
    if let Some(v) = take::<Vec<PathBuf>>(&mut t, "ca_files", "s2s.", errs) {
        c.ca_files = v.into_iter().map(|p| base.join(p)).collect();
    }
    if let Some(v) = take(&mut t, "system_ca", "s2s.", errs) {
        c.system_ca = v;
    }
    if let Some(v) = take(&mut t, "nameservers", "s2s.", errs) {
        c.nameservers = v;
    }
    if let Some(h) = take_table_in(&mut t, "hosts", "s2s.", errs) {
        for (k, v) in h {
            let path = format!("s2s.hosts.\"{k}\"");
            match v.as_str().map(str::parse::<SocketAddr>) {
                Some(Ok(a)) => {
                    if let Some(k) = domain_key(&k, &path, errs) {
                        c.hosts.insert(k, a);
                    }
                }
                _ => errs.push(format!(
                    "{path}: expected an address like \"127.0.0.2:5269\""
                )),
            }
        }
    }
    if let Some(v) = take(&mut t, "idle_timeout_secs", "s2s.", errs) {
        c.idle_timeout_secs = v;
        if v == 0 {
            errs.push("s2s.idle_timeout_secs: must be at least 1".to_owned());
        }
    }
    if let Some(v) = take(&mut t, "connect_timeout_secs", "s2s.", errs) {
        c.connect_timeout_secs = v;
        if v == 0 {
            errs.push("s2s.connect_timeout_secs: must be at least 1".to_owned());
        }
    }
    if let Some(v) = take(&mut t, "write_timeout_secs", "s2s.", errs) {
        c.write_timeout_secs = v;
        if v == 0 {
            errs.push("s2s.write_timeout_secs: must be at least 1".to_owned());
        }
    }
    unknown(&t, "s2s.", errs);
    if c.enabled && c.listen.is_empty() && c.direct_tls_listen.is_empty() {
        errs.push("s2s: enabled but no listener (peers could not reach us)".to_owned());
    }
}

fn parse_tls(mut t: toml::Table, tls: &mut Tls, base: &Path, errs: &mut Vec<String>) {
    tls.default = cert_pair(&mut t, "tls.", base, errs);
    if let Some(mut doms) = take_table_in(&mut t, "domains", "tls.", errs) {
        let keys: Vec<String> = doms.keys().cloned().collect();
        for dom in keys {
            let path = format!("tls.domains.\"{dom}\".");
            if let Some(mut dt) = take_table_in(&mut doms, &dom, "tls.domains.", errs) {
                let prepared = waxwing_jid::prepare_domainpart(&dom, waxwing_jid::Profile::Precis);
                match (cert_pair(&mut dt, &path, base, errs), prepared) {
                    (Some(p), Ok(d)) => {
                        tls.domains.insert(d, p);
                    }
                    (None, _) => errs.push(format!(
                        "{}: `cert` and `key` are required",
                        path.trim_end_matches('.')
                    )),
                    (_, Err(e)) => {
                        errs.push(format!("tls.domains: `{dom}` is not a valid domain: {e}"));
                    }
                }
                unknown(&dt, &path, errs);
            }
        }
    }
    unknown(&t, "tls.", errs);
}

fn take<T: DeserializeOwned>(
    t: &mut toml::Table,
    key: &str,
    path: &str,
    errs: &mut Vec<String>,
) -> Option<T> {
    let v = t.remove(key)?;
    match v.try_into::<T>() {
        Ok(v) => Some(v),
        Err(e) => {
            errs.push(format!("{path}{key}: {}", e.to_string().trim()));
            None
        }
    }
}

fn take_table(t: &mut toml::Table, key: &str, errs: &mut Vec<String>) -> Option<toml::Table> {
    take_table_in(t, key, "", errs)
}

fn take_table_in(
    t: &mut toml::Table,
    key: &str,
    path: &str,
    errs: &mut Vec<String>,
) -> Option<toml::Table> {
    match t.remove(key)? {
        toml::Value::Table(t) => Some(t),
        other => {
            errs.push(format!(
                "{path}{key}: expected a table, found {}",
                other.type_str()
            ));
            None
        }
    }
}

fn cert_pair(
    t: &mut toml::Table,
    path: &str,
    base: &Path,
    errs: &mut Vec<String>,
) -> Option<CertPair> {
    let cert = take::<PathBuf>(t, "cert", path, errs);
    let key = take::<PathBuf>(t, "key", path, errs);
    match (cert, key) {
        (Some(c), Some(k)) => Some(CertPair {
            cert: base.join(c),
            key: base.join(k),
        }),
        (Some(_), None) => {
            errs.push(format!("{path}cert is set but {path}key is not"));
            None
        }
        (None, Some(_)) => {
            errs.push(format!("{path}key is set but {path}cert is not"));
            None
        }
        (None, None) => None,
    }
}

fn unknown(t: &toml::Table, path: &str, errs: &mut Vec<String>) {
    for k in t.keys() {
        errs.push(format!("unknown key `{path}{k}`"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_file_is_the_defaults() {
        let c = Config::parse("", Path::new("")).unwrap();
        assert_eq!(c, Config::defaults());
        assert_eq!(c.c2s.listen, ["127.0.0.1:5222".parse().unwrap()]);
        assert_eq!(c.c2s.direct_tls_listen, ["127.0.0.1:5223".parse().unwrap()]);
        assert!(c.c2s.require_encryption);
        assert_eq!(c.storage.path, Path::new("waxwing-data/waxwing.sqlite"));
    }

    #[test]
    fn full_file_parses() {
        let text = r#"
            domains = ["Example.COM", "chat.example.org"]
            data_dir = "/var/lib/waxwing"
            log_level = "debug"
            [c2s]
            listen = ["0.0.0.0:5222", "[::]:5222"]
            direct_tls_listen = []
            require_encryption = false
            negotiation_timeout_secs = 30
            [tls]
            cert = "certs/default.pem"
            key = "certs/default.key"
            [tls.domains."chat.example.org"]
            cert = "/etc/chat.pem"
            key = "/etc/chat.key"
            [storage]
            backend = "sqlite"
            [modules.version]
            hide_os = true
        "#;
        let c = Config::parse(text, Path::new("/etc/waxwing")).unwrap();
        assert_eq!(c.domains, ["example.com", "chat.example.org"]);
        assert_eq!(c.data_dir, Path::new("/var/lib/waxwing"));
        assert_eq!(c.storage.path, Path::new("/var/lib/waxwing/waxwing.sqlite"));
        assert_eq!(c.c2s.listen.len(), 2);
        assert!(c.c2s.direct_tls_listen.is_empty());
        assert!(!c.c2s.require_encryption);
        assert_eq!(c.c2s.negotiation_timeout_secs, 30);
        let d = c.tls.default.as_ref().unwrap();
        assert_eq!(d.cert, Path::new("/etc/waxwing/certs/default.pem"));
        assert_eq!(
            c.tls.domains["chat.example.org"].key,
            Path::new("/etc/chat.key")
        );
        assert!(c.modules["version"].is_table());
        assert!(
            c.warnings()
                .iter()
                .any(|w| w.contains("require_encryption"))
        );
    }

    #[test]
    fn all_errors_are_reported_together() {
        let text = r#"
            domains = ["a@b"]
            colour = "blue"
            log_level = 7
            [c2s]
            listen = ["not an address"]
            require_encryption = "yes"
            frobnicate = 1
            [tls]
            cert = "x.pem"
            [storage]
            backend = "postgres"
            [modules]
            ping = 3
        "#;
        let errs = Config::parse(text, Path::new("")).unwrap_err().errors;
        let want = [
            "domains: `a@b`",
            "unknown key `colour`",
            "log_level:",
            "c2s.listen:",
            "c2s.require_encryption:",
            "unknown key `c2s.frobnicate`",
            "tls.cert is set but tls.key is not",
            "storage.backend: `postgres`",
            "modules.ping: must be a table",
        ];
        for w in want {
            assert!(
                errs.iter().any(|e| e.contains(w)),
                "missing {w:?} in {errs:#?}"
            );
        }
        assert_eq!(errs.len(), want.len(), "{errs:#?}");
    }

    #[test]
    fn resource_conflict_policy_is_configurable() {
        let c = Config::parse("[c2s]\nresource_conflict = \"refuse\"", Path::new("")).unwrap();
        assert_eq!(c.c2s.resource_conflict, ConflictPolicy::Refuse);
        assert_eq!(
            Config::defaults().c2s.resource_conflict,
            ConflictPolicy::Replace
        );
        let err = Config::parse("[c2s]\nresource_conflict = \"kick\"", Path::new("")).unwrap_err();
        assert_eq!(err.errors.len(), 1, "{:?}", err.errors);
        assert!(
            err.errors[0].starts_with("c2s.resource_conflict"),
            "{:?}",
            err.errors
        );
    }

    #[test]
    fn example_file_parses() {
        let text = include_str!("../waxwing.example.toml");
        let c = Config::parse(text, Path::new("/etc/waxwing")).unwrap();
        assert_eq!(c.data_dir, Path::new("/etc/waxwing/waxwing-data"));
        assert_eq!(c.c2s, C2s::default());
    }

    #[test]
    fn s2s_section_parses() {
        let cfg = Config::parse(
            r#"
            [s2s]
            enabled = true
            listen = ["127.0.0.1:5269"]
            direct_tls_listen = ["127.0.0.1:5270"]
            policy = "allow_dialback"
            dialback_secret = "0123456789abcdef0123"
            ca_files = ["ca.pem"]
            system_ca = false
            nameservers = ["127.0.0.1:5353"]
            idle_timeout_secs = 60
            connect_timeout_secs = 5
            write_timeout_secs = 7
            [s2s.domain_policy]
            "Strict.Example" = "require_certificates"
            [s2s.hosts]
            "b.test" = "127.0.0.2:5269"
            "#,
            Path::new("/etc/waxwing"),
        )
        .unwrap();
        let s = &cfg.s2s;
        assert!(s.enabled);
        assert!(!s.require_valid_certificates);
        assert_eq!(s.domain_policy.get("strict.example"), Some(&true));
        assert_eq!(s.ca_files, [PathBuf::from("/etc/waxwing/ca.pem")]);
        assert_eq!(
            s.hosts.get("b.test"),
            Some(&"127.0.0.2:5269".parse().unwrap())
        );
        assert_eq!(
            s.nameservers,
            ["127.0.0.1:5353".parse::<SocketAddr>().unwrap()]
        );
        assert_eq!(s.idle_timeout_secs, 60);
        assert_eq!(s.connect_timeout_secs, 5);
        assert_eq!(s.write_timeout_secs, 7);
        assert!(cfg.warnings().iter().any(|w| w.contains("allow_dialback")));
        assert!(!Config::defaults().s2s.enabled);
    }

    #[test]
    fn s2s_errors_are_reported() {
        let e = Config::parse(
            r#"
            [s2s]
            enabled = true
            listen = []
            policy = "trust_everyone"
            dialback_secret = "short"
            idle_timeout_secs = 0
            bogus = 1
            [s2s.hosts]
            "b.test" = "not an address"
            [s2s.domain_policy]
            "x.test" = "maybe"
            "#,
            Path::new("/"),
        )
        .unwrap_err();
        let all = e.errors.join("\n");
        for needle in [
            "s2s.policy: `trust_everyone`",
            "s2s.dialback_secret",
            "s2s.idle_timeout_secs",
            "unknown key `s2s.bogus`",
            "s2s.hosts.\"b.test\"",
            "s2s.domain_policy.\"x.test\": `maybe`",
            "s2s: enabled but no listener",
        ] {
            assert!(all.contains(needle), "{needle} missing in:\n{all}");
        }
    }

    #[test]
    fn syntax_error_is_one_error() {
        let errs = Config::parse("domains = [", Path::new(""))
            .unwrap_err()
            .errors;
        assert_eq!(errs.len(), 1);
        assert!(errs[0].starts_with("TOML syntax"));
    }
}
