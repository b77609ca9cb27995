//! Stanza routing: RFC 6120 §8.1.2.1 (`from` stamping), §10 (server rules for processing XML
//! stanzas) and the RFC 6121 §8.5 rules that apply before rosters exist.
//!
//! Decisions where the RFCs leave a choice, each applied below:
//! - Message to a bare JID with several resources of the same, highest non-negative priority
//!   (RFC 6121 §8.5.2.1.1): delivered to all of them (option b), so no client misses it.
//! - Account does not exist (RFC 6121 §8.5.1): IQ get/set → `service-unavailable`; presence →
//!   dropped; message → answered exactly as for an existing account without available
//!   resources and without offline storage (RFC 6121 §8.5.2.2.1: `chat`, `normal`, `groupchat` →
//!   `service-unavailable`, `headline` and `error` → dropped), both options §8.5.1 allows, so
//!   the answer does not reveal whether the account exists.
//! - Full JID without a session, account exists (RFC 6121 §8.5.3.2.1): `chat` → handled as if
//!   sent to the bare JID (option a); `normal` and `groupchat` → `service-unavailable`
//!   (option b); `headline` → dropped (option a); IQ get/set → `service-unavailable`
//!   (§8.5.3.2.3); presence → subscription types and probes to [`PresenceToAccount`], the
//!   rest dropped (§8.5.3.2.2).
//! - Probes to a full JID with a session go to [`PresenceToAccount`] too: the server answers
//!   them (RFC 6121 §4.3.2), not the client.
//! - Every stanza for an existing local account passes [`StanzaToAccount`] (blocking, privacy)
//!   before these rules; presence with a `to` from a client passes [`PresenceFromClient`]
//!   (subscriptions, directed presence) before routing.
//! - Message or presence to a served domain (RFC 6120 §10.5.1): offered to the
//!   [`MessageToServer`] / [`PresenceToServer`] hooks; unhandled messages get
//!   `service-unavailable`, unhandled presence is dropped. Stanzas to `domain/resource`
//!   (§10.5.2) have no handler yet and are answered the same way.
//! - IQ result and error stanzas addressed to the server or to an account with no such session
//!   are dropped: answering them would risk loops (RFC 6120 §8.2.3).
//! - A session whose mailbox is full or closing loses the stanza; the session is being closed
//!   (see [`crate::SessionHandle::deliver`]) and the sender gets no error.
//!
//! Everything, IQ handlers included, is processed before `route*` returns, in order: RFC 6120
//! §10.1 requires a server to finish a request whose processing can affect what follows on the
//! same stream (a block list change, a roster set) before it processes the next stanza, so
//! answers to pipelined requests also leave in request order.

use waxwing_jid::{BareJid, FullJid, Jid};
use waxwing_stanza::{
    Iq, IqType, Message, MessageType, Presence, PresenceType, Stanza, StanzaError,
    StanzaErrorCondition, StreamError, StreamErrorCondition,
};
use waxwing_xml::Element;

use crate::Server;
use crate::hooks::{
    AsyncHook, ClientStanza, Flow, HookArg, MessageToServer, MessageUndeliverable,
    PresenceBroadcast, PresenceChange, PresenceFromClient, PresenceToAccount, PresenceToServer,
    ResourceBound, SessionClosed, SessionEvent, StanzaFromClient, StanzaToAccount,
};
use crate::module::{IqRequest, IqTarget};
use crate::session::{BindError, Registration, SessionHandle, SessionId};

/// How long an IQ answer waits for room in its requester's mailbox.
const REPLY_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

/// A stanza the [`crate::RemoteRoute`] could not take, handed back with the reason.
#[derive(Debug)]
pub struct Bounce {
    /// The stanza, unchanged.
    pub stanza: Stanza,
    /// What to tell its sender.
    pub error: StanzaError,
}

/// What every stanza view offers for error replies.
trait Replyable {
    fn sender(&self) -> Option<&Jid>;
    fn error_reply_el(&self, err: &StanzaError) -> Option<Element>;
}

