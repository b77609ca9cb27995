//! Resource binding (RFC 6120 §7), the RFC 3921 session, and the bound stream.

use waxwing_jid::FullJid;
use waxwing_stanza::{StanzaError, StanzaErrorCondition};
use waxwing_stream::{Action, TlsMode};
use waxwing_xml::parse_element;

use crate::harness::*;

fn balcony() -> FullJid {
    FullJid::parse("juliet@im.example.com/balcony").unwrap()
}

#[test]
fn rfc6120_7_client_chosen_resource() {
    let mut c = Client::authenticated();
    assert_eq!(c.send(BIND_BALCONY), "");
    assert_eq!(
        c.last_event(),
        Some(&Action::Bind {
            jid: balcony(),
            generated: false
        })
    );
    assert_eq!(
        c.bind_result(Ok(balcony())),
        "<iq id='tn281v37' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
         <jid>juliet@im.example.com/balcony</jid></bind></iq>"
    );
    assert_eq!(c.last_event(), Some(&Action::Bound { jid: balcony() }));
    assert_eq!(c.n.jid(), Some(&balcony()));
}

#[test]
fn server_generated_resource() {
    for req in [
        "<iq id='yhc13a95' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>",
        "<iq id='yhc13a95' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource/></bind></iq>",
    ] {
        let mut c = Client::authenticated();
        c.send(req);
        let Some(Action::Bind {
            jid,
            generated: true,
        }) = c.last_event().cloned()
        else {
            panic!("{:?}", c.last_event())
        };
        assert_eq!(jid.to_bare(), user());
        assert_eq!(jid.resource().len(), 36, "a UUID: {jid}");
        assert_eq!(
            c.bind_result(Ok(jid.clone())),
            format!(
                "<iq id='yhc13a95' type='result'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>\
                 <jid>{jid}</jid></bind></iq>",
                jid = jid.as_str()
            )
        );
    }
}

#[test]
fn resource_is_prepared() {
    let mut c = Client::authenticated();
    // OpaqueString maps the fullwidth space to ASCII and keeps case (RFC 8265 §4.2).
    c.send("<iq id='b' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>Bal\u{3000}cony</resource></bind></iq>");
    let Some(Action::Bind { jid, .. }) = c.last_event() else {
        panic!()
    };
    assert_eq!(jid.resource(), "Bal cony");
}

#[test]
fn invalid_resource_is_bad_request() {
    // RFC 6120 §7.7.2.1; U+0085 is an XML Char but a control for OpaqueString.
    let mut c = Client::authenticated();
    assert_eq!(
        c.send("<iq id='b' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>a\u{85}b</resource></bind></iq>"),
        "<iq id='b' type='error'><error type='modify'>\
         <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
    );
    assert!(c.events().iter().all(|a| !matches!(a, Action::Bind { .. })));
    // The client may try again.
    c.send(BIND_BALCONY);
    assert!(matches!(c.last_event(), Some(Action::Bind { .. })));
}

#[test]
fn wrong_shape_is_bad_request() {
    let mut c = Client::authenticated();
    assert_eq!(
        c.send("<iq id='b' type='get'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"),
        "<iq id='b' type='error'><error type='modify'>\
         <bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
    );
}

#[test]
fn conflict_and_other_errors_from_the_caller() {
    let mut c = Client::authenticated();
    c.send(BIND_BALCONY);
    assert_eq!(
        c.bind_result(Err(StanzaError::new(StanzaErrorCondition::Conflict))),
        "<iq id='tn281v37' type='error'><error type='cancel'>\
         <conflict xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
    );
    c.send(BIND_BALCONY);
    assert_eq!(
        c.bind_result(Err(StanzaError::new(
            StanzaErrorCondition::ResourceConstraint
        ))),
        "<iq id='tn281v37' type='error'><error type='wait'>\
         <resource-constraint xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
    );
    c.send(BIND_BALCONY);
    // The caller may pick another resource (RFC 6120 §7.7.2.2).
    let other = FullJid::parse("juliet@im.example.com/balcony-2").unwrap();
    assert!(
        c.bind_result(Ok(other.clone()))
            .contains("<jid>juliet@im.example.com/balcony-2</jid>")
    );
    assert_eq!(c.n.jid(), Some(&other));
}

#[test]
fn a_jid_for_another_user_is_refused() {
    let mut c = Client::authenticated();
    c.send(BIND_BALCONY);
    let out = c.bind_result(Ok(FullJid::parse("romeo@im.example.com/x").unwrap()));
    assert!(out.contains("<internal-server-error "), "{out}");
    assert_eq!(c.n.jid(), None);
}

#[test]
fn stanza_before_bind_is_not_authorized() {
    let mut c = Client::authenticated();
    let out = c.send("<presence/>");
    assert!(out.starts_with("<stream:error><not-authorized "), "{out}");
    let mut c = Client::authenticated();
    let out =
        c.send("<iq id='s' type='set'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>");
    assert!(out.starts_with("<stream:error><not-authorized "), "{out}");
}

#[test]
fn session_is_answered_when_offered() {
    let mut c = Client::bound();
    assert_eq!(
        c.send(
            "<iq id='sess_1' type='set'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>"
        ),
        "<iq id='sess_1' type='result'/>"
    );
    assert!(!matches!(c.last_event(), Some(Action::Stanza(_))));

    // Not offered: no feature, and the IQ goes to the router like any other.
    let mut cfg = config(TlsMode::Direct);
    cfg.offer_session = false;
    cfg.extra_features
        .push(parse_element(b"<sm xmlns='urn:xmpp:sm:3'/>").unwrap());
    let mut c = Client::new(cfg, waxwing_stream::ConnInfo::direct_tls(bindings()));
    c.send(HEADER);
    c.scram(waxwing_sasl::ClientBinding::Unsupported);
    assert_eq!(
        c.send(HEADER),
        response_header()
            + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/>\
               <sm xmlns='urn:xmpp:sm:3'/></stream:features>"
    );
    c.send(BIND_BALCONY);
    c.bind_result(Ok(balcony()));
    assert_eq!(
        c.send("<iq id='s' type='set'><session xmlns='urn:ietf:params:xml:ns:xmpp-session'/></iq>"),
        ""
    );
    assert!(matches!(c.last_event(), Some(Action::Stanza(_))));
}

#[test]
fn bound_stream_passes_elements_up() {
    let mut c = Client::bound();
    let msg = "<message from='forged@evil.example' to='romeo@example.net' type='chat'><body>hi</body></message>";
    assert_eq!(c.send(msg), "");
    let Some(Action::Stanza(el)) = c.last_event() else {
        panic!()
    };
    assert!(el.is("message", "jabber:client"));
    assert_eq!(
        el.attr("from"),
        Some("forged@evil.example"),
        "from is the router's business"
    );
    let mut buf = Vec::new();
    waxwing_stream::write_stanza(el, &mut buf);
    assert_eq!(String::from_utf8(buf).unwrap(), msg);

    assert_eq!(c.send("<r xmlns='urn:xmpp:sm:3'/>"), "");
    let Some(Action::Nonza(el)) = c.last_event() else {
        panic!()
    };
    assert!(el.is("r", "urn:xmpp:sm:3"));

    // A second bind.
    assert_eq!(
        c.send("<iq id='b2' type='set'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>"),
        "<iq id='b2' type='error'><error type='cancel'>\
         <not-allowed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
    );

    // RFC 6120 §4.9.3.24
    let out = c.send("<foo/>");
    assert!(
        out.starts_with("<stream:error><unsupported-stanza-type "),
        "{out}"
    );
}
