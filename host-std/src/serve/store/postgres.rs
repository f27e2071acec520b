//! The PostgreSQL run store (`--database postgres://…`): run records and
//! idempotency keys shared by several `caplet serve` replicas.
//!
//! - **Tables.** `caplet_runs` (`id` primary key, `tenant`, `replica`, `status`,
//!   `created_ms`, `record` as `jsonb`) and `caplet_idempotency` (`(tenant, key)`
//!   primary key, `body_sha`, `run_id`), created when missing. The `caplet_`
//!   prefix keeps them apart from other tables of a shared database.
//! - **Admission across replicas.** [`Runs::admit`] inserts the key with
//!   `INSERT … ON CONFLICT DO NOTHING` and, when that inserted nothing, reads the
//!   winner's row in the same transaction; see [`PgRuns`] for why this is
//!   race-free without `SERIALIZABLE`.
//! - **Replicas own their runs.** Each process has a replica id
//!   ([`PgRuns::connect`]; `caplet serve --replica-id`, by default the host name and
//!   the canonical `--data` directory, see [`default_replica_id`]). A run is owned
//!   by the replica that admitted it, which is the one that runs it. At start-up
//!   a replica marks only **its own** `queued` or `running` runs `interrupted`, so
//!   a replica starting never touches the runs another live replica is running.
//!   Two live processes must therefore never share a replica id; a replica that
//!   is gone for good leaves its unfinished runs as they are until a process with
//!   its id starts again.
//! - **Connections.** Each replica opens at most 8 connections for run records
//!   and 8 for the KV stores ([`crate::serve::pgkv`]), on demand; size the
//!   server's `max_connections` for 16 per replica.
//! - **Outages.** Connections come from a small pool. A call made while the
//!   database is unreachable fails within the connect timeout (2 s, or the
//!   URL's `connect_timeout` when shorter) with an error saying so (the API
//!   answers `503`); a connection that broke is dropped, and the next call
//!   connects again, so the service recovers without a restart once the database
//!   is back. Each statement of the run store is bounded by a 15 s
//!   `statement_timeout`.
//! - **TLS.** Not supported yet: connections are plain TCP (or a Unix socket), so
//!   use a loopback or otherwise trusted network; a URL asking for
//!   `sslmode=require` is refused.

use std::path::Path;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use postgres::config::{Host, SslMode};
use postgres::error::SqlState;
use postgres::types::Type;
use postgres::{Client, Config, NoTls, Transaction};

use super::{now_ms, Admitted, RunRecord, Runs, StoreError, Write, Written};

/// Longest wait for a TCP connection to the database.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Longest a run-store statement may run.
const STATEMENT_TIMEOUT: Duration = Duration::from_secs(15);

/// Longest a run-store call waits for a free pooled connection.
const POOL_WAIT: Duration = Duration::from_secs(5);

/// Connections the run store keeps at most.
const RUNS_CONNECTIONS: usize = 8;

/// The replica id used when none is given: `HOSTNAME:DATA`, with `DATA` the
/// canonical path of the `--data` directory (or as given, when it cannot be
/// resolved). Two processes on one host share it only if they share `--data`,
/// which they must not.
pub fn default_replica_id(data: &Path) -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "localhost".to_string());
    let dir = std::fs::canonicalize(data).unwrap_or_else(|_| data.to_path_buf());
    format!("{host}:{}", dir.display())
}

/// Why a database call failed.
#[derive(Debug)]
pub(crate) enum PgError {
    /// The database could not be reached, or the connection broke.
    Unreachable(String),
    /// Every pooled connection stayed busy for the whole wait.
    Busy(String),
    /// A lock or statement timeout fired (the call's deadline).
    Timeout(String),
    /// The database refused a statement.
    Db(String),
    /// A key cap was hit (the transaction is rolled back).
    Limit,
    /// A stored value did not parse.
    Bad(String),
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PgError::Unreachable(m) | PgError::Busy(m) | PgError::Timeout(m) => f.write_str(m),
            PgError::Db(m) | PgError::Bad(m) => f.write_str(m),
            PgError::Limit => f.write_str("key limit reached"),
        }
    }
}

