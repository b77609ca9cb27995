//! RFC 6121 §5 and §8.5 delivery rules, applied by the core router, through the module
//! harness: every message type × bare/full JID × resources available, of equal or different
//! priorities, negative only, or none; IQs to bare and full JIDs; accounts that do not exist.
//! The server has no storage, so no offline storage intervenes (RFC 6121 §8.5.2.2.1 "if the
//! server does not support offline storage").

use waxwing_core::{Server, SessionCommand};
use waxwing_xml::Element;

use crate::imx_util::send;
use crate::{Client, connect, server};

const TYPES: [&str; 5] = ["chat", "normal", "groupchat", "headline", "error"];

/// A resource of juliet with `priority` (`None`: bound, no presence sent).
async fn juliet(s: &Server, resource: &str, priority: Option<i8>) -> Client {
    let mut c = connect(s, &format!("juliet@example.com/{resource}")).await;
    if let Some(p) = priority {
        send(
            s,
            &c,
            &format!("<presence xmlns='jabber:client'><priority>{p}</priority></presence>"),
        )
        .await;
    }
    let _ = take(&mut c);
    c
}

/// Every waiting stanza but presence.
fn take(c: &mut Client) -> Vec<Element> {
    let mut out = Vec::new();
    while let Some(cmd) = c.mailbox.try_recv() {
        match cmd {
            SessionCommand::Stanza(el) if el.name() == "presence" => {}
            SessionCommand::Stanza(el) => out.push(el),
            SessionCommand::Close(e) => panic!("{}: closed: {e}", c.jid),
        }
    }
    out
}

/// What the sender got back: `"<condition> from <from>"` per error stanza.
fn errors(c: &mut Client) -> Vec<String> {
    take(c)
        .into_iter()
        .map(|el| {
            assert_eq!(el.attr("type"), Some("error"), "{}", el.to_xml());
            let err = el.get_child("error", "jabber:client").expect("an <error/>");
            let cond = err
                .children()
                .find(|c| c.ns() == "urn:ietf:params:xml:ns:xmpp-stanzas")
                .expect("a condition");
            format!("{} from {}", cond.name(), el.attr("from").unwrap_or("-"))
        })
        .collect()
}

/// The ids of what `c` received, checking each is unchanged (`to` and `from` as sent).
fn ids(c: &mut Client, to: &str) -> Vec<String> {
    take(c)
        .into_iter()
        .map(|el| {
            assert_eq!(el.attr("to"), Some(to), "{}", el.to_xml());
            assert_eq!(el.attr("from"), Some("romeo@example.com/orchard"));
            el.attr("id").unwrap().to_owned()
        })
        .collect()
}

fn message(to: &str, type_: &str) -> String {
    format!(
        "<message xmlns='jabber:client' to='{to}' type='{type_}' id='{type_}'><body>x</body></message>"
    )
}

fn su(from: &str) -> Vec<String> {
    vec![format!("service-unavailable from {from}")]
}

#[tokio::test]
async fn no_such_account() {
    // §8.5.1: messages answered as for an account without resources, IQ get/set
    // service-unavailable, presence and IQ results dropped.
    let s = server();
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    for to in ["nurse@example.com", "nurse@example.com/chamber"] {
        for t in TYPES {
            send(&s, &r, &message(to, t)).await;
            let want = if matches!(t, "chat" | "normal" | "groupchat") {
                su(to)
            } else {
                vec![]
            };
            assert_eq!(errors(&mut r), want, "{to} {t}");
        }
        for (t, answered) in [("get", true), ("set", true), ("result", false)] {
            send(
                &s,
                &r,
                &format!(
                    "<iq xmlns='jabber:client' to='{to}' type='{t}' id='i'><q xmlns='urn:x'/></iq>"
                ),
            )
            .await;
            assert_eq!(
                errors(&mut r),
                if answered { su(to) } else { vec![] },
                "{to} iq {t}"
            );
        }
        for p in ["", " type='subscribe'", " type='probe'"] {
            send(
                &s,
                &r,
                &format!("<presence xmlns='jabber:client' to='{to}'{p}/>"),
            )
            .await;
            assert_eq!(errors(&mut r), Vec::<String>::new());
        }
    }
}

