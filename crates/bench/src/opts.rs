//! Command line: the target, how clients log in, and the workload.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// How clients reach the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Transport {
    /// Cleartext TCP (the server must allow unencrypted c2s).
    Plain,
    /// Cleartext, then STARTTLS (RFC 6120 §5).
    Starttls,
    /// TLS from the first byte (XEP-0368).
    Tls,
}

/// The SASL mechanism.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Mech {
    /// SCRAM-SHA-256 (RFC 7677).
    #[value(name = "SCRAM-SHA-256", alias = "scram-sha-256")]
    ScramSha256,
    /// SCRAM-SHA-1 (RFC 5802).
    #[value(name = "SCRAM-SHA-1", alias = "scram-sha-1")]
    ScramSha1,
    /// PLAIN (RFC 4616).
    #[value(name = "PLAIN", alias = "plain")]
    Plain,
}

impl Mech {
    /// The IANA mechanism name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::ScramSha256 => "SCRAM-SHA-256",
            Self::ScramSha1 => "SCRAM-SHA-1",
            Self::Plain => "PLAIN",
        }
    }
}

/// waxwing-bench: an XMPP c2s load generator that reports the server process's CPU and RSS per
/// phase. Every phase is bounded in count and time.
#[derive(Debug, Clone, Parser)]
#[command(name = "waxwing-bench", version, args_override_self = true)]
pub struct Options {
    /// Server address.
    #[arg(long, default_value = "127.0.0.1:5222", global = true)]
    pub target: SocketAddr,
    /// The XMPP domain (stream `to`, TLS server name).
    #[arg(long, default_value = "localhost", global = true)]
    pub domain: String,
    /// plain, starttls or tls.
    #[arg(long, value_enum, default_value = "plain", global = true)]
    pub transport: Transport,
    /// Accept any server certificate (self-signed test servers).
    #[arg(long, global = true)]
    pub insecure: bool,
    /// Trust the certificates in this PEM file.
    #[arg(long, global = true)]
    pub ca_file: Option<PathBuf>,
    /// SASL mechanism.
    #[arg(long, value_enum, default_value = "SCRAM-SHA-256", global = true)]
    pub mech: Mech,
    /// Accounts are PREFIX0 … PREFIX{N-1}.
    #[arg(long, default_value = "bench", global = true)]
    pub accounts_prefix: String,
    /// How many accounts exist; client i logs in as PREFIX{i mod N} with resource r{i}.
    #[arg(long, default_value_t = 1000, global = true)]
    pub accounts: usize,
    /// The password of every account.
    #[arg(long, default_value = "bench", global = true)]
    pub password: String,
    /// The server process, for its CPU and RSS (/proc/PID/stat, /proc/PID/status).
    #[arg(long, global = true)]
    pub server_pid: Option<u32>,
    /// Logins in flight at once.
    #[arg(long, default_value_t = 50, global = true)]
    pub concurrency: usize,
    /// Generator worker threads.
    #[arg(long, default_value_t = 1, global = true)]
    pub threads: usize,
    /// Time limit of every phase, in seconds.
    #[arg(long, default_value_t = 300, global = true)]
    pub phase_timeout: u64,
    /// Clients per source address before the next 127.0.0.x is used.
    #[arg(long, default_value_t = crate::addr::DEFAULT_PER_SOURCE, global = true)]
    pub per_source: usize,
    /// Load and save the client-side SCRAM salted passwords here, so that repeated runs
    /// against the same accounts skip PBKDF2 (the file holds password equivalents).
    #[arg(long, global = true)]
    pub scram_cache: Option<PathBuf>,
    /// Allow a target outside loopback.
    #[arg(long, global = true)]
    pub allow_remote: bool,
    /// Print one JSON object per phase instead of text lines.
    #[arg(long, global = true)]
    pub json: bool,
    /// A label for the output (e.g. the server's name).
    #[arg(long, default_value = "server", global = true)]
    pub label: String,
    /// The workload.
    #[command(subcommand)]
    pub workload: Workload,
}

/// The workloads.
#[derive(Debug, Clone, Subcommand)]
pub enum Workload {
    /// W1: idle sessions: RSS per session between two counts, CPU per login, CPU while idle.
    Idle(IdleArgs),
    /// W2/W2b: ping-pong between pairs with K messages in flight per pair.
    Pingpong(PingpongArgs),
    /// W3: one-way latency at a fixed total rate.
    Latency(LatencyArgs),
    /// W4: login + logout burst.
    LoginBurst(LoginBurstArgs),
    /// W5: login with a roster of online contacts (presence fan-out).
    Roster(RosterArgs),
}

/// W1 parameters.
#[derive(Debug, Clone, Args)]
pub struct IdleArgs {
    /// Session count of the first RSS reading.
    #[arg(long, default_value_t = 2500)]
    pub from: usize,
    /// Session count of the second RSS reading.
    #[arg(long, default_value_t = 15_000)]
    pub to: usize,
    /// Seconds to sit idle with all sessions.
    #[arg(long, default_value_t = 10)]
    pub idle_secs: u64,
    /// Seconds to let the server settle before each RSS reading.
    #[arg(long, default_value_t = 2)]
    pub settle_secs: u64,
}

/// W2 parameters.
#[derive(Debug, Clone, Args)]
pub struct PingpongArgs {
    /// Client pairs.
    #[arg(long, default_value_t = 1000)]
    pub pairs: usize,
    /// Messages in flight per pair.
    #[arg(long, default_value_t = 1)]
    pub in_flight: usize,
    /// Round trips per pair.
    #[arg(long, default_value_t = 100)]
    pub round_trips: usize,
    /// Stop after this many seconds even if not done.
    #[arg(long, default_value_t = 60)]
    pub secs: u64,
}

/// W3 parameters.
#[derive(Debug, Clone, Args)]
pub struct LatencyArgs {
    /// Sender/receiver pairs.
    #[arg(long, default_value_t = 100)]
    pub pairs: usize,
    /// Total messages per second.
    #[arg(long, default_value_t = 200)]
    pub rate: u32,
    /// Seconds of sending.
    #[arg(long, default_value_t = 10)]
    pub secs: u64,
}

/// W4 parameters.
#[derive(Debug, Clone, Args)]
pub struct LoginBurstArgs {
    /// Logins (each followed by logout).
    #[arg(long, default_value_t = 2000)]
    pub logins: usize,
}

/// W5 parameters.
#[derive(Debug, Clone, Args)]
pub struct RosterArgs {
    /// Contacts of the measured account (accounts 1..=R; account 0 is the measured one).
    #[arg(long, default_value_t = 500)]
    pub contacts: usize,
    /// Measured logins of account 0.
    #[arg(long, default_value_t = 10)]
    pub logins: usize,
    /// Skip the subscription setup (the accounts are already mutual contacts).
    #[arg(long)]
    pub no_setup: bool,
}
