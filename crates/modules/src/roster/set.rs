//! Roster set: add or update an item (RFC 6121 §2.3, §2.4) and delete one (§2.5), with the
//! error cases of §2.3.3 and §2.5.3.

use waxwing_core::{IqError, IqRequest, IqResult};
use waxwing_jid::{BareJid, Jid};
use waxwing_stanza::{PresenceType, StanzaError, StanzaErrorCondition as C, ns};
use waxwing_xml::Element;

use super::get::internal;
use super::{Roster, Subscription};

fn err(c: C, text: &str) -> IqError {
    StanzaError::new(c).with_text(Some("en"), text).into()
}

/// A validated roster set.
enum Request {
    Update {
        jid: BareJid,
        name: Option<String>,
        groups: Vec<String>,
    },
    Remove(BareJid),
}

impl Roster {
    fn parse_set(&self, query: &Element) -> Result<Request, IqError> {
        let mut items = query.children().filter(|c| c.is("item", ns::ROSTER));
        let (Some(item), None) = (items.next(), items.next()) else {
            return Err(err(C::BadRequest, "a roster set carries exactly one item"));
        };
        let raw = item
            .attr("jid")
            .ok_or_else(|| err(C::BadRequest, "the item has no jid"))?;
        let jid = Jid::parse(raw).map_err(|_| err(C::JidMalformed, "invalid jid"))?;
        let jid =
            BareJid::try_from(jid).map_err(|_| err(C::BadRequest, "roster items are bare JIDs"))?;
        // §2.1.2.5: "in a roster set the server MUST ignore all values of the 'subscription'
        // attribute other than 'remove'" (clients such as slixmpp send the current state back).
        // `ask` is the server's to set (§2.1.2.2): ignored the same way.
        if item.attr("subscription") == Some("remove") {
            return Ok(Request::Remove(jid));
        }
        let cfg = &self.config;
        let name = item.attr("name").filter(|n| !n.is_empty());
        if name.is_some_and(|n| n.len() > cfg.max_name_len) {
            return Err(err(C::NotAcceptable, "name too long"));
        }
        let mut groups: Vec<String> = Vec::new();
        for g in item.children().filter(|c| c.is("group", ns::ROSTER)) {
            let g = g.text();
            if g.is_empty() {
                return Err(err(C::NotAcceptable, "empty group name"));
            }
            if g.len() > cfg.max_group_len {
                return Err(err(C::NotAcceptable, "group name too long"));
            }
            if groups.iter().any(|x| *x == g) {
                return Err(err(C::BadRequest, "duplicate group"));
            }
            if groups.len() >= cfg.max_groups {
                return Err(err(C::NotAcceptable, "too many groups"));
            }
            groups.push(g.into_owned());
        }
        Ok(Request::Update {
            jid,
            name: name.map(str::to_owned),
            groups,
        })
    }

    /// §2.3–§2.5.
    pub(super) async fn set(&self, req: IqRequest) -> IqResult {
        if !req.from_account_itself() {
            return Err(C::Forbidden.into());
        }
        let query = req.payload().ok_or(C::BadRequest)?;
        let request = self.parse_set(query)?;
        let owner = req.to.to_bare();
        let server = &req.server;
        let mut l = self.lock(&owner).await.map_err(|e| internal(&e))?;
        match request {
            Request::Update { jid, name, groups } => {
                let known = l.item(&jid).is_some_and(|i| i.in_roster);
                if !known && l.data().roster_len() >= self.config.max_items {
                    return Err(err(C::NotAllowed, "roster is full"));
                }
                let item = l.item_mut(&jid);
                item.name = name;
                item.groups = groups;
                item.in_roster = true;
                l.visible_change(server, &jid);
                l.commit().await.map_err(|e| internal(&e))?;
                Ok(None)
            }
            Request::Remove(jid) => {
                let Some(before) = l.item(&jid).filter(|i| i.in_roster).cloned() else {
                    return Err(C::ItemNotFound.into());
                };
                let item = l.item_mut(&jid);
                *item = super::Item {
                    ver: item.ver,
                    ..super::Item::new(jid.clone())
                };
                l.visible_change(server, &jid);
                l.commit().await.map_err(|e| internal(&e))?;
                drop(l);
                // §2.5.2: the subscriptions end with the item (a pre-approval, never sent, is
                // dropped silently).
                let state = before.state();
                let sub: Subscription = state.subscription();
                if sub.has_to() || state.pending_out() {
                    super::subscription::send(server, &owner, &jid, PresenceType::Unsubscribe)
                        .await;
                }
                if sub.has_from() || state.pending_in() {
                    super::subscription::send(server, &owner, &jid, PresenceType::Unsubscribed)
                        .await;
                }
                if sub.has_from() {
                    crate::presence::send_unavailable(server, &owner, &jid).await;
                }
                Ok(None)
            }
        }
    }
}