/// A postgres error with its causes (its own `Display` leaves them out).
fn chain(e: &postgres::Error) -> String {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Whether `e` means the connection is gone (or never came up).
fn is_connection_error(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    if let Some(code) = e.code() {
        return code.code().starts_with("08")
            || *code == SqlState::ADMIN_SHUTDOWN
            || *code == SqlState::CRASH_SHUTDOWN
            || *code == SqlState::CANNOT_CONNECT_NOW;
    }
    // Not a server error: a socket error or a connect timeout.
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        if s.is::<std::io::Error>() {
            return true;
        }
        source = s.source();
    }
    false
}

/// A pool of connections to one database, reconnecting after failures.
///
/// A connection that failed (or was closed by the server) is dropped rather than
/// pooled again; the next call opens a new one. All waits are bounded: for a free
/// connection by the caller's wait, for a new one by [`CONNECT_TIMEOUT`].
pub(crate) struct Pool {
    config: Config,
    target: String,
    max: usize,
    state: Mutex<PoolState>,
    freed: Condvar,
}

struct PoolState {
    idle: Vec<Client>,
    /// Connections open (idle or leased) or being opened.
    open: usize,
}

/// A leased connection: pooled again on drop unless it broke.
struct Lease<'a> {
    pool: &'a Pool,
    client: Option<Client>,
    /// Taken from the idle list (it may have been closed by a server restart).
    recycled: bool,
    broken: bool,
}

impl Drop for Lease<'_> {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if self.broken || client.is_closed() {
            // Closing a broken client may touch the socket: outside the lock.
            drop(client);
            let mut st = self.pool.lock();
            st.open = st.open.saturating_sub(1);
        } else {
            self.pool.lock().idle.push(client);
        }
        self.pool.freed.notify_one();
    }
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("target", &self.target)
            .field("max", &self.max)
            .finish_non_exhaustive()
    }
}

