//! The routing table: RFC 6120 §8.1.2.1, §10 and RFC 6121 §8.5.

use std::sync::{Arc, Mutex};

use waxwing_core::{Bounce, RemoteRoute, SessionCommand};
use waxwing_stanza::{Stanza, StreamErrorCondition};

use crate::{builder, connect, server, stanza, xml};

const SU: &str = "<error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>";

#[tokio::test]
async fn from_is_stamped_with_the_full_jid() {
    let s = server();
    let juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let mut romeo = connect(&s, "romeo@example.com/orchard", Some(0)).await;
    juliet
        .send(&s, "<message xmlns='jabber:client' to='romeo@example.com/orchard' type='chat' id='m1'><body>hi</body></message>")
        .await;
    assert_eq!(
        romeo.recv_xml().await,
        xml(
            "<message xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.com/orchard' type='chat' id='m1'><body>hi</body></message>"
        )
    );
}

#[tokio::test]
async fn own_bare_jid_as_from_is_accepted_and_replaced() {
    let s = server();
    let juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let mut romeo = connect(&s, "romeo@example.com/orchard", Some(0)).await;
    juliet
        .send(&s, "<message xmlns='jabber:client' from='juliet@example.com' to='romeo@example.com/orchard' id='m1'/>")
        .await;
    assert_eq!(
        romeo.recv().await.attr("from"),
        Some("juliet@example.com/balcony")
    );
}

#[tokio::test]
async fn foreign_from_is_invalid_from_stream_error() {
    let s = server();
    let juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let mut romeo = connect(&s, "romeo@example.com/orchard", Some(0)).await;
    for from in [
        "nurse@example.com",
        "juliet@example.com/other",
        "example.com",
        "juliet@example.org/balcony",
    ] {
        let st = stanza(&format!(
            "<message xmlns='jabber:client' from='{from}' to='romeo@example.com/orchard'/>"
        ));
        let err = s.route_from_client(&juliet.jid, st).await.unwrap_err();
        assert_eq!(err.condition, StreamErrorCondition::InvalidFrom, "{from}");
    }
    romeo.assert_nothing().await;
}

#[tokio::test]
async fn bare_jid_message_goes_to_highest_non_negative_priority() {
    let s = server();
    let juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let mut low = connect(&s, "romeo@example.com/low", Some(1)).await;
    let mut high = connect(&s, "romeo@example.com/high", Some(5)).await;
    let mut neg = connect(&s, "romeo@example.com/neg", Some(-1)).await;
    let mut unavailable = connect(&s, "romeo@example.com/unavailable", None).await;
    for t in ["chat", "normal"] {
        juliet
            .send(
                &s,
                &format!(
                    "<message xmlns='jabber:client' to='romeo@example.com' type='{t}' id='m'/>"
                ),
            )
            .await;
        assert_eq!(high.recv().await.attr("type"), Some(t));
    }
    low.assert_nothing().await;
    neg.assert_nothing().await;
    unavailable.assert_nothing().await;
}

#[tokio::test]
async fn bare_jid_message_goes_to_every_resource_tied_for_highest_priority() {
    let s = server();
    let juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let mut a = connect(&s, "romeo@example.com/a", Some(5)).await;
    let mut b = connect(&s, "romeo@example.com/b", Some(5)).await;
    let mut c = connect(&s, "romeo@example.com/c", Some(1)).await;
    juliet
        .send(&s, "<message xmlns='jabber:client' to='romeo@example.com' type='chat' id='m'><body>x</body></message>")
        .await;
    let expected = xml(
        "<message xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.com' type='chat' id='m'><body>x</body></message>",
    );
    assert_eq!(a.recv_xml().await, expected);
    assert_eq!(b.recv_xml().await, expected);
    c.assert_nothing().await;
}

#[tokio::test]
async fn headline_goes_to_all_non_negative_resources() {
    let s = server();
    let juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let mut a = connect(&s, "romeo@example.com/a", Some(0)).await;
    let mut b = connect(&s, "romeo@example.com/b", Some(7)).await;
    let mut neg = connect(&s, "romeo@example.com/neg", Some(-5)).await;
    juliet
        .send(
            &s,
            "<message xmlns='jabber:client' to='romeo@example.com' type='headline'/>",
        )
        .await;
    a.recv().await;
    b.recv().await;
    neg.assert_nothing().await;
}

