//! Stanza errors (RFC 6120 §8.3) and stream errors (RFC 6120 §4.9).

use std::fmt;
use std::str::FromStr;

use bytestring::ByteString;
use waxwing_jid::Jid;
use waxwing_xml::{Element, XML_NS};

use crate::ns;

/// Human-readable text of an error (`<text/>`, RFC 6120 §4.9.2 and §8.3.2), with its language.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ErrorText {
    /// `xml:lang` of the `<text/>` element; absent means the stream's default language.
    pub lang: Option<ByteString>,
    /// The text itself.
    pub text: ByteString,
}

impl ErrorText {
    /// Text in language `lang`.
    pub fn new(lang: Option<&str>, text: impl Into<ByteString>) -> Self {
        Self {
            lang: lang.map(ByteString::from),
            text: text.into(),
        }
    }

    fn to_element(&self, ns: &str) -> Element {
        let mut e = Element::new(ns.to_owned(), "text");
        if let Some(lang) = &self.lang {
            e.set_attr_ns(XML_NS, "lang", lang.clone());
        }
        e.with_text(self.text.clone())
    }

    fn from_element(e: &Element) -> Self {
        let lang = e
            .attrs()
            .iter()
            .find(|a| a.ns.as_deref() == Some(XML_NS) && a.name == "lang");
        Self {
            lang: lang.map(|a| a.value.clone()),
            text: ByteString::from(e.text().as_ref()),
        }
    }
}

/// Why an `<error/>` or `<stream:error/>` element could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorParseError {
    /// The element is not `<error/>` (or `<stream:error/>`) in a namespace that allows it.
    #[error("not an error element: {{{ns}}}{name}")]
    NotAnError {
        /// Namespace of the element found.
        ns: String,
        /// Local name of the element found.
        name: String,
    },
    /// The `type` attribute of a stanza `<error/>` is missing or not one of RFC 6120 §8.3.2's.
    #[error("missing or unknown error type")]
    BadType,
    /// No defined condition element (RFC 6120 §4.9.2, §8.3.2: exactly one is REQUIRED).
    #[error("no defined condition")]
    NoCondition,
    /// More than one defined condition element.
    #[error("more than one defined condition")]
    TwoConditions,
    /// The `by` attribute is not a valid JID.
    #[error("malformed 'by' attribute")]
    BadBy,
}

// ------------------------------------------------------------------------------------------------
// Stanza errors
// ------------------------------------------------------------------------------------------------

/// The error type of a stanza error: what the sender should do next (RFC 6120 §8.3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum StanzaErrorType {
    /// Retry after providing credentials.
    Auth,
    /// Do not retry (the error cannot be remedied).
    Cancel,
    /// Proceed (the condition was only a warning).
    Continue,
    /// Retry after changing the data sent.
    Modify,
    /// Retry after waiting (the error is temporary).
    Wait,
}

impl StanzaErrorType {
    /// The wire form of the `type` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Auth => "auth",
            Self::Cancel => "cancel",
            Self::Continue => "continue",
            Self::Modify => "modify",
            Self::Wait => "wait",
        }
    }
}

impl FromStr for StanzaErrorType {
    type Err = ErrorParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "auth" => Self::Auth,
            "cancel" => Self::Cancel,
            "continue" => Self::Continue,
            "modify" => Self::Modify,
            "wait" => Self::Wait,
            _ => return Err(ErrorParseError::BadType),
        })
    }
}

