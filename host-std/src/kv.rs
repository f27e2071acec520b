//! The durable KV service: one SQLite file, one namespace per plugin.
//!
//! - **Crash-safe.** The store runs in WAL mode with `synchronous = FULL`: `kv_set`
//!   returns to the guest only after its transaction is committed and the WAL is
//!   synced, so an acknowledged write survives `kill -9` of the host (and a power cut,
//!   as far as the disk honours `fsync`).
//! - **Several processes.** Each write is one `BEGIN IMMEDIATE` transaction, which
//!   takes SQLite's write lock before reading the key count, so two processes sharing
//!   a store never exceed a cap or corrupt it; a writer waits up to
//!   [`BUSY_TIMEOUT`] (or less, when the call's deadline is nearer) for the lock,
//!   then the guest gets `-TIMEOUT`. Waiters poll for the lock every 0.1–0.4 ms
//!   rather than with SQLite's backoff to 100 ms, so under contention every writer
//!   progresses (`tests/kv.rs`: 16 writers, each commits within 2 s).
//! - **Caps.** Key count per namespace comes from the caller (`Limits::max_kv_keys`);
//!   key and value sizes are checked by the core before the store is reached.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use caplet_core::platform::KvStore;
use caplet_core::Code;
use rusqlite::{params, Connection, OpenFlags, OptionalExtension, TransactionBehavior};

/// How long a write waits for another process's write lock.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// The std [`KvStore`] on SQLite.
pub struct SqliteKv {
    conn: Mutex<Connection>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteKv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteKv")
            .field("path", &self.path)
            .finish()
    }
}

impl SqliteKv {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<SqliteKv, String> {
        let shown = path.display();
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| format!("cannot open KV store {shown}: {e}"))?;
        conn.busy_timeout(BUSY_TIMEOUT)
            .map_err(|e| format!("cannot set up KV store {shown}: {e}"))?;
        // Switching a fresh file to WAL and creating the table can meet another
        // opener's lock where SQLite returns BUSY without calling the busy handler
        // (a read lock upgraded to a write lock, WAL recovery). Such a set-up is
        // retried, with the whole of it idempotent, until BUSY_TIMEOUT.
        let until = Instant::now() + BUSY_TIMEOUT;
        let mut attempt = 0u64;
        loop {
            match set_up(&conn) {
                Ok(()) => break,
                Err(e) if is_busy(&e) && Instant::now() < until => {
                    attempt += 1;
                    std::thread::sleep(Duration::from_micros(200 + (attempt % 8) * 150));
                }
                Err(e) => return Err(format!("cannot set up KV store {shown}: {e}")),
            }
        }
        Ok(SqliteKv {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
        })
    }

    /// The store's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Number of keys in `namespace`.
    pub fn len(&self, namespace: &str) -> Result<usize, Code> {
        let conn = self.conn.lock().map_err(|_| Code::Internal)?;
        conn.query_row(
            "SELECT COUNT(*) FROM kv WHERE namespace = ?1",
            params![namespace],
            |r| r.get::<_, i64>(0),
        )
        .map(|n| n as usize)
        .map_err(|_| Code::Io)
    }
}

impl KvStore for SqliteKv {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, Code> {
        let conn = self.conn.lock().map_err(|_| Code::Internal)?;
        conn.query_row(
            "SELECT value FROM kv WHERE namespace = ?1 AND key = ?2",
            params![namespace, key],
            |r| r.get::<_, Vec<u8>>(0),
        )
        .optional()
        .map_err(|_| Code::Io)
    }

    fn set(&self, namespace: &str, key: &str, value: &[u8], max_keys: usize) -> Result<(), Code> {
        let mut conn = self.conn.lock().map_err(|_| Code::Internal)?;
        // Wait for another process's write lock no longer than the call has left.
        let wait = crate::deadline::call_time_left().map_or(BUSY_TIMEOUT, |l| l.min(BUSY_TIMEOUT));
        if wait.is_zero() {
            return Err(Code::Timeout);
        }
        // SQLite's own busy handler backs off to 100 ms sleeps: a waiter then looks
        // for the lock ten times a second while a busy writer commits thousands of
        // transactions, and waiters starve (7 of 16 writer processes got no write in
        // 5 s). Waiters here poll every 0.1–0.4 ms until the deadline, so the lock
        // goes round.
        let until = Instant::now() + wait;
        conn.busy_handler(Some(move |attempt: i32| {
            if Instant::now() >= until {
                return false;
            }
            let jitter = u64::from(attempt.unsigned_abs() % 4) * 100;
            std::thread::sleep(Duration::from_micros(100 + jitter));
            true
        }))
        .map_err(|_| Code::Io)?;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| busy_or_io(&e))?;
        let exists = tx
            .query_row(
                "SELECT 1 FROM kv WHERE namespace = ?1 AND key = ?2",
                params![namespace, key],
                |_| Ok(()),
            )
            .optional()
            .map_err(|_| Code::Io)?
            .is_some();
        if !exists {
            let count: i64 = tx
                .query_row(
                    "SELECT COUNT(*) FROM kv WHERE namespace = ?1",
                    params![namespace],
                    |r| r.get(0),
                )
                .map_err(|_| Code::Io)?;
            if count as usize >= max_keys {
                return Err(Code::Limit);
            }
        }
        tx.execute(
            "INSERT INTO kv (namespace, key, value) VALUES (?1, ?2, ?3)
             ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value",
            params![namespace, key, value],
        )
        .map_err(|_| Code::Io)?;
        tx.commit().map_err(|_| Code::Io)
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<(), Code> {
        let conn = self.conn.lock().map_err(|_| Code::Internal)?;
        let n = conn
            .execute(
                "DELETE FROM kv WHERE namespace = ?1 AND key = ?2",
                params![namespace, key],
            )
            .map_err(|_| Code::Io)?;
        if n == 0 {
            Err(Code::NotFound)
        } else {
            Ok(())
        }
    }
}

