//! Peer certificate identity for s2s (RFC 6120 §13.7.2, RFC 6125 §6.4): DNS-ID with the
//! wildcard rule, SRV-ID (`_xmpp-server.`), XmppAddr; the Common Name is never used.
//!
//! The fixtures in `fixtures/s2s/` were made with the openssl CLI (rcgen cannot encode
//! SRVName): a P-256 CA, and leaves signed by it with the serverAuth usage only and
//! `CN=ignored.test`:
//! `openssl x509 -req ... -extfile` with `subjectAltName=otherName:1.3.6.1.5.5.7.8.7;IA5STRING:_xmpp-server.srv.test`
//! (`srv.pem`), `otherName:1.3.6.1.5.5.7.8.5;UTF8:xmpp.test` (`xmppaddr.pem`) and
//! `DNS:*.wild.test` (`wildcard.pem`), valid for 100 years.

use std::path::PathBuf;

use rustls_pki_types::CertificateDer;
use rustls_pki_types::pem::PemObject;
use waxwing_net::s2s::cert::{CertVerifier, other_names};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/it/fixtures/s2s")
        .join(name)
}

fn chain(name: &str) -> Vec<CertificateDer<'static>> {
    vec![CertificateDer::from_pem_file(fixture(name)).unwrap()]
}

fn verifier() -> CertVerifier {
    CertVerifier::new(&[fixture("ca.pem")], false).unwrap()
}

#[test]
fn srv_id_matches_its_domain_only() {
    let v = verifier();
    let c = chain("srv.pem");
    assert_eq!(other_names(&c[0]).srv, ["srv.test"]);
    assert!(v.authenticates(&c, "srv.test"));
    assert!(!v.authenticates(&c, "other.test"));
    assert!(
        !v.authenticates(&c, "ignored.test"),
        "CN is not an identity"
    );
}

#[test]
fn xmpp_addr_matches() {
    let v = verifier();
    let c = chain("xmppaddr.pem");
    assert_eq!(other_names(&c[0]).xmpp_addrs, ["xmpp.test"]);
    assert!(v.authenticates(&c, "xmpp.test"));
    assert!(v.authenticates(&c, "XMPP.test"));
    assert!(!v.authenticates(&c, "sub.xmpp.test"));
}

#[test]
fn wildcard_dns_id_covers_one_label() {
    let v = verifier();
    let c = chain("wildcard.pem");
    assert!(v.authenticates(&c, "chat.wild.test"));
    assert!(!v.authenticates(&c, "wild.test"));
    assert!(!v.authenticates(&c, "a.b.wild.test"));
}

#[test]
fn untrusted_chain_fails_even_with_matching_name() {
    // No anchors at all, then an unrelated CA.
    let none = CertVerifier::new(&[], false).unwrap();
    assert!(!none.authenticates(&chain("srv.pem"), "srv.test"));
    let dir = tempfile::tempdir().unwrap();
    let other = waxwing_net::tls::generate_self_signed(&["srv.test".to_owned()]).unwrap();
    let path = dir.path().join("other.pem");
    std::fs::write(&path, other.cert_pem).unwrap();
    let v = CertVerifier::new(&[path], false).unwrap();
    let err = v.check(&chain("srv.pem"), "srv.test").unwrap_err();
    assert!(err.contains("issuer") || err.contains("Unknown"), "{err}");
    assert!(!v.authenticates(&[], "srv.test"));
}
