//! RFC 6121 §3 and Appendix A: subscription requests, approvals, cancellations,
//! unsubscribes and pre-approval, with one table-driven case per Appendix A row.

#![allow(clippy::many_single_char_names)]

use waxwing_jid::{BareJid, Jid};
use waxwing_modules::roster::item::{inbound, outbound};
use waxwing_modules::roster::{Kind, State};
use waxwing_stanza::{Presence, PresenceType, Stanza};

use crate::roster_util::{env, env_config, env_with, login, seed, state, stored, x};

use Kind::{Subscribe as Sub, Subscribed as Subd, Unsubscribe as Unsub, Unsubscribed as Unsubd};
use State::{
    Both, From, FromPendingOut as Fpo, None as N, NonePendingIn as Npi, NonePendingOut as Npo,
    NonePendingOutIn as Npoi, To, ToPendingIn as Tpi,
};

/// Appendix A.2, transcribed: (state, kind) → (routed, new state), user's outbound stanzas.
const OUTBOUND: [(State, [(bool, State); 4]); 9] = [
    // state: subscribe, unsubscribe, subscribed, unsubscribed
    (N, [(true, Npo), (true, N), (false, N), (false, N)]),
    (Npo, [(true, Npo), (true, N), (false, Npo), (false, Npo)]),
    (Npi, [(true, Npoi), (true, Npi), (true, From), (true, N)]),
    (Npoi, [(true, Npoi), (true, Npi), (true, Fpo), (true, Npo)]),
    (To, [(true, To), (true, N), (false, To), (false, To)]),
    (Tpi, [(true, Tpi), (true, Npi), (true, Both), (true, To)]),
    (From, [(true, Fpo), (true, From), (false, From), (true, N)]),
    (Fpo, [(true, Fpo), (true, From), (false, Fpo), (true, Npo)]),
    (
        Both,
        [(true, Both), (true, From), (false, Both), (true, To)],
    ),
];

/// Appendix A.3, transcribed: (state, kind) → (delivered, new state), inbound stanzas. An
/// inbound subscribe in From, From + Pending Out and Both is answered by the server instead.
const INBOUND: [(State, [(bool, State); 4]); 9] = [
    (N, [(true, Npi), (false, N), (false, N), (false, N)]),
    (Npo, [(true, Npoi), (false, Npo), (true, To), (true, N)]),
    (Npi, [(false, Npi), (true, N), (false, Npi), (false, Npi)]),
    (Npoi, [(false, Npoi), (true, Npo), (true, Tpi), (true, Npi)]),
    (To, [(true, Tpi), (false, To), (false, To), (true, N)]),
    (Tpi, [(false, Tpi), (true, To), (false, Tpi), (true, Npi)]),
    (
        From,
        [(false, From), (true, N), (false, From), (false, From)],
    ),
    (Fpo, [(false, Fpo), (true, Npo), (true, Both), (true, From)]),
    (
        Both,
        [(false, Both), (true, To), (false, Both), (true, From)],
    ),
];

const KINDS: [Kind; 4] = [Sub, Unsub, Subd, Unsubd];

fn type_str(k: Kind) -> &'static str {
    k.presence_type().as_str().unwrap()
}

/// What a roster item shows of a state.
fn shown(s: State) -> (waxwing_modules::roster::Subscription, bool) {
    (s.subscription(), s.pending_out())
}

#[test]
fn state_tables_match_appendix_a() {
    for (s, row) in OUTBOUND {
        for (k, want) in KINDS.into_iter().zip(row) {
            assert_eq!(outbound(s, k), want, "outbound {k:?} in {s:?}");
        }
    }
    for (s, row) in INBOUND {
        for (k, want) in KINDS.into_iter().zip(row) {
            assert_eq!(inbound(s, k), want, "inbound {k:?} in {s:?}");
        }
    }
}

const J: &str = "juliet@example.com";
const JB: &str = "juliet@example.com/balcony";
const R: &str = "romeo@example.net";

fn item_push(s: State) -> String {
    let (sub, ask) = shown(s);
    let ask = if ask { " ask='subscribe'" } else { "" };
    x(&format!(
        "<iq xmlns='jabber:client' to='{JB}' type='set'><query xmlns='jabber:iq:roster'><item jid='{R}' subscription='{}'{ask}/></query></iq>",
        sub.as_str()
    ))
}

