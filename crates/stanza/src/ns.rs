//! Namespace names used by XMPP core and the extensions Waxwing implements.
//!
//! Each constant cites the document that defines it, so a reader can check the exact spelling
//! against the registry of record (RFC text, or the XEP's "XML Schema"/"Namespaces" section).

// ---- RFC 6120: XMPP Core ----

/// Content namespace for client-to-server streams (RFC 6120 §4.8.3).
pub const CLIENT: &str = "jabber:client";
/// Content namespace for server-to-server streams (RFC 6120 §4.8.3).
pub const SERVER: &str = "jabber:server";
/// Stream namespace of `<stream:stream/>`, `<stream:features/>` and `<stream:error/>`
/// (RFC 6120 §4.8.1).
pub const STREAM: &str = "http://etherx.jabber.org/streams";
/// Defined stream error conditions and their `<text/>` (RFC 6120 §4.9.2).
pub const XMPP_STREAMS: &str = "urn:ietf:params:xml:ns:xmpp-streams";
/// Defined stanza error conditions and their `<text/>` (RFC 6120 §8.3.2).
pub const XMPP_STANZAS: &str = "urn:ietf:params:xml:ns:xmpp-stanzas";
/// STARTTLS negotiation (RFC 6120 §5).
pub const XMPP_TLS: &str = "urn:ietf:params:xml:ns:xmpp-tls";
/// SASL negotiation (RFC 6120 §6).
pub const XMPP_SASL: &str = "urn:ietf:params:xml:ns:xmpp-sasl";
/// Resource binding (RFC 6120 §7).
pub const XMPP_BIND: &str = "urn:ietf:params:xml:ns:xmpp-bind";
/// Legacy session establishment (RFC 3921 §3). RFC 6121 dropped it, but old clients still send
/// it, so servers advertise it as `<optional/>` (draft-cridland-xmpp-session-01).
pub const XMPP_SESSION: &str = "urn:ietf:params:xml:ns:xmpp-session";

// ---- RFC 6121 and RFC 7395 ----

/// Roster management (RFC 6121 §2.1).
pub const ROSTER: &str = "jabber:iq:roster";
/// WebSocket framing: `<open/>` and `<close/>` (RFC 7395 §3.3).
pub const FRAMING: &str = "urn:ietf:params:xml:ns:xmpp-framing";

// ---- XMPP Extension Protocols ----

/// Service discovery, information (XEP-0030 §3).
pub const DISCO_INFO: &str = "http://jabber.org/protocol/disco#info";
/// Service discovery, items (XEP-0030 §4).
pub const DISCO_ITEMS: &str = "http://jabber.org/protocol/disco#items";
/// vcard-temp (XEP-0054).
pub const VCARD_TEMP: &str = "vcard-temp";
/// Chat state notifications (XEP-0085).
pub const CHATSTATES: &str = "http://jabber.org/protocol/chatstates";
/// Software version (XEP-0092).
pub const VERSION: &str = "jabber:iq:version";
/// Content namespace of external component streams (XEP-0114).
pub const COMPONENT_ACCEPT: &str = "jabber:component:accept";
/// Offline message storage disco feature (XEP-0160 §4; a feature name, not a namespace).
pub const MSGOFFLINE: &str = "msgoffline";
/// Message delivery receipts (XEP-0184).
pub const RECEIPTS: &str = "urn:xmpp:receipts";
/// Blocking command (XEP-0191).
pub const BLOCKING: &str = "urn:xmpp:blocking";
/// Blocking command's application error condition `<blocked/>` (XEP-0191).
pub const BLOCKING_ERRORS: &str = "urn:xmpp:blocking:errors";
/// Stream management, version 3 (XEP-0198).
pub const SM: &str = "urn:xmpp:sm:3";
/// XMPP ping (XEP-0199).
pub const PING: &str = "urn:xmpp:ping";
/// Entity time (XEP-0202).
pub const TIME: &str = "urn:xmpp:time";
/// Delayed delivery (XEP-0203).
pub const DELAY: &str = "urn:xmpp:delay";
/// Server dialback (XEP-0220).
pub const DIALBACK: &str = "jabber:server:dialback";
/// Dialback stream feature (XEP-0220).
pub const DIALBACK_FEATURE: &str = "urn:xmpp:features:dialback";
/// Message carbons, version 2 (XEP-0280).
pub const CARBONS: &str = "urn:xmpp:carbons:2";
/// Message archive management, version 2 (XEP-0313).
pub const MAM: &str = "urn:xmpp:mam:2";
/// Chat markers (XEP-0333).
pub const CHAT_MARKERS: &str = "urn:xmpp:chat-markers:0";
/// Message processing hints (XEP-0334).
pub const HINTS: &str = "urn:xmpp:hints";
/// Client state indication (XEP-0352).
pub const CSI: &str = "urn:xmpp:csi:0";
/// Unique and stable stanza ids (XEP-0359).
pub const STANZA_ID: &str = "urn:xmpp:sid:0";
/// SASL channel-binding type capability (XEP-0440).
pub const SASL_CB: &str = "urn:xmpp:sasl-cb:0";

/// The content namespaces in which `<message/>`, `<presence/>` and `<iq/>` are stanzas
/// (RFC 6120 §4.8.3, XEP-0114).
pub const STANZA_NAMESPACES: [&str; 3] = [CLIENT, SERVER, COMPONENT_ACCEPT];
