//! Downgrades, wrong bindings, wrong passwords, unknown users, malformed input.

use waxwing_sasl::{
    AnonymousServer, ChannelBindingType, ChannelBindings, ClientBinding, ClientError,
    ClientMechanism, Condition, ExternalServer, Failure, PlainClient, PlainServer, ScramClient,
    ScramCredentials, ScramHash, ScramServer, ServerContext, ServerMechanism, Step,
};

use crate::common::{End, bindings, config, run, run_with};

const SALT: &[u8] = b"0123456789abcdef";

fn creds(hash: ScramHash) -> ScramCredentials {
    ScramCredentials::derive(hash, "pw", SALT, 4096).unwrap()
}

fn failure(step: Step) -> Failure {
    match step {
        Step::Failure(f) => f,
        other => panic!("expected failure, got {other:?}"),
    }
}

fn first(server: &mut ScramServer, msg: &str) -> Step {
    server.step(Some(msg.as_bytes()))
}

#[test]
fn y_flag_while_plus_offered_is_a_downgrade() {
    let mut server = ScramServer::new(&config(), ScramHash::Sha256, bindings());
    let f = failure(first(&mut server, "y,,n=user,r=abcdef"));
    assert_eq!(
        f,
        Failure::with_text(
            Condition::NotAuthorized,
            "server-does-support-channel-binding"
        )
    );
    // Without channel binding on offer the same message is fine.
    let mut server = ScramServer::new(&config(), ScramHash::Sha256, ChannelBindings::none());
    assert!(matches!(
        first(&mut server, "y,,n=user,r=abcdef"),
        Step::NeedCredentials(_)
    ));
    // Through the full client too.
    let mut client =
        ScramClient::new(ScramHash::Sha256, "user", "pw", ClientBinding::NotOffered).unwrap();
    let mut server = ScramServer::new(&config(), ScramHash::Sha256, bindings());
    assert!(matches!(
        run(&mut server, &mut client, Some(&creds(ScramHash::Sha256))),
        End::ServerFailed(_)
    ));
}

#[test]
fn p_flag_with_non_plus_mechanism_fails() {
    for cb in [bindings(), ChannelBindings::none()] {
        let mut server = ScramServer::new(&config(), ScramHash::Sha1, cb);
        let f = failure(first(&mut server, "p=tls-exporter,,n=user,r=abcdef"));
        assert_eq!(f.condition, Condition::MalformedRequest);
    }
}

#[test]
fn plus_mechanism_requires_binding() {
    for msg in ["n,,n=user,r=abcdef", "y,,n=user,r=abcdef"] {
        let mut server = ScramServer::new_plus(&config(), ScramHash::Sha1, bindings());
        assert_eq!(
            failure(first(&mut server, msg)).condition,
            Condition::MalformedRequest
        );
    }
}

#[test]
fn unsupported_binding_type_fails() {
    let only_endpoint =
        ChannelBindings::none().with(ChannelBindingType::TlsServerEndPoint, vec![1; 32]);
    for (cb, flag) in [
        (bindings(), "p=tls-unique"),
        (bindings(), "p=TLS-EXPORTER"),
        (only_endpoint, "p=tls-exporter"),
    ] {
        let mut server = ScramServer::new_plus(&config(), ScramHash::Sha256, cb);
        let f = failure(first(&mut server, &format!("{flag},,n=user,r=abcdef")));
        assert_eq!(
            f,
            Failure::with_text(Condition::NotAuthorized, "unsupported-channel-binding-type")
        );
    }
}

#[test]
fn wrong_channel_binding_data_fails() {
    for kind in ChannelBindingType::ALL {
        let mut client = ScramClient::new(
            ScramHash::Sha256,
            "user",
            "pw",
            ClientBinding::Bound(kind, b"other connection".to_vec()),
        )
        .unwrap();
        let mut server = ScramServer::new_plus(&config(), ScramHash::Sha256, bindings());
        let End::ServerFailed(f) = run(&mut server, &mut client, Some(&creds(ScramHash::Sha256)))
        else {
            panic!()
        };
        assert_eq!(
            f,
            Failure::with_text(Condition::NotAuthorized, "channel-bindings-dont-match")
        );
    }
}

/// Runs a real client up to its client-final message and returns (server, client-final).
fn up_to_final(
    hash: ScramHash,
    password: &str,
    stored: Option<&ScramCredentials>,
) -> (ScramServer, String) {
    let mut client = ScramClient::new(hash, "user", password, ClientBinding::Unsupported).unwrap();
    let mut server = ScramServer::new(&config(), hash, ChannelBindings::none());
    let cf = client.initial_response().unwrap().unwrap();
    let Step::NeedCredentials(_) = server.step(Some(&cf)) else {
        panic!()
    };
    let Step::Challenge(sf) = server.provide_credentials(stored) else {
        panic!()
    };
    let last = client.respond(&sf).unwrap();
    (server, String::from_utf8(last).unwrap())
}

