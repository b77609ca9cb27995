//! The SQLite backend: the conformance suite in memory and on a file, then what only
//! SQLite has (a file shared between processes, migrations, corrupt rows, config).

use std::path::Path;

use rusqlite::Connection;
use waxwing_jid::BareJid;
use waxwing_sasl::ScramHash;
use waxwing_storage::{
    ArchiveQuery, Backend, NewArchiveItem, SQLITE_SCHEMA_VERSION, SqliteConfig, Storage,
    StorageConfig, StorageError, Synchronous, Timestamp,
};

mod memory {
    use waxwing_storage::Storage;
    crate::conformance_tests!((Storage::memory().await.unwrap(), ()));
}

mod file {
    use waxwing_storage::Storage;
    crate::conformance_tests!({
        let dir = tempfile::tempdir().unwrap();
        let storage = Storage::open_sqlite(dir.path().join("waxwing.sqlite"))
            .await
            .unwrap();
        (storage, dir)
    });
}

mod file_without_readers {
    use waxwing_storage::{Backend, SqliteConfig, Storage, StorageConfig, Synchronous};
    crate::conformance_tests!({
        let dir = tempfile::tempdir().unwrap();
        let config = SqliteConfig::new(dir.path().join("waxwing.sqlite"))
            .with_readers(0)
            .with_synchronous(Synchronous::Normal);
        let storage = Storage::open(&StorageConfig {
            backend: Backend::Sqlite(config),
        })
        .await
        .unwrap();
        (storage, dir)
    });
}

fn jid(s: &str) -> BareJid {
    BareJid::parse(s).unwrap()
}

