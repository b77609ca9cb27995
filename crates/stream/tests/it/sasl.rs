//! SASL: RFC 6120 §6, examples of §9.1.3 / §9.2.

use waxwing_jid::BareJid;
use waxwing_sasl::{
    ChannelBindingType, ClientBinding, ClientMechanism as _, Mechanism, ScramHash, b64,
};
use waxwing_stream::{Action, CredentialsLookup, TlsMode};

use crate::harness::*;

const FAILURE: &str = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>";

fn failure(cond: &str) -> String {
    format!("{FAILURE}<{cond}/></failure>")
}

#[test]
fn scram_sha_256_then_restart() {
    let mut c = Client::direct();
    c.send(HEADER);
    let success = c.scram(ClientBinding::Unsupported);
    assert!(success.starts_with("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"));
    assert_eq!(
        c.events(),
        [
            &Action::FetchCredentials {
                user: user(),
                hash: Some(ScramHash::Sha256)
            },
            &Action::Authenticated {
                user: user(),
                mechanism: Mechanism::SCRAM_SHA_256
            },
        ]
    );
    assert_eq!(c.send(HEADER), response_header() + POST_AUTH_FEATURES);
}

#[test]
fn scram_sha_256_plus_with_channel_binding() {
    let mut c = Client::starttls();
    c.through_tls(bindings());
    c.scram(ClientBinding::Bound(
        ChannelBindingType::TlsExporter,
        CB.to_vec(),
    ));
    assert_eq!(
        c.last_event(),
        Some(&Action::Authenticated {
            user: user(),
            mechanism: Mechanism::SCRAM_SHA_256_PLUS
        })
    );
}

#[test]
fn scram_plus_with_other_binding_data_fails() {
    let mut c = Client::direct();
    c.send(HEADER);
    let mut client = waxwing_sasl::ScramClient::new(
        ScramHash::Sha256,
        "juliet",
        PASSWORD,
        ClientBinding::Bound(ChannelBindingType::TlsExporter, b"a MITM's bytes".to_vec()),
    )
    .unwrap();
    let first = b64::encode(&client.initial_response().unwrap().unwrap());
    c.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256-PLUS'>{first}</auth>"
    ));
    let ch = c.answer_credentials();
    let data = between(&ch, "'>", "</challenge>");
    let resp = client.respond(&b64::decode_strict(data).unwrap()).unwrap();
    let out = c.send(&format!(
        "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</response>",
        b64::encode(&resp)
    ));
    assert!(
        out.starts_with(&format!("{FAILURE}<not-authorized/>")),
        "{out}"
    );
}

#[test]
fn plain_success_has_no_additional_data() {
    let mut c = Client::direct();
    c.send(HEADER);
    assert_eq!(
        c.plain(None, PASSWORD),
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
    );
    assert_eq!(
        c.events()[0],
        &Action::FetchCredentials {
            user: user(),
            hash: None
        }
    );
    assert_eq!(
        c.last_event(),
        Some(&Action::Authenticated {
            user: user(),
            mechanism: Mechanism::Plain
        })
    );
}

#[test]
fn wrong_password_then_retry() {
    let mut c = Client::direct();
    c.send(HEADER);
    assert_eq!(c.plain(None, "wrong"), failure("not-authorized"));
    assert!(!c.n.is_closed());
    assert_eq!(
        c.plain(None, PASSWORD),
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
    );
}

#[test]
fn garbage_is_answered_and_the_stream_kept() {
    let cases = [
        // RFC 6120 §6.4.2: strict Base64
        (
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGll dAB4</auth>",
            failure("incorrect-encoding"),
        ),
        (
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB4=</auth>",
            failure("incorrect-encoding"),
        ),
        // RFC 4616: no NUL separators
        (
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>anVsaWV0</auth>",
            failure("malformed-request"),
        ),
        (
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'><x/></auth>",
            failure("malformed-request"),
        ),
        // RFC 6120 §6.5.7
        (
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='DIGEST-MD5'/>",
            failure("invalid-mechanism"),
        ),
        (
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'/>",
            failure("invalid-mechanism"),
        ),
        (
            "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
            failure("invalid-mechanism"),
        ),
        // No exchange in progress
        (
            "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
            format!(
                "{FAILURE}<malformed-request/><text xml:lang='en'>no exchange in progress</text></failure>"
            ),
        ),
        (
            "<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
            failure("aborted"),
        ),
    ];
    for (input, expected) in cases {
        let mut c = Client::direct();
        c.send(HEADER);
        assert_eq!(c.send(input), expected, "{input}");
        assert!(!c.n.is_closed(), "{input}");
        assert!(c.events().is_empty(), "{input}");
        assert_eq!(
            c.plain(None, PASSWORD),
            "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
        );
    }
}

#[test]
fn absent_initial_response_gets_an_empty_challenge() {
    // RFC 6120 §6.4.2: no text = no initial response; the mechanism asks for it.
    let mut c = Client::direct();
    c.send(HEADER);
    assert_eq!(
        c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>"),
        "<challenge xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>=</challenge>"
    );
    let ir = b64::encode(format!("\0juliet\0{PASSWORD}").as_bytes());
    assert_eq!(
        c.send(&format!(
            "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{ir}</response>"
        )),
        ""
    );
    assert_eq!(
        c.answer_credentials(),
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
    );
}

