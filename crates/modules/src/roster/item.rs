//! A roster item (RFC 6121 §2.1.2), the nine subscription states of RFC 6121 Appendix A.1,
//! and the stored form of an item.

use waxwing_jid::BareJid;
use waxwing_stanza::ns;
use waxwing_xml::Element;

/// Namespace of the stored form of an item (never sent on the wire).
const STORE_NS: &str = "urn:waxwing:roster:0";

/// The `subscription` attribute (RFC 6121 §2.1.2.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Subscription {
    /// Neither is subscribed to the other's presence.
    #[default]
    None,
    /// The user is subscribed to the contact's presence.
    To,
    /// The contact is subscribed to the user's presence.
    From,
    /// Both.
    Both,
}

impl Subscription {
    /// The attribute value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::To => "to",
            Self::From => "from",
            Self::Both => "both",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "none" => Self::None,
            "to" => Self::To,
            "from" => Self::From,
            "both" => Self::Both,
            _ => return None,
        })
    }

    /// Whether the user receives the contact's presence (`to` or `both`).
    pub fn has_to(self) -> bool {
        matches!(self, Self::To | Self::Both)
    }

    /// Whether the contact receives the user's presence (`from` or `both`).
    pub fn has_from(self) -> bool {
        matches!(self, Self::From | Self::Both)
    }

    fn of(to: bool, from: bool) -> Self {
        match (to, from) {
            (false, false) => Self::None,
            (true, false) => Self::To,
            (false, true) => Self::From,
            (true, true) => Self::Both,
        }
    }
}

/// The nine defined subscription states of RFC 6121 Appendix A.1, from the user's side.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// "None".
    None,
    /// "None + Pending Out".
    NonePendingOut,
    /// "None + Pending In".
    NonePendingIn,
    /// "None + Pending Out/In".
    NonePendingOutIn,
    /// "To".
    To,
    /// "To + Pending In".
    ToPendingIn,
    /// "From".
    From,
    /// "From + Pending Out".
    FromPendingOut,
    /// "Both".
    Both,
}

impl State {
    /// Every state, in the order of the RFC's tables.
    pub const ALL: [Self; 9] = [
        Self::None,
        Self::NonePendingOut,
        Self::NonePendingIn,
        Self::NonePendingOutIn,
        Self::To,
        Self::ToPendingIn,
        Self::From,
        Self::FromPendingOut,
        Self::Both,
    ];

    /// The state of (subscription, pending out, pending in). Combinations the RFC does not
    /// define (a pending request in a direction already subscribed) fold into the defined state.
    pub fn of(sub: Subscription, pending_out: bool, pending_in: bool) -> Self {
        let out = pending_out && !sub.has_to();
        let inn = pending_in && !sub.has_from();
        match (sub, out, inn) {
            (Subscription::None, false, false) => Self::None,
            (Subscription::None, true, false) => Self::NonePendingOut,
            (Subscription::None, false, true) => Self::NonePendingIn,
            (Subscription::None, true, true) => Self::NonePendingOutIn,
            (Subscription::To, _, false) => Self::To,
            (Subscription::To, _, true) => Self::ToPendingIn,
            (Subscription::From, false, _) => Self::From,
            (Subscription::From, true, _) => Self::FromPendingOut,
            (Subscription::Both, _, _) => Self::Both,
        }
    }

    /// (subscription, pending out, pending in).
    pub fn parts(self) -> (Subscription, bool, bool) {
        match self {
            Self::None => (Subscription::None, false, false),
            Self::NonePendingOut => (Subscription::None, true, false),
            Self::NonePendingIn => (Subscription::None, false, true),
            Self::NonePendingOutIn => (Subscription::None, true, true),
            Self::To => (Subscription::To, false, false),
            Self::ToPendingIn => (Subscription::To, false, true),
            Self::From => (Subscription::From, false, false),
            Self::FromPendingOut => (Subscription::From, true, false),
            Self::Both => (Subscription::Both, false, false),
        }
    }

    /// The subscription part.
    pub fn subscription(self) -> Subscription {
        self.parts().0
    }

    /// Whether the user has asked for the contact's presence and not been answered.
    pub fn pending_out(self) -> bool {
        self.parts().1
    }

    /// Whether the contact has asked for the user's presence and not been answered.
    pub fn pending_in(self) -> bool {
        self.parts().2
    }

    fn with(
        self,
        to: Option<bool>,
        from: Option<bool>,
        out: Option<bool>,
        inn: Option<bool>,
    ) -> Self {
        let (sub, o, i) = self.parts();
        let sub = Subscription::of(to.unwrap_or(sub.has_to()), from.unwrap_or(sub.has_from()));
        Self::of(sub, out.unwrap_or(o), inn.unwrap_or(i))
    }
}

