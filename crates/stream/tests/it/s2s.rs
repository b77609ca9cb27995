//! s2s negotiation end to end: an [`S2sOutbound`] wired to an [`S2sInbound`] in memory, with
//! TLS handshakes simulated, dialback verification through a second stream to the
//! authoritative server (XEP-0220 §2.1), and SASL EXTERNAL (RFC 6120 §13.7.2, XEP-0178).

use std::sync::Arc;

use waxwing_stanza::{StanzaErrorCondition, StreamErrorCondition, ns};
use waxwing_stream::s2s_dialback::{self as db, Verdict};
use waxwing_stream::{
    AuthMethod, PeerCert, Purpose, S2sAction, S2sConfig, S2sInbound, S2sOutbound, write_s2s_stanza,
};
use waxwing_xml::Element;

fn cfg(domain: &str, secret: &[u8], require_certs: bool) -> Arc<S2sConfig> {
    let mut c = S2sConfig::new([domain], secret.to_vec());
    c.require_valid_certs = require_certs;
    Arc::new(c)
}

/// What each side reported besides bytes.
#[derive(Default, Debug)]
struct Seen {
    out: Vec<S2sAction>,
    inb: Vec<S2sAction>,
    wire_in: String,
}

/// Runs both ends until neither has anything to say. `verify` answers the receiving
/// side's dialback questions.
fn run(
    o: &mut S2sOutbound,
    i: &mut S2sInbound,
    cert_ok: bool,
    icert: &PeerCert,
    verify: &mut dyn FnMut(&S2sAction) -> Verdict,
    seen: &mut Seen,
) {
    let mut oa = Vec::new();
    o.start(&mut oa);
    let mut ia = Vec::new();
    let mut inbound_tls = false;
    loop {
        let mut progress = false;
        for a in std::mem::take(&mut oa) {
            progress = true;
            match a {
                S2sAction::Send(b) => i.feed(&b, &mut ia),
                S2sAction::StartTls => {
                    assert!(inbound_tls, "receiving side must have sent <proceed/>");
                    i.tls_established(icert.clone(), &mut ia);
                    o.tls_established(cert_ok, &mut oa);
                }
                other => seen.out.push(other),
            }
        }
        for a in std::mem::take(&mut ia) {
            progress = true;
            match a {
                S2sAction::Send(b) => {
                    seen.wire_in.push_str(std::str::from_utf8(&b).unwrap());
                    o.feed(&b, &mut oa);
                }
                S2sAction::StartTls => inbound_tls = true,
                S2sAction::VerifyDialback {
                    ref originating,
                    ref receiving,
                    ..
                } => {
                    let v = verify(&a);
                    let (orig, recv) = (originating.clone(), receiving.clone());
                    seen.inb.push(a);
                    i.dialback_verified(&orig, &recv, v, &mut ia);
                }
                other => seen.inb.push(other),
            }
        }
        if !progress {
            return;
        }
    }
}

/// The receiving server checks a key with the authoritative server over a verification
/// stream of its own (XEP-0220 §2.1.2).
fn verify_with(
    authoritative: Arc<S2sConfig>,
    receiving: Arc<S2sConfig>,
) -> impl FnMut(&S2sAction) -> Verdict {
    move |a| {
        let S2sAction::VerifyDialback {
            originating,
            receiving: local,
            stream_id,
            key,
        } = a
        else {
            unreachable!()
        };
        let purpose = Purpose::Verify {
            stream_id: stream_id.clone(),
            key: key.clone(),
        };
        let mut o = S2sOutbound::new(
            Arc::clone(&receiving),
            local,
            originating,
            purpose,
            false,
            false,
        );
        let mut i = S2sInbound::new(Arc::clone(&authoritative), false, PeerCert::none());
        let mut seen = Seen::default();
        let mut never = |_: &S2sAction| -> Verdict { unreachable!() };
        run(
            &mut o,
            &mut i,
            false,
            &PeerCert::none(),
            &mut never,
            &mut seen,
        );
        assert!(
            seen.wire_in.contains("<db:verify from='"),
            "{}",
            seen.wire_in
        );
        match seen.out.iter().find_map(|a| match a {
            S2sAction::Verified { valid } => Some(*valid),
            _ => None,
        }) {
            Some(true) => Verdict::Valid,
            Some(false) => Verdict::Invalid,
            None => Verdict::Error(StanzaErrorCondition::RemoteServerNotFound),
        }
    }
}

