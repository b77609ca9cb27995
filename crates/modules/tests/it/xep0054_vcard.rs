//! XEP-0054 vcard-temp through the real routing path, on SQLite storage.

use crate::imx_util::{break_table, file_storage, recv_xml, send, server_on, storage};
use crate::{SU, connect, server, xml};

/// XEP-0054 §3.2 Example 5 (shortened).
const CARD: &str = "<vCard xmlns='vcard-temp'><FN>Peter Saint-Andre</FN><N><FAMILY>Saint-Andre</FAMILY><GIVEN>Peter</GIVEN><MIDDLE/></N><NICKNAME>stpeter</NICKNAME><DESC>\n      Check out my blog at https://stpeter.im/\n    </DESC></vCard>";

#[tokio::test]
async fn own_vcard_is_empty_until_set_then_returned() {
    let st = storage().await;
    let s = server_on(&st, "");
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    // §3.1 Example 4: no vCard yet → an empty <vCard/> (one of the two answers §3.1 allows).
    send(
        &s,
        &c,
        "<iq xmlns='jabber:client' id='v1' type='get'><vCard xmlns='vcard-temp'/></iq>",
    )
    .await;
    assert_eq!(
        recv_xml(&mut c).await,
        xml(
            "<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='v1' type='result'><vCard xmlns='vcard-temp'/></iq>"
        )
    );
    // §3.2 Example 5/6.
    send(
        &s,
        &c,
        &format!("<iq xmlns='jabber:client' id='v2' type='set'>{CARD}</iq>"),
    )
    .await;
    assert_eq!(
        recv_xml(&mut c).await,
        xml("<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='v2' type='result'/>")
    );
    // Addressed to one's own bare JID: the same vCard, from the bare JID.
    send(&s, &c, "<iq xmlns='jabber:client' to='juliet@example.com' id='v3' type='get'><vCard xmlns='vcard-temp'/></iq>").await;
    assert_eq!(
        recv_xml(&mut c).await,
        xml(&format!(
            "<iq xmlns='jabber:client' from='juliet@example.com' to='juliet@example.com/balcony' id='v3' type='result'>{CARD}</iq>"
        ))
    );
}

#[tokio::test]
async fn others_read_but_do_not_write() {
    let st = storage().await;
    let s = server_on(&st, "");
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    // §3.3 Example 10: none set for another user → service-unavailable, as for a missing
    // account.
    send(&s, &r, "<iq xmlns='jabber:client' to='juliet@example.com' id='o1' type='get'><vCard xmlns='vcard-temp'/></iq>").await;
    assert_eq!(
        recv_xml(&mut r).await,
        xml(&format!(
            "<iq xmlns='jabber:client' from='juliet@example.com' to='romeo@example.com/orchard' id='o1' type='error'><vCard xmlns='vcard-temp'/>{SU}</iq>"
        ))
    );
    send(&s, &r, "<iq xmlns='jabber:client' to='nobody@example.com' id='o0' type='get'><vCard xmlns='vcard-temp'/></iq>").await;
    assert_eq!(
        recv_xml(&mut r).await,
        xml(&format!(
            "<iq xmlns='jabber:client' from='nobody@example.com' to='romeo@example.com/orchard' id='o0' type='error'><vCard xmlns='vcard-temp'/>{SU}</iq>"
        ))
    );
    // §3.2 Example 7: setting another user's vCard is forbidden.
    send(
        &s,
        &r,
        &format!(
            "<iq xmlns='jabber:client' to='juliet@example.com' id='o2' type='set'>{CARD}</iq>"
        ),
    )
    .await;
    assert_eq!(
        recv_xml(&mut r).await,
        xml(
            "<iq xmlns='jabber:client' from='juliet@example.com' to='romeo@example.com/orchard' id='o2' type='error'><vCard xmlns='vcard-temp'/><error type='auth'><forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>"
        )
    );
    send(
        &s,
        &j,
        &format!("<iq xmlns='jabber:client' id='o3' type='set'>{CARD}</iq>"),
    )
    .await;
    recv_xml(&mut j).await;
    // §3.3 Example 8/9.
    send(&s, &r, "<iq xmlns='jabber:client' to='juliet@example.com' id='o4' type='get'><vCard xmlns='vcard-temp'/></iq>").await;
    assert_eq!(
        recv_xml(&mut r).await,
        xml(&format!(
            "<iq xmlns='jabber:client' from='juliet@example.com' to='romeo@example.com/orchard' id='o4' type='result'>{CARD}</iq>"
        ))
    );
    // Romeo's forbidden attempt changed nothing, and juliet's vCard is not romeo's.
    send(
        &s,
        &r,
        "<iq xmlns='jabber:client' id='o5' type='get'><vCard xmlns='vcard-temp'/></iq>",
    )
    .await;
    assert_eq!(
        recv_xml(&mut r).await,
        xml(
            "<iq xmlns='jabber:client' to='romeo@example.com/orchard' id='o5' type='result'><vCard xmlns='vcard-temp'/></iq>"
        )
    );
}