#[test]
fn abort_and_bad_response_during_exchange() {
    let mut c = Client::direct();
    c.send(HEADER);
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>");
    assert_eq!(
        c.send("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
        failure("aborted")
    );
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>");
    assert_eq!(
        c.send("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>!!</response>"),
        failure("incorrect-encoding")
    );
    // The third failure closes the stream (default max_auth_failures = 3).
    assert_eq!(
        c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='X'/>"),
        failure("invalid-mechanism")
            + "<stream:error><policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>\
               <text xmlns='urn:ietf:params:xml:ns:xmpp-streams' xml:lang='en'>too many failed \
               authentication attempts</text></stream:error></stream:stream>"
    );
    assert!(matches!(
        c.last_event(),
        Some(Action::Close { error: Some(_) })
    ));
}

#[test]
fn stanza_during_exchange_is_not_authorized() {
    let mut c = Client::direct();
    c.send(HEADER);
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>");
    let out = c.send("<presence/>");
    assert!(out.starts_with("<stream:error><not-authorized "), "{out}");
}

#[test]
fn authzid_rules() {
    // RFC 6120 §6.3.8: only empty or the user's own bare JID.
    let mut c = Client::direct();
    c.send(HEADER);
    assert_eq!(
        c.plain(Some("Juliet@IM.example.com"), PASSWORD),
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
    );
    let mut c = Client::direct();
    c.send(HEADER);
    assert_eq!(
        c.plain(Some("romeo@im.example.com"), PASSWORD),
        failure("invalid-authzid")
    );
    assert!(matches!(
        c.last_event(),
        Some(Action::FetchCredentials { .. })
    ));
}

#[test]
fn account_states() {
    let mut c = Client::direct();
    c.send(HEADER);
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>");
    let creds = c.creds.clone();
    assert_eq!(
        c.credentials(CredentialsLookup::Disabled(creds.clone())),
        failure("account-disabled")
    );
    // A wrong password on a disabled account does not reveal the state.
    assert_eq!(c.plain(None, "wrong"), failure("not-authorized"));
    let mut c = Client::direct();
    c.send(HEADER);
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>");
    assert_eq!(
        c.credentials(CredentialsLookup::Unavailable),
        failure("temporary-auth-failure")
    );
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAByMG0zMG15cjBtMzA=</auth>");
    assert_eq!(
        c.credentials(CredentialsLookup::NotFound),
        failure("not-authorized")
    );
    // Answers nobody asked for are ignored.
    assert_eq!(c.credentials(CredentialsLookup::Found(creds)), "");
}

#[test]
fn unknown_scram_user_fails_after_the_challenge() {
    let mut c = Client::direct();
    c.send(HEADER);
    let mut client = waxwing_sasl::ScramClient::new(
        ScramHash::Sha256,
        "nobody",
        "x",
        ClientBinding::Unsupported,
    )
    .unwrap();
    let first = b64::encode(&client.initial_response().unwrap().unwrap());
    c.send(&format!(
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>{first}</auth>"
    ));
    assert_eq!(
        c.last_event(),
        Some(&Action::FetchCredentials {
            user: BareJid::parse("nobody@im.example.com").unwrap(),
            hash: Some(ScramHash::Sha256)
        })
    );
    let ch = c.credentials(CredentialsLookup::NotFound);
    let data = between(&ch, "'>", "</challenge>");
    let resp = client.respond(&b64::decode_strict(data).unwrap()).unwrap();
    let out = c.send(&format!(
        "<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>{}</response>",
        b64::encode(&resp)
    ));
    assert!(
        out.starts_with(&format!("{FAILURE}<not-authorized/>")),
        "{out}"
    );
}

#[test]
fn input_while_waiting_for_credentials_is_held() {
    let mut c = Client::direct();
    c.send(HEADER);
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB3cm9uZw==</auth>");
    // Pipelined before the answer: processed after it, in order.
    assert_eq!(
        c.send("<abort xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"),
        ""
    );
    let creds = c.creds.clone();
    assert_eq!(
        c.credentials(CredentialsLookup::Found(creds)),
        failure("not-authorized") + &failure("aborted")
    );
}

#[test]
fn too_much_input_while_waiting_is_a_policy_violation() {
    let mut cfg = config(TlsMode::Direct);
    cfg.limits.max_stanza_bytes = 1000;
    let mut c = Client::new(cfg, waxwing_stream::ConnInfo::direct_tls(bindings()));
    c.send(HEADER);
    c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGp1bGlldAB3cm9uZw==</auth>");
    let out = c.send(&"<presence/>".repeat(100));
    assert!(out.starts_with("<stream:error><policy-violation "), "{out}");
}

#[test]
fn sasl_after_authentication_is_refused() {
    let mut c = Client::authenticated();
    let out = c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'/>");
    assert!(out.starts_with("<stream:error><policy-violation "), "{out}");
}

#[test]
fn max_auth_failures_one() {
    let mut cfg = config(TlsMode::Direct);
    cfg.max_auth_failures = 1;
    let mut c = Client::new(cfg, waxwing_stream::ConnInfo::direct_tls(bindings()));
    c.send(HEADER);
    let out = c.plain(None, "wrong");
    assert!(
        out.starts_with(&(failure("not-authorized") + "<stream:error><policy-violation ")),
        "{out}"
    );
}

#[test]
fn anonymous_gets_a_random_account() {
    let mut cfg = config(TlsMode::Direct);
    cfg.mechanisms.push(Mechanism::Anonymous);
    let mut c = Client::new(cfg, waxwing_stream::ConnInfo::direct_tls(bindings()));
    assert!(c.send(HEADER).contains("<mechanism>ANONYMOUS</mechanism>"));
    assert_eq!(
        c.send("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='ANONYMOUS'>=</auth>"),
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"
    );
    let Some(Action::Authenticated {
        user,
        mechanism: Mechanism::Anonymous,
    }) = c.last_event()
    else {
        panic!("{:?}", c.last_event())
    };
    assert_eq!(user.domain(), DOMAIN);
    assert_eq!(user.node().map(str::len), Some(32));
}
