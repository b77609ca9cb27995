//! Federation faults: DNS that drops queries, answers SERVFAIL to SRV or NXDOMAIN
//! everywhere (RFC 6120 §3.2); peers that stall or trickle during negotiation, and one
//! that stops reading once established (bounded queue, write timeout). Each test checks
//! the bounce condition (RFC 6120 §8.3.3.16–18), that no outbound state is left behind,
//! and that local traffic flows while the fault lasts.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use waxwing_net::s2s::resolve::{Host, ResolveError, Resolver, ResolverSettings, Target};

use crate::s2s::{
    Node, build_node, condition, eventually, next_stanza, node, self_signed, tls_for,
};
use crate::s2s_dns::{self as dns, Reply, Rr};

/// Juliet and the nurse, both on `a.test`, exchange a message: c2s routing is unaffected.
async fn local_traffic_flows(a: &Node, juliet: &waxwing_jid::FullJid) {
    let (_nurse, mut nmb) = a.user("nurse@a.test/kitchen").await;
    a.send(juliet, "nurse@a.test/kitchen", "local").await;
    let got = next_stanza(&mut nmb).await;
    assert_eq!(got.attr("id"), Some("local"));
    assert_eq!(got.attr("from"), Some("juliet@a.test/balcony"));
}

/// Nothing of the outbound side is left: no pair, no connection.
async fn nothing_left(a: &Node) {
    eventually(|| a.s2s.outbound_count() == 0 && a.s2s.outbound_connections() == 0).await;
}

fn resolver_at(ns: SocketAddr) -> ResolverSettings {
    ResolverSettings {
        nameservers: vec![ns],
        hosts: HashMap::new(),
    }
}

/// Node `a.test` with `resolver`, a setup limit of `connect`, and its own listener.
async fn node_a(resolver: ResolverSettings, connect: Duration) -> Node {
    let la = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ta = tls_for(self_signed("a.test"), "a.test");
    build_node(&["a.test"], b"secret-a", &ta, resolver, la, |s| {
        s.connect_timeout = connect;
    })
}

/// A DNS server that never answers: the domain "cannot be resolved" (RFC 6120
/// §8.3.3.16), so the stanza bounces `remote-server-not-found` once the setup limit
/// passes, not `remote-server-timeout` (§8.3.3.17 is for a server that "was resolved").
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dns_that_drops_queries_bounces_after_the_setup_limit() {
    let ns = dns::serve_with(|_, _| Reply::Drop).await;
    let a = node_a(resolver_at(ns), Duration::from_millis(500)).await;
    let (juliet, mut jmb) = a.user("juliet@a.test/balcony").await;
    a.send(&juliet, "x@dark.test", "into the void").await;
    local_traffic_flows(&a, &juliet).await;
    let got = next_stanza(&mut jmb).await;
    assert_eq!(got.attr("id"), Some("into the void"));
    assert_eq!(condition(&got), "remote-server-not-found");
    nothing_left(&a).await;
    a.s2s.shutdown();
}

/// A loopback address of our own with port 5269 free on it (the A/AAAA fallback uses
/// the default port, RFC 6120 §3.2.2): 127/8 is all loopback on Linux.
async fn listener_on_5269() -> (TcpListener, Ipv4Addr) {
    let seed = std::process::id();
    for k in 0..64u32 {
        let n = seed.wrapping_add(k.wrapping_mul(7919));
        let ip = Ipv4Addr::new(
            127,
            u8::try_from(n % 200 + 20).unwrap(),
            u8::try_from((n / 200) % 250 + 1).unwrap(),
            u8::try_from(n % 250 + 2).unwrap(),
        );
        if let Ok(l) = TcpListener::bind((ip, 5269)).await {
            return (l, ip);
        }
    }
    panic!("no loopback address with port 5269 free");
}

