//! Closing (RFC 6120 §4.4) and fatal errors (RFC 6120 §4.9).

use waxwing_stanza::{StreamError, StreamErrorCondition};
use waxwing_stream::{Action, TlsMode};

use crate::harness::*;

#[test]
fn peer_closes_first() {
    let mut c = Client::bound();
    assert_eq!(c.send("</stream:stream>"), "</stream:stream>");
    assert_eq!(c.last_event(), Some(&Action::PeerClosed));
    assert!(c.n.is_closed());
    assert_eq!(c.send("<message/>"), "");
}

#[test]
fn we_close_first_with_conflict() {
    // The default conflict policy: the old session gets <conflict/> (RFC 6120 §4.9.3.3).
    let mut c = Client::bound();
    assert_eq!(
        c.close(Some(StreamError::new(StreamErrorCondition::Conflict))),
        "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>\
         </stream:stream>"
    );
    assert_eq!(
        c.last_event(),
        Some(&Action::Close {
            error: Some(StreamError::new(StreamErrorCondition::Conflict))
        })
    );
    // Stanzas still in flight are dropped; the peer's close completes the handshake.
    assert_eq!(
        c.send("<message><body>late</body></message></stream:stream>"),
        ""
    );
    assert_eq!(c.last_event(), Some(&Action::PeerClosed));
    assert!(!c.events().iter().any(|a| matches!(a, Action::Stanza(_))));
    // Closing twice does nothing.
    assert_eq!(c.close(None), "");
}

#[test]
fn close_before_any_header_sends_ours_first() {
    // RFC 6120 §4.9.1.2, §4.9.1.3
    let mut c = Client::starttls();
    assert_eq!(
        c.close(Some(StreamError::new(
            StreamErrorCondition::ConnectionTimeout
        ))),
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' from='im.example.com' id='ID' \
         version='1.0' xml:lang='en'><stream:error><connection-timeout xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
         </stream:error></stream:stream>"
    );
}

#[test]
fn close_during_tls_handshake_writes_nothing() {
    let mut c = Client::starttls();
    c.send(HEADER);
    c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    assert_eq!(
        c.close(Some(StreamError::new(StreamErrorCondition::SystemShutdown))),
        ""
    );
    assert!(matches!(c.last_event(), Some(Action::Close { .. })));
}

#[test]
fn close_after_sasl_success_opens_the_new_stream_first() {
    let mut c = Client::direct();
    c.send(HEADER);
    c.scram(waxwing_sasl::ClientBinding::Unsupported);
    assert_eq!(
        c.close(None),
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' from='im.example.com' id='ID' \
         version='1.0' xml:lang='en'></stream:stream>"
    );
}

#[test]
fn xml_errors_are_fatal() {
    let cases = [
        ("<message><body>x</message></body>", "not-well-formed"),
        ("<!-- hi -->", "restricted-xml"),
        ("<message>&foo;</message>", "restricted-xml"),
        ("<x:message/>", "bad-namespace-prefix"),
        ("text", "not-well-formed"),
    ];
    for (input, condition) in cases {
        let mut c = Client::bound();
        let out = c.send(input);
        assert!(
            out.starts_with(&format!(
                "<stream:error><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
            )),
            "{input}: {out}"
        );
        assert!(out.ends_with("</stream:error></stream:stream>"));
        assert!(matches!(
            c.last_event(),
            Some(Action::Close { error: Some(_) })
        ));
    }
}

#[test]
fn size_limit_is_policy_violation() {
    let mut cfg = config(TlsMode::Direct);
    cfg.limits.max_stanza_bytes = 4096;
    let mut c = Client::new(cfg, waxwing_stream::ConnInfo::direct_tls(bindings()));
    c.send(HEADER);
    let out = c.send(&format!(
        "<message><body>{}</body></message>",
        "a".repeat(5000)
    ));
    assert!(out.starts_with("<stream:error><policy-violation "), "{out}");
}

#[test]
fn peer_stream_error_closes_our_side() {
    let mut c = Client::bound();
    assert_eq!(
        c.send(
            "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"
        ),
        "</stream:stream>"
    );
    assert_eq!(c.last_event(), Some(&Action::Close { error: None }));
    assert_eq!(c.send("</stream:stream>"), "");
    assert_eq!(c.last_event(), Some(&Action::PeerClosed));
}

#[test]
fn empty_stream_element() {
    // `<stream:stream .../>` opens and closes at once.
    let mut c = Client::starttls();
    let out = c.send(
        "<stream:stream to='im.example.com' version='1.0' xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams'/>",
    );
    assert!(out.ends_with("</stream:features></stream:stream>"), "{out}");
    assert_eq!(c.last_event(), Some(&Action::PeerClosed));
}
