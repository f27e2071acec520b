//! `caplet serve`: runs plugins for many callers over HTTP.
//!
//! - **API** ([`api`]): `POST /v1/runs`, `GET /v1/runs/{id}`, `GET /v1/plugins`,
//!   admin endpoints, `/metrics`, `/healthz`, `/readyz` and `/openapi.json`.
//! - **Tenants** ([`tenants`]): bearer tokens stored hashed, a policy and limits each.
//! - **Plugins** ([`plugins`]): the plugin directories' catalogue, pooled
//!   instances, kill switches and engine generations.
//! - **Runs** ([`runner`]): a bounded worker pool off the async reactor.
//! - **State** ([`store`], [`pgkv`]): run records, idempotency keys and each
//!   tenant's KV store in SQLite under `--data`, or on PostgreSQL
//!   (`--database postgres://…`) shared by several replicas.
//! - **Observability** ([`metrics`], [`events`]): Prometheus metrics and
//!   structured log lines (`tracing`) for run events, plugin logs and denials.
//!
//! The operator's guide is `docs/serving.md`.

pub mod api;
pub mod confine;
pub mod events;
pub mod metrics;
pub mod pgkv;
pub mod plugins;
pub mod runner;
pub mod store;
pub mod tenants;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::load::Sources;
use crate::policy::{Policy, Settings};

use plugins::Catalog;
use runner::Workers;
use store::{Runs, SqliteRuns};
use tenants::{Tenant, Tenants};

/// How to run the service. Defaults: loopback port 8080, `./caplet-data`, no
/// tenants file (one open tenant: loopback only), one worker per core, a queue
/// of 64 runs per worker, 4 MiB request bodies, records kept 7 days.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory for the run store and each tenant's KV store.
    pub data: PathBuf,
    /// A database URL for shared state (PostgreSQL); `None`: SQLite under `data`.
    pub database: Option<String>,
    /// This process's id among replicas sharing `database`: at start-up only its
    /// own unfinished runs are marked interrupted. `None`: `HOSTNAME:DATA` with the
    /// canonical `data` path ([`store::postgres::default_replica_id`]), so
    /// replicas on one host need their own `data` directories.
    pub replica_id: Option<String>,
    /// The service's policy file (grants and limits per plugin).
    pub policy: Option<PathBuf>,
    /// Plugin directories, searched in order.
    pub plugin_dirs: Vec<PathBuf>,
    /// The tenants file.
    pub tenants: Option<PathBuf>,
    /// Worker threads running plugin calls.
    pub workers: usize,
    /// Runs admitted beyond those running.
    pub queue: usize,
    /// Largest request body.
    pub max_body: usize,
    /// How long run records are kept.
    pub retention: Duration,
    /// Where registry references are pulled from.
    pub sources: Sources,
    /// What an answered run survives (default: the process being killed).
    pub durability: store::Durability,
    /// How long journaled run records wait before they move into SQLite; `None`
    /// turns the journal off ([`store::journal`]; SQLite with
    /// [`store::Durability::Process`] only).
    pub journal_every: Option<Duration>,
    /// An aliases file (canaries), loaded at start-up.
    pub aliases: Option<PathBuf>,
    /// A file run events are appended to (JSON lines), besides the log.
    pub events: Option<PathBuf>,
    /// Restrict the process after start-up with Landlock and seccomp (default on;
    /// off only with `--dangerous-no-confine`).
    pub confine: bool,
    /// Slow-client cuts and the connection cap.
    pub timeouts: Timeouts,
}

/// How long a client may take, and how many may be connected.
#[derive(Debug, Clone, Copy)]
pub struct Timeouts {
    /// From connection (or the previous request) to a request's complete header
    /// (default 10 s); then the connection is closed.
    pub header: Duration,
    /// For the whole request body (default 30 s); then `408`.
    pub body: Duration,
    /// Connections open at once (default 1,024); beyond that new connections wait
    /// in the listen backlog.
    pub max_connections: usize,
    /// How long a graceful shutdown waits for open connections (default 30 s).
    pub drain: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header: Duration::from_secs(10),
            body: Duration::from_secs(30),
            max_connections: 1024,
            drain: Duration::from_secs(30),
        }
    }
}

