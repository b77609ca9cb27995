//! XEP-0160 offline messages with XEP-0203 delay stamps, through the real routing path on
//! SQLite storage.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use waxwing_jid::BareJid;
use waxwing_modules::offline::{Offline, Policy, policy};
use waxwing_stanza::{Message, Stanza};
use waxwing_storage::Storage;

use crate::imx_util::{
    assert_nothing, break_table, connect_with, file_storage, pending, recv, recv_xml, send,
    server_on, stanza, storage,
};
use crate::{SU, connect, xml};

fn juliet() -> BareJid {
    BareJid::parse("juliet@example.com").unwrap()
}

async fn stored(s: &waxwing_core::Server) -> u64 {
    s.module::<Offline>()
        .unwrap()
        .count(&juliet())
        .await
        .unwrap()
}

/// XEP-0160 §2 Example 1, with an id to tell messages apart.
fn msg(id: &str, body: &str) -> String {
    format!(
        "<message xmlns='jabber:client' to='juliet@example.com' id='{id}'><body>{body}</body></message>"
    )
}

/// Stores three messages from romeo for juliet on `st`.
async fn store_three(st: &Storage) {
    let s = server_on(st, "");
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    for i in 1..=3 {
        send(
            &s,
            &r,
            &msg(&format!("m{i}"), &format!("O blessed night {i}")),
        )
        .await;
    }
    // Stored, not bounced.
    assert_nothing(&mut r);
    assert_eq!(stored(&s).await, 3);
}

/// The delivered message without its `<delay/>`, and the delay's `from` and `stamp`.
fn split_delay(mut el: waxwing_xml::Element) -> (String, String, OffsetDateTime) {
    let delay = el
        .remove_child("delay", "urn:xmpp:delay")
        .expect("a <delay/>");
    assert_eq!(delay.text(), "Offline Storage");
    let stamp = delay.attr("stamp").unwrap().to_owned();
    assert!(stamp.ends_with('Z'), "XEP-0203 §3: UTC, got {stamp}");
    let t = OffsetDateTime::parse(&stamp, &Rfc3339).unwrap();
    (crate::canon(el), delay.attr("from").unwrap().to_owned(), t)
}

#[tokio::test]
async fn stored_then_delivered_in_order_with_delay_on_initial_presence() {
    let st = storage().await;
    let s = server_on(&st, "");
    let before = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap();
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    for i in 1..=3 {
        send(&s, &r, &msg(&format!("m{i}"), &format!("night {i}"))).await;
    }
    assert_nothing(&mut r);
    let after = OffsetDateTime::now_utc();
    assert_eq!(stored(&s).await, 3);

    // A bound session without presence gets nothing (XEP-0160 §2 step 5 waits for presence).
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    assert_nothing(&mut j);
    // §2 Example 2: initial presence with priority 1.
    send(
        &s,
        &j,
        "<presence xmlns='jabber:client'><priority>1</priority></presence>",
    )
    .await;
    for i in 1..=3 {
        let (el, from, t) = split_delay(recv(&mut j).await);
        assert_eq!(
            el,
            xml(&format!(
                "<message xmlns='jabber:client' to='juliet@example.com' id='m{i}' from='romeo@example.com/orchard'><body>night {i}</body></message>"
            ))
        );
        assert_eq!(from, "example.com");
        assert!(before <= t && t <= after, "{t} not in [{before}, {after}]");
    }
    // Deleted once handed over; the next presence delivers nothing again.
    assert_eq!(stored(&s).await, 0);
    send(
        &s,
        &j,
        "<presence xmlns='jabber:client'><show>away</show></presence>",
    )
    .await;
    // Online now (a second, delayed copy would arrive first and fail this): live messages are not delayed.
    send(&s, &r, &msg("live", "hi")).await;
    assert!(!recv_xml(&mut j).await.contains("urn:xmpp:delay"));
}

#[tokio::test]
async fn negative_priority_waits_until_priority_is_raised() {
    let st = storage().await;
    store_three(&st).await;
    let s = server_on(&st, "");
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    send(
        &s,
        &j,
        "<presence xmlns='jabber:client'><priority>-1</priority></presence>",
    )
    .await;
    // Still undeliverable (RFC 6121 §8.5.2.1.1): a fourth one is stored too.
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    send(&s, &r, &msg("m4", "night 4")).await;
    assert_nothing(&mut r);
    assert_nothing(&mut j);
    assert_eq!(stored(&s).await, 4);
    // XEP-0160 §2 step 5: "next sends non-negative available presence".
    send(
        &s,
        &j,
        "<presence xmlns='jabber:client'><priority>0</priority></presence>",
    )
    .await;
    for i in 1..=4 {
        let el = recv(&mut j).await;
        assert_eq!(el.attr("id"), Some(format!("m{i}").as_str()));
    }
    assert_eq!(stored(&s).await, 0);
}

