//! The byte stream of an s2s connection: cleartext until STARTTLS, then TLS as client or
//! server.

use rustls_pki_types::CertificateDer;
use tokio_rustls::TlsStream;

use crate::Transport;
use crate::io::Io;

/// Cleartext or TLS (as client or server) over `S`.
pub(crate) type S2sIo<S> = Io<S, TlsStream<S>>;

impl<S: Transport> S2sIo<S> {
    /// The peer's certificate chain, end entity first (empty without TLS or certificate).
    pub(crate) fn peer_chain(&self) -> Vec<CertificateDer<'static>> {
        let certs = match self {
            Self::Tls(t) => match t.as_ref() {
                TlsStream::Client(c) => c.get_ref().1.peer_certificates(),
                TlsStream::Server(s) => s.get_ref().1.peer_certificates(),
            },
            _ => None,
        };
        certs
            .map(|c| c.iter().map(|d| d.clone().into_owned()).collect())
            .unwrap_or_default()
    }
}