impl fmt::Display for StanzaErrorType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! conditions {
    (
        $(#[$meta:meta])* $vis:vis enum $Enum:ident {
            $( $(#[$vmeta:meta])* $Variant:ident $( ( $Field:ty ) )? = $wire:literal, )*
        }
        all = $ALL:ident;
    ) => {
        $(#[$meta])*
        $vis enum $Enum {
            $( $(#[$vmeta])* $Variant $( ( $Field ) )?, )*
        }

        impl $Enum {
            /// The wire form of every condition, in the RFC's order.
            pub const $ALL: &'static [&'static str] = &[$($wire),*];

            /// The wire form: the local name of the condition element.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $( conditions!(@pat $Enum $Variant $( $Field )?) => $wire, )*
                }
            }
        }

        impl FromStr for $Enum {
            type Err = UnknownCondition;
            /// Parses the wire form; conditions that carry text get an empty or absent value.
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $( $wire => Ok(conditions!(@new $Enum $Variant $( $Field )?)), )*
                    _ => Err(UnknownCondition(s.to_owned())),
                }
            }
        }

        impl fmt::Display for $Enum {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
    (@pat $Enum:ident $Variant:ident) => { $Enum::$Variant };
    (@pat $Enum:ident $Variant:ident $Field:ty) => { $Enum::$Variant(_) };
    (@new $Enum:ident $Variant:ident) => { $Enum::$Variant };
    (@new $Enum:ident $Variant:ident $Field:ty) => { $Enum::$Variant(Default::default()) };
}

/// A condition name that is not one of the defined ones.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("unknown error condition {0:?}")]
pub struct UnknownCondition(pub String);

conditions! {
    /// The 22 defined stanza error conditions (RFC 6120 §8.3.3.1–§8.3.3.22).
    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    pub enum StanzaErrorCondition {
        /// §8.3.3.1: malformed or unprocessable XML.
        BadRequest = "bad-request",
        /// §8.3.3.2: a resource or session with this name already exists.
        Conflict = "conflict",
        /// §8.3.3.3: the feature is not implemented.
        FeatureNotImplemented = "feature-not-implemented",
        /// §8.3.3.4: the sender lacks permission (authorization).
        Forbidden = "forbidden",
        /// §8.3.3.5: the recipient is gone for good; optionally carries its new address (an XMPP
        /// URI) as the element's text.
        Gone(Option<ByteString>) = "gone",
        /// §8.3.3.6: misconfiguration or other internal error.
        InternalServerError = "internal-server-error",
        /// §8.3.3.7: the addressed JID or item does not exist.
        ItemNotFound = "item-not-found",
        /// §8.3.3.8: an address violates RFC 7622.
        JidMalformed = "jid-malformed",
        /// §8.3.3.9: the request does not meet the recipient's criteria.
        NotAcceptable = "not-acceptable",
        /// §8.3.3.10: nobody may perform this action.
        NotAllowed = "not-allowed",
        /// §8.3.3.11: credentials missing or wrong (authentication).
        NotAuthorized = "not-authorized",
        /// §8.3.3.12: a local service policy was violated.
        PolicyViolation = "policy-violation",
        /// §8.3.3.13: the recipient is temporarily unavailable.
        RecipientUnavailable = "recipient-unavailable",
        /// §8.3.3.14: send to another address, given (SHOULD) as an XMPP URI in the text.
        Redirect(Option<ByteString>) = "redirect",
        /// §8.3.3.15: prior registration is required.
        RegistrationRequired = "registration-required",
        /// §8.3.3.16: the remote server does not exist or cannot be resolved.
        RemoteServerNotFound = "remote-server-not-found",
        /// §8.3.3.17: the remote server could not be reached in time.
        RemoteServerTimeout = "remote-server-timeout",
        /// §8.3.3.18: the server or recipient lacks resources.
        ResourceConstraint = "resource-constraint",
        /// §8.3.3.19: the service is not provided.
        ServiceUnavailable = "service-unavailable",
        /// §8.3.3.20: a prior subscription is required.
        SubscriptionRequired = "subscription-required",
        /// §8.3.3.21: none of the above; used with an application-specific condition.
        UndefinedCondition = "undefined-condition",
        /// §8.3.3.22: the request was not expected at this time.
        UnexpectedRequest = "unexpected-request",
    }
    all = ALL;
}

impl StanzaErrorCondition {
    /// The error type RFC 6120 §8.3.3 says the condition SHOULD have (the first one where it
    /// allows two; `cancel` for `undefined-condition`, which allows any).
    pub fn default_type(&self) -> StanzaErrorType {
        use StanzaErrorType::{Auth, Cancel, Modify, Wait};
        match self {
            Self::BadRequest
            | Self::JidMalformed
            | Self::NotAcceptable
            | Self::PolicyViolation
            | Self::Redirect(_) => Modify,
            Self::Forbidden
            | Self::NotAuthorized
            | Self::RegistrationRequired
            | Self::SubscriptionRequired => Auth,
            Self::RecipientUnavailable
            | Self::RemoteServerTimeout
            | Self::ResourceConstraint
            | Self::UnexpectedRequest => Wait,
            Self::Conflict
            | Self::FeatureNotImplemented
            | Self::Gone(_)
            | Self::InternalServerError
            | Self::ItemNotFound
            | Self::NotAllowed
            | Self::RemoteServerNotFound
            | Self::ServiceUnavailable
            | Self::UndefinedCondition => Cancel,
        }
    }

    fn text(&self) -> Option<&ByteString> {
        match self {
            Self::Gone(t) | Self::Redirect(t) => t.as_ref(),
            _ => None,
        }
    }

    fn to_element(&self) -> Element {
        let e = Element::new(ns::XMPP_STANZAS, self.as_str());
        match self.text() {
            Some(t) => e.with_text(t.clone()),
            None => e,
        }
    }

    fn from_element(e: &Element) -> Self {
        // RFC 6120 defines no handling for an unknown condition in the stanzas namespace; reading
        // it as <undefined-condition/> keeps the error usable (its type still says what to do).
        let mut c = e.name().parse().unwrap_or(Self::UndefinedCondition);
        if let Self::Gone(t) | Self::Redirect(t) = &mut c {
            let text = e.text();
            if !text.is_empty() {
                *t = Some(ByteString::from(text.as_ref()));
            }
        }
        c
    }
}

/// A stanza error: the `<error/>` child of a stanza of type `error` (RFC 6120 §8.3.2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StanzaError {
    /// What the sender should do next.
    pub type_: StanzaErrorType,
    /// The defined condition.
    pub condition: StanzaErrorCondition,
    /// Optional descriptive text.
    pub text: Option<ErrorText>,
    /// Optional application-specific condition (an element outside the stanzas namespace).
    pub app_condition: Option<Element>,
    /// The entity that generated the error (RFC 6120 §8.3.1, the `by` attribute).
    pub by: Option<Jid>,
}

impl StanzaError {
    /// An error with the condition's default type and nothing else.
    pub fn new(condition: StanzaErrorCondition) -> Self {
        Self {
            type_: condition.default_type(),
            condition,
            text: None,
            app_condition: None,
            by: None,
        }
    }

