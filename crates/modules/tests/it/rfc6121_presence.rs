//! RFC 6121 §4: initial presence, probes, broadcast, subsequent and unavailable presence,
//! directed presence, inbound presence to the bare JID, and the XEP-0191 hooks.

#![allow(clippy::many_single_char_names)]

use std::sync::Arc;

use waxwing_core::hooks::{BlockQuery, BlocklistChange, BlocklistChanged, IsBlocked};
use waxwing_core::{BuildContext, BuildError, Flow, Module, ModuleFactory, NoConfig, Registrar};
use waxwing_jid::Jid;
use waxwing_modules::roster::State;
use waxwing_stanza::{Presence, PresenceType, Stanza};
use waxwing_storage::Storage;

use crate::bench_scenarios::cpu_nanos;
use crate::roster_util::{Env, env, env_modules, login, seed, x};

const J: &str = "juliet@example.com";
const R: &str = "romeo@example.com";

async fn lovers() -> Env {
    let e = env().await;
    seed(&e.storage, J, R, State::Both).await;
    seed(&e.storage, R, J, State::Both).await;
    seed(&e.storage, J, "nurse@example.com", State::To).await;
    seed(&e.storage, "nurse@example.com", J, State::From).await;
    e
}

fn inbound(from: &str, to: &str, type_: PresenceType) -> Stanza {
    let mut p = Presence::new(type_);
    p.set_from(Some(Jid::parse(from).unwrap()));
    p.set_to(Some(Jid::parse(to).unwrap()));
    Stanza::Presence(p)
}

#[tokio::test]
async fn initial_presence_probes_and_broadcast() {
    // §4.2.2 broadcast to from/both contacts, §4.3.1 probes to to/both contacts, §4.3.2 the
    // probe answered with the contact's last presence.
    let e = lovers().await;
    let s = &e.server;
    let mut r = login(s, "romeo@example.com/orchard").await;
    r.send(
        s,
        "<presence xmlns='jabber:client'><show>away</show></presence>",
    )
    .await;
    r.take().await;
    let mut n = login(s, "nurse@example.com/kitchen").await;
    n.online(s).await;
    let mut j = login(s, "juliet@example.com/balcony").await;
    let got = j
        .exchange(
            s,
            "<presence xmlns='jabber:client'><status>Wherefore art thou?</status></presence>",
        )
        .await;
    // Romeo's presence (answer to the probe, to the bare JID, delivered to the resource);
    // Nurse is subscribed to Juliet but Juliet only has `to` on Nurse: Nurse's presence too.
    let mut got = got;
    got.sort();
    let mut want = vec![
        // §4.2.2: the resource gets its own presence too.
        x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='juliet@example.com/balcony'><status>Wherefore art thou?</status></presence>",
        ),
        x(
            "<presence xmlns='jabber:client' from='romeo@example.com/orchard' to='juliet@example.com'><show>away</show></presence>",
        ),
        x(
            "<presence xmlns='jabber:client' from='nurse@example.com/kitchen' to='juliet@example.com'/>",
        ),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(
        r.take().await,
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.com'><status>Wherefore art thou?</status></presence>"
        )]
    );
    // Juliet has no `from` towards Nurse: Nurse gets no broadcast.
    assert!(n.take().await.is_empty());
}

#[tokio::test]
async fn own_resources_see_each_other() {
    // §4.2.2 / §4.4.2: the user's available resources get the presence (the sender included),
    // and the new resource gets theirs.
    let e = env().await;
    let s = &e.server;
    let mut b = login(s, "juliet@example.com/balcony").await;
    b.online(s).await;
    let mut idle = login(s, "juliet@example.com/idle").await;
    let mut c = login(s, "juliet@example.com/chamber").await;
    assert_eq!(
        c.exchange(
            s,
            "<presence xmlns='jabber:client'><priority>1</priority></presence>"
        )
        .await,
        [
            x(
                "<presence xmlns='jabber:client' from='juliet@example.com/chamber' to='juliet@example.com/chamber'><priority>1</priority></presence>"
            ),
            x(
                "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='juliet@example.com/chamber'/>"
            ),
        ]
    );
    assert_eq!(
        b.take().await,
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/chamber' to='juliet@example.com/balcony'><priority>1</priority></presence>"
        )]
    );
    // A resource that never sent presence is not available: nothing for it.
    assert!(idle.take().await.is_empty());
}

