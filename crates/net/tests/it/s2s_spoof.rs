//! A peer that authenticated one domain and then speaks for another (RFC 6120 §4.9.3.9,
//! §13.7.1.1): a hand-driven `b.test` over the wire — STARTTLS, SASL EXTERNAL with a test-CA
//! certificate — whose stanza from `b.test` is delivered and whose stanza from `evil.test`
//! ends the stream with `invalid-from` and is never delivered.

use std::collections::HashMap;
use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use waxwing_core::SessionCommand;
use waxwing_net::s2s::resolve::ResolverSettings;

use crate::s2s::{Ca, LIMIT, next_stanza, node, tls_for};

const HEADER: &str = "<?xml version='1.0'?><stream:stream xmlns='jabber:server' \
    xmlns:stream='http://etherx.jabber.org/streams' from='b.test' to='a.test' version='1.0'>";

/// Presents one certificate to every server that asks.
#[derive(Debug)]
struct ClientCert(Arc<CertifiedKey>);

impl ResolvesClientCert for ClientCert {
    fn resolve(&self, _: &[&[u8]], _: &[rustls::SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// Reads until the text received since the last call contains `until` (or the peer closes);
/// returns that text.
async fn read_until<S: AsyncRead + Unpin>(s: &mut S, until: &[&str]) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    tokio::time::timeout(LIMIT, async {
        loop {
            let text = String::from_utf8_lossy(&got);
            if until.iter().any(|u| text.contains(u)) {
                return;
            }
            let n = s.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                return;
            }
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .unwrap();
    String::from_utf8(got).unwrap()
}

async fn send<S: AsyncWrite + Unpin>(s: &mut S, text: &str) {
    s.write_all(text.as_bytes()).await.unwrap();
    s.flush().await.unwrap();
}

const FEATURES_END: &[&str] = &["</stream:features>", "<stream:features/>"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stanza_from_a_domain_the_stream_did_not_authenticate_is_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let ca = Ca::new();
    let dir = tempfile::tempdir().unwrap();
    let ca_path = dir.path().join("ca.pem");
    std::fs::write(&ca_path, &ca.pem).unwrap();
    let resolver = ResolverSettings {
        nameservers: Vec::new(),
        hosts: HashMap::new(),
    };
    let tls = tls_for(ca.leaf("a.test"), "a.test");
    let mut a = node(
        "a.test",
        b"secret-a",
        &tls,
        resolver,
        listener,
        Some(ca_path),
    );
    a.listen();
    let (_juliet, mut mailbox) = a.user("juliet@a.test/balcony").await;

    // Cleartext stream, then STARTTLS (RFC 6120 §5.4).
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    send(&mut tcp, HEADER).await;
    let features = read_until(&mut tcp, FEATURES_END).await;
    assert!(
        features.contains("urn:ietf:params:xml:ns:xmpp-tls"),
        "{features}"
    );
    send(
        &mut tcp,
        "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
    )
    .await;
    let proceed = read_until(&mut tcp, &["<proceed"]).await;
    assert!(proceed.contains("<proceed"), "{proceed}");

    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(ca.pem.as_bytes()).unwrap())
        .unwrap();
    let b_cert = ca.leaf("b.test");
    let config = rustls::ClientConfig::builder_with_provider(waxwing_net::tls::provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_client_cert_resolver(Arc::new(ClientCert(Arc::clone(b_cert.certified_key()))));
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let mut tls = connector
        .connect(ServerName::try_from("a.test").unwrap(), tcp)
        .await
        .unwrap();

    // SASL EXTERNAL for b.test with its certificate (RFC 6120 §6, XEP-0178).
    send(&mut tls, HEADER).await;
    let features = read_until(&mut tls, FEATURES_END).await;
    assert!(features.contains("EXTERNAL"), "{features}");
    send(
        &mut tls,
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='EXTERNAL'>=</auth>",
    )
    .await;
    let success = read_until(&mut tls, &["<success", "<failure"]).await;
    assert!(success.contains("<success"), "{success}");
    send(&mut tls, HEADER).await;
    read_until(&mut tls, FEATURES_END).await;

    // From the authenticated domain: delivered.
    send(
        &mut tls,
        "<message from='romeo@b.test/garden' to='juliet@a.test/balcony' type='chat' id='m1'>\
         <body>honest</body></message>",
    )
    .await;
    let got = next_stanza(&mut mailbox).await;
    assert_eq!(got.attr("id"), Some("m1"));
    assert_eq!(got.attr("from"), Some("romeo@b.test/garden"));

    // From a domain this stream never authenticated: stream error, nothing delivered.
    send(
        &mut tls,
        "<message from='mallory@evil.test/x' to='juliet@a.test/balcony' type='chat' id='m2'>\
         <body>spoofed</body></message>",
    )
    .await;
    let closing = read_until(&mut tls, &["</stream:stream>"]).await;
    assert!(
        closing.contains("<invalid-from xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>")
            || closing.contains("<invalid-from xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\"/>"),
        "{closing}"
    );
    assert!(closing.contains("</stream:stream>"), "{closing}");
    match mailbox.try_recv() {
        None => {}
        Some(SessionCommand::Stanza(el)) => panic!("delivered: {}", el.to_xml()),
        Some(other) => panic!("{other:?}"),
    }
}