fn raw(path: &Path) -> Connection {
    Connection::open(path).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handles_share_one_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shared.sqlite");
    // As the server and the CLI would: two independent pools on one file.
    let server = Storage::open_sqlite(&path).await.unwrap();
    let cli = Storage::open_sqlite(&path).await.unwrap();
    let juliet = jid("juliet@example.com");
    cli.accounts()
        .create_with_password(&juliet, "pencil")
        .await
        .unwrap();
    assert!(server.accounts().exists(&juliet).await.unwrap());
    server.kv().set(&juliet, "vcard", b"v1").await.unwrap();
    assert_eq!(
        cli.kv().get(&juliet, "vcard").await.unwrap(),
        Some(b"v1".to_vec())
    );
    cli.kv().set(&juliet, "vcard", b"v2").await.unwrap();
    assert_eq!(
        server.kv().get(&juliet, "vcard").await.unwrap(),
        Some(b"v2".to_vec())
    );

    // Concurrent writers on both handles: busy_timeout serialises them, none fails.
    let mut tasks = Vec::new();
    for (h, storage) in [server.clone(), cli.clone()].into_iter().enumerate() {
        for t in 0..4 {
            let storage = storage.clone();
            let juliet = juliet.clone();
            tasks.push(tokio::spawn(async move {
                for i in 0..25 {
                    storage
                        .archive()
                        .append(
                            &juliet,
                            "mam",
                            NewArchiveItem {
                                id: Some(format!("h{h}-t{t}-{i}")),
                                timestamp: Timestamp::from_unix_micros(i),
                                with: BareJid::parse("romeo@example.net").unwrap(),
                                payload: "<message/>".into(),
                            },
                        )
                        .await
                        .unwrap();
                    storage
                        .map()
                        .set(&juliet, "roster", &format!("h{h}-t{t}-{i}"), b"x")
                        .await
                        .unwrap();
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    for storage in [&server, &cli] {
        assert_eq!(
            storage
                .archive()
                .count(&juliet, "mam", &ArchiveQuery::default())
                .await
                .unwrap(),
            200
        );
        assert_eq!(
            storage.map().list(&juliet, "roster").await.unwrap().len(),
            200
        );
    }
    cli.accounts().delete(&juliet).await.unwrap();
    assert!(!server.accounts().exists(&juliet).await.unwrap());
    assert_eq!(
        server
            .archive()
            .count(&juliet, "mam", &ArchiveQuery::default())
            .await
            .unwrap(),
        0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_first_opens_migrate_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("race.sqlite");
    let (a, b, c) = tokio::join!(
        Storage::open_sqlite(&path),
        Storage::open_sqlite(&path),
        Storage::open_sqlite(&path)
    );
    let (a, b, c) = (a.unwrap(), b.unwrap(), c.unwrap());
    a.kv()
        .set(&jid("example.com"), "motd", b"hi")
        .await
        .unwrap();
    for s in [&b, &c] {
        assert_eq!(
            s.kv().get(&jid("example.com"), "motd").await.unwrap(),
            Some(b"hi".to_vec())
        );
    }
    let rows: i64 = raw(&path)
        .query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, i64::from(SQLITE_SCHEMA_VERSION));
}

#[test]
fn handles_and_errors_cross_threads() {
    fn check<T: Send + Sync + 'static>() {}
    check::<Storage>();
    check::<StorageError>();
    check::<StorageConfig>();
}

#[tokio::test]
async fn file_uses_wal_and_survives_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.sqlite");
    let juliet = jid("juliet@example.com");
    {
        let s = Storage::open_sqlite(&path).await.unwrap();
        s.accounts()
            .create_with_password(&juliet, "pencil")
            .await
            .unwrap();
        s.map()
            .set(&juliet, "roster", "romeo@example.net", b"<item/>")
            .await
            .unwrap();
    }
    let conn = raw(&path);
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    drop(conn);
    // Reopening migrates nothing and keeps the data.
    let s = Storage::open_sqlite(&path).await.unwrap();
    let creds = s
        .accounts()
        .credentials(&juliet, ScramHash::Sha256)
        .await
        .unwrap()
        .unwrap();
    assert!(creds.verify_password(waxwing_sasl::PasswordPrep::OpaqueString, "pencil"));
    assert_eq!(
        s.map()
            .get(&juliet, "roster", "romeo@example.net")
            .await
            .unwrap(),
        Some(b"<item/>".to_vec())
    );
}

#[tokio::test]
async fn migrating_an_empty_file_twice_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.sqlite");
    std::fs::File::create(&path).unwrap(); // an existing, empty (0-byte) file
    drop(Storage::open_sqlite(&path).await.unwrap());
    let schema = |conn: &Connection| -> Vec<String> {
        let mut stmt = conn
            .prepare("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let versions = |conn: &Connection| -> Vec<i64> {
        let mut stmt = conn
            .prepare("SELECT version FROM schema_version ORDER BY version")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    };
    let conn = raw(&path);
    let first = schema(&conn);
    let expected: Vec<i64> = (1..=i64::from(SQLITE_SCHEMA_VERSION)).collect();
    assert_eq!(versions(&conn), expected);
    assert!(first.iter().any(|s| s.contains("CREATE TABLE archive")));
    drop(conn);
    drop(Storage::open_sqlite(&path).await.unwrap());
    let conn = raw(&path);
    assert_eq!(schema(&conn), first);
    assert_eq!(versions(&conn), expected);
}

#[tokio::test]
async fn newer_schema_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.sqlite");
    drop(Storage::open_sqlite(&path).await.unwrap());
    raw(&path)
        .execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, 0)",
            [i64::from(SQLITE_SCHEMA_VERSION) + 7],
        )
        .unwrap();
    let err = Storage::open_sqlite(&path).await.unwrap_err();
    assert!(
        matches!(err, StorageError::TooNewSchema { found, supported }
            if found == SQLITE_SCHEMA_VERSION + 7 && supported == SQLITE_SCHEMA_VERSION),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer"));
}

#[tokio::test]
async fn foreign_files_are_refused_without_panic() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-db.sqlite");
    std::fs::write(
        &path,
        b"this is not an SQLite database, just some text...........",
    )
    .unwrap();
    assert!(matches!(
        Storage::open_sqlite(&path).await,
        Err(StorageError::Backend { .. })
    ));
    // A directory that does not exist.
    assert!(matches!(
        Storage::open_sqlite(dir.path().join("missing/dir/w.sqlite")).await,
        Err(StorageError::Backend { .. })
    ));
    // A foreign table in the way of migration 1.
    let path = dir.path().join("foreign.sqlite");
    raw(&path)
        .execute_batch("CREATE TABLE accounts (name TEXT)")
        .unwrap();
    assert!(matches!(
        Storage::open_sqlite(&path).await,
        Err(StorageError::Migration { version: 1, .. })
    ));
}

#[tokio::test]
async fn corrupt_rows_are_errors_not_panics() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("corrupt.sqlite");
    let s = Storage::open_sqlite(&path).await.unwrap();
    let juliet = jid("juliet@example.com");
    s.accounts()
        .create_with_password(&juliet, "pencil")
        .await
        .unwrap();
    let conn = raw(&path);
    conn.execute_batch(
        "PRAGMA ignore_check_constraints = ON;
         INSERT INTO kv VALUES ('example.com', 'juliet', 'vcard', 'text, not a blob');
         INSERT INTO map VALUES ('example.com', 'juliet', 'roster', x'ff', x'00');
         INSERT INTO archive (domain, node, store, id, ts, with_jid, payload)
             VALUES ('example.com', 'juliet', 'mam', 'bad', 1, 'not a jid@', 'x');
         INSERT INTO archive (domain, node, store, id, ts, with_jid, payload)
             VALUES ('example.com', 'juliet', 'mam2', 'ts', 'yesterday', 'a@b', 'x');
         UPDATE scram_credentials SET iterations = -5 WHERE hash = 'SHA-1';
         UPDATE scram_credentials SET stored_key = x'00' WHERE hash = 'SHA-256';
         UPDATE accounts SET enabled = 7;
         INSERT INTO accounts VALUES ('example.com', 'Not Prepared', 1, 0);",
    )
    .unwrap();
    let corrupt = |r: Result<_, StorageError>, what: &str| match r {
        Err(StorageError::Corrupt { .. }) => {}
        Err(e) => panic!("{what}: expected Corrupt, got {e:?}"),
        Ok(()) => panic!("{what}: expected Corrupt, got a value"),
    };
    corrupt(s.kv().get(&juliet, "vcard").await.map(drop), "kv text");
    corrupt(
        s.map().list(&juliet, "roster").await.map(drop),
        "map key blob",
    );
    corrupt(
        s.archive()
            .query(&juliet, "mam", &ArchiveQuery::default())
            .await
            .map(drop),
        "with",
    );
    corrupt(
        s.archive().get(&juliet, "mam", "bad").await.map(drop),
        "with",
    );
    corrupt(
        s.archive()
            .query(&juliet, "mam2", &ArchiveQuery::default())
            .await
            .map(drop),
        "ts",
    );
    corrupt(
        s.accounts()
            .credentials(&juliet, ScramHash::Sha1)
            .await
            .map(drop),
        "iterations",
    );
    corrupt(
        s.accounts()
            .credentials(&juliet, ScramHash::Sha256)
            .await
            .map(drop),
        "key",
    );
    corrupt(s.accounts().account(&juliet).await.map(drop), "enabled");
    corrupt(
        s.accounts().list("example.com").await.map(drop),
        "localpart",
    );
    // Intact rows still read.
    assert!(
        s.accounts()
            .credentials(&juliet, ScramHash::Sha512)
            .await
            .unwrap()
            .is_some()
    );
}

#[tokio::test]
async fn config_from_toml() {
    #[derive(serde::Deserialize)]
    struct File {
        storage: StorageConfig,
    }
    let full: File = toml::from_str(
        r#"
        [storage]
        backend = "sqlite"
        path = "/var/lib/waxwing/waxwing.sqlite"
        synchronous = "normal"
        busy_timeout_ms = 250
        readers = 4
        "#,
    )
    .unwrap();
    let Backend::Sqlite(c) = &full.storage.backend else {
        panic!()
    };
    assert_eq!(c.path, Path::new("/var/lib/waxwing/waxwing.sqlite"));
    assert_eq!(c.synchronous, Synchronous::Normal);
    assert_eq!(c.busy_timeout_ms, 250);
    assert_eq!(c.readers, 4);

    let minimal: File =
        toml::from_str("[storage]\nbackend = \"sqlite\"\npath = \"w.sqlite\"\n").unwrap();
    assert_eq!(minimal.storage, StorageConfig::sqlite("w.sqlite"));
    let Backend::Sqlite(c) = &minimal.storage.backend else {
        panic!()
    };
    assert_eq!(c.synchronous, Synchronous::Full);
    assert_eq!(c, &SqliteConfig::new("w.sqlite"));

    for bad in [
        "[storage]\nbackend = \"oracle\"\npath = \"w\"\n",
        "[storage]\npath = \"w\"\n",
        "[storage]\nbackend = \"sqlite\"\n",
        "[storage]\nbackend = \"sqlite\"\npath = \"w\"\nsynchronous = \"off\"\n",
        "[storage]\nbackend = \"sqlite\"\npath = \"w\"\npaht = \"typo\"\n",
    ] {
        assert!(toml::from_str::<File>(bad).is_err(), "{bad}");
    }
}

#[tokio::test]
async fn config_is_checked_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let config = StorageConfig {
        backend: Backend::Sqlite(
            SqliteConfig::new(dir.path().join("w.sqlite"))
                .with_readers(waxwing_storage::MAX_READERS + 1),
        ),
    };
    assert!(matches!(
        Storage::open(&config).await,
        Err(StorageError::Config { .. })
    ));
    let config = StorageConfig {
        backend: Backend::Sqlite(
            SqliteConfig::new(dir.path().join("w.sqlite"))
                .with_busy_timeout_ms(10)
                .with_readers(1),
        ),
    };
    let s = Storage::open(&config).await.unwrap();
    s.kv()
        .set(&jid("example.com"), "motd", b"hello")
        .await
        .unwrap();
}