#[tokio::test]
async fn only_negative_priorities_count_as_no_resource() {
    let s = server();
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let mut neg = connect(&s, "romeo@example.com/neg", Some(-1)).await;
    juliet
        .send(&s, "<message xmlns='jabber:client' to='romeo@example.com' type='chat' id='m2'><body>x</body></message>")
        .await;
    assert_eq!(
        juliet.recv_xml().await,
        xml(&format!(
            "<message xmlns='jabber:client' from='romeo@example.com' to='juliet@example.com/balcony' type='error' id='m2'><body>x</body>{SU}</message>"
        ))
    );
    neg.assert_nothing().await;
}

#[tokio::test]
async fn no_available_resource_by_message_type() {
    let s = server();
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    // Bound but never available: not a target (RFC 6121 §8.5.2.2).
    let mut romeo = connect(&s, "romeo@example.com/orchard", None).await;
    for (t, answered) in [
        ("chat", true),
        ("normal", true),
        ("groupchat", true),
        ("headline", false),
        ("error", false),
    ] {
        let extra = if t == "error" { SU } else { "" };
        juliet
            .send(&s, &format!("<message xmlns='jabber:client' to='romeo@example.com' type='{t}' id='{t}'>{extra}</message>"))
            .await;
        if answered {
            let reply = juliet.recv().await;
            assert_eq!(reply.attr("type"), Some("error"), "{t}");
            assert_eq!(reply.attr("id"), Some(t));
            assert_eq!(reply.attr("from"), Some("romeo@example.com"));
            assert!(
                reply
                    .get_child("error", "jabber:client")
                    .unwrap()
                    .has_child("service-unavailable", "urn:ietf:params:xml:ns:xmpp-stanzas")
            );
        } else {
            juliet.assert_nothing().await;
        }
    }
    romeo.assert_nothing().await;
}

#[tokio::test]
async fn groupchat_to_bare_jid_is_never_delivered() {
    let s = server();
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let mut romeo = connect(&s, "romeo@example.com/orchard", Some(1)).await;
    juliet
        .send(
            &s,
            "<message xmlns='jabber:client' to='romeo@example.com' type='groupchat' id='g'/>",
        )
        .await;
    assert_eq!(
        juliet.recv_xml().await,
        xml(&format!(
            "<message xmlns='jabber:client' from='romeo@example.com' to='juliet@example.com/balcony' type='error' id='g'>{SU}</message>"
        ))
    );
    romeo.assert_nothing().await;
}

#[tokio::test]
async fn unknown_account() {
    let s = server();
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    for to in ["tybalt@example.com", "tybalt@example.com/res"] {
        juliet
            .send(&s, &format!("<iq xmlns='jabber:client' to='{to}' type='get' id='i'><ping xmlns='urn:xmpp:ping'/></iq>"))
            .await;
        assert_eq!(
            juliet.recv_xml().await,
            xml(&format!(
                "<iq xmlns='jabber:client' from='{to}' to='juliet@example.com/balcony' type='error' id='i'><ping xmlns='urn:xmpp:ping'/>{SU}</iq>"
            ))
        );
        for t in ["chat", "normal", "groupchat"] {
            juliet
                .send(
                    &s,
                    &format!("<message xmlns='jabber:client' to='{to}' type='{t}' id='m'/>"),
                )
                .await;
            assert_eq!(juliet.recv().await.attr("type"), Some("error"));
        }
        juliet
            .send(
                &s,
                &format!("<message xmlns='jabber:client' to='{to}' type='headline'/>"),
            )
            .await;
        for p in [
            "",
            " type='unavailable'",
            " type='subscribe'",
            " type='probe'",
        ] {
            juliet
                .send(
                    &s,
                    &format!("<presence xmlns='jabber:client' to='{to}'{p}/>"),
                )
                .await;
        }
        juliet
            .send(
                &s,
                &format!("<iq xmlns='jabber:client' to='{to}' type='result' id='r'/>"),
            )
            .await;
        juliet.assert_nothing().await;
    }
}

