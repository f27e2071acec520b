//! Run records and idempotency keys, durable in SQLite under `--data`.
//!
//! - A record is written when a run is admitted (`queued`), when it starts
//!   (`running`) and when it ends (`finished` or `failed`), each write one
//!   transaction in WAL mode with `synchronous = FULL`: a run answered `200` or
//!   `202` is on disk before the answer leaves.
//! - At start-up, runs left `queued` or `running` by a process that died are marked
//!   `interrupted`.
//! - An idempotency key is unique per tenant and stored with the SHA-256 of the
//!   request body in the same transaction as the run it created, so two requests
//!   with one key create one run.
//! - Records older than the retention are removed by [`RunStore::prune`] (at
//!   start-up, hourly, and by `caplet serve --prune`).

use std::path::Path;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};
use serde::{Deserialize, Serialize};

/// A run's outcome when it failed.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunError {
    /// The error class (`guest`, `budget`, `trap`, `capability`, `module`,
    /// `usage`, `interrupted`).
    pub kind: String,
    /// The `caplet run` exit code of that class.
    pub code: i32,
    /// What went wrong.
    pub message: String,
}

/// What a run cost.
#[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, PartialEq)]
pub struct RunUsage {
    /// Fuel consumed by the call.
    pub fuel: u64,
    /// Highest linear-memory size of the instance, in bytes.
    pub memory_peak_bytes: u64,
    /// Host functions called.
    pub host_calls: u64,
    /// Wall time of the call (queue wait excluded), in milliseconds.
    pub duration_ms: f64,
}

/// One run, as `GET /v1/runs/{id}` shows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct RunRecord {
    /// The run's id.
    pub run_id: String,
    /// `queued`, `running`, `finished`, `failed` or `interrupted`.
    pub status: String,
    /// Plugin name.
    pub plugin: String,
    /// Plugin version, when the manifest has one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Module digest, `sha256:…`.
    pub digest: String,
    /// The export called.
    pub call: String,
    /// The caller's labels.
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    pub labels: serde_json::Map<String, serde_json::Value>,
    /// Output as text (when it is UTF-8).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Output as base64 (when it is not UTF-8, or was asked for).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output_base64: Option<String>,
    /// A typed call's results, as `[{"i32": 5}]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<serde_json::Value>,
    /// Why the run failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RunError>,
    /// What it cost (once it ran).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<RunUsage>,
    /// Unix milliseconds: admitted, started, ended.
    pub created_ms: u64,
    /// When the call started.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started_ms: Option<u64>,
    /// When the run ended.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_ms: Option<u64>,
    /// The engine generation that ran it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub generation: Option<u64>,
}

impl RunRecord {
    /// Whether the run has ended.
    pub fn is_final(&self) -> bool {
        matches!(self.status.as_str(), "finished" | "failed" | "interrupted")
    }
}

/// What inserting an admitted run found.
#[derive(Debug)]
pub enum Admitted {
    /// A new run.
    New,
    /// The key was used before with the same body: that run.
    Existing(Box<RunRecord>),
    /// The key was used before with another body.
    Conflict,
}

/// Why the store failed.
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(format!("run store: {e}"))
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        StoreError(format!("run store: bad record: {e}"))
    }
}

/// The run store.
pub struct RunStore {
    conn: Mutex<Connection>,
}

impl std::fmt::Debug for RunStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunStore").finish_non_exhaustive()
    }
}

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