    /// Replaces the error type.
    #[must_use]
    pub fn with_type(mut self, type_: StanzaErrorType) -> Self {
        self.type_ = type_;
        self
    }

    /// Adds descriptive text in language `lang`.
    #[must_use]
    pub fn with_text(mut self, lang: Option<&str>, text: impl Into<ByteString>) -> Self {
        self.text = Some(ErrorText::new(lang, text));
        self
    }

    /// Adds an application-specific condition.
    #[must_use]
    pub fn with_app_condition(mut self, app_condition: Element) -> Self {
        self.app_condition = Some(app_condition);
        self
    }

    /// Names the entity that generated the error.
    #[must_use]
    pub fn with_by(mut self, by: Jid) -> Self {
        self.by = Some(by);
        self
    }

    /// The `<error/>` element, qualified by `jabber:client`.
    pub fn to_element(&self) -> Element {
        self.to_element_in(ns::CLIENT)
    }

    /// The `<error/>` element qualified by `stanza_ns`: it is a child of the stanza and shares
    /// the stanza's content namespace (RFC 6120 §8.3.2).
    pub fn to_element_in(&self, stanza_ns: &str) -> Element {
        let mut e = Element::new(stanza_ns.to_owned(), "error");
        if let Some(by) = &self.by {
            e.set_attr("by", by.as_str().to_owned());
        }
        e.set_attr("type", self.type_.as_str());
        e.append_child(self.condition.to_element());
        if let Some(text) = &self.text {
            e.append_child(text.to_element(ns::XMPP_STANZAS));
        }
        if let Some(app) = &self.app_condition {
            e.append_child(app.clone());
        }
        e
    }

