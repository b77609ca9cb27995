//! The conformance suite: every function takes a fresh, empty [`Storage`] and checks
//! backend-independent behaviour, so each backend (SQLite now, PostgreSQL later) runs
//! the same list through `conformance_tests!`.

use waxwing_jid::BareJid;
use waxwing_sasl::{
    ClientBinding, ClientMechanism as _, MIN_ITERATIONS, PasswordPrep, ScramClient, ScramHash,
    ServerConfig, ServerContext, Step,
};
use waxwing_storage::{
    AccountStatus, ArchiveItem, ArchiveQuery, CredentialSet, Entity, MAX_STORE_NAME_LEN,
    NewArchiveItem, Storage, StorageError, Timestamp,
};

/// Generates one `#[tokio::test]` per conformance function, each on a storage made by
/// `$make` (an async expression giving a `(Storage, guard)`; the guard keeps e.g. a
/// temporary directory alive).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::conformance_tests!(@each $make;
            kv_get_set_delete, kv_isolation, kv_set_many, store_names_are_checked,
            map_crud, map_isolation,
            archive_append_and_get, archive_duplicate_ids, archive_order_time_then_id,
            archive_filters, archive_forward_paging, archive_reverse_paging,
            archive_unknown_anchor, archive_count, archive_delete_by_query,
            archive_delete_owner, archive_isolation,
            account_lifecycle, account_scram_login, account_password_change,
            account_status, account_list, account_delete_cascades, account_invalid_input,
            account_explicit_credentials,
        );
    };
    (@each $make:expr; $($name:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (storage, _guard) = $make;
                $crate::conformance::$name(storage).await;
            }
        )*
    };
}

/// Credentials at the RFC 7677 §4 minimum iteration count: PBKDF2 dominates these
/// tests' run time in debug builds.
fn fast(password: &str) -> CredentialSet {
    CredentialSet::derive_with(PasswordPrep::OpaqueString, password, MIN_ITERATIONS).unwrap()
}

fn jid(s: &str) -> BareJid {
    BareJid::parse(s).unwrap()
}

fn item(id: &str, micros: i64, with: &str, payload: &str) -> NewArchiveItem {
    NewArchiveItem {
        id: Some(id.to_owned()),
        timestamp: Timestamp::from_unix_micros(micros),
        with: jid(with),
        payload: payload.to_owned(),
    }
}

fn ids(items: &[ArchiveItem]) -> Vec<&str> {
    items.iter().map(|i| i.id.as_str()).collect()
}

pub async fn kv_get_set_delete(s: Storage) {
    let juliet = jid("juliet@example.com");
    let kv = s.kv();
    assert_eq!(kv.get(&juliet, "vcard").await.unwrap(), None);
    assert!(!kv.delete(&juliet, "vcard").await.unwrap());
    kv.set(&juliet, "vcard", b"<vCard xmlns='vcard-temp'/>")
        .await
        .unwrap();
    assert_eq!(
        kv.get(&juliet, "vcard").await.unwrap().as_deref(),
        Some(&b"<vCard xmlns='vcard-temp'/>"[..])
    );
    // Replace; values are opaque bytes, not necessarily UTF-8, possibly empty.
    kv.set(&juliet, "vcard", &[0xff, 0x00, 0xfe]).await.unwrap();
    assert_eq!(
        kv.get(&juliet, "vcard").await.unwrap(),
        Some(vec![0xff, 0, 0xfe])
    );
    kv.set(&juliet, "vcard", b"").await.unwrap();
    assert_eq!(kv.get(&juliet, "vcard").await.unwrap(), Some(Vec::new()));
    assert!(kv.delete(&juliet, "vcard").await.unwrap());
    assert_eq!(kv.get(&juliet, "vcard").await.unwrap(), None);
    assert!(!kv.delete(&juliet, "vcard").await.unwrap());
}

