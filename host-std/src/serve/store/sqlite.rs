//! The SQLite run store (the default): one file under `--data`, WAL mode.
//! With [`Durability::Process`] commits are appended to the WAL without `fsync`
//! (`synchronous = NORMAL`): a killed process loses nothing, the operating system
//! still has the writes. With [`Durability::Power`] every commit is synced
//! (`synchronous = FULL`).

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{now_ms, Admitted, Durability, RunRecord, Runs, StoreError, Write, Written};

/// The SQLite run store.
pub struct SqliteRuns {
    conn: Mutex<Connection>,
    path: std::path::PathBuf,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for SqliteRuns {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    }
}

/// How often the background checkpoint runs.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// WAL frames (pages) beyond which the checkpoint empties the WAL: 16 MiB of
/// 4 KiB pages.
const MAX_WAL_FRAMES: i64 = 4096;

impl std::fmt::Debug for SqliteRuns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteRuns").finish_non_exhaustive()
    }
}

impl SqliteRuns {
    /// Opens (or creates) the store at `path`.
    ///
    /// Opening does not touch the runs in it: a starting service calls
    /// [`Runs::interrupt_unfinished`] itself (`caplet serve --prune` does not, so it
    /// is safe beside a running service).
    pub fn open(path: &Path, durability: Durability) -> Result<SqliteRuns, StoreError> {
        let conn = Connection::open(path)
            .map_err(|e| StoreError(format!("cannot open run store {}: {e}", path.display())))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        // Records are ~600 bytes, so a 4 KiB page holds few and a move of the
        // run journal wrote a WAL frame (a system call) per ~5 runs: 16 KiB pages
        // take a quarter of the frames. Applies when the database is created.
        conn.pragma_update(None, "page_size", 16384)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        let sync = match durability {
            Durability::Process => "NORMAL",
            Durability::Power => "FULL",
        };
        conn.pragma_update(None, "synchronous", sync)?;
        // No temporary files: a confined service may write only beneath --data.
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        // Few B-trees per run, since each page a commit touches is written to the
        // WAL: runs are one B-tree keyed by id (UUIDv7, so new runs go to its
        // right edge), with a small partial index of the unfinished ones. Pruning
        // scans (hourly) rather than keep an index on every insert.
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS runs (
                 id         TEXT PRIMARY KEY,
                 tenant     TEXT NOT NULL,
                 status     TEXT NOT NULL,
                 created_ms INTEGER NOT NULL,
                 record     TEXT NOT NULL
             ) WITHOUT ROWID;
             CREATE INDEX IF NOT EXISTS runs_unfinished ON runs (status)
                 WHERE status IN ('queued', 'running');
             CREATE TABLE IF NOT EXISTS idempotency (
                 tenant    TEXT NOT NULL,
                 key       TEXT NOT NULL,
                 body_sha  TEXT NOT NULL,
                 run_id    TEXT NOT NULL,
                 PRIMARY KEY (tenant, key)
             ) WITHOUT ROWID;",
        )?;
        Ok(SqliteRuns {
            conn: Mutex::new(conn),
            path: path.to_path_buf(),
            stop: Default::default(),
        })
    }

    /// Stores the final records of journaled runs (see [`super::journal`]), in
    /// one transaction. A run already stored is left as it is: a segment read back
    /// after a kill may hold records an ingest had stored just before.
    pub fn insert_journaled(&self, runs: &[super::journal::Journaled]) -> Result<(), StoreError> {
        if runs.is_empty() {
            return Ok(());
        }
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            // Rows go in by statements of up to `ROWS` rows: one statement's
            // step and reset serve many rows.
            const ROWS: usize = 32;
            for chunk in runs.chunks(ROWS) {
                let created: Vec<i64> = chunk.iter().map(|r| r.created_ms as i64).collect();
                // Serialised by serde_json: UTF-8, stored as text.
                let texts = chunk
                    .iter()
                    .map(|r| {
                        std::str::from_utf8(&r.record).map_err(|e| {
                            StoreError(format!("run {}: record is not UTF-8: {e}", r.id))
                        })
                    })
                    .collect::<Result<Vec<&str>, StoreError>>()?;
                let mut params: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(chunk.len() * 5);
                for (i, r) in chunk.iter().enumerate() {
                    params.extend_from_slice(&[
                        &r.id,
                        &r.tenant,
                        &r.status,
                        &created[i],
                        &texts[i],
                    ]);
                }
                let sql = format!(
                    "INSERT OR IGNORE INTO runs (id, tenant, status, created_ms, record) VALUES {}",
                    vec!["(?,?,?,?,?)"; chunk.len()].join(",")
                );
                let mut st = tx.prepare_cached(&sql)?;
                st.execute(params.as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Runs for SqliteRuns {
    fn interrupt_unfinished(&self) -> Result<usize, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let unfinished: Vec<(String, String)> = {
            let mut st =
                tx.prepare("SELECT id, record FROM runs WHERE status IN ('queued', 'running')")?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        let now = now_ms();
        for (id, text) in &unfinished {
            let mut rec: RunRecord = serde_json::from_str(text)?;
            rec.interrupt(now);
            tx.execute(
                "UPDATE runs SET status = ?2, record = ?3 WHERE id = ?1",
                params![id, rec.status, serde_json::to_string(&rec)?],
            )?;
        }
        tx.commit()?;
        Ok(unfinished.len())
    }

    /// Records an admitted run; with an idempotency key, only if the key is new.
    fn admit(
        &self,
        tenant: &str,
        rec: &RunRecord,
        idempotency: Option<(&str, &str)>,
    ) -> Result<Admitted, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let a = admit_in(&tx, tenant, rec, idempotency)?;
        tx.commit()?;
        Ok(a)
    }

    /// Writes a run's new state.
    fn update(&self, rec: &RunRecord) -> Result<(), StoreError> {
        let conn = self.lock();
        update_in(&conn, rec)
    }

    /// Moves checkpoints off the commit path: the writing connection stops
    /// checkpointing, and a thread of its own copies the WAL back into the database
    /// every 250 ms (`PASSIVE`: it never blocks a writer). A commit then never
    /// waits for a checkpoint's `fsync`.
    fn start_background(&self) -> Result<(), StoreError> {
        let checkpointer = Connection::open(&self.path)?;
        checkpointer.busy_timeout(Duration::from_secs(5))?;
        self.lock().pragma_update(None, "wal_autocheckpoint", 0)?;
        let stop = self.stop.clone();
        std::thread::Builder::new()
            .name("caplet-checkpoint".into())
            .spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    std::thread::sleep(CHECKPOINT_EVERY);
                    // (busy, frames in the WAL, frames checkpointed)
                    let passive =
                        checkpointer.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                            Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?))
                        });
                    let frames = match passive {
                        Ok((_, frames)) => frames,
                        Err(e) => {
                            tracing::warn!(error = %e, "run store checkpoint failed");
                            continue;
                        }
                    };
                    // A writer that never pauses keeps the WAL from restarting:
                    // past the cap, a TRUNCATE checkpoint holds writers back
                    // briefly (most frames are copied already) and empties it.
                    if frames > MAX_WAL_FRAMES {
                        if let Err(e) =
                            checkpointer.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                                r.get::<_, i64>(0)
                            })
                        {
                            tracing::warn!(error = %e, "run store checkpoint failed");
                        }
                    }
                }
            })
            .map_err(|e| StoreError(format!("cannot start the checkpoint thread: {e}")))?;
        Ok(())
    }

    /// One transaction for the whole batch: one commit (and with
    /// [`Durability::Power`] one `fsync`) for many runs.
    fn write_batch(&self, writes: &[Write<'_>]) -> Vec<Result<Written, StoreError>> {
        let mut conn = self.lock();
        let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
            Ok(tx) => tx,
            Err(e) => {
                let e = StoreError::from(e);
                return writes.iter().map(|_| Err(e.clone())).collect();
            }
        };
        let results: Vec<Result<Written, StoreError>> = writes
            .iter()
            .map(|w| match w {
                Write::Admit {
                    tenant,
                    rec,
                    idempotency,
                } => admit_in(&tx, tenant, rec, *idempotency).map(Written::Admitted),
                Write::Update(rec) => update_in(&tx, rec).map(|()| Written::Updated),
            })
            .collect();
        match tx.commit() {
            Ok(()) => results,
            Err(e) => {
                let e = StoreError::from(e);
                writes.iter().map(|_| Err(e.clone())).collect()
            }
        }
    }

    /// Run `id` of `tenant` (another tenant's run is `None`, like a missing one).
    fn get(&self, tenant: &str, id: &str) -> Result<Option<RunRecord>, StoreError> {
        let conn = self.lock();
        let text: Option<String> = conn
            .query_row(
                "SELECT record FROM runs WHERE id = ?1 AND tenant = ?2",
                params![id, tenant],
                |r| r.get(0),
            )
            .optional()?;
        Ok(text.map(|t| serde_json::from_str(&t)).transpose()?)
    }

    fn find_key(
        &self,
        tenant: &str,
        key: &str,
        body_sha: &str,
    ) -> Result<Option<Admitted>, StoreError> {
        let conn = self.lock();
        let prior: Option<(String, Option<String>)> = conn
            .prepare_cached(
                "SELECT i.body_sha, r.record FROM idempotency i
                 LEFT JOIN runs r ON r.id = i.run_id
                 WHERE i.tenant = ?1 AND i.key = ?2",
            )?
            .query_row(params![tenant, key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(match prior {
            None => None,
            Some((sha, text)) => {
                let record = text.map(|t| serde_json::from_str(&t)).transpose()?;
                super::known_key(&sha, record, body_sha)
            }
        })
    }

    /// Removes finished runs created before `before_ms`, and their idempotency
    /// keys; returns how many runs.
    fn prune(&self, before_ms: u64) -> Result<usize, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "DELETE FROM idempotency WHERE run_id IN (SELECT id FROM runs WHERE created_ms < ?1
                 AND status IN ('finished', 'failed', 'interrupted'))",
            params![before_ms as i64],
        )?;
        let n = tx.execute(
            "DELETE FROM runs WHERE created_ms < ?1 AND status IN ('finished', 'failed', 'interrupted')",
            params![before_ms as i64],
        )?;
        tx.commit()?;
        Ok(n)
    }

    /// Runs stored.
    fn count(&self) -> Result<u64, StoreError> {
        let conn = self.lock();
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))?;
        Ok(n as u64)
    }
}

