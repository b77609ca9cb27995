//! Federation end to end: two in-process servers (`a.test`, `b.test`) on loopback ports,
//! found through the static hosts table, exchanging messages both ways over dialback
//! (self-signed certificates, XEP-0220) and over SASL EXTERNAL (a test CA, RFC 6120
//! §13.7.2, XEP-0178); and the unreachable-peer fault.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use waxwing_core::{Mailbox, Server, SessionCommand, SessionHandle};
use waxwing_jid::FullJid;
use waxwing_net::s2s::resolve::{Host, ResolveError, Resolver, ResolverSettings};
use waxwing_net::tls::{CertEntry, CertResolver, TlsContext, generate_self_signed};
use waxwing_net::{S2sService, S2sSettings};
use waxwing_stanza::{Stanza, ns};
use waxwing_stream::{AuthMethod, S2sConfig};
use waxwing_xml::Element;

use crate::s2s_dns::{self as dns, Rr};

/// Generous bound so a stuck test fails instead of hanging; never a timed assertion.
pub(crate) const LIMIT: Duration = Duration::from_secs(30);

pub(crate) struct Node {
    pub(crate) server: Server,
    pub(crate) s2s: S2sService,
    listener: Option<TcpListener>,
}

/// A test CA and leaf certificates with the serverAuth usage only (as Let's Encrypt
/// issues them since 2026).
pub(crate) struct Ca {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
    pub(crate) pem: String,
}

impl Ca {
    pub(crate) fn new() -> Self {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Waxwing test CA");
        params.key_usages = vec![
            rcgen::KeyUsagePurpose::KeyCertSign,
            rcgen::KeyUsagePurpose::CrlSign,
        ];
        let cert = params.self_signed(&key).unwrap();
        Self {
            pem: cert.pem(),
            issuer: rcgen::Issuer::new(params, key),
        }
    }

    pub(crate) fn leaf(&self, domain: &str) -> CertEntry {
        self.leaf_for(&[domain])
    }

    /// A leaf whose subjectAltNames are all of `domains`.
    pub(crate) fn leaf_for(&self, domains: &[&str]) -> CertEntry {
        let domain = domains[0];
        let key = rcgen::KeyPair::generate().unwrap();
        let names = domains.iter().map(|d| (*d).to_owned()).collect::<Vec<_>>();
        let mut params = rcgen::CertificateParams::new(names).unwrap();
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params.signed_by(&key, &self.issuer).unwrap();
        CertEntry::from_pem(
            cert.pem().as_bytes(),
            key.serialize_pem().as_bytes(),
            domain,
        )
        .unwrap()
    }
}

pub(crate) fn tls_for(entry: CertEntry, domain: &str) -> TlsContext {
    tls_for_all(entry, &[domain])
}

/// A TLS context presenting `entry` for every one of `domains`.
pub(crate) fn tls_for_all(entry: CertEntry, domains: &[&str]) -> TlsContext {
    let mut r = CertResolver::new();
    r.add(
        &domains.iter().map(|d| (*d).to_owned()).collect::<Vec<_>>(),
        entry,
    );
    TlsContext::new(r).unwrap()
}

pub(crate) fn self_signed(domain: &str) -> CertEntry {
    self_signed_for(&[domain])
}

pub(crate) fn self_signed_for(domains: &[&str]) -> CertEntry {
    let domain = domains[0];
    let names = domains.iter().map(|d| (*d).to_owned()).collect::<Vec<_>>();
    let g = generate_self_signed(&names).unwrap();
    CertEntry::from_pem(g.cert_pem.as_bytes(), g.key_pem.as_bytes(), domain).unwrap()
}

pub(crate) fn node(
    domain: &str,
    secret: &[u8],
    tls: &TlsContext,
    resolver: ResolverSettings,
    listener: TcpListener,
    ca_file: Option<std::path::PathBuf>,
) -> Node {
    node_with(
        domain,
        secret,
        tls,
        resolver,
        listener,
        ca_file,
        Duration::from_secs(10),
    )
}

pub(crate) fn node_with(
    domain: &str,
    secret: &[u8],
    tls: &TlsContext,
    resolver: ResolverSettings,
    listener: TcpListener,
    ca_file: Option<std::path::PathBuf>,
    connect_timeout: Duration,
) -> Node {
    build_node(&[domain], secret, tls, resolver, listener, |s| {
        s.negotiation.require_valid_certs = ca_file.is_some();
        s.ca_files = ca_file.into_iter().collect();
        s.connect_timeout = connect_timeout;
    })
}

