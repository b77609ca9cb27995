//! Presence subscriptions (RFC 6121 §3): the user's outbound `subscribe`, `subscribed`,
//! `unsubscribe`, `unsubscribed` (Appendix A.2, via `PresenceFromClient`) and the inbound ones
//! addressed to the user (Appendix A.3, via `PresenceToAccount`), with pre-approval (§3.4).
//!
//! The state tables are [`super::item::outbound`] and [`super::item::inbound`]; this file adds
//! what each change sends: roster pushes, delivery to available resources, auto-replies, and
//! the presence that follows an approval (§3.1.5) or a cancellation (§3.2.2, §3.3.3).

use waxwing_core::{Flow, Server};
use waxwing_jid::{BareJid, Jid};
use waxwing_stanza::{Presence, PresenceType, Stanza, StanzaError, StanzaErrorCondition};

use super::item::{Kind, State, inbound, outbound};
use super::{Locked, Roster};

/// Routes a subscription presence of `type_` from `user`'s bare JID to `contact`'s.
pub(crate) async fn send(server: &Server, user: &BareJid, contact: &BareJid, type_: PresenceType) {
    let mut p = Presence::new(type_);
    p.set_from(Some(Jid::from(user.clone())));
    p.set_to(Some(Jid::from(contact.clone())));
    server.route(Stanza::Presence(p)).await;
}

/// Presence the user's resources owe the contact after a change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Follow {
    None,
    /// §3.1.5: current presence of each available resource.
    Available,
    /// §3.2.2, §3.3.3: unavailable presence from each available resource.
    Unavailable,
}

/// Sets the state of `contact`'s record; whether what a roster item shows (subscription,
/// ask) changed.
fn apply(l: &mut Locked<'_>, contact: &BareJid, new: State) -> bool {
    let (sub, out, inn) = new.parts();
    let item = l.item_mut(contact);
    let changed = item.subscription != sub || item.ask != out;
    item.subscription = sub;
    item.ask = out;
    if !inn {
        item.pending_in = None;
    }
    changed
}

/// Whether a roster change of `contact` is visible (and must be pushed).
fn visible(l: &mut Locked<'_>, contact: &BareJid) -> bool {
    l.item(contact).is_some_and(|i| i.in_roster)
}

async fn follow(server: &Server, user: &BareJid, contact: &BareJid, f: Follow) {
    match f {
        Follow::None => {}
        Follow::Available => crate::presence::send_current(server, user, contact).await,
        Follow::Unavailable => crate::presence::send_unavailable(server, user, contact).await,
    }
}

impl Roster {
    /// A subscription stanza from one of `user`'s clients (Appendix A.2). Break unless it is not
    /// a subscription stanza.
    pub(super) async fn outbound(&self, server: &Server, p: &Presence) -> Flow {
        let Some(kind) = Kind::of(p.type_()) else {
            return Flow::Continue(());
        };
        let (Some(from), Some(to)) = (p.from(), p.to()) else {
            return Flow::Break(());
        };
        let user = from.to_bare();
        let contact = to.to_bare();
        let (route, then) = match self.outbound_change(server, &user, &contact, kind).await {
            Ok(x) => x,
            Err(e) => {
                if let Some(reply) = p.error_reply(&e)
                    && let Ok(full) = waxwing_jid::FullJid::try_from(from.clone())
                {
                    server.deliver_to_session(&full, reply);
                }
                return Flow::Break(());
            }
        };
        if route {
            // §3.1.2: `from` is the user's bare JID, `to` the contact's bare JID.
            let mut out = p.clone();
            out.set_from(Some(Jid::from(user.clone())));
            out.set_to(Some(Jid::from(contact.clone())));
            server.route(Stanza::Presence(out)).await;
        }
        follow(server, &user, &contact, then).await;
        Flow::Break(())
    }

    async fn outbound_change(
        &self,
        server: &Server,
        user: &BareJid,
        contact: &BareJid,
        kind: Kind,
    ) -> Result<(bool, Follow), StanzaError> {
        let internal = |e: waxwing_storage::StorageError| {
            tracing::error!(%user, error = %e, "roster storage failed");
            StanzaError::new(StanzaErrorCondition::InternalServerError)
        };
        let mut l = self.lock(user).await.map_err(internal)?;
        let before = l.item(contact).cloned();
        let state = before.as_ref().map_or(State::None, super::Item::state);
        let in_roster = before.as_ref().is_some_and(|i| i.in_roster);
        let approved = before.as_ref().is_some_and(|i| i.approved);
        let (route, new) = outbound(state, kind);
        let mut then = Follow::None;
        match kind {
            // §3.1.2: the item is created if needed, with ask='subscribe', and pushed.
            Kind::Subscribe => {
                if !in_roster {
                    if l.data().roster_len() >= self.config.max_items {
                        return Err(StanzaError::new(StanzaErrorCondition::NotAllowed)
                            .with_text(Some("en"), "roster is full"));
                    }
                    l.item_mut(contact).in_roster = true;
                }
                if apply(&mut l, contact, new) || !in_roster {
                    l.visible_change(server, contact);
                }
            }
            // §3.3.2.
            Kind::Unsubscribe => {
                if apply(&mut l, contact, new) && in_roster {
                    l.visible_change(server, contact);
                }
            }
            // §3.1.5: approval; the contact gets the item (created if needed) and our presence.
            Kind::Subscribed if route => {
                let _ = apply(&mut l, contact, new);
                let item = l.item_mut(contact);
                item.approved = false;
                item.in_roster = true;
                l.visible_change(server, contact);
                then = Follow::Available;
            }
            // §3.4.1: pre-approval, when nothing is pending and the contact is not subscribed.
            Kind::Subscribed => {
                if self.config.pre_approval
                    && !approved
                    && !state.pending_in()
                    && !state.subscription().has_from()
                {
                    if !in_roster && l.data().roster_len() >= self.config.max_items {
                        return Err(StanzaError::new(StanzaErrorCondition::NotAllowed)
                            .with_text(Some("en"), "roster is full"));
                    }
                    let item = l.item_mut(contact);
                    item.approved = true;
                    item.in_roster = true;
                    l.visible_change(server, contact);
                }
            }
            // §3.2.2: denial or cancellation; a cancellation ends our presence to the contact.
            Kind::Unsubscribed if route => {
                if apply(&mut l, contact, new) && visible(&mut l, contact) {
                    l.visible_change(server, contact);
                }
                if state.subscription().has_from() {
                    then = Follow::Unavailable;
                }
            }
            // §3.4: an unsubscribed withdraws a pre-approval; nothing is routed.
            Kind::Unsubscribed => {
                if approved {
                    l.item_mut(contact).approved = false;
                    if in_roster {
                        l.visible_change(server, contact);
                    }
                }
            }
        }
        l.commit().await.map_err(internal)?;
        Ok((route, then))
    }

