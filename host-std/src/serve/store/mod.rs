//! Run records and idempotency keys: the [`Runs`] trait and its two stores,
//! SQLite under `--data` ([`SqliteRuns`], the default) and PostgreSQL
//! (`--database postgres://…`, [`PgRuns`]), shared by several replicas.
//!
//! - A record is written when a run is admitted (`queued`), unless the run is
//!   waited for and has no idempotency key, and when it ends (`finished` or
//!   `failed`); a start is kept in memory ([`super::runner::Running`]). A run
//!   answered `200` or `202` is durable before the answer leaves.
//! - At start-up, runs left `queued` or `running` by a process that died are
//!   marked `interrupted` (on PostgreSQL: only the starting replica's own runs).
//! - An idempotency key is unique per tenant and stored with the SHA-256 of the
//!   request body in the same transaction as the run it created, so two requests
//!   with one key (on one replica or two) create one run.
//! - Records older than the retention are removed by [`Runs::prune`] (at start-up,
//!   hourly, and by `caplet serve --prune`).

pub mod batch;
pub mod journal;
mod mapped;
pub mod postgres;
mod sqlite;

pub use postgres::PgRuns;
pub use sqlite::SqliteRuns;

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
    /// The alias the request named, when an alias (a canary) chose the version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
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
    /// Output as base64 (when it is not UTF-8).
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
    /// A run just admitted: `queued`, created now, nothing else known yet.
    pub fn queued(run_id: String, plugin: String, digest: String, call: String) -> RunRecord {
        RunRecord {
            run_id,
            status: "queued".into(),
            plugin,
            alias: None,
            version: None,
            digest,
            call,
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

    /// Marks a run a dead process left unfinished `interrupted`, at `now_ms`.
    pub fn interrupt(&mut self, now_ms: u64) {
        self.status = "interrupted".into();
        self.finished_ms = Some(now_ms);
        self.error = Some(RunError {
            kind: "interrupted".into(),
            code: 5,
            message: "the service stopped before the run ended".into(),
        });
    }

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
#[derive(Debug, Clone)]
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

/// One write of a batch ([`Runs::write_batch`]).
#[derive(Debug)]
pub enum Write<'a> {
    /// [`Runs::admit`].
    Admit {
        /// The tenant.
        tenant: &'a str,
        /// The run, `queued`.
        rec: &'a RunRecord,
        /// `(key, body_sha)`.
        idempotency: Option<(&'a str, &'a str)>,
    },
    /// [`Runs::update`].
    Update(&'a RunRecord),
}

/// What one write of a batch did.
#[derive(Debug)]
pub enum Written {
    /// An admission's outcome.
    Admitted(Admitted),
    /// An update was written.
    Updated,
}

/// What an answered run survives.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Durability {
    /// The service process being killed (`kill -9`, a crash): every write is in
    /// the database's log before the answer leaves, without waiting for the disk.
    /// The default.
    #[default]
    Process,
    /// Power loss too: every write waits for the disk (`fsync`); about one disk
    /// flush per write.
    Power,
}

impl std::str::FromStr for Durability {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "process" => Ok(Durability::Process),
            "power" => Ok(Durability::Power),
            _ => Err(format!("`{s}` is not `process` or `power`")),
        }
    }
}

/// What an admission with `body_sha` meets when its key is stored with
/// `(stored_sha, record)` (see [`Runs::find_key`]): the first run, a conflict, or
/// `None` when the key names a run that is gone (the admission then decides).
pub(crate) fn known_key(
    stored_sha: &str,
    record: Option<RunRecord>,
    body_sha: &str,
) -> Option<Admitted> {
    if stored_sha != body_sha {
        return Some(Admitted::Conflict);
    }
    record.map(|r| Admitted::Existing(Box::new(r)))
}