/// A node serving `domains` (dialback allowed, no system roots, 10 s to connect), with
/// `adjust` applied to its settings.
pub(crate) fn build_node(
    domains: &[&str],
    secret: &[u8],
    tls: &TlsContext,
    resolver: ResolverSettings,
    listener: TcpListener,
    adjust: impl FnOnce(&mut S2sSettings),
) -> Node {
    let mut neg = S2sConfig::new(domains.iter().copied(), secret.to_vec());
    neg.require_valid_certs = false;
    let mut settings = S2sSettings::new(neg);
    settings.resolver = resolver;
    settings.system_roots = false;
    settings.connect_timeout = Duration::from_secs(10);
    adjust(&mut settings);
    let s2s = S2sService::new(settings, Some(tls)).unwrap();
    let mut b = Server::builder();
    for d in domains {
        b = b.domain(*d);
    }
    let server = b.remote(Arc::new(s2s.clone())).build().unwrap();
    s2s.attach(server.clone());
    Node {
        server,
        s2s,
        listener: Some(listener),
    }
}

impl Node {
    pub(crate) fn listen(&mut self) {
        let l = self.listener.take().unwrap();
        drop(self.s2s.spawn_listener(l, false));
    }

    pub(crate) async fn user(&self, jid: &str) -> (FullJid, Mailbox) {
        self.user_with(jid, 16).await
    }

    /// A bound session whose mailbox holds `capacity` stanzas.
    pub(crate) async fn user_with(&self, jid: &str, capacity: usize) -> (FullJid, Mailbox) {
        let jid = FullJid::parse(jid).unwrap();
        let (h, mb) = SessionHandle::channel(jid, capacity);
        let bound = self.server.bind(h).await.unwrap();
        (bound.handle.jid().clone(), mb)
    }

    pub(crate) async fn send(&self, from: &FullJid, to: &str, body: &str) {
        let el = Element::new(ns::CLIENT, "message")
            .with_attr("to", to.to_owned())
            .with_attr("type", "chat")
            .with_attr("id", body.to_owned())
            .with_child(Element::new(ns::CLIENT, "body").with_text(body.to_owned()));
        let s = Stanza::from_element(el).unwrap();
        self.server.route_from_client(from, s).await.unwrap();
    }
}

pub(crate) async fn next_stanza(mb: &mut Mailbox) -> Element {
    match tokio::time::timeout(LIMIT, mb.recv()).await.unwrap() {
        Some(SessionCommand::Stanza(el)) => el,
        other => panic!("{other:?}"),
    }
}