impl Default for ServeConfig {
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: PathBuf::from("caplet-data"),
            database: None,
            replica_id: None,
            policy: None,
            plugin_dirs: Vec::new(),
            tenants: None,
            workers,
            queue: 64 * workers,
            max_body: 4 << 20,
            retention: Duration::from_secs(7 * 24 * 3600),
            sources: Sources::default(),
            timeouts: Timeouts::default(),
            aliases: None,
            confine: true,
            events: None,
            durability: store::Durability::default(),
            journal_every: Some(store::journal::INGEST_EVERY),
        }
    }
}

/// The service's shared state.
pub struct App {
    tenants: Tenants,
    catalog: Catalog,
    store: Arc<dyn Runs>,
    writer: Arc<store::batch::GroupCommit>,
    /// Where waited runs without an idempotency key are recorded, when the
    /// store has a journal (SQLite, `--durability process`).
    journal: Option<Arc<store::journal::Journal>>,
    running: Arc<runner::Running>,
    workers: Workers,
    draining: AtomicBool,
    max_body: usize,
    body_timeout: Duration,
    default_fuel: u64,
    default_timeout: Duration,
}

impl App {
    fn tenant(&self, name: &str) -> &Tenant {
        self.tenants
            .iter()
            .find(|t| t.name == name)
            .expect("a tenant authenticated in this request exists")
    }
}

/// Starts the service and serves until SIGTERM or Ctrl-C, then drains: new runs
/// get `503`, admitted runs finish, then the process returns.
pub fn serve(cfg: ServeConfig) -> Result<(), String> {
    let _ = tracing_subscriber::fmt()
        .json()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("CAPLET_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .try_init();
    let tenants = match &cfg.tenants {
        Some(p) => Tenants::load(p)?,
        None if cfg.listen.ip().is_loopback() => Tenants::open(),
        None => {
            return Err(format!(
                "--listen {}: without --tenants the service has no tokens, so it listens on \
                 loopback only",
                cfg.listen
            ))
        }
    };
    let policy = match &cfg.policy {
        Some(p) => Policy::load(p)?,
        None => Policy::default(),
    };
    if let Some((section, _)) = policy.sections().find(|(_, s)| s.kv_store.is_some()) {
        return Err(format!(
            "policy [{section}]: kv-store is not set in the service's policy; each tenant's KV \
             is its own store, under --data or in --database"
        ));
    }
    std::fs::create_dir_all(cfg.data.join("kv"))
        .map_err(|e| format!("cannot create --data {}: {e}", cfg.data.display()))?;
    let (store, interrupted, kv, journaled) = open_state(&cfg)?;
    // Runs a killed process answered and left in the journal go into the store
    // before anything is served.
    let running = Arc::new(runner::Running::default());
    let journal = match journaled {
        None => None,
        Some((sqlite, every)) => {
            let view = running.clone();
            let (journal, recovered) = store::journal::Journal::open(
                &cfg.data,
                sqlite,
                every,
                Box::new(move |runs| view.end_all(runs.iter().map(|r| r.id.as_str()))),
            )
            .map_err(|e| e.0)?;
            if recovered > 0 {
                tracing::info!(
                    runs = recovered,
                    "run records left in the journal by the last process stored"
                );
            }
            Some(Arc::new(journal))
        }
    };
    if interrupted > 0 {
        tracing::warn!(
            runs = interrupted,
            "runs left unfinished by the last process marked interrupted"
        );
    }
    prune(&*store, cfg.retention);
    let mut sources = cfg.sources.clone();
    if sources.store.is_none() {
        sources.store = Some(cfg.data.join("oci"));
    }
    // Registry credentials are read now: once confined, the service reads no file
    // outside its data, plugin and mapped directories.
    if sources.loaded_credentials.is_none() {
        sources.loaded_credentials = Some(
            crate::oci::Credentials::load(sources.credentials.as_deref())
                .map_err(|e| e.to_string())?,
        );
    }
    let catalog = Catalog::new(
        cfg.plugin_dirs.clone(),
        policy,
        kv,
        sources,
        cfg.workers.max(1),
    )?;
    if let Some(p) = &cfg.aliases {
        for (name, alias) in plugins::load_aliases(p)? {
            catalog.set_alias(&name, alias)?;
        }
    }
    // Opened before confinement (it may be outside --data).
    let events = Arc::new(match &cfg.events {
        Some(p) => events::RunEvents::to_file(p)?,
        None => events::RunEvents::log_only(),
    });
    // Bound before confinement, on the main thread.
    let listener = std::net::TcpListener::bind(cfg.listen)
        .and_then(|l| l.set_nonblocking(true).map(|()| l))
        .map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
    // Confinement while this is the only thread: Landlock binds the calling thread
    // and the threads it starts afterwards (workers, the async runtime).
    if cfg.confine {
        let c = confinement(&cfg, &app_policies(&catalog, &tenants))?;
        let report = confine::confine(&c)?;
        for line in report.to_string().lines() {
            tracing::info!(confinement = %line, "self-confinement");
        }
        if !report.landlock.is_active() || !report.seccomp.is_active() {
            tracing::warn!("self-confinement is not complete on this kernel: {report}");
        }
    } else {
        tracing::warn!("--dangerous-no-confine: the service runs without Landlock and seccomp");
    }
    let server_limits = crate::limits::server();
    store.start_background().map_err(|e| e.0)?;
    if let Some(j) = &journal {
        j.start().map_err(|e| e.0)?;
    }
    let writer = Arc::new(store::batch::GroupCommit::start(store.clone()).map_err(|e| e.0)?);
    let app = Arc::new(App {
        tenants,
        catalog,
        workers: Workers::start(
            cfg.workers,
            cfg.queue,
            writer.clone(),
            journal.clone(),
            running.clone(),
            events,
        )?,
        writer,
        journal,
        running,
        store: store.clone(),
        draining: AtomicBool::new(false),
        max_body: cfg.max_body,
        body_timeout: cfg.timeouts.body,
        default_fuel: server_limits.fuel_per_call,
        default_timeout: Duration::from_millis(crate::limits::SERVER_TIMEOUT_MS),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("caplet-http")
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let result = rt.block_on(async {
        let listener = tokio::net::TcpListener::from_std(listener)
            .map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("cannot listen on {}: {e}", cfg.listen))?;
        // One plain line on stdout for scripts (the port, when asked for port 0).
        println!("caplet serve: listening on http://{addr}");
        tracing::info!(%addr, tenants = app.tenants.iter().count(), open = app.tenants.is_open(), "listening");
        let pruner = {
            let store = store.clone();
            let retention = cfg.retention;
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(3600));
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let store = store.clone();
                    let _ = tokio::task::spawn_blocking(move || prune(&*store, retention)).await;
                }
            })
        };
        let served = accept_loop(listener, app.clone(), cfg.timeouts).await;
        pruner.abort();
        served
    });
    // Every admitted run ends and is recorded before the process returns.
    app.draining.store(true, Ordering::SeqCst);
    app.workers.drain();
    // Then the records of the runs that just ended.
    app.writer.stop();
    if let Some(j) = &app.journal {
        j.stop();
    }
    tracing::info!("stopped");
    result
}

