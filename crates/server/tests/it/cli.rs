use std::io::{Read as _, Write as _};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_waxwing");

fn waxwing(dir: &Path, config: Option<&Path>, args: &[&str]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.current_dir(dir)
        .args(args)
        .env_remove("WAXWING_CONFIG")
        .env_remove("RUST_LOG");
    if let Some(c) = config {
        cmd.env("WAXWING_CONFIG", c);
    }
    cmd.output().unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write_config(dir: &Path, extra: &str) -> std::path::PathBuf {
    let path = dir.join("waxwing.toml");
    std::fs::write(
        &path,
        format!("domains = [\"localhost\"]\ndata_dir = \"data\"\n{extra}"),
    )
    .unwrap();
    path
}

#[test]
fn every_config_error_is_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(
        dir.path(),
        "colour = 1\n[c2s]\nlisten = [\"nope\"]\n[tls]\nkey = \"k.pem\"\n\
         [tls.domains.\"localhost\"]\ncert = \"gone.pem\"\nkey = \"gone.key\"\n\
         [modules.nonexistent]\n",
    );
    let out = waxwing(dir.path(), Some(&cfg), &["check"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    for needle in [
        "unknown key `colour`",
        "c2s.listen",
        "tls.key is set but tls.cert is not",
    ] {
        assert!(t.contains(needle), "missing {needle:?} in {t}");
    }
}

#[test]
fn serve_reports_certificate_and_module_errors_before_binding() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = write_config(
        dir.path(),
        &format!(
            "[c2s]\nlisten = [\"127.0.0.1:{port}\"]\ndirect_tls_listen = []\n\
             [tls]\ncert = \"missing.pem\"\nkey = \"missing.key\"\n[modules.nonexistent]\n"
        ),
    );
    let out = waxwing(dir.path(), Some(&cfg), &["serve"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("missing.pem"), "{t}");
    assert!(t.contains("nonexistent"), "{t}");
    // Nothing was bound.
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}

#[test]
fn check_warns_about_cleartext_and_finds_mismatched_keys() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "[c2s]\nrequire_encryption = false\n");
    let out = waxwing(dir.path(), Some(&cfg), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(
        text(&out).contains("require_encryption = false"),
        "{}",
        text(&out)
    );

    let a = waxwing_net::tls::generate_self_signed(&["localhost".to_owned()]).unwrap();
    let b = waxwing_net::tls::generate_self_signed(&["localhost".to_owned()]).unwrap();
    std::fs::write(dir.path().join("a.pem"), &a.cert_pem).unwrap();
    std::fs::write(dir.path().join("b.key"), &b.key_pem).unwrap();
    std::fs::write(dir.path().join("a.key"), &a.key_pem).unwrap();
    let cfg = write_config(dir.path(), "[tls]\ncert = \"a.pem\"\nkey = \"b.key\"\n");
    let out = waxwing(dir.path(), Some(&cfg), &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("does not match"), "{}", text(&out));

    let other = waxwing_net::tls::generate_self_signed(&["example.org".to_owned()]).unwrap();
    std::fs::write(dir.path().join("o.pem"), &other.cert_pem).unwrap();
    std::fs::write(dir.path().join("o.key"), &other.key_pem).unwrap();
    let cfg = write_config(dir.path(), "[tls]\ncert = \"o.pem\"\nkey = \"o.key\"\n");
    let out = waxwing(dir.path(), Some(&cfg), &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("does not cover localhost"),
        "{}",
        text(&out)
    );

    let cfg = write_config(dir.path(), "[tls]\ncert = \"a.pem\"\nkey = \"a.key\"\n");
    let out = waxwing(dir.path(), Some(&cfg), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("covers localhost"), "{}", text(&out));
}

#[test]
fn check_reports_s2s_problems() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing answers DNS on port 9: the lookups fail fast, SRV counts as unpublished.
    let cfg = write_config(
        dir.path(),
        "[s2s]\nenabled = true\nlisten = [\"127.0.0.1:0\"]\nca_files = [\"missing-ca.pem\"]\n\
         nameservers = [\"127.0.0.1:9\"]\n",
    );
    let out = waxwing(dir.path(), Some(&cfg), &["check"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("PROBLEM  s2s.ca_files"), "{t}");
    assert!(t.contains("federation (s2s):"), "{t}");
    assert!(
        t.contains("localhost: no _xmpp-server._tcp SRV record"),
        "{t}"
    );

    let cfg = write_config(dir.path(), "[s2s]\nenabled = false\n");
    let out = waxwing(dir.path(), Some(&cfg), &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert!(text(&out).contains("disabled"), "{}", text(&out));
}

#[test]
fn user_commands_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), "");
    let c = Some(cfg.as_path());
    let d = dir.path();
    let out = waxwing(
        d,
        c,
        &["user", "add", "juliet@localhost", "--password", "pencil"],
    );
    assert!(out.status.success(), "{}", text(&out));
    // Password on standard input.
    let mut child = Command::new(BIN)
        .current_dir(d)
        .env("WAXWING_CONFIG", &cfg)
        .args(["user", "add", "romeo@localhost"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"mercutio\n")
        .unwrap();
    assert!(child.wait_with_output().unwrap().status.success());
    let out = waxwing(d, c, &["user", "list"]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "juliet@localhost\nromeo@localhost\n"
    );
    let out = waxwing(
        d,
        c,
        &["user", "add", "juliet@localhost", "--password", "x"],
    );
    assert!(!out.status.success(), "duplicate must fail");
    let out = waxwing(
        d,
        c,
        &["user", "add", "x@elsewhere.example", "--password", "x"],
    );
    assert!(!out.status.success());
    assert!(text(&out).contains("not a served domain"), "{}", text(&out));
    let out = waxwing(
        d,
        c,
        &["user", "passwd", "juliet@localhost", "--password", "new"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let out = waxwing(d, c, &["user", "del", "romeo@localhost"]);
    assert!(out.status.success(), "{}", text(&out));
    let out = waxwing(d, c, &["user", "list", "localhost"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "juliet@localhost\n");
    let out = waxwing(d, c, &["user", "del", "romeo@localhost"]);
    assert!(!out.status.success(), "deleting a missing account fails");
}

fn read_until(s: &mut TcpStream, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    s.set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    while Instant::now() < deadline {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(_) => {}
        }
        if String::from_utf8_lossy(&got).contains(needle) {
            break;
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

fn wait_listening(addr: SocketAddr) -> TcpStream {
    let deadline = Instant::now() + Duration::from_mins(1);
    loop {
        if let Ok(s) = TcpStream::connect(addr) {
            return s;
        }
        assert!(Instant::now() < deadline, "server never listened on {addr}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn serve_offers_required_starttls_and_stops_on_sigterm_with_system_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let (p1, p2) = (free_port(), free_port());
    let cfg = write_config(
        dir.path(),
        &format!(
            "[c2s]\nlisten = [\"127.0.0.1:{p1}\"]\ndirect_tls_listen = [\"127.0.0.1:{p2}\"]\n"
        ),
    );
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .env("WAXWING_CONFIG", &cfg)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut s = wait_listening(SocketAddr::from(([127, 0, 0, 1], p1)));
    s.write_all(
        b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
          to='localhost' version='1.0'>",
    )
    .unwrap();
    let got = read_until(&mut s, "</stream:features>");
    assert!(
        got.contains("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>"),
        "{got}"
    );
    // The generated certificate and SASL secret are in the data directory.
    assert!(dir.path().join("data/self-signed-cert.pem").exists());
    assert!(dir.path().join("data/sasl-secret").exists());

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let got = read_until(&mut s, "</stream:stream>");
    assert!(got.contains("<system-shutdown"), "{got}");
    s.write_all(b"</stream:stream>").unwrap();
    let status = child.wait().unwrap();
    let mut log = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.success(), "{status:?}: {log}");
    assert!(log.contains("self-signed"), "{log}");
    assert!(log.contains("sha256"), "{log}");
}