impl Pool {
    /// A pool for `url` (`postgres://` or `postgresql://`) of at most `max`
    /// connections; `statement_timeout` is set for each session. Connects nothing yet.
    pub(crate) fn new(
        url: &str,
        max: usize,
        statement_timeout: Option<Duration>,
    ) -> Result<Pool, String> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(
                "--database: only postgres:// and postgresql:// URLs are supported".to_string(),
            );
        }
        let mut config: Config = url.parse().map_err(|e: postgres::Error| {
            // The error may quote the URL, which may hold a password: it is not shown.
            format!("--database: not a valid PostgreSQL URL: {}", chain(&e))
        })?;
        if config.get_ssl_mode() == SslMode::Require {
            return Err(
                "--database: sslmode=require: TLS to PostgreSQL is not supported yet; use a \
                 trusted network and sslmode=disable or prefer"
                    .to_string(),
            );
        }
        let connect_timeout = config
            .get_connect_timeout()
            .map_or(CONNECT_TIMEOUT, |t| (*t).min(CONNECT_TIMEOUT));
        config
            .connect_timeout(connect_timeout)
            .keepalives(true)
            .keepalives_idle(Duration::from_secs(10))
            .keepalives_interval(Duration::from_secs(2))
            .keepalives_retries(3)
            .tcp_user_timeout(Duration::from_secs(10));
        if config.get_application_name().is_none() {
            config.application_name("caplet serve");
        }
        if let Some(t) = statement_timeout {
            let options = format!(
                "{} -c statement_timeout={}",
                config.get_options().unwrap_or(""),
                t.as_millis()
            );
            config.options(options.trim_start());
        }
        let target = describe(&config);
        Ok(Pool {
            config,
            target,
            max: max.max(1),
            state: Mutex::new(PoolState {
                idle: Vec::new(),
                open: 0,
            }),
            freed: Condvar::new(),
        })
    }

    /// `user@host:port/dbname`, for messages (never the password).
    pub(crate) fn target(&self) -> &str {
        &self.target
    }

    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn unreachable(&self, e: &postgres::Error) -> PgError {
        PgError::Unreachable(format!(
            "the database {} is unreachable: {}",
            self.target,
            chain(e)
        ))
    }

    /// Classifies a failed statement.
    fn error(&self, e: &postgres::Error) -> PgError {
        if is_connection_error(e) {
            return self.unreachable(e);
        }
        match e.code() {
            Some(c) if *c == SqlState::LOCK_NOT_AVAILABLE || *c == SqlState::QUERY_CANCELED => {
                PgError::Timeout(format!("the database {}: {}", self.target, chain(e)))
            }
            _ => PgError::Db(format!("the database {}: {}", self.target, chain(e))),
        }
    }

    /// A connection: an idle one, a new one while fewer than `max` are open, or
    /// the first one freed before `until`.
    fn lease(&self, until: Instant) -> Result<Lease<'_>, PgError> {
        let mut dead = Vec::new();
        let mut st = self.lock();
        loop {
            while let Some(client) = st.idle.pop() {
                if client.is_closed() {
                    st.open = st.open.saturating_sub(1);
                    dead.push(client);
                    continue;
                }
                return Ok(Lease {
                    pool: self,
                    client: Some(client),
                    recycled: true,
                    broken: false,
                });
            }
            if st.open < self.max {
                st.open += 1;
                drop(st);
                drop(dead);
                return self.connect(until);
            }
            let now = Instant::now();
            if now >= until {
                return Err(PgError::Busy(format!(
                    "all {} connections to the database {} stayed busy",
                    self.max, self.target
                )));
            }
            st = self
                .freed
                .wait_timeout(st, until - now)
                .map(|(g, _)| g)
                .unwrap_or_else(|p| p.into_inner().0);
        }
    }

    /// Opens a connection in a slot already counted in `open`.
    fn connect(&self, until: Instant) -> Result<Lease<'_>, PgError> {
        let release = || {
            let mut st = self.lock();
            st.open = st.open.saturating_sub(1);
            drop(st);
            self.freed.notify_one();
        };
        let left = until.saturating_duration_since(Instant::now());
        if left.is_zero() {
            release();
            return Err(PgError::Timeout(format!(
                "no time left to connect to the database {}",
                self.target
            )));
        }
        let mut config = self.config.clone();
        let timeout = config
            .get_connect_timeout()
            .map_or(left, |t| (*t).min(left));
        config.connect_timeout(timeout);
        match config.connect(NoTls) {
            Ok(client) => Ok(Lease {
                pool: self,
                client: Some(client),
                recycled: false,
                broken: false,
            }),
            Err(e) => {
                release();
                Err(self.unreachable(&e))
            }
        }
    }

    /// Drops the idle connections (after one turned out closed: the server
    /// restarted, and the others are closed too).
    fn drop_idle(&self) {
        let mut st = self.lock();
        let idle = std::mem::take(&mut st.idle);
        st.open = st.open.saturating_sub(idle.len());
        drop(st);
        drop(idle);
        self.freed.notify_all();
    }

    /// Runs `f` in one transaction (`READ COMMITTED`), committed when `f`
    /// returns `Ok`, rolled back otherwise. Waits for a connection until `wait`
    /// has passed. When `BEGIN` fails on a pooled connection that the server
    /// closed (it restarted), the other idle connections are dropped too and one
    /// new connection is tried: nothing had run yet.
    pub(crate) fn transaction<T>(
        &self,
        wait: Duration,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, PgError>,
    ) -> Result<T, PgError> {
        let until = Instant::now() + wait;
        let mut f = Some(f);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut lease = self.lease(until)?;
            let Some(client) = lease.client.as_mut() else {
                return Err(PgError::Db("a pooled connection went missing".into()));
            };
            let begun = match client.transaction() {
                Ok(mut tx) => {
                    let Some(f) = f.take() else {
                        return Err(PgError::Db("a transaction body ran twice".into()));
                    };
                    Ok(match f(&mut tx) {
                        Ok(v) => tx.commit().map(|()| v).map_err(|e| self.error(&e)),
                        Err(e) => Err(e), // rolled back as `tx` drops
                    })
                }
                Err(e) => Err(e),
            };
            match begun {
                Ok(result) => {
                    if let Err(PgError::Unreachable(_)) = &result {
                        lease.broken = true;
                    }
                    return result;
                }
                Err(e) => {
                    let gone = is_connection_error(&e);
                    lease.broken = gone;
                    if gone && lease.recycled && attempt == 1 {
                        drop(lease);
                        self.drop_idle();
                        continue;
                    }
                    return Err(self.error(&e));
                }
            }
        }
    }

    /// Like [`transaction`](Self::transaction), turning a failed statement of `f`
    /// into a [`PgError`] (for closures that only run statements).
    pub(crate) fn run<T>(
        &self,
        wait: Duration,
        f: impl FnOnce(&mut Transaction<'_>) -> Result<T, postgres::Error>,
    ) -> Result<T, PgError> {
        self.transaction(wait, |tx| f(tx).map_err(|e| self.error(&e)))
    }

    /// Classifies a failed statement (for closures of [`transaction`](Self::transaction)).
    pub(crate) fn failed(&self, e: &postgres::Error) -> PgError {
        self.error(e)
    }
}