#[tokio::test]
async fn unknown_resource_of_existing_account() {
    let s = server();
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let mut romeo = connect(&s, "romeo@example.com/orchard", Some(0)).await;
    let gone = "romeo@example.com/gone";
    // IQ: service-unavailable (RFC 6121 §8.5.3.2.3).
    juliet
        .send(&s, &format!("<iq xmlns='jabber:client' to='{gone}' type='get' id='i'><query xmlns='jabber:iq:version'/></iq>"))
        .await;
    assert_eq!(
        juliet.recv_xml().await,
        xml(&format!(
            "<iq xmlns='jabber:client' from='{gone}' to='juliet@example.com/balcony' type='error' id='i'><query xmlns='jabber:iq:version'/>{SU}</iq>"
        ))
    );
    // chat: as if to the bare JID.
    juliet
        .send(
            &s,
            &format!("<message xmlns='jabber:client' to='{gone}' type='chat' id='c'/>"),
        )
        .await;
    let got = romeo.recv().await;
    assert_eq!(got.attr("id"), Some("c"));
    assert_eq!(got.attr("to"), Some(gone));
    // normal, groupchat: service-unavailable; headline: dropped.
    for t in ["normal", "groupchat"] {
        juliet
            .send(
                &s,
                &format!("<message xmlns='jabber:client' to='{gone}' type='{t}' id='{t}'/>"),
            )
            .await;
        let reply = juliet.recv().await;
        assert_eq!(
            (reply.attr("type"), reply.attr("id")),
            (Some("error"), Some(t))
        );
    }
    juliet
        .send(
            &s,
            &format!("<message xmlns='jabber:client' to='{gone}' type='headline'/>"),
        )
        .await;
    juliet
        .send(
            &s,
            &format!("<presence xmlns='jabber:client' to='{gone}'/>"),
        )
        .await;
    juliet.assert_nothing().await;
    romeo.assert_nothing().await;
}

#[tokio::test]
async fn any_stanza_reaches_a_bound_full_jid() {
    let s = server();
    let juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    // Not available: full-JID delivery does not depend on presence.
    let mut romeo = connect(&s, "romeo@example.com/orchard", None).await;
    for x in [
        "<iq xmlns='jabber:client' to='romeo@example.com/orchard' type='get' id='i'><query xmlns='jabber:iq:version'/></iq>",
        "<message xmlns='jabber:client' to='romeo@example.com/orchard' type='groupchat'/>",
        "<presence xmlns='jabber:client' to='romeo@example.com/orchard'/>",
        "<iq xmlns='jabber:client' to='romeo@example.com/orchard' type='result' id='r'/>",
    ] {
        juliet.send(&s, x).await;
        assert_eq!(
            romeo.recv().await.attr("from"),
            Some("juliet@example.com/balcony")
        );
    }
}

#[tokio::test]
async fn remote_domain_without_federation() {
    let s = server();
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    juliet
        .send(
            &s,
            "<message xmlns='jabber:client' to='mercutio@example.org' type='chat' id='r'/>",
        )
        .await;
    assert_eq!(
        juliet.recv_xml().await,
        xml(
            "<message xmlns='jabber:client' from='mercutio@example.org' to='juliet@example.com/balcony' type='error' id='r'><error type='cancel'><remote-server-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>"
        )
    );
    // Error stanzas are never answered.
    juliet
        .send(&s, &format!("<message xmlns='jabber:client' to='mercutio@example.org' type='error'>{SU}</message>"))
        .await;
    juliet.assert_nothing().await;
}

#[derive(Default)]
struct Recorder(Mutex<Vec<Stanza>>);

impl RemoteRoute for Recorder {
    fn route(&self, stanza: Stanza) -> Result<(), Box<Bounce>> {
        self.0.lock().unwrap().push(stanza);
        Ok(())
    }
}

#[tokio::test]
async fn remote_domain_goes_to_the_remote_route() {
    let rec = Arc::new(Recorder::default());
    let s = builder().remote(rec.clone()).build().unwrap();
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    juliet
        .send(
            &s,
            "<message xmlns='jabber:client' to='mercutio@example.org' id='r'/>",
        )
        .await;
    juliet.assert_nothing().await;
    let got = rec.0.lock().unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(
        got[0].from().unwrap().as_str(),
        "juliet@example.com/balcony"
    );
}

#[tokio::test]
async fn unhandled_iq_is_service_unavailable() {
    let s = server();
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    for (to, from) in [
        (" to='example.com'", " from='example.com'"),
        (" to='juliet@example.com'", " from='juliet@example.com'"),
        ("", ""),
        (" to='romeo@example.com'", " from='romeo@example.com'"),
        (" to='example.com/res'", " from='example.com/res'"),
    ] {
        for t in ["get", "set"] {
            juliet
                .send(&s, &format!("<iq xmlns='jabber:client'{to} type='{t}' id='u'><x xmlns='urn:example'/></iq>"))
                .await;
            assert_eq!(
                juliet.recv_xml().await,
                xml(&format!(
                    "<iq xmlns='jabber:client'{from} to='juliet@example.com/balcony' type='error' id='u'><x xmlns='urn:example'/>{SU}</iq>"
                )),
                "{to} {t}"
            );
        }
    }
}