#[tokio::test]
async fn appendix_a2_outbound_every_row() {
    // Pre-approval off: exactly the tables of Appendix A.2.
    for (s, row) in OUTBOUND {
        for (k, (routed, new)) in KINDS.into_iter().zip(row) {
            let e = env_config("[roster]\npre_approval = false").await;
            seed(&e.storage, J, R, s).await;
            let srv = &e.server;
            let mut j = login(srv, JB).await;
            j.roster(srv).await;
            j.online(srv).await;
            e.remote.take();
            let got = j
                .exchange(
                    srv,
                    &format!(
                        "<presence xmlns='jabber:client' to='{R}' type='{}'/>",
                        type_str(k)
                    ),
                )
                .await;
            let case = format!("outbound {k:?} in {s:?}");
            // Roster push when what the item shows changes.
            let want_push: Vec<String> = if shown(new) == shown(s) {
                vec![]
            } else {
                vec![item_push(new)]
            };
            assert_eq!(got, want_push, "{case}");
            let mut want_remote = Vec::new();
            if routed {
                // §3.1.2: from the bare JID, to the bare JID.
                want_remote.push(x(&format!(
                    "<presence xmlns='jabber:client' from='{J}' to='{R}' type='{}'/>",
                    type_str(k)
                )));
            }
            if k == Subd && routed {
                // §3.1.5: the approving user's current presence follows.
                want_remote.push(x(&format!(
                    "<presence xmlns='jabber:client' from='{JB}' to='{R}'/>"
                )));
            }
            if k == Unsubd && s.subscription().has_from() {
                // §3.2.2: unavailable presence from each available resource.
                want_remote.push(x(&format!(
                    "<presence xmlns='jabber:client' from='{JB}' to='{R}' type='unavailable'/>"
                )));
            }
            assert_eq!(e.remote.take(), want_remote, "{case}");
            assert_eq!(state(&e.storage, J, R).await, new, "{case}");
        }
    }
}

#[tokio::test]
async fn appendix_a3_inbound_every_row() {
    for (s, row) in INBOUND {
        for (k, (delivered, new)) in KINDS.into_iter().zip(row) {
            let e = env_config("[roster]\npre_approval = false").await;
            seed(&e.storage, J, R, s).await;
            let srv = &e.server;
            let mut j = login(srv, JB).await;
            j.roster(srv).await;
            j.online(srv).await;
            e.remote.take();
            let mut p = Presence::new(k.presence_type());
            p.set_from(Some(Jid::parse("romeo@example.net/orchard").unwrap()));
            p.set_to(Some(Jid::parse(J).unwrap()));
            srv.route(Stanza::Presence(p)).await;
            let got = j.take().await;
            let case = format!("inbound {k:?} in {s:?}");
            // Delivered from the contact's bare JID: a request to every available resource
            // (§3.1.3), the others to every interested resource before the push (§3.1.6,
            // §3.2.3, §3.3.3).
            let delivery = x(&format!(
                "<presence xmlns='jabber:client' from='{R}' to='{J}' type='{}'/>",
                type_str(k)
            ));
            let mut want = Vec::new();
            if delivered && k != Sub {
                want.push(delivery.clone());
            }
            if shown(new) != shown(s) {
                want.push(item_push(new));
            }
            if delivered && k == Sub {
                want.push(delivery);
            }
            assert_eq!(got, want, "{case}");
            let mut want_remote = Vec::new();
            if k == Sub && s.subscription().has_from() {
                // §3.1.3: auto-reply on the user's behalf.
                want_remote.push(x(&format!(
                    "<presence xmlns='jabber:client' from='{J}' to='{R}' type='subscribed'/>"
                )));
            }
            if k == Unsub && s.subscription().has_from() {
                // §3.3.3: unavailable presence from each available resource.
                want_remote.push(x(&format!(
                    "<presence xmlns='jabber:client' from='{JB}' to='{R}' type='unavailable'/>"
                )));
            }
            assert_eq!(e.remote.take(), want_remote, "{case}");
            assert_eq!(state(&e.storage, J, R).await, new, "{case}");
        }
    }
}

