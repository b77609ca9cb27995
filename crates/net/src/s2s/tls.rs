//! TLS configurations for s2s: the receiving side asks for (but does not require) the
//! peer's certificate, the initiating side presents ours and accepts any server
//! certificate at the handshake. Neither decides trust at the TLS layer: the negotiators
//! need to know *which* domains a certificate authenticates, to choose between SASL
//! EXTERNAL and dialback, so [`super::cert::CertVerifier`] judges the chain afterwards.
//! Handshake signatures are still verified, so the peer proves it holds the key.

use std::fmt;
use std::sync::Arc;

use rustls::client::ResolvesClientCert;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::sign::CertifiedKey;
use rustls::{
    ClientConfig, DigitallySignedStruct, DistinguishedName, ServerConfig, SignatureScheme,
};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::tls::{CertResolver, TlsError, provider, server_config};

/// ALPN protocol id for direct TLS s2s (XEP-0368 §3).
pub const ALPN_XMPP_SERVER: &[u8] = b"xmpp-server";

/// Accepts any certificate chain; verifies handshake signatures.
#[derive(Debug)]
struct AnyCert;

fn algs() -> rustls::crypto::WebPkiSupportedAlgorithms {
    provider().signature_verification_algorithms
}

impl ClientCertVerifier for AnyCert {
    fn offer_client_auth(&self) -> bool {
        true
    }

    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &algs())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &algs())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        algs().supported_schemes()
    }
}

impl ServerCertVerifier for AnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &algs())
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &algs())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        algs().supported_schemes()
    }
}

/// Always presents one certificate.
struct OneCert(Arc<CertifiedKey>);

impl fmt::Debug for OneCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OneCert")
    }
}

impl ResolvesClientCert for OneCert {
    fn resolve(
        &self,
        _root_hint_subjects: &[&[u8]],
        _sigschemes: &[SignatureScheme],
    ) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(&self.0))
    }

    fn has_certs(&self) -> bool {
        true
    }
}

/// The s2s TLS side: server configurations for STARTTLS and direct TLS, and client
/// configurations per local domain.
#[derive(Clone)]
pub struct S2sTls {
    resolver: Arc<CertResolver>,
    starttls: Arc<ServerConfig>,
    direct: Arc<ServerConfig>,
}

impl fmt::Debug for S2sTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S2sTls").finish_non_exhaustive()
    }
}

impl S2sTls {
    /// Builds the server configurations over the same certificates as c2s.
    pub fn new(resolver: Arc<CertResolver>) -> Result<Self, TlsError> {
        let build = |alpn: Vec<Vec<u8>>| server_config(&resolver, Some(Arc::new(AnyCert)), alpn);
        Ok(Self {
            starttls: build(Vec::new())?,
            direct: build(vec![ALPN_XMPP_SERVER.to_vec()])?,
            resolver,
        })
    }

    /// Acceptor for inbound STARTTLS.
    pub fn starttls_acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.starttls))
    }

    /// Acceptor for inbound direct TLS (ALPN `xmpp-server`).
    pub fn direct_acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.direct))
    }

    /// A connector presenting `local`'s certificate (if we have one), with ALPN
    /// `xmpp-server` for direct TLS.
    pub fn connector(
        &self,
        local: &str,
        direct: bool,
    ) -> Result<tokio_rustls::TlsConnector, TlsError> {
        let builder = ClientConfig::builder_with_provider(provider())
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyCert));
        let mut cfg = match self.resolver.lookup(Some(local)) {
            Some(e) => {
                builder.with_client_cert_resolver(Arc::new(OneCert(Arc::clone(e.certified_key()))))
            }
            None => builder.with_no_client_auth(),
        };
        if direct {
            cfg.alpn_protocols = vec![ALPN_XMPP_SERVER.to_vec()];
        }
        Ok(tokio_rustls::TlsConnector::from(Arc::new(cfg)))
    }
}