#[tokio::test]
async fn subsequent_and_unavailable_presence() {
    // §4.4 subsequent presence is broadcast, §4.5 unavailable too; §4.5.3 a session ending
    // without unavailable presence gets one sent for it.
    let e = lovers().await;
    let s = &e.server;
    let mut r = login(s, "romeo@example.com/orchard").await;
    r.online(s).await;
    let mut j = login(s, "juliet@example.com/balcony").await;
    j.online(s).await;
    r.take().await;
    j.send(
        s,
        "<presence xmlns='jabber:client'><show>dnd</show></presence>",
    )
    .await;
    assert_eq!(
        r.take().await,
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.com'><show>dnd</show></presence>"
        )]
    );
    j.send(s, "<presence xmlns='jabber:client' type='unavailable'><status>Gone to bed</status></presence>").await;
    assert_eq!(
        r.take().await,
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.com' type='unavailable'><status>Gone to bed</status></presence>"
        )]
    );
    // Already unavailable: closing sends nothing more.
    j.close(s).await;
    assert!(r.take().await.is_empty());
    let mut j = login(s, "juliet@example.com/balcony").await;
    j.online(s).await;
    r.take().await;
    j.close(s).await;
    assert_eq!(
        r.take().await,
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.com' type='unavailable'/>"
        )]
    );
}

#[tokio::test]
async fn probe_answers() {
    // §4.3.2.
    let e = env().await;
    seed(&e.storage, J, "romeo@example.net", State::From).await;
    let s = &e.server;
    // No available resource: unavailable from the bare JID.
    s.route(inbound("romeo@example.net", J, PresenceType::Probe))
        .await;
    assert_eq!(
        e.remote.take(),
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com' to='romeo@example.net' type='unavailable'/>"
        )]
    );
    let mut j = login(s, "juliet@example.com/balcony").await;
    j.send(
        s,
        "<presence xmlns='jabber:client'><show>chat</show></presence>",
    )
    .await;
    j.take().await;
    e.remote.take();
    // Available: the last presence of each available resource.
    s.route(inbound("romeo@example.net/orchard", J, PresenceType::Probe))
        .await;
    assert_eq!(
        e.remote.take(),
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.net/orchard'><show>chat</show></presence>"
        )]
    );
    // A probe to the full JID is answered by the server alike.
    s.route(inbound(
        "romeo@example.net",
        "juliet@example.com/balcony",
        PresenceType::Probe,
    ))
    .await;
    assert_eq!(e.remote.take().len(), 1);
    // Not subscribed: no presence, but unsubscribed.
    s.route(inbound("tybalt@example.net", J, PresenceType::Probe))
        .await;
    assert_eq!(
        e.remote.take(),
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com' to='tybalt@example.net' type='unsubscribed'/>"
        )]
    );
    // The probes never reach the client.
    assert!(j.take().await.is_empty());
}

#[tokio::test]
async fn inbound_presence_to_available_resources() {
    // §8.5.2.1.2: presence to the bare JID goes to every available resource.
    let e = env().await;
    let s = &e.server;
    let mut a = login(s, "juliet@example.com/a").await;
    let mut b = login(s, "juliet@example.com/b").await;
    let mut idle = login(s, "juliet@example.com/idle").await;
    a.online(s).await;
    b.online(s).await;
    a.take().await;
    s.route(inbound(
        "romeo@example.net/orchard",
        J,
        PresenceType::Available,
    ))
    .await;
    let want = x(
        "<presence xmlns='jabber:client' from='romeo@example.net/orchard' to='juliet@example.com'/>",
    );
    assert_eq!(a.take().await, std::slice::from_ref(&want));
    assert_eq!(b.take().await, [want]);
    assert!(idle.take().await.is_empty());
}

