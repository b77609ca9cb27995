//! Broadcast presence: initial (RFC 6121 §4.2), subsequent (§4.4) and unavailable (§4.5),
//! including the unavailable presence owed when a session ends without sending it.

use waxwing_core::hooks::PresenceChange;
use waxwing_core::{Server, SessionId};
use waxwing_jid::{BareJid, FullJid, Jid};
use waxwing_stanza::{Presence as PresenceView, PresenceType, Stanza};

use super::{Presence, blocked, local_and_unavailable, resources, route_to, unavailable_from};
use crate::roster::Roster;

impl Presence {
    /// `PresenceBroadcast`: the presence (available or unavailable) of `change.session`.
    pub(super) async fn broadcast(&self, server: &Server, change: &PresenceChange) {
        let session = &change.session;
        let user = session.to_bare();
        let el = change.presence.clone();
        match change.presence.type_() {
            PresenceType::Available => {
                let known = self.with_sessions(|s| match s.get_mut(session) {
                    Some(p) => {
                        p.last = Some(el.clone());
                        true
                    }
                    None => false,
                });
                if !known {
                    return;
                }
                self.send_broadcast(server, &user, el).await;
                if change.is_initial() {
                    self.initial(server, &user, session).await;
                }
            }
            PresenceType::Unavailable => {
                let directed = self.with_sessions(|s| {
                    s.get_mut(session).map(|p| {
                        p.last = None;
                        std::mem::take(&mut p.directed)
                    })
                });
                if change.was_available {
                    // Stored before anyone learns of it, so a probe it prompts finds it.
                    if resources(server, &user).is_empty() {
                        self.last.save(server, &user, el.element()).await;
                    }
                    self.send_broadcast(server, &user, el.clone()).await;
                }
                // §4.6.3: directed-presence recipients learn of it too.
                for to in directed.into_iter().flatten() {
                    route_to(server, el.clone(), &to).await;
                }
            }
            _ => {}
        }
    }

    /// Sends `el` (from `session`) to every contact with a `from`/`both` subscription (§4.2.2,
    /// §4.4.2, §4.5.2) that is not blocked, and to the user's available resources.
    async fn send_broadcast(&self, server: &Server, user: &BareJid, el: PresenceView) {
        if let Some(roster) = server.module::<Roster>() {
            for (contact, sub) in roster.contacts(user).await {
                if !sub.has_from() {
                    continue;
                }
                let to = Jid::from(contact);
                if local_and_unavailable(server, &to) || blocked(server, user, &to).await {
                    continue;
                }
                route_to(server, el.clone(), &to).await;
            }
        }
        // §4.2.2, §4.4.2: available presence goes back to the resource that sent it too ("an
        // entity is implicitly subscribed to its own presence"); a session that became
        // unavailable is no longer among the available resources.
        for own in resources(server, user) {
            let mut copy = el.element().clone();
            copy.set_attr("to", own.as_str());
            server.deliver_to_session(&own, copy);
        }
    }

    /// What follows initial presence (§4.2): probes to the contacts the user is subscribed to
    /// (§4.3.1), the other resources' presence to the new one (§4.2.3), and the subscription
    /// requests not yet answered (§3.1.3).
    async fn initial(&self, server: &Server, user: &BareJid, session: &FullJid) {
        let roster = server.module::<Roster>();
        if let Some(roster) = &roster {
            for (contact, sub) in roster.contacts(user).await {
                if !sub.has_to() {
                    continue;
                }
                let to = Jid::from(contact);
                if local_and_unavailable(server, &to) || blocked(server, user, &to).await {
                    continue;
                }
                let mut probe = waxwing_stanza::Presence::new(PresenceType::Probe);
                probe.set_from(Some(Jid::from(user.clone())));
                probe.set_to(Some(to));
                server.route(Stanza::Presence(probe)).await;
            }
        }
        for mut el in self.available(server, user, Some(session)) {
            el.set_attr("to", session.as_str());
            server.deliver_to_session(session, el);
        }
        if let Some(roster) = &roster {
            for el in roster.pending_requests(user).await {
                server.deliver_to_session(session, el);
            }
        }
    }

    /// `SessionClosed`: a session that ends while available owes unavailable presence (§4.5.3
    /// "the server MUST ... as if the client had sent it"), also to directed recipients; if it
    /// was the account's last available resource, that presence is its last one (§4.3.2).
    pub(super) async fn session_closed(&self, server: &Server, jid: &FullJid, id: SessionId) {
        let state = self.with_sessions(|s| match s.get(jid) {
            Some(p) if p.id == id => s.remove(jid),
            _ => None,
        });
        let Some(state) = state else {
            return;
        };
        if state.last.is_none() {
            for to in state.directed {
                route_to(server, unavailable_from(jid), &to).await;
            }
            return;
        }
        let user = jid.to_bare();
        let el = unavailable_from(jid);
        if resources(server, &user).is_empty() {
            self.last.save(server, &user, el.element()).await;
        }
        self.send_broadcast(server, &user, el).await;
        for to in state.directed {
            route_to(server, unavailable_from(jid), &to).await;
        }
    }
}
