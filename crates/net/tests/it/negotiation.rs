//! Negotiation: STARTTLS, direct TLS, SASL mechanisms, channel binding, bind, close.

use std::time::Duration;

use waxwing_net::{ConnMode, Timeouts};
use waxwing_stanza::ns;
use waxwing_testkit::{Mech, TestKit};
use waxwing_xml::STREAMS_NS;

async fn kit() -> TestKit {
    TestKit::builder()
        .user("juliet@localhost", "pencil")
        .modules(waxwing_modules::all())
        .build()
        .await
}

#[tokio::test]
async fn starttls_is_required_and_offered_alone() {
    let kit = kit().await;
    let mut c = kit.connect();
    c.open_stream().await;
    let header = c.expect_stream_start().await;
    assert_eq!(header.attr("from"), Some("localhost"));
    assert!(header.attr("id").is_some_and(|id| !id.is_empty()));
    let f = c.expect_features().await;
    let tls = f
        .get_child("starttls", ns::XMPP_TLS)
        .expect("starttls offered");
    assert!(tls.get_child("required", ns::XMPP_TLS).is_some());
    // RFC 6120 §5.3.1: with TLS mandatory, nothing else is offered before it.
    assert!(f.get_child("mechanisms", ns::XMPP_SASL).is_none());
}

#[tokio::test]
async fn full_login_over_starttls_with_scram_sha_256() {
    let kit = kit().await;
    let mut c = kit.connect();
    c.login(
        "juliet@localhost",
        "pencil",
        Some("balcony"),
        Mech::ScramSha256,
    )
    .await;
    assert_eq!(c.full_jid().as_str(), "juliet@localhost/balcony");
    assert!(kit.server().sessions().session(c.full_jid()).is_some());
    c.close().await;
    // The session is unregistered once the task ends.
    c.server_task().unwrap().await.unwrap();
    assert!(kit.server().sessions().is_empty());
}

#[tokio::test]
async fn every_mechanism_logs_in_after_starttls() {
    let kit = kit().await;
    for mech in [
        Mech::ScramSha1,
        Mech::ScramSha256,
        Mech::ScramSha256PlusExporter,
        Mech::ScramSha256PlusEndPoint,
        Mech::Plain,
    ] {
        let mut c = kit.connect();
        c.login("juliet@localhost", "pencil", None, mech).await;
        assert_eq!(c.full_jid().node(), Some("juliet"), "{mech:?}");
        c.close().await;
    }
}

#[tokio::test]
async fn tls_features_offer_plus_mechanisms_and_channel_binding_types() {
    let kit = kit().await;
    let mut c = kit.connect();
    c.open_stream().await;
    c.expect_stream_start().await;
    c.expect_features().await;
    c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        .await;
    c.expect("proceed", ns::XMPP_TLS).await;
    c.client_tls_handshake().await;
    c.open_stream().await;
    c.expect_stream_start().await;
    let f = c.expect_features().await;
    assert!(
        f.get_child("starttls", ns::XMPP_TLS).is_none(),
        "no STARTTLS twice"
    );
    let mechs: Vec<String> = f
        .get_child("mechanisms", ns::XMPP_SASL)
        .expect("mechanisms")
        .children()
        .map(|m| m.text().into_owned())
        .collect();
    assert!(
        mechs.contains(&"SCRAM-SHA-256-PLUS".to_owned()),
        "{mechs:?}"
    );
    assert!(mechs.contains(&"PLAIN".to_owned()), "{mechs:?}");
    // XEP-0440: both types on TLS 1.3.
    let cb = f
        .get_child("sasl-channel-binding", "urn:xmpp:sasl-cb:0")
        .expect("XEP-0440 element");
    let types: Vec<&str> = cb.children().filter_map(|t| t.attr("type")).collect();
    assert!(types.contains(&"tls-exporter"), "{types:?}");
    assert!(types.contains(&"tls-server-end-point"), "{types:?}");
}

#[tokio::test]
async fn direct_tls_logs_in_without_starttls() {
    let kit = kit().await;
    let mut c = kit.connect_direct_tls().await;
    c.open_stream().await;
    c.expect_stream_start().await;
    let f = c.expect_features().await;
    assert!(f.get_child("starttls", ns::XMPP_TLS).is_none());
    assert!(f.get_child("mechanisms", ns::XMPP_SASL).is_some());
    drop(f);
    // A fresh connection runs the whole login (the helper skips STARTTLS when absent).
    let mut c = kit.connect_direct_tls().await;
    c.login(
        "juliet@localhost",
        "pencil",
        Some("tls"),
        Mech::ScramSha256PlusExporter,
    )
    .await;
    assert_eq!(c.full_jid().as_str(), "juliet@localhost/tls");
    c.close().await;
}

#[tokio::test]
async fn wrong_password_fails_and_connection_stays_for_a_retry() {
    let kit = kit().await;
    let mut c = kit.connect();
    c.open_stream().await;
    c.expect_stream_start().await;
    c.expect_features().await;
    c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
        .await;
    c.expect("proceed", ns::XMPP_TLS).await;
    c.client_tls_handshake().await;
    c.open_stream().await;
    c.expect_stream_start().await;
    c.expect_features().await;
    // PLAIN with a wrong password: `not-authorized`, then a retry on the same stream works.
    let bad = waxwing_sasl::b64::encode(b"\0juliet\0wrong");
    c.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{bad}</auth>"
    ))
    .await;
    let f = c.expect("failure", ns::XMPP_SASL).await;
    assert!(
        f.get_child("not-authorized", ns::XMPP_SASL).is_some(),
        "{}",
        f.to_xml()
    );
    c.authenticate("juliet@localhost", "pencil", Mech::ScramSha256)
        .await;
}