#[tokio::test]
async fn messages_survive_a_restart() {
    let st = storage().await;
    store_three(&st).await;
    // A second server on the same storage.
    let s = server_on(&st, "");
    assert_eq!(stored(&s).await, 3);
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    send(&s, &j, "<presence xmlns='jabber:client'/>").await;
    let ids: Vec<String> = {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(recv(&mut j).await.attr("id").unwrap().to_owned());
        }
        v
    };
    assert_eq!(ids, ["m1", "m2", "m3"]);
}

#[tokio::test]
async fn quota_full_is_service_unavailable() {
    let st = storage().await;
    let s = server_on(&st, "[offline]\nmax_messages = 2\n");
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    send(&s, &r, &msg("q1", "1")).await;
    send(&s, &r, &msg("q2", "2")).await;
    assert_nothing(&mut r);
    // XEP-0160 §2 step 3: the queue is full.
    send(&s, &r, &msg("q3", "3")).await;
    assert_eq!(
        recv_xml(&mut r).await,
        xml(&format!(
            "<message xmlns='jabber:client' from='juliet@example.com' to='romeo@example.com/orchard' id='q3' type='error'><body>3</body>{SU}</message>"
        ))
    );
    assert_eq!(stored(&s).await, 2);
}

#[tokio::test]
async fn nothing_is_lost_when_the_session_is_gone() {
    let st = storage().await;
    store_three(&st).await;
    let s = server_on(&st, "");
    // The connection dies (its mailbox is gone) as it sends initial presence.
    let j = connect(&s, "juliet@example.com/balcony").await;
    let jid = j.jid.clone();
    drop(j.mailbox);
    s.route_from_client(&jid, stanza("<presence xmlns='jabber:client'/>"))
        .await
        .unwrap();
    // Delivery runs on its own task and finds the session gone, whenever it runs: nothing is
    // deleted.
    assert_eq!(stored(&s).await, 3);
    // The next session gets all three.
    let mut j2 = connect(&s, "juliet@example.com/chamber").await;
    send(&s, &j2, "<presence xmlns='jabber:client'/>").await;
    for i in 1..=3 {
        assert_eq!(
            recv(&mut j2).await.attr("id"),
            Some(format!("m{i}").as_str())
        );
    }
    assert_eq!(stored(&s).await, 0);
}

#[tokio::test]
async fn more_messages_than_the_mailbox_holds_are_all_delivered() {
    let st = storage().await;
    let s = server_on(&st, "");
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    for i in 0..150 {
        send(&s, &r, &msg(&format!("n{i}"), "x")).await;
    }
    assert_nothing(&mut r);
    assert_eq!(stored(&s).await, 150);
    // A mailbox of 4: delivery waits for the reader instead of closing the session.
    let mut j = connect_with(&s, "juliet@example.com/balcony", 4).await;
    send(&s, &j, "<presence xmlns='jabber:client'/>").await;
    for i in 0..150 {
        let el = recv(&mut j).await;
        assert_eq!(
            el.attr("id"),
            Some(format!("n{i}").as_str()),
            "{}",
            el.to_xml()
        );
    }
    // `count` waits for the last batch's delete (it follows the last hand-over).
    assert_eq!(stored(&s).await, 0);
    assert!(pending(&mut j).iter().all(|p| !p.starts_with("CLOSE")));
}

#[tokio::test]
async fn chat_to_a_full_jid_without_session_is_stored_normal_is_not() {
    let st = storage().await;
    let s = server_on(&st, "");
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    // RFC 6121 §8.5.3.2.1: chat → as if to the bare JID (stored).
    send(&s, &r, "<message xmlns='jabber:client' to='juliet@example.com/balcony' type='chat' id='c'><body>x</body></message>").await;
    assert_nothing(&mut r);
    assert_eq!(stored(&s).await, 1);
    // normal → service-unavailable, groupchat → service-unavailable, headline → dropped.
    for t in ["normal", "groupchat"] {
        send(&s, &r, &format!("<message xmlns='jabber:client' to='juliet@example.com/balcony' type='{t}' id='{t}'><body>x</body></message>")).await;
        assert!(
            recv_xml(&mut r).await.contains("service-unavailable"),
            "{t}"
        );
    }
    send(&s, &r, "<message xmlns='jabber:client' to='juliet@example.com' type='headline' id='h'><body>x</body></message>").await;
    send(&s, &r, "<message xmlns='jabber:client' to='juliet@example.com' type='groupchat' id='g'><body>x</body></message>").await;
    assert!(recv_xml(&mut r).await.contains("service-unavailable"));
    assert_nothing(&mut r);
    assert_eq!(stored(&s).await, 1);
}

