//! Typed views over `<message/>`, `<presence/>` and `<iq/>` (RFC 6120 §8, RFC 6121 §4.7, §5.2).
//!
//! A view owns the stanza's [`Element`] and caches what routing needs (`to`, `from`, `type`), so
//! the payload is never re-parsed and unknown extensions stay exactly as received: a server must
//! route children it has never heard of. The element's attributes are kept verbatim too (a `to`
//! of `Juliet@Example.com` stays so on the wire); the cache holds the prepared [`Jid`].

use std::fmt;

use bytestring::ByteString;
use waxwing_jid::{Jid, JidError, Profile};
use waxwing_xml::{Element, Node, XML_NS};

use crate::error::{ErrorParseError, StanzaError, StanzaErrorCondition};
use crate::ns;

// ------------------------------------------------------------------------------------------------
// Types
// ------------------------------------------------------------------------------------------------

/// The `type` of a `<message/>` (RFC 6121 §5.2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum MessageType {
    /// One-to-one chat.
    Chat,
    /// An error (RFC 6120 §8.3).
    Error,
    /// Multi-user chat.
    Groupchat,
    /// An alert or notice; no reply expected.
    Headline,
    /// Standalone message; also the meaning of an absent or unknown `type` (RFC 6121 §5.2.2).
    Normal,
}

impl MessageType {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Chat => "chat",
            Self::Error => "error",
            Self::Groupchat => "groupchat",
            Self::Headline => "headline",
            Self::Normal => "normal",
        }
    }

    /// Reads the attribute: absent or unknown values mean `normal` (RFC 6121 §5.2.2).
    pub fn from_attr(value: Option<&str>) -> Self {
        match value {
            Some("chat") => Self::Chat,
            Some("error") => Self::Error,
            Some("groupchat") => Self::Groupchat,
            Some("headline") => Self::Headline,
            _ => Self::Normal,
        }
    }
}

/// The `type` of a `<presence/>` (RFC 6121 §4.7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PresenceType {
    /// No `type` attribute: the sender is available.
    Available,
    /// The sender is no longer available.
    Unavailable,
    /// Request to subscribe to the recipient's presence.
    Subscribe,
    /// The sender allows the recipient to receive its presence.
    Subscribed,
    /// Request to unsubscribe from the recipient's presence.
    Unsubscribe,
    /// A subscription request is denied or a subscription cancelled.
    Unsubscribed,
    /// Request for the current presence (sent by servers).
    Probe,
    /// An error (RFC 6120 §8.3).
    Error,
}

impl PresenceType {
    /// The wire form; `None` for [`PresenceType::Available`], which has none.
    pub fn as_str(self) -> Option<&'static str> {
        Some(match self {
            Self::Available => return None,
            Self::Unavailable => "unavailable",
            Self::Subscribe => "subscribe",
            Self::Subscribed => "subscribed",
            Self::Unsubscribe => "unsubscribe",
            Self::Unsubscribed => "unsubscribed",
            Self::Probe => "probe",
            Self::Error => "error",
        })
    }

    /// Reads the attribute; an unknown value is `None` (a `bad-request`).
    pub fn from_attr(value: Option<&str>) -> Option<Self> {
        Some(match value {
            None => Self::Available,
            Some("unavailable") => Self::Unavailable,
            Some("subscribe") => Self::Subscribe,
            Some("subscribed") => Self::Subscribed,
            Some("unsubscribe") => Self::Unsubscribe,
            Some("unsubscribed") => Self::Unsubscribed,
            Some("probe") => Self::Probe,
            Some("error") => Self::Error,
            Some(_) => return None,
        })
    }
}

/// The `type` of an `<iq/>` (RFC 6120 §8.2.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum IqType {
    /// Request for information.
    Get,
    /// Request to change something.
    Set,
    /// Successful response.
    Result,
    /// Error response.
    Error,
}

impl IqType {
    /// The wire form.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Get => "get",
            Self::Set => "set",
            Self::Result => "result",
            Self::Error => "error",
        }
    }

    /// Reads the attribute; a missing or unknown value is `None` (a `bad-request`).
    pub fn from_attr(value: Option<&str>) -> Option<Self> {
        Some(match value? {
            "get" => Self::Get,
            "set" => Self::Set,
            "result" => Self::Result,
            "error" => Self::Error,
            _ => return None,
        })
    }

    /// Whether this is a request (`get` or `set`), which MUST be answered (RFC 6120 §8.2.3).
    pub fn is_request(self) -> bool {
        matches!(self, Self::Get | Self::Set)
    }
}