fn message(from: &str, to: &str) -> Element {
    Element::new(ns::CLIENT, "message")
        .with_attr("from", from)
        .with_attr("to", to)
        .with_attr("type", "chat")
        .with_child(Element::new(ns::CLIENT, "body").with_text("hi"))
}

fn send_stanza(i: &mut S2sInbound, el: &Element) -> Vec<S2sAction> {
    let mut b = Vec::new();
    write_s2s_stanza(el, &mut b);
    let mut ia = Vec::new();
    i.feed(&b, &mut ia);
    ia
}

/// a.test → b.test; `authoritative` is what answers for a.test's keys.
fn negotiate(
    a: &Arc<S2sConfig>,
    b: &Arc<S2sConfig>,
    authoritative: &Arc<S2sConfig>,
    cert_ok: bool,
    icert: &PeerCert,
) -> (S2sOutbound, S2sInbound, Seen) {
    let mut o = S2sOutbound::new(
        Arc::clone(a),
        "a.test",
        "b.test",
        Purpose::Authenticate,
        false,
        false,
    );
    let mut i = S2sInbound::new(Arc::clone(b), false, PeerCert::none());
    let mut seen = Seen::default();
    let mut verify = verify_with(Arc::clone(authoritative), Arc::clone(b));
    run(&mut o, &mut i, cert_ok, icert, &mut verify, &mut seen);
    (o, i, seen)
}

#[test]
fn dialback_both_ways_of_the_key() {
    let a = cfg("a.test", b"secret-a", false);
    let b = cfg("b.test", b"secret-b", false);
    let (o, mut i, seen) = negotiate(&a, &b, &a, false, &PeerCert::none());
    assert!(
        seen.out.contains(&S2sAction::Ready {
            via: AuthMethod::Dialback
        }),
        "{seen:?}"
    );
    assert!(seen.inb.iter().any(
        |x| matches!(x, S2sAction::VerifyDialback { originating, receiving, .. }
        if originating == "a.test" && receiving == "b.test")
    ));
    assert!(seen.inb.contains(&S2sAction::Authenticated {
        peer: "a.test".into(),
        local: "b.test".into(),
        via: AuthMethod::Dialback
    }));
    // Features after TLS: no EXTERNAL without a certificate, dialback with errors.
    assert!(
        seen.wire_in
            .contains("<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>")
    );
    assert!(!seen.wire_in.contains("EXTERNAL"));
    assert_eq!(i.pairs(), &[("a.test".to_owned(), "b.test".to_owned())]);

    // A stanza arrives re-qualified into jabber:client.
    let got = send_stanza(&mut i, &message("juliet@a.test/x", "romeo@b.test"));
    let [S2sAction::Stanza(el)] = &got[..] else {
        panic!("{got:?}")
    };
    assert!(el.is("message", ns::CLIENT));
    assert!(el.get_child("body", ns::CLIENT).is_some());
    assert!(!o.is_closed());
}

#[test]
fn wrong_key_is_invalid() {
    let a = cfg("a.test", b"secret-a", false);
    let b = cfg("b.test", b"secret-b", false);
    // The "authoritative" server has another secret: a.test's key does not verify.
    let impostor = cfg("a.test", b"other", false);
    let (o, i, seen) = negotiate(&a, &b, &impostor, false, &PeerCert::none());
    assert!(!o.is_ready());
    assert!(
        o.failure().unwrap().contains("dialback refused"),
        "{:?}",
        o.failure()
    );
    assert!(seen.wire_in.contains("type='invalid'"));
    assert!(i.pairs().is_empty());
}

#[test]
fn sasl_external_with_certificate() {
    let a = cfg("a.test", b"secret-a", true);
    let b = cfg("b.test", b"secret-b", true);
    let cert = PeerCert::new(|d| d == "a.test");
    let (o, i, seen) = negotiate(&a, &b, &a, true, &cert);
    assert!(
        seen.wire_in.contains("<mechanism>EXTERNAL</mechanism>"),
        "{}",
        seen.wire_in
    );
    assert!(
        seen.out.contains(&S2sAction::Ready {
            via: AuthMethod::External
        }),
        "{seen:?}"
    );
    assert!(seen.inb.contains(&S2sAction::Authenticated {
        peer: "a.test".into(),
        local: "b.test".into(),
        via: AuthMethod::External
    }));
    assert!(o.is_ready());
    assert_eq!(i.pairs().len(), 1);
}