#[tokio::test]
async fn directed_presence() {
    // §4.6: directed presence is routed, and its recipient gets unavailable presence when the
    // session goes away (§4.6.3), unlike the subscribers' broadcast it does not get later
    // broadcasts.
    let e = env().await;
    let s = &e.server;
    let mut j = login(s, "juliet@example.com/balcony").await;
    j.online(s).await;
    let mut n = login(s, "nurse@example.com/kitchen").await;
    n.online(s).await;
    j.send(
        s,
        "<presence xmlns='jabber:client' to='nurse@example.com'><show>chat</show></presence>",
    )
    .await;
    assert_eq!(
        n.take().await,
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='nurse@example.com'><show>chat</show></presence>"
        )]
    );
    j.send(
        s,
        "<presence xmlns='jabber:client'><show>away</show></presence>",
    )
    .await;
    assert!(n.take().await.is_empty());
    j.close(s).await;
    assert_eq!(
        n.take().await,
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='nurse@example.com' type='unavailable'/>"
        )]
    );
}

/// A stand-in for the blocking module: juliet blocks romeo.
struct Blocks;
impl Module for Blocks {
    const NAME: &'static str = "test_blocks";
    type Config = NoConfig;
    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self)
    }
    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.async_hook::<IsBlocked, _, _>(0, |_, q: Arc<BlockQuery>| async move {
            if q.owner.as_str() == J && q.other.to_bare().as_str() == R {
                Flow::Break(())
            } else {
                Flow::Continue(())
            }
        });
    }
}

#[tokio::test]
async fn blocked_contacts_get_no_presence() {
    // XEP-0191 §3.4 through IsBlocked: no broadcast, no probe, no probe answer.
    let e = env_modules(
        Storage::memory().await.unwrap(),
        "",
        vec![ModuleFactory::of::<Blocks>()],
    );
    seed(&e.storage, J, R, State::Both).await;
    seed(&e.storage, R, J, State::Both).await;
    let s = &e.server;
    let mut r = login(s, "romeo@example.com/orchard").await;
    r.online(s).await;
    let mut j = login(s, "juliet@example.com/balcony").await;
    // Only her own presence comes back: no probe went to Romeo.
    assert_eq!(
        j.exchange(s, "<presence xmlns='jabber:client'/>").await,
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='juliet@example.com/balcony'/>"
        )]
    );
    assert!(r.take().await.is_empty());
    // Romeo's probe is not answered.
    s.route(inbound("romeo@example.com", J, PresenceType::Probe))
        .await;
    assert!(r.take().await.is_empty());
}

#[tokio::test]
async fn blocklist_changes() {
    // BlocklistChanged: newly blocked subscribers get unavailable presence from each available
    // resource; unblocked ones get the current presence.
    let e = lovers().await;
    let s = &e.server;
    let mut r = login(s, "romeo@example.com/orchard").await;
    r.online(s).await;
    let j = login(s, "juliet@example.com/balcony").await;
    j.send(
        s,
        "<presence xmlns='jabber:client'><show>xa</show></presence>",
    )
    .await;
    r.take().await;
    let _ = s
        .run_async_hook::<BlocklistChanged>(BlocklistChange {
            owner: waxwing_jid::BareJid::parse(J).unwrap(),
            blocked: vec![Jid::parse(R).unwrap()],
            unblocked: vec![],
        })
        .await;
    assert_eq!(
        r.take().await,
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.com' type='unavailable'/>"
        )]
    );
    let _ = s
        .run_async_hook::<BlocklistChanged>(BlocklistChange {
            owner: waxwing_jid::BareJid::parse(J).unwrap(),
            blocked: vec![],
            unblocked: vec![Jid::parse("example.com").unwrap()],
        })
        .await;
    assert_eq!(
        r.take().await,
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.com'><show>xa</show></presence>"
        )]
    );
}

