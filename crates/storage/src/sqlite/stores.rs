//! The store traits over the schema of `migrations/sqlite/`.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension as _, Params, Row, params_from_iter};
use waxwing_jid::BareJid;
use waxwing_sasl::{ScramCredentials, ScramHash};

use super::{Sqlite, col_blob, col_i64, col_text, db};
use crate::error::{Entity, StorageError};
use crate::traits::{AccountStore, ArchiveStore, KeyValueStore, MapStore};
use crate::types::{
    Account, AccountStatus, ArchiveItem, ArchivePage, ArchiveQuery, CredentialSet, NewArchiveItem,
    Timestamp, check_store_name, user_node,
};

/// An owner as stored: node is `""` for a domain's own data.
#[derive(Clone)]
struct Owner {
    domain: String,
    node: String,
}

impl Owner {
    fn of(jid: &BareJid) -> Self {
        Self {
            domain: jid.domain().to_owned(),
            node: jid.node().unwrap_or_default().to_owned(),
        }
    }

    fn user(jid: &BareJid) -> Result<Self, StorageError> {
        Ok(Self {
            domain: jid.domain().to_owned(),
            node: user_node(jid)?.to_owned(),
        })
    }
}

/// The first row, mapped; `None` if there is none.
fn first<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    f: impl FnOnce(&Row<'_>) -> Result<T, StorageError>,
) -> Result<Option<T>, StorageError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db)?;
    let mut rows = stmt.query(params).map_err(db)?;
    match rows.next().map_err(db)? {
        Some(row) => f(row).map(Some),
        None => Ok(None),
    }
}