// ------------------------------------------------------------------------------------------------
// Parse errors
// ------------------------------------------------------------------------------------------------

/// What is wrong with an element offered as a stanza.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InvalidStanza {
    /// Not `message`, `presence` or `iq` in a stanza content namespace: a stream-level problem
    /// (`unsupported-stanza-type`, RFC 6120 §4.9.3.24), not a stanza error.
    #[error("not a stanza: {{{ns}}}{name}")]
    NotAStanza {
        /// Namespace of the element.
        ns: String,
        /// Local name of the element.
        name: String,
    },
    /// A `to` or `from` that is not a valid JID (`jid-malformed`, RFC 6120 §8.3.3.8).
    #[error("malformed '{attr}' address")]
    MalformedAddress {
        /// `"to"` or `"from"`.
        attr: &'static str,
        /// Why the JID was rejected.
        #[source]
        source: JidError,
    },
    /// A presence `type` not in RFC 6121 §4.7.1, or an IQ `type` not in RFC 6120 §8.2.3.
    #[error("unknown type {0:?}")]
    UnknownType(String),
    /// An IQ without `type` (RFC 6120 §8.2.3: REQUIRED).
    #[error("IQ without a type")]
    IqWithoutType,
    /// An IQ without `id` (RFC 6120 §8.2.3: REQUIRED).
    #[error("IQ without an id")]
    IqWithoutId,
    /// A `get` or `set` IQ without exactly one child element (RFC 6120 §8.2.3).
    #[error("IQ request must contain exactly one child element")]
    IqRequestPayload,
    /// A `result` IQ with more than one child element (RFC 6120 §8.2.3).
    #[error("IQ result must contain zero or one child element")]
    IqResultPayload,
    /// An `error` IQ without an `<error/>` child (RFC 6120 §8.2.3, §8.3.1).
    #[error("IQ error without an <error/> child")]
    IqErrorWithoutError,
}

/// An element that could not be viewed as a stanza, handed back with what to answer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct StanzaParseError {
    reason: InvalidStanza,
    element: Box<Element>,
}

impl StanzaParseError {
    /// What is wrong.
    pub fn reason(&self) -> &InvalidStanza {
        &self.reason
    }

    /// The element as received.
    pub fn element(&self) -> &Element {
        &self.element
    }

    /// Takes the element back.
    pub fn into_element(self) -> Element {
        *self.element
    }

    /// The stanza error to answer with; `None` when the element is not a stanza at all (see
    /// [`StanzaParseError::stream_error`]).
    pub fn stanza_error(&self) -> Option<StanzaError> {
        match &self.reason {
            InvalidStanza::NotAStanza { .. } => None,
            InvalidStanza::MalformedAddress { .. } => {
                Some(StanzaError::new(StanzaErrorCondition::JidMalformed))
            }
            InvalidStanza::UnknownType(_)
            | InvalidStanza::IqWithoutType
            | InvalidStanza::IqWithoutId
            | InvalidStanza::IqRequestPayload
            | InvalidStanza::IqResultPayload
            | InvalidStanza::IqErrorWithoutError => {
                Some(StanzaError::new(StanzaErrorCondition::BadRequest))
            }
        }
    }

    /// The stream error to close the stream with, when the element is not a stanza
    /// (`unsupported-stanza-type`, RFC 6120 §4.9.3.24).
    pub fn stream_error(&self) -> Option<crate::StreamErrorCondition> {
        match self.reason {
            InvalidStanza::NotAStanza { .. } => {
                Some(crate::StreamErrorCondition::UnsupportedStanzaType)
            }
            _ => None,
        }
    }

    /// Whether an error reply may be sent: never to an error stanza, to prevent loops
    /// (RFC 6120 §8.3.1), and never for something that is not a stanza.
    pub fn reply_allowed(&self) -> bool {
        self.stanza_error().is_some() && self.element.attr("type") != Some("error")
    }

