//! XEP-0191 Blocking Command through the real routing path, on SQLite storage.

use std::sync::{Arc, Mutex};

use waxwing_core::hooks::{BlockQuery, BlocklistChanged, IsBlocked};
use waxwing_core::{
    BuildContext, BuildError, Flow, Module, ModuleFactory, NoConfig, Registrar, Server,
};
use waxwing_jid::{BareJid, Jid};
use waxwing_modules::offline::Offline;
use waxwing_xml::Element;

use crate::imx_util::{
    accounts, assert_nothing, break_table, file_storage, pending, recv, recv_xml, send, server_on,
    storage,
};
use crate::{Client, SU, canon, connect, xml};

const BLOCKED: &str = "<error type='cancel'><not-acceptable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/><blocked xmlns='urn:xmpp:blocking:errors'/></error>";

async fn ask(s: &Server, c: &mut Client, iq: &str) -> String {
    send(s, c, iq).await;
    recv_xml(c).await
}

fn result(to: &str, id: &str) -> String {
    xml(&format!(
        "<iq xmlns='jabber:client' to='{to}' id='{id}' type='result'/>"
    ))
}

/// A push without its (random) id.
fn push_without_id(mut el: Element) -> String {
    assert!(el.remove_attr("id").is_some_and(|id| !id.is_empty()));
    canon(el)
}

#[tokio::test]
async fn blocklist_block_unblock_and_pushes() {
    let st = storage().await;
    let s = server_on(&st, "");
    let mut chamber = connect(&s, "juliet@example.com/chamber").await;
    let mut balcony = connect(&s, "juliet@example.com/balcony").await;
    // §3.2 Example 3/5: empty list. Chamber has now asked for the list; balcony has not.
    assert_eq!(
        ask(&s, &mut chamber, "<iq xmlns='jabber:client' type='get' id='blocklist1'><blocklist xmlns='urn:xmpp:blocking'/></iq>").await,
        xml("<iq xmlns='jabber:client' to='juliet@example.com/chamber' type='result' id='blocklist1'><blocklist xmlns='urn:xmpp:blocking'/></iq>")
    );
    // §3.3 Example 6/7, two items.
    assert_eq!(
        ask(&s, &mut balcony, "<iq xmlns='jabber:client' type='set' id='block1'><block xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/><item jid='iago@shakespeare.lit'/></block></iq>").await,
        result("juliet@example.com/balcony", "block1")
    );
    // Example 8: pushed to the resource that asked for the list only.
    assert_eq!(
        push_without_id(recv(&mut chamber).await),
        xml(
            "<iq xmlns='jabber:client' to='juliet@example.com/chamber' type='set'><block xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/><item jid='iago@shakespeare.lit'/></block></iq>"
        )
    );
    assert_nothing(&mut balcony);
    // Example 4.
    assert_eq!(
        ask(&s, &mut chamber, "<iq xmlns='jabber:client' type='get' id='blocklist2'><blocklist xmlns='urn:xmpp:blocking'/></iq>").await,
        xml("<iq xmlns='jabber:client' to='juliet@example.com/chamber' type='result' id='blocklist2'><blocklist xmlns='urn:xmpp:blocking'><item jid='iago@shakespeare.lit'/><item jid='romeo@montague.net'/></blocklist></iq>")
    );
    // Blocking again an already blocked JID is fine and changes nothing.
    assert_eq!(
        ask(&s, &mut balcony, "<iq xmlns='jabber:client' type='set' id='block2'><block xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/></block></iq>").await,
        result("juliet@example.com/balcony", "block2")
    );
    assert!(recv_xml(&mut chamber).await.contains("<block"));
    // §3.4 Example 10/11/12.
    assert_eq!(
        ask(&s, &mut balcony, "<iq xmlns='jabber:client' type='set' id='unblock1'><unblock xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/></unblock></iq>").await,
        result("juliet@example.com/balcony", "unblock1")
    );
    assert_eq!(
        push_without_id(recv(&mut chamber).await),
        xml(
            "<iq xmlns='jabber:client' to='juliet@example.com/chamber' type='set'><unblock xmlns='urn:xmpp:blocking'><item jid='romeo@montague.net'/></unblock></iq>"
        )
    );
    // Balcony asks for the list too: pushes go to both from now on.
    assert!(ask(&s, &mut balcony, "<iq xmlns='jabber:client' type='get' id='bl'><blocklist xmlns='urn:xmpp:blocking'/></iq>").await.contains("iago@shakespeare.lit"));
    // §3.5 Example 13/14/15: unblock all. Pushes go out before the result.
    send(&s, &chamber, "<iq xmlns='jabber:client' type='set' id='unblock2'><unblock xmlns='urn:xmpp:blocking'/></iq>").await;
    for c in [&mut chamber, &mut balcony] {
        let to = c.jid.to_string();
        assert_eq!(
            push_without_id(recv(c).await),
            xml(&format!(
                "<iq xmlns='jabber:client' to='{to}' type='set'><unblock xmlns='urn:xmpp:blocking'/></iq>"
            ))
        );
    }
    assert_eq!(
        recv_xml(&mut chamber).await,
        result("juliet@example.com/chamber", "unblock2")
    );
    assert_eq!(
        ask(&s, &mut chamber, "<iq xmlns='jabber:client' type='get' id='blocklist3'><blocklist xmlns='urn:xmpp:blocking'/></iq>").await,
        xml("<iq xmlns='jabber:client' to='juliet@example.com/chamber' type='result' id='blocklist3'><blocklist xmlns='urn:xmpp:blocking'/></iq>")
    );
}

