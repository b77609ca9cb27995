//! Stream headers: RFC 6120 §4.7, §4.8, §4.9.1.2, §4.9.1.3.

use waxwing_stream::{Action, TlsMode};

use crate::harness::*;

const STARTTLS_REQUIRED: &str = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'>\
    <required/></starttls></stream:features>";

fn header_with(attrs: &str) -> String {
    format!(
        "<stream:stream {attrs} xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
    )
}

/// Our header and a stream error, as sent when the initial header is refused.
fn refused(from: Option<&str>, to: Option<&str>, condition: &str) -> String {
    let from = from.map(|f| format!(" from='{f}'")).unwrap_or_default();
    let to = to.map(|t| format!(" to='{t}'")).unwrap_or_default();
    format!(
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams'{from} id='ID'{to} version='1.0' \
         xml:lang='en'><stream:error><{condition} xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
         </stream:error></stream:stream>"
    )
}

#[test]
fn rfc6120_9_1_1_initial_header_and_starttls_feature() {
    let mut c = Client::starttls();
    assert_eq!(c.send(HEADER), response_header() + STARTTLS_REQUIRED);
    assert!(c.events().is_empty());
}

#[test]
fn lang_reflected_and_from_optional() {
    let mut c = Client::starttls();
    let out = c.send(&header_with(
        "to='im.example.com' version='1.0' xml:lang='de-CH'",
    ));
    assert_eq!(
        out,
        "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' from='im.example.com' id='ID' \
         version='1.0' xml:lang='de-CH'>"
            .to_owned()
            + STARTTLS_REQUIRED
    );
    assert_eq!(c.n.lang(), "de-CH");
}

#[test]
fn bad_lang_and_bad_from_are_not_reflected() {
    let mut c = Client::starttls();
    let out = c.send(&header_with(
        "to='IM.Example.COM' from='@bad' version='1.1' xml:lang='x y'",
    ));
    assert!(
        out.starts_with(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' from='im.example.com' id='ID' \
         version='1.0' xml:lang='en'>"
        ),
        "{out}"
    );
    assert_eq!(c.n.domain(), Some("im.example.com"));
}

#[test]
fn refusals() {
    let cases = [
        // RFC 6120 §4.7.2, §4.9.3.6
        (
            header_with("version='1.0'"),
            refused(Some("im.example.com"), None, "host-unknown"),
        ),
        (
            header_with("to='other.example' version='1.0'"),
            refused(Some("im.example.com"), None, "host-unknown"),
        ),
        // RFC 6120 §4.7.5, §4.9.3.25
        (
            header_with("to='im.example.com' from='juliet@im.example.com'"),
            refused(
                Some("im.example.com"),
                Some("juliet@im.example.com"),
                "unsupported-version",
            ),
        ),
        (
            header_with("to='im.example.com' version='0.9'"),
            refused(Some("im.example.com"), None, "unsupported-version"),
        ),
        // RFC 6120 §4.8.3: the content namespace must be jabber:client
        (
            "<stream:stream to='im.example.com' version='1.0' xmlns='jabber:server' \
             xmlns:stream='http://etherx.jabber.org/streams'>"
                .to_owned(),
            refused(Some("im.example.com"), None, "invalid-namespace"),
        ),
        (
            "<stream:stream to='im.example.com' version='1.0' \
             xmlns:stream='http://etherx.jabber.org/streams'>"
                .to_owned(),
            refused(Some("im.example.com"), None, "invalid-namespace"),
        ),
        // RFC 6120 §4.8.5, §4.9.3.2
        (
            "<foobar:stream to='im.example.com' version='1.0' xmlns='jabber:client' \
             xmlns:foobar='http://etherx.jabber.org/streams'>"
                .to_owned(),
            refused(Some("im.example.com"), None, "bad-namespace-prefix"),
        ),
        (
            "<stream to='im.example.com' version='1.0' xmlns='http://etherx.jabber.org/streams'>"
                .to_owned(),
            refused(Some("im.example.com"), None, "bad-namespace-prefix"),
        ),
    ];
    for (input, expected) in cases {
        let mut c = Client::starttls();
        assert_eq!(c.send(&input), expected, "{input}");
        assert!(
            matches!(c.events()[..], [Action::Close { error: Some(_) }]),
            "{:?}",
            c.events()
        );
        assert!(c.n.is_closed());
        // Whatever follows is not processed; the peer's close completes the handshake.
        assert_eq!(c.send("<message/></stream:stream>"), "");
        if input.starts_with("<stream:stream") {
            assert_eq!(c.last_event(), Some(&Action::PeerClosed));
        }
    }
}

#[test]
fn wrong_stream_namespace_from_the_parser() {
    // RFC 6120 §4.8.1, §4.9.3.10: the header is refused before we know the domain, so we
    // speak as our own (first) domain, RFC 6120 §4.9.1.3.
    let mut c = Client::starttls();
    let out = c.send(
        "<stream:stream to='im.example.com' version='1.0' xmlns='jabber:client' \
         xmlns:stream='http://wrong.example/streams'>",
    );
    assert!(
        out.starts_with(
            "<?xml version='1.0'?><stream:stream xmlns='jabber:client' \
         xmlns:stream='http://etherx.jabber.org/streams' from='im.example.com' id='ID' \
         version='1.0' xml:lang='en'><stream:error><invalid-namespace xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>"
        ),
        "{out}"
    );
    assert!(out.ends_with("</stream:error></stream:stream>"));
}

#[test]
fn restart_needs_the_same_domain_and_gets_a_new_id() {
    let mut cfg = config(TlsMode::Direct);
    cfg.domains.push("other.example".into());
    let mut c = Client::new(cfg, waxwing_stream::ConnInfo::direct_tls(bindings()));
    c.send(HEADER);
    c.scram(waxwing_sasl::ClientBinding::Unsupported);
    let out = c.send(&header_with("to='other.example' version='1.0'"));
    assert_eq!(out, refused(Some("im.example.com"), None, "host-unknown"));

    let mut c = Client::direct();
    c.send(HEADER);
    c.scram(waxwing_sasl::ClientBinding::Unsupported);
    c.send(HEADER);
    let ids: Vec<String> = c
        .actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(b) => {
                let s = String::from_utf8(b.clone()).unwrap();
                s.contains("<stream:stream")
                    .then(|| between(&s, " id='", "'").to_owned())
            }
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 2);
    assert_ne!(
        ids[0], ids[1],
        "RFC 6120 §4.3.3: a new stream id after restart"
    );
}

#[test]
fn keepalives_are_ignored() {
    let mut c = Client::starttls();
    c.send(HEADER);
    assert_eq!(c.send(" \n\t \r\n "), "");
    assert!(!c.n.is_closed());
}