#[tokio::test]
#[ignore = "benchmark scenario: cargo test -p waxwing-modules --test it login_with_500 -- --ignored --nocapture"]
async fn login_with_500_online_contacts() {
    const N: usize = 500;
    let e = env().await;
    let s = &e.server;
    let mut contacts = Vec::with_capacity(N);
    for i in 0..N {
        let c = format!("c{i}@example.com");
        seed(&e.storage, J, &c, State::Both).await;
        seed(&e.storage, &c, J, State::Both).await;
    }
    for i in 0..N {
        let mut c = login(s, &format!("c{i}@example.com/r")).await;
        c.send(s, "<presence xmlns='jabber:client'/>").await;
        while c.mailbox.try_recv().is_some() {}
        contacts.push(c);
    }
    for round in 0..5 {
        let cpu0 = cpu_nanos();
        let t0 = std::time::Instant::now();
        let mut j = login(s, "juliet@example.com/balcony").await;
        j.send(s, "<iq xmlns='jabber:client' type='get' id='r'><query xmlns='jabber:iq:roster' ver=''/></iq>")
            .await;
        let mut roster = None;
        while roster.is_none() {
            if let Some(waxwing_core::SessionCommand::Stanza(el)) = j.mailbox.recv().await {
                roster = Some(el);
            }
        }
        j.send(s, "<presence xmlns='jabber:client'/>").await;
        // Routing is done when send returns: every probe was answered in line.
        let mut presences = 0;
        while let Some(waxwing_core::SessionCommand::Stanza(el)) = j.mailbox.try_recv() {
            if el.name() == "presence" {
                presences += 1;
            }
        }
        let wall = t0.elapsed();
        let cpu = cpu_nanos()
            .zip(cpu0)
            .map(|(a, b)| std::time::Duration::from_nanos(a - b));
        let items = roster
            .unwrap()
            .children()
            .next()
            .unwrap()
            .children()
            .count();
        assert_eq!(items, N);
        // One per contact, and her own (§4.2.2).
        assert_eq!(presences, N + 1);
        let mut received = 0;
        for c in &mut contacts {
            while c.mailbox.try_recv().is_some() {
                received += 1;
            }
        }
        assert_eq!(received, N);
        println!(
            "round {round}: login + roster ({items} items) + initial presence, {N} contacts online: wall {wall:?}, cpu {cpu:?}"
        );
        j.close(s).await;
        for c in &mut contacts {
            while c.mailbox.try_recv().is_some() {}
        }
    }
}

#[tokio::test]
async fn offline_local_contacts_are_not_probed() {
    // Romeo (local) has no available resource: no probe, no broadcast, nothing comes back
    // but Juliet's own presence (§4.2.2).
    let e = lovers().await;
    let s = &e.server;
    let mut r = login(s, "romeo@example.com/orchard").await;
    let mut j = login(s, "juliet@example.com/balcony").await;
    assert_eq!(
        j.exchange(s, "<presence xmlns='jabber:client'/>").await,
        [x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='juliet@example.com/balcony'/>"
        )]
    );
    // Romeo's session is bound but not available: it gets nothing (§4.2.3, §8.5.2.1.2).
    assert!(r.take().await.is_empty());
    assert!(e.remote.take().is_empty());
}

/// Everything routed remotely since the last call, as elements (ids and stamps readable).
fn remote_elements(e: &Env) -> Vec<waxwing_xml::Element> {
    std::mem::take(&mut *e.remote.0.lock().unwrap())
}

/// The answer to a probe of Juliet from `romeo@example.net` (subscribed, remote).
async fn probe_juliet(e: &Env) -> waxwing_xml::Element {
    e.remote.take();
    e.server
        .route(inbound("romeo@example.net", J, PresenceType::Probe))
        .await;
    let mut got = remote_elements(e);
    assert_eq!(got.len(), 1, "one answer to the probe");
    got.pop().unwrap()
}