    /// Reads an `<error/>` element in any stanza content namespace.
    ///
    /// An unknown condition in the stanzas namespace reads as `undefined-condition`; of several `<text/>` elements the first is kept, and of several
    /// application-specific elements the first.
    pub fn from_element(e: &Element) -> Result<Self, ErrorParseError> {
        if e.name() != "error" || !ns::STANZA_NAMESPACES.contains(&e.ns()) {
            return Err(ErrorParseError::NotAnError {
                ns: e.ns().into(),
                name: e.name().into(),
            });
        }
        let type_ = e.attr("type").ok_or(ErrorParseError::BadType)?.parse()?;
        let by = match e.attr("by") {
            None => None,
            Some(by) => Some(Jid::parse(by).map_err(|_| ErrorParseError::BadBy)?),
        };
        let (condition, text, app_condition) = read_error_children(e, ns::XMPP_STANZAS)?;
        Ok(Self {
            type_,
            condition: StanzaErrorCondition::from_element(condition),
            text,
            app_condition,
            by,
        })
    }
}

impl fmt::Display for StanzaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.condition, self.type_)?;
        if let Some(t) = &self.text {
            write!(f, ": {}", &*t.text)?;
        }
        Ok(())
    }
}

impl std::error::Error for StanzaError {}

impl From<StanzaErrorCondition> for StanzaError {
    fn from(c: StanzaErrorCondition) -> Self {
        Self::new(c)
    }
}

/// Splits the children of an error element into the one defined condition, the first `<text/>`
/// and the first application-specific element. Text nodes (whitespace) are ignored.
fn read_error_children<'a>(
    e: &'a Element,
    cond_ns: &str,
) -> Result<(&'a Element, Option<ErrorText>, Option<Element>), ErrorParseError> {
    let mut condition = None;
    let mut text = None;
    let mut app = None;
    for child in e.children() {
        if child.ns() == cond_ns {
            if child.name() == "text" {
                if text.is_none() {
                    text = Some(ErrorText::from_element(child));
                }
            } else if condition.replace(child).is_some() {
                return Err(ErrorParseError::TwoConditions);
            }
        } else if app.is_none() {
            app = Some(child.clone());
        }
    }
    let condition = condition.ok_or(ErrorParseError::NoCondition)?;
    Ok((condition, text, app))
}

// ------------------------------------------------------------------------------------------------
// Stream errors
// ------------------------------------------------------------------------------------------------

