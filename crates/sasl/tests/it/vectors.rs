//! RFC 5802 §5 and RFC 7677 §3 exchanges, reproduced byte for byte on both sides.

use waxwing_sasl::b64::decode_strict;
use waxwing_sasl::{
    ChannelBindings, ClientBinding, ClientMechanism, Identity, ScramClient, ScramCredentials,
    ScramHash, ScramServer, ServerMechanism, Step,
};

use crate::common::config;

struct Vector {
    hash: ScramHash,
    client_nonce: &'static str,
    server_nonce: &'static str,
    salt: &'static str,
    client_first: &'static str,
    server_first: &'static str,
    client_final: &'static str,
    server_final: &'static str,
}

// RFC 5802 §5.
const RFC5802: Vector = Vector {
    hash: ScramHash::Sha1,
    client_nonce: "fyko+d2lbbFgONRv9qkxdawL",
    server_nonce: "3rfcNHYJY1ZVvWVs7j",
    salt: "QSXCR+Q6sek8bf92",
    client_first: "n,,n=user,r=fyko+d2lbbFgONRv9qkxdawL",
    server_first: "r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,s=QSXCR+Q6sek8bf92,i=4096",
    client_final: "c=biws,r=fyko+d2lbbFgONRv9qkxdawL3rfcNHYJY1ZVvWVs7j,p=v0X8v3Bz2T0CJGbJQyF0X+HI4Ts=",
    server_final: "v=rmF9pqV8S7suAoZWja4dJRkFsKQ=",
};

// RFC 7677 §3.
const RFC7677: Vector = Vector {
    hash: ScramHash::Sha256,
    client_nonce: "rOprNGfwEbeRWgbNEkqO",
    server_nonce: "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0",
    salt: "W22ZaJ0SNY7soEsUEjb6gQ==",
    client_first: "n,,n=user,r=rOprNGfwEbeRWgbNEkqO",
    server_first: "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096",
    client_final: "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
    server_final: "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=",
};

fn client_side(v: &Vector) {
    let mut client = ScramClient::new(v.hash, "user", "pencil", ClientBinding::Unsupported)
        .unwrap()
        .with_nonce(v.client_nonce)
        .unwrap();
    assert_eq!(
        client.initial_response().unwrap().unwrap(),
        v.client_first.as_bytes()
    );
    assert_eq!(
        client.respond(v.server_first.as_bytes()).unwrap(),
        v.client_final.as_bytes()
    );
    client.finish(Some(v.server_final.as_bytes())).unwrap();
}

fn server_side(v: &Vector) {
    let salt = decode_strict(v.salt).unwrap();
    let creds = ScramCredentials::derive(v.hash, "pencil", &salt, 4096).unwrap();
    let mut server = ScramServer::new(&config(), v.hash, ChannelBindings::none())
        .with_fixed_nonce(v.server_nonce);
    let Step::NeedCredentials(req) = server.step(Some(v.client_first.as_bytes())) else {
        panic!()
    };
    assert_eq!(req.username, "user");
    assert_eq!(req.authzid, None);
    assert_eq!(req.hash, Some(v.hash));
    assert_eq!(
        server.provide_credentials(Some(&creds)),
        Step::Challenge(v.server_first.as_bytes().to_vec())
    );
    let Step::Success(success) = server.step(Some(v.client_final.as_bytes())) else {
        panic!()
    };
    assert_eq!(
        success.additional_data.as_deref(),
        Some(v.server_final.as_bytes())
    );
    assert_eq!(
        success.identity,
        Identity::User {
            authcid: "user".into(),
            authzid: None
        }
    );
}

#[test]
fn rfc5802_client() {
    client_side(&RFC5802);
}

#[test]
fn rfc5802_server() {
    server_side(&RFC5802);
}

#[test]
fn rfc7677_client() {
    client_side(&RFC7677);
}

#[test]
fn rfc7677_server() {
    server_side(&RFC7677);
}

#[test]
fn client_rejects_tampered_server_signature() {
    for v in [&RFC5802, &RFC7677] {
        let mut client = ScramClient::new(v.hash, "user", "pencil", ClientBinding::Unsupported)
            .unwrap()
            .with_nonce(v.client_nonce)
            .unwrap();
        client.initial_response().unwrap();
        client.respond(v.server_first.as_bytes()).unwrap();
        let mut bad = v.server_final.as_bytes().to_vec();
        bad[2] ^= 0x01;
        assert!(client.finish(Some(&bad)).is_err());
    }
}

#[test]
fn client_accepts_verifier_as_final_challenge() {
    let v = &RFC5802;
    let mut client = ScramClient::new(v.hash, "user", "pencil", ClientBinding::Unsupported)
        .unwrap()
        .with_nonce(v.client_nonce)
        .unwrap();
    client.initial_response().unwrap();
    client.respond(v.server_first.as_bytes()).unwrap();
    assert_eq!(client.respond(v.server_final.as_bytes()).unwrap(), b"");
    client.finish(None).unwrap();
}

#[test]
fn client_reports_server_error() {
    let v = &RFC5802;
    let mut client = ScramClient::new(v.hash, "user", "pencil", ClientBinding::Unsupported)
        .unwrap()
        .with_nonce(v.client_nonce)
        .unwrap();
    client.initial_response().unwrap();
    client.respond(v.server_first.as_bytes()).unwrap();
    assert_eq!(
        client.finish(Some(b"e=invalid-proof")),
        Err(waxwing_sasl::ClientError::Server("invalid-proof".into()))
    );
}

#[test]
fn client_refuses_success_without_verifier() {
    let v = &RFC7677;
    let mut client = ScramClient::new(v.hash, "user", "pencil", ClientBinding::Unsupported)
        .unwrap()
        .with_nonce(v.client_nonce)
        .unwrap();
    client.initial_response().unwrap();
    client.respond(v.server_first.as_bytes()).unwrap();
    assert_eq!(
        client.finish(None),
        Err(waxwing_sasl::ClientError::NotVerified)
    );
}
