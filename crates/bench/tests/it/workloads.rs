//! Tiny runs of every workload against the testkit server over real loopback TCP: the counts
//! must come out exact (no timing is asserted).

use clap::Parser as _;
use tokio::net::TcpListener;
use waxwing_bench::opts::Options;
use waxwing_bench::report::{Report, Value};
use waxwing_net::ConnMode;
use waxwing_testkit::TestKit;

struct Server {
    _kit: TestKit,
    plain: String,
    starttls: String,
    direct: String,
}

async fn server(users: usize) -> Server {
    let mut b = TestKit::builder().require_encryption(false);
    for i in 0..users {
        b = b.user(&format!("u{i}@localhost"), "pw");
    }
    let kit = b.build().await;
    let mut addrs = Vec::new();
    for mode in [ConnMode::Plain, ConnMode::StartTls, ConnMode::DirectTls] {
        let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
        addrs.push(l.local_addr().unwrap().to_string());
        waxwing_net::listener::spawn_accept_loop(l, kit.service().clone(), mode);
    }
    Server {
        _kit: kit,
        plain: addrs[0].clone(),
        starttls: addrs[1].clone(),
        direct: addrs[2].clone(),
    }
}

async fn bench(target: &str, users: usize, args: &[&str]) -> Vec<Report> {
    let users = users.to_string();
    // The server runs in this process, so its /proc readings are ours.
    let pid = std::process::id().to_string();
    let mut argv = vec![
        "waxwing-bench",
        "--target",
        target,
        "--accounts-prefix",
        "u",
        "--accounts",
        &users,
        "--password",
        "pw",
        "--mech",
        "SCRAM-SHA-1",
        "--phase-timeout",
        "60",
        "--server-pid",
        &pid,
    ];
    argv.extend_from_slice(args);
    let opts = Options::try_parse_from(argv).unwrap();
    waxwing_bench::run(&opts).await.unwrap()
}

fn int(r: &Report, key: &str) -> u64 {
    match r.get(key) {
        Some(Value::Int(i)) => *i,
        other => panic!("{key}: {other:?} in {}", r.to_text()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pingpong_counts_every_message_plain_starttls_and_tls() {
    let s = server(4).await;
    let r = bench(
        &s.plain,
        4,
        &["pingpong", "--pairs", "2", "--round-trips", "5"],
    )
    .await;
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].phase, "W2 pingpong");
    assert_eq!(int(&r[0], "routed"), 20);
    assert_eq!(int(&r[0], "expected"), 20);
    assert_eq!(int(&r[0], "errors"), 0);
    assert_eq!(r[0].get("transport"), Some(&Value::Str("plain".into())));
    assert!(matches!(
        r[0].get("server_cpu_us_per_msg"),
        Some(Value::Float(_))
    ));

    let r = bench(
        &s.starttls,
        4,
        &[
            "--transport",
            "starttls",
            "--insecure",
            "pingpong",
            "--pairs",
            "2",
            "--in-flight",
            "3",
            "--round-trips",
            "4",
        ],
    )
    .await;
    assert_eq!(r[0].phase, "W2b pingpong");
    assert_eq!(int(&r[0], "routed"), 2 * 2 * 12);

    let r = bench(
        &s.direct,
        4,
        &[
            "--transport",
            "tls",
            "--insecure",
            "--mech",
            "SCRAM-SHA-256",
            "pingpong",
            "--pairs",
            "1",
            "--round-trips",
            "3",
        ],
    )
    .await;
    assert_eq!(int(&r[0], "routed"), 6);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_burst_latency_and_roster() {
    let s = server(6).await;
    let r = bench(
        &s.plain,
        6,
        &[
            "idle",
            "--from",
            "3",
            "--to",
            "8",
            "--idle-secs",
            "0",
            "--settle-secs",
            "0",
        ],
    )
    .await;
    assert_eq!(r.len(), 2);
    assert_eq!(int(&r[0], "sessions"), 8);
    assert_eq!(int(&r[1], "sessions"), 8);

    let r = bench(&s.plain, 6, &["login-burst", "--logins", "12"]).await;
    assert_eq!(int(&r[0], "logins"), 12);

    let r = bench(
        &s.plain,
        6,
        &["latency", "--pairs", "2", "--rate", "40", "--secs", "1"],
    )
    .await;
    assert_eq!(int(&r[0], "expected"), 40);
    assert_eq!(int(&r[0], "received"), 40);
    assert!(int(&r[0], "p50_us") <= int(&r[0], "max_us"));

    // Waxwing's roster module is not in the testkit's default set: W5 must skip, saying why.
    let r = bench(&s.plain, 6, &["roster", "--contacts", "3", "--logins", "2"]).await;
    match r[0].get("skipped") {
        Some(Value::Str(why)) => assert!(why.contains("roster"), "{why}"),
        _ => assert_eq!(int(&r[0], "roster_both"), 3),
    }
}

#[tokio::test]
async fn remote_targets_are_refused() {
    let opts = Options::try_parse_from(["waxwing-bench", "--target", "192.0.2.1:5222", "pingpong"])
        .unwrap();
    let err = waxwing_bench::run(&opts).await.unwrap_err();
    assert!(err.contains("--allow-remote"), "{err}");
}