/// Checks the XEP-0203 `<delay/>` of `el` (from the domain, stamp a XEP-0082 UTC DateTime
/// within `[before, after]` to the second) and returns `el`'s canonical form with the stamp
/// replaced by `STAMP` and without the top `id`.
fn check_delay(
    el: &waxwing_xml::Element,
    before: time::OffsetDateTime,
    after: time::OffsetDateTime,
) -> String {
    let delays: Vec<_> = el
        .children()
        .filter(|c| c.is("delay", "urn:xmpp:delay"))
        .collect();
    assert_eq!(delays.len(), 1, "exactly one delay: {}", el.to_xml());
    assert_eq!(delays[0].attr("from"), Some("example.com"));
    let stamp = delays[0].attr("stamp").expect("stamp");
    assert!(stamp.ends_with('Z'), "UTC (XEP-0203 §3): {stamp}");
    let at = time::OffsetDateTime::parse(stamp, &time::format_description::well_known::Rfc3339)
        .expect("XEP-0082 DateTime");
    // The stamp has whole seconds.
    assert!(
        at >= before.replace_nanosecond(0).unwrap() && at <= after,
        "{at} not in [{before}, {after}]"
    );
    let xml = el.to_xml().replace(stamp, "STAMP");
    crate::roster_util::strip(waxwing_xml::parse_element(xml.as_bytes()).unwrap())
}

#[tokio::test]
async fn probe_while_offline_gets_last_unavailable() {
    // RFC 6121 §4.3.2 item 3: the last unavailable presence, from the resource that sent it,
    // with its children and the time it was generated (XEP-0203); kept across a restart.
    let e = env().await;
    seed(&e.storage, J, "romeo@example.net", State::From).await;
    let s = &e.server;
    // Never went offline: the plain unavailable presence from the bare JID.
    let plain = x(
        "<presence xmlns='jabber:client' from='juliet@example.com' to='romeo@example.net' type='unavailable'/>",
    );
    assert_eq!(crate::roster_util::strip(probe_juliet(&e).await), plain);
    let before = time::OffsetDateTime::now_utc();
    let mut j = login(s, "juliet@example.com/balcony").await;
    j.online(s).await;
    // A client-supplied delay must not pass for the server's stamp.
    j.send(
        s,
        "<presence xmlns='jabber:client' type='unavailable' id='u1'><status>Gone to bed</status><delay xmlns='urn:xmpp:delay' from='example.com' stamp='1999-01-01T00:00:00Z'/></presence>",
    )
    .await;
    let after = time::OffsetDateTime::now_utc();
    let el = probe_juliet(&e).await;
    // §4.3.2: "including the 'id' of the original stanza".
    assert_eq!(el.attr("id"), Some("u1"));
    let want = x(
        "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.net' type='unavailable'><status>Gone to bed</status><delay xmlns='urn:xmpp:delay' from='example.com' stamp='STAMP'/></presence>",
    );
    let first = check_delay(&el, before, after);
    assert_eq!(first, want);
    // The session closing afterwards (already unavailable) changes nothing.
    j.close(s).await;
    let again = probe_juliet(&e).await;
    assert_eq!(again.to_xml(), el.to_xml());
    // A restart on the same storage keeps it, stamp included: a clean shutdown writes what
    // the batched writer still holds.
    e.server.stop().await;
    let e2 = crate::roster_util::env_with(e.storage.clone(), "");
    let after_restart = probe_juliet(&e2).await;
    assert_eq!(after_restart.to_xml(), el.to_xml());
    // Back online: the probe gets the available presence, not the stored one.
    let j = login(&e2.server, "juliet@example.com/balcony").await;
    j.send(
        &e2.server,
        "<presence xmlns='jabber:client'><show>chat</show></presence>",
    )
    .await;
    assert_eq!(
        crate::roster_util::strip(probe_juliet(&e2).await),
        x(
            "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.net'><show>chat</show></presence>"
        )
    );
}