#[tokio::test]
async fn size_limit_is_not_acceptable_with_a_text() {
    let st = storage().await;
    let s = server_on(&st, "[vcard]\nmax_bytes = 100\n");
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    send(
        &s,
        &c,
        &format!("<iq xmlns='jabber:client' id='big' type='set'>{CARD}</iq>"),
    )
    .await;
    let reply = recv_xml(&mut c).await;
    assert!(reply.contains("type='error'"), "{reply}");
    assert!(
        reply.contains("<not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
        "{reply}"
    );
    assert!(reply.contains("limit of 100 bytes"), "{reply}");
    // The error echoes the bare <vCard/>, not the oversized one.
    assert!(!reply.contains("Saint-Andre"), "{reply}");
    // Nothing was stored; a small one fits.
    send(
        &s,
        &c,
        "<iq xmlns='jabber:client' id='g' type='get'><vCard xmlns='vcard-temp'/></iq>",
    )
    .await;
    assert_eq!(
        recv_xml(&mut c).await,
        xml(
            "<iq xmlns='jabber:client' to='juliet@example.com/balcony' id='g' type='result'><vCard xmlns='vcard-temp'/></iq>"
        )
    );
    send(&s, &c, "<iq xmlns='jabber:client' id='small' type='set'><vCard xmlns='vcard-temp'><FN>J</FN></vCard></iq>").await;
    assert!(recv_xml(&mut c).await.contains("type='result'"));
}

#[tokio::test]
async fn empty_set_removes_and_vcard_survives_restart() {
    let st = storage().await;
    {
        let s = server_on(&st, "");
        let mut c = connect(&s, "juliet@example.com/balcony").await;
        send(
            &s,
            &c,
            &format!("<iq xmlns='jabber:client' id='a' type='set'>{CARD}</iq>"),
        )
        .await;
        assert!(recv_xml(&mut c).await.contains("type='result'"));
    }
    let s = server_on(&st, "");
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    send(&s, &r, "<iq xmlns='jabber:client' to='juliet@example.com' id='b' type='get'><vCard xmlns='vcard-temp'/></iq>").await;
    assert!(recv_xml(&mut r).await.contains("Peter Saint-Andre"));
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    send(
        &s,
        &c,
        "<iq xmlns='jabber:client' id='c' type='set'><vCard xmlns='vcard-temp'/></iq>",
    )
    .await;
    assert!(recv_xml(&mut c).await.contains("type='result'"));
    send(&s, &r, "<iq xmlns='jabber:client' to='juliet@example.com' id='d' type='get'><vCard xmlns='vcard-temp'/></iq>").await;
    assert!(recv_xml(&mut r).await.contains("service-unavailable"));
}

#[tokio::test]
async fn disco_feature_only_with_storage() {
    let q = "<iq xmlns='jabber:client' to='example.com' id='i' type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>";
    let st = storage().await;
    let s = server_on(&st, "");
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    let with = c.ask_xml(&s, q).await;
    for f in ["vcard-temp", "urn:xmpp:blocking", "msgoffline"] {
        assert!(
            with.contains(&format!("<feature var='{f}'/>")),
            "{f}: {with}"
        );
    }
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    let without = c.ask_xml(&s, q).await;
    for f in ["vcard-temp", "urn:xmpp:blocking", "msgoffline"] {
        assert!(
            !without.contains(&format!("<feature var='{f}'/>")),
            "{f}: {without}"
        );
    }
}

#[tokio::test]
async fn storage_failure_is_internal_server_error() {
    let (_dir, path, st) = file_storage().await;
    let s = server_on(&st, "");
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    break_table(&path, "kv");
    for p in [
        format!("<iq xmlns='jabber:client' id='s' type='set'>{CARD}</iq>"),
        "<iq xmlns='jabber:client' id='g' type='get'><vCard xmlns='vcard-temp'/></iq>".to_owned(),
    ] {
        send(&s, &c, &p).await;
        let r = recv_xml(&mut c).await;
        assert!(
            r.contains("<internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
            "{r}"
        );
    }
}
