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

fn check_modules(r: &mut Report, cfg: &Config) {
    println!("modules:");
    let module_errors: Vec<String> = cfg
        .deep_errors()
        .into_iter()
        .filter(|e| !e.starts_with("tls"))
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