macro_rules! replyable {
    ($($t:ty),*) => {$(
        impl Replyable for $t {
            fn sender(&self) -> Option<&Jid> {
                self.from()
            }
            fn error_reply_el(&self, err: &StanzaError) -> Option<Element> {
                self.error_reply(err)
            }
        }
    )*};
}
replyable!(Stanza, Message, Presence, Iq);

fn deliver(session: &SessionHandle, el: Element) {
    if let Err(e) = session.deliver(el) {
        tracing::debug!(jid = %session.jid(), error = %e, "stanza lost");
    }
}

fn service_unavailable() -> StanzaError {
    StanzaError::new(StanzaErrorCondition::ServiceUnavailable)
}

/// Presence types the account's server handles rather than delivers to a resource:
/// subscription management (RFC 6121 §3) and probes (§4.3.2).
fn is_server_handled(t: PresenceType) -> bool {
    matches!(
        t,
        PresenceType::Subscribe
            | PresenceType::Subscribed
            | PresenceType::Unsubscribe
            | PresenceType::Unsubscribed
            | PresenceType::Probe
    )
}

/// The presence priority (RFC 6121 §4.7.2.3): absent means 0; anything but an integer in
/// -128..=127 is an error.
fn priority(p: &Presence) -> Option<i8> {
    let el = p.element();
    match el.get_child("priority", el.ns()) {
        None => Some(0),
        Some(e) => e.text().trim().parse::<i8>().ok(),
    }
}

impl Server {
    /// Binds a session to its full JID under the configured [`crate::ConflictPolicy`], fires
    /// [`SessionClosed`] for a session it replaced, then [`ResourceBound`]. The transport then
    /// answers the bind with `registration.handle.jid()` (which may differ under `Rename`).
    pub async fn bind(&self, handle: SessionHandle) -> Result<Registration, BindError> {
        if !self.serves(handle.jid().domain()) {
            return Err(BindError::NotAllowed);
        }
        let reg = self.sessions().register(handle, self.conflict_policy())?;
        if let Some(old) = &reg.replaced {
            tracing::info!(jid = %old.jid(), old = old.id(), new = reg.handle.id(), "session replaced");
            // The old session's own close finds it unregistered already: its end is reported
            // here, before the new session exists for modules.
            self.run_every::<SessionClosed>(SessionEvent {
                jid: old.jid().clone(),
                id: old.id(),
            })
            .await;
        }
        self.run_every::<ResourceBound>(SessionEvent {
            jid: reg.handle.jid().clone(),
            id: reg.handle.id(),
        })
        .await;
        Ok(reg)
    }

    /// Runs every handler of `H` (a `Break` from one does not hide the event from others).
    async fn run_every<H: AsyncHook>(&self, arg: H::Arg) {
        let _ = self.run_chain::<H>(arg, true).await;
    }

    /// The transport reports that session `id` bound to `jid` has ended. Unregisters it (if it
    /// was not already replaced) and fires [`SessionClosed`].
    pub async fn session_closed(&self, jid: &FullJid, id: SessionId) {
        if !self.sessions().unregister(jid, id) {
            return;
        }
        self.run_every::<SessionClosed>(SessionEvent {
            jid: jid.clone(),
            id,
        })
        .await;
    }

    /// Routes a stanza a bound client sent (RFC 6120 §8.1.2.1, §10). A `from` that is neither
    /// the session's full JID nor its bare JID is an `invalid-from` stream error (RFC 6120
    /// §4.9.3.9): the transport sends it and closes. Otherwise `from` is stamped with the full
    /// JID, [`StanzaFromClient`] runs, and the stanza is routed.
    pub async fn route_from_client(
        &self,
        session: &FullJid,
        mut stanza: Stanza,
    ) -> Result<(), StreamError> {
        if let Some(from) = stanza.from() {
            let own = match from.resource() {
                Some(_) => from.as_str() == session.as_str(),
                None => from.node() == session.node() && from.domain() == session.domain(),
            };
            if !own {
                return Err(StreamError::new(StreamErrorCondition::InvalidFrom));
            }
        }
        stanza.set_from(Some(Jid::from(session.clone())));
        let mut arg = ClientStanza {
            session: session.clone(),
            stanza,
        };
        if self.run_hook::<StanzaFromClient>(&mut arg).is_break() {
            return Ok(());
        }
        let ClientStanza { session, stanza } = arg;
        if stanza.to().is_some() {
            let stanza = match stanza {
                Stanza::Presence(p) => match self.hook_take::<PresenceFromClient>(p).await {
                    Some((p, _)) => Stanza::Presence(p),
                    None => return Ok(()),
                },
                other => other,
            };
            self.route(stanza).await;
        } else {
            self.route_without_to(&session, stanza).await;
        }
        Ok(())
    }

