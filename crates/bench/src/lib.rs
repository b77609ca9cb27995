//! waxwing-bench: an XMPP c2s load generator for comparing servers on one machine.
//!
//! N clients log in over plain TCP, STARTTLS (RFC 6120 §5) or direct TLS (XEP-0368) with
//! SCRAM-SHA-1/-256 (RFC 5802, RFC 7677) or PLAIN (RFC 4616), bind a resource (RFC 6120 §7),
//! send initial presence (RFC 6121 §4.2), then run one workload. Around each phase it reads the
//! server process's CPU time and RSS from `/proc` and its own CPU time, so the figures are
//! server-side costs, and prints them as text or JSON.
//!
//! Leanness, so that the generator can saturate a server on the same two cores: one task per
//! client, batched writes, SCRAM's salted password computed once per salt, and after login no
//! XML tree per stanza — a byte scanner ([`scan`]) counts `<message>` replies.
//! Safety: every phase is bounded in count and time, and targets outside loopback are refused
//! unless `--allow-remote` is given.

pub mod addr;
pub mod client;
pub mod opts;
pub mod procfs;
pub mod report;
pub mod scan;
pub mod scram_cache;
pub mod stats;
pub mod tls;
pub mod workload;

use std::time::Duration;

use opts::{Options, Transport, Workload};
use report::Report;
use workload::Run;

/// Builds the shared client context from the options.
pub fn context(o: &Options) -> Result<Run, String> {
    addr::check_target(o.target, o.allow_remote)?;
    let (tls_starttls, tls_direct) = match o.transport {
        Transport::Plain => (None, None),
        Transport::Starttls => (
            Some(tls::client_config(o.insecure, o.ca_file.as_deref(), false)?),
            None,
        ),
        Transport::Tls => (
            None,
            Some(tls::client_config(o.insecure, o.ca_file.as_deref(), true)?),
        ),
    };
    let phase_timeout = Duration::from_secs(o.phase_timeout.max(1));
    Ok(Run {
        ctx: client::Ctx {
            target: o.target,
            domain: o.domain.clone(),
            transport: o.transport,
            tls_starttls,
            tls_direct,
            mech: o.mech,
            password: o.password.clone(),
            prefix: o.accounts_prefix.clone(),
            accounts: o.accounts.max(1),
            per_source: o.per_source,
            cache: o.scram_cache.as_deref().map_or_else(
                scram_cache::SaltedCache::new,
                scram_cache::SaltedCache::load,
            ),
            io_timeout: phase_timeout.min(Duration::from_mins(1)),
        },
        server_pid: o.server_pid,
        concurrency: o.concurrency.max(1),
        phase_timeout,
    })
}

/// Runs the chosen workload; the reports carry the label, transport and mechanism first.
pub async fn run(o: &Options) -> Result<Vec<Report>, String> {
    let run = context(o)?;
    let mut reports = match &o.workload {
        Workload::Idle(a) => workload::idle(&run, a).await?,
        Workload::Pingpong(a) => workload::pingpong(&run, a).await?,
        Workload::Latency(a) => workload::latency(&run, a).await?,
        Workload::LoginBurst(a) => workload::login_burst(&run, a).await?,
        Workload::Roster(a) => workload::roster(&run, a).await?,
    };
    if let Some(path) = &o.scram_cache
        && run.ctx.cache.misses() > 0
    {
        run.ctx
            .cache
            .save(path)
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let transport = match o.transport {
        Transport::Plain => "plain",
        Transport::Starttls => "starttls",
        Transport::Tls => "tls",
    };
    for r in &mut reports {
        let mut head = vec![
            ("label".to_owned(), report::Value::from(o.label.as_str())),
            ("transport".to_owned(), transport.into()),
            ("mech".to_owned(), o.mech.name().into()),
        ];
        head.append(&mut r.fields);
        r.fields = head;
    }
    Ok(reports)
}
