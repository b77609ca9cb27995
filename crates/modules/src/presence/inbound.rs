//! Presence addressed to an account (`PresenceToAccount`): probes (RFC 6121 §4.3.2) and
//! available, unavailable and error presence to the bare JID, which goes to every available
//! resource (§4.2.3, §4.4.3, §4.5.3, §8.5.2.1.2).

use waxwing_core::{Flow, Server};
use waxwing_jid::Jid;
use waxwing_stanza::{Presence as PresenceView, PresenceType, Stanza};

use super::{Presence, blocked, route_to};
use crate::roster::Roster;
use crate::roster::subscription::deliver_to_available;

impl Presence {
    pub(super) async fn inbound(&self, server: &Server, p: &PresenceView) -> Flow {
        match p.type_() {
            PresenceType::Probe => {
                self.probe(server, p).await;
                Flow::Break(())
            }
            PresenceType::Available | PresenceType::Unavailable | PresenceType::Error => {
                if let Some(user) = p.to().map(Jid::to_bare) {
                    deliver_to_available(server, &user, p);
                }
                Flow::Break(())
            }
            // Subscription stanzas are the roster module's.
            _ => Flow::Continue(()),
        }
    }

    /// §4.3.2: unsubscribed to non-subscribers, nothing to blocked entities, the last presence
    /// of each available resource, or else the last unavailable presence ([`last`]).
    async fn probe(&self, server: &Server, p: &PresenceView) {
        let (Some(from), Some(to)) = (p.from(), p.to()) else {
            return;
        };
        let user = to.to_bare();
        let prober = from.to_bare();
        let subscribed = prober == user
            || match server.module::<Roster>() {
                Some(r) => r.subscription(&user, &prober).await.has_from(),
                None => false,
            };
        if !subscribed {
            crate::roster::subscription::send(server, &user, &prober, PresenceType::Unsubscribed)
                .await;
            return;
        }
        if blocked(server, &user, from).await {
            return;
        }
        let current = self.available_views(server, &user, None);
        if current.is_empty() {
            if let Some(el) = self.last.load(server, &user).await {
                match PresenceView::from_element(el) {
                    Ok(p) => route_to(server, p, from).await,
                    Err(e) => tracing::debug!(error = %e, "stored presence not routable"),
                }
                return;
            }
            // Never went offline since storage began (or no storage): nothing to tell but
            // unavailability.
            let mut un = PresenceView::new(PresenceType::Unavailable);
            un.set_from(Some(Jid::from(user.clone())));
            un.set_to(Some(from.clone()));
            server.route(Stanza::Presence(un)).await;
            return;
        }
        for p in current {
            route_to(server, p, from).await;
        }
    }
}