    /// Routes a stanza whose `from` is final: server-originated stanzas, module output, and
    /// (through [`Server::route_from_client`]) client stanzas. The one path for delivery:
    /// callers never look up sessions themselves. A stanza without `to` is dropped.
    pub async fn route(&self, stanza: Stanza) {
        let Some(to) = stanza.to().cloned() else {
            tracing::debug!(%stanza, "dropping stanza without to");
            return;
        };
        if !self.serves(to.domain()) {
            return self.route_remote(stanza);
        }
        match (to.node().is_some(), to.try_into_full()) {
            (false, Err(_)) => self.to_domain(stanza).await,
            (false, Ok(_)) => self.to_domain_resource(&stanza),
            (true, Err(bare)) => self.to_bare(&bare, stanza).await,
            (true, Ok(full)) => self.to_full(&full, stanza).await,
        }
    }

    fn route_remote(&self, stanza: Stanza) {
        if let Err(b) = self.remote().route(stanza) {
            self.bounce(&b.stanza, &b.error);
        }
    }

    /// RFC 6120 §10.3: no `to`.
    async fn route_without_to(&self, session: &FullJid, stanza: Stanza) {
        let account = session.to_bare();
        match stanza {
            // §10.3.1: as if addressed to the sender's bare JID.
            Stanza::Message(mut m) => {
                m.set_to(Some(Jid::from(account.clone())));
                self.message_to_account(&account, m).await;
            }
            // §10.3.2: broadcast presence (RFC 6121 §4.2, §4.4).
            Stanza::Presence(p) => self.broadcast_presence(session, p).await,
            // A response without `to` can only be for the server (e.g. to `send_iq`).
            Stanza::Iq(iq) if !iq.type_().is_request() => self.iq_response(iq),
            // §10.3.3: handled by the server on the account's behalf.
            Stanza::Iq(iq) => {
                self.dispatch_iq(iq, Jid::from(account), IqTarget::Account)
                    .await;
            }
        }
    }

    async fn broadcast_presence(&self, session: &FullJid, p: Presence) {
        let priority = match p.type_() {
            PresenceType::Available => {
                let Some(prio) = priority(&p) else {
                    self.bounce(
                        &Stanza::Presence(p),
                        &StanzaError::new(StanzaErrorCondition::BadRequest)
                            .with_text(Some("en"), "priority must be an integer from -128 to 127"),
                    );
                    return;
                };
                Some(prio)
            }
            PresenceType::Unavailable => None,
            // Subscription management, probes and errors need a `to` (RFC 6121 §3, §4.3).
            _ => return,
        };
        let Some(previous) = self.sessions().set_presence(session, priority) else {
            return;
        };
        let change = PresenceChange {
            session: session.clone(),
            presence: p,
            was_available: previous.is_some(),
        };
        let _ = self.run_async_hook::<PresenceBroadcast>(change).await;
    }

    /// RFC 6120 §10.5.1: addressed to a served domain.
    async fn to_domain(&self, stanza: Stanza) {
        match stanza {
            Stanza::Iq(iq) if !iq.type_().is_request() => self.iq_response(iq),
            Stanza::Iq(iq) => {
                let to = iq.to().cloned();
                if let Some(to) = to {
                    self.dispatch_iq(iq, to, IqTarget::Server).await;
                }
            }
            Stanza::Message(m) => {
                let (flow, m) = self.hook_keep::<MessageToServer>(m).await;
                if let Some(m) = m.get()
                    && flow.is_continue()
                    && m.type_() != MessageType::Error
                {
                    self.bounce_view(m, &service_unavailable());
                }
            }
            Stanza::Presence(p) => {
                let _ = self.run_async_hook::<PresenceToServer>(p).await;
            }
        }
    }

