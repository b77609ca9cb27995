//! RFC 6121 §2: roster get, set, push, delete, errors, versioning, persistence.

#![allow(clippy::many_single_char_names)]

use waxwing_modules::roster::State;

use crate::roster_util::{env, env_config, env_with, login, seed, state, x};

const GET: &str =
    "<iq xmlns='jabber:client' type='get' id='bv1bs71f'><query xmlns='jabber:iq:roster'/></iq>";

fn set(item: &str) -> String {
    format!(
        "<iq xmlns='jabber:client' type='set' id='rs1'><query xmlns='jabber:iq:roster'>{item}</query></iq>"
    )
}

fn push(to: &str, item: &str) -> String {
    x(&format!(
        "<iq xmlns='jabber:client' to='{to}' type='set'><query xmlns='jabber:iq:roster'>{item}</query></iq>"
    ))
}

fn result(to: &str, id: &str) -> String {
    x(&format!(
        "<iq xmlns='jabber:client' to='{to}' id='{id}' type='result'/>"
    ))
}

fn error(to: &str, id: &str, type_: &str, cond: &str) -> String {
    x(&format!(
        "<iq xmlns='jabber:client' to='{to}' type='error' id='{id}'><query xmlns='jabber:iq:roster'/><error type='{type_}'><{cond} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
    ))
}

fn stanza_error_condition(s: &str) -> Option<String> {
    let el = waxwing_xml::parse_element(s.as_bytes()).unwrap();
    let err = el.get_child("error", "jabber:client")?;
    err.children()
        .find(|c| c.ns() == "urn:ietf:params:xml:ns:xmpp-stanzas" && c.name() != "text")
        .map(|c| c.name().to_owned())
}

#[tokio::test]
async fn get_empty_roster() {
    // §2.2, Example: the roster result; an empty roster is an empty <query/>.
    let e = env().await;
    let mut j = login(&e.server, "juliet@example.com/balcony").await;
    assert_eq!(
        j.exchange(&e.server, GET).await,
        [x(
            "<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='result'><query xmlns='jabber:iq:roster'/></iq>"
        )]
    );
}

#[tokio::test]
async fn add_pushes_to_interested_resources_only() {
    // §2.3.2 (Examples of §2.3): the push goes to every interested resource, the requester
    // included; a resource that never asked for the roster gets none (§2.1.6).
    let e = env().await;
    let s = &e.server;
    let mut balcony = login(s, "juliet@example.com/balcony").await;
    let mut chamber = login(s, "juliet@example.com/chamber").await;
    let mut hall = login(s, "juliet@example.com/hall").await;
    balcony.roster(s).await;
    chamber.roster(s).await;
    let item = "<item jid='nurse@example.com' name='Nurse'><group>Servants</group></item>";
    let got = balcony.exchange(s, &set(item)).await;
    assert_eq!(
        got,
        [
            push(
                "juliet@example.com/balcony",
                "<item jid='nurse@example.com' name='Nurse' subscription='none'><group>Servants</group></item>"
            ),
            result("juliet@example.com/balcony", "rs1"),
        ]
    );
    assert_eq!(
        chamber.take().await,
        [push(
            "juliet@example.com/chamber",
            "<item jid='nurse@example.com' name='Nurse' subscription='none'><group>Servants</group></item>"
        )]
    );
    assert!(hall.take().await.is_empty());
    // §2.1.4: the roster now holds the item.
    assert_eq!(
        hall.exchange(s, GET).await,
        [x(
            "<iq xmlns='jabber:client' to='juliet@example.com/hall' type='result'><query xmlns='jabber:iq:roster'><item jid='nurse@example.com' name='Nurse' subscription='none'><group>Servants</group></item></query></iq>"
        )]
    );
}

