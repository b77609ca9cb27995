//! TLS over in-memory pipes: SNI certificate choice, protocol versions, channel bindings.

use std::sync::Arc;

use rustls::pki_types::{CertificateDer, ServerName};
use sha2::Digest as _;
use waxwing_net::tls::{CertEntry, CertResolver, TlsContext, generate_self_signed, provider};
use waxwing_sasl::ChannelBindingType;

fn entry(domain: &str) -> (CertEntry, CertificateDer<'static>) {
    let g = generate_self_signed(&[domain.to_owned()]).unwrap();
    let e = CertEntry::from_pem(g.cert_pem.as_bytes(), g.key_pem.as_bytes(), domain).unwrap();
    let der = e.certified_key().cert[0].clone();
    (e, der)
}

fn client(
    roots: &[CertificateDer<'static>],
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> tokio_rustls::TlsConnector {
    let mut store = rustls::RootCertStore::empty();
    for r in roots {
        store.add(r.clone()).unwrap();
    }
    let cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(versions)
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    tokio_rustls::TlsConnector::from(Arc::new(cfg))
}

struct Handshake {
    server_cb: waxwing_sasl::ChannelBindings,
    client_exporter: Option<Vec<u8>>,
    peer_cert: Vec<u8>,
    alpn: Option<Vec<u8>>,
}

async fn handshake(
    ctx: &TlsContext,
    connector: tokio_rustls::TlsConnector,
    sni: &str,
    direct: bool,
) -> Handshake {
    let (c, s) = tokio::io::duplex(64 * 1024);
    let acceptor = if direct {
        ctx.direct_acceptor()
    } else {
        ctx.starttls_acceptor()
    };
    let server = tokio::spawn(async move { acceptor.accept(s).await.unwrap() });
    let name = ServerName::try_from(sni.to_owned()).unwrap();
    let client = connector.connect(name, c).await.unwrap();
    let server = server.await.unwrap();
    let conn = client.get_ref().1;
    let client_exporter =
        (conn.protocol_version() == Some(rustls::ProtocolVersion::TLSv1_3)).then(|| {
            conn.export_keying_material([0u8; 32], b"EXPORTER-Channel-Binding", Some(&[]))
                .unwrap()
                .to_vec()
        });
    Handshake {
        server_cb: ctx.channel_bindings(server.get_ref().1),
        client_exporter,
        peer_cert: conn.peer_certificates().unwrap()[0].as_ref().to_vec(),
        alpn: server.get_ref().1.alpn_protocol().map(<[u8]>::to_vec),
    }
}

#[tokio::test]
async fn sni_picks_the_domain_certificate_and_bindings_match_the_client() {
    let (a, a_der) = entry("a.example");
    let (b, b_der) = entry("b.example");
    let mut r = CertResolver::new();
    r.add(&["a.example".to_owned()], a);
    r.add(&["b.example".to_owned()], b);
    let ctx = TlsContext::new(r).unwrap();
    let roots = [a_der.clone(), b_der.clone()];
    for (sni, der) in [("a.example", &a_der), ("b.example", &b_der)] {
        let h = handshake(&ctx, client(&roots, &[&rustls::version::TLS13]), sni, false).await;
        assert_eq!(h.peer_cert, der.as_ref(), "{sni}");
        // RFC 5929 §4.1: SHA-256 of the certificate actually presented (ECDSA P-256 SHA-256).
        assert_eq!(
            h.server_cb
                .get(ChannelBindingType::TlsServerEndPoint)
                .unwrap(),
            sha2::Sha256::digest(der.as_ref()).as_slice()
        );
        // RFC 9266: both ends export the same 32 bytes.
        let exp = h.server_cb.get(ChannelBindingType::TlsExporter).unwrap();
        assert_eq!(exp.len(), 32);
        assert_eq!(Some(exp.to_vec()), h.client_exporter);
    }
}

#[tokio::test]
async fn tls12_offers_no_tls_exporter() {
    let (a, a_der) = entry("localhost");
    let mut r = CertResolver::new();
    r.add(&["localhost".to_owned()], a);
    let ctx = TlsContext::new(r).unwrap();
    let h = handshake(
        &ctx,
        client(&[a_der], &[&rustls::version::TLS12]),
        "localhost",
        false,
    )
    .await;
    assert!(h.server_cb.get(ChannelBindingType::TlsExporter).is_none());
    assert!(
        h.server_cb
            .get(ChannelBindingType::TlsServerEndPoint)
            .is_some()
    );
}

#[tokio::test]
async fn direct_tls_negotiates_alpn_xmpp_client() {
    let (a, a_der) = entry("localhost");
    let mut r = CertResolver::new();
    r.add(&["localhost".to_owned()], a);
    let ctx = TlsContext::new(r).unwrap();
    let mut store = rustls::RootCertStore::empty();
    store.add(a_der).unwrap();
    let mut cfg = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(store)
        .with_no_client_auth();
    cfg.alpn_protocols = vec![b"xmpp-client".to_vec()];
    let h = handshake(
        &ctx,
        tokio_rustls::TlsConnector::from(Arc::new(cfg)),
        "localhost",
        true,
    )
    .await;
    assert_eq!(h.alpn.as_deref(), Some(&b"xmpp-client"[..]));
}

#[tokio::test]
async fn empty_resolver_is_an_error() {
    assert!(TlsContext::new(CertResolver::new()).is_err());
}