/// `user@host:port/dbname` of `config`.
fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let port = config
                .get_ports()
                .get(i)
                .or(config.get_ports().first())
                .copied()
                .unwrap_or(5432);
            match h {
                Host::Tcp(name) => format!("{name}:{port}"),
                Host::Unix(dir) => format!("{}:{port}", dir.display()),
            }
        })
        .collect();
    let user = config.get_user().unwrap_or("");
    let at = if user.is_empty() { "" } else { "@" };
    let db = config.get_dbname().unwrap_or(user);
    format!("{user}{at}{}/{db}", hosts.join(","))
}

/// The PostgreSQL run store, shared by several replicas.
///
/// Idempotent admission uses `INSERT … ON CONFLICT DO NOTHING` under `READ
/// COMMITTED` rather than `SERIALIZABLE` with retries: when two replicas insert
/// one `(tenant, key)` at once, PostgreSQL makes the second insert wait for the
/// first transaction (the unique index), then do nothing once it committed; the
/// next statement takes a fresh snapshot and so sees the winner's key and run,
/// written in that same committed transaction. Exactly one run is created and
/// the loser answers with it, without serialization failures to retry. (Should
/// the winner's key vanish in between, pruned, the insert is tried again.)
pub struct PgRuns {
    pool: Pool,
    replica: String,
}

impl std::fmt::Debug for PgRuns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgRuns")
            .field("database", &self.pool.target())
            .field("replica", &self.replica)
            .finish_non_exhaustive()
    }
}

fn store_error(e: PgError) -> StoreError {
    StoreError(format!("run store: {e}"))
}

fn parse(text: &str) -> Result<RunRecord, PgError> {
    serde_json::from_str(text).map_err(|e| PgError::Bad(format!("bad run record: {e}")))
}

/// The record as JSON for a `jsonb` column. PostgreSQL's `jsonb` cannot hold the
/// NUL character (it refuses `\u0000`, and the whole transaction with it), which a
/// plugin's output or message, or a request's label, may contain: NUL is stored as
/// U+FFFD. The caller waiting for the run gets the record as it was.
fn json(rec: &RunRecord) -> Result<String, PgError> {
    let mut out = Vec::with_capacity(512);
    let mut ser = serde_json::Serializer::with_formatter(&mut out, NoNul);
    serde::Serialize::serialize(rec, &mut ser)
        .map_err(|e| PgError::Bad(format!("bad run record: {e}")))?;
    String::from_utf8(out).map_err(|e| PgError::Bad(format!("bad run record: {e}")))
}

/// serde_json's compact formatter, writing the NUL character as `\ufffd`.
struct NoNul;

impl serde_json::ser::Formatter for NoNul {
    fn write_char_escape<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        escape: serde_json::ser::CharEscape,
    ) -> std::io::Result<()> {
        match escape {
            serde_json::ser::CharEscape::AsciiControl(0) => writer.write_all(b"\\ufffd"),
            other => serde_json::ser::CompactFormatter.write_char_escape(writer, other),
        }
    }
}

/// Milliseconds as PostgreSQL's `bigint`.
fn ms(t: u64) -> i64 {
    i64::try_from(t).unwrap_or(i64::MAX)
}