#[test]
fn client_final_must_repeat_gs2_header_exactly() {
    let (mut server, last) = up_to_final(ScramHash::Sha1, "pw", Some(&creds(ScramHash::Sha1)));
    // `y,,` instead of the `n,,` that was sent.
    let tampered = last.replacen("c=biws", "c=eSws", 1);
    assert_eq!(
        failure(server.step(Some(tampered.as_bytes())))
            .text
            .as_deref(),
        Some("channel-bindings-dont-match")
    );
}

type Tamper = fn(&str) -> String;

#[test]
fn malformed_client_final() {
    let stored = creds(ScramHash::Sha1);
    let cases: [(&str, Tamper, Condition); 7] = [
        (
            "non-canonical c=",
            |m| m.replacen("c=biws", "c=biws=", 1),
            Condition::MalformedRequest,
        ),
        (
            "proof too short",
            |m| format!("{}AAAA", &m[..m.find(",p=").unwrap() + 3]),
            Condition::MalformedRequest,
        ),
        (
            "proof missing",
            |m| m[..m.find(",p=").unwrap()].to_owned(),
            Condition::MalformedRequest,
        ),
        (
            "wrong nonce",
            |m| m.replacen(",r=", ",r=X", 1),
            Condition::NotAuthorized,
        ),
        (
            "attributes swapped",
            |m| {
                m.replacen("c=biws,", "", 1)
                    .replacen(",p=", ",c=biws,p=", 1)
            },
            Condition::MalformedRequest,
        ),
        (
            "bit flip in proof",
            |m| {
                let i = m.find(",p=").unwrap() + 3;
                let c = if &m[i..=i] == "A" { "B" } else { "A" };
                format!("{}{c}{}", &m[..i], &m[i + 1..])
            },
            Condition::NotAuthorized,
        ),
        (
            "not utf-8",
            |_| "\u{FFFD}".to_owned(),
            Condition::MalformedRequest,
        ),
    ];
    for (what, tamper, condition) in cases {
        let (mut server, last) = up_to_final(ScramHash::Sha1, "pw", Some(&stored));
        let f = failure(server.step(Some(tamper(&last).as_bytes())));
        assert_eq!(f.condition, condition, "{what}: {f:?}");
    }
    let (mut server, _) = up_to_final(ScramHash::Sha1, "pw", Some(&stored));
    assert_eq!(
        failure(server.step(Some(&[0xFF, 0xFE]))).condition,
        Condition::MalformedRequest
    );
}

#[test]
fn malformed_client_first() {
    for msg in [
        "",
        "n,,",
        "n,,m=ext,n=user,r=abc",
        "n,,n=user",
        "n,,n=user,r=a,b",
        "n,,n=us=er,r=abc",
        "n,,r=abc,n=user",
        "q,,n=user,r=abc",
        "n,x=y,n=user,r=abc",
        "n,,n=user,r=\u{7F}abc",
        "n,,n=user,r=ab c",
    ] {
        let mut server = ScramServer::new(&config(), ScramHash::Sha1, ChannelBindings::none());
        assert_eq!(
            failure(first(&mut server, msg)).condition,
            Condition::MalformedRequest,
            "{msg:?}"
        );
    }
    let mut server = ScramServer::new(&config(), ScramHash::Sha1, ChannelBindings::none());
    let f = failure(first(&mut server, "n,,m=ext,n=user,r=abc"));
    assert_eq!(f.text.as_deref(), Some("extensions-not-supported"));
    // A name the localpart rules refuse.
    let mut server = ScramServer::new(&config(), ScramHash::Sha1, ChannelBindings::none());
    assert_eq!(
        failure(first(&mut server, "n,,n=a@b,r=abc")).condition,
        Condition::NotAuthorized
    );
}

#[test]
fn wrong_password_and_unknown_user_look_the_same() {
    let stored = creds(ScramHash::Sha256);
    let (mut s1, last1) = up_to_final(ScramHash::Sha256, "wrong", Some(&stored));
    let wrong = failure(s1.step(Some(last1.as_bytes())));
    assert_eq!(
        wrong,
        Failure::with_text(Condition::NotAuthorized, "invalid-proof")
    );
    let (mut s2, last2) = up_to_final(ScramHash::Sha256, "pw", None);
    assert_eq!(failure(s2.step(Some(last2.as_bytes()))), wrong);
}