    /// The error reply to send back, if one is allowed ([`StanzaParseError::reply_allowed`]).
    ///
    /// Addresses are swapped from the raw attributes; one that is not a valid JID is left out
    /// rather than echoed. The original payload is included (RFC 6120 §8.3.1 allows it): it
    /// passed the XML layer, so it is well-formed and within limits.
    pub fn error_reply(&self) -> Option<Element> {
        if !self.reply_allowed() {
            return None;
        }
        let err = self.stanza_error()?;
        let valid = |attr| self.element.attr(attr).filter(|v| Jid::parse(v).is_ok());
        let mut reply = reply_head(&self.element, valid("from"), valid("to"), "error");
        copy_payload(&self.element, &mut reply);
        reply.append_child(err.to_element_in(self.element.ns()));
        Some(reply)
    }
}

// ------------------------------------------------------------------------------------------------
// Shared parts
// ------------------------------------------------------------------------------------------------

/// Starts a reply: same name and namespace, `to` and `from` as given (the caller swaps them),
/// same `id` (RFC 6120 §8.2.3, §8.3.1), the given `type`, and the same `xml:lang`.
fn reply_head(original: &Element, to: Option<&str>, from: Option<&str>, type_: &str) -> Element {
    let mut r = Element::new(original.ns_str().clone(), original.name_str().clone());
    if let Some(from) = from {
        r.set_attr("from", from.to_owned());
    }
    if let Some(to) = to {
        r.set_attr("to", to.to_owned());
    }
    if let Some(id) = original.attr_str("id") {
        r.set_attr("id", id.clone());
    }
    r.set_attr("type", type_);
    if let Some(lang) = original.lang() {
        r.set_attr_ns(XML_NS, "lang", lang.to_owned());
    }
    r
}

/// Copies the original children into an error reply, except an `<error/>` of the original.
fn copy_payload(original: &Element, reply: &mut Element) {
    let error_ns = original.ns();
    reply.nodes_mut().extend(
        original
            .nodes()
            .iter()
            .filter(|n| !matches!(n, Node::Element(e) if e.is("error", error_ns)))
            .cloned(),
    );
}

fn parse_addr(
    el: &Element,
    attr: &'static str,
    profile: Profile,
) -> Result<Option<Jid>, InvalidStanza> {
    match el.attr(attr) {
        None => Ok(None),
        Some(v) => Jid::parse_with(v, profile)
            .map(Some)
            .map_err(|source| InvalidStanza::MalformedAddress { attr, source }),
    }
}

/// The parts every view shares: the element and the prepared addresses.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Common {
    el: Element,
    to: Option<Jid>,
    from: Option<Jid>,
}

impl Common {
    fn parse(el: &Element, profile: Profile) -> Result<(Option<Jid>, Option<Jid>), InvalidStanza> {
        Ok((
            parse_addr(el, "to", profile)?,
            parse_addr(el, "from", profile)?,
        ))
    }

    fn set_addr(&mut self, attr: &str, jid: Option<&Jid>) {
        match jid {
            Some(j) => self.el.set_attr(attr.to_owned(), j.as_str().to_owned()),
            None => {
                self.el.remove_attr(attr);
            }
        }
    }

    fn reply(&self, type_: &str) -> Element {
        reply_head(
            &self.el,
            self.from.as_ref().map(Jid::as_str),
            self.to.as_ref().map(Jid::as_str),
            type_,
        )
    }

