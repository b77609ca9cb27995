//! The connection's byte stream: cleartext until STARTTLS, TLS after; generic over the
//! underlying transport so TCP sockets and `tokio::io::duplex` pipes share the code, and over
//! the TLS stream type (server side for c2s, either side for s2s).

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_rustls::server::TlsStream;

/// Any byte stream a connection can run on.
pub trait Transport: AsyncRead + AsyncWrite + Unpin + Send + 'static {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + 'static> Transport for T {}

/// Cleartext or TLS (`T`) over `S`.
pub(crate) enum Io<S, T = TlsStream<S>> {
    Plain(S),
    Tls(Box<T>),
    /// Only while the TLS handshake owns the stream; never polled.
    Taken,
}

fn taken() -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        "stream taken by the TLS handshake",
    )
}

impl<S: Transport, T: AsyncRead + AsyncWrite + Unpin> AsyncRead for Io<S, T> {
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

impl<S: Transport, T: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Io<S, T> {
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
