//! waxwing-stanza: the XMPP stanza model on top of the `waxwing-xml` element tree.
//!
//! - [`Stanza`], [`Message`], [`Presence`], [`Iq`]: typed views that own their element, cache
//!   the prepared `to`/`from` and the `type`, and keep payloads verbatim (RFC 6120 §8.1–§8.2,
//!   RFC 6121 §4.7.1 and §5.2.2 for the presence and message types).
//! - [`StanzaError`] with all 22 conditions of RFC 6120 §8.3.3, error replies per §8.3.1;
//!   [`StreamError`] with all 25 conditions of RFC 6120 §4.9.3.
//! - [`ns`]: namespace names, each with its defining document; [`id`]: stream, nonce and stanza
//!   ids from UUIDs (RFC 9562).
//!
//! Protocol only: no I/O.
//!
//! ```
//! use waxwing_stanza::{Stanza, StanzaErrorCondition};
//!
//! let el = waxwing_xml::parse_element(
//!     b"<iq xmlns='jabber:client' from='juliet@example.com/balcony' id='v1' type='get'>\
//!       <query xmlns='jabber:iq:version'/></iq>",
//! )?;
//! let stanza = Stanza::from_element(el)?;
//! assert_eq!(stanza.from().map(|j| j.as_str()), Some("juliet@example.com/balcony"));
//! let reply = stanza.error_reply(&StanzaErrorCondition::ServiceUnavailable.into());
//! let reply = reply.ok_or("errors are never answered")?;
//! assert_eq!(reply.attr("to"), Some("juliet@example.com/balcony"));
//! assert_eq!(reply.attr("type"), Some("error"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod error;
pub mod id;
pub mod ns;
mod stanza;

pub use error::{
    ErrorParseError, ErrorText, StanzaError, StanzaErrorCondition, StanzaErrorType, StreamError,
    StreamErrorCondition, UnknownCondition,
};
pub use stanza::{
    InvalidStanza, Iq, IqType, Message, MessageType, Presence, PresenceType, Stanza,
    StanzaParseError, server_to_client_ns,
};