/// Serves HTTP/1.1 connections until SIGTERM or Ctrl-C: a client that does not
/// send a complete header in time is cut, at most `max_connections` are open,
/// and at shutdown open connections finish their request (up to `drain`).
async fn accept_loop(
    listener: tokio::net::TcpListener,
    app: Arc<App>,
    t: Timeouts,
) -> Result<(), String> {
    use hyper_util::rt::{TokioIo, TokioTimer};
    let router = api::router(app.clone());
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let slots = Arc::new(tokio::sync::Semaphore::new(t.max_connections.max(1)));
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let permit = tokio::select! {
            p = slots.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => break,
            },
            _ = &mut shutdown => break,
        };
        let (stream, _) = tokio::select! {
            c = listener.accept() => match c {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors and the like: back off, keep serving.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let conn = hyper::server::conn::http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(t.header)
            .serve_connection(TokioIo::new(stream), service);
        let watched = graceful.watch(conn);
        tokio::spawn(async move {
            let _ = watched.await;
            drop(permit);
        });
    }
    app.draining.store(true, Ordering::SeqCst);
    tracing::info!("draining");
    drop(listener);
    if tokio::time::timeout(t.drain, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the drain time; closing them");
    }
    Ok(())
}

/// Every policy section of the service and its tenants.
fn app_policies<'a>(catalog: &'a Catalog, tenants: &'a Tenants) -> Vec<&'a Settings> {
    let mut v: Vec<&Settings> = catalog.policy().sections().map(|(_, s)| s).collect();
    for t in tenants.iter() {
        v.extend(t.policy.sections().map(|(_, s)| s));
    }
    v
}