impl PgRuns {
    /// Connects to `url` (`postgres://…`) as replica `replica` and creates the
    /// tables when missing. A starting service then calls
    /// [`Runs::interrupt_unfinished`] for this replica's runs left unfinished by a
    /// process that died (`--prune` does not, so it is safe beside a live service).
    pub fn connect(url: &str, replica: &str) -> Result<PgRuns, StoreError> {
        if replica.is_empty() {
            return Err(StoreError("run store: the replica id is empty".into()));
        }
        let pool = Pool::new(url, RUNS_CONNECTIONS, Some(STATEMENT_TIMEOUT))
            .map_err(|e| StoreError(format!("run store: {e}")))?;
        pool.run(POOL_WAIT, |tx| {
            // Two replicas creating the tables at once can collide in the
            // catalogue; the first takes this lock and the second finds them.
            tx.batch_execute(
                "SELECT pg_advisory_xact_lock(7283013945112061001);
                 CREATE TABLE IF NOT EXISTS caplet_runs (
                     id         TEXT PRIMARY KEY,
                     tenant     TEXT NOT NULL,
                     replica    TEXT NOT NULL,
                     status     TEXT NOT NULL,
                     created_ms BIGINT NOT NULL,
                     record     JSONB NOT NULL
                 );
                 CREATE INDEX IF NOT EXISTS caplet_runs_unfinished
                     ON caplet_runs (replica, status);
                 CREATE INDEX IF NOT EXISTS caplet_runs_created ON caplet_runs (created_ms);
                 CREATE TABLE IF NOT EXISTS caplet_idempotency (
                     tenant    TEXT NOT NULL,
                     key       TEXT NOT NULL,
                     body_sha  TEXT NOT NULL,
                     run_id    TEXT NOT NULL,
                     PRIMARY KEY (tenant, key)
                 );
                 CREATE INDEX IF NOT EXISTS caplet_idempotency_run
                     ON caplet_idempotency (run_id);",
            )
        })
        .map_err(|e| StoreError(format!("run store: cannot set up the tables: {e}")))?;
        let store = PgRuns {
            pool,
            replica: replica.to_string(),
        };
        Ok(store)
    }

    /// This process's replica id.
    pub fn replica(&self) -> &str {
        &self.replica
    }
}

impl Runs for PgRuns {
    /// Marks this replica's `queued` and `running` runs `interrupted` (never
    /// another replica's).
    fn interrupt_unfinished(&self) -> Result<usize, StoreError> {
        self.pool
            .transaction(POOL_WAIT, |tx| {
                let rows = tx
                    .query_typed(
                        "SELECT id, record::text FROM caplet_runs
                         WHERE replica = $1 AND status IN ('queued', 'running')
                         FOR UPDATE",
                        &[(&self.replica, Type::TEXT)],
                    )
                    .map_err(|e| self.pool.failed(&e))?;
                let now = now_ms();
                for row in &rows {
                    let id: String = row.get(0);
                    let text: String = row.get(1);
                    let mut rec = parse(&text)?;
                    rec.interrupt(now);
                    tx.execute_typed(
                        "UPDATE caplet_runs SET status = $2, record = $3::text::jsonb
                         WHERE id = $1",
                        &[
                            (&id, Type::TEXT),
                            (&rec.status, Type::TEXT),
                            (&json(&rec)?, Type::TEXT),
                        ],
                    )
                    .map_err(|e| self.pool.failed(&e))?;
                }
                Ok(rows.len())
            })
            .map_err(store_error)
    }

