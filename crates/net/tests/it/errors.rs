//! Bad input gets the RFC's answer and nothing else is disturbed.

use waxwing_stanza::ns;
use waxwing_testkit::{Client, TestKit, stream_header};

async fn kit() -> TestKit {
    TestKit::builder()
        .user("juliet@localhost", "pencil")
        .user("romeo@localhost", "mercutio")
        .modules(waxwing_modules::all())
        .max_stanza_bytes(16 * 1024)
        .build()
        .await
}

/// A connection that has done STARTTLS and waits for SASL.
async fn after_tls(kit: &TestKit) -> Client {
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
    c
}

/// A bystander session that must keep working while another connection misbehaves.
async fn assert_unaffected(kit: &TestKit, bystander: &mut Client) {
    bystander
        .send("<iq type='get' id='alive' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    let r = bystander.expect("iq", ns::CLIENT).await;
    assert_eq!(r.attr("id"), Some("alive"));
    assert_eq!(r.attr("type"), Some("result"));
    assert!(
        kit.server()
            .sessions()
            .session(bystander.full_jid())
            .is_some()
    );
}

#[tokio::test]
async fn malformed_xml_is_not_well_formed() {
    let kit = kit().await;
    let mut bystander = kit.login("romeo@localhost", "mercutio", Some("b")).await;
    let mut c = kit.login("juliet@localhost", "pencil", Some("x")).await;
    // Detected once the parser sees the end of what must be the top-level element.
    c.send("<message to='romeo@localhost'><body>x</body></nope>")
        .await;
    c.expect_stream_error("not-well-formed").await;
    c.expect_closed().await;
    assert_unaffected(&kit, &mut bystander).await;
}

#[tokio::test]
async fn malformed_xml_before_the_header_gets_header_then_error() {
    let kit = kit().await;
    let mut c = kit.connect();
    c.send("<<<>").await;
    // RFC 6120 §4.9.1.1: our header first, then the error.
    c.expect_stream_error("not-well-formed").await;
    c.expect_closed().await;
}

#[tokio::test]
async fn oversized_stanza_is_policy_violation() {
    let kit = kit().await;
    let mut bystander = kit.login("romeo@localhost", "mercutio", Some("b")).await;
    let mut c = kit.login("juliet@localhost", "pencil", Some("x")).await;
    let body = "a".repeat(20 * 1024);
    c.send(&format!(
        "<message to='romeo@localhost'><body>{body}</body></message>"
    ))
    .await;
    c.expect_stream_error("policy-violation").await;
    c.expect_closed().await;
    assert_unaffected(&kit, &mut bystander).await;
    // Nothing of the oversized message was delivered.
    bystander
        .expect_silence(std::time::Duration::from_millis(100))
        .await;
}

#[tokio::test]
async fn stanza_before_authentication_is_not_authorized() {
    let kit = kit().await;
    let mut c = after_tls(&kit).await;
    c.send("<message to='romeo@localhost'><body>hi</body></message>")
        .await;
    c.expect_stream_error("not-authorized").await;
    c.expect_closed().await;
}

#[tokio::test]
async fn spoofed_from_is_invalid_from() {
    let kit = kit().await;
    let mut bystander = kit.login("romeo@localhost", "mercutio", Some("b")).await;
    let mut c = kit.login("juliet@localhost", "pencil", Some("x")).await;
    c.send("<message from='romeo@localhost/b' to='romeo@localhost'><body>forged</body></message>")
        .await;
    c.expect_stream_error("invalid-from").await;
    c.expect_closed().await;
    bystander
        .expect_silence(std::time::Duration::from_millis(100))
        .await;
    assert_unaffected(&kit, &mut bystander).await;
}

#[tokio::test]
async fn own_bare_and_full_from_are_accepted() {
    let kit = kit().await;
    let mut c = kit.login("juliet@localhost", "pencil", Some("x")).await;
    for from in ["juliet@localhost", "juliet@localhost/x"] {
        c.send(&format!(
            "<iq type='get' id='p' from='{from}' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>"
        ))
        .await;
        let r = c.expect("iq", ns::CLIENT).await;
        assert_eq!(r.attr("type"), Some("result"), "{}", r.to_xml());
    }
}

#[tokio::test]
async fn wrong_stream_namespace_is_invalid_namespace() {
    let kit = kit().await;
    let mut c = kit.connect();
    c.send(
        "<stream:stream xmlns='jabber:client' xmlns:stream='urn:example:wrong' \
         to='localhost' version='1.0'>",
    )
    .await;
    c.expect_stream_error("invalid-namespace").await;
    c.expect_closed().await;
}

#[tokio::test]
async fn wrong_content_namespace_is_invalid_namespace() {
    let kit = kit().await;
    let mut c = kit.connect();
    c.send(
        "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' \
         to='localhost' version='1.0'>",
    )
    .await;
    c.expect_stream_error("invalid-namespace").await;
}

#[tokio::test]
async fn unknown_host_is_host_unknown() {
    let kit = kit().await;
    let mut c = kit.connect();
    c.send(&stream_header("example.org")).await;
    c.expect_stream_error("host-unknown").await;
    c.expect_closed().await;
}

#[tokio::test]
async fn sasl_garbage_fails_and_keeps_the_connection() {
    let kit = kit().await;
    let mut c = after_tls(&kit).await;
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>!!!not base64</auth>")
        .await;
    let f = c.expect("failure", ns::XMPP_SASL).await;
    assert!(
        f.get_child("incorrect-encoding", ns::XMPP_SASL).is_some(),
        "{}",
        f.to_xml()
    );
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X-NOPE'/>")
        .await;
    let f = c.expect("failure", ns::XMPP_SASL).await;
    assert!(
        f.get_child("invalid-mechanism", ns::XMPP_SASL).is_some(),
        "{}",
        f.to_xml()
    );
    // The connection is kept: a correct attempt now succeeds (third attempt, limit is 3).
    c.authenticate(
        "juliet@localhost",
        "pencil",
        waxwing_testkit::Mech::ScramSha256,
    )
    .await;
}

#[tokio::test]
async fn too_many_failed_authentications_close_the_stream() {
    let kit = kit().await;
    let mut c = after_tls(&kit).await;
    let bad = waxwing_sasl::b64::encode(b"\0juliet\0wrong");
    for _ in 0..2 {
        c.send(&format!(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{bad}</auth>"
        ))
        .await;
        c.expect("failure", ns::XMPP_SASL).await;
    }
    c.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>{bad}</auth>"
    ))
    .await;
    c.expect("failure", ns::XMPP_SASL).await;
    c.expect_stream_error("policy-violation").await;
    c.expect_closed().await;
}

#[tokio::test]
async fn unknown_top_level_element_is_unsupported_stanza_type() {
    let kit = kit().await;
    let mut c = kit.login("juliet@localhost", "pencil", Some("x")).await;
    c.send("<enable xmlns='urn:xmpp:sm:3'/>").await;
    c.expect_stream_error("unsupported-stanza-type").await;
}

#[tokio::test]
async fn invalid_to_gets_jid_malformed_and_stream_stays() {
    let kit = kit().await;
    let mut c = kit.login("juliet@localhost", "pencil", Some("x")).await;
    c.send("<message id='m1' to='@@bad@@'><body>x</body></message>")
        .await;
    let e = c.expect("message", ns::CLIENT).await;
    assert_eq!(e.attr("type"), Some("error"));
    let err = e.get_child("error", ns::CLIENT).expect("error child");
    assert!(
        err.get_child("jid-malformed", ns::XMPP_STANZAS).is_some(),
        "{}",
        e.to_xml()
    );
    c.send("<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(
        c.expect("iq", ns::CLIENT).await.attr("type"),
        Some("result")
    );
}