/// WAL mode, full sync and the table; each step is a no-op when already done.
fn set_up(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // No temporary files (a confined `caplet serve` writes only beneath its data).
    conn.pragma_update(None, "temp_store", "MEMORY")?;
    // IMMEDIATE takes the write lock first, so the schema read is never upgraded.
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         CREATE TABLE IF NOT EXISTS kv (
             namespace TEXT NOT NULL,
             key       TEXT NOT NULL,
             value     BLOB NOT NULL,
             PRIMARY KEY (namespace, key)
         ) WITHOUT ROWID;
         COMMIT;",
    )
    .inspect_err(|_| {
        let _ = conn.execute_batch("ROLLBACK;");
    })
}

fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked)
    )
}

fn busy_or_io(e: &rusqlite::Error) -> Code {
    if is_busy(e) {
        Code::Timeout
    } else {
        Code::Io
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn writes_are_synced_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let kv = super::SqliteKv::open(&dir.path().join("kv.sqlite")).unwrap();
        let conn = kv.conn.lock().unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let sync: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(
            (mode.as_str(), sync),
            ("wal", 2),
            "WAL with synchronous = FULL"
        );
    }
}

#[cfg(test)]
mod store_tests {
    use super::*;

    #[test]
    fn namespaces_caps_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("kv.sqlite");
        {
            let kv = SqliteKv::open(&path).unwrap();
            kv.set("a", "k", b"1", 2).unwrap();
            kv.set("a", "k", b"2", 2).unwrap(); // replace: not a new key
            kv.set("a", "j", b"x", 2).unwrap();
            assert_eq!(kv.set("a", "third", b"x", 2), Err(Code::Limit));
            kv.set("b", "k", b"other", 2).unwrap();
            assert_eq!(kv.get("a", "k").unwrap().as_deref(), Some(&b"2"[..]));
            assert_eq!(kv.get("b", "k").unwrap().as_deref(), Some(&b"other"[..]));
            assert_eq!(kv.delete("a", "missing"), Err(Code::NotFound));
            kv.delete("a", "j").unwrap();
            assert_eq!(kv.len("a").unwrap(), 1);
        }
        let kv = SqliteKv::open(&path).unwrap();
        assert_eq!(kv.get("a", "k").unwrap().as_deref(), Some(&b"2"[..]));
        assert_eq!(kv.get("a", "j").unwrap(), None);
        assert_eq!(kv.len("b").unwrap(), 1);
    }

    #[test]
    fn a_file_that_is_not_a_store_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("junk");
        std::fs::write(&path, vec![0x55u8; 4096]).unwrap();
        let e = SqliteKv::open(&path).unwrap_err();
        assert!(e.contains("junk"), "{e}");
    }
}

#[cfg(test)]
mod open_race_tests {
    use super::*;

    /// Several processes (here, connections on threads) opening a fresh store at
    /// once all get it: setting WAL mode and creating the table can meet another
    /// opener's lock in ways SQLite's busy handler does not cover (CI once failed
    /// with "database is locked" here).
    #[test]
    fn concurrent_first_opens_all_succeed() {
        for round in 0..40 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("kv.sqlite");
            let start = std::sync::Arc::new(std::sync::Barrier::new(6));
            let openers: Vec<_> = (0..6)
                .map(|_| {
                    let (path, start) = (path.clone(), start.clone());
                    std::thread::spawn(move || {
                        start.wait();
                        let kv = SqliteKv::open(&path)?;
                        kv.set("ns", "k", b"v", 10).map_err(|c| format!("{c:?}"))
                    })
                })
                .collect();
            for o in openers {
                if let Err(e) = o.join().unwrap() {
                    panic!("round {round}: {e}");
                }
            }
        }
    }
}