#[tokio::test]
async fn hints_and_chat_states() {
    let st = storage().await;
    let s = server_on(&st, "");
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    // XEP-0334 §4.2 <no-store/>: not stored, answered as without offline storage.
    send(&s, &r, "<message xmlns='jabber:client' to='juliet@example.com' type='chat' id='ns'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>").await;
    assert!(recv_xml(&mut r).await.contains("service-unavailable"));
    // XEP-0160 §3: chat states alone are not stored, and not answered.
    send(&s, &r, "<message xmlns='jabber:client' to='juliet@example.com' type='chat' id='cs'><composing xmlns='http://jabber.org/protocol/chatstates'/><thread>t</thread></message>").await;
    assert_nothing(&mut r);
    assert_eq!(stored(&s).await, 0);
    // <no-permanent-store/> (§4.1) allows offline storage; <store/> (§4.4) stores chat states.
    send(&s, &r, "<message xmlns='jabber:client' to='juliet@example.com' type='chat' id='np'><body>x</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>").await;
    send(&s, &r, "<message xmlns='jabber:client' to='juliet@example.com' type='chat' id='st'><active xmlns='http://jabber.org/protocol/chatstates'/><store xmlns='urn:xmpp:hints'/></message>").await;
    // A body-less receipt is stored too.
    send(&s, &r, "<message xmlns='jabber:client' to='juliet@example.com' id='rc'><received xmlns='urn:xmpp:receipts' id='x'/></message>").await;
    assert_nothing(&mut r);
    assert_eq!(stored(&s).await, 3);
}

#[test]
fn policy_table() {
    let m = |xml: &str| match stanza(xml) {
        Stanza::Message(m) => m,
        other => panic!("{other}"),
    };
    let cases: &[(&str, Policy)] = &[
        (
            "<message xmlns='jabber:client'><body>x</body></message>",
            Policy::Store,
        ),
        ("<message xmlns='jabber:client'/>", Policy::Store),
        (
            "<message xmlns='jabber:client'><gone xmlns='http://jabber.org/protocol/chatstates'/></message>",
            Policy::Drop,
        ),
        (
            "<message xmlns='jabber:client'><gone xmlns='http://jabber.org/protocol/chatstates'/><body>x</body></message>",
            Policy::Store,
        ),
        (
            "<message xmlns='jabber:client'><body>x</body><no-store xmlns='urn:xmpp:hints'/></message>",
            Policy::Refuse,
        ),
        (
            "<message xmlns='jabber:client'><body>x</body><no-permanent-store xmlns='urn:xmpp:hints'/></message>",
            Policy::Store,
        ),
        (
            "<message xmlns='jabber:client'><paused xmlns='http://jabber.org/protocol/chatstates'/><store xmlns='urn:xmpp:hints'/></message>",
            Policy::Store,
        ),
    ];
    for (xml, want) in cases {
        let msg: Message = m(xml);
        assert_eq!(policy(&msg), *want, "{xml}");
    }
}

#[tokio::test]
async fn storage_failure_is_internal_server_error() {
    let (_dir, path, st) = file_storage().await;
    let s = server_on(&st, "");
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    send(&s, &r, &msg("ok", "stored")).await;
    assert_nothing(&mut r);
    break_table(&path, "archive");
    // Never dropped silently: the sender learns the message was not kept.
    send(&s, &r, &msg("lost", "not stored")).await;
    assert_eq!(
        recv_xml(&mut r).await,
        xml(
            "<message xmlns='jabber:client' from='juliet@example.com' to='romeo@example.com/orchard' id='lost' type='error'><body>not stored</body><error type='cancel'><internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"
        )
    );
}

#[tokio::test]
async fn config_keys_are_checked() {
    let st = storage().await;
    let build = |config: &str, st: Option<&Storage>| {
        let mut b = waxwing_core::Server::builder()
            .domain("example.com")
            .modules(waxwing_modules::all())
            .module_config(toml::from_str(config).unwrap());
        if let Some(st) = st {
            b = b.storage(st.clone());
        }
        b.build().map(|_| ()).map_err(|e| e.to_string())
    };
    let good = "[offline]\nmax_messages = 5\n[blocking]\nmax_items = 3\n[vcard]\nmax_bytes = 10\n";
    assert_eq!(build(good, Some(&st)), Ok(()));
    // Without storage too, as `waxwing check` builds it.
    assert_eq!(build(good, None), Ok(()));
    let err = build(
        "[offline]\nmax = 1\n[vcard]\nmax_bytes = 'big'\n",
        Some(&st),
    )
    .unwrap_err();
    assert!(
        err.contains("[modules.offline]: unknown key `max`"),
        "{err}"
    );
    assert!(err.contains("[modules.vcard]"), "{err}");
}