/// SERVFAIL to both SRV queries and a good A record: RFC 6120 §3.2.1 step 3 and §3.2.2
/// allow the A/AAAA fallback, and the stream comes up on port 5269. The SRV failures are
/// reported with the name queried and the response code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn srv_servfail_falls_back_to_the_address_record() {
    let (lb, b_ip) = listener_on_5269().await;
    let ns = dns::serve_with(move |name, qtype| match (name, qtype) {
        (_, 33) => Reply::Rcode(2),
        ("b.test", 1) => Reply::Answer(vec![Rr::A(b_ip)]),
        ("b.test", _) => Reply::Answer(Vec::new()),
        _ => Reply::Rcode(3),
    })
    .await;

    let r = Resolver::new(&resolver_at(ns));
    let answer = r.srv_lookup("b.test").await.unwrap();
    assert!(answer.records.is_empty());
    assert_eq!(answer.failures.len(), 2, "{:?}", answer.failures);
    for (f, prefix) in answer
        .failures
        .iter()
        .zip(["_xmpps-server", "_xmpp-server"])
    {
        assert_eq!(
            *f,
            format!("{prefix}._tcp.b.test.: rcode 2 Server Failure"),
            "{f}"
        );
    }
    let t = r.targets("b.test").await.unwrap();
    assert_eq!(t.len(), 1);
    assert_eq!(t[0].host, Host::Name("b.test".into()));
    assert_eq!(t[0].port, 5269);

    let la = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut b_hosts = HashMap::new();
    b_hosts.insert("a.test".to_owned(), la.local_addr().unwrap());
    let ta = tls_for(self_signed("a.test"), "a.test");
    let tb = tls_for(self_signed("b.test"), "b.test");
    let b_res = ResolverSettings {
        nameservers: vec![ns],
        hosts: b_hosts,
    };
    let mut a = node("a.test", b"secret-a", &ta, resolver_at(ns), la, None);
    let mut b = node("b.test", b"secret-b", &tb, b_res, lb, None);
    a.listen();
    b.listen();
    let (juliet, _jmb) = a.user("juliet@a.test/balcony").await;
    let (_romeo, mut rmb) = b.user("romeo@b.test/garden").await;
    a.send(&juliet, "romeo@b.test/garden", "despite SERVFAIL")
        .await;
    let got = next_stanza(&mut rmb).await;
    assert_eq!(got.attr("id"), Some("despite SERVFAIL"));
    assert_eq!(a.s2s.outbound_connections(), 1);
    a.s2s.shutdown();
    b.s2s.shutdown();
    nothing_left(&a).await;
}

/// NXDOMAIN everywhere: a definitive "no such domain" for the A/AAAA fallback bounces
/// `remote-server-not-found` (RFC 6120 §8.3.3.16), and the resolver says which name and
/// which response code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nxdomain_bounces_remote_server_not_found() {
    let ns = dns::serve(dns::Zone::new()).await;
    let r = Resolver::new(&resolver_at(ns));
    let t = Target {
        host: Host::Name("gone.test".into()),
        port: 5269,
        direct_tls: false,
    };
    assert_eq!(
        r.addresses(&t).await,
        Err(ResolveError::NoSuchDomain(
            "gone.test.: rcode 3 Non-Existent Domain".into()
        ))
    );
    let answer = r.srv_lookup("gone.test").await.unwrap();
    assert!(answer.records.is_empty() && answer.failures.is_empty());

    let a = node_a(resolver_at(ns), Duration::from_secs(10)).await;
    let (juliet, mut jmb) = a.user("juliet@a.test/balcony").await;
    a.send(&juliet, "x@gone.test", "anyone?").await;
    local_traffic_flows(&a, &juliet).await;
    let got = next_stanza(&mut jmb).await;
    assert_eq!(got.attr("id"), Some("anyone?"));
    assert_eq!(condition(&got), "remote-server-not-found");
    nothing_left(&a).await;
    a.s2s.shutdown();
}

const PEER_HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:server' \
    xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' \
    id='fake-1' version='1.0'>";

/// Reads from `s` until `needle` has been seen.
async fn read_until(s: &mut TcpStream, needle: &str) {
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains(needle) {
        let n = s.read(&mut buf).await.unwrap();
        assert!(n > 0, "peer closed before {needle}");
        seen.extend_from_slice(&buf[..n]);
    }
}

/// A peer that sends its header and then nothing, and one that trickles whitespace
/// forever after its header: neither offers features, so the setup limit passes and the
/// queued stanzas bounce `remote-server-timeout` (the peer was resolved, RFC 6120
/// §8.3.3.17).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stalling_and_trickling_peers_bounce_remote_server_timeout() {
    let stall = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let trickle = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut hosts = HashMap::new();
    hosts.insert("stall.test".to_owned(), stall.local_addr().unwrap());
    hosts.insert("trickle.test".to_owned(), trickle.local_addr().unwrap());
    let peers = tokio::spawn(async move {
        let mut held = Vec::new();
        loop {
            tokio::select! {
                Ok((mut s, _)) = stall.accept() => {
                    read_until(&mut s, "<stream:stream").await;
                    s.write_all(PEER_HEADER.as_bytes()).await.unwrap();
                    held.push(s);
                }
                Ok((mut s, _)) = trickle.accept() => {
                    tokio::spawn(async move {
                        read_until(&mut s, "<stream:stream").await;
                        for b in PEER_HEADER.bytes() {
                            if s.write_all(&[b]).await.is_err() { return; }
                            tokio::time::sleep(Duration::from_millis(5)).await;
                        }
                        loop {
                            if s.write_all(b" ").await.is_err() { return; }
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    });
                }
            }
        }
    });
    let a = node_a(
        ResolverSettings {
            nameservers: Vec::new(),
            hosts,
        },
        Duration::from_millis(800),
    )
    .await;
    let (juliet, mut jmb) = a.user("juliet@a.test/balcony").await;
    a.send(&juliet, "x@stall.test", "stalled").await;
    a.send(&juliet, "y@trickle.test", "trickled").await;
    a.send(&juliet, "z@stall.test", "stalled too").await;
    local_traffic_flows(&a, &juliet).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        let got = next_stanza(&mut jmb).await;
        assert_eq!(condition(&got), "remote-server-timeout");
        ids.push(got.attr("id").unwrap().to_owned());
    }
    ids.sort();
    assert_eq!(ids, ["stalled", "stalled too", "trickled"]);
    nothing_left(&a).await;
    peers.abort();
    a.s2s.shutdown();
}