#[tokio::test]
async fn request_and_approval_between_local_users() {
    // §3.1, with the RFC's characters on one server.
    let e = env().await;
    let s = &e.server;
    let mut j = login(s, "juliet@example.com/balcony").await;
    let mut r = login(s, "romeo@example.com/orchard").await;
    for c in [&mut j, &mut r] {
        c.roster(s).await;
        c.online(s).await;
    }
    // §3.1.1/§3.1.2: Romeo asks; his server pushes ask='subscribe' and routes the request.
    let got = r
        .exchange(s, "<presence xmlns='jabber:client' id='xk3h1v69' to='juliet@example.com' type='subscribe'/>")
        .await;
    assert_eq!(
        got,
        [x(
            "<iq xmlns='jabber:client' to='romeo@example.com/orchard' type='set'><query xmlns='jabber:iq:roster'><item jid='juliet@example.com' subscription='none' ask='subscribe'/></query></iq>"
        )]
    );
    // §3.1.3: delivered to Juliet's available resource; no item is added to her roster.
    assert_eq!(
        j.take().await,
        [x(
            "<presence xmlns='jabber:client' from='romeo@example.com' to='juliet@example.com' type='subscribe'/>"
        )]
    );
    assert!(
        !stored(&e.storage, "juliet@example.com", "romeo@example.com")
            .await
            .unwrap()
            .in_roster
    );
    // §3.1.4/§3.1.5: Juliet approves: her item (created now) is pushed with from, and her
    // presence follows the approval.
    let got = j
        .exchange(s, "<presence xmlns='jabber:client' id='h4v1c4kj' to='romeo@example.com' type='subscribed'/>")
        .await;
    assert_eq!(
        got,
        [x(
            "<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='set'><query xmlns='jabber:iq:roster'><item jid='romeo@example.com' subscription='from'/></query></iq>"
        )]
    );
    // §3.1.6: Romeo's server delivers the approval and pushes `to`; Juliet's presence follows.
    assert_eq!(
        r.take().await,
        [
            x(
                "<presence xmlns='jabber:client' from='juliet@example.com' to='romeo@example.com' type='subscribed'/>"
            ),
            x(
                "<iq xmlns='jabber:client' to='romeo@example.com/orchard' type='set'><query xmlns='jabber:iq:roster'><item jid='juliet@example.com' subscription='to'/></query></iq>"
            ),
            x(
                "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.com'/>"
            ),
        ]
    );
    // §3.1.3: a second request while subscribed is answered by Juliet's server, not
    // delivered to her; the answer finds Romeo already in To and is not delivered (A.3.3).
    r.exchange(
        s,
        "<presence xmlns='jabber:client' to='juliet@example.com' type='subscribe'/>",
    )
    .await;
    assert!(j.take().await.is_empty());
    assert!(r.take().await.is_empty());
    assert_eq!(
        state(&e.storage, "juliet@example.com", "romeo@example.com").await,
        From
    );
}

#[tokio::test]
async fn request_kept_until_answered_and_across_restart() {
    // §3.1.3: with no available resource the request is stored, and delivered at every
    // initial presence until answered.
    let e = env().await;
    let r = login(&e.server, "romeo@example.com/orchard").await;
    r.send(&e.server, "<presence xmlns='jabber:client' to='juliet@example.com' type='subscribe'><status>Wherefore?</status></presence>")
        .await;
    let e = env_with(e.storage.clone(), "");
    let s = &e.server;
    let want = x(
        "<presence xmlns='jabber:client' from='romeo@example.com' to='juliet@example.com' type='subscribe'><status>Wherefore?</status></presence>",
    );
    let mut j = login(s, "juliet@example.com/balcony").await;
    assert!(j.take().await.is_empty());
    j.send(s, "<presence xmlns='jabber:client'/>").await;
    assert_eq!(
        j.take().await,
        [
            x(
                "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='juliet@example.com/balcony'/>"
            ),
            want.clone(),
        ]
    );
    let mut j2 = login(s, "juliet@example.com/chamber").await;
    j2.send(s, "<presence xmlns='jabber:client'/>").await;
    assert!(j2.take().await.contains(&want));
    // Denied (§3.2.2 applied to a request): no longer delivered.
    j.send(
        s,
        "<presence xmlns='jabber:client' to='romeo@example.com' type='unsubscribed'/>",
    )
    .await;
    let mut j3 = login(s, "juliet@example.com/hall").await;
    j3.send(s, "<presence xmlns='jabber:client'/>").await;
    assert!(!j3.take().await.contains(&want));
    assert_eq!(
        stored(&e.storage, "juliet@example.com", "romeo@example.com").await,
        None
    );
}

#[tokio::test]
async fn pre_approval() {
    // §3.4: the stream feature, then a pre-approval that is pushed but not routed, then the
    // contact's request approved on the user's behalf.
    let e = env().await;
    let s = &e.server;
    let features: Vec<String> = s
        .stream_features_post_bind()
        .into_iter()
        .map(crate::canon)
        .collect();
    assert!(features.contains(&x("<sub xmlns='urn:xmpp:features:pre-approval'/>")));
    let mut j = login(s, JB).await;
    j.roster(s).await;
    j.online(s).await;
    e.remote.take();
    let got = j
        .exchange(
            s,
            &format!("<presence xmlns='jabber:client' to='{R}' type='subscribed'/>"),
        )
        .await;
    assert_eq!(
        got,
        [x(&format!(
            "<iq xmlns='jabber:client' to='{JB}' type='set'><query xmlns='jabber:iq:roster'><item jid='{R}' subscription='none' approved='true'/></query></iq>"
        ))]
    );
    assert!(e.remote.take().is_empty());
    let mut p = Presence::new(PresenceType::Subscribe);
    p.set_from(Some(Jid::parse(R).unwrap()));
    p.set_to(Some(Jid::from(BareJid::parse(J).unwrap())));
    s.route(Stanza::Presence(p)).await;
    assert_eq!(
        j.take().await,
        [x(&format!(
            "<iq xmlns='jabber:client' to='{JB}' type='set'><query xmlns='jabber:iq:roster'><item jid='{R}' subscription='from'/></query></iq>"
        ))]
    );
    assert_eq!(
        e.remote.take(),
        [
            x(&format!(
                "<presence xmlns='jabber:client' from='{J}' to='{R}' type='subscribed'/>"
            )),
            x(&format!(
                "<presence xmlns='jabber:client' from='{JB}' to='{R}'/>"
            )),
        ]
    );
    assert_eq!(state(&e.storage, J, R).await, From);
}

