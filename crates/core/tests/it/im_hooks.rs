//! The hooks the IM modules build on: what reaches them, when, and what Break does.

use std::sync::{Arc, Mutex};

use crate::{builder, connect, full};
use waxwing_core::hooks::{
    PresenceBroadcast, PresenceFromClient, PresenceToAccount, ResourceBound, SessionClosed,
    StanzaToAccount,
};
use waxwing_core::{
    BuildContext, BuildError, ConflictPolicy, Flow, Module, ModuleFactory, NoConfig, Registrar,
    SessionHandle,
};

static LOG: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn log(s: String) {
    LOG.lock().unwrap().push(s);
}

fn take_log(prefix: &str) -> Vec<String> {
    let mut l = LOG.lock().unwrap();
    let (mine, rest): (Vec<String>, Vec<String>) = l.drain(..).partition(|e| e.starts_with(prefix));
    *l = rest;
    mine
}

struct Im;
impl Module for Im {
    const NAME: &'static str = "im";
    type Config = NoConfig;
    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self)
    }
    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.async_hook::<ResourceBound, _, _>(0, |s, ev| async move {
            // Runs before the bind is answered: the session is already registered.
            let registered = s.sessions().session(&ev.jid).is_some();
            log(format!(
                "{}: bound {} {registered}",
                ev.jid.node().unwrap_or(""),
                ev.id
            ));
            Flow::Continue(())
        });
        r.async_hook::<SessionClosed, _, _>(0, |_, ev| async move {
            log(format!("{}: closed {}", ev.jid.node().unwrap_or(""), ev.id));
            Flow::Continue(())
        });
        r.async_hook::<PresenceBroadcast, _, _>(0, |_, c| async move {
            log(format!(
                "{}: broadcast {:?} was={} initial={}",
                c.session.node().unwrap_or(""),
                c.presence.type_(),
                c.was_available,
                c.is_initial()
            ));
            Flow::Continue(())
        });
        r.async_hook::<PresenceFromClient, _, _>(0, |_, p| async move {
            let to = p.to().unwrap().to_string();
            log(format!(
                "{}: outbound {:?} {to}",
                p.from().unwrap().node().unwrap_or(""),
                p.type_()
            ));
            if p.id() == Some("mine") {
                Flow::Break(())
            } else {
                Flow::Continue(())
            }
        });
        r.async_hook::<PresenceToAccount, _, _>(0, |_, p| async move {
            log(format!(
                "{}: to-account {:?} {}",
                p.to().unwrap().node().unwrap_or(""),
                p.type_(),
                p.to().unwrap()
            ));
            Flow::Continue(())
        });
        r.async_hook::<StanzaToAccount, _, _>(0, |_, st| async move {
            let to = st.to().unwrap().clone();
            log(format!(
                "{}: inbound {}",
                to.node().unwrap_or(""),
                st.id().unwrap_or("")
            ));
            if st.id() == Some("blocked") {
                Flow::Break(())
            } else {
                Flow::Continue(())
            }
        });
    }
}

#[tokio::test]
async fn presence_changes_say_whether_the_session_was_available() {
    let s = builder().module(ModuleFactory::of::<Im>()).build().unwrap();
    let juliet = connect(&s, "juliet@example.com/balcony", None).await;
    for p in [
        "<presence xmlns='jabber:client'/>",
        "<presence xmlns='jabber:client'><show>away</show></presence>",
        "<presence xmlns='jabber:client' type='unavailable'/>",
        "<presence xmlns='jabber:client'/>",
    ] {
        juliet.send(&s, p).await;
    }
    assert_eq!(
        take_log("juliet: broadcast"),
        [
            "juliet: broadcast Available was=false initial=true",
            "juliet: broadcast Available was=true initial=false",
            "juliet: broadcast Unavailable was=true initial=false",
            "juliet: broadcast Available was=false initial=true",
        ]
    );
}

#[tokio::test]
async fn outbound_presence_hook_sees_directed_and_subscription_presence() {
    let s = builder().module(ModuleFactory::of::<Im>()).build().unwrap();
    let romeo = connect(&s, "romeo@example.com/orchard", Some(0)).await;
    romeo
        .send(
            &s,
            "<presence xmlns='jabber:client' to='juliet@example.com' type='subscribe'/>",
        )
        .await;
    // Break: handled by the module, not routed.
    romeo
        .send(
            &s,
            "<presence xmlns='jabber:client' to='juliet@example.com' id='mine'/>",
        )
        .await;
    assert_eq!(
        take_log("romeo: outbound"),
        [
            "romeo: outbound Subscribe juliet@example.com",
            "romeo: outbound Available juliet@example.com"
        ]
    );
    assert_eq!(
        take_log("juliet: to-account"),
        ["juliet: to-account Subscribe juliet@example.com"]
    );
}

#[tokio::test]
async fn probes_to_a_full_jid_go_to_the_server_and_inbound_hook_can_consume() {
    let s = builder().module(ModuleFactory::of::<Im>()).build().unwrap();
    let mut nurse = connect(&s, "nurse@example.com/n", Some(0)).await;
    let mut tybalt_probe = crate::stanza(
        "<presence xmlns='jabber:client' from='tybalt@example.net' to='nurse@example.com/n' type='probe'/>",
    );
    s.route(tybalt_probe.clone()).await;
    nurse.assert_nothing().await;
    assert_eq!(
        take_log("nurse: to-account"),
        ["nurse: to-account Probe nurse@example.com/n"]
    );
    // A blocked message never reaches the session; others do, after the hook.
    tybalt_probe = crate::stanza(
        "<message xmlns='jabber:client' from='tybalt@example.net' to='nurse@example.com/n' id='blocked'/>",
    );
    s.route(tybalt_probe).await;
    nurse.assert_nothing().await;
    s.route(crate::stanza(
        "<message xmlns='jabber:client' from='tybalt@example.net' to='nurse@example.com' type='chat' id='ok'/>",
    ))
    .await;
    assert_eq!(nurse.recv().await.attr("id"), Some("ok"));
    assert_eq!(
        take_log("nurse: inbound"),
        [
            "nurse: inbound ",
            "nurse: inbound blocked",
            "nurse: inbound ok"
        ]
    );
}

#[tokio::test]
async fn a_replaced_session_is_reported_closed_before_the_new_one_is_bound() {
    let s = builder()
        .module(ModuleFactory::of::<Im>())
        .conflict_policy(ConflictPolicy::Replace)
        .build()
        .unwrap();
    let old = connect(&s, "romeo@example.com/phone", None).await;
    let (h, _mb) = SessionHandle::channel(full("romeo@example.com/phone"), 4);
    let new = s.bind(h).await.unwrap();
    // The old session's own close is not reported twice.
    s.session_closed(&old.jid, old.handle.id()).await;
    let (o, n) = (old.handle.id(), new.handle.id());
    let events: Vec<String> = take_log("romeo: ")
        .into_iter()
        .filter(|e| e.contains("bound") || e.contains("closed"))
        .collect();
    assert_eq!(
        events,
        [
            format!("romeo: bound {o} true"),
            format!("romeo: closed {o}"),
            format!("romeo: bound {n} true"),
        ]
    );
}