/// What every [`Runs`] store must answer for idempotency keys, written once for the
/// SQLite unit tests and the PostgreSQL integration test (which cannot reach the
/// crate's test code). Panics on a wrong answer; not for production use.
#[doc(hidden)]
pub fn check_idempotency_answers(s: &dyn Runs) {
    let record =
        |id: &str| RunRecord::queued(id.into(), "echo".into(), "sha256:00".into(), "echo".into());
    assert!(matches!(
        s.admit("a", &record("r1"), Some(("k", "body1"))).unwrap(),
        Admitted::New
    ));
    // The same key and body: the first run, not a second one.
    match s.admit("a", &record("r2"), Some(("k", "body1"))).unwrap() {
        Admitted::Existing(r) => assert_eq!(r.run_id, "r1"),
        other => panic!("{other:?}"),
    }
    // The same key, another body: a conflict.
    assert!(matches!(
        s.admit("a", &record("r3"), Some(("k", "body2"))).unwrap(),
        Admitted::Conflict
    ));
    // Keys are per tenant.
    assert!(matches!(
        s.admit("b", &record("r4"), Some(("k", "body2"))).unwrap(),
        Admitted::New
    ));
    // The same answers read without writing (`find_key`), per tenant.
    match s.find_key("a", "k", "body1").unwrap() {
        Some(Admitted::Existing(r)) => assert_eq!(r.run_id, "r1"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        s.find_key("a", "k", "body2").unwrap(),
        Some(Admitted::Conflict)
    ));
    assert!(s.find_key("a", "new", "body1").unwrap().is_none());
    assert!(s.find_key("c", "k", "body1").unwrap().is_none());
}

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Where run records and idempotency keys live. Every method is one transaction;
/// an error means the store is unreachable or broken (the API answers `503`).
pub trait Runs: Send + Sync {
    /// Marks runs left `queued` or `running` as `interrupted`; returns how many.
    /// Called once at start-up (with several replicas: by each, for the runs it
    /// owns; see the store's docs).
    fn interrupt_unfinished(&self) -> Result<usize, StoreError>;
    /// Records an admitted run; with an idempotency key `(key, body_sha)`, only
    /// if the key is new for `tenant`.
    fn admit(
        &self,
        tenant: &str,
        rec: &RunRecord,
        idempotency: Option<(&str, &str)>,
    ) -> Result<Admitted, StoreError>;
    /// Writes a run's new state.
    fn update(&self, rec: &RunRecord) -> Result<(), StoreError>;
    /// Run `id` of `tenant` (another tenant's run is `None`, like a missing one).
    fn get(&self, tenant: &str, id: &str) -> Result<Option<RunRecord>, StoreError>;
    /// What an admission with idempotency key `(key, body_sha)` would meet, read
    /// without writing: the key's first run (`Existing`), a different body
    /// (`Conflict`), or `None` for a new key. The API asks before the rate limit
    /// and the queue, so that a retry gets its run back even when the tenant is
    /// over its rate or the queue is full; [`Runs::admit`] still decides races.
    fn find_key(
        &self,
        tenant: &str,
        key: &str,
        body_sha: &str,
    ) -> Result<Option<Admitted>, StoreError>;
    /// Removes ended runs created before `before_ms`, and their idempotency keys;
    /// returns how many runs.
    fn prune(&self, before_ms: u64) -> Result<usize, StoreError>;
    /// Runs stored.
    fn count(&self) -> Result<u64, StoreError>;
    /// Applies `writes` in order, each seeing the ones before it; one result per
    /// write. A store that can SHOULD make the batch one transaction (one commit
    /// for many runs: [`batch::GroupCommit`] feeds it). The default writes them one
    /// by one.
    fn write_batch(&self, writes: &[Write<'_>]) -> Vec<Result<Written, StoreError>> {
        writes
            .iter()
            .map(|w| match w {
                Write::Admit {
                    tenant,
                    rec,
                    idempotency,
                } => self.admit(tenant, rec, *idempotency).map(Written::Admitted),
                Write::Update(rec) => self.update(rec).map(|()| Written::Updated),
            })
            .collect()
    }

    /// Whether the store answers (`/readyz`): one indexed lookup.
    fn ping(&self) -> Result<(), StoreError> {
        self.get("", "").map(|_| ())
    }

    /// Starts the store's background work, if it has any (the service calls it
    /// once, after confining itself). Default: none.
    fn start_background(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