    /// RFC 6120 §10.5.2: `domain/resource`. Nothing is addressed there yet.
    fn to_domain_resource(&self, stanza: &Stanza) {
        match stanza {
            Stanza::Iq(iq) if iq.type_().is_request() => {
                self.bounce(stanza, &service_unavailable());
            }
            Stanza::Message(m) if m.type_() != MessageType::Error => {
                self.bounce(stanza, &service_unavailable());
            }
            _ => {}
        }
    }

    /// RFC 6121 §8.5.1 and §8.5.2: addressed to `localpart@domainpart`.
    async fn to_bare(&self, bare: &BareJid, stanza: Stanza) {
        match self.account_exists(bare).await {
            Err(e) => return self.bounce(&stanza, &e),
            Ok(false) => return self.no_such_user(&stanza),
            Ok(true) => {}
        }
        let Some((stanza, _)) = self.hook_take::<StanzaToAccount>(stanza).await else {
            return;
        };
        match stanza {
            Stanza::Iq(iq) => {
                // §8.5.2.1.3 / §8.5.2.2.3: the server answers on the account's behalf; results
                // and errors addressed to a bare JID have nobody to go to.
                self.dispatch_iq(iq, Jid::from(bare.clone()), IqTarget::Account)
                    .await;
            }
            Stanza::Message(m) => self.message_to_account(bare, m).await,
            Stanza::Presence(p) => {
                let _ = self.run_async_hook::<PresenceToAccount>(p).await;
            }
        }
    }

    /// RFC 6121 §8.5.1: the account does not exist.
    fn no_such_user(&self, stanza: &Stanza) {
        let answer = match stanza {
            Stanza::Iq(iq) => iq.type_().is_request(),
            Stanza::Message(m) => matches!(
                m.type_(),
                MessageType::Chat | MessageType::Normal | MessageType::Groupchat
            ),
            Stanza::Presence(_) => false,
        };
        if answer {
            self.bounce(stanza, &service_unavailable());
        }
    }

    /// RFC 6121 §8.5.3: addressed to `localpart@domainpart/resourcepart`.
    async fn to_full(&self, full: &FullJid, stanza: Stanza) {
        let session = self.sessions().session(full);
        if session.is_none() {
            match self.account_exists(&full.to_bare()).await {
                Err(e) => return self.bounce(&stanza, &e),
                Ok(false) => return self.no_such_user(&stanza),
                Ok(true) => {}
            }
        }
        let Some((stanza, awaited)) = self.hook_take::<StanzaToAccount>(stanza).await else {
            return;
        };
        // A handler that awaited may have taken time: look again.
        let session = if awaited {
            session.and_then(|_| self.sessions().session(full))
        } else {
            session
        };
        if let Some(session) = session {
            // §8.5.3.1; subscription management always concerns the bare JID (RFC 6121 §3),
            // and probes are answered by the server (§4.3.2).
            match stanza {
                Stanza::Presence(p) if is_server_handled(p.type_()) => {
                    let _ = self.run_async_hook::<PresenceToAccount>(p).await;
                }
                other => deliver(&session, other.into_element()),
            }
            return;
        }
        // §8.5.3.2: no such resource.
        let bare = full.to_bare();
        match stanza {
            Stanza::Iq(iq) => {
                if iq.type_().is_request() {
                    self.bounce_view(&iq, &service_unavailable());
                }
            }
            Stanza::Message(m) => match m.type_() {
                MessageType::Chat => self.message_to_account(&bare, m).await,
                MessageType::Normal | MessageType::Groupchat => {
                    self.bounce_view(&m, &service_unavailable());
                }
                MessageType::Headline | MessageType::Error => {}
            },
            Stanza::Presence(p) => {
                if is_server_handled(p.type_()) {
                    let _ = self.run_async_hook::<PresenceToAccount>(p).await;
                }
            }
        }
    }