/// The four subscription-management presence types (RFC 6121 §3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `subscribe`.
    Subscribe,
    /// `subscribed`.
    Subscribed,
    /// `unsubscribe`.
    Unsubscribe,
    /// `unsubscribed`.
    Unsubscribed,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Self; 4] = [
        Self::Subscribe,
        Self::Subscribed,
        Self::Unsubscribe,
        Self::Unsubscribed,
    ];

    /// From a presence type.
    pub fn of(t: waxwing_stanza::PresenceType) -> Option<Self> {
        use waxwing_stanza::PresenceType as P;
        Some(match t {
            P::Subscribe => Self::Subscribe,
            P::Subscribed => Self::Subscribed,
            P::Unsubscribe => Self::Unsubscribe,
            P::Unsubscribed => Self::Unsubscribed,
            _ => return None,
        })
    }

    /// As a presence type.
    pub fn presence_type(self) -> waxwing_stanza::PresenceType {
        use waxwing_stanza::PresenceType as P;
        match self {
            Self::Subscribe => P::Subscribe,
            Self::Subscribed => P::Subscribed,
            Self::Unsubscribe => P::Unsubscribe,
            Self::Unsubscribed => P::Unsubscribed,
        }
    }
}

/// Outbound processing (the user sent `kind` to the contact), RFC 6121 Appendix A.2 and
/// §3.1.2, §3.2.2, §3.3.2: whether the user's server routes the stanza, and the new state.
///
/// Outbound `subscribe` and `unsubscribe` are always routed (RFC 6121 §3.1.2, §3.3.2: the
/// contact's server may be out of sync); `subscribed` and `unsubscribed` only when they answer
/// or cancel something (A.2.1, A.2.2).
pub fn outbound(state: State, kind: Kind) -> (bool, State) {
    use State as S;
    match kind {
        Kind::Subscribe => (
            true,
            state.with(None, None, Some(!state.subscription().has_to()), None),
        ),
        Kind::Unsubscribe => (true, state.with(Some(false), None, Some(false), None)),
        // A.2.1: only a pending inbound request is approved.
        Kind::Subscribed => match state {
            S::NonePendingIn | S::NonePendingOutIn | S::ToPendingIn => {
                (true, state.with(None, Some(true), None, Some(false)))
            }
            _ => (false, state),
        },
        // A.2.2: denies a pending request or cancels the contact's subscription.
        Kind::Unsubscribed => match state {
            S::NonePendingIn
            | S::NonePendingOutIn
            | S::ToPendingIn
            | S::From
            | S::FromPendingOut
            | S::Both => (true, state.with(None, Some(false), None, Some(false))),
            _ => (false, state),
        },
    }
}

/// Inbound processing (the contact sent `kind` to the user), RFC 6121 Appendix A.3 and
/// §3.1.3, §3.1.6, §3.2.3, §3.3.3: whether the user's server delivers the stanza to the
/// user's available resources, and the new state. An inbound `subscribe` in a state with a
/// `from` subscription is not delivered but answered by the server (§3.1.3; see
/// [`super::subscription`]).
pub fn inbound(state: State, kind: Kind) -> (bool, State) {
    use State as S;
    match kind {
        // A.3.1.
        Kind::Subscribe => match state {
            S::None | S::NonePendingOut | S::To => (true, state.with(None, None, None, Some(true))),
            _ => (false, state),
        },
        // A.3.2: the contact cancels its subscription to the user (or its pending request).
        Kind::Unsubscribe => match state {
            S::NonePendingIn
            | S::NonePendingOutIn
            | S::ToPendingIn
            | S::From
            | S::FromPendingOut
            | S::Both => (true, state.with(None, Some(false), None, Some(false))),
            _ => (false, state),
        },
        // A.3.3: only a pending outbound request is approved.
        Kind::Subscribed => match state {
            S::NonePendingOut | S::NonePendingOutIn | S::FromPendingOut => {
                (true, state.with(Some(true), None, Some(false), None))
            }
            _ => (false, state),
        },
        // A.3.4: denies the user's pending request or cancels the user's subscription.
        Kind::Unsubscribed => match state {
            S::NonePendingOut
            | S::NonePendingOutIn
            | S::To
            | S::ToPendingIn
            | S::FromPendingOut
            | S::Both => (true, state.with(Some(false), None, Some(false), None)),
            _ => (false, state),
        },
    }
}

/// One record of an account's roster store: a roster item, or a record kept outside the
/// roster proper (a tombstone for roster versioning, or a subscription request from a contact
/// the user has no item for, which RFC 6121 §3.1.3 forbids adding to the roster).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    /// The contact.
    pub jid: BareJid,
    /// The user's name for the contact (RFC 6121 §2.1.2.4).
    pub name: Option<String>,
    /// The subscription (RFC 6121 §2.1.2.5).
    pub subscription: Subscription,
    /// The user asked for the contact's presence; shown as `ask='subscribe'` (§2.1.2.2).
    pub ask: bool,
    /// The contact's unanswered subscription request, as received (§3.1.3): redelivered at
    /// every initial presence until answered.
    pub pending_in: Option<Element>,
    /// The user pre-approved a subscription request from the contact (§3.4).
    pub approved: bool,
    /// Groups (§2.1.2.3).
    pub groups: Vec<String>,
    /// Whether the item is in the user's roster (otherwise a tombstone or a bare request).
    pub in_roster: bool,
    /// The roster version at the item's last visible change (§2.6); 0 if never visible.
    pub ver: u64,
}

