//! XEP-0202 through the real routing path.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use crate::{connect, server, xml};

#[tokio::test]
async fn entity_time() {
    let s = server();
    let mut c = connect(&s, "juliet@example.com/balcony").await;
    let before = OffsetDateTime::now_utc();
    let reply = c
        .ask(&s, "<iq xmlns='jabber:client' to='example.com' id='time_1' type='get'><time xmlns='urn:xmpp:time'/></iq>")
        .await;
    let after = OffsetDateTime::now_utc();
    assert_eq!(reply.attr("type"), Some("result"));
    assert_eq!(reply.attr("id"), Some("time_1"));
    let t = reply.get_child("time", "urn:xmpp:time").unwrap();
    assert_eq!(
        t.get_child("tzo", "urn:xmpp:time").unwrap().text(),
        "+00:00"
    );
    let utc = t.get_child("utc", "urn:xmpp:time").unwrap().text();
    // XEP-0082 §3.3: CCYY-MM-DDThh:mm:ss[.sss]TZD, here always with Z.
    assert_eq!(utc.len(), "2006-12-19T17:58:35.000Z".len(), "{utc}");
    assert!(utc.ends_with('Z'));
    let parsed = OffsetDateTime::parse(&utc, &Rfc3339).unwrap();
    assert!(
        parsed >= before - time::Duration::milliseconds(1) && parsed <= after,
        "{utc}"
    );
}

#[test]
fn format_of_a_known_instant() {
    // XEP-0202 §3 Example 2's instant.
    let at = OffsetDateTime::parse("2006-12-19T12:58:35.02-05:00", &Rfc3339).unwrap();
    let el = waxwing_modules::time::answer(at).unwrap();
    assert_eq!(
        crate::canon(el),
        xml(
            "<time xmlns='urn:xmpp:time'><tzo>+00:00</tzo><utc>2006-12-19T17:58:35.020Z</utc></time>"
        )
    );
}
