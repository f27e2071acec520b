//! `caplet serve`: runs plugins for many callers over HTTP.
//!
//! - **API** ([`api`]): `POST /v1/runs`, `GET /v1/runs/{id}`, `GET /v1/plugins`,
//!   admin endpoints, `/metrics`, `/healthz`, `/readyz` and `/openapi.json`.
//! - **Tenants** ([`tenants`]): bearer tokens stored hashed, a policy and limits each.
//! - **Plugins** ([`plugins`]): the plugin directories' catalogue, pooled
//!   instances, kill switches and engine generations.
//! - **Runs** ([`runner`]): a bounded worker pool off the async reactor.
//! - **State** ([`store`]): run records and idempotency keys in SQLite under
//!   `--data`, and each tenant's KV store beside them.
//! - **Observability** ([`metrics`], [`events`]): Prometheus metrics and
//!   structured log lines (`tracing`) for run events, plugin logs and denials.
//!
//! The operator's guide is `docs/serving.md`.

pub mod api;
pub mod confine;
pub mod events;
pub mod metrics;
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
use crate::policy::Policy;

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
}

impl Default for ServeConfig {
    fn default() -> Self {
        let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
        ServeConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data: PathBuf::from("caplet-data"),
            database: None,
            policy: None,
            plugin_dirs: Vec::new(),
            tenants: None,
            workers,
            queue: 64 * workers,
            max_body: 4 << 20,
            retention: Duration::from_secs(7 * 24 * 3600),
            sources: Sources::default(),
        }
    }
}

/// The service's shared state.
pub struct App {
    tenants: Tenants,
    catalog: Catalog,
    store: Arc<dyn Runs>,
    workers: Workers,
    draining: AtomicBool,
    max_body: usize,
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
    if let Some(url) = &cfg.database {
        return Err(format!(
            "--database {url}: shared state on PostgreSQL is not built yet; this build keeps \
             state in SQLite under --data"
        ));
    }
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
             lives under --data"
        ));
    }
    std::fs::create_dir_all(cfg.data.join("kv"))
        .map_err(|e| format!("cannot create --data {}: {e}", cfg.data.display()))?;
    let (store, interrupted) = SqliteRuns::open(&cfg.data.join("runs.sqlite")).map_err(|e| e.0)?;
    if interrupted > 0 {
        tracing::warn!(
            runs = interrupted,
            "runs left unfinished by the last process marked interrupted"
        );
    }
    let store: Arc<dyn Runs> = Arc::new(store);
    prune(&*store, cfg.retention);
    let mut sources = cfg.sources.clone();
    if sources.store.is_none() {
        sources.store = Some(cfg.data.join("oci"));
    }
    let catalog = Catalog::new(
        cfg.plugin_dirs.clone(),
        policy,
        Arc::new(plugins::SqliteTenantKv::new(cfg.data.join("kv"))),
        sources,
        cfg.workers.max(1),
    )?;
    let server_limits = crate::limits::server();
    let app = Arc::new(App {
        tenants,
        catalog,
        workers: Workers::start(cfg.workers, cfg.queue, store.clone()),
        store: store.clone(),
        draining: AtomicBool::new(false),
        max_body: cfg.max_body,
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
        let listener = tokio::net::TcpListener::bind(cfg.listen)
            .await
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
        let app2 = app.clone();
        let served = axum::serve(listener, api::router(app.clone()))
            .with_graceful_shutdown(async move {
                shutdown_signal().await;
                app2.draining.store(true, Ordering::SeqCst);
                tracing::info!("draining");
            })
            .await
            .map_err(|e| format!("serving: {e}"));
        pruner.abort();
        served
    });
    // Every admitted run ends and is recorded before the process returns.
    app.draining.store(true, Ordering::SeqCst);
    app.workers.drain();
    tracing::info!("stopped");
    result
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

/// Removes run records older than `retention` from the store under `data`;
/// returns how many (`caplet serve --prune`).
pub fn prune_now(data: &std::path::Path, retention: Duration) -> Result<usize, String> {
    let (store, _) = SqliteRuns::open(&data.join("runs.sqlite")).map_err(|e| e.0)?;
    let before = store::now_ms().saturating_sub(retention.as_millis() as u64);
    store.prune(before).map_err(|e| e.0)
}