#[tokio::test]
async fn last_unavailable_of_dead_and_replaced_sessions() {
    // §4.5.3: a session that ends while available gets an unavailable presence synthesized,
    // which is then the last one (§4.3.2), from that session's full JID and without status.
    // Only the account's last available resource going offline counts.
    let e = env().await;
    seed(&e.storage, J, "romeo@example.net", State::From).await;
    let s = &e.server;
    let before = time::OffsetDateTime::now_utc();
    let mut a = login(s, "juliet@example.com/a").await;
    a.online(s).await;
    let mut b = login(s, "juliet@example.com/b").await;
    b.send(
        s,
        "<presence xmlns='jabber:client'><status>Working</status></presence>",
    )
    .await;
    b.take().await;
    // `a` leaves with a status while `b` stays: the probe gets `b`'s presence.
    a.send(
        s,
        "<presence xmlns='jabber:client' type='unavailable'><status>Not me</status></presence>",
    )
    .await;
    assert_eq!(
        crate::roster_util::strip(probe_juliet(&e).await),
        x(
            "<presence xmlns='jabber:client' from='juliet@example.com/b' to='romeo@example.net'><status>Working</status></presence>"
        )
    );
    // `b`'s stream dies: its synthesized unavailable is the last, not `a`'s.
    b.close(s).await;
    let after = time::OffsetDateTime::now_utc();
    let el = probe_juliet(&e).await;
    assert_eq!(
        check_delay(&el, before, after),
        x(
            "<presence xmlns='jabber:client' from='juliet@example.com/b' to='romeo@example.net' type='unavailable'><delay xmlns='urn:xmpp:delay' from='example.com' stamp='STAMP'/></presence>"
        )
    );
    // A session replaced by a new bind of the same resource (RFC 6120 §7.7.2.2) ends too.
    let c = login(s, "juliet@example.com/c").await;
    c.send(
        s,
        "<presence xmlns='jabber:client'><status>Here</status></presence>",
    )
    .await;
    let _replacement = login(s, "juliet@example.com/c").await;
    let after = time::OffsetDateTime::now_utc();
    let el = probe_juliet(&e).await;
    assert_eq!(
        check_delay(&el, before, after),
        x(
            "<presence xmlns='jabber:client' from='juliet@example.com/c' to='romeo@example.net' type='unavailable'><delay xmlns='urn:xmpp:delay' from='example.com' stamp='STAMP'/></presence>"
        )
    );
}

#[tokio::test]
async fn blocked_prober_gets_no_last_unavailable() {
    // XEP-0191 §3.4: a blocked entity learns nothing, offline or not; an unblocked
    // subscriber does.
    let e = env_modules(
        Storage::memory().await.unwrap(),
        "",
        vec![ModuleFactory::of::<Blocks>()],
    );
    seed(&e.storage, J, R, State::Both).await;
    seed(&e.storage, R, J, State::Both).await;
    seed(&e.storage, J, "nurse@example.com", State::From).await;
    let s = &e.server;
    let j = login(s, "juliet@example.com/balcony").await;
    j.send(s, "<presence xmlns='jabber:client'/>").await;
    j.send(
        s,
        "<presence xmlns='jabber:client' type='unavailable'><status>Away from Verona</status></presence>",
    )
    .await;
    let mut r = login(s, "romeo@example.com/orchard").await;
    r.online(s).await;
    let mut n = login(s, "nurse@example.com/kitchen").await;
    n.online(s).await;
    s.route(inbound(R, J, PresenceType::Probe)).await;
    assert!(r.take().await.is_empty());
    s.route(inbound("nurse@example.com", J, PresenceType::Probe))
        .await;
    let got = n.take().await;
    assert_eq!(got.len(), 1);
    assert!(got[0].contains("Away from Verona"), "{got:?}");
    assert!(got[0].contains("urn:xmpp:delay"), "{got:?}");
}