    /// A subscription stanza for `user` from anyone (Appendix A.3). Break unless it is not a
    /// subscription stanza.
    pub(super) async fn inbound(&self, server: &Server, p: &Presence) -> Flow {
        let Some(kind) = Kind::of(p.type_()) else {
            return Flow::Continue(());
        };
        let (Some(from), Some(to)) = (p.from(), p.to()) else {
            return Flow::Break(());
        };
        let user = to.to_bare();
        let contact = from.to_bare();
        // Subscription stanzas are between bare JIDs (§3.1.2); a peer may have sent a full one.
        let mut stanza = p.clone();
        stanza.set_from(Some(Jid::from(contact.clone())));
        stanza.set_to(Some(Jid::from(user.clone())));
        let (deliver, reply, then) = match self
            .inbound_change(server, &user, &contact, kind, &stanza)
            .await
        {
            Ok(x) => x,
            Err(e) => {
                tracing::error!(%user, error = %e, "roster storage failed");
                return Flow::Break(());
            }
        };
        if deliver {
            deliver_to_available(server, &user, &stanza);
        }
        if let Some(t) = reply {
            send(server, &user, &contact, t).await;
        }
        follow(server, &user, &contact, then).await;
        Flow::Break(())
    }

    async fn inbound_change(
        &self,
        server: &Server,
        user: &BareJid,
        contact: &BareJid,
        kind: Kind,
        stanza: &Presence,
    ) -> Result<(bool, Option<PresenceType>, Follow), waxwing_storage::StorageError> {
        let mut l = self.lock(user).await?;
        let before = l.item(contact).cloned();
        let state = before.as_ref().map_or(State::None, super::Item::state);
        let approved = before.as_ref().is_some_and(|i| i.approved);
        let (deliver, new) = inbound(state, kind);
        let mut reply = None;
        let mut then = Follow::None;
        match kind {
            // §3.1.3: already subscribed: the server answers for the user.
            Kind::Subscribe if state.subscription().has_from() => {
                reply = Some(PresenceType::Subscribed);
            }
            // §3.4.2: pre-approved: approved on the user's behalf.
            Kind::Subscribe if approved && deliver => {
                let (sub, out, _) = state.parts();
                let approved_state = State::of(
                    if sub.has_to() {
                        super::Subscription::Both
                    } else {
                        super::Subscription::From
                    },
                    out,
                    false,
                );
                let _ = apply(&mut l, contact, approved_state);
                let item = l.item_mut(contact);
                item.approved = false;
                item.in_roster = true;
                l.visible_change(server, contact);
                reply = Some(PresenceType::Subscribed);
                then = Follow::Available;
            }
            // §3.1.3: kept (outside the roster if there is no item) until answered.
            Kind::Subscribe => {
                if !deliver {
                    return Ok((false, None, Follow::None));
                }
                let known = before.is_some();
                if !known && l.data().bare_requests() >= self.config.max_items {
                    tracing::warn!(%user, %contact, "too many pending subscription requests; dropped");
                    return Ok((false, None, Follow::None));
                }
                let _ = apply(&mut l, contact, new);
                l.item_mut(contact).pending_in = Some(stanza.element().clone());
            }
            // §3.1.6, §3.2.3, §3.3.3: delivered to the interested resources, then pushed.
            Kind::Unsubscribe | Kind::Subscribed | Kind::Unsubscribed => {
                if !deliver {
                    return Ok((false, None, Follow::None));
                }
                for i in &l.guard.interested {
                    server.deliver_to_session(&i.jid, stanza.element().clone());
                }
                if apply(&mut l, contact, new) && visible(&mut l, contact) {
                    l.visible_change(server, contact);
                }
                if kind == Kind::Unsubscribe && state.subscription().has_from() {
                    then = Follow::Unavailable;
                }
            }
        }
        l.commit().await?;
        // Only a request is delivered by the caller (to the available resources, §3.1.3).
        Ok((
            kind == Kind::Subscribe && deliver && reply.is_none(),
            reply,
            then,
        ))
    }
}

/// Delivers `stanza` to every available resource of `user` (RFC 6121 §3.1.3, §8.5.2.1.2).
pub(crate) fn deliver_to_available(server: &Server, user: &BareJid, stanza: &Presence) {
    let targets: Vec<_> = server.sessions().with_resources(user, |rs| {
        rs.iter()
            .filter(|r| r.is_available())
            .map(|r| r.handle.jid().clone())
            .collect()
    });
    for t in targets {
        server.deliver_to_session(&t, stanza.element().clone());
    }
}