conditions! {
    /// The 25 defined stream error conditions (RFC 6120 §4.9.3.1–§4.9.3.25).
    #[derive(Clone, Debug, PartialEq, Eq, Hash)]
    pub enum StreamErrorCondition {
        /// §4.9.3.1: XML that cannot be processed.
        BadFormat = "bad-format",
        /// §4.9.3.2: an unsupported or undeclared namespace prefix.
        BadNamespacePrefix = "bad-namespace-prefix",
        /// §4.9.3.3: a new stream replaces this one.
        Conflict = "conflict",
        /// §4.9.3.4: the peer has not generated traffic for too long.
        ConnectionTimeout = "connection-timeout",
        /// §4.9.3.5: the `to` domain is no longer serviced.
        HostGone = "host-gone",
        /// §4.9.3.6: the `to` domain is not serviced.
        HostUnknown = "host-unknown",
        /// §4.9.3.7: a stanza lacks a `to` or `from` that s2s requires.
        ImproperAddressing = "improper-addressing",
        /// §4.9.3.8: misconfiguration or other internal error.
        InternalServerError = "internal-server-error",
        /// §4.9.3.9: a `from` that the peer is not authorized for.
        InvalidFrom = "invalid-from",
        /// §4.9.3.10: wrong stream or content namespace.
        InvalidNamespace = "invalid-namespace",
        /// §4.9.3.11: invalid XML (e.g. against the schema).
        InvalidXml = "invalid-xml",
        /// §4.9.3.12: data sent before the stream was authenticated.
        NotAuthorized = "not-authorized",
        /// §4.9.3.13: XML that is not well-formed.
        NotWellFormed = "not-well-formed",
        /// §4.9.3.14: a local service policy was violated (e.g. stanza size).
        PolicyViolation = "policy-violation",
        /// §4.9.3.15: a remote server needed for authentication could not be reached.
        RemoteConnectionFailed = "remote-connection-failed",
        /// §4.9.3.16: security-relevant state changed; reconnect.
        Reset = "reset",
        /// §4.9.3.17: the server lacks resources for the stream.
        ResourceConstraint = "resource-constraint",
        /// §4.9.3.18: restricted XML (comments, PIs, DTDs, entity references; RFC 6120 §11.1).
        RestrictedXml = "restricted-xml",
        /// §4.9.3.19: connect to another host instead, given as the element's text
        /// (a domain, IPv4 address or bracketed IPv6 address, with optional `:port`).
        SeeOtherHost(ByteString) = "see-other-host",
        /// §4.9.3.20: the server is shutting down.
        SystemShutdown = "system-shutdown",
        /// §4.9.3.21: none of the above; used with an application-specific condition.
        UndefinedCondition = "undefined-condition",
        /// §4.9.3.22: an unsupported character encoding (only UTF-8 is allowed).
        UnsupportedEncoding = "unsupported-encoding",
        /// §4.9.3.23: a mandatory-to-negotiate feature is not supported by the receiver.
        UnsupportedFeature = "unsupported-feature",
        /// §4.9.3.24: a first-level child of the stream that the server does not support.
        UnsupportedStanzaType = "unsupported-stanza-type",
        /// §4.9.3.25: an unsupported stream `version`.
        UnsupportedVersion = "unsupported-version",
    }
    all = ALL;
}

impl StreamErrorCondition {
    fn to_element(&self) -> Element {
        let e = Element::new(ns::XMPP_STREAMS, self.as_str());
        match self {
            Self::SeeOtherHost(host) => e.with_text(host.clone()),
            _ => e,
        }
    }

    fn from_element(e: &Element) -> Self {
        // As for stanza errors: an unknown condition reads as undefined-condition rather than
        // making the whole error unreadable.
        match e.name().parse().unwrap_or(Self::UndefinedCondition) {
            Self::SeeOtherHost(_) => Self::SeeOtherHost(ByteString::from(e.text().as_ref())),
            c => c,
        }
    }
}

impl From<waxwing_xml::XmlErrorCondition> for StreamErrorCondition {
    fn from(c: waxwing_xml::XmlErrorCondition) -> Self {
        use waxwing_xml::XmlErrorCondition as X;
        match c {
            X::NotWellFormed => Self::NotWellFormed,
            X::RestrictedXml => Self::RestrictedXml,
            X::InvalidNamespace => Self::InvalidNamespace,
            X::BadNamespacePrefix => Self::BadNamespacePrefix,
            X::UnsupportedEncoding => Self::UnsupportedEncoding,
            X::PolicyViolation => Self::PolicyViolation,
        }
    }
}

/// A stream error: `<stream:error/>`, after which the stream is closed (RFC 6120 §4.9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StreamError {
    /// The defined condition.
    pub condition: StreamErrorCondition,
    /// Optional descriptive text.
    pub text: Option<ErrorText>,
    /// Optional application-specific condition.
    pub app_condition: Option<Element>,
}

impl StreamError {
    /// A stream error with only a condition.
    pub fn new(condition: StreamErrorCondition) -> Self {
        Self {
            condition,
            text: None,
            app_condition: None,
        }
    }