impl RunStore {
    /// Opens (or creates) the store at `path`; marks runs a dead process left
    /// unfinished as `interrupted` and returns how many.
    pub fn open(path: &Path) -> Result<(RunStore, usize), StoreError> {
        let conn = Connection::open(path)
            .map_err(|e| StoreError(format!("cannot open run store {}: {e}", path.display())))?;
        conn.busy_timeout(Duration::from_secs(5))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS runs (
                 id         TEXT PRIMARY KEY,
                 tenant     TEXT NOT NULL,
                 status     TEXT NOT NULL,
                 created_ms INTEGER NOT NULL,
                 record     TEXT NOT NULL
             );
             CREATE INDEX IF NOT EXISTS runs_status ON runs (status);
             CREATE INDEX IF NOT EXISTS runs_created ON runs (created_ms);
             CREATE TABLE IF NOT EXISTS idempotency (
                 tenant    TEXT NOT NULL,
                 key       TEXT NOT NULL,
                 body_sha  TEXT NOT NULL,
                 run_id    TEXT NOT NULL,
                 PRIMARY KEY (tenant, key)
             );",
        )?;
        let store = RunStore {
            conn: Mutex::new(conn),
        };
        let n = store.interrupt_unfinished()?;
        Ok((store, n))
    }

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
            rec.status = "interrupted".into();
            rec.finished_ms = Some(now);
            rec.error = Some(RunError {
                kind: "interrupted".into(),
                code: 5,
                message: "the service stopped before the run ended".into(),
            });
            tx.execute(
                "UPDATE runs SET status = ?2, record = ?3 WHERE id = ?1",
                params![id, rec.status, serde_json::to_string(&rec)?],
            )?;
        }
        tx.commit()?;
        Ok(unfinished.len())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records an admitted run; with an idempotency key, only if the key is new.
    pub fn admit(
        &self,
        tenant: &str,
        rec: &RunRecord,
        idempotency: Option<(&str, &str)>,
    ) -> Result<Admitted, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        if let Some((key, body_sha)) = idempotency {
            let prior: Option<(String, String)> = tx
                .query_row(
                    "SELECT body_sha, run_id FROM idempotency WHERE tenant = ?1 AND key = ?2",
                    params![tenant, key],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            if let Some((sha, run_id)) = prior {
                if sha != body_sha {
                    return Ok(Admitted::Conflict);
                }
                let text: String = tx.query_row(
                    "SELECT record FROM runs WHERE id = ?1",
                    params![run_id],
                    |r| r.get(0),
                )?;
                return Ok(Admitted::Existing(Box::new(serde_json::from_str(&text)?)));
            }
            tx.execute(
                "INSERT INTO idempotency (tenant, key, body_sha, run_id) VALUES (?1, ?2, ?3, ?4)",
                params![tenant, key, body_sha, rec.run_id],
            )?;
        }
        tx.execute(
            "INSERT INTO runs (id, tenant, status, created_ms, record) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                rec.run_id,
                tenant,
                rec.status,
                rec.created_ms as i64,
                serde_json::to_string(rec)?
            ],
        )?;
        tx.commit()?;
        Ok(Admitted::New)
    }

    /// Writes a run's new state.
    pub fn update(&self, rec: &RunRecord) -> Result<(), StoreError> {
        let conn = self.lock();
        conn.execute(
            "UPDATE runs SET status = ?2, record = ?3 WHERE id = ?1",
            params![rec.run_id, rec.status, serde_json::to_string(rec)?],
        )?;
        Ok(())
    }

    /// Run `id` of `tenant` (another tenant's run is `None`, like a missing one).
    pub fn get(&self, tenant: &str, id: &str) -> Result<Option<RunRecord>, StoreError> {
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

    /// Removes finished runs created before `before_ms`, and their idempotency
    /// keys; returns how many runs.
    pub fn prune(&self, before_ms: u64) -> Result<usize, StoreError> {
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
    pub fn count(&self) -> Result<u64, StoreError> {
        let conn = self.lock();
        let n: i64 = conn.query_row("SELECT COUNT(*) FROM runs", [], |r| r.get(0))?;
        Ok(n as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(id: &str) -> RunRecord {
        RunRecord {
            run_id: id.into(),
            status: "queued".into(),
            plugin: "echo".into(),
            version: Some("1.0.0".into()),
            digest: "sha256:00".into(),
            call: "echo".into(),
            labels: Default::default(),
            output: None,
            output_base64: None,
            result: None,
            error: None,
            usage: None,
            created_ms: now_ms(),
            started_ms: None,
            finished_ms: None,
            generation: None,
        }
    }

    #[test]
    fn idempotency_keys_return_the_first_run_or_conflict() {
        let dir = tempfile::tempdir().unwrap();
        let (s, _) = RunStore::open(&dir.path().join("runs.sqlite")).unwrap();
        assert!(matches!(
            s.admit("a", &record("r1"), Some(("k", "body1"))).unwrap(),
            Admitted::New
        ));
        match s.admit("a", &record("r2"), Some(("k", "body1"))).unwrap() {
            Admitted::Existing(r) => assert_eq!(r.run_id, "r1"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            s.admit("a", &record("r3"), Some(("k", "body2"))).unwrap(),
            Admitted::Conflict
        ));
        // Keys are per tenant.
        assert!(matches!(
            s.admit("b", &record("r4"), Some(("k", "body2"))).unwrap(),
            Admitted::New
        ));
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
            let (s, _) = RunStore::open(&path).unwrap();
            s.admit("a", &record("queued"), None).unwrap();
            let mut done = record("done");
            s.admit("a", &done, Some(("k", "b"))).unwrap();
            done.status = "finished".into();
            s.update(&done).unwrap();
        }
        let (s, n) = RunStore::open(&path).unwrap();
        assert_eq!(n, 1);
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
