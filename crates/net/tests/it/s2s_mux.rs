//! Outbound multiplexing (XEP-0220 piggybacking): server A serves `a.test` and
//! `muc.a.test`; once `a.test` has an authenticated stream to `b.test`, `muc.a.test`
//! joins it with a `<db:result/>` of its own instead of opening a second connection, and
//! a refused join neither costs the stream nor leaves state behind.

use std::collections::HashMap;

use tokio::net::TcpListener;
use waxwing_net::s2s::resolve::ResolverSettings;
use waxwing_stream::AuthMethod;

use crate::s2s::{
    Ca, Node, build_node, condition, eventually, next_stanza, self_signed, self_signed_for,
    tls_for, tls_for_all,
};

const A_DOMAINS: [&str; 2] = ["a.test", "muc.a.test"];

/// A (two domains) and B, found through their hosts tables. `b_strict`: B requires
/// valid certificates from `muc.a.test`, so it refuses dialback for that domain.
/// `external`: certificates from a test CA (A's covers both its domains), valid ones
/// required on both sides, so the first pair is authenticated by SASL EXTERNAL.
async fn servers(b_strict: bool, external: bool) -> (Node, Node, Option<tempfile::TempDir>) {
    let la = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let lb = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut hosts = HashMap::new();
    for d in A_DOMAINS {
        hosts.insert(d.to_owned(), la.local_addr().unwrap());
    }
    hosts.insert("b.test".to_owned(), lb.local_addr().unwrap());
    let res = || ResolverSettings {
        nameservers: Vec::new(),
        hosts: hosts.clone(),
    };
    let (ta, tb, dir) = if external {
        let ca = Ca::new();
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.pem"), &ca.pem).unwrap();
        (
            tls_for_all(ca.leaf_for(&A_DOMAINS), &A_DOMAINS),
            tls_for(ca.leaf("b.test"), "b.test"),
            Some(dir),
        )
    } else {
        (
            tls_for_all(self_signed_for(&A_DOMAINS), &A_DOMAINS),
            tls_for(self_signed("b.test"), "b.test"),
            None,
        )
    };
    let ca_file = dir.as_ref().map(|d| d.path().join("ca.pem"));
    let ca_a = ca_file.clone();
    let mut a = build_node(&A_DOMAINS, b"secret-a", &ta, res(), la, |s| {
        s.negotiation.require_valid_certs = ca_a.is_some();
        s.ca_files = ca_a.into_iter().collect();
    });
    let mut b = build_node(&["b.test"], b"secret-b", &tb, res(), lb, |s| {
        s.negotiation.require_valid_certs = ca_file.is_some();
        s.ca_files = ca_file.into_iter().collect();
        if b_strict {
            s.negotiation
                .cert_policy
                .insert("muc.a.test".to_owned(), true);
        }
    });
    a.listen();
    b.listen();
    (a, b, dir)
}

async fn both_pairs_share_one_connection(external: bool) {
    let (a, b, _dir) = servers(false, external).await;
    let (juliet, _jmb) = a.user("juliet@a.test/balcony").await;
    let (room, _rmb) = a.user("room@muc.a.test/nurse").await;
    let (_romeo, mut romeo) = b.user("romeo@b.test/garden").await;

    a.send(&juliet, "romeo@b.test/garden", "first").await;
    assert_eq!(next_stanza(&mut romeo).await.attr("id"), Some("first"));
    // The second domain's stanzas wait for its piggybacked verification, then flow.
    a.send(&room, "romeo@b.test/garden", "from the room").await;
    a.send(&room, "romeo@b.test/garden", "again from the room")
        .await;
    let got = next_stanza(&mut romeo).await;
    assert_eq!(got.attr("id"), Some("from the room"));
    assert_eq!(got.attr("from"), Some("room@muc.a.test/nurse"));
    assert_eq!(
        next_stanza(&mut romeo).await.attr("id"),
        Some("again from the room")
    );
    a.send(&juliet, "romeo@b.test/garden", "still here").await;
    assert_eq!(next_stanza(&mut romeo).await.attr("id"), Some("still here"));

    assert_eq!(a.s2s.outbound_count(), 2);
    assert_eq!(a.s2s.outbound_connections(), 1);
    let first = if external {
        AuthMethod::External
    } else {
        AuthMethod::Dialback
    };
    let mut pairs = b.s2s.inbound_pairs();
    pairs.sort_by(|x, y| x.0.cmp(&y.0));
    assert_eq!(
        pairs,
        [
            ("a.test".into(), "b.test".into(), first),
            ("muc.a.test".into(), "b.test".into(), AuthMethod::Dialback),
        ]
    );
    a.s2s.shutdown();
    b.s2s.shutdown();
    eventually(|| a.s2s.outbound_count() == 0 && a.s2s.outbound_connections() == 0).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_local_domain_piggybacks_on_the_dialback_stream() {
    both_pairs_share_one_connection(false).await;
}

/// After SASL EXTERNAL the peer's features still offer dialback with `<errors/>`, so
/// the second domain is added by dialback on the same stream (its certificate covers it,
/// so B accepts without a verification round trip, XEP-0344 §2.4).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn second_local_domain_piggybacks_on_the_external_stream() {
    both_pairs_share_one_connection(true).await;
}

