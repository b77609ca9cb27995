//! Routing between two users and to the server's modules, through the real transport.

use waxwing_stanza::ns;
use waxwing_testkit::TestKit;

async fn kit() -> TestKit {
    TestKit::builder()
        .user("juliet@localhost", "pencil")
        .user("romeo@localhost", "mercutio")
        .modules(waxwing_modules::all())
        .build()
        .await
}

/// Juliet (resource `balcony`) and Romeo (`orchard`), logged in.
async fn both(kit: &TestKit) -> (waxwing_testkit::Client, waxwing_testkit::Client) {
    let juliet = kit
        .login("juliet@localhost", "pencil", Some("balcony"))
        .await;
    let romeo = kit
        .login("romeo@localhost", "mercutio", Some("orchard"))
        .await;
    (juliet, romeo)
}

#[tokio::test]
async fn message_to_full_jid_is_delivered_with_stamped_from() {
    let kit = kit().await;
    let (mut juliet, mut romeo) = both(&kit).await;
    juliet
        .send("<message type='chat' id='m1' to='romeo@localhost/orchard'><body>Art thou not Romeo?</body></message>")
        .await;
    let m = romeo.expect("message", ns::CLIENT).await;
    assert_eq!(m.attr("from"), Some("juliet@localhost/balcony"));
    assert_eq!(m.attr("to"), Some("romeo@localhost/orchard"));
    assert_eq!(m.attr("id"), Some("m1"));
    assert_eq!(
        m.get_child("body", ns::CLIENT).unwrap().text(),
        "Art thou not Romeo?"
    );
}