#[tokio::test]
async fn update_and_delete() {
    // §2.4: an update replaces name and groups; §2.5: subscription='remove' deletes and pushes
    // the removal; §2.5.3: deleting an absent item is item-not-found.
    let e = env().await;
    let s = &e.server;
    let mut j = login(s, "juliet@example.com/balcony").await;
    j.roster(s).await;
    j.exchange(
        s,
        &set("<item jid='nurse@example.com' name='Nurse'><group>Servants</group></item>"),
    )
    .await;
    let got = j
        .exchange(s, &set("<item jid='nurse@example.com' name='Nurse'><group>Servants</group><group>Family</group></item>"))
        .await;
    assert_eq!(
        got[0],
        push(
            "juliet@example.com/balcony",
            "<item jid='nurse@example.com' name='Nurse' subscription='none'><group>Servants</group><group>Family</group></item>"
        )
    );
    let got = j
        .exchange(
            s,
            &set("<item jid='nurse@example.com' subscription='remove'/>"),
        )
        .await;
    assert_eq!(
        got,
        [
            push(
                "juliet@example.com/balcony",
                "<item jid='nurse@example.com' subscription='remove'/>"
            ),
            result("juliet@example.com/balcony", "rs1"),
        ]
    );
    let got = j
        .exchange(
            s,
            &set("<item jid='nurse@example.com' subscription='remove'/>"),
        )
        .await;
    assert_eq!(
        got,
        [error(
            "juliet@example.com/balcony",
            "rs1",
            "cancel",
            "item-not-found"
        )]
    );
    assert_eq!(
        j.exchange(s, GET).await,
        [x(
            "<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='result'><query xmlns='jabber:iq:roster'/></iq>"
        )]
    );
}

#[tokio::test]
async fn set_error_cases() {
    // §2.3.3 and the roster quota.
    let e = env_config("[roster]\nmax_items = 1\nmax_name_len = 8\nmax_group_len = 8").await;
    let s = &e.server;
    let mut j = login(s, "juliet@example.com/balcony").await;
    for (item, cond) in [
        (
            "<item jid='a@example.com'/><item jid='b@example.com'/>",
            "bad-request",
        ),
        ("<item name='x'/>", "bad-request"),
        (
            "<item jid='a@example.com'><group>G</group><group>G</group></item>",
            "bad-request",
        ),
        (
            "<item jid='a@example.com' name='123456789'/>",
            "not-acceptable",
        ),
        (
            "<item jid='a@example.com'><group>123456789</group></item>",
            "not-acceptable",
        ),
        (
            "<item jid='a@example.com'><group></group></item>",
            "not-acceptable",
        ),
        ("<item jid='@@'/>", "jid-malformed"),
    ] {
        let got = j.exchange(s, &set(item)).await;
        assert_eq!(got.len(), 1, "{item}: {got:?}");
        assert_eq!(
            stanza_error_condition(&got[0]).as_deref(),
            Some(cond),
            "{item}"
        );
    }
    // Quota: one item fits, a second does not; updating the first still works.
    assert_eq!(
        j.exchange(s, &set("<item jid='a@example.com'/>"))
            .await
            .len(),
        1
    );
    let got = j.exchange(s, &set("<item jid='b@example.com'/>")).await;
    assert_eq!(
        stanza_error_condition(&got[0]).as_deref(),
        Some("not-allowed")
    );
    let got = j
        .exchange(s, &set("<item jid='a@example.com' name='A'/>"))
        .await;
    assert_eq!(got, [result("juliet@example.com/balcony", "rs1")]);
}

#[tokio::test]
async fn only_the_account_itself() {
    // §2.1.5 / §2.3.3: a roster of another account is forbidden.
    let e = env().await;
    let s = &e.server;
    let mut j = login(s, "juliet@example.com/balcony").await;
    let got = j
        .exchange(s, "<iq xmlns='jabber:client' to='romeo@example.com' type='get' id='g'><query xmlns='jabber:iq:roster'/></iq>")
        .await;
    assert_eq!(
        stanza_error_condition(&got[0]).as_deref(),
        Some("forbidden")
    );
    let got = j
        .exchange(s, "<iq xmlns='jabber:client' to='romeo@example.com' type='set' id='g'><query xmlns='jabber:iq:roster'><item jid='a@example.com'/></query></iq>")
        .await;
    assert_eq!(
        stanza_error_condition(&got[0]).as_deref(),
        Some("forbidden")
    );
}