pub async fn kv_set_many(s: Storage) {
    let kv = s.kv();
    let (juliet, romeo) = (jid("juliet@example.com"), jid("romeo@example.com"));
    kv.set(&juliet, "presence.last", b"old").await.unwrap();
    kv.set(&juliet, "vcard", b"v").await.unwrap();
    kv.set_many("presence.last", &[]).await.unwrap();
    kv.set_many(
        "presence.last",
        &[
            (juliet.clone(), b"j".to_vec()),
            (romeo.clone(), b"r".to_vec()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(
        kv.get(&juliet, "presence.last").await.unwrap(),
        Some(b"j".to_vec())
    );
    assert_eq!(
        kv.get(&romeo, "presence.last").await.unwrap(),
        Some(b"r".to_vec())
    );
    // Other stores of the same owners are untouched.
    assert_eq!(kv.get(&juliet, "vcard").await.unwrap(), Some(b"v".to_vec()));
    assert_eq!(kv.get(&romeo, "vcard").await.unwrap(), None);
    // The store name is checked as for `set`, and nothing is written.
    let long = "s".repeat(MAX_STORE_NAME_LEN + 1);
    assert!(
        kv.set_many(&long, &[(romeo.clone(), b"x".to_vec())])
            .await
            .is_err()
    );
}

pub async fn kv_isolation(s: Storage) {
    let kv = s.kv();
    let owners = [
        jid("juliet@example.com"),
        jid("romeo@example.com"),
        jid("juliet@example.net"),
        jid("example.com"), // the domain's own data
    ];
    for (i, o) in owners.iter().enumerate() {
        kv.set(o, "private", format!("p{i}").as_bytes())
            .await
            .unwrap();
        kv.set(o, "vcard", format!("v{i}").as_bytes())
            .await
            .unwrap();
    }
    for (i, o) in owners.iter().enumerate() {
        assert_eq!(
            kv.get(o, "private").await.unwrap(),
            Some(format!("p{i}").into_bytes())
        );
        assert_eq!(
            kv.get(o, "vcard").await.unwrap(),
            Some(format!("v{i}").into_bytes())
        );
    }
    assert!(kv.delete(&owners[0], "vcard").await.unwrap());
    assert_eq!(
        kv.get(&owners[0], "private").await.unwrap(),
        Some(b"p0".to_vec())
    );
    for o in &owners[1..] {
        assert!(kv.get(o, "vcard").await.unwrap().is_some());
    }
    // Store names are case-sensitive identifiers.
    assert_eq!(kv.get(&owners[1], "VCARD").await.unwrap(), None);
}

pub async fn store_names_are_checked(s: Storage) {
    let juliet = jid("juliet@example.com");
    let long = "s".repeat(MAX_STORE_NAME_LEN + 1);
    for bad in ["", long.as_str()] {
        assert!(matches!(
            s.kv().set(&juliet, bad, b"x").await,
            Err(StorageError::InvalidInput { .. })
        ));
        assert!(matches!(
            s.map().get(&juliet, bad, "k").await,
            Err(StorageError::InvalidInput { .. })
        ));
        assert!(matches!(
            s.archive()
                .count(&juliet, bad, &ArchiveQuery::default())
                .await,
            Err(StorageError::InvalidInput { .. })
        ));
    }
    s.kv()
        .set(&juliet, &"s".repeat(MAX_STORE_NAME_LEN), b"x")
        .await
        .unwrap();
}

pub async fn map_crud(s: Storage) {
    let juliet = jid("juliet@example.com");
    let m = s.map();
    assert_eq!(
        m.get(&juliet, "roster", "romeo@example.net").await.unwrap(),
        None
    );
    assert!(m.list(&juliet, "roster").await.unwrap().is_empty());
    m.set(&juliet, "roster", "romeo@example.net", b"<item/>")
        .await
        .unwrap();
    m.set(&juliet, "roster", "nurse@example.com", b"n")
        .await
        .unwrap();
    m.set(&juliet, "roster", "benvolio@example.net", b"b")
        .await
        .unwrap();
    m.set(
        &juliet,
        "roster",
        "romeo@example.net",
        b"<item name='Romeo'/>",
    )
    .await
    .unwrap();
    assert_eq!(
        m.get(&juliet, "roster", "romeo@example.net").await.unwrap(),
        Some(b"<item name='Romeo'/>".to_vec())
    );
    // Listed in key order, with the replaced value.
    assert_eq!(
        m.list(&juliet, "roster").await.unwrap(),
        vec![
            ("benvolio@example.net".to_owned(), b"b".to_vec()),
            ("nurse@example.com".to_owned(), b"n".to_vec()),
            (
                "romeo@example.net".to_owned(),
                b"<item name='Romeo'/>".to_vec()
            ),
        ]
    );
    assert!(
        m.delete(&juliet, "roster", "nurse@example.com")
            .await
            .unwrap()
    );
    assert!(
        !m.delete(&juliet, "roster", "nurse@example.com")
            .await
            .unwrap()
    );
    assert_eq!(
        m.get(&juliet, "roster", "nurse@example.com").await.unwrap(),
        None
    );
    assert_eq!(m.list(&juliet, "roster").await.unwrap().len(), 2);
    assert_eq!(m.delete_all(&juliet, "roster").await.unwrap(), 2);
    assert!(m.list(&juliet, "roster").await.unwrap().is_empty());
    assert_eq!(m.delete_all(&juliet, "roster").await.unwrap(), 0);
}

pub async fn map_isolation(s: Storage) {
    let m = s.map();
    let (home, away, other) = (
        jid("juliet@example.com"),
        jid("juliet@example.org"),
        jid("romeo@example.com"),
    );
    for o in [&home, &away, &other] {
        m.set(o, "roster", "k", o.as_str().as_bytes())
            .await
            .unwrap();
        m.set(o, "blocklist", "k", b"blocked").await.unwrap();
    }
    assert_eq!(
        m.get(&away, "roster", "k").await.unwrap(),
        Some(b"juliet@example.org".to_vec())
    );
    assert_eq!(m.delete_all(&home, "roster").await.unwrap(), 1);
    assert_eq!(
        m.get(&home, "blocklist", "k").await.unwrap(),
        Some(b"blocked".to_vec())
    );
    assert_eq!(m.list(&away, "roster").await.unwrap().len(), 1);
    assert_eq!(m.list(&other, "roster").await.unwrap().len(), 1);
    assert_eq!(m.get(&home, "roster", "K").await.unwrap(), None);
}

pub async fn archive_append_and_get(s: Storage) {
    let juliet = jid("juliet@example.com");
    let a = s.archive();
    let before = Timestamp::now();
    let id = a
        .append(
            &juliet,
            "mam",
            NewArchiveItem::now(jid("romeo@example.net"), "<message/>"),
        )
        .await
        .unwrap();
    let uuid = uuid::Uuid::parse_str(&id).unwrap();
    assert_eq!(uuid.get_version_num(), 7);
    let got = a.get(&juliet, "mam", &id).await.unwrap().unwrap();
    assert_eq!(got.id, id);
    assert_eq!(got.with, jid("romeo@example.net"));
    assert_eq!(got.payload, "<message/>");
    assert!(got.timestamp >= before && got.timestamp <= Timestamp::now());
    // Store-assigned ids are distinct.
    let id2 = a
        .append(
            &juliet,
            "mam",
            NewArchiveItem::now(jid("romeo@example.net"), "<message/>"),
        )
        .await
        .unwrap();
    assert_ne!(id, id2);
    // Caller-chosen ids are kept as given.
    let chosen = a
        .append(&juliet, "mam", item("my-id", 5, "nurse@example.com", "x"))
        .await
        .unwrap();
    assert_eq!(chosen, "my-id");
    assert_eq!(
        a.get(&juliet, "mam", "my-id").await.unwrap(),
        Some(ArchiveItem {
            id: "my-id".into(),
            timestamp: Timestamp::from_unix_micros(5),
            with: jid("nurse@example.com"),
            payload: "x".into(),
        })
    );
    assert_eq!(a.get(&juliet, "mam", "nope").await.unwrap(), None);
    assert_eq!(a.get(&juliet, "other", "my-id").await.unwrap(), None);
    assert!(matches!(
        a.append(&juliet, "mam", item("", 1, "nurse@example.com", "x"))
            .await,
        Err(StorageError::InvalidInput { .. })
    ));
}

pub async fn archive_duplicate_ids(s: Storage) {
    let a = s.archive();
    let (juliet, romeo) = (jid("juliet@example.com"), jid("romeo@example.net"));
    a.append(&juliet, "mam", item("x", 1, "romeo@example.net", "first"))
        .await
        .unwrap();
    assert!(matches!(
        a.append(&juliet, "mam", item("x", 2, "romeo@example.net", "second"))
            .await,
        Err(StorageError::Conflict {
            entity: Entity::ArchiveItem
        })
    ));
    assert_eq!(
        a.get(&juliet, "mam", "x").await.unwrap().unwrap().payload,
        "first"
    );
    // Ids are unique per (owner, store) only.
    a.append(&juliet, "offline", item("x", 1, "romeo@example.net", "o"))
        .await
        .unwrap();
    a.append(&romeo, "mam", item("x", 1, "juliet@example.com", "r"))
        .await
        .unwrap();
    assert_eq!(
        a.count(&juliet, "mam", &ArchiveQuery::default())
            .await
            .unwrap(),
        1
    );
}

pub async fn archive_order_time_then_id(s: Storage) {
    let a = s.archive();
    let o = jid("juliet@example.com");
    // Appended out of order; equal timestamps fall back to id order.
    for (id, ts) in [("c", 30), ("b", 20), ("a2", 20), ("z", 10), ("a1", 20)] {
        a.append(&o, "mam", item(id, ts, "romeo@example.net", id))
            .await
            .unwrap();
    }
    let page = a.query(&o, "mam", &ArchiveQuery::default()).await.unwrap();
    assert_eq!(ids(&page.items), ["z", "a1", "a2", "b", "c"]);
    assert!(page.complete);
    let rev = a
        .query(
            &o,
            "mam",
            &ArchiveQuery {
                reverse: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&rev.items), ["c", "b", "a2", "a1", "z"]);
    // Paging across equal timestamps must neither skip nor repeat.
    let after = a
        .query(
            &o,
            "mam",
            &ArchiveQuery {
                after_id: Some("a1".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&after.items), ["a2", "b", "c"]);
    let before = a
        .query(
            &o,
            "mam",
            &ArchiveQuery {
                before_id: Some("b".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&before.items), ["z", "a1", "a2"]);
}

/// Ten items 0..=9 at t = 100 * i, alternating between romeo and nurse.
async fn ten(s: &Storage, owner: &BareJid) {
    for i in 0..10 {
        let with = if i % 2 == 0 {
            "romeo@example.net"
        } else {
            "nurse@example.com"
        };
        s.archive()
            .append(
                owner,
                "mam",
                item(&format!("id{i}"), 100 * i, with, &format!("<m>{i}</m>")),
            )
            .await
            .unwrap();
    }
}

pub async fn archive_filters(s: Storage) {
    let o = jid("juliet@example.com");
    ten(&s, &o).await;
    let a = s.archive();
    let q = |start: Option<i64>, end: Option<i64>, with: Option<&str>| ArchiveQuery {
        start: start.map(Timestamp::from_unix_micros),
        end: end.map(Timestamp::from_unix_micros),
        with: with.map(jid),
        ..Default::default()
    };
    // start and end are inclusive (XEP-0313 §4.1.2).
    let page = a
        .query(&o, "mam", &q(Some(200), Some(500), None))
        .await
        .unwrap();
    assert_eq!(ids(&page.items), ["id2", "id3", "id4", "id5"]);
    let page = a
        .query(&o, "mam", &q(Some(201), Some(499), None))
        .await
        .unwrap();
    assert_eq!(ids(&page.items), ["id3", "id4"]);
    let page = a
        .query(&o, "mam", &q(None, None, Some("nurse@example.com")))
        .await
        .unwrap();
    assert_eq!(ids(&page.items), ["id1", "id3", "id5", "id7", "id9"]);
    let page = a
        .query(&o, "mam", &q(Some(300), None, Some("romeo@example.net")))
        .await
        .unwrap();
    assert_eq!(ids(&page.items), ["id4", "id6", "id8"]);
    assert_eq!(page.items[0].payload, "<m>4</m>");
    let page = a
        .query(&o, "mam", &q(None, None, Some("tybalt@example.com")))
        .await
        .unwrap();
    assert!(page.items.is_empty() && page.complete);
    let page = a
        .query(&o, "mam", &q(Some(600), Some(500), None))
        .await
        .unwrap();
    assert!(page.items.is_empty());
}

pub async fn archive_forward_paging(s: Storage) {
    let o = jid("juliet@example.com");
    ten(&s, &o).await;
    let a = s.archive();
    let mut q = ArchiveQuery {
        limit: Some(4),
        ..Default::default()
    };
    let mut pages = Vec::new();
    loop {
        let page = a.query(&o, "mam", &q).await.unwrap();
        pages.push(ids(&page.items).join(","));
        if page.complete {
            break;
        }
        q.after_id = Some(page.items.last().unwrap().id.clone());
    }
    assert_eq!(pages, ["id0,id1,id2,id3", "id4,id5,id6,id7", "id8,id9"]);
    // A page that ends exactly at the last item is complete.
    let page = a
        .query(
            &o,
            "mam",
            &ArchiveQuery {
                after_id: Some("id5".into()),
                limit: Some(4),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&page.items), ["id6", "id7", "id8", "id9"]);
    assert!(page.complete);
    // Limit 0: no items, but whether any exist.
    let page = a
        .query(
            &o,
            "mam",
            &ArchiveQuery {
                limit: Some(0),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(page.items.is_empty() && !page.complete);
    // after and before together bound a window; limit takes from its start.
    let page = a
        .query(
            &o,
            "mam",
            &ArchiveQuery {
                after_id: Some("id2".into()),
                before_id: Some("id7".into()),
                limit: Some(3),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&page.items), ["id3", "id4", "id5"]);
    assert!(!page.complete);
    // Filters combine with anchors.
    let page = a
        .query(
            &o,
            "mam",
            &ArchiveQuery {
                with: Some(jid("romeo@example.net")),
                after_id: Some("id3".into()),
                limit: Some(2),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&page.items), ["id4", "id6"]);
}

pub async fn archive_reverse_paging(s: Storage) {
    let o = jid("juliet@example.com");
    ten(&s, &o).await;
    let a = s.archive();
    // RSM `<before/>`: the last page, newest first.
    let mut q = ArchiveQuery {
        limit: Some(4),
        reverse: true,
        ..Default::default()
    };
    let mut pages = Vec::new();
    loop {
        let page = a.query(&o, "mam", &q).await.unwrap();
        pages.push(ids(&page.items).join(","));
        if page.complete {
            break;
        }
        q.before_id = Some(page.items.last().unwrap().id.clone());
    }
    assert_eq!(pages, ["id9,id8,id7,id6", "id5,id4,id3,id2", "id1,id0"]);
    // `<before>id5</before>` with a limit: the items closest before the anchor.
    let page = a
        .query(
            &o,
            "mam",
            &ArchiveQuery {
                before_id: Some("id5".into()),
                limit: Some(2),
                reverse: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&page.items), ["id4", "id3"]);
    assert!(!page.complete);
    // Reverse within a time window.
    let page = a
        .query(
            &o,
            "mam",
            &ArchiveQuery {
                start: Some(Timestamp::from_unix_micros(100)),
                end: Some(Timestamp::from_unix_micros(300)),
                reverse: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(ids(&page.items), ["id3", "id2", "id1"]);
    assert!(page.complete);
}

pub async fn archive_unknown_anchor(s: Storage) {
    let o = jid("juliet@example.com");
    ten(&s, &o).await;
    s.archive()
        .append(&o, "muc", item("elsewhere", 1, "romeo@example.net", "x"))
        .await
        .unwrap();
    let a = s.archive();
    for q in [
        ArchiveQuery {
            after_id: Some("missing".into()),
            ..Default::default()
        },
        ArchiveQuery {
            before_id: Some("missing".into()),
            ..Default::default()
        },
        // An id of another store is not an anchor here.
        ArchiveQuery {
            after_id: Some("elsewhere".into()),
            ..Default::default()
        },
    ] {
        assert!(matches!(
            a.query(&o, "mam", &q).await,
            Err(StorageError::NotFound {
                entity: Entity::ArchiveItem
            })
        ));
        assert!(matches!(
            a.count(&o, "mam", &q).await,
            Err(StorageError::NotFound {
                entity: Entity::ArchiveItem
            })
        ));
    }
}

pub async fn archive_count(s: Storage) {
    let o = jid("juliet@example.com");
    let a = s.archive();
    assert_eq!(
        a.count(&o, "mam", &ArchiveQuery::default()).await.unwrap(),
        0
    );
    ten(&s, &o).await;
    assert_eq!(
        a.count(&o, "mam", &ArchiveQuery::default()).await.unwrap(),
        10
    );
    // limit and reverse are ignored; filters and anchors count.
    let q = ArchiveQuery {
        with: Some(jid("nurse@example.com")),
        limit: Some(1),
        reverse: true,
        ..Default::default()
    };
    assert_eq!(a.count(&o, "mam", &q).await.unwrap(), 5);
    let q = ArchiveQuery {
        after_id: Some("id6".into()),
        start: Some(Timestamp::from_unix_micros(800)),
        ..Default::default()
    };
    assert_eq!(a.count(&o, "mam", &q).await.unwrap(), 2);
    assert_eq!(
        a.count(&o, "offline", &ArchiveQuery::default())
            .await
            .unwrap(),
        0
    );
}

pub async fn archive_delete_by_query(s: Storage) {
    let o = jid("juliet@example.com");
    ten(&s, &o).await;
    let a = s.archive();
    // Oldest two (a quota trim).
    assert_eq!(
        a.delete(
            &o,
            "mam",
            &ArchiveQuery {
                limit: Some(2),
                ..Default::default()
            }
        )
        .await
        .unwrap(),
        2
    );
    // Newest one.
    assert_eq!(
        a.delete(
            &o,
            "mam",
            &ArchiveQuery {
                limit: Some(1),
                reverse: true,
                ..Default::default()
            }
        )
        .await
        .unwrap(),
        1
    );
    let left = a.query(&o, "mam", &ArchiveQuery::default()).await.unwrap();
    assert_eq!(
        ids(&left.items),
        ["id2", "id3", "id4", "id5", "id6", "id7", "id8"]
    );
    // By filter.
    assert_eq!(
        a.delete(
            &o,
            "mam",
            &ArchiveQuery {
                with: Some(jid("romeo@example.net")),
                ..Default::default()
            }
        )
        .await
        .unwrap(),
        4
    );
    assert_eq!(
        a.delete(
            &o,
            "mam",
            &ArchiveQuery {
                end: Some(Timestamp::from_unix_micros(300)),
                ..Default::default()
            }
        )
        .await
        .unwrap(),
        1
    );
    let left = a.query(&o, "mam", &ArchiveQuery::default()).await.unwrap();
    assert_eq!(ids(&left.items), ["id5", "id7"]);
    assert!(matches!(
        a.delete(
            &o,
            "mam",
            &ArchiveQuery {
                after_id: Some("id0".into()),
                ..Default::default()
            }
        )
        .await,
        Err(StorageError::NotFound { .. })
    ));
    assert_eq!(
        a.delete(&o, "mam", &ArchiveQuery::default()).await.unwrap(),
        2
    );
    assert_eq!(
        a.count(&o, "mam", &ArchiveQuery::default()).await.unwrap(),
        0
    );
}

pub async fn archive_delete_owner(s: Storage) {
    let (juliet, romeo) = (jid("juliet@example.com"), jid("romeo@example.net"));
    let a = s.archive();
    for (owner, store) in [(&juliet, "mam"), (&juliet, "offline"), (&romeo, "mam")] {
        a.append(
            owner,
            store,
            NewArchiveItem::now(jid("nurse@example.com"), "x"),
        )
        .await
        .unwrap();
        a.append(
            owner,
            store,
            NewArchiveItem::now(jid("nurse@example.com"), "y"),
        )
        .await
        .unwrap();
    }
    assert_eq!(a.delete_owner(&juliet).await.unwrap(), 4);
    assert_eq!(
        a.count(&juliet, "mam", &ArchiveQuery::default())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        a.count(&juliet, "offline", &ArchiveQuery::default())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        a.count(&romeo, "mam", &ArchiveQuery::default())
            .await
            .unwrap(),
        2
    );
    assert_eq!(a.delete_owner(&juliet).await.unwrap(), 0);
}

pub async fn archive_isolation(s: Storage) {
    let a = s.archive();
    let owners = [
        jid("juliet@example.com"),
        jid("juliet@example.org"),
        jid("room@conference.example.com"),
        jid("example.com"),
    ];
    for (n, o) in owners.iter().enumerate() {
        for i in 0..=n {
            a.append(
                o,
                "mam",
                item(&format!("i{i}"), 10, "romeo@example.net", o.as_str()),
            )
            .await
            .unwrap();
        }
        a.append(o, "muc", item("m", 10, "romeo@example.net", "muc"))
            .await
            .unwrap();
    }
    for (n, o) in owners.iter().enumerate() {
        let page = a.query(o, "mam", &ArchiveQuery::default()).await.unwrap();
        assert_eq!(page.items.len(), n + 1);
        assert!(page.items.iter().all(|i| i.payload == o.as_str()));
        assert_eq!(
            a.count(o, "muc", &ArchiveQuery::default()).await.unwrap(),
            1
        );
    }
    assert_eq!(
        a.delete(&owners[0], "mam", &ArchiveQuery::default())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        a.count(&owners[0], "muc", &ArchiveQuery::default())
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        a.count(&owners[1], "mam", &ArchiveQuery::default())
            .await
            .unwrap(),
        2
    );
}

/// Runs a real SCRAM exchange (waxwing-sasl client and server) against stored
/// credentials; true on success.
async fn scram_login(s: &Storage, user: &BareJid, password: &str, hash: ScramHash) -> bool {
    let ctx = ServerContext::new(ServerConfig::new([0x5a; 32])).encrypted(true);
    let name = format!("SCRAM-{}", hash.name());
    let mut server = ctx.start(&name).unwrap();
    let node = user.node().unwrap();
    let mut client = ScramClient::new(hash, node, password, ClientBinding::Unsupported).unwrap();
    let mut step = server.step(client.initial_response().unwrap().as_deref());
    loop {
        step = match step {
            Step::NeedCredentials(req) => {
                assert_eq!(req.username, node);
                let who = BareJid::from_parts(Some(&req.username), user.domain()).unwrap();
                let creds = s
                    .accounts()
                    .credentials(&who, req.hash.unwrap_or(hash))
                    .await
                    .unwrap();
                server.provide_credentials(creds.as_ref())
            }
            Step::Challenge(c) => match client.respond(&c) {
                Ok(r) => server.step(Some(&r)),
                Err(_) => return false,
            },
            Step::Success(ok) => {
                client.finish(ok.additional_data.as_deref()).unwrap();
                return true;
            }
            Step::Failure(_) => return false,
        };
    }
}

pub async fn account_lifecycle(s: Storage) {
    let juliet = jid("juliet@example.com");
    let acc = s.accounts();
    assert!(!acc.exists(&juliet).await.unwrap());
    assert_eq!(acc.account(&juliet).await.unwrap(), None);
    assert_eq!(
        acc.credentials(&juliet, ScramHash::Sha256).await.unwrap(),
        None
    );
    let before = Timestamp::now();
    acc.create_with_password(&juliet, "pencil").await.unwrap();
    assert!(acc.exists(&juliet).await.unwrap());
    let account = acc.account(&juliet).await.unwrap().unwrap();
    assert_eq!(account.jid, juliet);
    assert_eq!(account.status, AccountStatus::Enabled);
    assert!(account.created >= before && account.created <= Timestamp::now());
    for hash in ScramHash::ALL {
        let c = acc.credentials(&juliet, hash).await.unwrap().unwrap();
        assert_eq!(c.hash, hash);
        assert!(c.verify_password(PasswordPrep::OpaqueString, "pencil"));
        assert!(!c.verify_password(PasswordPrep::OpaqueString, "Pencil"));
    }
    assert!(matches!(
        acc.create_with_password(&juliet, "other").await,
        Err(StorageError::Conflict {
            entity: Entity::Account
        })
    ));
    let set = fast("other");
    assert!(matches!(
        acc.create(&juliet, &set).await,
        Err(StorageError::Conflict {
            entity: Entity::Account
        })
    ));
    // The failed creates changed nothing.
    let c = acc
        .credentials(&juliet, ScramHash::Sha1)
        .await
        .unwrap()
        .unwrap();
    assert!(c.verify_password(PasswordPrep::OpaqueString, "pencil"));
    acc.delete(&juliet).await.unwrap();
    assert!(!acc.exists(&juliet).await.unwrap());
    assert_eq!(
        acc.credentials(&juliet, ScramHash::Sha1).await.unwrap(),
        None
    );
    assert!(matches!(
        acc.delete(&juliet).await,
        Err(StorageError::NotFound {
            entity: Entity::Account
        })
    ));
    // A deleted name can be registered again.
    acc.create(&juliet, &fast("again")).await.unwrap();
}

pub async fn account_scram_login(s: Storage) {
    let juliet = jid("juliet@example.com");
    s.accounts().create(&juliet, &fast("pencil")).await.unwrap();
    for hash in ScramHash::ALL {
        assert!(scram_login(&s, &juliet, "pencil", hash).await, "{hash:?}");
        assert!(!scram_login(&s, &juliet, "pencil2", hash).await, "{hash:?}");
    }
    assert!(!scram_login(&s, &jid("romeo@example.com"), "pencil", ScramHash::Sha256).await);
}

pub async fn account_password_change(s: Storage) {
    let juliet = jid("juliet@example.com");
    let acc = s.accounts();
    acc.create(&juliet, &fast("pencil")).await.unwrap();
    let old: Vec<_> = {
        let mut v = Vec::new();
        for hash in ScramHash::ALL {
            v.push(acc.credentials(&juliet, hash).await.unwrap().unwrap());
        }
        v
    };
    acc.set_password(&juliet, "quill").await.unwrap();
    for (hash, old) in ScramHash::ALL.into_iter().zip(old) {
        let new = acc.credentials(&juliet, hash).await.unwrap().unwrap();
        assert_ne!(new.salt, old.salt, "{hash:?} not replaced");
        assert!(new.verify_password(PasswordPrep::OpaqueString, "quill"));
        assert!(!new.verify_password(PasswordPrep::OpaqueString, "pencil"));
        assert!(scram_login(&s, &juliet, "quill", hash).await);
        assert!(!scram_login(&s, &juliet, "pencil", hash).await);
    }
    let romeo = jid("romeo@example.com");
    assert!(matches!(
        acc.set_password(&romeo, "x").await,
        Err(StorageError::NotFound {
            entity: Entity::Account
        })
    ));
    assert!(matches!(
        acc.set_credentials(&romeo, &fast("x")).await,
        Err(StorageError::NotFound {
            entity: Entity::Account
        })
    ));
    assert!(!acc.exists(&romeo).await.unwrap());
    // A password OpaqueString refuses (empty) is a credentials error, not a write.
    assert!(matches!(
        acc.set_password(&juliet, "").await,
        Err(StorageError::Credentials(_))
    ));
    assert!(scram_login(&s, &juliet, "quill", ScramHash::Sha256).await);
}

pub async fn account_status(s: Storage) {
    let juliet = jid("juliet@example.com");
    let acc = s.accounts();
    acc.create(&juliet, &fast("pencil")).await.unwrap();
    acc.set_status(&juliet, AccountStatus::Disabled)
        .await
        .unwrap();
    assert_eq!(
        acc.account(&juliet).await.unwrap().unwrap().status,
        AccountStatus::Disabled
    );
    // Still exists, credentials still there (the SASL layer refuses with account-disabled).
    assert!(acc.exists(&juliet).await.unwrap());
    assert!(
        acc.credentials(&juliet, ScramHash::Sha512)
            .await
            .unwrap()
            .is_some()
    );
    acc.set_status(&juliet, AccountStatus::Enabled)
        .await
        .unwrap();
    assert_eq!(
        acc.account(&juliet).await.unwrap().unwrap().status,
        AccountStatus::Enabled
    );
    assert!(matches!(
        acc.set_status(&jid("romeo@example.com"), AccountStatus::Disabled)
            .await,
        Err(StorageError::NotFound {
            entity: Entity::Account
        })
    ));
}

pub async fn account_list(s: Storage) {
    let acc = s.accounts();
    assert!(acc.list("example.com").await.unwrap().is_empty());
    let set = fast("pencil");
    for u in [
        "romeo@example.com",
        "juliet@example.com",
        "nurse@example.net",
        "benvolio@example.com",
    ] {
        acc.create(&jid(u), &set).await.unwrap();
    }
    assert_eq!(
        acc.list("example.com").await.unwrap(),
        [
            jid("benvolio@example.com"),
            jid("juliet@example.com"),
            jid("romeo@example.com")
        ]
    );
    // The domain is prepared before comparison.
    assert_eq!(
        acc.list("EXAMPLE.NET").await.unwrap(),
        [jid("nurse@example.net")]
    );
    assert!(acc.list("example.org").await.unwrap().is_empty());
}

pub async fn account_delete_cascades(s: Storage) {
    let (juliet, romeo) = (jid("juliet@example.com"), jid("romeo@example.com"));
    let domain = jid("example.com");
    let set = fast("pencil");
    s.accounts().create(&juliet, &set).await.unwrap();
    s.accounts().create(&romeo, &set).await.unwrap();
    for o in [&juliet, &romeo, &domain] {
        s.kv().set(o, "vcard", b"v").await.unwrap();
        s.map().set(o, "roster", "k", b"v").await.unwrap();
        s.archive()
            .append(o, "mam", NewArchiveItem::now(jid("nurse@example.com"), "x"))
            .await
            .unwrap();
        s.archive()
            .append(
                o,
                "offline",
                NewArchiveItem::now(jid("nurse@example.com"), "y"),
            )
            .await
            .unwrap();
    }
    s.accounts().delete(&juliet).await.unwrap();
    assert_eq!(s.kv().get(&juliet, "vcard").await.unwrap(), None);
    assert!(s.map().list(&juliet, "roster").await.unwrap().is_empty());
    assert_eq!(
        s.archive()
            .count(&juliet, "mam", &ArchiveQuery::default())
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        s.archive()
            .count(&juliet, "offline", &ArchiveQuery::default())
            .await
            .unwrap(),
        0
    );
    for o in [&romeo, &domain] {
        assert!(s.kv().get(o, "vcard").await.unwrap().is_some());
        assert_eq!(s.map().list(o, "roster").await.unwrap().len(), 1);
        assert_eq!(
            s.archive()
                .count(o, "mam", &ArchiveQuery::default())
                .await
                .unwrap(),
            1
        );
    }
    assert!(s.accounts().exists(&romeo).await.unwrap());
    assert_eq!(s.accounts().list("example.com").await.unwrap(), [romeo]);
}

pub async fn account_invalid_input(s: Storage) {
    let domain_only = jid("example.com");
    let acc = s.accounts();
    let set = fast("pencil");
    assert!(matches!(
        acc.create(&domain_only, &set).await,
        Err(StorageError::InvalidInput { .. })
    ));
    assert!(matches!(
        acc.exists(&domain_only).await,
        Err(StorageError::InvalidInput { .. })
    ));
    assert!(matches!(
        acc.credentials(&domain_only, ScramHash::Sha1).await,
        Err(StorageError::InvalidInput { .. })
    ));
    assert!(matches!(
        acc.delete(&domain_only).await,
        Err(StorageError::InvalidInput { .. })
    ));
    assert!(matches!(
        acc.list("exa mple.com").await,
        Err(StorageError::InvalidInput { .. })
    ));
    assert!(matches!(
        acc.list("").await,
        Err(StorageError::InvalidInput { .. })
    ));
}

pub async fn account_explicit_credentials(s: Storage) {
    // RFC 7677 §3 example: SCRAM-SHA-256, user "user", password "pencil".
    let salt = waxwing_sasl::b64::decode_strict("W22ZaJ0SNY7soEsUEjb6gQ==").unwrap();
    let derive = |h| waxwing_sasl::ScramCredentials::derive(h, "pencil", &salt, 4096).unwrap();
    let set = CredentialSet::from_parts(
        derive(ScramHash::Sha1),
        derive(ScramHash::Sha256),
        derive(ScramHash::Sha512),
    )
    .unwrap();
    let user = jid("user@example.com");
    s.accounts().create(&user, &set).await.unwrap();
    let got = s
        .accounts()
        .credentials(&user, ScramHash::Sha256)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&got, set.get(ScramHash::Sha256));
    assert_eq!(got.iterations, 4096);
    assert_eq!(got.salt, salt);
    assert!(scram_login(&s, &user, "pencil", ScramHash::Sha256).await);
    // Replacing the whole set directly (as an import would).
    let replacement = fast("quill");
    s.accounts()
        .set_credentials(&user, &replacement)
        .await
        .unwrap();
    for hash in ScramHash::ALL {
        let got = s
            .accounts()
            .credentials(&user, hash)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(&got, replacement.get(hash));
    }
}