    /// Adds descriptive text in language `lang`.
    #[must_use]
    pub fn with_text(mut self, lang: Option<&str>, text: impl Into<ByteString>) -> Self {
        self.text = Some(ErrorText::new(lang, text));
        self
    }

    /// Adds an application-specific condition.
    #[must_use]
    pub fn with_app_condition(mut self, app_condition: Element) -> Self {
        self.app_condition = Some(app_condition);
        self
    }

    /// The `{http://etherx.jabber.org/streams}error` element (RFC 6120 §4.9.2).
    pub fn to_element(&self) -> Element {
        let mut e = Element::new(ns::STREAM, "error");
        e.append_child(self.condition.to_element());
        if let Some(text) = &self.text {
            e.append_child(text.to_element(ns::XMPP_STREAMS));
        }
        if let Some(app) = &self.app_condition {
            e.append_child(app.clone());
        }
        e
    }

    /// Reads a `<stream:error/>` element.
    pub fn from_element(e: &Element) -> Result<Self, ErrorParseError> {
        if !e.is("error", ns::STREAM) {
            return Err(ErrorParseError::NotAnError {
                ns: e.ns().into(),
                name: e.name().into(),
            });
        }
        let (condition, text, app_condition) = read_error_children(e, ns::XMPP_STREAMS)?;
        Ok(Self {
            condition: StreamErrorCondition::from_element(condition),
            text,
            app_condition,
        })
    }
}

impl From<StreamErrorCondition> for StreamError {
    fn from(c: StreamErrorCondition) -> Self {
        Self::new(c)
    }
}

impl fmt::Display for StreamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.condition.as_str())?;
        if let Some(t) = &self.text {
            write!(f, ": {}", &*t.text)?;
        }
        Ok(())
    }
}

impl std::error::Error for StreamError {}

#[cfg(test)]
mod tests {
    use super::*;
    use StanzaErrorType::{Auth, Cancel, Modify, Wait};

    /// RFC 6120 §8.3.3.1–§8.3.3.22 in order, with the error type each section says the
    /// condition SHOULD have (first choice where two are allowed).
    const STANZA_TABLE: [(&str, StanzaErrorType); 22] = [
        ("bad-request", Modify),
        ("conflict", Cancel),
        ("feature-not-implemented", Cancel),
        ("forbidden", Auth),
        ("gone", Cancel),
        ("internal-server-error", Cancel),
        ("item-not-found", Cancel),
        ("jid-malformed", Modify),
        ("not-acceptable", Modify),
        ("not-allowed", Cancel),
        ("not-authorized", Auth),
        ("policy-violation", Modify),
        ("recipient-unavailable", Wait),
        ("redirect", Modify),
        ("registration-required", Auth),
        ("remote-server-not-found", Cancel),
        ("remote-server-timeout", Wait),
        ("resource-constraint", Wait),
        ("service-unavailable", Cancel),
        ("subscription-required", Auth),
        ("undefined-condition", Cancel),
        ("unexpected-request", Wait),
    ];

    /// RFC 6120 §4.9.3.1–§4.9.3.25 in order.
    const STREAM_TABLE: [&str; 25] = [
        "bad-format",
        "bad-namespace-prefix",
        "conflict",
        "connection-timeout",
        "host-gone",
        "host-unknown",
        "improper-addressing",
        "internal-server-error",
        "invalid-from",
        "invalid-namespace",
        "invalid-xml",
        "not-authorized",
        "not-well-formed",
        "policy-violation",
        "remote-connection-failed",
        "reset",
        "resource-constraint",
        "restricted-xml",
        "see-other-host",
        "system-shutdown",
        "undefined-condition",
        "unsupported-encoding",
        "unsupported-feature",
        "unsupported-stanza-type",
        "unsupported-version",
    ];