    fn error_reply(&self, err: &StanzaError, payload: Payload) -> Element {
        let mut reply = self.reply("error");
        if payload == Payload::Include {
            copy_payload(&self.el, &mut reply);
        }
        reply.append_child(err.to_element_in(self.el.ns()));
        reply
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Payload {
    Include,
    Omit,
}

macro_rules! common_view {
    ($View:ident, $name:literal, $is_error:expr) => {
        impl $View {
            /// The prepared `to` address.
            pub fn to(&self) -> Option<&Jid> {
                self.c.to.as_ref()
            }

            /// The prepared `from` address.
            pub fn from(&self) -> Option<&Jid> {
                self.c.from.as_ref()
            }

            /// The `id` attribute.
            pub fn id(&self) -> Option<&str> {
                self.c.el.attr("id")
            }

            /// The `xml:lang` attribute (RFC 6120 §8.1.5).
            pub fn lang(&self) -> Option<&str> {
                self.c.el.lang()
            }

            /// Sets or removes `to`, in the element and the cache.
            pub fn set_to(&mut self, to: Option<Jid>) {
                self.c.set_addr("to", to.as_ref());
                self.c.to = to;
            }

            /// Sets or removes `from`, in the element and the cache (e.g. the server stamping
            /// the sender's full JID, RFC 6120 §8.1.2.1).
            pub fn set_from(&mut self, from: Option<Jid>) {
                self.c.set_addr("from", from.as_ref());
                self.c.from = from;
            }

            /// Sets or removes `id`.
            pub fn set_id(&mut self, id: Option<&str>) {
                match id {
                    Some(id) => self.c.el.set_attr("id", id.to_owned()),
                    None => {
                        self.c.el.remove_attr("id");
                    }
                }
            }

            /// Sets or removes `xml:lang`.
            pub fn set_lang(&mut self, lang: Option<&str>) {
                match lang {
                    Some(lang) => self.c.el.set_attr_ns(XML_NS, "lang", lang.to_owned()),
                    None => self
                        .c
                        .el
                        .attrs_mut()
                        .retain(|a| !(a.ns.as_deref() == Some(XML_NS) && &*a.name == "lang")),
                }
            }

            /// The whole element, as received or built.
            pub fn element(&self) -> &Element {
                &self.c.el
            }

            /// The element, for payload access. Change `to`, `from` and `type` through the
            /// view's setters only, or the cached values go stale.
            pub fn element_mut(&mut self) -> &mut Element {
                &mut self.c.el
            }

            /// Gives the element back.
            pub fn into_element(self) -> Element {
                self.c.el
            }

            /// The `<error/>` child, read, if the stanza has one (RFC 6120 §8.3.2).
            pub fn error(&self) -> Option<Result<StanzaError, ErrorParseError>> {
                self.c
                    .el
                    .get_child("error", self.c.el.ns())
                    .map(StanzaError::from_element)
            }

            /// An error reply (RFC 6120 §8.3.1): `to` and `from` swapped (absent ones stay
            /// absent), same `id` and `xml:lang`, `type='error'`, the original payload, then the
            /// `<error/>` element. `None` if this stanza is itself an error: errors are never
            /// answered with errors.
            pub fn error_reply(&self, err: &StanzaError) -> Option<Element> {
                (!$is_error(self)).then(|| self.c.error_reply(err, Payload::Include))
            }

            /// As [`Self::error_reply`] but without the original payload, for errors caused by
            /// the payload itself (e.g. its size, RFC 6120 §8.3.1).
            pub fn error_reply_without_payload(&self, err: &StanzaError) -> Option<Element> {
                (!$is_error(self)).then(|| self.c.error_reply(err, Payload::Omit))
            }

            /// Views `el`, preparing addresses with the RFC 7622 profile.
            pub fn from_element(el: Element) -> Result<Self, StanzaParseError> {
                Self::from_element_with(el, Profile::Precis)
            }

            /// Views `el`, preparing addresses with `profile`.
            pub fn from_element_with(
                el: Element,
                profile: Profile,
            ) -> Result<Self, StanzaParseError> {
                if el.name() != $name || !ns::STANZA_NAMESPACES.contains(&el.ns()) {
                    return Err(not_a_stanza(el));
                }
                match Self::check(&el, profile) {
                    Ok((to, from, type_)) => Ok(Self {
                        c: Common { el, to, from },
                        type_,
                    }),
                    Err(reason) => Err(StanzaParseError {
                        reason,
                        element: Box::new(el),
                    }),
                }
            }
        }

        impl fmt::Display for $View {
            /// A short description for logs, without the payload (which may be private).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str($name)?;
                if let Some(from) = &self.c.from {
                    write!(f, " from={from}")?;
                }
                if let Some(to) = &self.c.to {
                    write!(f, " to={to}")?;
                }
                if let Some(id) = self.id() {
                    write!(f, " id={id:?}")?;
                }
                Ok(())
            }
        }

        impl From<$View> for Element {
            fn from(v: $View) -> Element {
                v.into_element()
            }
        }
    };
}

fn not_a_stanza(el: Element) -> StanzaParseError {
    let reason = InvalidStanza::NotAStanza {
        ns: el.ns().to_owned(),
        name: el.name().to_owned(),
    };
    StanzaParseError {
        reason,
        element: Box::new(el),
    }
}

// ------------------------------------------------------------------------------------------------
// Message
// ------------------------------------------------------------------------------------------------

/// A `<message/>` stanza (RFC 6121 §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    c: Common,
    type_: MessageType,
}

