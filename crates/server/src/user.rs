//! `waxwing user ...`: account management against the configured storage. SQLite's WAL
//! mode and busy timeout let this run next to a live server on the same file.

use std::io::{BufRead as _, IsTerminal as _, Write as _};
use std::process::ExitCode;

use waxwing_jid::BareJid;
use waxwing_storage::{Storage, StorageError};

use crate::UserCommand;
use crate::config::Config;

pub(crate) fn run(cfg: &Config, command: UserCommand) -> ExitCode {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run_async(cfg, command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

pub(crate) async fn open_storage(cfg: &Config) -> Result<Storage, String> {
    if let Some(dir) = cfg
        .storage
        .path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    Storage::open(&waxwing_storage::StorageConfig::sqlite(&cfg.storage.path))
        .await
        .map_err(|e| format!("opening {}: {e}", cfg.storage.path.display()))
}

fn account(cfg: &Config, jid: &str) -> Result<BareJid, String> {
    let jid = BareJid::parse(jid).map_err(|e| format!("`{jid}` is not a valid JID: {e}"))?;
    if jid.node().is_none() {
        return Err(format!("`{jid}` has no localpart: write user@domain"));
    }
    if !cfg.domains.iter().any(|d| d == jid.domain()) {
        return Err(format!(
            "`{}` is not a served domain (configured: {})",
            jid.domain(),
            cfg.domains.join(", ")
        ));
    }
    Ok(jid)
}

fn password(given: Option<String>) -> Result<String, String> {
    if let Some(p) = given {
        return Ok(p);
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password: ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .map_err(|e| format!("reading the password: {e}"))?;
    let p = line.trim_end_matches(['\n', '\r']).to_owned();
    if p.is_empty() {
        return Err("empty password".to_owned());
    }
    Ok(p)
}

fn describe(e: &StorageError) -> String {
    e.to_string()
}

async fn run_async(cfg: &Config, command: UserCommand) -> Result<(), String> {
    match command {
        UserCommand::Add { jid, password: p } => {
            let jid = account(cfg, &jid)?;
            let p = password(p)?;
            let storage = open_storage(cfg).await?;
            storage
                .accounts()
                .create_with_password(&jid, &p)
                .await
                .map_err(|e| format!("{jid}: {}", describe(&e)))?;
            println!("created {jid}");
        }
        UserCommand::Passwd { jid, password: p } => {
            let jid = account(cfg, &jid)?;
            let p = password(p)?;
            let storage = open_storage(cfg).await?;
            storage
                .accounts()
                .set_password(&jid, &p)
                .await
                .map_err(|e| format!("{jid}: {}", describe(&e)))?;
            println!("password changed for {jid}");
        }
        UserCommand::Del { jid } => {
            let jid = account(cfg, &jid)?;
            let storage = open_storage(cfg).await?;
            storage
                .accounts()
                .delete(&jid)
                .await
                .map_err(|e| format!("{jid}: {}", describe(&e)))?;
            println!("deleted {jid}");
        }
        UserCommand::List { domain } => {
            let domains = match domain {
                Some(d) => vec![d],
                None => cfg.domains.clone(),
            };
            let storage = open_storage(cfg).await?;
            for d in domains {
                let users = storage
                    .accounts()
                    .list(&d)
                    .await
                    .map_err(|e| format!("{d}: {}", describe(&e)))?;
                for u in users {
                    println!("{u}");
                }
            }
        }
    }
    Ok(())
}