    #[test]
    fn stanza_conditions_match_rfc_6120_8_3_3() {
        let names: Vec<&str> = STANZA_TABLE.iter().map(|(n, _)| *n).collect();
        assert_eq!(StanzaErrorCondition::ALL, names.as_slice());
        for (name, type_) in STANZA_TABLE {
            let c: StanzaErrorCondition = name.parse().unwrap();
            assert_eq!(c.as_str(), name);
            assert_eq!(c.to_string(), name);
            assert_eq!(c.default_type(), type_, "{name}");
            assert_eq!(StanzaError::new(c).type_, type_);
        }
        assert!("bad_request".parse::<StanzaErrorCondition>().is_err());
        assert!("".parse::<StanzaErrorCondition>().is_err());
    }

    #[test]
    fn stream_conditions_match_rfc_6120_4_9_3() {
        assert_eq!(StreamErrorCondition::ALL, STREAM_TABLE.as_slice());
        for name in STREAM_TABLE {
            let c: StreamErrorCondition = name.parse().unwrap();
            assert_eq!(c.as_str(), name);
        }
        assert_eq!(
            "unknown-thing".parse::<StreamErrorCondition>(),
            Err(UnknownCondition("unknown-thing".into()))
        );
    }

    #[test]
    fn error_types_round_trip() {
        for t in [Auth, Cancel, StanzaErrorType::Continue, Modify, Wait] {
            assert_eq!(t.as_str().parse::<StanzaErrorType>(), Ok(t));
        }
        assert_eq!(
            "Cancel".parse::<StanzaErrorType>(),
            Err(ErrorParseError::BadType)
        );
    }

    #[test]
    fn every_stanza_condition_round_trips_through_elements() {
        for (name, _) in STANZA_TABLE {
            let c: StanzaErrorCondition = name.parse().unwrap();
            for ns in ns::STANZA_NAMESPACES {
                let err = StanzaError::new(c.clone());
                let el = err.to_element_in(ns);
                assert_eq!(el.ns(), ns);
                assert_eq!(el.attr("type"), Some(c.default_type().as_str()));
                assert!(el.has_child(name, ns::XMPP_STANZAS));
                assert_eq!(StanzaError::from_element(&el), Ok(err));
            }
        }
    }

    #[test]
    fn every_stream_condition_round_trips_through_elements() {
        for name in STREAM_TABLE {
            let c: StreamErrorCondition = name.parse().unwrap();
            let err = StreamError::new(c).with_text(Some("en"), "why");
            let el = err.to_element();
            assert!(el.is("error", ns::STREAM));
            assert!(el.has_child(name, ns::XMPP_STREAMS));
            assert_eq!(StreamError::from_element(&el), Ok(err));
        }
    }

    #[test]
    fn full_stanza_error_round_trips() {
        let app = Element::new("http://jabber.org/protocol/pubsub#errors", "unsupported")
            .with_attr("feature", "publish");
        let err = StanzaError::new(StanzaErrorCondition::FeatureNotImplemented)
            .with_type(Modify)
            .with_text(Some("en"), "no publishing")
            .with_app_condition(app.clone())
            .with_by(Jid::parse("pubsub.example.com").unwrap());
        let el = err.to_element_in(ns::SERVER);
        assert_eq!(el.attr("by"), Some("pubsub.example.com"));
        let text = el.get_child("text", ns::XMPP_STANZAS).unwrap();
        assert_eq!(text.lang(), Some("en"));
        assert_eq!(text.text(), "no publishing");
        assert_eq!(el.children().last(), Some(&app));
        assert_eq!(StanzaError::from_element(&el), Ok(err));
    }

    #[test]
    fn gone_and_redirect_carry_their_uri() {
        for c in [
            StanzaErrorCondition::Gone(Some("xmpp:romeo@afterlife.example.net".into())),
            StanzaErrorCondition::Redirect(Some("xmpp:rms@example.com".into())),
            StanzaErrorCondition::Gone(None),
        ] {
            let err = StanzaError::new(c.clone());
            let el = err.to_element();
            let cond = el.get_child(c.as_str(), ns::XMPP_STANZAS).unwrap();
            assert_eq!(cond.text(), c.text().map(|t| &**t).unwrap_or_default());
            assert_eq!(StanzaError::from_element(&el).unwrap().condition, c);
        }
    }