/// What the confined process may still reach: the data directory (and the temp
/// directory when a policy grants `fs:temp`), the plugin directories, every mapped
/// directory and secrets file of every policy section, the registry store; and
/// programs only when a section grants `exec`.
fn confinement(cfg: &ServeConfig, sections: &[&Settings]) -> Result<confine::Confinement, String> {
    use caplet_core::capability::Kind;
    let mut c = confine::Confinement {
        read_write: vec![cfg.data.clone()],
        read_only: cfg.plugin_dirs.clone(),
        allow_exec: false,
    };
    if let Some(store) = &cfg.sources.store {
        std::fs::create_dir_all(store)
            .map_err(|e| format!("cannot create the store {}: {e}", store.display()))?;
        c.read_write.push(store.clone());
    }
    for s in sections {
        for m in &s.dirs {
            if m.read_only {
                c.read_only.push(m.host.clone());
            } else {
                c.read_write.push(m.host.clone());
            }
        }
        if let Some(f) = &s.secrets {
            c.read_only.push(f.clone());
        }
        for cap in &s.allow {
            match cap.kind() {
                Kind::Exec => c.allow_exec = true,
                Kind::FsTemp => c.read_write.push(std::env::temp_dir()),
                _ => {}
            }
        }
    }
    c.read_write.dedup();
    c.read_only.dedup();
    Ok(c)
}

/// The run store, how many of its runs were marked interrupted, the tenants' KV
/// stores, and the SQLite store again when runs may be journaled in front of it
/// (`--durability process`; see [`store::journal`]).
type State = (
    Arc<dyn Runs>,
    usize,
    Arc<dyn plugins::TenantKv>,
    Option<(Arc<SqliteRuns>, Duration)>,
);

/// The run store and the tenants' KV stores: SQLite under `--data`, or PostgreSQL
/// for `--database postgres://…`.
fn open_state(cfg: &ServeConfig) -> Result<State, String> {
    let Some(url) = &cfg.database else {
        let store = Arc::new(
            SqliteRuns::open(&cfg.data.join("runs.sqlite"), cfg.durability).map_err(|e| e.0)?,
        );
        let n = store.interrupt_unfinished().map_err(|e| e.0)?;
        let kv = plugins::SqliteTenantKv::new(cfg.data.join("kv"));
        let journal = (cfg.durability == store::Durability::Process)
            .then_some(cfg.journal_every)
            .flatten()
            .map(|every| (store.clone(), every));
        return Ok((store, n, Arc::new(kv), journal));
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        // The URL is not shown: it may hold a password.
        let scheme = url.split_once("://").map_or("", |(s, _)| s);
        return Err(format!(
            "--database: `{scheme}` URLs are not supported; use postgres://USER@HOST:PORT/DB"
        ));
    }
    let replica = match &cfg.replica_id {
        Some(id) => id.clone(),
        None => store::postgres::default_replica_id(&cfg.data),
    };
    let store = store::PgRuns::connect(url, &replica).map_err(|e| e.0)?;
    let n = store.interrupt_unfinished().map_err(|e| e.0)?;
    let kv = pgkv::PgTenantKv::connect(url)?;
    tracing::info!(replica = %replica, ?store, "run records, idempotency keys and KV on PostgreSQL");
    Ok((Arc::new(store), n, Arc::new(kv), None))
}

fn prune(store: &dyn Runs, retention: Duration) {
    let before = store::now_ms().saturating_sub(retention.as_millis() as u64);
    match store.prune(before) {
        Ok(0) => {}
        Ok(n) => tracing::info!(runs = n, "pruned run records past the retention"),
        Err(e) => tracing::error!(error = %e, "cannot prune run records"),
    }
}

async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// Removes run records older than `retention` from the run store (`database`, else
/// SQLite under `data`); returns how many (`caplet serve --prune`). Safe beside a
/// running service: runs in flight are not touched.
pub fn prune_now(
    data: &std::path::Path,
    database: Option<&str>,
    retention: Duration,
) -> Result<usize, String> {
    let store: Box<dyn Runs> = match database {
        None => Box::new(
            SqliteRuns::open(&data.join("runs.sqlite"), store::Durability::Process)
                .map_err(|e| e.0)?,
        ),
        Some(url) => {
            if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
                return Err("--database: only postgres:// URLs are supported".into());
            }
            // The replica id only matters for interrupting runs, which pruning
            // never does.
            Box::new(store::PgRuns::connect(url, "prune").map_err(|e| e.0)?)
        }
    };
    let before = store::now_ms().saturating_sub(retention.as_millis() as u64);
    store.prune(before).map_err(|e| e.0)
}
