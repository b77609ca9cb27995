//! `waxwing serve`: validate everything, then bind, then run until SIGINT/SIGTERM.
//!
//! Order matters: every configuration problem (config file, certificates, modules, storage)
//! is collected and reported together before any port is bound.

use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use waxwing_core::Server;
use waxwing_net::listener::{bind_all, spawn_accept_loop};
use waxwing_net::s2s::resolve::ResolverSettings;
use waxwing_net::tls::{CertEntry, CertResolver, TlsContext, ensure_self_signed, write_private};
use waxwing_net::{
    C2sServiceBuilder, ConnMode, S2sService, S2sSettings, StorageAccounts, Timeouts,
};
use waxwing_stream::{C2sConfig, S2sConfig};

use crate::config::Config;

/// How long shutdown waits for sessions to close.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
/// The file holding the SASL server secret (salts for unknown users must stay stable).
const SASL_SECRET_FILE: &str = "sasl-secret";
/// The file holding the generated dialback secret (XEP-0185).
const DIALBACK_SECRET_FILE: &str = "dialback-secret";

pub(crate) fn init_tracing(level: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only for people: escape codes make journald and log files unreadable.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

pub(crate) fn run(cfg: Config) -> ExitCode {
    init_tracing(&cfg.log_level);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(serve(cfg))
}

/// Certificates from the configuration, or the generated self-signed one.
pub(crate) fn load_certificates(cfg: &Config, errors: &mut Vec<String>) -> CertResolver {
    let mut resolver = CertResolver::new();
    if cfg.tls.is_empty() {
        match ensure_self_signed(&cfg.data_dir, &cfg.domains) {
            Ok(s) => {
                if s.created {
                    tracing::warn!(
                        cert = %s.cert_path.display(),
                        sha256 = s.entry.fingerprint(),
                        "no certificate configured: generated a self-signed one"
                    );
                } else {
                    tracing::info!(
                        cert = %s.cert_path.display(),
                        sha256 = s.entry.fingerprint(),
                        "using the self-signed certificate"
                    );
                }
                resolver.add(&cfg.domains, s.entry);
            }
            Err(e) => errors.push(format!("self-signed certificate: {e}")),
        }
        return resolver;
    }
    // Per-domain pairs first: the first one added is the default for clients without SNI,
    // so the `[tls]` default pair, when present, goes first.
    if let Some(pair) = &cfg.tls.default {
        match CertEntry::from_pem_files(&pair.cert, &pair.key) {
            Ok(e) => {
                let domains: Vec<String> = cfg
                    .domains
                    .iter()
                    .filter(|d| !cfg.tls.domains.contains_key(*d))
                    .cloned()
                    .collect();
                resolver.add(&domains, e);
            }
            Err(e) => errors.push(format!("tls: {e}")),
        }
    }
    for (domain, pair) in &cfg.tls.domains {
        match CertEntry::from_pem_files(&pair.cert, &pair.key) {
            Ok(e) => {
                resolver.add(std::slice::from_ref(domain), e);
            }
            Err(e) => errors.push(format!("tls.domains.\"{domain}\": {e}")),
        }
    }
    resolver
}

/// The 32-byte SASL secret from the data directory, created on first start.
fn sasl_secret(dir: &Path) -> Result<[u8; 32], String> {
    let path = dir.join(SASL_SECRET_FILE);
    match std::fs::read(&path) {
        Ok(bytes) => <[u8; 32]>::try_from(bytes.as_slice())
            .map_err(|_| format!("{}: expected exactly 32 bytes", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret).map_err(|e| format!("random secret: {e}"))?;
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            write_private(&path, &secret).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(secret)
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The dialback secret (XEP-0185): configured, or generated once and kept in the data dir
/// so that keys stay verifiable across restarts.
fn dialback_secret(cfg: &Config) -> Result<Vec<u8>, String> {
    if let Some(s) = &cfg.s2s.dialback_secret {
        return Ok(s.as_bytes().to_vec());
    }
    let path = cfg.data_dir.join(DIALBACK_SECRET_FILE);
    match std::fs::read(&path) {
        Ok(bytes) if bytes.len() >= 16 => Ok(bytes),
        Ok(_) => Err(format!("{}: too short (16 bytes at least)", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut secret = [0u8; 32];
            getrandom::fill(&mut secret).map_err(|e| format!("random secret: {e}"))?;
            write_private(&path, &secret).map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(secret.to_vec())
        }
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// The s2s service from `[s2s]`.
fn s2s_service(cfg: &Config, tls: &TlsContext) -> Result<S2sService, String> {
    let c = &cfg.s2s;
    let mut neg = S2sConfig::new(&cfg.domains, dialback_secret(cfg)?);
    neg.require_tls = c.require_encryption;
    neg.require_valid_certs = c.require_valid_certificates;
    neg.cert_policy = c.domain_policy.clone();
    neg.limits.max_stanza_bytes = cfg.c2s.max_stanza_bytes;
    let mut settings = S2sSettings::new(neg);
    settings.resolver = ResolverSettings {
        nameservers: c.nameservers.clone(),
        hosts: c.hosts.iter().map(|(k, v)| (k.clone(), *v)).collect(),
    };
    settings.ca_files.clone_from(&c.ca_files);
    settings.system_roots = c.system_ca;
    settings.idle_timeout = Duration::from_secs(c.idle_timeout_secs);
    settings.connect_timeout = Duration::from_secs(c.connect_timeout_secs);
    settings.write_timeout = Duration::from_secs(c.write_timeout_secs);
    S2sService::new(settings, Some(tls)).map_err(|e| format!("s2s: {e}"))
}

/// c2s STARTTLS, c2s direct TLS, s2s STARTTLS and s2s direct TLS listeners; every failure
/// is printed.
async fn bind_listeners(cfg: &Config, s2s: bool) -> Option<[Vec<tokio::net::TcpListener>; 4]> {
    let none: &[std::net::SocketAddr] = &[];
    let sets = [
        &cfg.c2s.listen[..],
        &cfg.c2s.direct_tls_listen[..],
        if s2s { &cfg.s2s.listen[..] } else { none },
        if s2s {
            &cfg.s2s.direct_tls_listen[..]
        } else {
            none
        },
    ];
    let mut out = Vec::with_capacity(4);
    let mut ok = true;
    for addrs in sets {
        match bind_all(addrs).await {
            Ok(l) => out.push(l),
            Err((addr, e)) => {
                eprintln!("cannot listen on {addr}: {e}");
                ok = false;
            }
        }
    }
    if !ok {
        return None;
    }
    out.try_into().ok()
}

fn spawn_c2s(
    service: &waxwing_net::C2sService,
    [starttls, direct]: [Vec<tokio::net::TcpListener>; 2],
) -> Vec<tokio::task::JoinHandle<()>> {
    let mut loops = Vec::new();
    for (listeners, mode) in [
        (starttls, ConnMode::StartTls),
        (direct, ConnMode::DirectTls),
    ] {
        for l in listeners {
            if let Ok(addr) = l.local_addr() {
                tracing::info!(%addr, ?mode, "c2s listening");
            }
            loops.push(spawn_accept_loop(l, service.clone(), mode));
        }
    }
    loops
}

fn spawn_s2s(
    s2s: &S2sService,
    [plain, direct]: [Vec<tokio::net::TcpListener>; 2],
    loops: &mut Vec<tokio::task::JoinHandle<()>>,
) {
    for (listeners, direct) in [(plain, false), (direct, true)] {
        for l in listeners {
            if let Ok(addr) = l.local_addr() {
                tracing::info!(%addr, direct_tls = direct, "s2s listening");
            }
            loops.push(s2s.spawn_listener(l, direct));
        }
    }
}

/// Closes the s2s streams and breaks the service ↔ server reference cycle.
fn stop_s2s(s2s: Option<&S2sService>) {
    if let Some(s) = s2s {
        s.shutdown();
    }
}

async fn serve(cfg: Config) -> ExitCode {
    for w in cfg.warnings() {
        tracing::warn!("{w}");
    }
    let mut errors = Vec::new();
    if let Err(e) = std::fs::create_dir_all(&cfg.data_dir) {
        errors.push(format!("data_dir {}: {e}", cfg.data_dir.display()));
    }
    let resolver = load_certificates(&cfg, &mut errors);
    let secret = sasl_secret(&cfg.data_dir).map_err(|e| errors.push(e)).ok();
    let tls = errors
        .is_empty()
        .then(|| {
            TlsContext::new(resolver)
                .map_err(|e| errors.push(e.to_string()))
                .ok()
        })
        .flatten();
    let s2s = tls
        .as_ref()
        .filter(|_| cfg.s2s.enabled)
        .and_then(|tls| s2s_service(&cfg, tls).map_err(|e| errors.push(e)).ok());
    let storage = crate::user::open_storage(&cfg)
        .await
        .map_err(|e| errors.push(e))
        .ok();

    let mut builder = Server::builder()
        .modules(waxwing_modules::all())
        .module_config(cfg.modules.clone())
        .conflict_policy(cfg.c2s.resource_conflict);
    for d in &cfg.domains {
        builder = builder.domain(d.clone());
    }
    if let Some(s) = &storage {
        builder = builder.storage(s.clone());
    }
    if let Some(s) = &s2s {
        builder = builder.remote(Arc::new(s.clone()));
    }
    let server = builder
        .build()
        .map_err(|e| errors.extend(e.0.iter().map(ToString::to_string)))
        .ok();
    if let (Some(s), Some(server)) = (&s2s, &server) {
        s.attach(server.clone());
    }
    let (Some(server), Some(storage), Some(secret), Some(tls), true) =
        (server, storage, secret, tls, errors.is_empty())
    else {
        stop_s2s(s2s.as_ref());
        eprintln!("{} error(s), not starting:", errors.len());
        for e in &errors {
            eprintln!("  - {e}");
        }
        return ExitCode::from(2);
    };

    let mut neg = C2sConfig::new(&cfg.domains, waxwing_sasl::ServerConfig::new(secret));
    neg.limits.max_stanza_bytes = cfg.c2s.max_stanza_bytes;
    neg.max_auth_failures = cfg.c2s.max_auth_failures;
    let modules = server.clone();
    let (service, shutdown) =
        C2sServiceBuilder::new(server, Arc::new(StorageAccounts(storage)), neg)
            .tls(tls)
            .require_encryption(cfg.c2s.require_encryption)
            .timeouts(Timeouts {
                negotiation: Duration::from_secs(cfg.c2s.negotiation_timeout_secs),
                ..Timeouts::default()
            })
            .build();

    // Bind everything before serving anything, and report every failure.
    let Some([starttls, direct, s2s_plain, s2s_direct]) = bind_listeners(&cfg, s2s.is_some()).await
    else {
        stop_s2s(s2s.as_ref());
        return ExitCode::FAILURE;
    };
    let mut loops = spawn_c2s(&service, [starttls, direct]);
    if let Some(s) = &s2s {
        spawn_s2s(s, [s2s_plain, s2s_direct], &mut loops);
    }
    tracing::info!(domains = ?cfg.domains, version = env!("CARGO_PKG_VERSION"), "waxwing started");

    wait_for_signal().await;
    tracing::info!("shutting down");
    stop_s2s(s2s.as_ref());
    drop(service);
    let clean = shutdown.shutdown(SHUTDOWN_GRACE).await;
    for l in loops {
        let _ = l.await;
    }
    if !clean {
        tracing::warn!("some sessions did not close in time");
    }
    // After the sessions' ends: modules write what they hold (last presences).
    modules.stop().await;
    tracing::info!("stopped");
    ExitCode::SUCCESS
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot watch SIGTERM; only SIGINT stops the server");
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
