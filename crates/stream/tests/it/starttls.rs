//! STARTTLS: RFC 6120 §5, examples of §9.1.

use waxwing_sasl::ChannelBindings;
use waxwing_stream::{Action, ConnInfo, TlsMode};

use crate::harness::*;

const MECHS_PLUS: &str = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
    <mechanism>SCRAM-SHA-512-PLUS</mechanism><mechanism>SCRAM-SHA-256-PLUS</mechanism>\
    <mechanism>SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-512</mechanism>\
    <mechanism>SCRAM-SHA-256</mechanism><mechanism>SCRAM-SHA-1</mechanism>\
    <mechanism>PLAIN</mechanism></mechanisms>\
    <sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/>\
    </sasl-channel-binding></stream:features>";

#[test]
fn rfc6120_9_1_starttls_then_sasl_features() {
    let mut c = Client::starttls();
    assert_eq!(c.through_tls(bindings()), response_header() + MECHS_PLUS);
    assert!(c.n.is_encrypted());
    assert_eq!(c.events(), [&Action::StartTls]);
}

#[test]
fn without_channel_bindings_no_plus_and_no_xep0440() {
    let mut c = Client::starttls();
    assert_eq!(
        c.through_tls(ChannelBindings::none()),
        response_header()
            + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
               <mechanism>SCRAM-SHA-512</mechanism><mechanism>SCRAM-SHA-256</mechanism>\
               <mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>\
               </stream:features>"
    );
}

#[test]
fn data_pipelined_after_starttls_is_discarded() {
    // RFC 6120 §5.4.3.3: nothing received in the clear may count for the secured stream.
    let mut c = Client::starttls();
    c.send(HEADER);
    let out = c.send(
        "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB4</auth>",
    );
    assert_eq!(out, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
    // Fed during the handshake by mistake: dropped as well.
    assert_eq!(c.send("<message/>"), "");
    assert_eq!(c.tls(bindings()), "");
    assert_eq!(c.send(HEADER), response_header() + MECHS_PLUS);
    assert_eq!(c.events(), [&Action::StartTls]);
}

#[test]
fn optional_starttls_offers_sasl_without_plain() {
    let mut c = Client::new(
        config(TlsMode::StartTls { required: false }),
        ConnInfo::plain(),
    );
    assert_eq!(
        c.send(HEADER),
        response_header()
            + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>\
               <mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>\
               <mechanism>SCRAM-SHA-512</mechanism><mechanism>SCRAM-SHA-256</mechanism>\
               <mechanism>SCRAM-SHA-1</mechanism></mechanisms></stream:features>"
    );
    // RFC 6120 §6.5.4: PLAIN in the clear.
    assert_eq!(
        c.send(
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB4</auth>"
        ),
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><encryption-required/></failure>"
    );
    // SCRAM in the clear is allowed, and STARTTLS is still possible.
    assert_eq!(
        c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
    );
}

#[test]
fn auth_before_required_tls_is_encryption_required() {
    let mut c = Client::starttls();
    c.send(HEADER);
    assert_eq!(
        c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-1'>biwsbj1qdWxpZXQscj1hYmM=</auth>"),
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><encryption-required/></failure>"
    );
    assert!(!c.n.is_closed(), "the client may still start TLS");
    assert_eq!(
        c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
        "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
    );
}

#[test]
fn stanza_before_tls_is_not_authorized() {
    let mut c = Client::starttls();
    c.send(HEADER);
    assert_eq!(
        c.send("<message to='romeo@example.net'><body>hi</body></message>"),
        "<stream:error><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
         <text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>negotiation is not complete</text>\
         </stream:error></stream:stream>"
    );
    assert!(matches!(
        c.last_event(),
        Some(Action::Close { error: Some(_) })
    ));
}

#[test]
fn starttls_when_not_offered_is_the_failure_case() {
    // RFC 6120 §5.4.2.2: <failure/>, then the stream is closed without a stream error.
    let opened = |mut c: Client| {
        c.send(HEADER);
        c
    };
    for mut c in [
        opened(Client::direct()),
        opened(Client::new(config(TlsMode::None), ConnInfo::plain())),
        {
            let mut c = Client::starttls();
            c.through_tls(bindings());
            c
        },
    ] {
        assert_eq!(
            c.send("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"),
            "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"
        );
        assert_eq!(c.last_event(), Some(&Action::Close { error: None }));
    }
}

#[test]
fn tls_answers_out_of_turn_are_ignored() {
    let mut c = Client::starttls();
    c.send(HEADER);
    assert_eq!(c.tls(bindings()), "");
    assert!(!c.n.is_encrypted());
}