common_view!(Message, "message", |m: &Message| m.type_
    == MessageType::Error);

impl Message {
    /// An empty `<message/>` in `jabber:client` of type `type_`.
    pub fn new(type_: MessageType) -> Self {
        let mut m = Self {
            c: Common {
                el: Element::new(ns::CLIENT, "message"),
                to: None,
                from: None,
            },
            type_,
        };
        m.set_type(type_);
        m
    }

    /// The type; absent or unknown values read as [`MessageType::Normal`].
    pub fn type_(&self) -> MessageType {
        self.type_
    }

    /// Sets the `type` attribute.
    pub fn set_type(&mut self, type_: MessageType) {
        self.c.el.set_attr("type", type_.as_str());
        self.type_ = type_;
    }

    /// The text of a `<body/>` (RFC 6121 §5.2.3): the first one without its own `xml:lang`
    /// (so in the stanza's language), else the first.
    pub fn body(&self) -> Option<std::borrow::Cow<'_, str>> {
        let ns = self.c.el.ns();
        let mut bodies = self.c.el.children().filter(|e| e.is("body", ns));
        let first = bodies.next()?;
        let best = if first.lang().is_none() {
            first
        } else {
            self.c
                .el
                .children()
                .find(|e| e.is("body", ns) && e.lang().is_none())
                .unwrap_or(first)
        };
        Some(best.text())
    }

    fn check(
        el: &Element,
        profile: Profile,
    ) -> Result<(Option<Jid>, Option<Jid>, MessageType), InvalidStanza> {
        let (to, from) = Common::parse(el, profile)?;
        Ok((to, from, MessageType::from_attr(el.attr("type"))))
    }
}

// ------------------------------------------------------------------------------------------------
// Presence
// ------------------------------------------------------------------------------------------------

/// A `<presence/>` stanza (RFC 6121 §4).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Presence {
    c: Common,
    type_: PresenceType,
}

common_view!(Presence, "presence", |p: &Presence| p.type_
    == PresenceType::Error);

impl Presence {
    /// An empty `<presence/>` in `jabber:client` of type `type_`.
    pub fn new(type_: PresenceType) -> Self {
        let mut p = Self {
            c: Common {
                el: Element::new(ns::CLIENT, "presence"),
                to: None,
                from: None,
            },
            type_,
        };
        p.set_type(type_);
        p
    }

    /// The type.
    pub fn type_(&self) -> PresenceType {
        self.type_
    }

    /// Sets the `type` attribute (removes it for [`PresenceType::Available`]).
    pub fn set_type(&mut self, type_: PresenceType) {
        match type_.as_str() {
            Some(t) => self.c.el.set_attr("type", t),
            None => {
                self.c.el.remove_attr("type");
            }
        }
        self.type_ = type_;
    }

    fn check(
        el: &Element,
        profile: Profile,
    ) -> Result<(Option<Jid>, Option<Jid>, PresenceType), InvalidStanza> {
        let (to, from) = Common::parse(el, profile)?;
        let raw = el.attr("type");
        let type_ = PresenceType::from_attr(raw)
            .ok_or_else(|| InvalidStanza::UnknownType(raw.unwrap_or_default().to_owned()))?;
        Ok((to, from, type_))
    }
}

// ------------------------------------------------------------------------------------------------
// Iq
// ------------------------------------------------------------------------------------------------

/// An `<iq/>` stanza (RFC 6120 §8.2.3), validated: it has an `id` and a `type`, requests carry
/// exactly one child element, results at most one, errors an `<error/>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Iq {
    c: Common,
    type_: IqType,
}

common_view!(Iq, "iq", |i: &Iq| i.type_ == IqType::Error);

