//! The SQLite backend: one file, WAL mode, one writer connection and a few readers, used
//! from tokio's blocking pool — except point lookups, which run on the caller's thread when a
//! reader is free (see [`Sqlite::read_point`]).
//!
//! Several processes may share the file (the `waxwing` CLI while the server runs): WAL
//! lets readers proceed during a write, every write transaction takes the lock up front
//! (`BEGIN IMMEDIATE`, so `busy_timeout` applies instead of a deadlock-avoidance
//! `SQLITE_BUSY`), and `busy_timeout` makes writers wait for each other.

mod migrate;
mod stores;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, TryLockError};
use std::time::Duration;

use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags, Row, Transaction, TransactionBehavior};

use crate::blocking::run_blocking;
use crate::config::{MAX_READERS, SqliteConfig, Synchronous};
use crate::error::StorageError;

pub(crate) use migrate::LATEST as SCHEMA_VERSION;

/// The SQLite implementation of every store trait. Cheap to clone.
#[derive(Clone)]
pub(crate) struct Sqlite {
    pool: Arc<Pool>,
}

struct Pool {
    writer: Mutex<Connection>,
    /// Empty for an in-memory database (each connection would see its own).
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
}

impl Sqlite {
    /// Opens (creating if needed) and migrates the database file.
    pub(crate) async fn open(config: &SqliteConfig) -> Result<Self, StorageError> {
        if config.readers > MAX_READERS {
            return Err(StorageError::Config {
                reason: format!("readers = {} exceeds {MAX_READERS}", config.readers),
            });
        }
        let config = config.clone();
        run_blocking(move || {
            let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX;
            let mut writer = Connection::open_with_flags(&config.path, flags).map_err(db)?;
            configure(&writer, &config)?;
            let mode: String = retry_busy(&config, || {
                writer.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            })
            .map_err(db)?;
            if !mode.eq_ignore_ascii_case("wal") {
                return Err(StorageError::Config {
                    reason: format!(
                        "{} refused WAL mode (got {mode:?}); the CLI and the server could not share it",
                        config.path.display()
                    ),
                });
            }
            migrate::migrate(&mut writer)?;
            let mut readers = Vec::with_capacity(config.readers);
            for _ in 0..config.readers {
                let reader = Connection::open_with_flags(
                    &config.path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )
                .map_err(db)?;
                configure(&reader, &config)?;
                reader.pragma_update(None, "query_only", true).map_err(db)?;
                readers.push(Mutex::new(reader));
            }
            Ok(Self::from_connections(writer, readers))
        })
        .await
    }

    /// A fresh, migrated, private in-memory database (for tests).
    pub(crate) async fn memory() -> Result<Self, StorageError> {
        run_blocking(|| {
            let mut conn = Connection::open_in_memory().map_err(db)?;
            conn.pragma_update(None, "foreign_keys", true).map_err(db)?;
            stable_plans(&conn)?;
            migrate::migrate(&mut conn)?;
            Ok(Self::from_connections(conn, Vec::new()))
        })
        .await
    }

    fn from_connections(writer: Connection, readers: Vec<Mutex<Connection>>) -> Self {
        Self {
            pool: Arc::new(Pool {
                writer: Mutex::new(writer),
                readers,
                next_reader: AtomicUsize::new(0),
            }),
        }
    }

    /// Runs `f` in a write transaction, committed if `f` succeeds.
    async fn write<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T, StorageError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = Arc::clone(&self.pool);
        run_blocking(move || {
            let mut conn = lock(&pool.writer);
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db)?;
            let out = f(&tx)?;
            tx.commit().map_err(db)?;
            Ok(out)
        })
        .await
    }

    /// Runs `f` in a read transaction (one consistent snapshot).
    async fn read<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T, StorageError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = Arc::clone(&self.pool);
        run_blocking(move || {
            let mut conn = pool.reader();
            let tx = conn.transaction().map_err(db)?;
            let out = f(&tx)?;
            tx.commit().map_err(db)?;
            Ok(out)
        })
        .await
    }

    /// [`Sqlite::read`] for point lookups on the login and routing paths (credentials, one
    /// account's key-value entries): run on the calling thread when a connection is free. Such
    /// a read is a few index pages that SQLite and the OS keep cached, microseconds of work;
    /// handing it to the blocking pool costs more than that in thread wake-ups (measured:
    /// about 40% of a login's server CPU went to them). Scans and writes stay on the pool.
    async fn read_point<T, F>(&self, f: F) -> Result<T, StorageError>
    where
        F: FnOnce(&Transaction<'_>) -> Result<T, StorageError> + Send + 'static,
        T: Send + 'static,
    {
        if let Some(mut conn) = self.pool.try_reader() {
            let tx = conn.transaction().map_err(db)?;
            let out = f(&tx)?;
            tx.commit().map_err(db)?;
            return Ok(out);
        }
        self.read(f).await
    }
}

impl Pool {
    /// A reader that is free right now (the writer for an in-memory database), without waiting.
    fn try_reader(&self) -> Option<MutexGuard<'_, Connection>> {
        let candidates: &[Mutex<Connection>] = if self.readers.is_empty() {
            std::slice::from_ref(&self.writer)
        } else {
            &self.readers
        };
        candidates.iter().find_map(|c| match c.try_lock() {
            Ok(guard) => Some(guard),
            Err(TryLockError::Poisoned(poisoned)) => Some(poisoned.into_inner()),
            Err(TryLockError::WouldBlock) => None,
        })
    }

    /// A free reader if there is one, else waits for one in turn.
    fn reader(&self) -> MutexGuard<'_, Connection> {
        for reader in &self.readers {
            match reader.try_lock() {
                Ok(guard) => return guard,
                // A panic mid-transaction rolled the transaction back: still usable.
                Err(TryLockError::Poisoned(poisoned)) => return poisoned.into_inner(),
                Err(TryLockError::WouldBlock) => {}
            }
        }
        // All busy (or none, in memory): wait on one in turn; `checked_rem` is `None`
        // only when there are no readers.
        let n = self.next_reader.fetch_add(1, Ordering::Relaxed);
        match n
            .checked_rem(self.readers.len())
            .and_then(|i| self.readers.get(i))
        {
            Some(reader) => lock(reader),
            None => lock(&self.writer),
        }
    }
}