#[tokio::test]
async fn malformed_requests() {
    let st = storage().await;
    let s = server_on(&st, "");
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    // §3.3: <block/> without <item/>.
    let r = ask(
        &s,
        &mut j,
        "<iq xmlns='jabber:client' type='set' id='e1'><block xmlns='urn:xmpp:blocking'/></iq>",
    )
    .await;
    assert!(
        r.contains("<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
        "{r}"
    );
    let r = ask(&s, &mut j, "<iq xmlns='jabber:client' type='set' id='e2'><block xmlns='urn:xmpp:blocking'><item/></block></iq>").await;
    assert!(
        r.contains("<bad-request xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
        "{r}"
    );
    let r = ask(&s, &mut j, "<iq xmlns='jabber:client' type='set' id='e3'><block xmlns='urn:xmpp:blocking'><item jid='romeo@example.com'/><item jid='@bad'/></block></iq>").await;
    assert!(
        r.contains("<jid-malformed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
        "{r}"
    );
    let r = ask(&s, &mut j, "<iq xmlns='jabber:client' type='set' id='e4'><unblock xmlns='urn:xmpp:blocking'><item jid='a@b@c'/></unblock></iq>").await;
    assert!(
        r.contains("<jid-malformed xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
        "{r}"
    );
    // Nothing of the refused request was stored.
    assert_eq!(
        ask(&s, &mut j, "<iq xmlns='jabber:client' type='get' id='l'><blocklist xmlns='urn:xmpp:blocking'/></iq>").await,
        xml("<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='result' id='l'><blocklist xmlns='urn:xmpp:blocking'/></iq>")
    );
    // Another account's list is not romeo's business.
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    for p in [
        "<iq xmlns='jabber:client' to='juliet@example.com' type='get' id='f1'><blocklist xmlns='urn:xmpp:blocking'/></iq>",
        "<iq xmlns='jabber:client' to='juliet@example.com' type='set' id='f2'><block xmlns='urn:xmpp:blocking'><item jid='x@y'/></block></iq>",
        "<iq xmlns='jabber:client' to='juliet@example.com' type='set' id='f3'><unblock xmlns='urn:xmpp:blocking'/></iq>",
    ] {
        let reply = ask(&s, &mut r, p).await;
        assert!(
            reply.contains("<forbidden xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
            "{reply}"
        );
    }
}

#[tokio::test]
async fn limit_is_policy_violation() {
    let st = storage().await;
    let s = server_on(&st, "[blocking]\nmax_items = 2\n");
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    let r = ask(&s, &mut j, "<iq xmlns='jabber:client' type='set' id='a'><block xmlns='urn:xmpp:blocking'><item jid='a@x'/><item jid='b@x'/></block></iq>").await;
    assert!(r.contains("type='result'"), "{r}");
    let r = ask(&s, &mut j, "<iq xmlns='jabber:client' type='set' id='b'><block xmlns='urn:xmpp:blocking'><item jid='c@x'/></block></iq>").await;
    assert!(
        r.contains("<policy-violation xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
        "{r}"
    );
}

async fn block(s: &Server, c: &mut Client, jid: &str) {
    let r = ask(s, c, &format!("<iq xmlns='jabber:client' type='set' id='b'><block xmlns='urn:xmpp:blocking'><item jid='{jid}'/></block></iq>")).await;
    assert!(r.contains("type='result'"), "{r}");
}

#[tokio::test]
async fn inbound_from_a_blocked_entity() {
    let st = storage().await;
    let s = server_on(&st, "");
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    send(&s, &j, "<presence xmlns='jabber:client'/>").await;
    // Its own presence comes back (RFC 6121 §4.2.2).
    pending_with_presence(&mut j);
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    let stanzas = [
        "<message xmlns='jabber:client' to='juliet@example.com' type='chat' id='m1'><body>Can you hear me now?</body></message>",
        "<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='get' id='i1'><query xmlns='urn:x'/></iq>",
        "<iq xmlns='jabber:client' to='juliet@example.com/balcony' type='result' id='i2'/>",
        "<presence xmlns='jabber:client' to='juliet@example.com/balcony'/>",
    ];
    // Not blocked: all four reach juliet (RFC 6121 §8.5.2.1.1, §8.5.3.1).
    for x in stanzas {
        send(&s, &r, x).await;
    }
    let got: Vec<String> = pending_with_presence(&mut j);
    assert_eq!(got.len(), 4, "{got:?}");
    assert_nothing(&mut r);

    block(&s, &mut j, "romeo@example.com").await;
    for x in stanzas {
        send(&s, &r, x).await;
    }
    // §3.3: message → service-unavailable; IQ get → service-unavailable; IQ result and
    // presence → nothing.
    assert_eq!(
        recv_xml(&mut r).await,
        xml(&format!(
            "<message xmlns='jabber:client' from='juliet@example.com' to='romeo@example.com/orchard' type='error' id='m1'><body>Can you hear me now?</body>{SU}</message>"
        ))
    );
    assert_eq!(
        recv_xml(&mut r).await,
        xml(&format!(
            "<iq xmlns='jabber:client' from='juliet@example.com/balcony' to='romeo@example.com/orchard' type='error' id='i1'><query xmlns='urn:x'/>{SU}</iq>"
        ))
    );
    assert_nothing(&mut r);
    assert!(pending_with_presence(&mut j).is_empty());
}

#[tokio::test]
async fn every_change_reaches_the_synchronous_checks() {
    // The cached list answers both checks without awaiting: a change from one session
    // applies at once to stanzas to and from every session of the account.
    let st = storage().await;
    let s = server_on(&st, "");
    let mut a = connect(&s, "juliet@example.com/a").await;
    let mut b = connect(&s, "juliet@example.com/b").await;
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    let to_b = "<message xmlns='jabber:client' to='juliet@example.com/b' type='chat' id='m'><body>Hi</body></message>";
    let from_b = "<message xmlns='jabber:client' to='romeo@example.com/orchard' type='chat' id='n'><body>Hi</body></message>";
    for round in 0..2 {
        send(&s, &r, to_b).await;
        send(&s, &b, from_b).await;
        assert_eq!(pending(&mut b).len(), 1, "round {round}");
        assert_eq!(pending(&mut r).len(), 1, "round {round}");
        block(&s, &mut a, "romeo@example.com").await;
        send(&s, &r, to_b).await;
        send(&s, &b, from_b).await;
        assert_eq!(
            recv_xml(&mut r).await,
            xml(&format!(
                "<message xmlns='jabber:client' from='juliet@example.com/b' to='romeo@example.com/orchard' type='error' id='m'><body>Hi</body>{SU}</message>"
            ))
        );
        assert_eq!(
            recv_xml(&mut b).await,
            xml(&format!(
                "<message xmlns='jabber:client' from='romeo@example.com/orchard' to='juliet@example.com/b' type='error' id='n'><body>Hi</body>{BLOCKED}</message>"
            ))
        );
        let unblocked = ask(
            &s,
            &mut b,
            "<iq xmlns='jabber:client' type='set' id='u'><unblock xmlns='urn:xmpp:blocking'/></iq>",
        )
        .await;
        assert!(unblocked.contains("type='result'"), "{unblocked}");
        assert_nothing(&mut r);
        let _ = pending(&mut a);
    }
}

fn pending_with_presence(c: &mut Client) -> Vec<String> {
    crate::imx_util::pending_all(c)
}

#[tokio::test]
async fn outbound_to_a_blocked_entity() {
    let st = storage().await;
    let s = server_on(&st, "");
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    let mut j2 = connect(&s, "juliet@example.com/chamber").await;
    send(&s, &j2, "<presence xmlns='jabber:client'/>").await;
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    send(&s, &r, "<presence xmlns='jabber:client'/>").await;
    // Their own presence comes back (RFC 6121 §4.2.2).
    pending_with_presence(&mut j2);
    pending_with_presence(&mut r);
    block(&s, &mut j, "example.com").await;
    // §3.3 Example 9; §6: the whole domain is blocked, so romeo is.
    send(&s, &j, "<message xmlns='jabber:client' to='romeo@example.com' id='o1'><body>Can you hear me now?</body></message>").await;
    assert_eq!(
        recv_xml(&mut j).await,
        xml(&format!(
            "<message xmlns='jabber:client' from='romeo@example.com' to='juliet@example.com/balcony' type='error' id='o1'><body>Can you hear me now?</body>{BLOCKED}</message>"
        ))
    );
    send(&s, &j, "<iq xmlns='jabber:client' to='romeo@example.com/orchard' type='get' id='o2'><ping xmlns='urn:xmpp:ping'/></iq>").await;
    assert!(recv_xml(&mut j).await.contains(BLOCKED));
    // Error stanzas are dropped, not answered.
    send(
        &s,
        &j,
        "<message xmlns='jabber:client' to='romeo@example.com' type='error' id='o3'/>",
    )
    .await;
    assert_nothing(&mut j);
    assert!(pending_with_presence(&mut r).is_empty());
    // The account itself is never blocked.
    send(&s, &j, "<message xmlns='jabber:client' to='juliet@example.com/chamber' id='self'><body>x</body></message>").await;
    assert_eq!(recv(&mut j2).await.attr("id"), Some("self"));
}

#[tokio::test]
async fn a_full_jid_item_blocks_that_resource_only() {
    let st = storage().await;
    let s = server_on(&st, "");
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    send(&s, &j, "<presence xmlns='jabber:client'/>").await;
    let mut orchard = connect(&s, "romeo@example.com/orchard").await;
    let mut garden = connect(&s, "romeo@example.com/garden").await;
    block(&s, &mut j, "romeo@example.com/orchard").await;
    let m = "<message xmlns='jabber:client' to='juliet@example.com' type='chat' id='x'><body>hi</body></message>";
    send(&s, &orchard, m).await;
    assert!(recv_xml(&mut orchard).await.contains("service-unavailable"));
    send(&s, &garden, m).await;
    assert_eq!(
        recv(&mut j).await.attr("from"),
        Some("romeo@example.com/garden")
    );
    assert_nothing(&mut garden);
    assert_nothing(&mut j);
}

#[tokio::test]
async fn a_list_remembered_empty_is_forgotten_by_a_block() {
    // An account whose empty list was dropped at logout is remembered as empty (no read at
    // the next login, none for stanzas to it while offline); a block must end that at once,
    // offline (store read) and at the next login alike.
    let st = storage().await;
    let s = server_on(&st, "");
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    let m = "<message xmlns='jabber:client' to='juliet@example.com' type='chat' id='m'><body>x</body></message>";
    let juliet = BareJid::parse("juliet@example.com").unwrap();
    let offline = || async { s.module::<Offline>().unwrap().count(&juliet).await.unwrap() };
    // Twice, so the second login starts from the remembered empty list.
    for _ in 0..2 {
        let j = crate::roster_util::login(&s, "juliet@example.com/balcony").await;
        j.close(&s).await;
    }
    // Not blocked while offline: stored.
    send(&s, &r, m).await;
    assert_nothing(&mut r);
    assert_eq!(offline().await, 1);
    let mut j = crate::roster_util::login(&s, "juliet@example.com/balcony").await;
    let got = j.exchange(&s, "<iq xmlns='jabber:client' type='set' id='b'><block xmlns='urn:xmpp:blocking'><item jid='romeo@example.com'/></block></iq>").await;
    assert!(got.iter().any(|g| g.contains("type='result'")), "{got:?}");
    j.close(&s).await;
    // Offline and blocked: refused, not stored.
    send(&s, &r, m).await;
    assert!(recv_xml(&mut r).await.contains("service-unavailable"));
    assert_eq!(offline().await, 1);
    // Online again: the list comes from the store.
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    send(&s, &r, m).await;
    assert!(recv_xml(&mut r).await.contains("service-unavailable"));
    send(
        &s,
        &j,
        "<message xmlns='jabber:client' to='romeo@example.com' id='o'><body>x</body></message>",
    )
    .await;
    assert!(recv_xml(&mut j).await.contains(BLOCKED));
}

#[tokio::test]
async fn survives_restart_and_applies_while_offline() {
    let st = storage().await;
    {
        let s = server_on(&st, "");
        let mut j = connect(&s, "juliet@example.com/balcony").await;
        block(&s, &mut j, "romeo@example.com").await;
    }
    let s = server_on(&st, "");
    // Juliet offline: the list is read from storage; a blocked message is refused, not stored.
    let mut r = connect(&s, "romeo@example.com/orchard").await;
    send(&s, &r, "<message xmlns='jabber:client' to='juliet@example.com' type='chat' id='m'><body>x</body></message>").await;
    assert!(recv_xml(&mut r).await.contains("service-unavailable"));
    let juliet = BareJid::parse("juliet@example.com").unwrap();
    assert_eq!(
        s.module::<Offline>().unwrap().count(&juliet).await.unwrap(),
        0
    );
    // Juliet binds: the cached list refuses her outbound stanzas at once.
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    send(
        &s,
        &j,
        "<message xmlns='jabber:client' to='romeo@example.com' id='o'><body>x</body></message>",
    )
    .await;
    let got = recv_xml(&mut j).await;
    assert!(got.contains(BLOCKED), "{got}");
    // After her last session ends the list still applies (read from storage again).
    let id = s.sessions().session(&j.jid).unwrap().id();
    s.session_closed(&j.jid, id).await;
    send(&s, &r, "<message xmlns='jabber:client' to='juliet@example.com' type='chat' id='m2'><body>x</body></message>").await;
    assert!(recv_xml(&mut r).await.contains("service-unavailable"));
    assert!(pending(&mut r).is_empty());
}

static CHANGES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Records every BlocklistChanged, as the presence module would receive it.
struct Recorder;
impl Module for Recorder {
    const NAME: &'static str = "test_recorder";
    type Config = NoConfig;
    fn build(_: &BuildContext<'_>, _: NoConfig) -> Result<Self, BuildError> {
        Ok(Self)
    }
    fn register(self: &Arc<Self>, r: &mut Registrar<'_>) {
        r.async_hook::<BlocklistChanged, _, _>(0, |_, c| async move {
            let list = |v: &[Jid]| v.iter().map(Jid::as_str).collect::<Vec<_>>().join(",");
            CHANGES.lock().unwrap().push(format!(
                "{} +[{}] -[{}]",
                c.owner,
                list(&c.blocked),
                list(&c.unblocked)
            ));
            Flow::Continue(())
        });
    }
}

#[tokio::test]
async fn is_blocked_and_blocklist_changed_hooks() {
    let st = storage().await;
    let s = Server::builder()
        .domain("example.com")
        .modules(waxwing_modules::all())
        .module(ModuleFactory::of::<Recorder>())
        .accounts(accounts())
        .storage(st.clone())
        .build()
        .unwrap();
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    let q = |other: &str| BlockQuery {
        owner: BareJid::parse("juliet@example.com").unwrap(),
        other: Jid::parse(other).unwrap(),
    };
    assert!(
        s.run_async_hook::<IsBlocked>(q("romeo@example.com/orchard"))
            .await
            .is_continue()
    );
    let r = ask(&s, &mut j, "<iq xmlns='jabber:client' type='set' id='b'><block xmlns='urn:xmpp:blocking'><item jid='romeo@example.com'/><item jid='iago@example.net'/></block></iq>").await;
    assert!(r.contains("type='result'"));
    assert!(
        s.run_async_hook::<IsBlocked>(q("romeo@example.com/orchard"))
            .await
            .is_break()
    );
    assert!(
        s.run_async_hook::<IsBlocked>(q("nurse@example.com"))
            .await
            .is_continue()
    );
    // Only what changed is announced.
    let r = ask(&s, &mut j, "<iq xmlns='jabber:client' type='set' id='b2'><block xmlns='urn:xmpp:blocking'><item jid='romeo@example.com'/></block></iq>").await;
    assert!(r.contains("type='result'"));
    let r = ask(&s, &mut j, "<iq xmlns='jabber:client' type='set' id='u'><unblock xmlns='urn:xmpp:blocking'><item jid='romeo@example.com'/><item jid='never@example.com'/></unblock></iq>").await;
    assert!(r.contains("type='result'"));
    let r = ask(
        &s,
        &mut j,
        "<iq xmlns='jabber:client' type='set' id='ua'><unblock xmlns='urn:xmpp:blocking'/></iq>",
    )
    .await;
    assert!(r.contains("type='result'"));
    assert!(
        s.run_async_hook::<IsBlocked>(q("iago@example.net"))
            .await
            .is_continue()
    );
    assert_eq!(
        *CHANGES.lock().unwrap(),
        [
            "juliet@example.com +[romeo@example.com,iago@example.net] -[]",
            "juliet@example.com +[] -[romeo@example.com]",
            "juliet@example.com +[] -[iago@example.net]",
        ]
    );
}

#[tokio::test]
async fn storage_failure_is_internal_server_error() {
    let (_dir, path, st) = file_storage().await;
    let s = server_on(&st, "");
    let mut j = connect(&s, "juliet@example.com/balcony").await;
    block(&s, &mut j, "iago@example.net").await;
    break_table(&path, "map");
    for p in [
        "<iq xmlns='jabber:client' type='set' id='b'><block xmlns='urn:xmpp:blocking'><item jid='romeo@example.com'/></block></iq>",
        "<iq xmlns='jabber:client' type='set' id='u'><unblock xmlns='urn:xmpp:blocking'><item jid='iago@example.net'/></unblock></iq>",
        "<iq xmlns='jabber:client' type='set' id='a'><unblock xmlns='urn:xmpp:blocking'/></iq>",
    ] {
        let r = ask(&s, &mut j, p).await;
        assert!(
            r.contains("<internal-server-error xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/>"),
            "{r}"
        );
    }
    // The cache follows what was stored: iago is still blocked, romeo is not.
    let r = ask(
        &s,
        &mut j,
        "<iq xmlns='jabber:client' type='get' id='l'><blocklist xmlns='urn:xmpp:blocking'/></iq>",
    )
    .await;
    assert!(
        r.contains("iago@example.net") && !r.contains("romeo@example.com"),
        "{r}"
    );
}
