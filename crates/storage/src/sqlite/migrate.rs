//! Versioned schema migrations: `migrations/sqlite/NNNN_name.sql`, applied in order in
//! one transaction and recorded in `schema_version`.

use rusqlite::{Connection, OptionalExtension as _, TransactionBehavior};

use super::db;
use crate::error::StorageError;
use crate::types::Timestamp;

/// One schema step.
struct Migration {
    version: u32,
    sql: &'static str,
}

/// Every migration, in order; versions are consecutive from 1.
const MIGRATIONS: &[Migration] = &[Migration {
    version: 1,
    sql: include_str!("../../migrations/sqlite/0001_initial.sql"),
}];

/// The schema version this build creates and understands.
pub(crate) const LATEST: u32 = 1;

/// Brings the database to [`LATEST`]; returns how many migrations ran.
///
/// The write lock is taken up front (`BEGIN IMMEDIATE`) and the version is read inside
/// the transaction, so two processes opening a new file at once migrate it once.
pub(crate) fn migrate(conn: &mut Connection) -> Result<usize, StorageError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_version (
             version    INTEGER PRIMARY KEY,
             applied_at INTEGER NOT NULL
         )",
    )
    .map_err(db)?;
    let current: Option<i64> = tx
        .query_row("SELECT max(version) FROM schema_version", [], |row| {
            row.get(0)
        })
        .optional()
        .map_err(|e| StorageError::corrupt("schema_version", e))?
        .flatten();
    let current = match current {
        None => 0,
        Some(v) => u32::try_from(v)
            .map_err(|_| StorageError::corrupt("schema_version", format!("version {v}")))?,
    };
    if current > LATEST {
        return Err(StorageError::TooNewSchema {
            found: current,
            supported: LATEST,
        });
    }
    let mut applied = 0;
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        let fail = |e: rusqlite::Error| StorageError::Migration {
            version: m.version,
            source: Box::new(e),
        };
        tx.execute_batch(m.sql).map_err(fail)?;
        tx.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, ?2)",
            (i64::from(m.version), Timestamp::now().as_unix_micros()),
        )
        .map_err(fail)?;
        applied += 1;
    }
    tx.commit().map_err(db)?;
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_are_consecutive_and_latest() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
        }
        assert_eq!(MIGRATIONS.last().map(|m| m.version), Some(LATEST));
    }

    #[test]
    fn every_migration_file_is_registered() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<(u32, String)> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .map(|p| {
                let name = p.file_name().unwrap().to_str().unwrap().to_owned();
                let version = name.get(..4).unwrap().parse().unwrap();
                (version, std::fs::read_to_string(&p).unwrap())
            })
            .collect();
        files.sort();
        let registered: Vec<(u32, String)> = MIGRATIONS
            .iter()
            .map(|m| (m.version, m.sql.to_owned()))
            .collect();
        assert_eq!(files, registered);
    }

    #[test]
    fn second_run_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), MIGRATIONS.len());
        assert_eq!(migrate(&mut conn).unwrap(), 0);
        let rows: i64 = conn
            .query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, i64::from(LATEST));
    }

    #[test]
    fn newer_schema_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO schema_version (version, applied_at) VALUES (?1, 0)",
            [i64::from(LATEST) + 1],
        )
        .unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(StorageError::TooNewSchema { found, supported: LATEST }) if found == LATEST + 1
        ));
    }

    #[test]
    fn failed_migration_rolls_back() {
        let mut conn = Connection::open_in_memory().unwrap();
        // A foreign table in the way makes 0001 fail; nothing of it may remain.
        conn.execute_batch("CREATE TABLE kv (x)").unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(StorageError::Migration { version: 1, .. })
        ));
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('accounts', 'schema_version')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0);
    }
}
