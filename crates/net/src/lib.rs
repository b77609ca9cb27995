//! waxwing-net: the network side of client-to-server XMPP.
//!
//! - [`tls`]: rustls 0.23 over aws-lc-rs, TLS 1.2 and 1.3 only (RFC 7590 §3.1), certificates
//!   per virtual host by SNI (RFC 6066 §3), self-signed certificate generation, and the
//!   channel bindings SASL -PLUS uses: `tls-exporter` (RFC 9266) and `tls-server-end-point`
//!   (RFC 5929 §4).
//! - [`c2s`]: one task per connection driving the sans-I/O [`waxwing_stream::C2sNegotiator`]
//!   (RFC 6120 §4–§7): STARTTLS (RFC 6120 §5.4), direct TLS (XEP-0368, ALPN `xmpp-client`),
//!   credentials look-up for SASL (§6), resource binding through the core session registry
//!   (§7), then stanzas to [`waxwing_core::Server::route_from_client`] (§8, §10) and from the
//!   session mailbox back to the client. Negotiation timeout (`connection-timeout`,
//!   §4.9.3.4), the closing handshake (§4.4) and `system-shutdown` (§4.9.3.20).
//! - [`listener`]: TCP accept loops.
//! - [`s2s`]: server-to-server streams (RFC 6120, XEP-0220 dialback, XEP-0178 SASL EXTERNAL,
//!   XEP-0368 direct TLS), DNS SRV resolution and peer certificate checks.
//!
//! The connection code is generic over the byte stream ([`Transport`]), so tests run it over
//! `tokio::io::duplex` pipes with the same code paths as TCP.

pub mod accounts;
pub mod c2s;
mod io;
pub mod listener;
pub mod s2s;
pub mod tls;

pub use accounts::StorageAccounts;
pub use c2s::{
    BoxFuture, C2sService, C2sServiceBuilder, ConnMode, CredentialSource, ShutdownHandle, Timeouts,
};
pub use io::Transport;
pub use s2s::{S2sService, S2sSettings};
pub use tls::{CertEntry, CertResolver, TlsContext, TlsError};