/// End to end over real c2s streams (TLS, SASL, bind) with a small mailbox: delivery runs
/// beside the session's own loop, which keeps writing while it waits for room.
#[tokio::test]
async fn end_to_end_over_real_streams() {
    use waxwing_testkit::TestKit;
    let kit = TestKit::builder()
        .user("juliet@localhost", "pencil")
        .user("romeo@localhost", "mercutio")
        .modules(waxwing_modules::all())
        .mailbox_capacity(8)
        .build()
        .await;
    let mut romeo = kit
        .login("romeo@localhost", "mercutio", Some("orchard"))
        .await;
    for i in 0..100 {
        romeo
            .send(&format!(
                "<message to='juliet@localhost' type='chat' id='e{i}'><body>{i}</body></message>"
            ))
            .await;
    }
    // Stanzas are handled in order: once the ping is answered, all 100 are stored.
    romeo
        .send("<iq type='get' id='p' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    let pong = romeo.expect_element().await;
    assert_eq!(pong.attr("id"), Some("p"), "{}", pong.to_xml());
    let owner = BareJid::parse("juliet@localhost").unwrap();
    let offline = kit.server().module::<Offline>().unwrap();
    assert_eq!(offline.count(&owner).await.unwrap(), 100);

    let mut juliet = kit
        .login("juliet@localhost", "pencil", Some("balcony"))
        .await;
    juliet.send("<presence/>").await;
    let mut i = 0;
    while i < 100 {
        let el = juliet.expect_element().await;
        if el.name() == "presence" {
            continue;
        }
        assert_eq!(
            el.attr("id"),
            Some(format!("e{i}").as_str()),
            "{}",
            el.to_xml()
        );
        assert!(el.get_child("delay", "urn:xmpp:delay").is_some());
        i += 1;
    }
    assert_eq!(offline.count(&owner).await.unwrap(), 0);
    // The session is still usable.
    juliet
        .send("<iq type='get' id='q' to='localhost'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    let mut el = juliet.expect_element().await;
    while el.name() == "presence" {
        el = juliet.expect_element().await;
    }
    assert_eq!(el.attr("id"), Some("q"));
}

#[tokio::test]
async fn a_message_stored_after_an_empty_queue_was_seen_is_delivered() {
    // Initial presence that finds the queue empty remembers it, so later logins skip the
    // archive query; a message stored afterwards must clear that for every session.
    let st = storage().await;
    let s = server_on(&st, "");
    let r = connect(&s, "romeo@example.com/orchard").await;
    let mut a = connect(&s, "juliet@example.com/a").await;
    send(&s, &a, "<presence xmlns='jabber:client'/>").await;
    crate::roster_util::settle().await;
    assert!(pending(&mut a).is_empty());
    send(
        &s,
        &a,
        "<presence xmlns='jabber:client' type='unavailable'/>",
    )
    .await;
    for round in 1..=2 {
        send(&s, &r, &msg(&format!("m{round}"), "Art thou there?")).await;
        assert_eq!(stored(&s).await, 1, "round {round}");
        // Another resource's initial presence gets it.
        let mut b = connect(&s, &format!("juliet@example.com/b{round}")).await;
        send(&s, &b, "<presence xmlns='jabber:client'/>").await;
        let got = recv(&mut b).await;
        assert_eq!(got.attr("id"), Some(format!("m{round}").as_str()));
        crate::roster_util::settle().await;
        assert_eq!(stored(&s).await, 0);
        send(
            &s,
            &b,
            "<presence xmlns='jabber:client' type='unavailable'/>",
        )
        .await;
        assert!(pending(&mut a).is_empty());
    }
    // And after a restart (nothing remembered), a stored message is delivered too.
    send(&s, &r, &msg("m3", "Still there?")).await;
    let s2 = server_on(&st, "");
    let mut d = connect(&s2, "juliet@example.com/d").await;
    send(&s2, &d, "<presence xmlns='jabber:client'/>").await;
    assert_eq!(recv(&mut d).await.attr("id"), Some("m3"));
}
