//! Our client against our server for every mechanism and channel-binding type.

use waxwing_sasl::{
    AnonymousClient, ChannelBindingType, ChannelBindings, ClientBinding, ClientMechanism,
    ExternalClient, Identity, Mechanism, PasswordPrep, PlainClient, ScramClient, ScramCredentials,
    ScramHash, ServerContext, Step, UsernamePrep,
};

use crate::common::{End, bindings, config, run, run_with};

fn creds(hash: ScramHash, password: &str) -> ScramCredentials {
    ScramCredentials::derive(hash, password, b"0123456789abcdef", 4096).unwrap()
}

fn tls() -> ServerContext {
    ServerContext::new(config())
        .encrypted(true)
        .with_channel_bindings(bindings())
}

#[test]
fn scram_every_hash_and_binding() {
    for hash in ScramHash::ALL {
        let stored = creds(hash, "correct horse");
        let cases: [(ClientBinding, ChannelBindings); 5] = [
            (ClientBinding::Unsupported, ChannelBindings::none()),
            (ClientBinding::NotOffered, ChannelBindings::none()),
            (ClientBinding::Unsupported, bindings()),
            (
                ClientBinding::Bound(
                    ChannelBindingType::TlsExporter,
                    b"exporter-keying-material-32bytes".to_vec(),
                ),
                bindings(),
            ),
            (
                ClientBinding::Bound(ChannelBindingType::TlsServerEndPoint, vec![0xAB; 32]),
                bindings(),
            ),
        ];
        for (binding, cb) in cases {
            let ctx = ServerContext::new(config())
                .encrypted(true)
                .with_channel_bindings(cb);
            let mut client =
                ScramClient::new(hash, "juliet", "correct horse", binding.clone()).unwrap();
            let mut server = ctx.start_mechanism(client.mechanism()).unwrap();
            assert_eq!(server.mechanism(), client.mechanism());
            let End::Ok(success) = run(server.as_mut(), &mut client, Some(&stored)) else {
                panic!("{hash:?} {binding:?} failed")
            };
            assert_eq!(
                success.identity,
                Identity::User {
                    authcid: "juliet".into(),
                    authzid: None
                }
            );
        }
    }
}

#[test]
fn scram_authzid_and_escaped_username() {
    let stored = creds(ScramHash::Sha256, "pw");
    let mut client = ScramClient::new(ScramHash::Sha256, "a,b=c", "pw", ClientBinding::Unsupported)
        .unwrap()
        .with_authzid("a,b=c@example.org");
    let mut transcript = Vec::new();
    let mut server = tls().start("SCRAM-SHA-256").unwrap();
    let End::Ok(success) = run_with(server.as_mut(), &mut client, Some(&stored), &mut transcript)
    else {
        panic!()
    };
    assert!(transcript[0].starts_with(b"n,a=a=2Cb=3Dc@example.org,n=a=2Cb=3Dc,r="));
    assert_eq!(success.identity.authcid(), Some("a,b=c"));
    assert_eq!(success.identity.authzid(), Some("a,b=c@example.org"));
}

#[test]
fn scram_username_is_prepared() {
    // RFC 7622 localpart: case-mapped, so "Juliet" logs in as "juliet".
    let stored = creds(ScramHash::Sha1, "pw");
    let mut client =
        ScramClient::new(ScramHash::Sha1, "Juliet", "pw", ClientBinding::Unsupported).unwrap();
    let mut server = tls().start("SCRAM-SHA-1").unwrap();
    let End::Ok(success) = run(server.as_mut(), &mut client, Some(&stored)) else {
        panic!()
    };
    assert_eq!(success.identity.authcid(), Some("juliet"));
}

#[test]
fn scram_without_initial_response() {
    let stored = creds(ScramHash::Sha512, "pw");
    let mut client =
        ScramClient::new(ScramHash::Sha512, "romeo", "pw", ClientBinding::Unsupported).unwrap();
    let mut server = tls().start("SCRAM-SHA-512").unwrap();
    assert_eq!(server.step(None), Step::Challenge(Vec::new()));
    let first = client.respond(b"").unwrap();
    let Step::NeedCredentials(_) = server.step(Some(&first)) else {
        panic!()
    };
    let Step::Challenge(sf) = server.provide_credentials(Some(&stored)) else {
        panic!()
    };
    let last = client.respond(&sf).unwrap();
    let Step::Success(s) = server.step(Some(&last)) else {
        panic!()
    };
    client.finish(s.additional_data.as_deref()).unwrap();
}

#[test]
fn scram_sasl_prep_passwords() {
    // Legacy credentials derived with SASLprep; the client prepares the same way.
    let stored = ScramCredentials::derive_with(
        ScramHash::Sha256,
        PasswordPrep::SaslPrep,
        "I\u{00AD}X",
        b"0123456789abcdef",
        4096,
    )
    .unwrap();
    let mut client = ScramClient::new(ScramHash::Sha256, "romeo", "IX", ClientBinding::Unsupported)
        .unwrap()
        .with_password_prep(PasswordPrep::SaslPrep);
    let mut server = tls().start("SCRAM-SHA-256").unwrap();
    assert!(matches!(
        run(server.as_mut(), &mut client, Some(&stored)),
        End::Ok(_)
    ));
}