fn server_first_for(user: &str, stored: Option<&ScramCredentials>) -> (String, String) {
    let mut server = ScramServer::new(&config(), ScramHash::Sha256, ChannelBindings::none())
        .with_fixed_nonce("S");
    let Step::NeedCredentials(_) = server.step(Some(format!("n,,n={user},r=C").as_bytes())) else {
        panic!()
    };
    let Step::Challenge(sf) = server.provide_credentials(stored) else {
        panic!()
    };
    let sf = String::from_utf8(sf).unwrap();
    let (_, rest) = sf.split_once(",s=").unwrap();
    let (salt, iterations) = rest.split_once(",i=").unwrap();
    (salt.to_owned(), iterations.to_owned())
}

#[test]
fn unknown_user_salt_is_stable_and_plausible() {
    let (salt_a1, it_a) = server_first_for("alice", None);
    let (salt_a2, _) = server_first_for("alice", None);
    let (salt_b, _) = server_first_for("bob", None);
    assert_eq!(salt_a1, salt_a2, "same fake salt on every attempt");
    assert_ne!(salt_a1, salt_b, "fake salts differ per user");
    let real = ScramCredentials::derive(ScramHash::Sha256, "pw", &[9; 16], 4096).unwrap();
    let (real_salt, real_it) = server_first_for("carol", Some(&real));
    assert_eq!(it_a, real_it);
    assert_eq!(salt_a1.len(), real_salt.len());
    // Another server secret gives other fake salts.
    let mut other = ScramServer::new(
        &waxwing_sasl::ServerConfig::new([1; 32]).with_fake_iterations(4096),
        ScramHash::Sha256,
        ChannelBindings::none(),
    );
    let Step::NeedCredentials(_) = other.step(Some(b"n,,n=alice,r=C")) else {
        panic!()
    };
    let Step::Challenge(sf) = other.provide_credentials(None) else {
        panic!()
    };
    assert!(!String::from_utf8(sf).unwrap().contains(&salt_a1));
}

#[test]
fn weak_or_mismatched_stored_credentials_fail() {
    let mut weak = creds(ScramHash::Sha1);
    weak.iterations = 1000;
    let (mut s, last) = up_to_final(ScramHash::Sha1, "pw", Some(&weak));
    assert_eq!(
        failure(s.step(Some(last.as_bytes()))).condition,
        Condition::NotAuthorized
    );
    // SHA-256 keys offered to a SHA-1 exchange.
    let (mut s, last) = up_to_final(ScramHash::Sha1, "pw", Some(&creds(ScramHash::Sha256)));
    assert_eq!(
        failure(s.step(Some(last.as_bytes()))).condition,
        Condition::NotAuthorized
    );
}

#[test]
fn client_refuses_bad_server_first() {
    let cases: [(&str, ClientError); 7] = [
        (
            "r=OTHER,s=QSXCR+Q6sek8bf92,i=4096",
            ClientError::NonceMismatch,
        ),
        (
            "r=abc,s=QSXCR+Q6sek8bf92,i=4096",
            ClientError::NonceMismatch,
        ),
        (
            "r=abcS,s=QSXCR+Q6sek8bf92,i=4095",
            ClientError::Iterations(4095),
        ),
        (
            "r=abcS,s=QSXCR+Q6sek8bf92,i=1000001",
            ClientError::Iterations(1_000_001),
        ),
        (
            "r=abcS,s=QSXCR+Q6sek8bf92,i=99999999999999",
            ClientError::Iterations(u32::MAX),
        ),
        ("r=abcS,s=,i=4096", ClientError::Salt(0)),
        (
            "m=x,r=abcS,s=QSXCR+Q6sek8bf92,i=4096",
            ClientError::Malformed("server-first-message"),
        ),
    ];
    for (sf, err) in cases {
        let mut client =
            ScramClient::new(ScramHash::Sha1, "user", "pw", ClientBinding::Unsupported)
                .unwrap()
                .with_nonce("abc")
                .unwrap();
        client.initial_response().unwrap();
        assert_eq!(client.respond(sf.as_bytes()), Err(err), "{sf}");
    }
}

#[test]
fn replayed_client_final_fails() {
    let stored = creds(ScramHash::Sha1);
    let mut transcript = Vec::new();
    let mut client =
        ScramClient::new(ScramHash::Sha1, "user", "pw", ClientBinding::Unsupported).unwrap();
    let mut server = ScramServer::new(&config(), ScramHash::Sha1, ChannelBindings::none());
    assert!(matches!(
        run_with(&mut server, &mut client, Some(&stored), &mut transcript),
        End::Ok(_)
    ));
    let mut server = ScramServer::new(&config(), ScramHash::Sha1, ChannelBindings::none());
    let Step::NeedCredentials(_) = server.step(Some(&transcript[0])) else {
        panic!()
    };
    let Step::Challenge(_) = server.provide_credentials(Some(&stored)) else {
        panic!()
    };
    assert_eq!(
        failure(server.step(Some(&transcript[1]))).condition,
        Condition::NotAuthorized
    );
}