#[tokio::test]
async fn bare_jid_one_resource() {
    // §8.5.2.1.1.
    let s = server();
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    let mut j = juliet(&s, "balcony", Some(0)).await;
    for t in TYPES {
        send(&s, &r, &message("juliet@example.com", t)).await;
        let (sender, got) = match t {
            "chat" | "normal" | "headline" => (vec![], vec![t.to_owned()]),
            // Groupchat to a bare JID: service-unavailable; errors: dropped.
            "groupchat" => (su("juliet@example.com"), vec![]),
            _ => (vec![], vec![]),
        };
        assert_eq!(errors(&mut r), sender, "{t}");
        assert_eq!(ids(&mut j, "juliet@example.com"), got, "{t}");
    }
}

#[tokio::test]
async fn bare_jid_equal_priorities_all_get_it() {
    // §8.5.2.1.1: the server's choice among equal highest priorities is to deliver to all.
    let s = server();
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    let mut a = juliet(&s, "balcony", Some(1)).await;
    let mut b = juliet(&s, "chamber", Some(1)).await;
    for t in ["chat", "normal", "headline"] {
        send(&s, &r, &message("juliet@example.com", t)).await;
        assert_eq!(errors(&mut r), Vec::<String>::new());
        assert_eq!(ids(&mut a, "juliet@example.com"), [t]);
        assert_eq!(ids(&mut b, "juliet@example.com"), [t]);
    }
}

#[tokio::test]
async fn bare_jid_highest_priority_wins_headline_goes_to_all_non_negative() {
    // §8.5.2.1.1: chat and normal to the highest priority; headline to every resource of
    // non-negative priority; never to negative priorities or resources without presence.
    let s = server();
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    let mut low = juliet(&s, "balcony", Some(1)).await;
    let mut high = juliet(&s, "chamber", Some(5)).await;
    let mut neg = juliet(&s, "garden", Some(-1)).await;
    let mut silent = juliet(&s, "crypt", None).await;
    for t in ["chat", "normal", "headline"] {
        send(&s, &r, &message("juliet@example.com", t)).await;
        assert_eq!(errors(&mut r), Vec::<String>::new());
        assert_eq!(ids(&mut high, "juliet@example.com"), [t]);
        let want_low: Vec<&str> = if t == "headline" { vec![t] } else { vec![] };
        assert_eq!(ids(&mut low, "juliet@example.com"), want_low, "{t}");
        assert_eq!(
            ids(&mut neg, "juliet@example.com"),
            Vec::<String>::new(),
            "{t}"
        );
        assert_eq!(
            ids(&mut silent, "juliet@example.com"),
            Vec::<String>::new(),
            "{t}"
        );
    }
}

#[tokio::test]
async fn bare_jid_negative_priorities_only_or_no_resource() {
    // §8.5.2.1.1 (negative only counts as none) and §8.5.2.2.1: without offline storage, chat
    // and normal → service-unavailable; groupchat → service-unavailable; headline and error →
    // dropped.
    let s = server();
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    let check = |t: &str| match t {
        "chat" | "normal" | "groupchat" => su("juliet@example.com"),
        _ => vec![],
    };
    // No session at all.
    for t in TYPES {
        send(&s, &r, &message("juliet@example.com", t)).await;
        assert_eq!(errors(&mut r), check(t), "none: {t}");
    }
    // Only a negative priority and a session without presence.
    let mut neg = juliet(&s, "garden", Some(-1)).await;
    let mut silent = juliet(&s, "crypt", None).await;
    for t in TYPES {
        send(&s, &r, &message("juliet@example.com", t)).await;
        assert_eq!(errors(&mut r), check(t), "negative: {t}");
        assert_eq!(ids(&mut neg, "juliet@example.com"), Vec::<String>::new());
        assert_eq!(ids(&mut silent, "juliet@example.com"), Vec::<String>::new());
    }
}

#[tokio::test]
async fn full_jid_with_session_gets_every_type() {
    // §8.5.3.1: delivered to that resource whatever its priority, even without presence.
    let s = server();
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    let mut neg = juliet(&s, "garden", Some(-1)).await;
    let mut silent = juliet(&s, "crypt", None).await;
    let mut other = juliet(&s, "balcony", Some(3)).await;
    for (c, to) in [
        (&mut neg, "juliet@example.com/garden"),
        (&mut silent, "juliet@example.com/crypt"),
    ] {
        for t in TYPES {
            send(&s, &r, &message(to, t)).await;
            assert_eq!(errors(&mut r), Vec::<String>::new(), "{to} {t}");
            assert_eq!(ids(c, to), [t], "{to} {t}");
        }
    }
    assert_eq!(ids(&mut other, ""), Vec::<String>::new());
}

