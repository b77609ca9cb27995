//! `waxwing check`: configuration and certificate diagnostics in plain words. Exits 1 when
//! a problem would stop the server or break clients, 0 otherwise (warnings included).

use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use waxwing_net::tls::{CertEntry, SELF_SIGNED_CERT_FILE, SELF_SIGNED_KEY_FILE};

use crate::config::Config;

/// Certificates expiring sooner than this get a warning.
const EXPIRY_WARNING_DAYS: i64 = 30;

struct Report {
    passed: usize,
    problems: usize,
    warnings: usize,
}

impl Report {
    fn ok(&mut self, msg: &str) {
        self.passed += 1;
        println!("  ok       {msg}");
    }
    fn warn(&mut self, msg: &str) {
        self.warnings += 1;
        println!("  warning  {msg}");
    }
    fn problem(&mut self, msg: &str) {
        self.problems += 1;
        println!("  PROBLEM  {msg}");
    }
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn check_entry(r: &mut Report, label: &str, entry: &CertEntry, domains: &[String]) {
    r.ok(&format!(
        "{label}: certificate and key readable and matching (SHA-256 {})",
        entry.fingerprint()
    ));
    for d in domains {
        if entry.covers(d) {
            r.ok(&format!("{label}: covers {d}"));
        } else {
            r.problem(&format!(
                "{label}: does not cover {d} (it names: {}); clients will refuse it",
                entry.dns_names().join(", ")
            ));
        }
    }
    let days = (entry.not_after_unix() - now_unix()) / 86_400;
    if entry.not_after_unix() <= now_unix() {
        r.problem(&format!("{label}: expired"));
    } else if days < EXPIRY_WARNING_DAYS {
        r.warn(&format!("{label}: expires in {days} day(s)"));
    } else {
        r.ok(&format!("{label}: valid for {days} more day(s)"));
    }
}

pub(crate) fn run(cfg: &Config) -> ExitCode {
    let mut r = Report {
        passed: 0,
        problems: 0,
        warnings: 0,
    };
    match &cfg.source {
        Some(p) => println!("configuration {}:", p.display()),
        None => println!("no configuration file: built-in defaults"),
    }
    r.ok(&format!("domains: {}", cfg.domains.join(", ")));
    r.ok(&format!("data directory: {}", cfg.data_dir.display()));
    for a in &cfg.c2s.listen {
        r.ok(&format!("c2s STARTTLS listener: {a}"));
    }
    for a in &cfg.c2s.direct_tls_listen {
        r.ok(&format!("c2s direct TLS listener: {a}"));
    }
    for w in cfg.warnings() {
        r.warn(&w);
    }

    check_certificates(&mut r, cfg);
    check_s2s(&mut r, cfg);
    check_modules(&mut r, cfg);

    println!("storage:");
    if cfg.storage.path.exists() {
        r.ok(&format!("SQLite database {}", cfg.storage.path.display()));
    } else {
        r.ok(&format!(
            "SQLite database {} will be created",
            cfg.storage.path.display()
        ));
    }

    println!(
        "{} check(s) passed, {} problem(s), {} warning(s)",
        r.passed, r.problems, r.warnings
    );
    if r.problems == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn check_certificates(r: &mut Report, cfg: &Config) {
    println!("certificates:");
    if cfg.tls.is_empty() {
        r.warn("no certificate configured: clients will have to trust the self-signed one by hand");
        let cert = cfg.data_dir.join(SELF_SIGNED_CERT_FILE);
        let key = cfg.data_dir.join(SELF_SIGNED_KEY_FILE);
        if cert.exists() {
            match CertEntry::from_pem_files(&cert, &key) {
                Ok(e) => check_entry(r, "self-signed", &e, &cfg.domains),
                Err(e) => r.warn(&format!(
                    "self-signed certificate unusable ({e}); a new one will be generated"
                )),
            }
        } else {
            r.ok(&format!(
                "a self-signed certificate will be generated in {}",
                cfg.data_dir.display()
            ));
        }
    } else {
        if let Some(pair) = &cfg.tls.default {
            let domains: Vec<String> = cfg
                .domains
                .iter()
                .filter(|d| !cfg.tls.domains.contains_key(*d))
                .cloned()
                .collect();
            match CertEntry::from_pem_files(&pair.cert, &pair.key) {
                Ok(e) => check_entry(r, "[tls]", &e, &domains),
                Err(e) => r.problem(&format!("[tls]: {e}")),
            }
        } else {
            for d in cfg
                .domains
                .iter()
                .filter(|d| !cfg.tls.domains.contains_key(*d))
            {
                r.problem(&format!(
                    "no certificate for {d}: add [tls] cert/key or [tls.domains.\"{d}\"]"
                ));
            }
        }
        for (d, pair) in &cfg.tls.domains {
            if !cfg.domains.contains(d) {
                r.warn(&format!(
                    "[tls.domains.\"{d}\"]: {d} is not a served domain"
                ));
            }
            let label = format!("[tls.domains.\"{d}\"]");
            match CertEntry::from_pem_files(&pair.cert, &pair.key) {
                Ok(e) => check_entry(r, &label, &e, std::slice::from_ref(d)),
                Err(e) => r.problem(&format!("{label}: {e}")),
            }
        }
    }
}

fn check_s2s(r: &mut Report, cfg: &Config) {
    println!("federation (s2s):");
    let s = &cfg.s2s;
    if !s.enabled {
        r.ok("disabled: stanzas to other domains get remote-server-not-found");
        return;
    }
    for a in &s.listen {
        r.ok(&format!("s2s STARTTLS listener: {a}"));
    }
    for a in &s.direct_tls_listen {
        r.ok(&format!("s2s direct TLS listener: {a}"));
    }
    r.ok(if s.require_valid_certificates {
        "policy: peers must present valid certificates (SASL EXTERNAL)"
    } else {
        "policy: dialback allowed for peers without valid certificates"
    });
    for (d, strict) in &s.domain_policy {
        let p = if *strict {
            "require_certificates"
        } else {
            "allow_dialback"
        };
        r.ok(&format!("policy for {d}: {p}"));
    }
    match waxwing_net::s2s::cert::CertVerifier::new(&s.ca_files, s.system_ca) {
        Ok(_) if s.ca_files.is_empty() && !s.system_ca => r.warn(
            "no trust anchors (system_ca = false, no ca_files): no peer certificate can be \
             valid; only dialback can authenticate peers",
        ),
        Ok(_) => r.ok(&format!(
            "trust anchors: {}{}",
            if s.system_ca { "system store; " } else { "" },
            s.ca_files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(" ")
        )),
        Err(e) => r.problem(&format!("s2s.ca_files: {e}")),
    }
    if s.dialback_secret.is_none() {
        r.ok("dialback secret: generated and kept in the data directory");
    }
    if s.nameservers.is_empty() {
        r.ok("DNS: system resolver (/etc/resolv.conf)");
    } else {
        r.ok(&format!(
            "DNS: {}",
            s.nameservers
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for (d, a) in &s.hosts {
        if cfg.domains.contains(d) {
            r.warn(&format!("s2s.hosts: {d} is one of our own domains"));
        } else {
            r.ok(&format!("{d} is reached at {a} (hosts override)"));
        }
    }
    check_dns(r, cfg);
}

/// How long `check` waits for the DNS answers about one domain.
const DNS_CHECK_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// What peers find in DNS for each served domain (RFC 6120 §3.2, XEP-0368).
fn check_dns(r: &mut Report, cfg: &Config) {
    use waxwing_net::s2s::resolve::{Host, ResolveError, Resolver, ResolverSettings, Target};
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        r.warn("DNS: cannot start a runtime to look the domains up");
        return;
    };
    // The resolver and the timers need the runtime's context.
    let _context = rt.enter();
    let resolver = Resolver::new(&ResolverSettings {
        nameservers: cfg.s2s.nameservers.clone(),
        hosts: std::collections::HashMap::new(),
    });
    for d in &cfg.domains {
        let lookup = async {
            let answer = resolver.srv_lookup(d).await?;
            let srv = answer.records;
            let targets: Vec<Target> = if srv.is_empty() {
                vec![Target {
                    host: Host::Name(d.clone()),
                    port: waxwing_net::s2s::resolve::DEFAULT_PORT,
                    direct_tls: false,
                }]
            } else {
                srv.iter()
                    .map(|s| Target {
                        host: Host::Name(s.target.clone()),
                        port: s.port,
                        direct_tls: s.direct_tls,
                    })
                    .collect()
            };
            let mut reachable = Vec::new();
            let mut failures = Vec::new();
            for t in &targets {
                match resolver.addresses(t).await {
                    Ok(a) if !a.is_empty() => reachable.push(t.clone()),
                    Ok(_) => {}
                    Err(e) => failures.push(e.to_string()),
                }
            }
            Ok::<_, ResolveError>((srv, answer.failures, targets, reachable, failures))
        };
        match rt.block_on(tokio::time::timeout(DNS_CHECK_TIMEOUT, lookup)) {
            Ok(Ok((srv, srv_failures, targets, reachable, failures))) => {
                // The exact failure (name queried, response code): RFC 6120 §3.2.1 lets
                // peers fall back to A/AAAA, but a failing SRV query hides the records.
                for f in &srv_failures {
                    r.warn(&format!(
                        "{d}: SRV lookup failed: {f}; peers fall back to {d}:5269"
                    ));
                }
                let list = |ts: &[Target]| {
                    ts.iter()
                        .map(|t| {
                            let host = match &t.host {
                                Host::Name(n) => n.clone(),
                                Host::Addr(a) => a.to_string(),
                            };
                            let tls = if t.direct_tls { " (direct TLS)" } else { "" };
                            format!("{host}:{}{tls}", t.port)
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                };
                if srv.is_empty() {
                    r.warn(&format!(
                        "{d}: no _xmpp-server._tcp SRV record; peers will try {d}:5269"
                    ));
                } else {
                    r.ok(&format!("{d}: SRV records lead to {}", list(&targets)));
                }
                if reachable.is_empty() {
                    let why = if failures.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", failures.join("; "))
                    };
                    r.problem(&format!(
                        "{d}: none of {} has an address: peers cannot reach us{why}",
                        list(&targets)
                    ));
                }
            }
            Ok(Err(ResolveError::NoService)) => r.problem(&format!(
                "{d}: its _xmpp-server._tcp SRV record says \"no service\" (target .): \
                 peers will not federate with it"
            )),
            Ok(Err(e)) => r.warn(&format!("{d}: DNS lookup failed: {e}")),
            Err(_) => r.warn(&format!(
                "{d}: DNS lookup timed out after {}s (no answer from the name servers)",
                DNS_CHECK_TIMEOUT.as_secs()
            )),
        }
    }
}

fn check_modules(r: &mut Report, cfg: &Config) {
    println!("modules:");
    let module_errors: Vec<String> = cfg
        .deep_errors()
        .into_iter()
        .filter(|e| !e.starts_with("tls") && !e.starts_with("s2s"))
        .collect();
    if module_errors.is_empty() {
        r.ok(&format!(
            "modules configured: {}",
            waxwing_modules::all()
                .iter()
                .map(waxwing_core::ModuleFactory::name)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for e in module_errors {
        r.problem(&e);
    }
}
