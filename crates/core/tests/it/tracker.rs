//! `Server::send_iq`: server-originated requests and their responses (RFC 6120 §8.2.3).

use std::time::Duration;

use waxwing_core::IqSendError;
use waxwing_jid::Jid;
use waxwing_stanza::{Iq, IqType, ns};
use waxwing_xml::Element;

use crate::{connect, server};

fn ping(to: &str) -> Iq {
    let mut iq = Iq::get("x", Element::new(ns::PING, "ping"));
    iq.set_from(Some(Jid::parse("example.com").unwrap()));
    iq.set_to(Some(Jid::parse(to).unwrap()));
    iq
}

#[tokio::test]
async fn response_from_the_client_resolves_the_request() {
    let s = server();
    let mut juliet = connect(&s, "juliet@example.com/balcony", None).await;
    for reply_to in [" to='example.com'", ""] {
        let s2 = s.clone();
        let task = tokio::spawn(async move {
            s2.send_iq(ping("juliet@example.com/balcony"), Duration::from_secs(5))
                .await
        });
        let req = juliet.recv().await;
        assert_eq!(req.attr("from"), Some("example.com"));
        assert_eq!(req.attr("type"), Some("get"));
        let id = req.attr("id").unwrap().to_owned();
        assert_ne!(id, "x", "the id is replaced by an unguessable one");
        // A response from someone else with the same id is not accepted.
        let nurse = connect(&s, "nurse@example.com/n", None).await;
        nurse
            .send(
                &s,
                &format!("<iq xmlns='jabber:client' to='example.com' type='result' id='{id}'/>"),
            )
            .await;
        juliet
            .send(
                &s,
                &format!("<iq xmlns='jabber:client'{reply_to} type='result' id='{id}'/>"),
            )
            .await;
        let got = task.await.unwrap().unwrap();
        assert_eq!(got.type_(), IqType::Result);
        assert_eq!(got.from().unwrap().as_str(), "juliet@example.com/balcony");
        s.session_closed(&nurse.jid, nurse.handle.id()).await;
    }
}

#[tokio::test]
async fn undeliverable_request_resolves_with_the_error() {
    let s = server();
    let got = s
        .send_iq(ping("juliet@example.com/nowhere"), Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(got.type_(), IqType::Error);
    assert_eq!(got.from().unwrap().as_str(), "juliet@example.com/nowhere");
}

#[tokio::test]
async fn silence_times_out() {
    let s = server();
    let _juliet = connect(&s, "juliet@example.com/balcony", None).await;
    let err = s
        .send_iq(
            ping("juliet@example.com/balcony"),
            Duration::from_millis(30),
        )
        .await
        .unwrap_err();
    assert_eq!(err, IqSendError::Timeout);
    let mut not_request = ping("juliet@example.com/balcony");
    not_request.set_to(None);
    assert_eq!(
        s.send_iq(not_request, Duration::from_millis(30))
            .await
            .unwrap_err(),
        IqSendError::NotARequest
    );
}