    /// RFC 6121 §8.5.2.1.1 and §8.5.2.2.1: a message for an existing account.
    async fn message_to_account(&self, bare: &BareJid, m: Message) {
        let targets: Vec<SessionHandle> = match m.type_() {
            MessageType::Error => return,
            // §8.5.2.1.1: never delivered to the account's resources.
            MessageType::Groupchat => return self.bounce_view(&m, &service_unavailable()),
            MessageType::Headline => self.sessions().with_resources(bare, |rs| {
                rs.iter()
                    .filter(|r| r.priority.is_some_and(|p| p >= 0))
                    .map(|r| r.handle.clone())
                    .collect()
            }),
            MessageType::Chat | MessageType::Normal => self.sessions().with_resources(bare, |rs| {
                let best = rs
                    .iter()
                    .filter_map(|r| r.priority)
                    .filter(|p| *p >= 0)
                    .max();
                best.map_or_else(Vec::new, |best| {
                    rs.iter()
                        .filter(|r| r.priority == Some(best))
                        .map(|r| r.handle.clone())
                        .collect()
                })
            }),
        };
        if let Some((last, rest)) = targets.split_last() {
            for t in rest {
                deliver(t, m.element().clone());
            }
            deliver(last, m.into_element());
            return;
        }
        // §8.5.2.2.1 (and §8.5.2.1.1: only negative priorities counts as none available).
        if m.type_() == MessageType::Headline {
            return;
        }
        let (flow, m) = self.hook_keep::<MessageUndeliverable>(m).await;
        if let Some(m) = m.get()
            && flow.is_continue()
        {
            self.bounce_view(m, &service_unavailable());
        }
    }

    /// Runs an async hook; `None` if a handler consumed the argument, else the argument back
    /// for the default action (without a copy unless a handler kept a reference), and whether
    /// an async handler had it (it may have awaited: state read before may be stale).
    async fn hook_take<H>(&self, arg: H::Arg) -> Option<(H::Arg, bool)>
    where
        H: AsyncHook,
        H::Arg: Clone,
    {
        let (flow, arg) = self.run_chain::<H>(arg, false).await;
        if flow.is_break() {
            return None;
        }
        let awaited = arg.was_shared();
        arg.into_inner().map(|a| (a, awaited))
    }

    /// Runs an async hook and keeps the argument for the default action.
    async fn hook_keep<H: AsyncHook>(&self, arg: H::Arg) -> (Flow, HookArg<H::Arg>) {
        self.run_chain::<H>(arg, false).await
    }

    /// IQ dispatch (RFC 6120 §8.2.3, §8.4): get/set to a handler or `service-unavailable`;
    /// result/error addressed to the server itself are dropped.
    async fn dispatch_iq(&self, iq: Iq, to: Jid, target: IqTarget) {
        if !iq.type_().is_request() {
            return;
        }
        let handler = iq
            .payload()
            .and_then(|p| self.iq_handler(iq.type_(), p.name(), p.ns(), target));
        let (Some(handler), Some(from)) = (handler, iq.from().cloned()) else {
            return self.bounce_view(&iq, &service_unavailable());
        };
        let Some(head) = iq.result_reply() else {
            return;
        };
        // Error replies echo the payload element without its children: RFC 6120 §8.3.1 allows
        // including the request's payload, XEP examples show the bare query element (e.g.
        // XEP-0030 §3.2's `node`), and children may be large.
        let echo = iq.payload().map(|p| {
            let mut e = Element::new(p.ns_str().clone(), p.name_str().clone());
            e.attrs_mut().extend(p.attrs().iter().cloned());
            e
        });
        let request = IqRequest {
            server: self.clone(),
            from: from.clone(),
            to,
            iq,
        };
        let reply = match handler(request).await {
            Ok(payload) => {
                let mut reply = head;
                if let Some(p) = payload {
                    reply.append_child(p);
                }
                reply
            }
            Err(e) => {
                let mut reply = head;
                reply.set_attr("type", IqType::Error.as_str());
                if let Some(echo) = echo {
                    reply.append_child(echo);
                }
                let ns = reply.ns().to_owned();
                reply.append_child(e.stanza_error().to_element_in(&ns));
                reply
            }
        };
        self.deliver_reply(&from, reply).await;
    }