/// Every row, mapped.
fn all<T, P: Params>(
    conn: &Connection,
    sql: &str,
    params: P,
    mut f: impl FnMut(&Row<'_>) -> Result<T, StorageError>,
) -> Result<Vec<T>, StorageError> {
    let mut stmt = conn.prepare_cached(sql).map_err(db)?;
    let mut rows = stmt.query(params).map_err(db)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(db)? {
        out.push(f(row)?);
    }
    Ok(out)
}

fn changed(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

#[async_trait]
impl KeyValueStore for Sqlite {
    async fn get(&self, owner: &BareJid, store: &str) -> Result<Option<Vec<u8>>, StorageError> {
        check_store_name(store)?;
        let (o, store) = (Owner::of(owner), store.to_owned());
        self.read_point(move |tx| {
            first(
                tx,
                "SELECT value FROM kv WHERE domain = ?1 AND node = ?2 AND store = ?3",
                (&o.domain, &o.node, &store),
                |row| col_blob(row, 0, "kv"),
            )
        })
        .await
    }

    async fn set(&self, owner: &BareJid, store: &str, value: &[u8]) -> Result<(), StorageError> {
        check_store_name(store)?;
        let (o, store, value) = (Owner::of(owner), store.to_owned(), value.to_vec());
        self.write(move |tx| {
            tx.prepare_cached(
                "INSERT INTO kv (domain, node, store, value) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT (domain, node, store) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut s| s.execute((&o.domain, &o.node, &store, &value)))
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn set_many(
        &self,
        store: &str,
        values: &[(BareJid, Vec<u8>)],
    ) -> Result<(), StorageError> {
        check_store_name(store)?;
        if values.is_empty() {
            return Ok(());
        }
        let store = store.to_owned();
        let values: Vec<(Owner, Vec<u8>)> = values
            .iter()
            .map(|(owner, value)| (Owner::of(owner), value.clone()))
            .collect();
        self.write(move |tx| {
            let mut s = tx
                .prepare_cached(
                    "INSERT INTO kv (domain, node, store, value) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (domain, node, store) DO UPDATE SET value = excluded.value",
                )
                .map_err(db)?;
            for (o, value) in &values {
                s.execute((&o.domain, &o.node, &store, value)).map_err(db)?;
            }
            Ok(())
        })
        .await
    }

    async fn delete(&self, owner: &BareJid, store: &str) -> Result<bool, StorageError> {
        check_store_name(store)?;
        let (o, store) = (Owner::of(owner), store.to_owned());
        self.write(move |tx| {
            let n = tx
                .prepare_cached("DELETE FROM kv WHERE domain = ?1 AND node = ?2 AND store = ?3")
                .and_then(|mut s| s.execute((&o.domain, &o.node, &store)))
                .map_err(db)?;
            Ok(n > 0)
        })
        .await
    }
}

#[async_trait]
impl MapStore for Sqlite {
    async fn get(
        &self,
        owner: &BareJid,
        store: &str,
        key: &str,
    ) -> Result<Option<Vec<u8>>, StorageError> {
        check_store_name(store)?;
        let (o, store, key) = (Owner::of(owner), store.to_owned(), key.to_owned());
        self.read_point(move |tx| {
            first(
                tx,
                "SELECT value FROM map WHERE domain = ?1 AND node = ?2 AND store = ?3 AND key = ?4",
                (&o.domain, &o.node, &store, &key),
                |row| col_blob(row, 0, "map"),
            )
        })
        .await
    }

    async fn set(
        &self,
        owner: &BareJid,
        store: &str,
        key: &str,
        value: &[u8],
    ) -> Result<(), StorageError> {
        check_store_name(store)?;
        let (o, store) = (Owner::of(owner), store.to_owned());
        let (key, value) = (key.to_owned(), value.to_vec());
        self.write(move |tx| {
            tx.prepare_cached(
                "INSERT INTO map (domain, node, store, key, value) VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (domain, node, store, key) DO UPDATE SET value = excluded.value",
            )
            .and_then(|mut s| s.execute((&o.domain, &o.node, &store, &key, &value)))
            .map_err(db)?;
            Ok(())
        })
        .await
    }

    async fn delete(&self, owner: &BareJid, store: &str, key: &str) -> Result<bool, StorageError> {
        check_store_name(store)?;
        let (o, store, key) = (Owner::of(owner), store.to_owned(), key.to_owned());
        self.write(move |tx| {
            let n = tx
                .prepare_cached(
                    "DELETE FROM map WHERE domain = ?1 AND node = ?2 AND store = ?3 AND key = ?4",
                )
                .and_then(|mut s| s.execute((&o.domain, &o.node, &store, &key)))
                .map_err(db)?;
            Ok(n > 0)
        })
        .await
    }

    async fn list(
        &self,
        owner: &BareJid,
        store: &str,
    ) -> Result<Vec<(String, Vec<u8>)>, StorageError> {
        check_store_name(store)?;
        let (o, store) = (Owner::of(owner), store.to_owned());
        self.read_point(move |tx| {
            all(
                tx,
                "SELECT key, value FROM map WHERE domain = ?1 AND node = ?2 AND store = ?3
                 ORDER BY key",
                (&o.domain, &o.node, &store),
                |row| Ok((col_text(row, 0, "map")?, col_blob(row, 1, "map")?)),
            )
        })
        .await
    }

    async fn delete_all(&self, owner: &BareJid, store: &str) -> Result<u64, StorageError> {
        check_store_name(store)?;
        let (o, store) = (Owner::of(owner), store.to_owned());
        self.write(move |tx| {
            tx.prepare_cached("DELETE FROM map WHERE domain = ?1 AND node = ?2 AND store = ?3")
                .and_then(|mut s| s.execute((&o.domain, &o.node, &store)))
                .map(changed)
                .map_err(db)
        })
        .await
    }
}

/// The `WHERE` clause and its parameters for an archive query's filters.
fn archive_filter(
    conn: &Connection,
    o: &Owner,
    store: &str,
    q: &ArchiveQuery,
) -> Result<(String, Vec<Value>), StorageError> {
    let mut sql = String::from("domain = ? AND node = ? AND store = ?");
    let mut params = vec![
        Value::Text(o.domain.clone()),
        Value::Text(o.node.clone()),
        Value::Text(store.to_owned()),
    ];
    if let Some(start) = q.start {
        sql.push_str(" AND ts >= ?");
        params.push(Value::Integer(start.as_unix_micros()));
    }
    if let Some(end) = q.end {
        sql.push_str(" AND ts <= ?");
        params.push(Value::Integer(end.as_unix_micros()));
    }
    if let Some(with) = &q.with {
        sql.push_str(" AND with_jid = ?");
        params.push(Value::Text(with.as_str().to_owned()));
    }
    // Row values compare lexicographically: strictly after (ts, id) of the anchor.
    for (anchor, op) in [(&q.after_id, ">"), (&q.before_id, "<")] {
        if let Some(id) = anchor {
            let (ts, id) = first(
                conn,
                "SELECT ts, id FROM archive WHERE domain = ?1 AND node = ?2 AND store = ?3 AND id = ?4",
                (&o.domain, &o.node, store, id),
                |row| Ok((col_i64(row, 0, "archive")?, col_text(row, 1, "archive")?)),
            )?
            .ok_or(StorageError::NotFound {
                entity: Entity::ArchiveItem,
            })?;
            sql.push_str(" AND (ts, id) ");
            sql.push_str(op);
            sql.push_str(" (?, ?)");
            params.push(Value::Integer(ts));
            params.push(Value::Text(id));
        }
    }
    Ok((sql, params))
}

fn order(q: &ArchiveQuery) -> &'static str {
    if q.reverse {
        "ORDER BY ts DESC, id DESC"
    } else {
        "ORDER BY ts ASC, id ASC"
    }
}

/// `LIMIT` operand: SQLite treats a negative limit as none.
fn sql_limit(limit: Option<usize>, extra: usize) -> i64 {
    limit.map_or(-1, |l| {
        i64::try_from(l)
            .unwrap_or(i64::MAX)
            .saturating_add(i64::try_from(extra).unwrap_or(0))
    })
}

fn archive_item(row: &Row<'_>) -> Result<ArchiveItem, StorageError> {
    let with = col_text(row, 2, "archive")?;
    Ok(ArchiveItem {
        id: col_text(row, 0, "archive")?,
        timestamp: Timestamp::from_unix_micros(col_i64(row, 1, "archive")?),
        with: BareJid::parse(&with)
            .map_err(|e| StorageError::corrupt("archive", format!("with {with:?}: {e}")))?,
        payload: col_text(row, 3, "archive")?,
    })
}

#[async_trait]
impl ArchiveStore for Sqlite {
    async fn append(
        &self,
        owner: &BareJid,
        store: &str,
        item: NewArchiveItem,
    ) -> Result<String, StorageError> {
        check_store_name(store)?;
        let id = match item.id {
            Some(id) if id.is_empty() => {
                return Err(StorageError::InvalidInput {
                    reason: "empty archive item id",
                });
            }
            Some(id) => id,
            None => uuid::Uuid::now_v7().to_string(),
        };
        let (o, store) = (Owner::of(owner), store.to_owned());
        let with = item.with.as_str().to_owned();
        let (ts, payload) = (item.timestamp.as_unix_micros(), item.payload);
        self.write(move |tx| {
            let n = tx
                .prepare_cached(
                    "INSERT INTO archive (domain, node, store, id, ts, with_jid, payload)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT DO NOTHING",
                )
                .and_then(|mut s| s.execute((&o.domain, &o.node, &store, &id, ts, &with, &payload)))
                .map_err(db)?;
            if n == 0 {
                return Err(StorageError::Conflict {
                    entity: Entity::ArchiveItem,
                });
            }
            Ok(id)
        })
        .await
    }

    async fn get(
        &self,
        owner: &BareJid,
        store: &str,
        id: &str,
    ) -> Result<Option<ArchiveItem>, StorageError> {
        check_store_name(store)?;
        let (o, store, id) = (Owner::of(owner), store.to_owned(), id.to_owned());
        self.read(move |tx| {
            first(
                tx,
                "SELECT id, ts, with_jid, payload FROM archive
                 WHERE domain = ?1 AND node = ?2 AND store = ?3 AND id = ?4",
                (&o.domain, &o.node, &store, &id),
                archive_item,
            )
        })
        .await
    }

    async fn query(
        &self,
        owner: &BareJid,
        store: &str,
        query: &ArchiveQuery,
    ) -> Result<ArchivePage, StorageError> {
        check_store_name(store)?;
        let (o, store, q) = (Owner::of(owner), store.to_owned(), query.clone());
        self.read(move |tx| {
            let (filter, mut params) = archive_filter(tx, &o, &store, &q)?;
            // One extra row tells whether the page is the last one.
            params.push(Value::Integer(sql_limit(q.limit, 1)));
            let sql = format!(
                "SELECT id, ts, with_jid, payload FROM archive WHERE {filter} {} LIMIT ?",
                order(&q)
            );
            let mut items = all(tx, &sql, params_from_iter(params), archive_item)?;
            let complete = match q.limit {
                Some(limit) if items.len() > limit => {
                    items.truncate(limit);
                    false
                }
                _ => true,
            };
            Ok(ArchivePage { items, complete })
        })
        .await
    }

    async fn count(
        &self,
        owner: &BareJid,
        store: &str,
        query: &ArchiveQuery,
    ) -> Result<u64, StorageError> {
        check_store_name(store)?;
        let (o, store, q) = (Owner::of(owner), store.to_owned(), query.clone());
        self.read(move |tx| {
            let (filter, params) = archive_filter(tx, &o, &store, &q)?;
            let sql = format!("SELECT count(*) FROM archive WHERE {filter}");
            let n = first(tx, &sql, params_from_iter(params), |row| {
                col_i64(row, 0, "archive")
            })?
            .unwrap_or(0);
            u64::try_from(n).map_err(|_| StorageError::corrupt("archive", "negative count"))
        })
        .await
    }

    async fn delete(
        &self,
        owner: &BareJid,
        store: &str,
        query: &ArchiveQuery,
    ) -> Result<u64, StorageError> {
        check_store_name(store)?;
        let (o, store, q) = (Owner::of(owner), store.to_owned(), query.clone());
        self.write(move |tx| {
            let (filter, mut params) = archive_filter(tx, &o, &store, &q)?;
            params.push(Value::Integer(sql_limit(q.limit, 0)));
            let sql = format!(
                "DELETE FROM archive WHERE seq IN
                 (SELECT seq FROM archive WHERE {filter} {} LIMIT ?)",
                order(&q)
            );
            tx.prepare_cached(&sql)
                .and_then(|mut s| s.execute(params_from_iter(params)))
                .map(changed)
                .map_err(db)
        })
        .await
    }

    async fn delete_owner(&self, owner: &BareJid) -> Result<u64, StorageError> {
        let o = Owner::of(owner);
        self.write(move |tx| {
            tx.prepare_cached("DELETE FROM archive WHERE domain = ?1 AND node = ?2")
                .and_then(|mut s| s.execute((&o.domain, &o.node)))
                .map(changed)
                .map_err(db)
        })
        .await
    }
}

fn insert_credentials(
    conn: &Connection,
    o: &Owner,
    credentials: &CredentialSet,
) -> Result<(), StorageError> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO scram_credentials
                 (domain, node, hash, salt, iterations, stored_key, server_key)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )
        .map_err(db)?;
    for c in credentials.iter() {
        stmt.execute((
            &o.domain,
            &o.node,
            c.hash.name(),
            &c.salt,
            i64::from(c.iterations),
            &c.stored_key,
            &c.server_key,
        ))
        .map_err(db)?;
    }
    Ok(())
}

fn account_exists(conn: &Connection, o: &Owner) -> Result<bool, StorageError> {
    conn.prepare_cached("SELECT 1 FROM accounts WHERE domain = ?1 AND node = ?2")
        .and_then(|mut s| s.query_row((&o.domain, &o.node), |_| Ok(())).optional())
        .map(|found| found.is_some())
        .map_err(db)
}

fn not_found() -> StorageError {
    StorageError::NotFound {
        entity: Entity::Account,
    }
}

#[async_trait]
impl AccountStore for Sqlite {
    async fn create(
        &self,
        user: &BareJid,
        credentials: &CredentialSet,
    ) -> Result<(), StorageError> {
        let o = Owner::user(user)?;
        let credentials = credentials.clone();
        self.write(move |tx| {
            let n = tx
                .prepare_cached(
                    "INSERT INTO accounts (domain, node, enabled, created_at)
                     VALUES (?1, ?2, 1, ?3) ON CONFLICT DO NOTHING",
                )
                .and_then(|mut s| {
                    s.execute((&o.domain, &o.node, Timestamp::now().as_unix_micros()))
                })
                .map_err(db)?;
            if n == 0 {
                return Err(StorageError::Conflict {
                    entity: Entity::Account,
                });
            }
            insert_credentials(tx, &o, &credentials)
        })
        .await
    }

    async fn credentials(
        &self,
        user: &BareJid,
        hash: ScramHash,
    ) -> Result<Option<ScramCredentials>, StorageError> {
        let o = Owner::user(user)?;
        self.read_point(move |tx| {
            first(
                tx,
                "SELECT salt, iterations, stored_key, server_key FROM scram_credentials
                 WHERE domain = ?1 AND node = ?2 AND hash = ?3",
                (&o.domain, &o.node, hash.name()),
                |row| {
                    let iterations = col_i64(row, 1, "scram_credentials")?;
                    let iterations = u32::try_from(iterations).map_err(|_| {
                        StorageError::corrupt(
                            "scram_credentials",
                            format!("iterations {iterations}"),
                        )
                    })?;
                    ScramCredentials::from_parts(
                        hash,
                        col_blob(row, 0, "scram_credentials")?,
                        iterations,
                        col_blob(row, 2, "scram_credentials")?,
                        col_blob(row, 3, "scram_credentials")?,
                    )
                    .map_err(|e| StorageError::corrupt("scram_credentials", e))
                },
            )
        })
        .await
    }

    async fn set_credentials(
        &self,
        user: &BareJid,
        credentials: &CredentialSet,
    ) -> Result<(), StorageError> {
        let o = Owner::user(user)?;
        let credentials = credentials.clone();
        self.write(move |tx| {
            if !account_exists(tx, &o)? {
                return Err(not_found());
            }
            tx.prepare_cached("DELETE FROM scram_credentials WHERE domain = ?1 AND node = ?2")
                .and_then(|mut s| s.execute((&o.domain, &o.node)))
                .map_err(db)?;
            insert_credentials(tx, &o, &credentials)
        })
        .await
    }

    async fn delete(&self, user: &BareJid) -> Result<(), StorageError> {
        let o = Owner::user(user)?;
        self.write(move |tx| {
            // Dependent rows first; scram_credentials would also go by the foreign key.
            for table in ["scram_credentials", "kv", "map", "archive"] {
                tx.prepare_cached(&format!(
                    "DELETE FROM {table} WHERE domain = ?1 AND node = ?2"
                ))
                .and_then(|mut s| s.execute((&o.domain, &o.node)))
                .map_err(db)?;
            }
            let n = tx
                .prepare_cached("DELETE FROM accounts WHERE domain = ?1 AND node = ?2")
                .and_then(|mut s| s.execute((&o.domain, &o.node)))
                .map_err(db)?;
            // Nothing to delete means nothing was: the transaction is rolled back anyway.
            if n == 0 {
                return Err(not_found());
            }
            Ok(())
        })
        .await
    }

    async fn exists(&self, user: &BareJid) -> Result<bool, StorageError> {
        let o = Owner::user(user)?;
        self.read_point(move |tx| account_exists(tx, &o)).await
    }

    async fn account(&self, user: &BareJid) -> Result<Option<Account>, StorageError> {
        let o = Owner::user(user)?;
        let jid = user.clone();
        self.read_point(move |tx| {
            first(
                tx,
                "SELECT enabled, created_at FROM accounts WHERE domain = ?1 AND node = ?2",
                (&o.domain, &o.node),
                |row| {
                    let status = match col_i64(row, 0, "accounts")? {
                        1 => AccountStatus::Enabled,
                        0 => AccountStatus::Disabled,
                        other => {
                            return Err(StorageError::corrupt(
                                "accounts",
                                format!("enabled = {other}"),
                            ));
                        }
                    };
                    Ok(Account {
                        jid,
                        status,
                        created: Timestamp::from_unix_micros(col_i64(row, 1, "accounts")?),
                    })
                },
            )
        })
        .await
    }

    async fn list(&self, domain: &str) -> Result<Vec<BareJid>, StorageError> {
        let domain = BareJid::from_parts(None, domain)
            .map_err(|_| StorageError::InvalidInput {
                reason: "not a valid domain",
            })?
            .domain()
            .to_owned();
        self.read(move |tx| {
            all(
                tx,
                "SELECT node FROM accounts WHERE domain = ?1 ORDER BY node",
                [&domain],
                |row| {
                    let node = col_text(row, 0, "accounts")?;
                    BareJid::from_parts(Some(&node), &domain).map_err(|e| {
                        StorageError::corrupt("accounts", format!("localpart {node:?}: {e}"))
                    })
                },
            )
        })
        .await
    }

    async fn set_status(&self, user: &BareJid, status: AccountStatus) -> Result<(), StorageError> {
        let o = Owner::user(user)?;
        let enabled = i64::from(status == AccountStatus::Enabled);
        self.write(move |tx| {
            let n = tx
                .prepare_cached("UPDATE accounts SET enabled = ?3 WHERE domain = ?1 AND node = ?2")
                .and_then(|mut s| s.execute((&o.domain, &o.node, enabled)))
                .map_err(db)?;
            if n == 0 {
                return Err(not_found());
            }
            Ok(())
        })
        .await
    }
}