impl Iq {
    /// A `get` request in `jabber:client` carrying `payload`.
    pub fn get(id: impl Into<ByteString>, payload: Element) -> Self {
        Self::build(IqType::Get, id.into(), Some(payload))
    }

    /// A `set` request in `jabber:client` carrying `payload`.
    pub fn set(id: impl Into<ByteString>, payload: Element) -> Self {
        Self::build(IqType::Set, id.into(), Some(payload))
    }

    /// A `result` in `jabber:client`, with or without a payload.
    pub fn result(id: impl Into<ByteString>, payload: Option<Element>) -> Self {
        Self::build(IqType::Result, id.into(), payload)
    }

    fn build(type_: IqType, id: ByteString, payload: Option<Element>) -> Self {
        let mut el = Element::new(ns::CLIENT, "iq")
            .with_attr("id", id)
            .with_attr("type", type_.as_str());
        if let Some(p) = payload {
            el.append_child(p);
        }
        Self {
            c: Common {
                el,
                to: None,
                from: None,
            },
            type_,
        }
    }

    /// The type.
    pub fn type_(&self) -> IqType {
        self.type_
    }

    /// The `id` attribute, which every IQ has (RFC 6120 §8.2.3).
    pub fn iq_id(&self) -> &str {
        self.id().unwrap_or_default()
    }

    /// The payload: the request's one child, the result's child if any, or an error's first
    /// child other than `<error/>` (the original request, when echoed).
    pub fn payload(&self) -> Option<&Element> {
        let ns = self.c.el.ns();
        self.c.el.children().find(|e| !e.is("error", ns))
    }

    /// The payload, mutable.
    pub fn payload_mut(&mut self) -> Option<&mut Element> {
        let ns = self.c.el.ns_str().clone();
        self.c.el.children_mut().find(|e| !e.is("error", &ns))
    }

    /// An empty `result` (RFC 6120 §8.2.3): addresses swapped, same `id`. `None` unless this
    /// is a request (`get` or `set`). Append a payload to it if the protocol returns one.
    pub fn result_reply(&self) -> Option<Element> {
        self.type_
            .is_request()
            .then(|| self.c.reply(IqType::Result.as_str()))
    }

    fn check(
        el: &Element,
        profile: Profile,
    ) -> Result<(Option<Jid>, Option<Jid>, IqType), InvalidStanza> {
        let (to, from) = Common::parse(el, profile)?;
        let type_ = match el.attr("type") {
            None => return Err(InvalidStanza::IqWithoutType),
            Some(t) => IqType::from_attr(Some(t))
                .ok_or_else(|| InvalidStanza::UnknownType(t.to_owned()))?,
        };
        if el.attr("id").is_none() {
            return Err(InvalidStanza::IqWithoutId);
        }
        // Count at most two: a peer may send many children, and two already settles it.
        let children = el.children().take(2).count();
        match type_ {
            IqType::Get | IqType::Set if children != 1 => Err(InvalidStanza::IqRequestPayload),
            IqType::Result if children > 1 => Err(InvalidStanza::IqResultPayload),
            IqType::Error if !el.has_child("error", el.ns()) => {
                Err(InvalidStanza::IqErrorWithoutError)
            }
            _ => Ok((to, from, type_)),
        }
    }
}

// ------------------------------------------------------------------------------------------------
// Stanza
// ------------------------------------------------------------------------------------------------

/// Any of the three stanzas.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stanza {
    /// `<message/>`.
    Message(Message),
    /// `<presence/>`.
    Presence(Presence),
    /// `<iq/>`.
    Iq(Iq),
}

macro_rules! each {
    ($self:expr, $v:ident => $e:expr) => {
        match $self {
            Stanza::Message($v) => $e,
            Stanza::Presence($v) => $e,
            Stanza::Iq($v) => $e,
        }
    };
}

impl Stanza {
    /// Views `el` as a stanza, accepting the `jabber:client`, `jabber:server` and
    /// `jabber:component:accept` namespaces; addresses are prepared per RFC 7622.
    pub fn from_element(el: Element) -> Result<Self, StanzaParseError> {
        Self::from_element_with(el, Profile::Precis)
    }

