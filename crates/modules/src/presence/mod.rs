//! RFC 6121 §4 presence: initial presence with probes and broadcast (§4.2, §4.3), the last
//! unavailable presence with XEP-0203 delay for probes while offline (§4.3.2), subsequent
//! presence (§4.4), unavailable presence on request and on session end (§4.5), directed
//! presence (§4.6), inbound presence to an account's bare JID (§4.2.3, §8.5.2.1.2), and the
//! presence side of XEP-0191 blocking (no presence to or probe answers for blocked entities;
//! unavailable to newly blocked ones, current presence to unblocked subscribers).
//!
//! Per-session state (the last available presence and the directed-presence recipients) is
//! kept here, keyed by full JID and session id, from `ResourceBound` to `SessionClosed`; who is
//! available with which priority is the core's session registry. Subscriptions come from the
//! [`crate::roster`] module, which must be loaded too.
//!
//! Choices where the RFC leaves one:
//! - A probe from an entity without a `from`/`both` subscription is answered with
//!   `unsubscribed` (§4.3.2 SHOULD), so that a prober whose roster is out of sync corrects it;
//!   the user's presence is never revealed.
//! - Available presence is echoed to the resource that sent it, as to every available
//!   resource of the user (§4.2.2: "an entity is implicitly subscribed to its own presence"),
//!   with `to` set to the receiving full JID.
//! - A probe while no resource is available is answered with the account's last unavailable
//!   presence (§4.3.2 item 3), as its last available resource sent it (or as synthesized for a
//!   session that ended without it: then without `<status/>`), from that resource's full JID,
//!   with a XEP-0203 `<delay/>` from the account's domain stamped with when it was generated.
//!   It lives in storage ([`last::STORE`], written in batches off the logout path; a crash
//!   can lose the newest ones, see [`last`]), so it outlives restarts; an account that never went
//!   offline since (or a server without storage) gets a plain `unavailable` from the bare JID.
//! - Broadcast presence and probes are not routed to local accounts without an available
//!   resource (see `local_and_unavailable`).
//! - Directed presence recipients are tracked per session, at most [`MAX_DIRECTED`] of them;
//!   broadcast recipients (contacts with `from`/`both`, addressed by bare JID) are not tracked.

mod broadcast;
mod directed;
mod inbound;
pub mod last;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use waxwing_core::hooks::{
    BlockQuery, BlocklistChanged, IsBlocked, PresenceBroadcast, PresenceFromClient,
    PresenceToAccount, ResourceBound, ServerStopping, SessionClosed,
};
use waxwing_core::{
    BuildContext, BuildError, Flow, Module, NoConfig, Registrar, Server, SessionId,
};
use waxwing_jid::{BareJid, FullJid, Jid};
use waxwing_stanza::{Presence as PresenceView, PresenceType, Stanza};
use waxwing_xml::Element;

/// How long shutdown waits for the last unavailable presences to be written.
const STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// Most directed-presence recipients tracked per session.
pub const MAX_DIRECTED: usize = 1000;

/// One session's presence state.
#[derive(Debug)]
struct SessionPresence {
    id: SessionId,
    /// The last available presence broadcast, `from` stamped, no `to`; `None` while
    /// unavailable. Kept parsed: each copy routed to a contact or prober only gets its `to`.
    last: Option<PresenceView>,
    /// Entities sent directed available presence (§4.6) and not since unavailable.
    directed: HashSet<Jid>,
}

/// The presence module.
#[derive(Debug, Default)]
pub struct Presence {
    sessions: Mutex<HashMap<FullJid, SessionPresence>>,
    last: last::Writer,
}

impl Presence {
    fn with_sessions<R>(&self, f: impl FnOnce(&mut HashMap<FullJid, SessionPresence>) -> R) -> R {
        f(&mut self.sessions.lock().unwrap_or_else(PoisonError::into_inner))
    }

    /// The last available presence of each of `user`'s available resources, except `except`
    /// (each `from` its full JID, without `to`).
    pub fn available(
        &self,
        server: &Server,
        user: &BareJid,
        except: Option<&FullJid>,
    ) -> Vec<Element> {
        self.available_views(server, user, except)
            .into_iter()
            .map(PresenceView::into_element)
            .collect()
    }

    /// [`Self::available`], as parsed stanzas.
    fn available_views(
        &self,
        server: &Server,
        user: &BareJid,
        except: Option<&FullJid>,
    ) -> Vec<PresenceView> {
        let jids = resources(server, user);
        self.with_sessions(|s| {
            jids.iter()
                .filter(|j| Some(*j) != except)
                .filter_map(|j| s.get(j).and_then(|p| p.last.clone()))
                .collect()
        })
    }
}

