//! `waxwing`: the Waxwing XMPP server binary.
//!
//! - `waxwing serve`: runs the server (c2s with STARTTLS, RFC 6120 §5, and direct TLS,
//!   XEP-0368) from one TOML file (`--config` or `WAXWING_CONFIG`), or with built-in
//!   defaults when none is given.
//! - `waxwing user add|passwd|del|list`: account management on the same database, safe
//!   while the server runs.
//! - `waxwing check`: configuration and certificate diagnostics in plain words.

mod check;
mod config;
mod serve;
mod user;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::config::Config;

/// Waxwing XMPP server.
#[derive(Debug, Parser)]
#[command(name = "waxwing", version, about)]
struct Cli {
    /// The configuration file (TOML). Without one, built-in defaults are used.
    #[arg(long, short = 'c', env = "WAXWING_CONFIG", global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server until SIGINT or SIGTERM.
    Serve,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Check the configuration and certificates, then exit.
    Check,
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Create an account.
    Add {
        /// The account's bare JID, e.g. juliet@example.com.
        jid: String,
        /// The password (read from standard input when absent).
        #[arg(long)]
        password: Option<String>,
    },
    /// Change an account's password.
    Passwd {
        /// The account's bare JID.
        jid: String,
        /// The new password (read from standard input when absent).
        #[arg(long)]
        password: Option<String>,
    },
    /// Delete an account and everything stored for it.
    Del {
        /// The account's bare JID.
        jid: String,
    },
    /// List the accounts of one domain, or of every configured domain.
    List {
        /// The domain.
        domain: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let cfg = match &cli.config {
        Some(path) => Config::load(path),
        None => Ok(Config::defaults()),
    };
    let cfg = match cfg {
        Ok(c) => c,
        Err(mut errors) => {
            // Report what the rest of the configuration would also have caused.
            if let Some(partial) = errors.partial.take() {
                errors.errors.extend(partial.deep_errors());
            }
            eprint!("{errors}");
            return ExitCode::from(2);
        }
    };
    match cli.command {
        Command::Check => check::run(&cfg),
        Command::Serve => serve::run(cfg),
        Command::User { command } => user::run(&cfg, command),
    }
}
