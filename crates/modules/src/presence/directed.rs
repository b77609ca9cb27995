//! Directed presence (RFC 6121 §4.6) and the presence consequences of blocklist changes
//! (XEP-0191 §3.3, §3.4 through the `BlocklistChanged` hook).

use waxwing_core::hooks::BlocklistChange;
use waxwing_core::{Flow, Server};
use waxwing_jid::{BareJid, Jid};
use waxwing_stanza::{Presence as PresenceView, PresenceType};

use super::{MAX_DIRECTED, Presence, resources, route_to, send_current, unavailable_from};
use crate::roster::Roster;

/// Whether blocklist item `item` covers `jid` (XEP-0191 §3.4 matching, reduced to what a
/// presence recipient can be: a bare or full JID, or a domain).
fn covers(item: &Jid, jid: &Jid) -> bool {
    if item.node().is_none() {
        return item.domain() == jid.domain()
            && (item.resource().is_none() || item.resource() == jid.resource());
    }
    if item.resource().is_some() {
        return item == jid;
    }
    item.to_bare() == jid.to_bare()
}

impl Presence {
    /// `PresenceFromClient`: available or unavailable presence with a `to` (§4.6.2). Recorded
    /// for the later unavailable broadcast (§4.6.3) unless the recipient gets broadcasts
    /// anyway; routed by the core. Probes and errors pass untouched.
    pub(super) async fn directed(&self, server: &Server, p: &PresenceView) -> Flow {
        let (Some(from), Some(to)) = (p.from(), p.to()) else {
            return Flow::Continue(());
        };
        let Ok(session) = waxwing_jid::FullJid::try_from(from.clone()) else {
            return Flow::Continue(());
        };
        match p.type_() {
            PresenceType::Available => {
                let user = session.to_bare();
                let broadcast = to.resource().is_none()
                    && match server.module::<Roster>() {
                        Some(r) => r.subscription(&user, &to.to_bare()).await.has_from(),
                        None => false,
                    };
                if !broadcast {
                    self.with_sessions(|s| {
                        if let Some(st) = s.get_mut(&session)
                            && st.directed.len() < MAX_DIRECTED
                        {
                            st.directed.insert(to.clone());
                        }
                    });
                }
            }
            PresenceType::Unavailable => {
                self.with_sessions(|s| {
                    if let Some(st) = s.get_mut(&session) {
                        st.directed.remove(to);
                    }
                });
            }
            _ => {}
        }
        Flow::Continue(())
    }

    /// `BlocklistChanged`: newly blocked entities that had the user's presence get unavailable
    /// presence from each available resource; unblocked subscribers get current presence.
    pub(super) async fn blocklist_changed(&self, server: &Server, change: &BlocklistChange) {
        let user = &change.owner;
        let contacts: Vec<BareJid> = match server.module::<Roster>() {
            Some(r) => r
                .contacts(user)
                .await
                .into_iter()
                .filter(|(_, s)| s.has_from())
                .map(|(c, _)| c)
                .collect(),
            None => Vec::new(),
        };
        let own = resources(server, user);
        if !change.blocked.is_empty() && !own.is_empty() {
            let mut targets: Vec<Jid> = contacts
                .iter()
                .map(|c| Jid::from(c.clone()))
                .filter(|c| change.blocked.iter().any(|b| covers(b, c)))
                .collect();
            let directed: Vec<Jid> = self.with_sessions(|s| {
                own.iter()
                    .filter_map(|j| s.get(j))
                    .flat_map(|st| st.directed.iter().cloned())
                    .collect()
            });
            for d in directed {
                if change.blocked.iter().any(|b| covers(b, &d)) && !targets.contains(&d) {
                    targets.push(d);
                }
            }
            for to in targets {
                for full in &own {
                    route_to(server, unavailable_from(full), &to).await;
                }
            }
        }
        for c in contacts {
            let jid = Jid::from(c.clone());
            if change.unblocked.iter().any(|u| covers(u, &jid)) {
                send_current(server, user, &c).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocklist_item_matching() {
        let j = |s: &str| Jid::parse(s).unwrap();
        for (item, jid, want) in [
            ("romeo@example.net", "romeo@example.net", true),
            ("romeo@example.net", "romeo@example.net/orchard", true),
            (
                "romeo@example.net/orchard",
                "romeo@example.net/orchard",
                true,
            ),
            ("romeo@example.net/orchard", "romeo@example.net", false),
            ("example.net", "romeo@example.net", true),
            ("example.net", "example.net", true),
            ("example.net", "romeo@example.org", false),
            ("tybalt@example.net", "romeo@example.net", false),
        ] {
            assert_eq!(covers(&j(item), &j(jid)), want, "{item} covers {jid}");
        }
    }
}