/// An admission inside a transaction the caller commits.
fn admit_in(
    tx: &Connection,
    tenant: &str,
    rec: &RunRecord,
    idempotency: Option<(&str, &str)>,
) -> Result<Admitted, StoreError> {
    if let Some((key, body_sha)) = idempotency {
        let prior: Option<(String, String)> = tx
            .prepare_cached(
                "SELECT body_sha, run_id FROM idempotency WHERE tenant = ?1 AND key = ?2",
            )?
            .query_row(params![tenant, key], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        if let Some((sha, run_id)) = prior {
            if sha != body_sha {
                return Ok(Admitted::Conflict);
            }
            let text: String = tx
                .prepare_cached("SELECT record FROM runs WHERE id = ?1")?
                .query_row(params![run_id], |r| r.get(0))?;
            return Ok(Admitted::Existing(Box::new(serde_json::from_str(&text)?)));
        }
        tx.prepare_cached(
            "INSERT INTO idempotency (tenant, key, body_sha, run_id) VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![tenant, key, body_sha, rec.run_id])?;
    }
    tx.prepare_cached(
        "INSERT INTO runs (id, tenant, status, created_ms, record) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(params![
        rec.run_id,
        tenant,
        rec.status,
        rec.created_ms as i64,
        serde_json::to_string(rec)?
    ])?;
    Ok(Admitted::New)
}

/// A run's new state.
fn update_in(conn: &Connection, rec: &RunRecord) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE runs SET status = ?2, record = ?3 WHERE id = ?1")?
        .execute(params![rec.run_id, rec.status, serde_json::to_string(rec)?])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> RunRecord {
        RunRecord::queued(id.into(), "echo".into(), "sha256:00".into(), "echo".into())
    }

    /// `--durability`: `process` commits to the WAL without waiting for the disk
    /// (`synchronous = NORMAL`, 1), `power` syncs every commit (`FULL`, 2).
    #[test]
    fn durability_sets_how_commits_reach_the_disk() {
        let dir = tempfile::tempdir().unwrap();
        for (durability, want, file) in [
            (Durability::Process, 1, "process.sqlite"),
            (Durability::Power, 2, "power.sqlite"),
        ] {
            let s = SqliteRuns::open(&dir.path().join(file), durability).unwrap();
            s.admit("a", &record("r1"), None).unwrap();
            let conn = s.conn.lock().unwrap();
            let sync: i64 = conn
                .pragma_query_value(None, "synchronous", |r| r.get(0))
                .unwrap();
            assert_eq!(sync, want, "{durability:?}");
            let journal: String = conn
                .pragma_query_value(None, "journal_mode", |r| r.get(0))
                .unwrap();
            assert_eq!(journal, "wal");
        }
    }

    #[test]
    fn idempotency_keys_return_the_first_run_or_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteRuns::open(&dir.path().join("runs.sqlite"), Durability::Power).unwrap();
        super::super::check_idempotency_answers(&s);
        assert_eq!(s.count().unwrap(), 2);
        // Another tenant's run is not found.
        assert!(s.get("b", "r1").unwrap().is_none());
        assert_eq!(s.get("a", "r1").unwrap().unwrap().run_id, "r1");
    }

    #[test]
    fn unfinished_runs_are_interrupted_at_reopen_and_old_ones_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("runs.sqlite");
        {
            let s = SqliteRuns::open(&path, Durability::Process).unwrap();
            s.admit("a", &record("queued"), None).unwrap();
            let mut done = record("done");
            s.admit("a", &done, Some(("k", "b"))).unwrap();
            done.status = "finished".into();
            s.update(&done).unwrap();
        }
        let s = SqliteRuns::open(&path, Durability::Process).unwrap();
        // Opening alone (as `--prune` does) leaves them as they are.
        assert_eq!(s.get("a", "queued").unwrap().unwrap().status, "queued");
        assert_eq!(s.interrupt_unfinished().unwrap(), 1);
        let r = s.get("a", "queued").unwrap().unwrap();
        assert_eq!(r.status, "interrupted");
        assert_eq!(r.error.unwrap().kind, "interrupted");
        assert_eq!(s.prune(now_ms() + 1).unwrap(), 2);
        assert_eq!(s.count().unwrap(), 0);
        // The key went with its run.
        assert!(matches!(
            s.admit("a", &record("again"), Some(("k", "other")))
                .unwrap(),
            Admitted::New
        ));
    }
}