#[tokio::test]
async fn busy_timeout_bounds_the_wait_for_a_held_lock() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("busy.sqlite");
    let config = StorageConfig {
        backend: Backend::Sqlite(SqliteConfig::new(&path).with_busy_timeout_ms(100)),
    };
    let s = Storage::open(&config).await.unwrap();
    // Another process holds the write lock and does not let go.
    let conn = raw(&path);
    conn.execute_batch("BEGIN IMMEDIATE").unwrap();
    let started = std::time::Instant::now();
    let err = s
        .kv()
        .set(&jid("example.com"), "motd", b"x")
        .await
        .unwrap_err();
    assert!(matches!(err, StorageError::Backend { .. }), "{err:?}");
    assert!(started.elapsed() >= std::time::Duration::from_millis(90));
    // Reads are not blocked by a writer (WAL).
    assert_eq!(s.kv().get(&jid("example.com"), "motd").await.unwrap(), None);
    conn.execute_batch("COMMIT").unwrap();
    s.kv().set(&jid("example.com"), "motd", b"x").await.unwrap();
}

#[test]
fn no_runtime_is_an_error_not_a_panic() {
    // Poll the future by hand on a thread with no tokio runtime.
    let fut = Storage::memory();
    let mut fut = std::pin::pin!(fut);
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    match fut.as_mut().poll(&mut cx) {
        std::task::Poll::Ready(Err(StorageError::Task { .. })) => {}
        other => panic!("unexpected {:?}", other.map(|r| r.map(drop))),
    }
}