#[tokio::test]
async fn versioning() {
    // §2.6.1: the stream feature.
    let e = env().await;
    let s = &e.server;
    let features: Vec<String> = s
        .stream_features_post_bind()
        .into_iter()
        .map(crate::canon)
        .collect();
    assert!(features.contains(&x("<ver xmlns='urn:xmpp:features:rosterver'/>")));
    let mut j = login(s, "juliet@example.com/balcony").await;
    // §2.6.3: an empty ver asks for everything, with the current version.
    assert_eq!(
        j.exchange(s, "<iq xmlns='jabber:client' type='get' id='v0'><query xmlns='jabber:iq:roster' ver=''/></iq>").await,
        [x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='v0' type='result'><query xmlns='jabber:iq:roster' ver='0'/></iq>")]
    );
    // Pushes to a versioned resource carry ver (§2.6.2).
    let got = j.exchange(s, &set("<item jid='a@example.com'/>")).await;
    assert_eq!(
        got[0],
        x(
            "<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='set'><query xmlns='jabber:iq:roster' ver='1'><item jid='a@example.com' subscription='none'/></query></iq>"
        )
    );
    j.exchange(s, &set("<item jid='b@example.com'/>")).await;
    j.exchange(s, &set("<item jid='c@example.com'/>")).await;
    j.exchange(s, &set("<item jid='a@example.com' subscription='remove'/>"))
        .await;
    j.exchange(s, &set("<item jid='b@example.com' name='B'/>"))
        .await;
    // Since version 2: c added (3), a removed (4), b changed (5), as pushes after an empty
    // result, oldest first.
    assert_eq!(
        j.exchange(s, "<iq xmlns='jabber:client' type='get' id='v2'><query xmlns='jabber:iq:roster' ver='2'/></iq>").await,
        [
            x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='v2' type='result'/>"),
            x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='set'><query xmlns='jabber:iq:roster' ver='3'><item jid='c@example.com' subscription='none'/></query></iq>"),
            x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='set'><query xmlns='jabber:iq:roster' ver='4'><item jid='a@example.com' subscription='remove'/></query></iq>"),
            x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='set'><query xmlns='jabber:iq:roster' ver='5'><item jid='b@example.com' name='B' subscription='none'/></query></iq>"),
        ]
    );
    // Up to date: an empty result and nothing else.
    assert_eq!(
        j.exchange(s, "<iq xmlns='jabber:client' type='get' id='v5'><query xmlns='jabber:iq:roster' ver='5'/></iq>").await,
        [x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='v5' type='result'/>")]
    );
    // Unknown version: the whole roster.
    for bad in ["99", "x"] {
        assert_eq!(
            j.exchange(s, &format!("<iq xmlns='jabber:client' type='get' id='vx'><query xmlns='jabber:iq:roster' ver='{bad}'/></iq>")).await,
            [x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='vx' type='result'><query xmlns='jabber:iq:roster' ver='5'><item jid='b@example.com' name='B' subscription='none'/><item jid='c@example.com' subscription='none'/></query></iq>")]
        );
    }
}

#[tokio::test]
async fn tombstones_are_bounded() {
    // Versions older than the oldest kept tombstone get the whole roster.
    let e = env_config("[roster]\nmax_tombstones = 1").await;
    let s = &e.server;
    let mut j = login(s, "juliet@example.com/balcony").await;
    for c in ["a", "b"] {
        j.exchange(s, &set(&format!("<item jid='{c}@example.com'/>")))
            .await;
        j.exchange(
            s,
            &set(&format!(
                "<item jid='{c}@example.com' subscription='remove'/>"
            )),
        )
        .await;
    }
    // Versions: a+ 1, a- 2, b+ 3, b- 4; the tombstone of a (2) was dropped.
    assert_eq!(
        j.exchange(s, "<iq xmlns='jabber:client' type='get' id='v'><query xmlns='jabber:iq:roster' ver='1'/></iq>").await,
        [x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='v' type='result'><query xmlns='jabber:iq:roster' ver='4'/></iq>")]
    );
    assert_eq!(
        j.exchange(s, "<iq xmlns='jabber:client' type='get' id='v'><query xmlns='jabber:iq:roster' ver='3'/></iq>").await,
        [
            x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='v' type='result'/>"),
            x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='set'><query xmlns='jabber:iq:roster' ver='4'><item jid='b@example.com' subscription='remove'/></query></iq>"),
        ]
    );
}

#[tokio::test]
async fn survives_restart() {
    let e = env().await;
    let mut j = login(&e.server, "juliet@example.com/balcony").await;
    j.exchange(
        &e.server,
        &set("<item jid='nurse@example.com' name='Nurse'><group>Servants</group></item>"),
    )
    .await;
    j.exchange(&e.server, &set("<item jid='romeo@example.net'/>"))
        .await;
    j.close(&e.server).await;
    let e2 = env_with(e.storage.clone(), "");
    let mut j = login(&e2.server, "juliet@example.com/balcony").await;
    assert_eq!(
        j.exchange(&e2.server, "<iq xmlns='jabber:client' type='get' id='v'><query xmlns='jabber:iq:roster' ver=''/></iq>").await,
        [x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='v' type='result'><query xmlns='jabber:iq:roster' ver='2'><item jid='nurse@example.com' name='Nurse' subscription='none'><group>Servants</group></item><item jid='romeo@example.net' subscription='none'/></query></iq>")]
    );
}

#[tokio::test]
async fn delete_ends_subscriptions() {
    // §2.5.2: deleting an item with subscription both sends unsubscribe and unsubscribed (and,
    // as the contact's subscription ends, unavailable presence from available resources).
    let e = env().await;
    seed(
        &e.storage,
        "juliet@example.com",
        "romeo@example.net",
        State::Both,
    )
    .await;
    let s = &e.server;
    let mut j = login(s, "juliet@example.com/balcony").await;
    j.online(s).await;
    e.remote.take();
    j.roster(s).await;
    let got = j
        .exchange(
            s,
            &set("<item jid='romeo@example.net' subscription='remove'/>"),
        )
        .await;
    assert_eq!(
        got,
        [
            push(
                "juliet@example.com/balcony",
                "<item jid='romeo@example.net' subscription='remove'/>"
            ),
            result("juliet@example.com/balcony", "rs1"),
        ]
    );
    assert_eq!(
        e.remote.take(),
        [
            x(
                "<presence xmlns='jabber:client' from='juliet@example.com' to='romeo@example.net' type='unsubscribe'/>"
            ),
            x(
                "<presence xmlns='jabber:client' from='juliet@example.com' to='romeo@example.net' type='unsubscribed'/>"
            ),
            x(
                "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.net' type='unavailable'/>"
            ),
        ]
    );
    assert_eq!(
        state(&e.storage, "juliet@example.com", "romeo@example.net").await,
        State::None
    );
}

#[tokio::test]
async fn versioning_disabled() {
    let e = env_config("[roster]\nversioning = false\npre_approval = false").await;
    let s = &e.server;
    assert!(s.stream_features_post_bind().is_empty());
    let mut j = login(s, "juliet@example.com/balcony").await;
    j.exchange(s, &set("<item jid='a@example.com'/>")).await;
    // A `ver` is ignored: the whole roster, without a version.
    assert_eq!(
        j.exchange(s, "<iq xmlns='jabber:client' type='get' id='v'><query xmlns='jabber:iq:roster' ver='1'/></iq>").await,
        [x("<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='v' type='result'><query xmlns='jabber:iq:roster'><item jid='a@example.com' subscription='none'/></query></iq>")]
    );
}

#[tokio::test]
async fn set_ignores_subscription_and_ask_from_the_client() {
    // §2.1.2.5: "in a roster set the server MUST ignore all values of the 'subscription'
    // attribute other than 'remove'"; `ask` is the server's too (§2.1.2.2). Clients such as
    // slixmpp echo both back when they rename a contact.
    let e = env().await;
    let s = &e.server;
    let mut j = login(s, "juliet@example.com/balcony").await;
    j.roster(s).await;
    let got = j
        .exchange(
            s,
            &set(
                "<item jid='nurse@example.com' name='Nurse' subscription='both' ask='subscribe'/>",
            ),
        )
        .await;
    assert_eq!(
        got,
        [
            push(
                "juliet@example.com/balcony",
                "<item jid='nurse@example.com' name='Nurse' subscription='none'/>"
            ),
            result("juliet@example.com/balcony", "rs1"),
        ]
    );
}