#[test]
fn plain_against_each_hash() {
    for hash in ScramHash::ALL {
        let stored = creds(hash, "pässword");
        let mut client = PlainClient::new("romeo", "pässword", Some("romeo@example.net")).unwrap();
        let mut server = tls().start("PLAIN").unwrap();
        let End::Ok(success) = run(server.as_mut(), &mut client, Some(&stored)) else {
            panic!("{hash:?}")
        };
        assert_eq!(
            success.identity,
            Identity::User {
                authcid: "romeo".into(),
                authzid: Some("romeo@example.net".into())
            }
        );
        assert_eq!(success.additional_data, None);
    }
}

#[test]
fn plain_without_initial_response_and_saslprep_config() {
    let stored = ScramCredentials::derive_with(
        ScramHash::Sha1,
        PasswordPrep::SaslPrep,
        "pw",
        b"0123456789abcdef",
        4096,
    )
    .unwrap();
    let cfg = config()
        .with_password_prep(PasswordPrep::SaslPrep)
        .with_username_prep(UsernamePrep::SaslPrep);
    let ctx = ServerContext::new(cfg).encrypted(true);
    let mut server = ctx.start("PLAIN").unwrap();
    let mut client = PlainClient::with_prep("Romeo", "pw", None, PasswordPrep::SaslPrep).unwrap();
    assert_eq!(server.step(None), Step::Challenge(Vec::new()));
    let msg = client.respond(b"").unwrap();
    assert_eq!(msg, b"\0Romeo\0pw");
    let Step::NeedCredentials(req) = server.step(Some(&msg)) else {
        panic!()
    };
    assert_eq!((req.username.as_str(), req.hash), ("Romeo", None));
    let Step::Success(s) = server.provide_credentials(Some(&stored)) else {
        panic!()
    };
    assert_eq!(s.identity.authcid(), Some("Romeo"));
}

#[test]
fn external_identities() {
    let one = ServerContext::new(config())
        .encrypted(true)
        .with_peer_identities(vec!["juliet@example.com".into()]);
    let mut server = one.start("EXTERNAL").unwrap();
    let mut client = ExternalClient::new(None).unwrap();
    let End::Ok(s) = run(server.as_mut(), &mut client, None) else {
        panic!()
    };
    assert_eq!(
        s.identity,
        Identity::Certificate {
            authcid: "juliet@example.com".into(),
            authzid: None
        }
    );

    // One identity, another authzid requested: reported for the caller to decide.
    let mut server = one.start("EXTERNAL").unwrap();
    let mut client = ExternalClient::new(Some("admin@example.com")).unwrap();
    let End::Ok(s) = run(server.as_mut(), &mut client, None) else {
        panic!()
    };
    assert_eq!(s.identity.authcid(), Some("juliet@example.com"));
    assert_eq!(s.identity.authzid(), Some("admin@example.com"));

    let two = ServerContext::new(config())
        .with_peer_identities(vec!["a.example".into(), "b.example".into()]);
    let mut server = two.start("EXTERNAL").unwrap();
    let mut client = ExternalClient::new(Some("b.example")).unwrap();
    let End::Ok(s) = run(server.as_mut(), &mut client, None) else {
        panic!()
    };
    assert_eq!(
        s.identity,
        Identity::Certificate {
            authcid: "b.example".into(),
            authzid: Some("b.example".into())
        }
    );

    // Several identities and none chosen, or one not in the certificate.
    for authzid in [None, Some("c.example")] {
        let mut server = two.start("EXTERNAL").unwrap();
        let mut client = ExternalClient::new(authzid).unwrap();
        let End::ServerFailed(f) = run(server.as_mut(), &mut client, None) else {
            panic!()
        };
        assert_eq!(f.condition, waxwing_sasl::Condition::InvalidAuthzid);
    }

    // Absent initial response: empty challenge, then the `=` empty response.
    let mut server = one.start("EXTERNAL").unwrap();
    assert_eq!(server.step(None), Step::Challenge(Vec::new()));
    let Step::Success(_) = server.step(Some(b"")) else {
        panic!()
    };
}

#[test]
fn anonymous_with_and_without_trace() {
    let ctx = ServerContext::new(config()).with_enabled(vec![Mechanism::Anonymous]);
    for trace in [None, Some("sirhc"), Some("user@example.org")] {
        let mut server = ctx.start("ANONYMOUS").unwrap();
        let mut client = AnonymousClient::new(trace).unwrap();
        let End::Ok(s) = run(server.as_mut(), &mut client, None) else {
            panic!()
        };
        assert_eq!(
            s.identity,
            Identity::Anonymous {
                trace: trace.map(str::to_owned)
            }
        );
        assert_eq!(s.identity.authcid(), None);
    }
    let long = "é".repeat(255);
    let mut server = ctx.start("ANONYMOUS").unwrap();
    let mut client = AnonymousClient::new(Some(&long)).unwrap();
    assert!(matches!(
        run(server.as_mut(), &mut client, None),
        End::Ok(_)
    ));
}