    /// As [`Stanza::from_element`], preparing addresses with `profile`.
    pub fn from_element_with(el: Element, profile: Profile) -> Result<Self, StanzaParseError> {
        if !ns::STANZA_NAMESPACES.contains(&el.ns()) {
            return Err(not_a_stanza(el));
        }
        match el.name() {
            "message" => Message::from_element_with(el, profile).map(Self::Message),
            "presence" => Presence::from_element_with(el, profile).map(Self::Presence),
            "iq" => Iq::from_element_with(el, profile).map(Self::Iq),
            _ => Err(not_a_stanza(el)),
        }
    }

    /// The prepared `to` address.
    pub fn to(&self) -> Option<&Jid> {
        each!(self, s => s.to())
    }

    /// The prepared `from` address.
    pub fn from(&self) -> Option<&Jid> {
        each!(self, s => s.from())
    }

    /// The `id` attribute.
    pub fn id(&self) -> Option<&str> {
        each!(self, s => s.id())
    }

    /// The `xml:lang` attribute.
    pub fn lang(&self) -> Option<&str> {
        each!(self, s => s.lang())
    }

    /// Sets or removes `to`.
    pub fn set_to(&mut self, to: Option<Jid>) {
        each!(self, s => s.set_to(to));
    }

    /// Sets or removes `from`.
    pub fn set_from(&mut self, from: Option<Jid>) {
        each!(self, s => s.set_from(from));
    }

    /// Whether the stanza is of type `error`.
    pub fn is_error(&self) -> bool {
        match self {
            Self::Message(m) => m.type_() == MessageType::Error,
            Self::Presence(p) => p.type_() == PresenceType::Error,
            Self::Iq(i) => i.type_() == IqType::Error,
        }
    }

    /// The element.
    pub fn element(&self) -> &Element {
        each!(self, s => s.element())
    }

    /// The element, for payload access (change addresses and type through the views).
    pub fn element_mut(&mut self) -> &mut Element {
        each!(self, s => s.element_mut())
    }

    /// Gives the element back.
    pub fn into_element(self) -> Element {
        each!(self, s => s.into_element())
    }

    /// An error reply, see [`Message::error_reply`]; `None` for an error stanza.
    pub fn error_reply(&self, err: &StanzaError) -> Option<Element> {
        each!(self, s => s.error_reply(err))
    }

    /// An error reply without the original payload; `None` for an error stanza.
    pub fn error_reply_without_payload(&self, err: &StanzaError) -> Option<Element> {
        each!(self, s => s.error_reply_without_payload(err))
    }
}

impl fmt::Display for Stanza {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        each!(self, s => fmt::Display::fmt(s, f))
    }
}

impl From<Stanza> for Element {
    fn from(s: Stanza) -> Element {
        s.into_element()
    }
}

impl From<Message> for Stanza {
    fn from(m: Message) -> Self {
        Self::Message(m)
    }
}

impl From<Presence> for Stanza {
    fn from(p: Presence) -> Self {
        Self::Presence(p)
    }
}

impl From<Iq> for Stanza {
    fn from(i: Iq) -> Self {
        Self::Iq(i)
    }
}

impl TryFrom<Element> for Stanza {
    type Error = StanzaParseError;
    fn try_from(el: Element) -> Result<Self, Self::Error> {
        Self::from_element(el)
    }
}

// ------------------------------------------------------------------------------------------------
// Content namespaces
// ------------------------------------------------------------------------------------------------