    fn bounce_view<S: Replyable + ?Sized>(&self, s: &S, err: &StanzaError) {
        let Some(from) = s.sender() else { return };
        let Some(reply) = s.error_reply_el(err) else {
            return;
        };
        self.deliver_to(from, reply);
    }

    /// Returns `err` to the sender of `stanza` (RFC 6120 §8.3.1); never answers an error.
    fn bounce(&self, stanza: &Stanza, err: &StanzaError) {
        self.bounce_view(stanza, err);
    }

    /// Delivers `el` to the local session bound to `to` as it is, with no routing rule or hook
    /// applied: for modules that have already applied the rules (presence broadcast, roster
    /// pushes, stored messages). `false` if there is no such session or it is closing.
    pub fn deliver_to_session(&self, to: &FullJid, el: Element) -> bool {
        self.sessions()
            .session(to)
            .is_some_and(|s| s.deliver(el).is_ok())
    }

    /// Delivers an IQ handler's answer. To a local session it waits, up to [`REPLY_WAIT`], for
    /// room in the mailbox instead of closing the session at once: a client that pipelines more
    /// requests than its mailbox holds is not a slow reader while its session is still reading
    /// the burst (the wait is bounded by what the session has read, since a session that stops
    /// reading stops being read from). A session that makes no room in that time is closed as a
    /// slow reader.
    async fn deliver_reply(&self, to: &Jid, el: Element) {
        let session = (self.serves(to.domain()) && !self.is_served_domain(to))
            .then(|| FullJid::try_from(to.clone()).ok())
            .flatten()
            .and_then(|full| self.sessions().session(&full));
        let Some(session) = session else {
            return self.deliver_to(to, el);
        };
        if tokio::time::timeout(REPLY_WAIT, session.deliver_waiting(el))
            .await
            .is_err()
        {
            tracing::warn!(jid = %session.jid(), "reply not taken in time, closing slow reader");
            session.close(
                StreamError::new(StreamErrorCondition::PolicyViolation)
                    .with_text(Some("en"), "too many stanzas waiting to be read"),
            );
        }
    }

    /// Delivers a reply the server generated to `to`: a local session, or a remote entity.
    /// Replies to bare local JIDs or to the server itself are dropped.
    pub(crate) fn deliver_to(&self, to: &Jid, el: Element) {
        if self.is_served_domain(to) {
            // An error the server generated for a request the server sent (`send_iq`).
            if let Ok(Stanza::Iq(iq)) = Stanza::from_element(el) {
                self.iq_response(iq);
            }
            return;
        }
        if self.serves(to.domain()) {
            if let Some(s) = FullJid::try_from(to.clone())
                .ok()
                .and_then(|full| self.sessions().session(&full))
            {
                deliver(&s, el);
            }
            return;
        }
        if let Ok(stanza) = Stanza::from_element(el) {
            // A failed bounce is not bounced again.
            let _ = self.remote().route(stanza);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn presence(xml: &str) -> Presence {
        Presence::from_element(waxwing_xml::parse_element(xml.as_bytes()).unwrap()).unwrap()
    }

    #[test]
    fn priority_values() {
        // RFC 6121 §4.7.2.3: an integer from -128 to +127; absent means zero.
        for (xml, want) in [
            ("<presence xmlns='jabber:client'/>", Some(0)),
            (
                "<presence xmlns='jabber:client'><priority>5</priority></presence>",
                Some(5),
            ),
            (
                "<presence xmlns='jabber:client'><priority> -128 </priority></presence>",
                Some(-128),
            ),
            (
                "<presence xmlns='jabber:client'><priority>127</priority></presence>",
                Some(127),
            ),
            (
                "<presence xmlns='jabber:client'><priority>128</priority></presence>",
                None,
            ),
            (
                "<presence xmlns='jabber:client'><priority>1.5</priority></presence>",
                None,
            ),
            (
                "<presence xmlns='jabber:client'><priority/></presence>",
                None,
            ),
            // A <priority/> in another namespace is not the priority.
            (
                "<presence xmlns='jabber:client'><priority xmlns='urn:x'>x</priority></presence>",
                Some(0),
            ),
        ] {
            assert_eq!(priority(&presence(xml)), want, "{xml}");
        }
    }
}
