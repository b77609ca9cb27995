-- Waxwing storage schema, version 1 (SQLite).
--
-- An owner is (domain, node) of a prepared bare JID; node is '' for data owned by a
-- domain itself, which cannot clash with a user because RFC 7622 §3.3 forbids an
-- empty localpart. Text compares bytewise (SQLite's BINARY collation), which is what
-- the stores promise for ordering.
-- Migrations run inside one transaction: no BEGIN/COMMIT and no PRAGMAs here.

CREATE TABLE accounts (
    domain     TEXT    NOT NULL,
    node       TEXT    NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
    created_at INTEGER NOT NULL, -- microseconds since the Unix epoch
    PRIMARY KEY (domain, node)
) WITHOUT ROWID;

-- RFC 5802 §3 StoredKey/ServerKey per hash; never the password.
CREATE TABLE scram_credentials (
    domain     TEXT    NOT NULL,
    node       TEXT    NOT NULL,
    hash       TEXT    NOT NULL, -- 'SHA-1', 'SHA-256', 'SHA-512'
    salt       BLOB    NOT NULL,
    iterations INTEGER NOT NULL,
    stored_key BLOB    NOT NULL,
    server_key BLOB    NOT NULL,
    PRIMARY KEY (domain, node, hash),
    FOREIGN KEY (domain, node) REFERENCES accounts (domain, node) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE kv (
    domain TEXT NOT NULL,
    node   TEXT NOT NULL,
    store  TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (domain, node, store)
) WITHOUT ROWID;

CREATE TABLE map (
    domain TEXT NOT NULL,
    node   TEXT NOT NULL,
    store  TEXT NOT NULL,
    key    TEXT NOT NULL,
    value  BLOB NOT NULL,
    PRIMARY KEY (domain, node, store, key)
) WITHOUT ROWID;

-- seq is internal (cheap deletes by position); the public id is the `id` column.
CREATE TABLE archive (
    seq      INTEGER PRIMARY KEY,
    domain   TEXT    NOT NULL,
    node     TEXT    NOT NULL,
    store    TEXT    NOT NULL,
    id       TEXT    NOT NULL,
    ts       INTEGER NOT NULL, -- microseconds since the Unix epoch
    with_jid TEXT    NOT NULL,
    payload  TEXT    NOT NULL,
    UNIQUE (domain, node, store, id)
);
CREATE INDEX archive_by_time ON archive (domain, node, store, ts, id);
CREATE INDEX archive_by_with ON archive (domain, node, store, with_jid, ts, id);