/// Re-qualifies a stanza received in the `jabber:server` content namespace into
/// `jabber:client`, the namespace the router and client streams work in (RFC 6120 §4.8.3: a
/// server maps the content namespace when it moves a stanza between stream types). The
/// stanza element and the descendants that inherit its namespace (`<body/>`, `<error/>`,
/// ...) are changed; elements in any other namespace, and what they contain, are kept.
/// Iterative, so the input's depth costs no stack.
pub fn server_to_client_ns(el: &mut Element) {
    if el.ns() != ns::SERVER {
        return;
    }
    let mut stack = vec![el];
    while let Some(e) = stack.pop() {
        e.set_ns(ns::CLIENT);
        stack.extend(e.children_mut().filter(|c| c.ns() == ns::SERVER));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn server_namespace_is_mapped_to_client() {
        let mut el = waxwing_xml::parse_element(
            b"<message xmlns='jabber:server' to='a@b'><body>x</body>\
              <forwarded xmlns='urn:xmpp:forward:0'><message xmlns='jabber:server'/></forwarded>\
              <x xmlns='jabber:x:oob'><url>u</url></x></message>",
        )
        .unwrap();
        server_to_client_ns(&mut el);
        assert!(el.is("message", ns::CLIENT));
        assert!(el.has_child("body", ns::CLIENT));
        let fwd = el.get_child("forwarded", "urn:xmpp:forward:0").unwrap();
        assert!(fwd.has_child("message", ns::SERVER), "not inherited: kept");
        assert!(
            el.get_child("x", "jabber:x:oob")
                .unwrap()
                .has_child("url", "jabber:x:oob")
        );
    }

    use super::*;

    #[test]
    fn type_wire_forms_round_trip() {
        for t in [
            MessageType::Chat,
            MessageType::Error,
            MessageType::Groupchat,
            MessageType::Headline,
            MessageType::Normal,
        ] {
            assert_eq!(MessageType::from_attr(Some(t.as_str())), t);
        }
        assert_eq!(MessageType::from_attr(None), MessageType::Normal);
        assert_eq!(MessageType::from_attr(Some("CHAT")), MessageType::Normal);

        for t in [
            PresenceType::Available,
            PresenceType::Unavailable,
            PresenceType::Subscribe,
            PresenceType::Subscribed,
            PresenceType::Unsubscribe,
            PresenceType::Unsubscribed,
            PresenceType::Probe,
            PresenceType::Error,
        ] {
            assert_eq!(PresenceType::from_attr(t.as_str()), Some(t));
        }
        assert_eq!(PresenceType::from_attr(Some("")), None);
        assert_eq!(PresenceType::from_attr(Some("invisible")), None);

        for t in [IqType::Get, IqType::Set, IqType::Result, IqType::Error] {
            assert_eq!(IqType::from_attr(Some(t.as_str())), Some(t));
        }
        assert_eq!(IqType::from_attr(None), None);
        assert_eq!(IqType::from_attr(Some("query")), None);
        assert!(IqType::Get.is_request() && IqType::Set.is_request());
        assert!(!IqType::Result.is_request() && !IqType::Error.is_request());
    }

    #[test]
    fn iq_child_count_ignores_text_and_stops_early() {
        let mut el = Element::new(ns::CLIENT, "iq")
            .with_attr("id", "1")
            .with_attr("type", "get");
        el.append_text("  ");
        el.append_child(Element::new("urn:x", "a"));
        el.append_text("\n");
        assert!(Iq::from_element(el.clone()).is_ok());
        for _ in 0..1000 {
            el.append_child(Element::new("urn:x", "b"));
        }
        let err = Iq::from_element(el).unwrap_err();
        assert_eq!(err.reason(), &InvalidStanza::IqRequestPayload);
    }

    #[test]
    fn builders_produce_wire_forms() {
        let m = Message::new(MessageType::Chat);
        assert!(m.element().is("message", ns::CLIENT));
        assert_eq!(m.element().attr("type"), Some("chat"));
        let p = Presence::new(PresenceType::Available);
        assert_eq!(p.element().attr("type"), None);
        let i = Iq::get("a1", Element::new(ns::PING, "ping"));
        assert_eq!(i.element().attr("id"), Some("a1"));
        assert_eq!(i.element().attr("type"), Some("get"));
        assert_eq!(i.payload().map(Element::name), Some("ping"));
    }

    #[test]
    fn stanza_dispatches_on_name() {
        let el = Element::new(ns::SERVER, "presence").with_attr("type", "probe");
        let s = Stanza::from_element(el).unwrap();
        assert!(matches!(&s, Stanza::Presence(p) if p.type_() == PresenceType::Probe));
        assert!(!s.is_error());
        let el = Element::new(ns::CLIENT, "iq")
            .with_attr("id", "e")
            .with_attr("type", "error");
        let err = Stanza::from_element(el).unwrap_err();
        assert_eq!(err.reason(), &InvalidStanza::IqErrorWithoutError);
    }
}