#[tokio::test]
async fn iq_results_and_errors_to_the_server_are_not_answered() {
    let s = server();
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    for to in ["example.com", "juliet@example.com", "romeo@example.com"] {
        juliet
            .send(
                &s,
                &format!("<iq xmlns='jabber:client' to='{to}' type='result' id='r'/>"),
            )
            .await;
        juliet
            .send(
                &s,
                &format!("<iq xmlns='jabber:client' to='{to}' type='error' id='e'>{SU}</iq>"),
            )
            .await;
    }
    juliet.assert_nothing().await;
}

#[tokio::test]
async fn messages_to_the_server() {
    let s = server();
    let mut juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    juliet
        .send(
            &s,
            "<message xmlns='jabber:client' to='example.com' id='s'/>",
        )
        .await;
    assert_eq!(
        juliet.recv_xml().await,
        xml(&format!(
            "<message xmlns='jabber:client' from='example.com' to='juliet@example.com/balcony' type='error' id='s'>{SU}</message>"
        ))
    );
    juliet
        .send(&s, "<presence xmlns='jabber:client' to='example.com'/>")
        .await;
    juliet
        .send(
            &s,
            &format!("<message xmlns='jabber:client' to='example.com' type='error'>{SU}</message>"),
        )
        .await;
    juliet.assert_nothing().await;
}

#[tokio::test]
async fn message_without_to_goes_to_own_account() {
    let s = server();
    let juliet = connect(&s, "juliet@example.com/balcony", Some(1)).await;
    let mut other = connect(&s, "juliet@example.com/chamber", Some(3)).await;
    juliet
        .send(&s, "<message xmlns='jabber:client' type='chat' id='self'/>")
        .await;
    assert_eq!(
        other.recv_xml().await,
        xml(
            "<message xmlns='jabber:client' from='juliet@example.com/balcony' to='juliet@example.com' type='chat' id='self'/>"
        )
    );
}

#[tokio::test]
async fn broadcast_presence_sets_availability_and_priority() {
    let s = server();
    let mut juliet = connect(&s, "juliet@example.com/balcony", None).await;
    let prio = |s: &waxwing_core::Server| {
        s.sessions().resources(&crate::bare("juliet@example.com"))[0].priority
    };
    assert_eq!(prio(&s), None);
    juliet.send(&s, "<presence xmlns='jabber:client'/>").await;
    assert_eq!(prio(&s), Some(0));
    juliet
        .send(
            &s,
            "<presence xmlns='jabber:client'><priority>-3</priority></presence>",
        )
        .await;
    assert_eq!(prio(&s), Some(-3));
    juliet
        .send(
            &s,
            "<presence xmlns='jabber:client'><priority>128</priority></presence>",
        )
        .await;
    let reply = juliet.recv().await;
    assert_eq!(reply.attr("type"), Some("error"));
    assert!(
        reply
            .get_child("error", "jabber:client")
            .unwrap()
            .has_child("bad-request", "urn:ietf:params:xml:ns:xmpp-stanzas")
    );
    assert_eq!(prio(&s), Some(-3));
    juliet
        .send(&s, "<presence xmlns='jabber:client' type='unavailable'/>")
        .await;
    assert_eq!(prio(&s), None);
}

#[tokio::test]
async fn slow_reader_is_closed_with_policy_violation() {
    let s = builder().mailbox_capacity(2).build().unwrap();
    let juliet = connect(&s, "juliet@example.com/balcony", Some(0)).await;
    let mut romeo = connect(&s, "romeo@example.com/orchard", Some(0)).await;
    for i in 0..3 {
        juliet
            .send(
                &s,
                &format!(
                    "<message xmlns='jabber:client' to='romeo@example.com/orchard' id='{i}'/>"
                ),
            )
            .await;
    }
    // The close overtakes the queued stanzas.
    match romeo.mailbox.recv().await {
        Some(SessionCommand::Close(e)) => {
            assert_eq!(e.condition, StreamErrorCondition::PolicyViolation);
        }
        other => panic!("expected close, got {other:?}"),
    }
    assert!(romeo.handle.is_closing());
    // Stanzas queued before the overflow are still there; the third was lost.
    assert_eq!(romeo.recv().await.attr("id"), Some("0"));
    assert_eq!(romeo.recv().await.attr("id"), Some("1"));
    romeo.assert_nothing().await;
}