fn lock(conn: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    conn.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `f` again while SQLite answers `SQLITE_BUSY`, within the configured busy timeout.
/// Switching to WAL needs an exclusive lock, and when another connection (another process
/// opening the same new file, e.g. `waxwing user add` while the server starts) holds a
/// reserved lock, SQLite answers `SQLITE_BUSY` at once instead of calling the busy handler,
/// since waiting could deadlock.
fn retry_busy<T>(
    config: &SqliteConfig,
    mut f: impl FnMut() -> Result<T, rusqlite::Error>,
) -> Result<T, rusqlite::Error> {
    let deadline =
        std::time::Instant::now() + Duration::from_millis(u64::from(config.busy_timeout_ms));
    loop {
        match f() {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

/// Per-connection settings (they are not stored in the file).
fn configure(conn: &Connection, config: &SqliteConfig) -> Result<(), StorageError> {
    conn.busy_timeout(Duration::from_millis(u64::from(config.busy_timeout_ms)))
        .map_err(db)?;
    let sync = match config.synchronous {
        Synchronous::Full => "FULL",
        Synchronous::Normal => "NORMAL",
    };
    conn.pragma_update(None, "synchronous", sync).map_err(db)?;
    conn.pragma_update(None, "foreign_keys", true).map_err(db)?;
    stable_plans(conn)
}

/// The query planner stability guarantee: without it, SQLite (built with STAT4) marks cached
/// statements whose plan could depend on a bound value to be re-prepared whenever that value
/// changes — every `map` listing was parsed and planned again (about 120,000 instructions).
/// Our queries are equality lookups on key prefixes: their best plan never depends on values.
fn stable_plans(conn: &Connection) -> Result<(), StorageError> {
    conn.set_db_config(
        rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
        true,
    )
    .map_err(db)?;
    Ok(())
}

/// Wraps an engine error, keeping rusqlite out of the public types.
pub(crate) fn db(e: rusqlite::Error) -> StorageError {
    StorageError::backend(e)
}

/// Typed column readers: a value of the wrong type is corruption, not a panic.
pub(crate) fn col_text(
    row: &Row<'_>,
    idx: usize,
    table: &'static str,
) -> Result<String, StorageError> {
    match row.get_ref(idx) {
        Ok(ValueRef::Text(bytes)) => String::from_utf8(bytes.to_vec())
            .map_err(|_| StorageError::corrupt(table, format!("column {idx} is not UTF-8"))),
        Ok(other) => Err(StorageError::corrupt(
            table,
            format!("column {idx} has type {}", other.data_type()),
        )),
        Err(e) => Err(StorageError::corrupt(table, e)),
    }
}

pub(crate) fn col_blob(
    row: &Row<'_>,
    idx: usize,
    table: &'static str,
) -> Result<Vec<u8>, StorageError> {
    match row.get_ref(idx) {
        Ok(ValueRef::Blob(bytes)) => Ok(bytes.to_vec()),
        Ok(other) => Err(StorageError::corrupt(
            table,
            format!("column {idx} has type {}", other.data_type()),
        )),
        Err(e) => Err(StorageError::corrupt(table, e)),
    }
}

pub(crate) fn col_i64(row: &Row<'_>, idx: usize, table: &'static str) -> Result<i64, StorageError> {
    match row.get_ref(idx) {
        Ok(ValueRef::Integer(v)) => Ok(v),
        Ok(other) => Err(StorageError::corrupt(
            table,
            format!("column {idx} has type {}", other.data_type()),
        )),
        Err(e) => Err(StorageError::corrupt(table, e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn count(s: &Sqlite) -> i64 {
        s.read_point(|tx| {
            tx.query_row("SELECT count(*) FROM kv", [], |r| r.get(0))
                .map_err(db)
        })
        .await
        .unwrap()
    }

    // The reader is held across an await on purpose: another task must find it busy.
    #[allow(clippy::await_holding_lock)]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn point_reads_run_inline_or_wait_for_a_reader_and_see_commits() {
        let dir = tempfile::tempdir().unwrap();
        let s = Sqlite::open(&SqliteConfig::new(dir.path().join("db.sqlite")).with_readers(1))
            .await
            .unwrap();
        assert_eq!(count(&s).await, 0);
        s.write(|tx| {
            tx.execute(
                "INSERT INTO kv (domain, node, store, value) VALUES ('d', 'n', 's', x'00')",
                [],
            )
            .map_err(db)
            .map(drop)
        })
        .await
        .unwrap();
        // A free reader: answered on this thread, and the commit is visible.
        assert_eq!(count(&s).await, 1);
        // The only reader busy: the read goes to the blocking pool and waits for it.
        let guard = lock(&s.pool.readers[0]);
        let s2 = s.clone();
        let waiting = tokio::spawn(async move { count(&s2).await });
        tokio::task::yield_now().await;
        drop(guard);
        assert_eq!(waiting.await.unwrap(), 1);
    }
}