impl Item {
    /// A new record for `jid`, not in the roster.
    pub fn new(jid: BareJid) -> Self {
        Self {
            jid,
            name: None,
            subscription: Subscription::None,
            ask: false,
            pending_in: None,
            approved: false,
            groups: Vec::new(),
            in_roster: false,
            ver: 0,
        }
    }

    /// The subscription state (Appendix A.1).
    pub fn state(&self) -> State {
        State::of(self.subscription, self.ask, self.pending_in.is_some())
    }

    /// Whether nothing of the record is worth keeping apart from its version.
    pub fn is_tombstone(&self) -> bool {
        !self.in_roster && self.pending_in.is_none()
    }

    /// The `<item/>` as sent to clients (RFC 6121 §2.1.2).
    pub fn to_client(&self) -> Element {
        let mut el = Element::new(ns::ROSTER, "item").with_attr("jid", self.jid.as_str());
        if let Some(name) = &self.name {
            el.set_attr("name", name.as_str());
        }
        el.set_attr("subscription", self.subscription.as_str());
        if self.ask {
            el.set_attr("ask", "subscribe");
        }
        if self.approved {
            el.set_attr("approved", "true");
        }
        for g in &self.groups {
            el.append_child(Element::new(ns::ROSTER, "group").with_text(g.as_str()));
        }
        el
    }

    /// The `<item subscription='remove'/>` of a roster push for a removed item (§2.5.2).
    pub fn removal(jid: &BareJid) -> Element {
        Element::new(ns::ROSTER, "item")
            .with_attr("jid", jid.as_str())
            .with_attr("subscription", "remove")
    }

    /// The stored form.
    pub fn to_stored(&self) -> Vec<u8> {
        let mut el = Element::new(STORE_NS, "item")
            .with_attr("jid", self.jid.as_str())
            .with_attr("s", self.subscription.as_str())
            .with_attr("v", self.ver.to_string());
        if let Some(name) = &self.name {
            el.set_attr("name", name.as_str());
        }
        for (flag, attr) in [
            (self.ask, "ask"),
            (self.approved, "approved"),
            (self.in_roster, "in"),
        ] {
            if flag {
                el.set_attr(attr, "1");
            }
        }
        for g in &self.groups {
            el.append_child(Element::new(STORE_NS, "group").with_text(g.as_str()));
        }
        if let Some(p) = &self.pending_in {
            el.append_child(Element::new(STORE_NS, "pending").with_child(p.clone()));
        }
        el.to_xml().into_bytes()
    }

    /// Reads the stored form; `None` if it is damaged.
    pub fn from_stored(bytes: &[u8]) -> Option<Self> {
        let el = waxwing_xml::parse_element(bytes).ok()?;
        if !el.is("item", STORE_NS) {
            return None;
        }
        let jid = BareJid::parse(el.attr("jid")?).ok()?;
        Some(Self {
            jid,
            name: el.attr("name").map(str::to_owned),
            subscription: Subscription::parse(el.attr("s")?)?,
            ask: el.attr("ask").is_some(),
            pending_in: el
                .get_child("pending", STORE_NS)
                .and_then(|p| p.children().next().cloned()),
            approved: el.attr("approved").is_some(),
            groups: el
                .children()
                .filter(|c| c.is("group", STORE_NS))
                .map(|c| c.text().into_owned())
                .collect(),
            in_roster: el.attr("in").is_some(),
            ver: el.attr("v")?.parse().ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_round_trips() {
        let mut item = Item::new(BareJid::parse("romeo@example.net").unwrap());
        item.name = Some("Romeo <3".into());
        item.groups = vec!["Friends".into(), "Lovers & co".into()];
        item.subscription = Subscription::To;
        item.ask = false;
        item.approved = true;
        item.in_roster = true;
        item.ver = 42;
        item.pending_in = Some(
            waxwing_xml::parse_element(
                b"<presence xmlns='jabber:client' from='romeo@example.net' type='subscribe'><status>hi</status></presence>",
            )
            .unwrap(),
        );
        assert_eq!(Item::from_stored(&item.to_stored()), Some(item));
        assert_eq!(Item::from_stored(b"<x/>"), None);
        assert_eq!(Item::from_stored(b"garbage"), None);
    }

    #[test]
    fn states_round_trip() {
        for s in State::ALL {
            let (sub, o, i) = s.parts();
            assert_eq!(State::of(sub, o, i), s);
        }
    }
}