#[tokio::test]
async fn full_jid_without_session() {
    // §8.5.3.2.1: chat as if to the bare JID; normal and groupchat service-unavailable;
    // headline and error dropped.
    let s = server();
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    let to = "juliet@example.com/nosuch";
    // With another available resource.
    let mut j = juliet(&s, "balcony", Some(0)).await;
    for t in TYPES {
        send(&s, &r, &message(to, t)).await;
        let (sender, got) = match t {
            "chat" => (vec![], vec!["chat".to_owned()]),
            "normal" | "groupchat" => (su(to), vec![]),
            _ => (vec![], vec![]),
        };
        assert_eq!(errors(&mut r), sender, "{t}");
        // Delivered unchanged: `to` still names the missing resource.
        assert_eq!(ids(&mut j, to), got, "{t}");
    }
    // With no available resource: chat follows the bare-JID rule (no offline storage here).
    let id = s.sessions().session(&j.jid).unwrap().id();
    s.session_closed(&j.jid, id).await;
    send(&s, &r, &message(to, "chat")).await;
    assert_eq!(errors(&mut r), su(to));
}

#[tokio::test]
async fn iq_to_bare_and_full_jids() {
    let s = server();
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    let mut j = juliet(&s, "balcony", Some(0)).await;
    let iq = |to: &str, t: &str| {
        let payload = if t == "error" {
            "<error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error>"
        } else {
            "<q xmlns='urn:x'/>"
        };
        format!("<iq xmlns='jabber:client' to='{to}' type='{t}' id='{t}'>{payload}</iq>")
    };
    // §8.5.2.1.3: to the bare JID the server answers on the account's behalf; nobody handles
    // urn:x, so service-unavailable (RFC 6120 §8.4); never forwarded to a resource.
    for t in ["get", "set"] {
        send(&s, &r, &iq("juliet@example.com", t)).await;
        assert_eq!(errors(&mut r), su("juliet@example.com"));
    }
    send(&s, &r, &iq("juliet@example.com", "result")).await;
    assert_eq!(errors(&mut r), Vec::<String>::new());
    assert_eq!(ids(&mut j, ""), Vec::<String>::new());
    // §8.5.3.1: to a full JID with a session, delivered (requests and responses).
    for t in ["get", "set", "result"] {
        send(&s, &r, &iq("juliet@example.com/balcony", t)).await;
        assert_eq!(ids(&mut j, "juliet@example.com/balcony"), [t]);
    }
    assert_eq!(errors(&mut r), Vec::<String>::new());
    // §8.5.3.2.3: no such resource: get/set service-unavailable, result/error dropped.
    for (t, answered) in [
        ("get", true),
        ("set", true),
        ("result", false),
        ("error", false),
    ] {
        send(&s, &r, &iq("juliet@example.com/nosuch", t)).await;
        let want = if answered {
            su("juliet@example.com/nosuch")
        } else {
            vec![]
        };
        assert_eq!(errors(&mut r), want, "{t}");
    }
    assert_eq!(ids(&mut j, ""), Vec::<String>::new());
}

#[tokio::test]
async fn message_types_default_to_normal() {
    // RFC 6121 §5.2.2: no type, or a type the server does not understand, is `normal`.
    let s = server();
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    let mut low = juliet(&s, "balcony", Some(1)).await;
    let mut high = juliet(&s, "chamber", Some(2)).await;
    for (attr, id) in [("", "none"), (" type='bogus'", "bogus")] {
        send(&s, &r, &format!("<message xmlns='jabber:client' to='juliet@example.com'{attr} id='{id}'><body>x</body></message>")).await;
        assert_eq!(ids(&mut high, "juliet@example.com"), [id]);
        assert_eq!(ids(&mut low, "juliet@example.com"), Vec::<String>::new());
        // To a full JID without session: normal → service-unavailable.
        send(&s, &r, &format!("<message xmlns='jabber:client' to='juliet@example.com/nosuch'{attr} id='{id}'><body>x</body></message>")).await;
        assert_eq!(errors(&mut r), su("juliet@example.com/nosuch"), "{id}");
    }
}