/// Polls `f` until it holds, bounded by [`LIMIT`] (never a timed assertion).
pub(crate) async fn eventually(mut f: impl FnMut() -> bool) {
    tokio::time::timeout(LIMIT, async {
        while !f() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
}

/// The stanza error condition of a bounce, asserting it is one.
pub(crate) fn condition(el: &Element) -> String {
    assert_eq!(el.attr("type"), Some("error"), "{}", el.to_xml());
    let err = el
        .get_child("error", ns::CLIENT)
        .unwrap_or_else(|| panic!("{}", el.to_xml()));
    err.children()
        .find(|c| c.ns() == ns::XMPP_STANZAS)
        .map_or_else(|| panic!("{}", el.to_xml()), |c| c.name().to_owned())
}

async fn pair(external: bool) -> (Node, Node, Option<tempfile::TempDir>) {
    let la = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let lb = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut hosts = HashMap::new();
    hosts.insert("a.test".to_owned(), la.local_addr().unwrap());
    hosts.insert("b.test".to_owned(), lb.local_addr().unwrap());
    // Nothing listens on port 1: the unreachable peer.
    hosts.insert("c.test".to_owned(), "127.0.0.1:1".parse().unwrap());
    let (ta, tb, dir, ca_file) = if external {
        let ca = Ca::new();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ca.pem");
        std::fs::write(&path, &ca.pem).unwrap();
        (
            tls_for(ca.leaf("a.test"), "a.test"),
            tls_for(ca.leaf("b.test"), "b.test"),
            Some(dir),
            Some(path),
        )
    } else {
        (
            tls_for(self_signed("a.test"), "a.test"),
            tls_for(self_signed("b.test"), "b.test"),
            None,
            None,
        )
    };
    let res = || ResolverSettings {
        nameservers: Vec::new(),
        hosts: hosts.clone(),
    };
    let mut a = node("a.test", b"secret-a", &ta, res(), la, ca_file.clone());
    let mut b = node("b.test", b"secret-b", &tb, res(), lb, ca_file);
    a.listen();
    b.listen();
    (a, b, dir)
}

async fn exchange_both_ways(a: &Node, b: &Node, via: AuthMethod) {
    let (juliet, mut jmb) = a.user("juliet@a.test/balcony").await;
    let (romeo, mut rmb) = b.user("romeo@b.test/garden").await;
    a.send(&juliet, "romeo@b.test/garden", "wherefore").await;
    let got = next_stanza(&mut rmb).await;
    assert!(got.is("message", ns::CLIENT), "{}", got.to_xml());
    assert_eq!(got.attr("from"), Some("juliet@a.test/balcony"));
    assert_eq!(
        got.get_child("body", ns::CLIENT).unwrap().text(),
        "wherefore"
    );

    b.send(&romeo, "juliet@a.test/balcony", "call me but love")
        .await;
    let got = next_stanza(&mut jmb).await;
    assert_eq!(got.attr("from"), Some("romeo@b.test/garden"));
    assert_eq!(got.attr("type"), Some("chat"));
    assert_eq!(
        got.get_child("body", ns::CLIENT).unwrap().text(),
        "call me but love"
    );

    // The stream is reused: one outbound stream per direction.
    a.send(&juliet, "romeo@b.test/garden", "again").await;
    assert_eq!(next_stanza(&mut rmb).await.attr("id"), Some("again"));
    assert_eq!(a.s2s.outbound_count(), 1);
    assert_eq!(b.s2s.outbound_count(), 1);
    assert_eq!(
        b.s2s.inbound_pairs(),
        [("a.test".into(), "b.test".into(), via)]
    );
    assert_eq!(
        a.s2s.inbound_pairs(),
        [("b.test".into(), "a.test".into(), via)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_both_ways_over_dialback() {
    let (a, b, _dir) = pair(false).await;
    exchange_both_ways(&a, &b, AuthMethod::Dialback).await;
    a.s2s.shutdown();
    b.s2s.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn message_both_ways_over_sasl_external() {
    let (a, b, _dir) = pair(true).await;
    // Valid certificates are required on both sides: dialback is refused, so only
    // EXTERNAL can get the messages through.
    exchange_both_ways(&a, &b, AuthMethod::External).await;
    a.s2s.shutdown();
    b.s2s.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_peer_bounces_remote_server_not_found() {
    let (a, _b, _dir) = pair(false).await;
    let (juliet, mut jmb) = a.user("juliet@a.test/balcony").await;
    a.send(&juliet, "nobody@c.test", "hello?").await;
    let got = next_stanza(&mut jmb).await;
    assert_eq!(got.attr("type"), Some("error"), "{}", got.to_xml());
    assert_eq!(got.attr("from"), Some("nobody@c.test"));
    assert_eq!(got.attr("id"), Some("hello?"));
    let err = got.get_child("error", ns::CLIENT).unwrap();
    assert!(
        err.has_child("remote-server-not-found", ns::XMPP_STANZAS),
        "{}",
        got.to_xml()
    );
    // The failed route is gone: the next stanza tries again instead of joining a dead queue.
    tokio::time::timeout(LIMIT, async {
        while a.s2s.outbound_count() != 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .unwrap();
    a.s2s.shutdown();
}

/// RFC 6120 §3.2.1 through a DNS server we control: `_xmpp-server._tcp.b.test` points at
/// `xmpp.b.test` on B's port, whose A record is loopback; `_xmpps-server` and the whole
/// `none.test` domain publish "no service" (target `.`, RFC 2782).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srv_records_lead_to_the_peer() {
    let la = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let lb = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let b_port = lb.local_addr().unwrap().port();
    let mut zone = HashMap::new();
    zone.insert(
        ("_xmpp-server._tcp.b.test".to_owned(), 33),
        vec![
            // Priority 10 first, though listed second; the priority 20 target is unreachable.
            Rr::Srv {
                priority: 20,
                weight: 0,
                port: 1,
                target: "dead.b.test",
            },
            Rr::Srv {
                priority: 10,
                weight: 5,
                port: b_port,
                target: "xmpp.b.test",
            },
        ],
    );
    zone.insert(
        ("xmpp.b.test".to_owned(), 1),
        vec![Rr::A(std::net::Ipv4Addr::LOCALHOST)],
    );
    for prefix in ["_xmpp-server._tcp", "_xmpps-server._tcp"] {
        zone.insert(
            (format!("{prefix}.none.test"), 33),
            vec![Rr::Srv {
                priority: 0,
                weight: 0,
                port: 0,
                target: ".",
            }],
        );
    }
    let ns = dns::serve(zone).await;

    // The resolver alone: RFC 2782 order, and "no service".
    let r = Resolver::new(&ResolverSettings {
        nameservers: vec![ns],
        hosts: HashMap::new(),
    });
    let t = r.targets("b.test").await.unwrap();
    let hosts: Vec<_> = t
        .iter()
        .map(|t| (t.host.clone(), t.port, t.direct_tls))
        .collect();
    assert_eq!(
        hosts,
        [
            (Host::Name("xmpp.b.test".into()), b_port, false),
            (Host::Name("dead.b.test".into()), 1, false)
        ]
    );
    assert_eq!(
        r.addresses(&t[0]).await.unwrap(),
        [std::net::SocketAddr::from(([127, 0, 0, 1], b_port))]
    );
    assert_eq!(r.targets("none.test").await, Err(ResolveError::NoService));
    // No SRV at all: the domain itself on 5269 (RFC 6120 §3.2.2).
    let t = r.targets("plain.test").await.unwrap();
    assert_eq!(t[0].host, Host::Name("plain.test".into()));
    assert_eq!(t[0].port, 5269);

    let ta = tls_for(self_signed("a.test"), "a.test");
    let tb = tls_for(self_signed("b.test"), "b.test");
    let a_res = ResolverSettings {
        nameservers: vec![ns],
        hosts: HashMap::new(),
    };
    // B verifies A's dialback key: it finds A through its hosts table.
    let mut b_hosts = HashMap::new();
    b_hosts.insert("a.test".to_owned(), la.local_addr().unwrap());
    let b_res = ResolverSettings {
        nameservers: vec![ns],
        hosts: b_hosts,
    };
    let mut a = node("a.test", b"secret-a", &ta, a_res, la, None);
    let mut b = node("b.test", b"secret-b", &tb, b_res, lb, None);
    a.listen();
    b.listen();

    let (juliet, mut jmb) = a.user("juliet@a.test/balcony").await;
    let (_romeo, mut rmb) = b.user("romeo@b.test/garden").await;
    a.send(&juliet, "romeo@b.test/garden", "via SRV").await;
    let got = next_stanza(&mut rmb).await;
    assert_eq!(got.attr("id"), Some("via SRV"));

    a.send(&juliet, "nobody@none.test", "no service").await;
    let got = next_stanza(&mut jmb).await;
    assert_eq!(got.attr("type"), Some("error"), "{}", got.to_xml());
    assert!(
        got.get_child("error", ns::CLIENT)
            .unwrap()
            .has_child("remote-server-not-found", ns::XMPP_STANZAS)
    );
    a.s2s.shutdown();
    b.s2s.shutdown();
}

/// Faults: a peer that accepts and never speaks (queued stanzas bounce with
/// `remote-server-timeout` once the setup limit passes), and one that closes the connection
/// right after accepting it (`remote-server-not-found`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_and_closing_peers_bounce() {
    let silent = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closing = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut hosts = HashMap::new();
    hosts.insert("silent.test".to_owned(), silent.local_addr().unwrap());
    hosts.insert("closing.test".to_owned(), closing.local_addr().unwrap());
    let held = tokio::spawn(async move {
        let mut socks = Vec::new();
        loop {
            tokio::select! {
                Ok((s, _)) = silent.accept() => socks.push(s),
                Ok((s, _)) = closing.accept() => drop(s),
            }
        }
    });
    let la = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ta = tls_for(self_signed("a.test"), "a.test");
    let res = ResolverSettings {
        nameservers: Vec::new(),
        hosts,
    };
    let a = node_with(
        "a.test",
        b"secret-a",
        &ta,
        res,
        la,
        None,
        Duration::from_millis(300),
    );
    let (juliet, mut jmb) = a.user("juliet@a.test/balcony").await;

    a.send(&juliet, "x@closing.test", "one").await;
    let got = next_stanza(&mut jmb).await;
    let err = got.get_child("error", ns::CLIENT).unwrap();
    assert!(
        err.has_child("remote-server-not-found", ns::XMPP_STANZAS),
        "{}",
        got.to_xml()
    );

    // Two stanzas queue behind the stream being set up; both come back.
    a.send(&juliet, "x@silent.test", "two").await;
    a.send(&juliet, "y@silent.test", "three").await;
    for id in ["two", "three"] {
        let got = next_stanza(&mut jmb).await;
        assert_eq!(got.attr("id"), Some(id));
        let err = got.get_child("error", ns::CLIENT).unwrap();
        assert!(
            err.has_child("remote-server-timeout", ns::XMPP_STANZAS),
            "{}",
            got.to_xml()
        );
    }
    held.abort();
    a.s2s.shutdown();
}