/// `user`'s available resources, from the session registry.
fn resources(server: &Server, user: &BareJid) -> Vec<FullJid> {
    server.sessions().with_resources(user, |rs| {
        rs.iter()
            .filter(|r| r.is_available())
            .map(|r| r.handle.jid().clone())
            .collect()
    })
}

/// Whether `owner` blocks `other` (XEP-0191, through the `IsBlocked` hook; nothing is blocked
/// without a blocking module).
pub(crate) async fn blocked(server: &Server, owner: &BareJid, other: &Jid) -> bool {
    server
        .run_async_hook::<IsBlocked>(BlockQuery {
            owner: owner.clone(),
            other: other.clone(),
        })
        .await
        .is_break()
}

/// Whether presence for `to` would reach nobody: a local account without an available
/// resource. Presence broadcast to it and probes of it are skipped, which saves the account
/// lookups and roster reads routing them would cost: such presence is not delivered
/// (RFC 6121 §8.5.2.2.2), and a probe would be answered with unavailable presence, which the
/// user's client assumes anyway. The price: local contacts do not learn each other's last
/// unavailable presence ([`last`]) at login, only remote ones do.
pub(crate) fn local_and_unavailable(server: &Server, to: &Jid) -> bool {
    to.node().is_some()
        && server.serves(to.domain())
        && !server.sessions().with_resources(&to.to_bare(), |rs| {
            rs.iter().any(waxwing_core::Resource::is_available)
        })
}

/// Routes `p` (a presence, addresses already prepared) to `to`: no address is parsed again.
async fn route_to(server: &Server, mut p: PresenceView, to: &Jid) {
    p.set_to(Some(to.clone()));
    server.route(Stanza::Presence(p)).await;
}

/// An unavailable presence from `from`.
fn unavailable_from(from: &FullJid) -> PresenceView {
    let mut p = PresenceView::new(PresenceType::Unavailable);
    p.set_from(Some(Jid::from(from.clone())));
    p
}

/// RFC 6121 §3.1.5: the current presence of each of `user`'s available resources to
/// `contact`, after the user approved its subscription.
pub(crate) async fn send_current(server: &Server, user: &BareJid, contact: &BareJid) {
    let to = Jid::from(contact.clone());
    if blocked(server, user, &to).await {
        return;
    }
    let Some(m) = server.module::<Presence>() else {
        return;
    };
    for p in m.available_views(server, user, None) {
        route_to(server, p, &to).await;
    }
}

/// RFC 6121 §3.2.2, §3.3.3: unavailable presence from each of `user`'s available resources to
/// `contact`, after its subscription to the user ended.
pub(crate) async fn send_unavailable(server: &Server, user: &BareJid, contact: &BareJid) {
    let to = Jid::from(contact.clone());
    for full in resources(server, user) {
        route_to(server, unavailable_from(&full), &to).await;
    }
}

impl Module for Presence {
    const NAME: &'static str = "presence";
    type Config = NoConfig;

    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self::default())
    }

    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        let m = Arc::clone(self);
        r.async_hook::<ResourceBound, _, _>(0, move |_, ev| {
            m.with_sessions(|s| {
                s.insert(
                    ev.jid.clone(),
                    SessionPresence {
                        id: ev.id,
                        last: None,
                        directed: HashSet::new(),
                    },
                );
            });
            async { Flow::Continue(()) }
        });
        let m = Arc::clone(self);
        r.async_hook::<SessionClosed, _, _>(0, move |server, ev| {
            let m = Arc::clone(&m);
            async move {
                m.session_closed(&server, &ev.jid, ev.id).await;
                Flow::Continue(())
            }
        });
        let m = Arc::clone(self);
        r.async_hook::<PresenceBroadcast, _, _>(0, move |server, change| {
            let m = Arc::clone(&m);
            async move {
                m.broadcast(&server, &change).await;
                Flow::Continue(())
            }
        });
        let m = Arc::clone(self);
        r.async_hook::<PresenceFromClient, _, _>(0, move |server, p| {
            let m = Arc::clone(&m);
            async move { m.directed(&server, &p).await }
        });
        let m = Arc::clone(self);
        r.async_hook::<PresenceToAccount, _, _>(0, move |server, p| {
            let m = Arc::clone(&m);
            async move { m.inbound(&server, &p).await }
        });
        let m = Arc::clone(self);
        r.async_hook::<ServerStopping, _, _>(0, move |_, _| {
            let m = Arc::clone(&m);
            async move {
                if tokio::time::timeout(STOP_WAIT, m.last.flush())
                    .await
                    .is_err()
                {
                    tracing::warn!("last unavailable presences not all written at shutdown");
                }
                Flow::Continue(())
            }
        });
        let m = Arc::clone(self);
        r.async_hook::<BlocklistChanged, _, _>(0, move |server, change| {
            let m = Arc::clone(&m);
            async move {
                m.blocklist_changed(&server, &change).await;
                Flow::Continue(())
            }
        });
    }
}