#[test]
fn certificate_for_another_domain_is_refused_by_policy() {
    let a = cfg("a.test", b"secret-a", false);
    let b = cfg("b.test", b"secret-b", true);
    // The certificate names c.test: no EXTERNAL, and policy forbids dialback.
    let cert = PeerCert::new(|d| d == "c.test");
    let (o, i, seen) = negotiate(&a, &b, &a, true, &cert);
    assert!(!o.is_ready());
    assert!(
        seen.wire_in
            .contains("<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
        "{}",
        seen.wire_in
    );
    assert!(i.pairs().is_empty());
}

#[test]
fn outbound_refuses_invalid_peer_certificate_when_required() {
    let a = cfg("a.test", b"secret-a", true);
    let b = cfg("b.test", b"secret-b", false);
    let (o, _, _) = negotiate(&a, &b, &a, false, &PeerCert::none());
    assert_eq!(o.failure(), Some("peer certificate does not check out"));
}

fn authenticated() -> S2sInbound {
    let a = cfg("a.test", b"secret-a", false);
    let b = cfg("b.test", b"secret-b", false);
    let (_, i, _) = negotiate(&a, &b, &a, false, &PeerCert::none());
    i
}

fn stream_error(actions: &[S2sAction]) -> Option<StreamErrorCondition> {
    actions.iter().find_map(|a| match a {
        S2sAction::Close { error } => error.as_ref().map(|e| e.condition.clone()),
        _ => None,
    })
}

#[test]
fn spoofed_from_is_invalid_from() {
    let mut i = authenticated();
    let got = send_stanza(&mut i, &message("mallory@c.test", "romeo@b.test"));
    assert_eq!(stream_error(&got), Some(StreamErrorCondition::InvalidFrom));
}

#[test]
fn unserved_to_is_host_unknown() {
    let mut i = authenticated();
    let got = send_stanza(&mut i, &message("juliet@a.test", "romeo@elsewhere.test"));
    assert_eq!(stream_error(&got), Some(StreamErrorCondition::HostUnknown));
}

#[test]
fn missing_to_is_improper_addressing() {
    let mut i = authenticated();
    let el = Element::new(ns::CLIENT, "message").with_attr("from", "juliet@a.test");
    let got = send_stanza(&mut i, &el);
    assert_eq!(
        stream_error(&got),
        Some(StreamErrorCondition::ImproperAddressing)
    );
}

#[test]
fn stanza_before_authentication_is_not_authorized() {
    let b = cfg("b.test", b"secret-b", false);
    let mut i = S2sInbound::new(b, true, PeerCert::none());
    let mut ia = Vec::new();
    i.feed(
        b"<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' \
          xmlns:db='jabber:server:dialback' from='a.test' to='b.test' version='1.0'>",
        &mut ia,
    );
    let got = send_stanza(&mut i, &message("juliet@a.test", "romeo@b.test"));
    assert_eq!(
        stream_error(&got),
        Some(StreamErrorCondition::NotAuthorized)
    );
}

#[test]
fn header_for_unserved_domain_is_host_unknown() {
    let b = cfg("b.test", b"secret-b", false);
    let mut i = S2sInbound::new(b, true, PeerCert::none());
    let mut ia = Vec::new();
    i.feed(
        b"<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' \
          from='a.test' to='z.test' version='1.0'>",
        &mut ia,
    );
    assert_eq!(stream_error(&ia), Some(StreamErrorCondition::HostUnknown));
    let b = cfg("b.test", b"secret-b", false);
    let mut i = S2sInbound::new(b, true, PeerCert::none());
    let mut ia = Vec::new();
    i.feed(
        b"<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' \
          from='a.test' to='b.test' version='1.0'>",
        &mut ia,
    );
    assert_eq!(
        stream_error(&ia),
        Some(StreamErrorCondition::InvalidNamespace)
    );
}

/// XEP-0220 §2.1.3 as the authoritative server, with the XEP-0185 example key; and §2.4's
/// error for a domain we do not serve.
#[test]
fn authoritative_answers_db_verify() {
    let mut c = S2sConfig::new(["example.org"], b"s3cr3tf0rd14lb4ck".to_vec());
    c.require_tls = false;
    let mut i = S2sInbound::new(Arc::new(c), false, PeerCert::none());
    let mut ia = Vec::new();
    i.feed(
        b"<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' \
          xmlns:db='jabber:server:dialback' from='xmpp.example.com' to='example.org' version='1.0'>\
          <db:verify from='xmpp.example.com' to='example.org' id='D60000229F'>\
          37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643</db:verify>\
          <db:verify from='xmpp.example.com' to='example.org' id='D60000229E'>\
          37c69b1cf07a3f67c04a5ef5902fa5114f2c76fe4a2686482ba5b89323075643</db:verify>\
          <db:verify from='xmpp.example.com' to='example.net' id='D60000229F'>ab</db:verify>",
        &mut ia,
    );
    let [S2sAction::Send(bytes)] = &ia[..] else {
        panic!("{ia:?}")
    };
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(
        text.contains(
            "<db:verify from='example.org' to='xmpp.example.com' id='D60000229F' type='valid'/>"
        ),
        "{text}"
    );
    assert!(text.contains("id='D60000229E' type='invalid'/>"), "{text}");
    assert!(text.contains("to='xmpp.example.com' id='D60000229F' type='error'><error type='cancel'><item-not-found"), "{text}");
}

/// XEP-0220 §2.5: a second domain pair piggybacked on an authenticated stream.
#[test]
fn piggybacked_domain() {
    let mut b = S2sConfig::new(["b.test", "muc.b.test"], b"secret-b".to_vec());
    b.require_valid_certs = false;
    let b = Arc::new(b);
    let a = cfg("a.test", b"secret-a", false);
    let (_, mut i, _) = negotiate(&a, &b, &a, false, &PeerCert::none());
    let mut ia = Vec::new();
    let key = db::key(b"secret-a", "muc.b.test", "a.test", "whatever");
    let el = db::result_request("a.test", "muc.b.test", &key);
    let mut bytes = Vec::new();
    write_s2s_stanza(&el, &mut bytes);
    i.feed(&bytes, &mut ia);
    let Some(S2sAction::VerifyDialback { receiving, .. }) = ia.last() else {
        panic!("{ia:?}")
    };
    assert_eq!(receiving, "muc.b.test");
    let mut ia = Vec::new();
    i.dialback_verified("a.test", "muc.b.test", Verdict::Valid, &mut ia);
    assert_eq!(i.pairs().len(), 2);
    let got = send_stanza(&mut i, &message("juliet@a.test", "room@muc.b.test"));
    assert!(matches!(&got[..], [S2sAction::Stanza(_)]), "{got:?}");
}

/// Passes `o`'s bytes to `i` and back until neither has more to say, answering `i`'s
/// dialback questions with `verify`; returns what `o` reported besides bytes.
fn exchange(
    o: &mut S2sOutbound,
    i: &mut S2sInbound,
    mut oa: Vec<S2sAction>,
    verify: &mut dyn FnMut(&S2sAction) -> Verdict,
) -> Vec<S2sAction> {
    let mut reported = Vec::new();
    let mut ia = Vec::new();
    while !oa.is_empty() || !ia.is_empty() {
        for a in std::mem::take(&mut oa) {
            match a {
                S2sAction::Send(b) => i.feed(&b, &mut ia),
                other => reported.push(other),
            }
        }
        for a in std::mem::take(&mut ia) {
            match a {
                S2sAction::Send(b) => o.feed(&b, &mut oa),
                S2sAction::VerifyDialback {
                    ref originating,
                    ref receiving,
                    ..
                } => {
                    let v = verify(&a);
                    i.dialback_verified(&originating.clone(), &receiving.clone(), v, &mut ia);
                }
                _ => {}
            }
        }
    }
    reported
}

fn two_domain_cfg() -> Arc<S2sConfig> {
    let mut c = S2sConfig::new(["a.test", "muc.a.test"], b"secret-a".to_vec());
    c.require_valid_certs = false;
    Arc::new(c)
}

/// XEP-0220 multiplexing: a further local domain sends its own `<db:result/>` on the ready
/// stream, the receiving server verifies it with the authoritative server, and stanzas
/// from that domain are then accepted on the same stream.
#[test]
fn further_domain_piggybacks_on_the_outbound_stream() {
    let a = two_domain_cfg();
    let b = cfg("b.test", b"secret-b", false);
    let (mut o, mut i, _) = negotiate(&a, &b, &a, false, &PeerCert::none());
    assert!(o.is_ready() && o.can_piggyback());
    let mut oa = Vec::new();
    assert!(!o.add_pair("a.test", &mut oa), "the stream's own domain");
    assert!(o.add_pair("muc.a.test", &mut oa));
    assert!(!o.add_pair("muc.a.test", &mut Vec::new()), "already asked");
    let S2sAction::Send(wire) = &oa[0] else {
        panic!("{oa:?}")
    };
    assert!(
        std::str::from_utf8(wire)
            .unwrap()
            .starts_with("<db:result from='muc.a.test' to='b.test'>"),
        "{wire:?}"
    );
    let mut verify = verify_with(Arc::clone(&a), Arc::clone(&b));
    let reported = exchange(&mut o, &mut i, oa, &mut verify);
    assert_eq!(
        reported,
        [S2sAction::Piggybacked {
            local: "muc.a.test".into(),
            verdict: Verdict::Valid
        }]
    );
    assert!(i.pairs().contains(&("muc.a.test".into(), "b.test".into())));
    let got = send_stanza(&mut i, &message("room@muc.a.test/nurse", "romeo@b.test"));
    assert!(matches!(got.as_slice(), [S2sAction::Stanza(_)]), "{got:?}");
}

/// A receiving server that refuses the further domain answers `type='error'` (XEP-0220
/// §2.4): reported as such, and the stream and its first pair carry on.
#[test]
fn refused_piggyback_is_reported_and_the_stream_stays() {
    let a = two_domain_cfg();
    let mut strict = S2sConfig::new(["b.test"], b"secret-b".to_vec());
    strict.require_valid_certs = false;
    strict.cert_policy.insert("muc.a.test".into(), true);
    let b = Arc::new(strict);
    let (mut o, mut i, _) = negotiate(&a, &b, &a, false, &PeerCert::none());
    let mut oa = Vec::new();
    assert!(o.add_pair("muc.a.test", &mut oa));
    let mut never = |_: &S2sAction| -> Verdict { unreachable!() };
    let reported = exchange(&mut o, &mut i, oa, &mut never);
    assert_eq!(
        reported,
        [S2sAction::Piggybacked {
            local: "muc.a.test".into(),
            verdict: Verdict::Error(StanzaErrorCondition::PolicyViolation)
        }]
    );
    assert!(o.is_ready());
    let got = send_stanza(&mut i, &message("juliet@a.test/balcony", "romeo@b.test"));
    assert!(matches!(got.as_slice(), [S2sAction::Stanza(_)]), "{got:?}");
}

/// Without `<errors/>` in the dialback feature a refusal could cost the whole stream, so
/// nothing is piggybacked; answers we did not ask for are ignored.
#[test]
fn piggybacking_needs_the_dialback_errors_feature() {
    for (feature, expected) in [
        ("<dialback xmlns='urn:xmpp:features:dialback'/>", false),
        (
            "<dialback xmlns='urn:xmpp:features:dialback'><errors/></dialback>",
            true,
        ),
    ] {
        let mut c = S2sConfig::new(["a.test", "muc.a.test"], b"secret-a".to_vec());
        c.require_valid_certs = false;
        c.require_tls = false;
        let mut o = S2sOutbound::new(
            Arc::new(c),
            "a.test",
            "b.test",
            Purpose::Authenticate,
            false,
            false,
        );
        let mut out = Vec::new();
        o.start(&mut out);
        let peer = format!(
            "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' \
             xmlns:db='jabber:server:dialback' from='b.test' to='a.test' id='s1' version='1.0'>\
             <stream:features>{feature}</stream:features>"
        );
        o.feed(peer.as_bytes(), &mut out);
        o.feed(
            b"<db:result from='b.test' to='a.test' type='valid'/>",
            &mut out,
        );
        assert!(o.is_ready(), "{out:?}");
        assert_eq!(o.can_piggyback(), expected, "{feature}");
        assert_eq!(o.add_pair("muc.a.test", &mut Vec::new()), expected);
        let mut more = Vec::new();
        o.feed(
            b"<db:result from='b.test' to='other.test' type='valid'/>\
              <db:result from='evil.test' to='muc.a.test' type='valid'/>",
            &mut more,
        );
        assert!(more.is_empty(), "{more:?}");
    }
}
