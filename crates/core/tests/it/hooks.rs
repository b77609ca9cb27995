//! Hooks, folds and IQ handlers through a real server.

use std::sync::{Arc, Mutex};

use waxwing_core::hooks::{
    MessageToServer, MessageUndeliverable, PresenceBroadcast, PresenceToAccount, ResourceBound,
    ServerStopping, SessionClosed, StanzaFromClient, StreamFeaturesPostBind,
};
use waxwing_core::{
    BuildContext, BuildError, Flow, IqTarget, IqType, Module, ModuleFactory, NoConfig, Registrar,
};
use waxwing_stanza::StanzaErrorCondition;
use waxwing_xml::Element;

use crate::{builder, connect, xml};

static ORDER: Mutex<Vec<&'static str>> = Mutex::new(Vec::new());

struct Low;
impl Module for Low {
    const NAME: &'static str = "low";
    type Config = NoConfig;
    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self)
    }
    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.hook::<StanzaFromClient, _>(-10, |_, cs| {
            if cs.stanza.id() == Some("order") {
                ORDER.lock().unwrap().push("low");
            }
            Flow::Continue(())
        });
    }
}

struct High;
impl Module for High {
    const NAME: &'static str = "high";
    type Config = NoConfig;
    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self)
    }
    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.hook::<StanzaFromClient, _>(10, |_, cs| {
            if cs.stanza.id() == Some("order") {
                ORDER.lock().unwrap().push("high");
            }
            if cs.stanza.id() == Some("eat") {
                return Flow::Break(());
            }
            Flow::Continue(())
        });
    }
}

#[tokio::test]
async fn client_stanza_hook_runs_by_priority_and_break_consumes() {
    // Registered low first: priority, not load order, decides.
    let s = builder()
        .module(ModuleFactory::of::<Low>())
        .module(ModuleFactory::of::<High>())
        .build()
        .unwrap();
    assert_eq!(s.hook_modules::<StanzaFromClient>(), ["high", "low"]);
    let juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let mut romeo = connect(&s, "romeo@example.com/orchard", Some(0)).await;
    juliet
        .send(
            &s,
            "<message xmlns='jabber:client' to='romeo@example.com/orchard' id='order'/>",
        )
        .await;
    romeo.recv().await;
    assert_eq!(*ORDER.lock().unwrap(), ["high", "low"]);
    juliet
        .send(
            &s,
            "<message xmlns='jabber:client' to='romeo@example.com/orchard' id='eat'/>",
        )
        .await;
    romeo.assert_nothing().await;
}

static STORED: Mutex<Vec<String>> = Mutex::new(Vec::new());
static EVENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Offline;
impl Module for Offline {
    const NAME: &'static str = "offline";
    type Config = NoConfig;
    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self)
    }
    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.async_hook::<MessageUndeliverable, _, _>(0, |_, m| async move {
            STORED
                .lock()
                .unwrap()
                .push(m.id().unwrap_or_default().to_owned());
            Flow::Break(())
        });
        r.async_hook::<PresenceToAccount, _, _>(0, |_, p| async move {
            EVENTS
                .lock()
                .unwrap()
                .push(format!("presence {}", p.to().unwrap()));
            Flow::Continue(())
        });
        r.async_hook::<PresenceBroadcast, _, _>(0, |s, p| async move {
            // The registry is updated before the hook runs.
            let from = p.presence.from().unwrap().clone().try_into_full().unwrap();
            assert_eq!(from, p.session);
            let prio = s
                .sessions()
                .resources(&from.to_bare())
                .into_iter()
                .find(|r| *r.handle.jid() == from)
                .unwrap()
                .priority;
            EVENTS
                .lock()
                .unwrap()
                .push(format!("broadcast {from} {prio:?}"));
            Flow::Continue(())
        });
        r.async_hook::<MessageToServer, _, _>(0, |_, m| async move {
            if m.id() == Some("handled") {
                Flow::Break(())
            } else {
                Flow::Continue(())
            }
        });
        r.async_hook::<ResourceBound, _, _>(0, |_, ev| async move {
            EVENTS.lock().unwrap().push(format!("bound {}", ev.jid));
            Flow::Break(())
        });
        r.async_hook::<SessionClosed, _, _>(0, |_, ev| async move {
            EVENTS.lock().unwrap().push(format!("closed {}", ev.jid));
            Flow::Continue(())
        });
        r.fold::<StreamFeaturesPostBind, _>(0, |_, (), acc| {
            acc.push(Element::new("urn:xmpp:sm:3", "sm"));
        });
        r.iq(
            IqType::Get,
            ("whoami", "urn:example"),
            IqTarget::Account,
            |req| async move {
                Ok(Some(
                    Element::new("urn:example", "whoami")
                        .with_attr("from", req.from.as_str().to_owned())
                        .with_attr("to", req.to.as_str().to_owned())
                        .with_attr("self", req.from_account_itself().to_string()),
                ))
            },
        );
        r.iq(
            IqType::Set,
            ("fail", "urn:example"),
            IqTarget::Server,
            |_| async { Err(StanzaErrorCondition::NotAuthorized.into()) },
        );
    }
}

#[tokio::test]
async fn undeliverable_hook_break_suppresses_the_error() {
    let s = builder()
        .module(ModuleFactory::of::<Offline>())
        .build()
        .unwrap();
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    juliet
        .send(
            &s,
            "<message xmlns='jabber:client' to='romeo@example.com' type='chat' id='later'/>",
        )
        .await;
    juliet.assert_nothing().await;
    assert_eq!(*STORED.lock().unwrap(), ["later"]);
    // A nonexistent account is not offered to the hook.
    juliet
        .send(
            &s,
            "<message xmlns='jabber:client' to='tybalt@example.com' type='chat' id='no'/>",
        )
        .await;
    assert_eq!(juliet.recv().await.attr("type"), Some("error"));
    assert_eq!(*STORED.lock().unwrap(), ["later"]);
}