#[tokio::test]
async fn pre_approval_withdrawn() {
    // §3.4: unsubscribed withdraws a pre-approval; a later request waits for the user.
    let e = env().await;
    let s = &e.server;
    let mut j = login(s, JB).await;
    j.roster(s).await;
    j.online(s).await;
    j.exchange(
        s,
        &format!("<presence xmlns='jabber:client' to='{R}' type='subscribed'/>"),
    )
    .await;
    let got = j
        .exchange(
            s,
            &format!("<presence xmlns='jabber:client' to='{R}' type='unsubscribed'/>"),
        )
        .await;
    assert_eq!(
        got,
        [x(&format!(
            "<iq xmlns='jabber:client' to='{JB}' type='set'><query xmlns='jabber:iq:roster'><item jid='{R}' subscription='none'/></query></iq>"
        ))]
    );
    e.remote.take();
    let mut p = Presence::new(PresenceType::Subscribe);
    p.set_from(Some(Jid::parse(R).unwrap()));
    p.set_to(Some(Jid::parse(J).unwrap()));
    s.route(Stanza::Presence(p)).await;
    assert_eq!(
        j.take().await,
        [x(&format!(
            "<presence xmlns='jabber:client' from='{R}' to='{J}' type='subscribe'/>"
        ))]
    );
    assert!(e.remote.take().is_empty());
    assert_eq!(state(&e.storage, J, R).await, Npi);
}

#[tokio::test]
async fn cancellation_and_unsubscribe_between_local_users() {
    // §3.2 and §3.3 between two local accounts subscribed both ways.
    let e = env().await;
    seed(&e.storage, "juliet@example.com", "romeo@example.com", Both).await;
    seed(&e.storage, "romeo@example.com", "juliet@example.com", Both).await;
    let s = &e.server;
    let mut j = login(s, "juliet@example.com/balcony").await;
    let mut r = login(s, "romeo@example.com/orchard").await;
    for c in [&mut j, &mut r] {
        c.roster(s).await;
        c.online(s).await;
    }
    j.take().await;
    // §3.2: Juliet cancels Romeo's subscription to her.
    let got = j
        .exchange(
            s,
            "<presence xmlns='jabber:client' to='romeo@example.com' type='unsubscribed'/>",
        )
        .await;
    assert_eq!(
        got,
        [x(
            "<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='set'><query xmlns='jabber:iq:roster'><item jid='romeo@example.com' subscription='to'/></query></iq>"
        )]
    );
    assert_eq!(
        r.take().await,
        [
            x(
                "<presence xmlns='jabber:client' from='juliet@example.com' to='romeo@example.com' type='unsubscribed'/>"
            ),
            x(
                "<iq xmlns='jabber:client' to='romeo@example.com/orchard' type='set'><query xmlns='jabber:iq:roster'><item jid='juliet@example.com' subscription='from'/></query></iq>"
            ),
            x(
                "<presence xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.com' type='unavailable'/>"
            ),
        ]
    );
    // §3.3: Juliet unsubscribes from Romeo's presence; §3.3.3: Romeo's server sends his
    // unavailable presence to her.
    let got = j
        .exchange(
            s,
            "<presence xmlns='jabber:client' to='romeo@example.com' type='unsubscribe'/>",
        )
        .await;
    assert_eq!(
        got,
        [
            x(
                "<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='set'><query xmlns='jabber:iq:roster'><item jid='romeo@example.com' subscription='none'/></query></iq>"
            ),
            x(
                "<presence xmlns='jabber:client' from='romeo@example.com/orchard' to='juliet@example.com' type='unavailable'/>"
            ),
        ]
    );
    assert_eq!(
        r.take().await,
        [
            x(
                "<presence xmlns='jabber:client' from='juliet@example.com' to='romeo@example.com' type='unsubscribe'/>"
            ),
            x(
                "<iq xmlns='jabber:client' to='romeo@example.com/orchard' type='set'><query xmlns='jabber:iq:roster'><item jid='juliet@example.com' subscription='none'/></query></iq>"
            ),
        ]
    );
    assert_eq!(
        state(&e.storage, "juliet@example.com", "romeo@example.com").await,
        N
    );
    assert_eq!(
        state(&e.storage, "romeo@example.com", "juliet@example.com").await,
        N
    );
}