/// A peer that completes dialback (no TLS) and then stops reading: once the socket
/// buffers and our queue are full, further stanzas bounce `resource-constraint` (RFC 6120
/// §8.3.3.18); the write timeout then closes the stream and what is queued bounces
/// `remote-server-timeout`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_that_stops_reading_overflows_then_times_out() {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut hosts = HashMap::new();
    hosts.insert("deaf.test".to_owned(), l.local_addr().unwrap());
    let (probed_tx, probed) = tokio::sync::oneshot::channel();
    let peer = tokio::spawn(async move {
        let (mut s, _) = l.accept().await.unwrap();
        read_until(&mut s, "<stream:stream").await;
        let header = PEER_HEADER.replace("id=", "from='deaf.test' to='a.test' id=");
        s.write_all(header.as_bytes()).await.unwrap();
        s.write_all(
            b"<stream:features><dialback xmlns='urn:xmpp:features:dialback'><errors/>\
              </dialback></stream:features>",
        )
        .await
        .unwrap();
        read_until(&mut s, "</db:result>").await;
        s.write_all(b"<db:result from='deaf.test' to='a.test' type='valid'/>")
            .await
            .unwrap();
        // The probe proves the stream is ready and written to; then never read again.
        read_until(&mut s, "id='probe'").await;
        let _ = probed_tx.send(());
        std::future::pending::<()>().await;
        drop(s);
    });
    let la = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ta = tls_for(self_signed("a.test"), "a.test");
    let res = ResolverSettings {
        nameservers: Vec::new(),
        hosts,
    };
    let a = build_node(&["a.test"], b"secret-a", &ta, res, la, |s| {
        s.negotiation.require_tls = false;
        s.queue_limit = 4;
        s.write_timeout = Duration::from_secs(2);
    });
    let (juliet, mut jmb) = a.user_with("juliet@a.test/balcony", 1024).await;
    a.send(&juliet, "x@deaf.test", "probe").await;
    tokio::time::timeout(crate::s2s::LIMIT, probed)
        .await
        .unwrap()
        .unwrap();
    // Keep sending, paced so that the writer drains our queue into the socket buffers
    // until they are full; then the queue fills (`resource-constraint`) and the blocked
    // write times out (`remote-server-timeout`).
    let body = "x".repeat(256 * 1024);
    let (mut overflow, mut timed_out) = (0, 0);
    let tally =
        |got: &waxwing_xml::Element, overflow: &mut u32, timed_out: &mut u32| match condition(got)
            .as_str()
        {
            "resource-constraint" => *overflow += 1,
            "remote-server-timeout" => *timed_out += 1,
            other => panic!("{other}"),
        };
    for i in 0..1000 {
        let el = waxwing_xml::Element::new(waxwing_stanza::ns::CLIENT, "message")
            .with_attr("to", "x@deaf.test")
            .with_attr("id", format!("m{i}"))
            .with_child(
                waxwing_xml::Element::new(waxwing_stanza::ns::CLIENT, "body")
                    .with_text(body.clone()),
            );
        let s = waxwing_stanza::Stanza::from_element(el).unwrap();
        a.server.route_from_client(&juliet, s).await.unwrap();
        while let Some(waxwing_core::SessionCommand::Stanza(got)) = jmb.try_recv() {
            tally(&got, &mut overflow, &mut timed_out);
        }
        if overflow > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    local_traffic_flows(&a, &juliet).await;
    while timed_out == 0 {
        let got = next_stanza(&mut jmb).await;
        tally(&got, &mut overflow, &mut timed_out);
    }
    assert!(overflow > 0);
    nothing_left(&a).await;
    peer.abort();
    a.s2s.shutdown();
}
