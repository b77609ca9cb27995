//! XEP-0030 through the real routing path.

use crate::{SU, connect, server, xml};

#[tokio::test]
async fn server_info_lists_every_module_feature() {
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    let reply = c
        .ask_xml(&s, "<iq xmlns='jabber:client' to='example.com' id='info1' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>")
        .await;
    assert_eq!(
        reply,
        xml(
            "<iq xmlns='jabber:client' from='example.com' to='juliet@example.com/balcony' id='info1' type='result'>\
             <query xmlns='http://jabber.org/protocol/disco#info'>\
             <identity category='server' type='im'/>\
             <feature var='http://jabber.org/protocol/disco#info'/>\
             <feature var='http://jabber.org/protocol/disco#items'/>\
             <feature var='jabber:iq:version'/>\
             <feature var='urn:xmpp:ping'/>\
             <feature var='urn:xmpp:time'/>\
             </query></iq>"
        )
    );
}

#[tokio::test]
async fn server_items_are_empty() {
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    let reply = c
        .ask_xml(&s, "<iq xmlns='jabber:client' to='example.com' id='items1' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
        .await;
    assert_eq!(
        reply,
        xml(
            "<iq xmlns='jabber:client' from='example.com' to='juliet@example.com/balcony' id='items1' type='result'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>"
        )
    );
}

#[tokio::test]
async fn unknown_node_is_item_not_found() {
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    for q in ["info", "items"] {
        let reply = c
            .ask_xml(&s, &format!("<iq xmlns='jabber:client' to='example.com' id='n' type='get'><query xmlns='http://jabber.org/protocol/disco#{q}' node='nosuch'/></iq>"))
            .await;
        assert_eq!(
            reply,
            xml(&format!(
                "<iq xmlns='jabber:client' from='example.com' to='juliet@example.com/balcony' id='n' type='error'><query xmlns='http://jabber.org/protocol/disco#{q}' node='nosuch'/><error type='cancel'><item-not-found xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
            ))
        );
    }
}

#[tokio::test]
async fn own_account_info() {
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    for to in [" to='juliet@example.com'", ""] {
        let from = if to.is_empty() {
            ""
        } else {
            " from='juliet@example.com'"
        };
        let reply = c
            .ask_xml(&s, &format!("<iq xmlns='jabber:client'{to} id='a1' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"))
            .await;
        assert_eq!(
            reply,
            xml(&format!(
                "<iq xmlns='jabber:client'{from} to='juliet@example.com/balcony' id='a1' type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity category='account' type='registered'/></query></iq>"
            ))
        );
    }
    let reply = c
        .ask_xml(&s, "<iq xmlns='jabber:client' to='juliet@example.com' id='a2' type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>")
        .await;
    assert_eq!(
        reply,
        xml(
            "<iq xmlns='jabber:client' from='juliet@example.com' to='juliet@example.com/balcony' id='a2' type='result'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>"
        )
    );
}

#[tokio::test]
async fn other_account_info_is_service_unavailable() {
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    for q in ["info", "items"] {
        let reply = c
            .ask_xml(&s, &format!("<iq xmlns='jabber:client' to='romeo@example.com' id='o' type='get'><query xmlns='http://jabber.org/protocol/disco#{q}'/></iq>"))
            .await;
        assert_eq!(
            reply,
            xml(&format!(
                "<iq xmlns='jabber:client' from='romeo@example.com' to='juliet@example.com/balcony' id='o' type='error'><query xmlns='http://jabber.org/protocol/disco#{q}'/>{SU}</iq>"
            ))
        );
    }
}