#[tokio::test]
async fn events_folds_and_account_iq_handlers() {
    let s = builder()
        .module(ModuleFactory::of::<Offline>())
        .build()
        .unwrap();
    assert_eq!(
        s.stream_features_post_bind(),
        [Element::new("urn:xmpp:sm:3", "sm")]
    );
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    // No `to`: handled on the account's behalf (RFC 6120 §10.3.3); the result has no `from`.
    juliet
        .send(
            &s,
            "<iq xmlns='jabber:client' type='get' id='w1'><whoami xmlns='urn:example'/></iq>",
        )
        .await;
    assert_eq!(
        juliet.recv_xml().await,
        xml(
            "<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='result' id='w1'><whoami xmlns='urn:example' from='juliet@example.com/balcony' to='juliet@example.com' self='true'/></iq>"
        )
    );
    // Another account's bare JID: same handler, told who asks.
    juliet
        .send(&s, "<iq xmlns='jabber:client' to='romeo@example.com' type='get' id='w2'><whoami xmlns='urn:example'/></iq>")
        .await;
    assert_eq!(
        juliet.recv_xml().await,
        xml(
            "<iq xmlns='jabber:client' from='romeo@example.com' to='juliet@example.com/balcony' type='result' id='w2'><whoami xmlns='urn:example' from='juliet@example.com/balcony' to='romeo@example.com' self='false'/></iq>"
        )
    );
    // An Account handler does not answer for the server.
    juliet
        .send(&s, "<iq xmlns='jabber:client' to='example.com' type='get' id='w3'><whoami xmlns='urn:example'/></iq>")
        .await;
    assert_eq!(juliet.recv().await.attr("type"), Some("error"));
    // A handler's error.
    juliet
        .send(&s, "<iq xmlns='jabber:client' to='example.com' type='set' id='f'><fail xmlns='urn:example'/></iq>")
        .await;
    assert_eq!(
        juliet.recv_xml().await,
        xml(
            "<iq xmlns='jabber:client' from='example.com' to='juliet@example.com/balcony' type='error' id='f'><fail xmlns='urn:example'/><error type='auth'><not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        )
    );
    juliet
        .send(
            &s,
            "<presence xmlns='jabber:client' to='romeo@example.com' type='subscribe'/>",
        )
        .await;
    juliet
        .send(
            &s,
            "<presence xmlns='jabber:client'><priority>4</priority></presence>",
        )
        .await;
    juliet
        .send(
            &s,
            "<message xmlns='jabber:client' to='example.com' id='handled'/>",
        )
        .await;
    juliet.assert_nothing().await;
    juliet
        .send(
            &s,
            "<message xmlns='jabber:client' to='example.com' id='not'/>",
        )
        .await;
    assert_eq!(juliet.recv().await.attr("type"), Some("error"));
    let nurse = connect(&s, "nurse@example.com/n", None).await;
    s.session_closed(&nurse.jid, nurse.handle.id()).await;
    let events = EVENTS.lock().unwrap().clone();
    assert!(events.contains(&"bound juliet@example.com/balcony".to_owned()));
    assert!(events.contains(&"presence romeo@example.com".to_owned()));
    assert!(events.contains(&"closed nurse@example.com/n".to_owned()));
    assert!(events.contains(&"broadcast juliet@example.com/balcony Some(4)".to_owned()));
}

static QUICK: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// An async handler with a synchronous answer for ids starting with `quick-`.
struct Quick;
impl Module for Quick {
    const NAME: &'static str = "quick";
    type Config = NoConfig;
    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self)
    }
    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.async_hook_quick::<MessageToServer, _, _, _>(
            10,
            |_, m| match m.id() {
                Some("quick-pass") => Some(Flow::Continue(())),
                Some("quick-eat") => Some(Flow::Break(())),
                _ => None,
            },
            |_, m| async move {
                QUICK.lock().unwrap().push(format!("async {:?}", m.id()));
                if m.id() == Some("slow-eat") {
                    Flow::Break(())
                } else {
                    Flow::Continue(())
                }
            },
        );
        r.async_hook::<MessageToServer, _, _>(0, |_, m| async move {
            QUICK.lock().unwrap().push(format!("second {:?}", m.id()));
            Flow::Continue(())
        });
        r.async_hook::<ServerStopping, _, _>(0, |_, _| async {
            QUICK.lock().unwrap().push("stopping".to_owned());
            Flow::Continue(())
        });
    }
}

#[tokio::test]
async fn a_quick_answer_replaces_the_async_handler() {
    let s = builder()
        .module(ModuleFactory::of::<Quick>())
        .build()
        .unwrap();
    let msg = |id: &str| {
        let el = waxwing_xml::parse_element(
            format!("<message xmlns='jabber:client' to='example.com' id='{id}'/>").as_bytes(),
        )
        .unwrap();
        waxwing_stanza::Message::from_element(el).unwrap()
    };
    let mut flows = Vec::new();
    for id in ["quick-pass", "quick-eat", "slow", "slow-eat"] {
        flows.push(
            s.run_async_hook::<MessageToServer>(msg(id))
                .await
                .is_break(),
        );
    }
    // The quick answer decides, and the chain goes on (or stops) as for the async handler.
    assert_eq!(flows, [false, true, false, true]);
    s.stop().await;
    assert_eq!(
        *QUICK.lock().unwrap(),
        [
            "second Some(\"quick-pass\")",
            "async Some(\"slow\")",
            "second Some(\"slow\")",
            "async Some(\"slow-eat\")",
            "stopping",
        ]
    );
}
