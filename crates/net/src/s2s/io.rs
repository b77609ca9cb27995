//! The byte stream of an s2s connection: cleartext until STARTTLS, then TLS as client or
//! server.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use rustls_pki_types::CertificateDer;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::TlsStream;

use crate::Transport;

/// Cleartext or TLS over `S`.
pub(crate) enum S2sIo<S> {
    Plain(S),
    Tls(Box<TlsStream<S>>),
    /// Only while the TLS handshake owns the stream.
    Taken,
}

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

fn taken() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "stream taken by the TLS handshake",
    )
}

impl<S: Transport> AsyncRead for S2sIo<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
            Self::Taken => Poll::Ready(Err(taken())),
        }
    }
}

impl<S: Transport> AsyncWrite for S2sIo<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
            Self::Taken => Poll::Ready(Err(taken())),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
            Self::Taken => Poll::Ready(Err(taken())),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
            Self::Taken => Poll::Ready(Err(taken())),
        }
    }
}