    fn admit(
        &self,
        tenant: &str,
        rec: &RunRecord,
        idempotency: Option<(&str, &str)>,
    ) -> Result<Admitted, StoreError> {
        let text = json(rec).map_err(store_error)?;
        self.pool
            .transaction(POOL_WAIT, |tx| {
                if let Some((key, body_sha)) = idempotency {
                    let mut inserted = false;
                    for _ in 0..3 {
                        let n = tx
                            .execute_typed(
                                "INSERT INTO caplet_idempotency (tenant, key, body_sha, run_id)
                                 VALUES ($1, $2, $3, $4) ON CONFLICT (tenant, key) DO NOTHING",
                                &[
                                    (&tenant, Type::TEXT),
                                    (&key, Type::TEXT),
                                    (&body_sha, Type::TEXT),
                                    (&rec.run_id, Type::TEXT),
                                ],
                            )
                            .map_err(|e| self.pool.failed(&e))?;
                        if n == 1 {
                            inserted = true;
                            break;
                        }
                        // Another transaction holds the key, committed: its run.
                        let prior = tx
                            .query_typed(
                                "SELECT i.body_sha, r.record::text
                                 FROM caplet_idempotency i
                                 LEFT JOIN caplet_runs r ON r.id = i.run_id
                                 WHERE i.tenant = $1 AND i.key = $2",
                                &[(&tenant, Type::TEXT), (&key, Type::TEXT)],
                            )
                            .map_err(|e| self.pool.failed(&e))?;
                        let Some(row) = prior.first() else {
                            // Pruned since the insert met it: try the insert again.
                            continue;
                        };
                        let sha: String = row.get(0);
                        if sha != body_sha {
                            return Ok(Admitted::Conflict);
                        }
                        let first: Option<String> = row.get(1);
                        let first = first.ok_or_else(|| {
                            PgError::Bad(format!(
                                "idempotency key `{key}` of tenant `{tenant}` names a run \
                                 that is not stored"
                            ))
                        })?;
                        return Ok(Admitted::Existing(Box::new(parse(&first)?)));
                    }
                    if !inserted {
                        return Err(PgError::Db(format!(
                            "idempotency key `{key}` kept changing under concurrent pruning"
                        )));
                    }
                }
                tx.execute_typed(
                    "INSERT INTO caplet_runs (id, tenant, replica, status, created_ms, record)
                     VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)",
                    &[
                        (&rec.run_id, Type::TEXT),
                        (&tenant, Type::TEXT),
                        (&self.replica, Type::TEXT),
                        (&rec.status, Type::TEXT),
                        (&ms(rec.created_ms), Type::INT8),
                        (&text, Type::TEXT),
                    ],
                )
                .map_err(|e| self.pool.failed(&e))?;
                Ok(Admitted::New)
            })
            .map_err(store_error)
    }

    fn update(&self, rec: &RunRecord) -> Result<(), StoreError> {
        let text = json(rec).map_err(store_error)?;
        self.pool
            .run(POOL_WAIT, |tx| {
                tx.execute_typed(
                    "UPDATE caplet_runs SET status = $2, record = $3::text::jsonb WHERE id = $1",
                    &[
                        (&rec.run_id, Type::TEXT),
                        (&rec.status, Type::TEXT),
                        (&text, Type::TEXT),
                    ],
                )
            })
            .map(|_| ())
            .map_err(store_error)
    }

    /// Updates and admissions without an idempotency key share one transaction
    /// (one round trip to commit for many runs); an admission with a key keeps
    /// its own, with the race handling of [`admit`](Runs::admit).
    fn write_batch(&self, writes: &[Write<'_>]) -> Vec<Result<Written, StoreError>> {
        let mut results: Vec<Option<Result<Written, StoreError>>> =
            writes.iter().map(|_| None).collect();
        let shared: Vec<usize> = (0..writes.len())
            .filter(|&i| {
                !matches!(
                    writes[i],
                    Write::Admit {
                        idempotency: Some(_),
                        ..
                    }
                )
            })
            .collect();
        if !shared.is_empty() {
            let texts: Result<Vec<String>, PgError> = shared
                .iter()
                .map(|&i| match &writes[i] {
                    Write::Admit { rec, .. } | Write::Update(rec) => json(rec),
                })
                .collect();
            let outcome = texts.and_then(|texts| {
                self.pool.transaction(POOL_WAIT, |tx| {
                    for (&i, text) in shared.iter().zip(&texts) {
                        match &writes[i] {
                            Write::Admit { tenant, rec, .. } => tx.execute_typed(
                                "INSERT INTO caplet_runs (id, tenant, replica, status, created_ms, record)
                                 VALUES ($1, $2, $3, $4, $5, $6::text::jsonb)",
                                &[
                                    (&rec.run_id, Type::TEXT),
                                    (tenant, Type::TEXT),
                                    (&self.replica, Type::TEXT),
                                    (&rec.status, Type::TEXT),
                                    (&ms(rec.created_ms), Type::INT8),
                                    (text, Type::TEXT),
                                ],
                            ),
                            Write::Update(rec) => tx.execute_typed(
                                "UPDATE caplet_runs SET status = $2, record = $3::text::jsonb
                                 WHERE id = $1",
                                &[
                                    (&rec.run_id, Type::TEXT),
                                    (&rec.status, Type::TEXT),
                                    (text, Type::TEXT),
                                ],
                            ),
                        }
                        .map_err(|e| self.pool.failed(&e))?;
                    }
                    Ok(())
                })
            });
            let outcome = outcome.map_err(store_error);
            for &i in &shared {
                results[i] = Some(match (&outcome, &writes[i]) {
                    (Ok(()), Write::Admit { .. }) => Ok(Written::Admitted(Admitted::New)),
                    (Ok(()), Write::Update(_)) => Ok(Written::Updated),
                    (Err(e), _) => Err(e.clone()),
                });
            }
        }
        for (i, w) in writes.iter().enumerate() {
            if let Write::Admit {
                tenant,
                rec,
                idempotency: Some(k),
            } = w
            {
                results[i] = Some(self.admit(tenant, rec, Some(*k)).map(Written::Admitted));
            }
        }
        results
            .into_iter()
            .map(|r| r.unwrap_or_else(|| Err(StoreError("a batched write was skipped".into()))))
            .collect()
    }

    fn get(&self, tenant: &str, id: &str) -> Result<Option<RunRecord>, StoreError> {
        let text: Option<String> = self
            .pool
            .run(POOL_WAIT, |tx| {
                tx.query_typed(
                    "SELECT record::text FROM caplet_runs WHERE id = $1 AND tenant = $2",
                    &[(&id, Type::TEXT), (&tenant, Type::TEXT)],
                )
                .map(|rows| rows.first().map(|r| r.get(0)))
            })
            .map_err(store_error)?;
        text.map(|t| parse(&t)).transpose().map_err(store_error)
    }

    fn find_key(
        &self,
        tenant: &str,
        key: &str,
        body_sha: &str,
    ) -> Result<Option<Admitted>, StoreError> {
        let prior: Option<(String, Option<String>)> = self
            .pool
            .run(POOL_WAIT, |tx| {
                tx.query_typed(
                    "SELECT i.body_sha, r.record::text
                     FROM caplet_idempotency i
                     LEFT JOIN caplet_runs r ON r.id = i.run_id
                     WHERE i.tenant = $1 AND i.key = $2",
                    &[(&tenant, Type::TEXT), (&key, Type::TEXT)],
                )
                .map(|rows| rows.first().map(|r| (r.get(0), r.get(1))))
            })
            .map_err(store_error)?;
        Ok(match prior {
            None => None,
            Some((sha, text)) => {
                let record = text.map(|t| parse(&t)).transpose().map_err(store_error)?;
                super::known_key(&sha, record, body_sha)
            }
        })
    }

    fn prune(&self, before_ms: u64) -> Result<usize, StoreError> {
        let before = ms(before_ms);
        self.pool
            .run(POOL_WAIT, |tx| {
                // A large backlog may take longer than one request's statement.
                tx.batch_execute("SET LOCAL statement_timeout = '10min'")?;
                tx.execute_typed(
                    "DELETE FROM caplet_idempotency WHERE run_id IN (
                         SELECT id FROM caplet_runs WHERE created_ms < $1
                         AND status IN ('finished', 'failed', 'interrupted'))",
                    &[(&before, Type::INT8)],
                )?;
                tx.execute_typed(
                    "DELETE FROM caplet_runs WHERE created_ms < $1
                     AND status IN ('finished', 'failed', 'interrupted')",
                    &[(&before, Type::INT8)],
                )
            })
            .map(|n| usize::try_from(n).unwrap_or(usize::MAX))
            .map_err(store_error)
    }

    fn count(&self) -> Result<u64, StoreError> {
        self.pool
            .run(POOL_WAIT, |tx| {
                tx.query_typed("SELECT COUNT(*) FROM caplet_runs", &[])
                    .map(|rows| rows.first().map_or(0, |r| r.get::<_, i64>(0)))
            })
            .map(|n| u64::try_from(n).unwrap_or(0))
            .map_err(store_error)
    }
}