/// B refuses dialback from `muc.a.test` (`type='error'`, policy-violation): the pair falls
/// back to a stream of its own, which B refuses too, so its stanza bounces
/// `remote-server-not-found`; the `a.test` pair keeps its stream.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_piggyback_falls_back_then_bounces() {
    let (a, b, _dir) = servers(true, false).await;
    let (juliet, _jmb) = a.user("juliet@a.test/balcony").await;
    let (room, mut room_mb) = a.user("room@muc.a.test/nurse").await;
    let (_romeo, mut romeo) = b.user("romeo@b.test/garden").await;

    a.send(&juliet, "romeo@b.test/garden", "first").await;
    assert_eq!(next_stanza(&mut romeo).await.attr("id"), Some("first"));
    a.send(&room, "romeo@b.test/garden", "refused").await;
    let got = next_stanza(&mut room_mb).await;
    assert_eq!(got.attr("id"), Some("refused"));
    assert_eq!(condition(&got), "remote-server-not-found");
    eventually(|| a.s2s.outbound_count() == 1 && a.s2s.outbound_connections() == 1).await;

    // The first pair's stream survived the refusal.
    a.send(&juliet, "romeo@b.test/garden", "unharmed").await;
    assert_eq!(next_stanza(&mut romeo).await.attr("id"), Some("unharmed"));
    assert_eq!(
        b.s2s.inbound_pairs(),
        [("a.test".into(), "b.test".into(), AuthMethod::Dialback)]
    );
    a.s2s.shutdown();
    b.s2s.shutdown();
}

/// The peer side of a scripted s2s connection: what it read and not yet matched.
struct Wire {
    s: tokio::net::TcpStream,
    seen: String,
}

impl Wire {
    /// Reads until `needle` arrives; consumes everything up to it.
    async fn until(&mut self, needle: &str) {
        use tokio::io::AsyncReadExt;
        let mut buf = [0u8; 4096];
        loop {
            if let Some(p) = self.seen.find(needle) {
                self.seen.drain(..p + needle.len());
                return;
            }
            let n = self.s.read(&mut buf).await.unwrap();
            assert!(n > 0, "closed before {needle}: {}", self.seen);
            self.seen.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }

    async fn say(&mut self, xml: &str) {
        use tokio::io::AsyncWriteExt;
        self.s.write_all(xml.as_bytes()).await.unwrap();
    }

    /// Answers a header and the dialback request from `local` with `type='valid'` (no TLS).
    async fn accept_dialback(&mut self, local: &str) {
        self.until("<stream:stream").await;
        self.say(&format!(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:server' \
             xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' \
             from='b.test' to='{local}' id='fake-{local}' version='1.0'><stream:features>\
             <dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>\
             </stream:features>"
        ))
        .await;
        self.until(&format!("<db:result from='{local}' to='b.test'>"))
            .await;
        self.until("</db:result>").await;
        self.say(&format!(
            "<db:result from='b.test' to='{local}' type='valid'/>"
        ))
        .await;
    }
}

/// A peer that answers the piggybacked `<db:result/>` with `type='error'` (XEP-0220 §2.4):
/// the pair falls back to a connection of its own, where it is accepted and its queued
/// stanza arrives; the first connection keeps serving its pair.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_answer_falls_back_to_a_connection_of_its_own() {
    let lb = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut hosts = HashMap::new();
    hosts.insert("b.test".to_owned(), lb.local_addr().unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::channel::<&'static str>(4);
    let peer = tokio::spawn(async move {
        let (s, _) = lb.accept().await.unwrap();
        let mut first = Wire {
            s,
            seen: String::new(),
        };
        first.accept_dialback("a.test").await;
        first.until("id='first'").await;
        tx.send("first on 1").await.unwrap();
        first
            .until("<db:result from='muc.a.test' to='b.test'>")
            .await;
        first
            .say(
                "<db:result from='b.test' to='muc.a.test' type='error'><error type='cancel'>\
                 <policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>\
                 </db:result>",
            )
            .await;
        let (s, _) = lb.accept().await.unwrap();
        let mut second = Wire {
            s,
            seen: String::new(),
        };
        second.accept_dialback("muc.a.test").await;
        second.until("id='from the room'").await;
        tx.send("room on 2").await.unwrap();
        first.until("id='still'").await;
        tx.send("still on 1").await.unwrap();
        std::future::pending::<()>().await;
        drop((first, second));
    });
    let la = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let ta = tls_for_all(self_signed_for(&A_DOMAINS), &A_DOMAINS);
    let res = ResolverSettings {
        nameservers: Vec::new(),
        hosts,
    };
    let a = build_node(&A_DOMAINS, b"secret-a", &ta, res, la, |s| {
        s.negotiation.require_tls = false;
    });
    let (juliet, _jmb) = a.user("juliet@a.test/balcony").await;
    let (room, _rmb) = a.user("room@muc.a.test/nurse").await;
    a.send(&juliet, "romeo@b.test/garden", "first").await;
    assert_eq!(next(&mut rx).await, "first on 1");
    a.send(&room, "romeo@b.test/garden", "from the room").await;
    assert_eq!(next(&mut rx).await, "room on 2");
    assert_eq!(a.s2s.outbound_connections(), 2);
    assert_eq!(a.s2s.outbound_count(), 2);
    a.send(&juliet, "romeo@b.test/garden", "still").await;
    assert_eq!(next(&mut rx).await, "still on 1");
    peer.abort();
    a.s2s.shutdown();
    eventually(|| a.s2s.outbound_count() == 0 && a.s2s.outbound_connections() == 0).await;
}

async fn next(rx: &mut tokio::sync::mpsc::Receiver<&'static str>) -> &'static str {
    tokio::time::timeout(crate::s2s::LIMIT, rx.recv())
        .await
        .unwrap()
        .unwrap()
}
