//! Roster get (RFC 6121 §2.2) and versioned roster get (§2.6.3).

use waxwing_core::hooks::ClientStanza;
use waxwing_core::{Flow, IqError, IqRequest, IqResult, Server};
use waxwing_jid::FullJid;
use waxwing_stanza::{Iq, IqType, Stanza, StanzaErrorCondition, ns};
use waxwing_xml::Element;

use super::{Interested, Locked, Roster, push};

pub(crate) fn internal(e: &waxwing_storage::StorageError) -> IqError {
    tracing::error!(error = %e, "roster storage failed");
    StanzaErrorCondition::InternalServerError.into()
}

impl Locked<'_> {
    /// Records `jid` as interested (RFC 6121 §2.1.6).
    fn interested(&mut self, jid: &FullJid, versioned: bool) {
        let list = &mut self.account().interested;
        list.retain(|i| i.jid != *jid);
        list.push(Interested {
            jid: jid.clone(),
            versioned,
        });
    }

    /// The whole roster (§2.1.4), items sorted by JID; `ver` if given.
    fn full_roster(&mut self, ver: Option<u64>) -> Element {
        let mut items: Vec<_> = self.data().items.values().filter(|i| i.in_roster).collect();
        items.sort_by(|a, b| a.jid.as_str().cmp(b.jid.as_str()));
        let mut q = Element::new(ns::ROSTER, "query");
        for i in items {
            q.append_child(i.to_client());
        }
        if let Some(v) = ver {
            q.set_attr("ver", v.to_string());
        }
        q
    }
}

impl Roster {
    /// §2.2: the whole roster; the requesting resource becomes interested.
    pub(super) async fn get(&self, req: IqRequest) -> IqResult {
        if !req.from_account_itself() {
            return Err(StanzaErrorCondition::Forbidden.into());
        }
        let mut l = self
            .lock(&req.to.to_bare())
            .await
            .map_err(|e| internal(&e))?;
        // A `ver` reaches here only when versioning is off (otherwise the hook answers):
        // then the client is told nothing of versions.
        if let Ok(full) = FullJid::try_from(req.from.clone()) {
            l.interested(&full, false);
        }
        Ok(Some(l.full_roster(None)))
    }

    /// A roster get carrying `ver` from the account's own client (§2.6.3): answered here, on
    /// a task of its own, so that the empty result goes out before the pushes.
    pub(super) fn intercept_versioned_get(server: &Server, cs: &mut ClientStanza) -> Flow {
        let Stanza::Iq(iq) = &cs.stanza else {
            return Flow::Continue(());
        };
        let own = iq
            .to()
            .is_none_or(|to| to.resource().is_none() && to.to_bare() == cs.session.to_bare());
        let versioned = iq.type_() == IqType::Get
            && iq
                .payload()
                .is_some_and(|p| p.is("query", ns::ROSTER) && p.attr("ver").is_some());
        if !own || !versioned {
            return Flow::Continue(());
        }
        let Some(m) = server.module::<Roster>() else {
            return Flow::Continue(());
        };
        let server = server.clone();
        let session = cs.session.clone();
        let iq = iq.clone();
        tokio::spawn(async move { m.versioned_get(&server, &session, &iq).await });
        Flow::Break(())
    }

    async fn versioned_get(&self, server: &Server, session: &FullJid, iq: &Iq) {
        let Some(head) = iq.result_reply() else {
            return;
        };
        let mut l = match self.lock(&session.to_bare()).await {
            Ok(l) => l,
            Err(e) => {
                if let Some(err) = iq.error_reply(internal(&e).stanza_error()) {
                    server.deliver_to_session(session, err);
                }
                return;
            }
        };
        l.interested(session, true);
        let since = iq
            .payload()
            .and_then(|p| p.attr("ver"))
            .and_then(|v| v.parse::<u64>().ok());
        let changes: Option<Vec<(Element, u64)>> = since.and_then(|since| {
            l.data().changes_since(since).map(|items| {
                items
                    .into_iter()
                    .map(|i| {
                        let el = if i.in_roster {
                            i.to_client()
                        } else {
                            super::Item::removal(&i.jid)
                        };
                        (el, i.ver)
                    })
                    .collect()
            })
        });
        if let Some(changes) = changes {
            server.deliver_to_session(session, head);
            for (el, ver) in changes {
                server.deliver_to_session(session, push(session, &el, Some(ver)));
            }
        } else {
            let ver = l.data().ver;
            let mut reply = head;
            reply.append_child(l.full_roster(Some(ver)));
            server.deliver_to_session(session, reply);
        }
    }
}