#[test]
fn out_of_order_calls_fail() {
    let mut server = ScramServer::new(&config(), ScramHash::Sha1, ChannelBindings::none());
    assert!(matches!(server.provide_credentials(None), Step::Failure(_)));
    let mut server = ScramServer::new(&config(), ScramHash::Sha1, ChannelBindings::none());
    let Step::NeedCredentials(_) = server.step(Some(b"n,,n=user,r=abc")) else {
        panic!()
    };
    assert!(matches!(
        server.step(Some(b"c=biws,r=abc,p=AAAA")),
        Step::Failure(_)
    ));
    assert!(
        matches!(server.provide_credentials(None), Step::Failure(_)),
        "terminal after failure"
    );
    let mut server = ScramServer::new(&config(), ScramHash::Sha1, ChannelBindings::none());
    assert_eq!(server.step(None), Step::Challenge(Vec::new()));
    assert!(matches!(server.step(None), Step::Failure(_)));
    let mut anon = AnonymousServer::new();
    assert!(matches!(anon.step(Some(b"")), Step::Success(_)));
    assert!(
        matches!(anon.step(Some(b"")), Step::Failure(_)),
        "no second success"
    );
    assert!(matches!(anon.provide_credentials(None), Step::Failure(_)));
}

#[test]
fn oversized_messages_fail() {
    let big = vec![b'a'; waxwing_sasl::MAX_MESSAGE_LEN + 1];
    let servers: [Box<dyn ServerMechanism>; 4] = [
        Box::new(ScramServer::new(
            &config(),
            ScramHash::Sha1,
            ChannelBindings::none(),
        )),
        Box::new(PlainServer::new(&config())),
        Box::new(ExternalServer::new(vec!["x".into()])),
        Box::new(AnonymousServer::new()),
    ];
    for mut s in servers {
        assert_eq!(
            failure(s.step(Some(&big))).condition,
            Condition::MalformedRequest
        );
    }
}

#[test]
fn plain_failures() {
    let stored = creds(ScramHash::Sha256);
    let mut server = PlainServer::new(&config());
    let mut client = PlainClient::new("user", "wrong", None).unwrap();
    let End::ServerFailed(wrong) = run(&mut server, &mut client, Some(&stored)) else {
        panic!()
    };
    assert_eq!(wrong, Failure::new(Condition::NotAuthorized));
    let mut server = PlainServer::new(&config());
    let mut client = PlainClient::new("nobody", "pw", None).unwrap();
    let End::ServerFailed(unknown) = run(&mut server, &mut client, None) else {
        panic!()
    };
    assert_eq!(unknown, wrong);
    for msg in [
        &b"user\0pw"[..],
        b"\0user\0pw\0",
        b"\0\0pw",
        b"\0user\0",
        b"",
        b"\0us\xFFer\0pw",
    ] {
        let mut server = PlainServer::new(&config());
        assert_eq!(
            failure(server.step(Some(msg))).condition,
            Condition::MalformedRequest,
            "{msg:?}"
        );
    }
    let cleartext = ServerContext::new(config());
    assert_eq!(
        cleartext.start("PLAIN").unwrap_err().condition,
        Condition::EncryptionRequired
    );
}

#[test]
fn context_refuses_unoffered_mechanisms() {
    let ctx = ServerContext::new(config()).encrypted(true);
    for name in [
        "SCRAM-SHA-256-PLUS",
        "EXTERNAL",
        "ANONYMOUS",
        "DIGEST-MD5",
        "scram-sha-1",
        "",
    ] {
        assert_eq!(
            ctx.start(name).unwrap_err().condition,
            Condition::InvalidMechanism,
            "{name}"
        );
    }
}

#[test]
fn anonymous_trace_limits() {
    for bad in [
        "a".repeat(256).into_bytes(),
        b"\xFF".to_vec(),
        b"@example.org".to_vec(),
        b"a@b@c".to_vec(),
    ] {
        let mut server = AnonymousServer::new();
        assert_eq!(
            failure(server.step(Some(&bad))).condition,
            Condition::MalformedRequest
        );
    }
    assert!(waxwing_sasl::AnonymousClient::new(Some(&"a".repeat(256))).is_err());
}

#[test]
fn external_without_identity_is_not_authorized() {
    let mut server = ExternalServer::new(Vec::new());
    assert_eq!(
        failure(server.step(Some(b""))).condition,
        Condition::NotAuthorized
    );
    let mut server = ExternalServer::new(vec!["a".into()]);
    assert_eq!(
        failure(server.step(Some(b"a\0b"))).condition,
        Condition::MalformedRequest
    );
}
