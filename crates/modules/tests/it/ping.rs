//! XEP-0199 through the real routing path.

use crate::{SU, connect, server, xml};

#[tokio::test]
async fn ping_the_server() {
    // XEP-0199 §4.2 Example 5 and 6.
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    let reply = c
        .ask_xml(&s, "<iq xmlns='jabber:client' from='juliet@example.com/balcony' to='example.com' id='c2s1' type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(
        reply,
        xml(
            "<iq xmlns='jabber:client' from='example.com' to='juliet@example.com/balcony' id='c2s1' type='result'/>"
        )
    );
}

#[tokio::test]
async fn ping_own_account_and_without_to() {
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    let reply = c
        .ask_xml(&s, "<iq xmlns='jabber:client' to='juliet@example.com' id='p2' type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(
        reply,
        xml(
            "<iq xmlns='jabber:client' from='juliet@example.com' to='juliet@example.com/balcony' id='p2' type='result'/>"
        )
    );
    let reply = c
        .ask_xml(
            &s,
            "<iq xmlns='jabber:client' id='p3' type='get'><ping xmlns='urn:xmpp:ping'/></iq>",
        )
        .await;
    assert_eq!(
        reply,
        xml("<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='p3' type='result'/>")
    );
}

#[tokio::test]
async fn ping_set_is_not_handled() {
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    let reply = c
        .ask_xml(&s, "<iq xmlns='jabber:client' to='example.com' id='p4' type='set'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(
        reply,
        xml(&format!(
            "<iq xmlns='jabber:client' from='example.com' to='juliet@example.com/balcony' id='p4' type='error'><ping xmlns='urn:xmpp:ping'/>{SU}</iq>"
        ))
    );
}

#[tokio::test]
async fn every_virtual_host_answers_for_itself() {
    let s = waxwing_core::Server::builder()
        .domain("example.com")
        .domain("example.net")
        .modules(waxwing_modules::all())
        .build()
        .unwrap();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    let reply = c
        .ask_xml(&s, "<iq xmlns='jabber:client' to='example.net' id='v' type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
        .await;
    assert_eq!(
        reply,
        xml(
            "<iq xmlns='jabber:client' from='example.net' to='juliet@example.com/balcony' id='v' type='result'/>"
        )
    );
    let mut n = connect(&s, "nurse@example.net/n").await;
    assert_eq!(
        n.ask(&s, "<iq xmlns='jabber:client' to='example.com' id='w' type='get'><ping xmlns='urn:xmpp:ping'/></iq>")
            .await
            .attr("from"),
        Some("example.com")
    );
}