#[tokio::test]
async fn message_to_bare_jid_reaches_available_resources() {
    let kit = kit().await;
    let (mut juliet, mut romeo) = both(&kit).await;
    // RFC 6121 §8.5.2.1.1: only available resources with non-negative priority are targets.
    romeo.send("<presence/>").await;
    // Let the presence be processed before the message is routed.
    romeo
        .send("<iq type='get' id='sync' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    // RFC 6121 §4.2.2: the presence module echoes initial presence to its sender.
    romeo.expect("presence", ns::CLIENT).await;
    romeo.expect("iq", ns::CLIENT).await;
    juliet
        .send("<message type='chat' to='romeo@localhost'><body>Wherefore?</body></message>")
        .await;
    let m = romeo.expect("message", ns::CLIENT).await;
    assert_eq!(m.attr("from"), Some("juliet@localhost/balcony"));
    assert_eq!(m.attr("to"), Some("romeo@localhost"));
    // And back, to Juliet's full JID taken from the received `from`.
    romeo
        .send("<message type='chat' to='juliet@localhost/balcony'><body>By a name</body></message>")
        .await;
    let m = juliet.expect("message", ns::CLIENT).await;
    assert_eq!(m.attr("from"), Some("romeo@localhost/orchard"));
}

#[tokio::test]
async fn message_to_unknown_account_bounces_service_unavailable() {
    let kit = kit().await;
    let mut juliet = kit
        .login("juliet@localhost", "pencil", Some("balcony"))
        .await;
    juliet
        .send("<message type='chat' id='lost' to='nobody@localhost'><body>hello?</body></message>")
        .await;
    let m = juliet.expect("message", ns::CLIENT).await;
    assert_eq!(m.attr("type"), Some("error"));
    assert_eq!(m.attr("id"), Some("lost"));
    let err = m.get_child("error", ns::CLIENT).unwrap();
    assert!(
        err.get_child("service-unavailable", ns::XMPP_STANZAS)
            .is_some(),
        "{}",
        m.to_xml()
    );
}

#[tokio::test]
async fn server_answers_ping_disco_and_version() {
    let kit = kit().await;
    let mut c = kit.login("juliet@localhost", "pencil", Some("r")).await;
    c.send("<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    let r = c.expect("iq", ns::CLIENT).await;
    assert_eq!(
        (r.attr("type"), r.attr("id"), r.attr("from")),
        (Some("result"), Some("p"), Some("localhost"))
    );

    c.send("<iq type='get' id='d' to='localhost'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        .await;
    let r = c.expect("iq", ns::CLIENT).await;
    assert_eq!(r.attr("type"), Some("result"), "{}", r.to_xml());
    let q = r.get_child("query", ns::DISCO_INFO).unwrap();
    let features: Vec<&str> = q.children().filter_map(|f| f.attr("var")).collect();
    for f in [ns::PING, ns::VERSION, ns::DISCO_INFO] {
        assert!(features.contains(&f), "{f} missing from {features:?}");
    }

    c.send("<iq type='get' id='v' to='localhost'><query xmlns='jabber:iq:version'/></iq>")
        .await;
    let r = c.expect("iq", ns::CLIENT).await;
    let q = r.get_child("query", ns::VERSION).unwrap();
    assert_eq!(q.get_child("name", ns::VERSION).unwrap().text(), "Waxwing");
}

#[tokio::test]
async fn unknown_iq_gets_service_unavailable() {
    let kit = kit().await;
    let mut c = kit.login("juliet@localhost", "pencil", Some("r")).await;
    c.send("<iq type='get' id='u' to='localhost'><query xmlns='urn:example:unknown'/></iq>")
        .await;
    let r = c.expect("iq", ns::CLIENT).await;
    assert_eq!(r.attr("type"), Some("error"));
    let err = r.get_child("error", ns::CLIENT).unwrap();
    assert!(
        err.get_child("service-unavailable", ns::XMPP_STANZAS)
            .is_some(),
        "{}",
        r.to_xml()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_beyond_the_mailbox_are_all_answered() {
    // A client may pipeline many requests in one write (e.g. a roster import); the replies it
    // causes must not count as a slow reader while the server is still reading the burst.
    let kit = TestKit::builder()
        .user("juliet@localhost", "pencil")
        .modules(waxwing_modules::all())
        .mailbox_capacity(4)
        .build()
        .await;
    let mut juliet = kit
        .login("juliet@localhost", "pencil", Some("balcony"))
        .await;
    let n = 400;
    let burst = (0..n).fold(String::new(), |mut b, i| {
        use std::fmt::Write as _;
        let _ = write!(
            b,
            "<iq type='get' id='p{i}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
        );
        b
    });
    juliet.send(&burst).await;
    for i in 0..n {
        let iq = juliet.expect("iq", ns::CLIENT).await;
        assert_eq!(iq.attr("type"), Some("result"), "{i}");
    }
}

/// `n` pings in one string (about 75 bytes each).
fn ping_burst(n: usize) -> String {
    (0..n).fold(String::new(), |mut b, i| {
        use std::fmt::Write as _;
        let _ = write!(
            b,
            "<iq type='get' id='p{i}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
        );
        b
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cleartext_burst_larger_than_the_read_buffer_is_read_fully() {
    // The server reads into a per-thread buffer of `READ_BUF` bytes: a burst of several buffers
    // (and a stanza split across two reads) must be parsed as if it came in one piece.
    let kit = TestKit::builder()
        .user("juliet@localhost", "pencil")
        .modules(waxwing_modules::all())
        .build()
        .await;
    let mut juliet = kit.connect_mode(waxwing_net::ConnMode::Plain);
    juliet
        .login(
            "juliet@localhost",
            "pencil",
            Some("balcony"),
            waxwing_testkit::Mech::ScramSha256,
        )
        .await;
    let n = 600;
    let burst = ping_burst(n);
    assert!(burst.len() > 2 * waxwing_net::c2s::READ_BUF);
    juliet.send(&burst).await;
    // Every request answered once, in request order (RFC 6120 §10.1).
    for i in 0..n {
        let iq = juliet.expect("iq", ns::CLIENT).await;
        assert_eq!(iq.attr("type"), Some("result"), "{i}");
        assert_eq!(iq.attr("id"), Some(format!("p{i}").as_str()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_stops_reading_is_dropped_after_the_write_timeout() {
    // Juliet never reads: once the pipe to her is full, the server's write blocks and must give
    // up after `Timeouts::write`, unregistering her. The mailbox is large enough never to fill,
    // so the slow-reader check of the mailbox cannot be what ends the session.
    let kit = TestKit::builder()
        .user("juliet@localhost", "pencil")
        .user("romeo@localhost", "mercutio")
        .modules(waxwing_modules::all())
        .mailbox_capacity(100_000)
        .timeouts(waxwing_net::Timeouts {
            write: std::time::Duration::from_millis(300),
            ..waxwing_net::Timeouts::default()
        })
        .build()
        .await;
    let mut juliet = kit
        .login("juliet@localhost", "pencil", Some("balcony"))
        .await;
    let task = juliet.server_task().unwrap();
    let mut romeo = kit
        .login("romeo@localhost", "mercutio", Some("orchard"))
        .await;
    let body = "x".repeat(1000);
    // About 1 MB for a 64 KiB pipe.
    for i in 0..1000 {
        romeo
            .send(&format!(
                "<message type='chat' id='m{i}' to='juliet@localhost/balcony'><body>{body}</body></message>"
            ))
            .await;
        if task.is_finished() {
            break;
        }
    }
    tokio::time::timeout(std::time::Duration::from_secs(20), task)
        .await
        .expect("the blocked session was not dropped")
        .unwrap();
    let juliet_jid = juliet.full_jid().clone();
    assert!(kit.server().sessions().session(&juliet_jid).is_none());
    // Romeo's own session is unaffected.
    romeo
        .send("<iq type='get' id='alive' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    // Messages that reached Juliet after she was gone may come back to Romeo as errors first.
    loop {
        let e = romeo.expect_element().await;
        if e.is("iq", ns::CLIENT) {
            assert_eq!(e.attr("id"), Some("alive"));
            assert_eq!(e.attr("type"), Some("result"));
            break;
        }
        assert!(e.is("message", ns::CLIENT), "{}", e.to_xml());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_takes_effect_before_the_stanzas_after_it() {
    // RFC 6120 §10.1: a request whose processing affects what follows on the stream (here a
    // XEP-0191 block, written to storage) is finished before the next stanza is processed,
    // even when both arrive in one read.
    let kit = kit().await;
    let (mut juliet, mut romeo) = both(&kit).await;
    juliet
        .send(
            "<iq type='set' id='b1'><block xmlns='urn:xmpp:blocking'><item jid='romeo@localhost'/></block></iq>\
             <message type='chat' id='m1' to='romeo@localhost/orchard'><body>after the block</body></message>",
        )
        .await;
    let mut got = Vec::new();
    while got.len() < 2 {
        let el = juliet.expect_element().await;
        if el.is("iq", ns::CLIENT) && el.attr("type") == Some("set") {
            continue; // the block push
        }
        got.push(el);
    }
    assert!(got[0].is("iq", ns::CLIENT), "{}", got[0].to_xml());
    assert_eq!(got[0].attr("id"), Some("b1"));
    assert_eq!(got[0].attr("type"), Some("result"));
    assert!(got[1].is("message", ns::CLIENT), "{}", got[1].to_xml());
    assert_eq!(got[1].attr("id"), Some("m1"));
    assert_eq!(got[1].attr("type"), Some("error"));
    // Nothing reached Romeo: the next thing he gets is the answer to his own ping.
    romeo
        .send("<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    let next = romeo.expect_element().await;
    assert!(next.is("iq", ns::CLIENT), "{}", next.to_xml());
    assert_eq!(next.attr("id"), Some("p"));
}
