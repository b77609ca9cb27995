//! Benchmark scenarios for the per-stanza and per-login costs of the modules (issue 5): run
//! with `cargo test --release -p waxwing-modules --test it bench_ -- --ignored --nocapture`
//! (or under `valgrind --tool=callgrind` for instruction counts). They print figures and
//! check only that everything arrived.

use waxwing_core::SessionCommand;

use crate::imx_util::{connect_with, file_storage, send, server_on, stanza};
use crate::roster_util::login;

/// CPU time of this process's live threads so far, in nanoseconds (Linux schedstat: the
/// same accounting getrusage sums, at nanosecond resolution, without a libc dependency).
pub(crate) fn cpu_nanos() -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let stat = std::fs::read_to_string(task.ok()?.path().join("schedstat")).ok()?;
        total += stat.split_whitespace().next()?.parse::<u64>().ok()?;
    }
    Some(total)
}

fn report(what: &str, n: u64, wall: std::time::Duration, cpu0: Option<u64>) {
    let cpu = cpu_nanos().zip(cpu0).map(|(a, b)| (a - b) / n);
    println!(
        "{what}: {n} rounds, wall {} ns/round, cpu {cpu:?} ns/round",
        wall.as_nanos() / u128::from(n)
    );
}

#[tokio::test]
#[ignore = "benchmark scenario: cargo test --release -p waxwing-modules --test it bench_ -- --ignored --nocapture"]
async fn bench_route_messages_between_two_sessions() {
    // Every module loaded (blocking with empty lists, offline, presence, roster): the
    // per-message cost of the hooks on the W2/W2b path.
    const N: u64 = 100_000;
    let (_dir, _path, st) = file_storage().await;
    let s = server_on(&st, "");
    let mut j = connect_with(&s, "juliet@example.com/balcony", 1024).await;
    let mut r = connect_with(&s, "romeo@example.com/orchard", 1024).await;
    send(&s, &j, "<presence xmlns='jabber:client'/>").await;
    send(&s, &r, "<presence xmlns='jabber:client'/>").await;
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    while j.mailbox.try_recv().is_some() {}
    while r.mailbox.try_recv().is_some() {}
    let msg = stanza(
        "<message xmlns='jabber:client' to='juliet@example.com/balcony' type='chat' id='m'><body>Wherefore art thou?</body></message>",
    );
    for round in 0..3 {
        let cpu0 = cpu_nanos();
        let t0 = std::time::Instant::now();
        let mut received = 0;
        for i in 0..N {
            s.route_from_client(&r.jid, msg.clone()).await.unwrap();
            if i % 256 == 255 {
                while let Some(SessionCommand::Stanza(_)) = j.mailbox.try_recv() {
                    received += 1;
                }
            }
        }
        while let Some(SessionCommand::Stanza(_)) = j.mailbox.try_recv() {
            received += 1;
        }
        assert_eq!(received, N);
        report(
            &format!("round {round}: chat message romeo -> juliet/balcony"),
            N,
            t0.elapsed(),
            cpu0,
        );
    }
}

#[tokio::test]
#[ignore = "benchmark scenario: cargo test --release -p waxwing-modules --test it bench_ -- --ignored --nocapture"]
async fn bench_login_initial_presence_logout() {
    // What the modules add to a W4 login+logout: bind (roster and blocklist), initial
    // presence (offline messages), session end (last unavailable presence), on SQLite in a
    // file with the default synchronous=FULL.
    const N: u64 = 2_000;
    let (_dir, _path, st) = file_storage().await;
    let s = server_on(&st, "");
    for round in 0..3 {
        let cpu0 = cpu_nanos();
        let t0 = std::time::Instant::now();
        for _ in 0..N {
            let mut j = login(&s, "juliet@example.com/balcony").await;
            s.route_from_client(&j.jid, stanza("<presence xmlns='jabber:client'/>"))
                .await
                .unwrap();
            // Let the offline module's delivery task (if any) run, as a server's would.
            tokio::task::yield_now().await;
            while j.mailbox.try_recv().is_some() {}
            j.close(&s).await;
        }
        report(
            &format!("round {round}: bind + initial presence + session end"),
            N,
            t0.elapsed(),
            cpu0,
        );
    }
}