    #[test]
    fn see_other_host_carries_its_host() {
        let err = StreamError::new(StreamErrorCondition::SeeOtherHost(
            "[2001:db8::1]:9222".into(),
        ));
        let el = err.to_element();
        let cond = el.get_child("see-other-host", ns::XMPP_STREAMS).unwrap();
        assert_eq!(cond.text(), "[2001:db8::1]:9222");
        assert_eq!(StreamError::from_element(&el), Ok(err));
    }

    #[test]
    fn unknown_condition_reads_as_undefined_condition() {
        let el = Element::new(ns::CLIENT, "error")
            .with_attr("type", "cancel")
            .with_child(Element::new(ns::XMPP_STANZAS, "future-condition"));
        let err = StanzaError::from_element(&el).unwrap();
        assert_eq!(err.condition, StanzaErrorCondition::UndefinedCondition);
        let el = Element::new(ns::STREAM, "error")
            .with_child(Element::new(ns::XMPP_STREAMS, "future-condition"));
        assert_eq!(
            StreamError::from_element(&el).unwrap().condition,
            StreamErrorCondition::UndefinedCondition
        );
    }

    #[test]
    fn malformed_error_elements_are_rejected() {
        let cond = || Element::new(ns::XMPP_STANZAS, "conflict");
        let no_type = Element::new(ns::CLIENT, "error").with_child(cond());
        assert_eq!(
            StanzaError::from_element(&no_type),
            Err(ErrorParseError::BadType)
        );
        let bad_type = no_type.clone().with_attr("type", "oops");
        assert_eq!(
            StanzaError::from_element(&bad_type),
            Err(ErrorParseError::BadType)
        );
        let empty = Element::new(ns::CLIENT, "error").with_attr("type", "cancel");
        assert_eq!(
            StanzaError::from_element(&empty),
            Err(ErrorParseError::NoCondition)
        );
        let only_text = empty
            .clone()
            .with_child(Element::new(ns::XMPP_STANZAS, "text"));
        assert_eq!(
            StanzaError::from_element(&only_text),
            Err(ErrorParseError::NoCondition)
        );
        let two = empty.clone().with_child(cond()).with_child(cond());
        assert_eq!(
            StanzaError::from_element(&two),
            Err(ErrorParseError::TwoConditions)
        );
        let bad_by = empty.clone().with_child(cond()).with_attr("by", "@@");
        assert_eq!(
            StanzaError::from_element(&bad_by),
            Err(ErrorParseError::BadBy)
        );
        let wrong_ns = Element::new("urn:other", "error")
            .with_attr("type", "cancel")
            .with_child(cond());
        assert!(matches!(
            StanzaError::from_element(&wrong_ns),
            Err(ErrorParseError::NotAnError { .. })
        ));
        // A stanza error is not a stream error and vice versa.
        assert!(StreamError::from_element(&empty.with_child(cond())).is_err());
        let stream = StreamError::new(StreamErrorCondition::Reset).to_element();
        assert!(StanzaError::from_element(&stream).is_err());
    }

    #[test]
    fn xml_conditions_map_to_stream_conditions() {
        use waxwing_xml::XmlErrorCondition as X;
        for x in [
            X::NotWellFormed,
            X::RestrictedXml,
            X::InvalidNamespace,
            X::BadNamespacePrefix,
            X::UnsupportedEncoding,
            X::PolicyViolation,
        ] {
            assert_eq!(StreamErrorCondition::from(x).as_str(), x.as_str());
        }
    }

    #[test]
    fn display_is_readable() {
        let err =
            StanzaError::new(StanzaErrorCondition::ItemNotFound).with_text(None, "no such node");
        assert_eq!(err.to_string(), "item-not-found (cancel): no such node");
        assert_eq!(
            StreamError::new(StreamErrorCondition::HostUnknown).to_string(),
            "host-unknown"
        );
    }
}