#[tokio::test]
async fn plain_listener_without_tls_when_encryption_not_required() {
    let kit = TestKit::builder()
        .user("juliet@localhost", "pencil")
        .require_encryption(false)
        .build()
        .await;
    let mut c = kit.connect();
    c.open_stream().await;
    c.expect_stream_start().await;
    let f = c.expect_features().await;
    // STARTTLS offered but not required, SASL offered next to it (no PLAIN in the clear).
    let tls = f.get_child("starttls", ns::XMPP_TLS).expect("starttls");
    assert!(tls.get_child("required", ns::XMPP_TLS).is_none());
    let mechs = f
        .get_child("mechanisms", ns::XMPP_SASL)
        .expect("mechanisms");
    assert!(!mechs.children().any(|m| m.text() == "PLAIN"));
    let mut c = kit.connect_mode(ConnMode::Plain);
    c.login("juliet@localhost", "pencil", Some("r"), Mech::ScramSha256)
        .await;
    c.close().await;
}

#[tokio::test]
async fn generated_resource_when_none_requested() {
    let kit = kit().await;
    let c = kit.login("juliet@localhost", "pencil", None).await;
    assert!(!c.full_jid().resource().is_empty());
}

#[tokio::test]
async fn same_resource_replaces_old_session_with_conflict() {
    let kit = kit().await;
    let mut first = kit.login("juliet@localhost", "pencil", Some("phone")).await;
    let mut second = kit.login("juliet@localhost", "pencil", Some("phone")).await;
    first.expect_stream_error("conflict").await;
    first.send("</stream:stream>").await;
    first.expect_closed().await;
    // The new session keeps the resource and works.
    second
        .send("<iq type='get' id='p1' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    let r = second.expect("iq", ns::CLIENT).await;
    assert_eq!(r.attr("type"), Some("result"));
    let session = kit.server().sessions().session(second.full_jid()).unwrap();
    assert_eq!(kit.server().sessions().len(), 1, "{session:?}");
}

#[tokio::test]
async fn negotiation_timeout_closes_with_connection_timeout() {
    let kit = TestKit::builder()
        .timeouts(Timeouts {
            negotiation: Duration::from_millis(200),
            ..Timeouts::default()
        })
        .build()
        .await;
    let mut c = kit.connect();
    c.open_stream().await;
    c.expect_stream_start().await;
    c.expect_features().await;
    c.expect_stream_error("connection-timeout").await;
}

#[tokio::test]
async fn bound_session_has_no_timeout() {
    let kit = TestKit::builder()
        .user("juliet@localhost", "pencil")
        .timeouts(Timeouts {
            negotiation: Duration::from_secs(3),
            ..Timeouts::default()
        })
        .build()
        .await;
    let mut c = kit.login("juliet@localhost", "pencil", Some("idle")).await;
    // Well past the negotiation deadline, counted from the connection's start.
    c.expect_silence(Duration::from_secs(4)).await;
    c.close().await;
}

#[tokio::test]
async fn shutdown_sends_system_shutdown_to_every_session() {
    let mut kit = kit().await;
    let mut a = kit.login("juliet@localhost", "pencil", Some("a")).await;
    let mut b = kit.connect();
    b.open_stream().await;
    b.expect_stream_start().await;
    b.expect_features().await;
    let stop = tokio::spawn(async move { kit.shutdown(Duration::from_secs(5)).await });
    a.expect_stream_error("system-shutdown").await;
    b.expect_stream_error("system-shutdown").await;
    a.send("</stream:stream>").await;
    b.send("</stream:stream>").await;
    assert!(stop.await.unwrap(), "all connections ended");
}

#[tokio::test]
async fn closing_handshake_answers_with_our_stream_end() {
    let kit = kit().await;
    let mut c = kit.connect();
    c.open_stream().await;
    c.expect_stream_start().await;
    c.expect_features().await;
    c.send("</stream:stream>").await;
    c.expect_stream_end().await;
    c.expect_closed().await;
    let _ = STREAMS_NS;
}

#[tokio::test]
async fn dropped_connection_unregisters_the_session() {
    let kit = kit().await;
    let mut c = kit.login("juliet@localhost", "pencil", Some("gone")).await;
    let task = c.server_task().unwrap();
    assert_eq!(kit.server().sessions().len(), 1);
    drop(c);
    tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .unwrap()
        .unwrap();
    assert!(kit.server().sessions().is_empty());
}

#[tokio::test]
async fn pipelined_bytes_after_starttls_are_not_processed() {
    // RFC 6120 §5.4.3.3: nothing sent in the clear after <starttls/> may count.
    let kit = kit().await;
    let mut c = kit.connect();
    c.open_stream().await;
    c.expect_stream_start().await;
    c.expect_features().await;
    c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldABwZW5jaWw=</auth>")
        .await;
    c.expect("proceed", ns::XMPP_TLS).await;
    c.client_tls_handshake().await;
    c.open_stream().await;
    c.expect_stream_start().await;
    // Fresh features, not a SASL result for the injected <auth/>.
    let f = c.expect_features().await;
    assert!(f.get_child("mechanisms", ns::XMPP_SASL).is_some());
}
