//! The `caplet` command: `run`, `inspect`, `verify`.
//!
//! Exit codes (stable): 0 ok, 1 the plugin returned an error, 2 bad command line,
//! 3 bad module/manifest/digest, 4 out of fuel or timeout, 5 trap or memory limit,
//! 6 capability denied at load. On failure one line `error: <kind>: <message>` goes
//! to stderr.

use std::io::{IsTerminal, Read, Write};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use caplet_core::inspect::{ItemKind, ModuleInfo};
use caplet_core::platform::Level;
use caplet_core::profiles::wasi::{Preopen, WasiConfig};
use caplet_core::{
    parse_size, Capability, Code, Digest, EngineLimits, Error, ErrorKind, Grants, LimitOverrides,
    Limits, Manifest, PluginConfig, Runtime, Usage, Value,
};
use clap::{ArgMatches, CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::deadline::{with_call_deadline, CancelHandle, Deadline};
use crate::fs::Mount;
use crate::load::{load, load_file, LoadError, Sources};
use crate::oci::{parse_layout_ref, Artifact, Layout, Reference};
use crate::platform::escape;
use crate::policy::{parse_level, parse_rate, parse_trusted, HttpSettings, Policy, Settings};
use crate::registry::Registry;

/// Exit codes of the `caplet` command.
pub mod exit {
    /// Success.
    pub const OK: i32 = 0;
    /// The plugin returned an error.
    pub const GUEST: i32 = 1;
    /// Bad command line.
    pub const USAGE: i32 = 2;
    /// Bad module, manifest or digest.
    pub const MODULE: i32 = 3;
    /// Out of fuel or timeout.
    pub const BUDGET: i32 = 4;
    /// Trap or memory limit.
    pub const TRAP: i32 = 5;
    /// Capability denied at load.
    pub const CAPABILITY: i32 = 6;
}

/// Caplet runs untrusted WebAssembly plugins under fuel, memory and capability limits.
#[derive(Parser, Debug)]
#[command(name = "caplet", version, about, long_about = None, after_help = EXIT_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

const EXIT_HELP: &str =
    "Exit codes: 0 ok, 1 plugin error, 2 bad command line, 3 bad module/manifest/digest, \
4 out of fuel or timeout, 5 trap or memory limit, 6 capability denied at load.";

#[derive(Subcommand, Debug)]
enum Command {
    /// Run an entry point (or a typed export) of a plugin.
    Run(Box<RunArgs>),
    /// Show a plugin's imports, exports, required capabilities, manifest and digest.
    Inspect {
        /// A module (.wasm), a sidecar manifest (.json), NAME@VERSION from
        /// --plugin-dir, a registry reference or oci-layout:DIR:TAG.
        target: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        source: SourceArgs,
    },
    /// Check a sidecar manifest: its module's digest, the manifest itself, and that
    /// the module compiles and imports nothing the manifest does not declare.
    Verify {
        /// The sidecar manifest.
        manifest: PathBuf,
    },
    /// Push a plugin (sidecar manifest and its module) to a registry or an OCI
    /// image layout, as a wasm artifact. A sidecar signature of the module
    /// (MODULE.sig beside it, or --signature) travels as the artifact's
    /// `dev.caplet.signature` annotation; an embedded one inside the module.
    Push {
        /// The sidecar manifest (its `module` names the wasm file).
        manifest: PathBuf,
        /// REGISTRY/REPOSITORY[:TAG], oci-layout:DIR:TAG, or with --layout just TAG.
        reference: String,
        /// Write into this OCI image layout directory instead of a registry.
        #[arg(long, value_name = "DIR")]
        layout: Option<PathBuf>,
        /// A sidecar signature of the module (default: MODULE.sig if it exists).
        #[arg(long, value_name = "FILE")]
        signature: Option<PathBuf>,
        #[command(flatten)]
        registry: RegistryArgs,
    },
    /// Pull a plugin from a registry into the local store (nothing is fetched twice).
    Pull {
        /// REGISTRY/REPOSITORY[:TAG] or REGISTRY/REPOSITORY@sha256:….
        reference: String,
        #[command(flatten)]
        source: SourceArgs,
    },
    /// Make an Ed25519 key pair for signing plugins: PREFIX.key (secret, mode 0600)
    /// and PREFIX.pub. Existing files are never overwritten.
    Keygen {
        /// Path prefix of the two files.
        prefix: PathBuf,
    },
    /// Sign a module: embed a `caplet.signature` section (replacing an earlier one),
    /// or with --sidecar write MODULE.sig beside it. `caplet run --trusted-key`
    /// then accepts it.
    Sign {
        /// The module (.wasm).
        module: PathBuf,
        /// The secret key file from `caplet keygen`.
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Write the signed module here instead of replacing MODULE.
        #[arg(long, value_name = "FILE", conflicts_with = "sidecar")]
        out: Option<PathBuf>,
        /// Leave the module as it is and write the signature to MODULE.sig.
        #[arg(long)]
        sidecar: bool,
    },
    /// Run plugins for many callers over HTTP (see docs/serving.md).
    Serve(ServeArgs),
    /// List the plugins of a plugin directory, highest version first.
    List {
        /// The plugin directory.
        #[arg(long, env = "CAPLET_PLUGIN_DIR", value_name = "DIR")]
        plugin_dir: PathBuf,
    },
}

#[derive(clap::Args, Debug)]
struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the address is printed).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "ADDR")]
    listen: std::net::SocketAddr,
    /// Directory for run records and each tenant's KV store.
    #[arg(long, default_value = "caplet-data", value_name = "DIR")]
    data: PathBuf,
    /// Shared state on PostgreSQL (postgres://…); default: SQLite under --data.
    #[arg(long, value_name = "URL")]
    database: Option<String>,
    /// This replica's id among those sharing --database (at start-up only its own
    /// unfinished runs are marked interrupted); default: HOSTNAME:DATA, the host
    /// name and the canonical --data path.
    #[arg(long, value_name = "ID")]
    replica_id: Option<String>,
    /// The service's policy file (grants and limits per plugin).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// A plugin directory (repeatable; searched in order).
    #[arg(long = "plugin-dir", value_name = "DIR")]
    plugin_dirs: Vec<PathBuf>,
    /// The tenants file (tokens, plugins, limits, policy per tenant). Without it,
    /// one open tenant and loopback only.
    #[arg(long, value_name = "FILE")]
    tenants: Option<PathBuf>,
    /// Worker threads running plugin calls (default: one per core).
    #[arg(long, value_name = "N")]
    workers: Option<usize>,
    /// Runs admitted beyond those running before requests get 429 (default: 64
    /// per worker).
    #[arg(long, value_name = "N")]
    queue: Option<usize>,
    /// Largest request body.
    #[arg(long, value_name = "SIZE", value_parser = size_arg, default_value = "4MiB")]
    max_body: u64,
    /// Days run records are kept.
    #[arg(long, value_name = "DAYS", default_value_t = 7)]
    retention_days: u64,
    /// What an answered run survives: `process` (a killed process loses nothing)
    /// or `power` (every write synced to disk first).
    #[arg(long, value_name = "process|power", default_value = "process")]
    durability: crate::serve::store::Durability,
    /// How long the final records of waited runs without an idempotency key stay in
    /// the run journal before they move into SQLite (one transaction per move); 0
    /// turns the journal off (each record is committed before its answer). Default
    /// 50; refused with --database or --durability power, which have no journal.
    #[arg(long, value_name = "MS")]
    journal_ms: Option<u64>,
    /// An aliases file: canary splits of a plugin name between versions.
    #[arg(long, value_name = "FILE")]
    aliases: Option<PathBuf>,
    /// Longest wait for a request's complete header before the connection is cut.
    #[arg(long, value_name = "MS", default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// Longest wait for a request's whole body before it gets 408.
    #[arg(long, value_name = "MS", default_value_t = 30_000)]
    body_timeout_ms: u64,
    /// Connections open at once; further connections wait in the listen backlog
    /// until one closes (keep each under the process's file-descriptor limit).
    #[arg(long, value_name = "N", default_value_t = 1024)]
    max_connections: usize,
    /// Append run events (run.started, run.finished, run.failed) to FILE as JSON
    /// lines, besides the log.
    #[arg(long, value_name = "FILE")]
    events: Option<PathBuf>,
    /// Run without Landlock and seccomp self-confinement (weakens the sandbox:
    /// for kernels or set-ups where confinement gets in the way).
    #[arg(long)]
    dangerous_no_confine: bool,
    /// Remove run records past the retention from --data and exit.
    #[arg(long)]
    prune: bool,
    /// Local store for plugins pulled from registries (default: DATA/oci).
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    /// Registry credentials file (Docker config.json format).
    #[arg(long, value_name = "FILE")]
    credentials: Option<PathBuf>,
    /// A registry reached over plain HTTP (repeatable).
    #[arg(long = "insecure-registry", value_name = "HOST[:PORT]")]
    insecure_registries: Vec<String>,
}

fn serve(args: ServeArgs) -> Result<(), Failure> {
    let retention = Duration::from_secs(args.retention_days.saturating_mul(24 * 3600));
    if args.prune {
        let n = crate::serve::prune_now(&args.data, args.database.as_deref(), retention)
            .map_err(Failure::usage)?;
        println!(
            "pruned {n} run records older than {} days",
            args.retention_days
        );
        return Ok(());
    }
    // The journal is SQLite's, at process durability: a setting for it elsewhere
    // would do nothing, so it is refused rather than ignored.
    if let Some(ms) = args.journal_ms {
        let without = if args.database.is_some() {
            Some("--database (PostgreSQL commits each record itself)")
        } else if args.durability == crate::serve::store::Durability::Power {
            Some("--durability power (each record is synced to disk before its answer)")
        } else {
            None
        };
        if let Some(without) = without {
            return Err(Failure::usage(format!(
                "--journal-ms {ms}: there is no run journal with {without}"
            )));
        }
    }
    let mut cfg = crate::serve::ServeConfig {
        listen: args.listen,
        data: args.data,
        database: args.database,
        replica_id: args.replica_id,
        policy: args.policy,
        plugin_dirs: args.plugin_dirs,
        tenants: args.tenants,
        max_body: usize::try_from(args.max_body).unwrap_or(usize::MAX),
        retention,
        aliases: args.aliases,
        durability: args.durability,
        journal_every: match args.journal_ms {
            None => Some(crate::serve::store::journal::INGEST_EVERY),
            Some(0) => None,
            Some(ms) => Some(Duration::from_millis(ms)),
        },
        confine: !args.dangerous_no_confine,
        events: args.events,
        timeouts: crate::serve::Timeouts {
            header: Duration::from_millis(args.header_timeout_ms.max(1)),
            body: Duration::from_millis(args.body_timeout_ms.max(1)),
            max_connections: args.max_connections.max(1),
            ..Default::default()
        },
        sources: Sources {
            plugin_dir: None,
            store: args.store,
            insecure: args.insecure_registries,
            credentials: args.credentials,
            progress: false,
            loaded_credentials: None,
        },
        ..Default::default()
    };
    if let Some(w) = args.workers {
        cfg.workers = w.max(1);
        cfg.queue = 64 * cfg.workers;
    }
    if let Some(q) = args.queue {
        cfg.queue = q;
    }
    crate::serve::serve(cfg).map_err(Failure::usage)
}

/// Where plugins come from besides files.
#[derive(clap::Args, Debug, Clone, Default)]
struct SourceArgs {
    /// Directory of plugins for NAME@VERSION targets.
    #[arg(long, env = "CAPLET_PLUGIN_DIR", value_name = "DIR")]
    plugin_dir: Option<PathBuf>,
    /// Local content-addressed store for pulled artifacts (default: $CAPLET_STORE,
    /// else ~/.cache/caplet/store).
    #[arg(long, value_name = "DIR")]
    store: Option<PathBuf>,
    #[command(flatten)]
    registry: RegistryArgs,
}

/// How to reach registries.
#[derive(clap::Args, Debug, Clone, Default)]
struct RegistryArgs {
    /// Reach the reference's registry over plain HTTP (only for that registry).
    #[arg(long)]
    insecure: bool,
    /// Registry credentials file (Docker config.json format). Without it:
    /// CAPLET_REGISTRY_USER/CAPLET_REGISTRY_PASSWORD, $CAPLET_AUTH_FILE or
    /// ~/.docker/config.json.
    #[arg(long, value_name = "FILE")]
    credentials: Option<PathBuf>,
}

#[derive(clap::Args, Debug)]
#[command(after_help = RUN_HELP)]
struct RunArgs {
    /// A module (.wasm), a sidecar manifest (.json), NAME@VERSION from --plugin-dir,
    /// a registry reference (REGISTRY/REPO:TAG or @sha256:…) or oci-layout:DIR:TAG.
    target: String,
    #[command(flatten)]
    source: SourceArgs,
    /// Entry point or export to call (default: the only entry point).
    #[arg(long)]
    call: Option<String>,
    /// Input bytes, given as text (usually JSON).
    #[arg(long, conflicts_with = "input_file")]
    input: Option<String>,
    /// Read the input from a file (`-` for stdin). Without --input or --input-file,
    /// stdin is read when it is not a terminal.
    #[arg(long)]
    input_file: Option<PathBuf>,
    /// Grants, mappings and limits per plugin from a TOML policy file; flags add to
    /// it and override its single values.
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Accept only modules signed by this key (repeatable): `ed25519:<hex>` or a
    /// .pub file from `caplet keygen`. The signature is --signature, else MODULE.sig
    /// beside the module's file, else an OCI artifact's `dev.caplet.signature`
    /// annotation, else the module's embedded `caplet.signature` section. The
    /// policy file's `trusted-keys` add to these keys. Checked before anything else
    /// reads the module.
    #[arg(long = "trusted-key", value_name = "KEY")]
    trusted_keys: Vec<String>,
    /// A sidecar signature file for the module (default: MODULE.sig if it exists,
    /// else the signature an OCI artifact carries).
    #[arg(long, value_name = "FILE")]
    signature: Option<PathBuf>,
    /// Grant a capability (repeatable): log, clock, random, kv, emit:<topic-glob>,
    /// fs:read:<path-glob>, fs:write:<path-glob>, net:outbound:<host-glob>[:<port>],
    /// net:outbound:private, env:<name-glob>, secrets:read:<name-glob>.
    #[arg(long = "allow", value_name = "CAP")]
    allow: Vec<String>,
    /// Map a host directory to a guest path (repeatable); `:ro` refuses writes.
    #[arg(long = "dir", value_name = "HOST::GUEST[:ro]")]
    dirs: Vec<String>,
    /// Let plugins read an environment variable (repeatable): NAME copies the host's
    /// value, NAME=VALUE sets one. Nothing else of the environment is visible.
    #[arg(long = "env", value_name = "NAME[=VALUE]")]
    env: Vec<String>,
    /// Secrets file (TOML `name = "value"`, readable by its owner only).
    #[arg(long, value_name = "FILE")]
    secrets: Option<PathBuf>,
    /// Durable KV store (an SQLite file, created if missing; safe to share between
    /// processes). Without it, KV lives in memory for this run.
    #[arg(long, value_name = "FILE")]
    kv_store: Option<PathBuf>,
    /// Set a config value (repeatable), overriding the manifest's default.
    #[arg(long = "config", value_name = "KEY=VALUE")]
    config: Vec<String>,
    /// Fuel budget per call.
    #[arg(long, value_name = "N")]
    fuel: Option<u64>,
    /// Linear-memory budget (bytes, or with KiB/MiB/GiB).
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    memory: Option<u64>,
    /// Wall-clock timeout per call in milliseconds.
    #[arg(long, value_name = "MS")]
    timeout: Option<u64>,
    /// Longest one HTTP request may take, in milliseconds (default 30000; the call's
    /// timeout may cut it shorter).
    #[arg(long, value_name = "MS")]
    http_timeout: Option<u64>,
    /// HTTP requests per second and burst for the plugin, or `off` (default 10/20).
    #[arg(long, value_name = "RATE[/BURST]")]
    http_rate: Option<String>,
    /// Exempt an address from the private-address guard (repeatable). The host
    /// allowlist still applies.
    #[arg(long = "trust-addr", value_name = "IP", value_parser = parse_trusted)]
    trust_addr: Vec<IpAddr>,
    /// An i32 argument for a typed call (repeatable; order is kept across types).
    #[arg(long = "i32", value_name = "N", allow_hyphen_values = true)]
    i32_args: Vec<i32>,
    /// An i64 argument for a typed call.
    #[arg(long = "i64", value_name = "N", allow_hyphen_values = true)]
    i64_args: Vec<i64>,
    /// An f32 argument for a typed call.
    #[arg(long = "f32", value_name = "X", allow_hyphen_values = true)]
    f32_args: Vec<f32>,
    /// An f64 argument for a typed call.
    #[arg(long = "f64", value_name = "X", allow_hyphen_values = true)]
    f64_args: Vec<f64>,
    /// Lowest plugin log level written to stderr: trace, debug, info, warn, error
    /// (default info).
    #[arg(long, value_parser = parse_level)]
    log_level: Option<Level>,
    /// Print a usage report (fuel, memory, host calls, time, grants) to stderr.
    #[arg(long)]
    report: bool,
    /// Run the module as a WASI command (`_start`). A module that imports
    /// `wasi_snapshot_preview1` and exports `_start` is one anyway when run without
    /// --call. In WASI mode each --dir is a preopen and its own grant, --env is the
    /// whole environment, and stdin, stdout and stderr pass through.
    #[arg(long)]
    wasi: bool,
    /// Limits: `server` (default: 16 MiB memory, 64 MiB modules, 10^10 fuel,
    /// 60 s timeout) or `embedded` (the board's: 1 MiB memory, 1 MiB modules,
    /// 10^7 fuel), to rehearse a plugin before flashing it.
    #[arg(long, value_name = "PROFILE", default_value = "server")]
    profile: LimitsProfile,
    /// Bytes the plugin may write beneath its mapped directories during this run
    /// (default 1 GiB; `--profile embedded`: 64 MiB).
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    write_quota: Option<u64>,
    /// Files, directories and links the plugin may create beneath its mapped
    /// directories during this run (default 100,000; embedded: 1,000).
    #[arg(long, value_name = "N")]
    write_quota_files: Option<u32>,
    /// Longest a program run by `exec` may take, in milliseconds (default
    /// 10,000; the call's --timeout bounds it too).
    #[arg(long, value_name = "MS")]
    exec_timeout: Option<u64>,
    /// Bytes of stdout, and of stderr, captured from a program run by `exec`;
    /// past it the program's process group is killed (default 1 MiB).
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    exec_output: Option<u64>,
    /// Largest module accepted (bytes, or with KiB/MiB/GiB).
    #[arg(long, value_name = "SIZE", value_parser = size_arg)]
    max_module: Option<u64>,
    /// Arguments of a WASI program (after `--`); argv[0] is the module's path.
    #[arg(last = true, value_name = "ARG")]
    args: Vec<String>,
}

/// The limit sets of `--profile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LimitsProfile {
    /// Sized for a server.
    Server,
    /// The board's limits.
    Embedded,
}

const RUN_HELP: &str = "Examples:
  caplet run echo.wasm --call upper --input hello
  caplet run fs_tool.json --call list --input '{\"path\":\"/data\"}' \\
      --dir ./data::/data:ro --allow 'fs:read:/data/**'
  caplet run fetch.wasm --allow 'net:outbound:api.example.com:443' --timeout 2000
  caplet run add.wasm --call add --i32 2 --i32 3
  caplet run plugin.wasm --policy caplet.toml

Plugin logs go to stderr as `[plugin] LEVEL message`, denials as `[plugin] DENIED ...`.";

fn size_arg(s: &str) -> Result<u64, String> {
    parse_size(s)
        .ok_or_else(|| format!("`{s}` is not a size (bytes, or a number with KiB, MiB or GiB)"))
}

/// A failure of the command: exit code and message.
#[derive(Debug)]
pub struct Failure {
    /// The exit code.
    pub code: i32,
    /// `<kind>: <message>`.
    pub message: String,
}

impl Failure {
    fn usage(message: impl Into<String>) -> Self {
        Failure {
            code: exit::USAGE,
            message: format!("usage: {}", message.into()),
        }
    }

    fn io(path: &Path, e: std::io::Error) -> Self {
        Failure {
            code: exit::USAGE,
            message: format!("usage: cannot read {}: {e}", path.display()),
        }
    }
}

/// The exit code for a core error.
pub fn exit_code(e: &Error) -> i32 {
    match e.kind() {
        ErrorKind::Guest => exit::GUEST,
        ErrorKind::Usage => exit::USAGE,
        ErrorKind::Module => exit::MODULE,
        ErrorKind::Budget => exit::BUDGET,
        ErrorKind::Capability => exit::CAPABILITY,
        _ => exit::TRAP,
    }
}

impl From<LoadError> for Failure {
    fn from(e: LoadError) -> Self {
        let code = match &e {
            LoadError::Core(e) => exit_code(e),
            e if e.is_module() => exit::MODULE,
            _ => exit::USAGE,
        };
        let hint = if matches!(e, LoadError::TooLarge(_)) {
            " (raise the limit with --max-module SIZE)"
        } else {
            ""
        };
        Failure {
            code,
            message: format!("{e}{hint}"),
        }
    }
}

impl From<crate::oci::OciError> for Failure {
    fn from(e: crate::oci::OciError) -> Self {
        LoadError::from(e).into()
    }
}

impl SourceArgs {
    /// The sources for loading `target`: `--insecure` applies to its registry.
    fn sources_for(&self, target: &str) -> Sources {
        let registry = Reference::looks_like(target)
            .then(|| Reference::parse(target).ok())
            .flatten()
            .map(|r| r.registry);
        self.sources(registry.as_deref())
    }

    fn sources(&self, insecure_registry: Option<&str>) -> Sources {
        Sources {
            plugin_dir: self.plugin_dir.clone(),
            store: self.store.clone(),
            insecure: self.registry.insecure_for(insecure_registry),
            credentials: self.registry.credentials.clone(),
            progress: std::io::stderr().is_terminal(),
            loaded_credentials: None,
        }
    }
}

impl RegistryArgs {
    /// `--insecure` applies to the registry of the reference given.
    fn insecure_for(&self, registry: Option<&str>) -> Vec<String> {
        match (self.insecure, registry) {
            (true, Some(reg)) => vec![reg.to_string()],
            _ => Vec::new(),
        }
    }

    fn client(&self, registry: &str) -> Result<crate::oci::Client, Failure> {
        Ok(SourceArgs {
            registry: self.clone(),
            ..SourceArgs::default()
        }
        .sources(Some(registry))
        .client()?)
    }
}

fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, Failure> {
    Ok(crate::load::read_capped(path, max)?)
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure {
            code: exit_code(&e),
            message: format!("{}: {e}", e.kind().name()),
        }
    }
}

/// `caplet --version`: the version and the interpreter dispatcher this build got.
static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{} (wasmi dispatcher: {})",
        env!("CARGO_PKG_VERSION"),
        caplet_core::DISPATCH
    )
});

/// Runs the command line `args` (without the program name); returns the exit code.
pub fn main_with(args: impl IntoIterator<Item = String>) -> i32 {
    let argv = std::iter::once("caplet".to_string()).chain(args);
    let matches = match Cli::command()
        .version(VERSION.as_str())
        .try_get_matches_from(argv)
    {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                exit::USAGE
            } else {
                exit::OK
            };
        }
    };
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return exit::USAGE;
        }
    };
    let result = match cli.command {
        Command::Run(args) => {
            let sub = matches
                .subcommand_matches("run")
                .cloned()
                .unwrap_or_default();
            run(*args, &sub)
        }
        Command::Inspect {
            target,
            json,
            source,
        } => inspect(&target, json, &source),
        Command::Verify { manifest } => verify(&manifest),
        Command::Push {
            manifest,
            reference,
            layout,
            signature,
            registry,
        } => push(
            &manifest,
            &reference,
            layout.as_deref(),
            signature.as_deref(),
            &registry,
        ),
        Command::Pull { reference, source } => pull(&reference, &source),
        Command::List { plugin_dir } => list(&plugin_dir),
        Command::Serve(args) => serve(args),
        Command::Keygen { prefix } => keygen(&prefix),
        Command::Sign {
            module,
            key,
            out,
            sidecar,
        } => sign(&module, &key, out.as_deref(), sidecar),
    };
    match result {
        Ok(()) => exit::OK,
        // A WASI program's own exit status: nothing to add.
        Err(f) if f.message.is_empty() => f.code,
        Err(f) => {
            // One line, whatever a guest or a module put in the message (a
            // `set_error` text, an export name): control characters are escaped.
            eprintln!("error: {}", escape(&f.message));
            f.code
        }
    }
}

fn push(
    manifest: &Path,
    reference: &str,
    layout: Option<&Path>,
    signature: Option<&Path>,
    registry: &RegistryArgs,
) -> Result<(), Failure> {
    let limits = Limits::default();
    let text = read_capped(manifest, caplet_core::manifest::MAX_MANIFEST_BYTES as u64)?;
    let loaded = load_file(manifest, limits.max_module_bytes as u64)
        .map_err(Failure::from)
        .map_err(|mut f| {
            if f.code == exit::USAGE && manifest.extension().is_none_or(|e| e != "json") {
                f.message = format!(
                    "usage: {} is not a sidecar manifest (.json)",
                    manifest.display()
                );
            }
            f
        })?;
    if loaded.manifest.is_none() {
        return Err(Failure::usage(format!(
            "{} is not a sidecar manifest (.json)",
            manifest.display()
        )));
    }
    // The module's sidecar signature: --signature, else MODULE.sig beside it.
    let beside = loaded
        .module_path
        .as_deref()
        .and_then(crate::signing::find_sidecar);
    let sig = match signature.map(Path::to_path_buf).or(beside) {
        Some(p) => Some((read_signature(&p)?, p)),
        None => None,
    };
    let artifact = Artifact::build_signed(&text, loaded.wasm, sig.as_ref().map(|(s, _)| &s[..]))
        .map_err(|mut e| {
            if let Some((_, p)) = &sig {
                e.message = format!("{}: {}", p.display(), e.message);
            }
            e
        })?;
    let layout_target = match (layout, parse_layout_ref(reference)) {
        (Some(dir), _) => Some((dir.to_path_buf(), reference.to_string())),
        (None, Some(l)) => Some(l),
        (None, None) => None,
    };
    if let Some((dir, tag)) = layout_target {
        Layout::new(&dir).write(&tag, &artifact)?;
        println!(
            "pushed {} {} to oci-layout:{}:{tag} ({})",
            artifact.caplet.name,
            artifact.caplet.version,
            dir.display(),
            artifact.manifest_digest
        );
        return Ok(());
    }
    let r = Reference::parse(reference)?;
    let client = registry.client(&r.registry)?;
    let digest = client.push(&r, &artifact)?;
    println!(
        "pushed {} {} to {r} ({digest})",
        artifact.caplet.name, artifact.caplet.version
    );
    Ok(())
}

fn pull(reference: &str, source: &SourceArgs) -> Result<(), Failure> {
    let r = Reference::parse(reference)?;
    let sources = source.sources(Some(&r.registry));
    let client = sources.client()?;
    let store = sources.open_store()?;
    let a = client.pull(&r, &store)?;
    println!(
        "pulled {} {} from {r} ({}, module sha256:{}, {} bytes) into {}",
        a.caplet.name,
        a.caplet.version,
        a.manifest_digest,
        Digest::of(&a.module).to_hex(),
        a.module.len(),
        store.root().display()
    );
    Ok(())
}

fn list(dir: &Path) -> Result<(), Failure> {
    let reg = Registry::scan(dir).map_err(|e| {
        Failure::usage(format!(
            "cannot read plugin directory {}: {e}",
            dir.display()
        ))
    })?;
    for e in reg.list() {
        println!(
            "{}@{}  sha256:{}  {}",
            e.name,
            e.version,
            e.digest.to_hex(),
            e.sidecar.as_ref().unwrap_or(&e.module).display()
        );
    }
    for s in reg.skipped() {
        eprintln!("skipped {}: {}", s.path.display(), s.reason);
    }
    Ok(())
}

fn typed_args(args: &RunArgs, m: &ArgMatches) -> Vec<Value> {
    let mut all: Vec<(usize, Value)> = Vec::new();
    let mut collect = |id: &str, vals: Vec<Value>| {
        if let Some(idx) = m.indices_of(id) {
            all.extend(idx.zip(vals));
        }
    };
    collect(
        "i32_args",
        args.i32_args.iter().map(|v| Value::I32(*v)).collect(),
    );
    collect(
        "i64_args",
        args.i64_args.iter().map(|v| Value::I64(*v)).collect(),
    );
    collect(
        "f32_args",
        args.f32_args.iter().map(|v| Value::F32(*v)).collect(),
    );
    collect(
        "f64_args",
        args.f64_args.iter().map(|v| Value::F64(*v)).collect(),
    );
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, v)| v).collect()
}

fn read_input(args: &RunArgs) -> Result<Vec<u8>, Failure> {
    if let Some(text) = &args.input {
        return Ok(text.as_bytes().to_vec());
    }
    let max = Limits::default().max_input_bytes as u64;
    let mut buf = Vec::new();
    match &args.input_file {
        Some(p) if p.as_os_str() == "-" => {
            std::io::stdin()
                .take(max + 1)
                .read_to_end(&mut buf)
                .map_err(|e| Failure::io(p, e))?;
        }
        // The input may be a pipe (`--input-file <(cmd)`): the operator asked to
        // read it, so it may block like stdin does.
        Some(p) => {
            buf = std::fs::File::open(p)
                .and_then(|f| crate::files::read_capped_from(f, max))
                .map_err(|e| Failure::io(p, e))?
        }
        None if !std::io::stdin().is_terminal() => {
            std::io::stdin()
                .take(max + 1)
                .read_to_end(&mut buf)
                .map_err(|e| Failure::io(Path::new("stdin"), e))?;
        }
        None => {}
    }
    Ok(buf)
}

fn flag_settings(args: &RunArgs) -> Result<Settings, Failure> {
    let mut s = Settings::default();
    for cap in &args.allow {
        s.allow
            .push(Capability::parse(cap).map_err(|e| Failure::usage(format!("--allow: {e}")))?);
    }
    for d in &args.dirs {
        s.dirs
            .push(Mount::parse(d).map_err(|e| Failure::usage(format!("--dir: {e}")))?);
    }
    s.env = args.env.clone();
    s.secrets = args.secrets.clone();
    s.kv_store = args.kv_store.clone();
    for kv in &args.config {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| Failure::usage(format!("--config `{kv}` is not KEY=VALUE")))?;
        s.config.insert(k.to_string(), v.to_string());
    }
    s.fuel = args.fuel;
    s.memory = args.memory;
    s.write_quota = args.write_quota;
    s.write_quota_files = args.write_quota_files;
    s.exec_timeout = args.exec_timeout.map(Duration::from_millis);
    s.exec_output = args.exec_output;
    s.timeout = args.timeout.map(Duration::from_millis);
    s.log_level = args.log_level;
    s.http = HttpSettings {
        timeout: args.http_timeout.map(Duration::from_millis),
        max_redirects: None,
        rate: args
            .http_rate
            .as_deref()
            .map(parse_rate)
            .transpose()
            .map_err(|e| Failure::usage(format!("--http-rate: {e}")))?,
        trusted: args.trust_addr.clone(),
    };
    Ok(s)
}

/// Whether `info` describes a WASI command: it imports `wasi_snapshot_preview1`
/// and exports `_start`.
fn is_wasi_command(info: &ModuleInfo) -> bool {
    info.imports
        .iter()
        .any(|i| i.module == caplet_core::profiles::wasi::MODULE)
        && info.exports.iter().any(|e| e.name == "_start")
}

/// The preopens and grants of WASI mode's `--dir HOST::GUEST[:ro]`: GUEST is the
/// exact name the program sees (`/data`, `.`, `/`), and the preopen is its own
/// grant, read-write or (`:ro`) read-only.
fn wasi_dirs(specs: &[String]) -> Result<(Vec<Mount>, Vec<Preopen>, Vec<Capability>), Failure> {
    let (mut mounts, mut preopens, mut grants) = (Vec::new(), Vec::new(), Vec::new());
    for spec in specs {
        let bad = |why: &str| Failure::usage(format!("--dir `{spec}`: {why}"));
        let (host, guest) = spec
            .split_once("::")
            .ok_or_else(|| bad("expected HOST::GUEST[:ro]"))?;
        let (name, read_only) = match guest.strip_suffix(":ro") {
            Some(g) => (g, true),
            None => (guest.strip_suffix(":rw").unwrap_or(guest), false),
        };
        if host.is_empty() || name.is_empty() {
            return Err(bad(
                "the host directory and the guest name must not be empty",
            ));
        }
        let preopen = Preopen::new(name);
        if preopens.iter().any(|p: &Preopen| p.guest == preopen.guest) {
            return Err(bad("another --dir already maps this guest path"));
        }
        let scope = if preopen.guest == "/" {
            "/**".to_string()
        } else {
            format!("{}/**", preopen.guest)
        };
        for (kind, wanted) in [("read", true), ("write", !read_only)] {
            if wanted {
                for s in [preopen.guest.as_str(), scope.as_str()] {
                    grants.push(Capability::parse(&format!("fs:{kind}:{s}"))?);
                }
            }
        }
        mounts.push(Mount {
            host: PathBuf::from(host),
            guest: preopen.guest.clone(),
            read_only,
        });
        preopens.push(preopen);
    }
    Ok((mounts, preopens, grants))
}

fn run(mut args: RunArgs, m: &ArgMatches) -> Result<(), Failure> {
    let (mut limits, engine) = match args.profile {
        LimitsProfile::Server => (crate::limits::server(), crate::limits::server_engine()),
        LimitsProfile::Embedded => (Limits::default(), EngineLimits::default()),
    };
    if let Some(max) = args.max_module {
        limits.max_module_bytes = u32::try_from(max).unwrap_or(u32::MAX);
    }
    let mut loaded = load(
        &args.target,
        &args.source.sources_for(&args.target),
        limits.max_module_bytes as u64,
    )?;
    let policy = match &args.policy {
        Some(p) => Some(Policy::load(p).map_err(Failure::usage)?),
        None => None,
    };
    // With trusted keys (--trusted-key, the policy's `trusted-keys`), nothing reads
    // the module before its origin is checked: not the scan below, not the manifest
    // lookup (the core checks again at load).
    let policy_keys = policy.as_ref().map_or(&[][..], |p| p.trusted_keys());
    let (trust, sidecar) = trust_args(
        &args,
        policy_keys,
        loaded.module_path.as_deref(),
        loaded.signature.take(),
    )?;
    caplet_core::signature::check(
        &loaded.wasm,
        &Digest::of(&loaded.wasm),
        sidecar.as_deref(),
        &trust,
    )?;
    let name = loaded.policy_name();
    let scan = ModuleInfo::scan(&loaded.wasm, &limits.with_memory(u64::MAX)).ok();
    let wasi = args.wasi || (args.call.is_none() && scan.as_ref().is_some_and(is_wasi_command));
    let (wasi_mounts, preopens, mut wasi_grants) = if wasi {
        wasi_dirs(&std::mem::take(&mut args.dirs))?
    } else {
        Default::default()
    };
    let mut settings = match &policy {
        Some(p) => p.for_plugin(&name),
        None => Settings::default(),
    };
    let mut linked = Vec::new();
    if let Some(extism) = loaded.extism.take() {
        // An Extism manifest's grants and limits, under the flags.
        linked = extism.apply(&mut settings, &mut limits);
    }
    settings.merge(flag_settings(&args)?);
    settings
        .check_pin(&name, &loaded.wasm)
        .map_err(|m| Failure {
            code: exit::MODULE,
            message: format!("digest: {m}"),
        })?;
    if wasi {
        // What WASI mode grants by default: the clocks, randomness and the
        // standard streams; each preopen; each --env variable.
        for cap in ["clock", "random", "stdio"] {
            wasi_grants.push(Capability::parse(cap)?);
        }
        for spec in &settings.env {
            let var = spec.split_once('=').map_or(spec.as_str(), |(n, _)| n);
            wasi_grants.push(Capability::parse(&format!("env:{var}"))?);
        }
        settings.dirs.extend(wasi_mounts);
    }
    settings.apply_limits(&mut limits).map_err(Failure::usage)?;
    let grants = settings.grants(&wasi_grants)?;
    let platform = settings.platform(wasi).build().map_err(Failure::usage)?;
    let typed = typed_args(&args, m);
    let input = if wasi { Vec::new() } else { read_input(&args)? };
    let runtime = Runtime::new(engine);
    let started = Instant::now();
    let mut argv = vec![args.target.clone()];
    argv.extend(args.args.iter().cloned());
    let plugin = runtime
        .load(
            &loaded.wasm,
            PluginConfig {
                name: Some(loaded.name.clone()),
                manifest: loaded.manifest,
                grants,
                limits,
                overrides: LimitOverrides {
                    fuel: settings.fuel,
                    memory: settings.memory,
                },
                config: settings.config.clone(),
                platform,
                wasi: WasiConfig {
                    args: argv,
                    preopens,
                },
                trust,
                signature: sidecar,
                linked,
                ..Default::default()
            },
        )
        .map_err(with_flag_hint)?;
    let entry = match (&args.call, wasi) {
        (Some(c), _) => c.clone(),
        (None, true) => "_start".to_string(),
        (None, false) => default_entry(plugin.info(), plugin.manifest())?,
    };
    let timeout = settings
        .timeout
        .or(plugin
            .manifest()
            .limits
            .timeout_ms
            .map(Duration::from_millis))
        .or((args.profile == LimitsProfile::Server)
            .then(|| Duration::from_millis(crate::limits::SERVER_TIMEOUT_MS)));
    let mut deadline = Deadline::new(timeout, CancelHandle::new());
    let until = deadline.until();
    let mut instance = with_call_deadline(until, || plugin.instantiate_with(&mut deadline))
        .map_err(|e| deadline_failure(e, &deadline, timeout))?;
    let sig = plugin.info().export_signature(&entry).cloned();
    let extism = plugin.info().is_extism();
    let is_entry = typed.is_empty()
        && sig.as_ref().is_some_and(|s| {
            s.is_entry() || (extism && plugin.info().extism_entry_points().any(|e| e == entry))
        });
    let mut ended_with_newline = true;
    let result = if sig.is_none() {
        Err(Failure::usage(format!(
            "`{entry}` is not exported by {} (entry points: {})",
            args.target,
            entry_points(plugin.info()).join(", ")
        )))
    } else if is_entry {
        with_call_deadline(until, || instance.call_with(&entry, &input, &mut deadline))
            .map(|out| {
                let mut stdout = std::io::stdout().lock();
                let _ = stdout.write_all(&out);
                let _ = stdout.flush();
                ended_with_newline = out.is_empty() || out.ends_with(b"\n");
            })
            .map_err(|e| deadline_failure(e, &deadline, timeout))
    } else {
        let called = with_call_deadline(until, || {
            instance.call_typed_with(&entry, &typed, &mut deadline)
        });
        match called {
            Ok(vals) => {
                if !wasi || !vals.is_empty() {
                    let text: Vec<String> = vals.iter().map(|v| v.to_string()).collect();
                    println!("{}", text.join(" "));
                }
                Ok(())
            }
            // A WASI program's `proc_exit` status is Caplet's exit status.
            Err(Error::Exit { code }) => match code {
                0 => Ok(()),
                c => Err(Failure {
                    code: i32::try_from(c).unwrap_or(i32::MAX),
                    message: String::new(),
                }),
            },
            Err(e) => Err(deadline_failure(e, &deadline, timeout)),
        }
    };
    if args.report {
        if !ended_with_newline {
            // The report goes on a line of its own, not after the output's last line.
            eprintln!();
        }
        report(
            &instance.last_usage(),
            started.elapsed(),
            plugin.grants(),
            wasi,
        );
    }
    result
}

/// Adds the flag that raises a size or memory limit to a refusal for it.
fn with_flag_hint(e: Error) -> Failure {
    let mut f = Failure::from(e.clone());
    if let Error::ModuleTooLarge { reason } = &e {
        if reason.contains("memory budget") {
            f.message.push_str(" (raise the budget with --memory SIZE)");
        } else if reason.starts_with("module is") {
            f.message
                .push_str(" (raise the limit with --max-module SIZE)");
        }
    }
    f
}

/// A guest that fails with `TIMEOUT` because a host call (HTTP) ran into the call's
/// deadline has timed out as surely as one stopped between fuel slices: both are
/// exit 4 with the time used.
fn deadline_failure(e: Error, deadline: &Deadline, timeout: Option<Duration>) -> Failure {
    let passed = deadline.until().is_some_and(|u| Instant::now() >= u);
    match (&e, timeout) {
        (
            Error::Guest {
                code: Some(Code::Timeout),
                ..
            },
            Some(t),
        ) if passed => Failure {
            code: exit::BUDGET,
            message: format!(
                "budget: the {} ms timeout passed after {} ms, during a host call ({e})",
                t.as_millis(),
                deadline.elapsed().as_millis()
            ),
        },
        _ => Failure::from(e),
    }
}

fn report(u: &Usage, elapsed: Duration, grants: &Grants, wasi: bool) {
    let granted: Vec<String> = grants.iter().map(|g| g.to_string()).collect();
    eprintln!(
        "report: fuel_used={} memory_peak_bytes={} host_calls={} time_us={} mode={} grants={}",
        u.fuel_used,
        u.memory_peak_bytes,
        u.host_calls,
        elapsed.as_micros(),
        if wasi { "wasi" } else { "plugin" },
        if granted.is_empty() {
            "none".to_string()
        } else {
            granted.join(",")
        }
    );
}

fn default_entry(info: &ModuleInfo, manifest: &Manifest) -> Result<String, Failure> {
    if manifest.entrypoints.len() == 1 {
        return Ok(manifest.entrypoints[0].clone());
    }
    let entries = entry_points(info);
    match entries.as_slice() {
        [one] => Ok(one.to_string()),
        [] => Err(Failure::usage(
            "the plugin has no entry point; name an export with --call",
        )),
        many => Err(Failure::usage(format!(
            "choose an entry point with --call: {}",
            many.join(", ")
        ))),
    }
}

/// The functions `caplet run --call` takes bytes through: contract v1's entry
/// points, or an Extism plugin's exports.
fn entry_points(info: &ModuleInfo) -> Vec<&str> {
    if info.is_extism() {
        info.extism_entry_points().collect()
    } else {
        info.entry_points().collect()
    }
}

fn describe(kind: &ItemKind) -> String {
    match kind {
        ItemKind::Func(sig) => format!("func {sig}"),
        ItemKind::Memory => "memory".into(),
        ItemKind::Table => "table".into(),
        ItemKind::Global => "global".into(),
        ItemKind::Other => "other".into(),
    }
}

fn inspect(target: &str, json: bool, source: &SourceArgs) -> Result<(), Failure> {
    let limits = Limits {
        memory_bytes: u64::MAX,
        ..Limits::default()
    };
    let loaded = load(
        target,
        &source.sources_for(target),
        limits.max_module_bytes as u64,
    )?;
    let digest = caplet_core::Digest::of(&loaded.wasm);
    let info = ModuleInfo::scan(&loaded.wasm, &limits)?;
    let manifest = match (&loaded.manifest, info.manifest_bytes(&loaded.wasm)) {
        (Some(m), _) => Some(m.clone()),
        (None, Some(b)) => Some(Manifest::parse_embedded(b)?),
        (None, None) => None,
    };
    if let Some(expected) = manifest.as_ref().and_then(|m| m.sha256) {
        expected.verify(&loaded.wasm)?;
    }
    let import_cap = |module: &str, name: &str| -> String {
        caplet_core::abi::import_capability(module, name)
            .map(|k| match k {
                Some(k) => k.prefix().to_string(),
                None => "none".to_string(),
            })
            .or_else(|| {
                caplet_core::profiles::resolve(module, name).map(|spec| match spec.capabilities {
                    [] => "none".to_string(),
                    caps => caps
                        .iter()
                        .map(|k| k.prefix())
                        .collect::<Vec<_>>()
                        .join(", "),
                })
            })
            .or_else(|| {
                (module == caplet_core::services::app::USER_MODULE)
                    .then(|| "an application host function".to_string())
            })
            .unwrap_or_else(|| "unknown import".to_string())
    };
    // An embedded signature, as found (not verified: `run --trusted-key` does that).
    let signer = caplet_core::signature::split(&loaded.wasm)
        .ok()
        .and_then(|(_, raw)| raw)
        .map(|raw| match caplet_core::signature::Signature::decode(raw) {
            Ok(sig) => sig.key.to_hex(),
            Err(e) => format!("unreadable ({e})"),
        });
    if json {
        let value = serde_json::json!({
            "signed_by": signer,
            "name": manifest.as_ref().map(|m| m.name.clone()).unwrap_or(loaded.name.clone()),
            "version": manifest.as_ref().map(|m| m.version.to_string()),
            "description": manifest.as_ref().and_then(|m| m.description.clone()),
            "sha256": digest.to_hex(),
            "size": info.size,
            "memory": {
                "min_pages": info.memory_min_pages,
                "max_pages": info.memory_max_pages,
                "page_size": info.memory_page_size(),
                "min_bytes": info.memory_min_bytes(),
            },
            "imports": info.imports.iter().map(|i| serde_json::json!({
                "module": i.module, "name": i.name, "type": describe(&i.kind),
                "capability": import_cap(&i.module, &i.name),
            })).collect::<Vec<_>>(),
            "exports": info.exports.iter().map(|e| serde_json::json!({
                "name": e.name, "type": describe(&e.kind),
                "entry_point": matches!(&e.kind, ItemKind::Func(s) if s.is_entry()),
            })).collect::<Vec<_>>(),
            "entry_points": info.entry_points().collect::<Vec<_>>(),
            "capabilities": manifest.as_ref().map(|m| m.capabilities.iter().map(|c| c.to_string()).collect::<Vec<_>>()).unwrap_or_default(),
            "limits": manifest.as_ref().map(|m| serde_json::json!({
                "fuel": m.limits.fuel, "memory": m.limits.memory, "timeout_ms": m.limits.timeout_ms })),
            "config": manifest.as_ref().map(|m| m.config.clone()).unwrap_or_default(),
            "embedded_manifest": info.manifest_range.is_some(),
        });
        println!(
            "{}",
            serde_json::to_string_pretty(&value).unwrap_or_default()
        );
        return Ok(());
    }
    let mut out = String::new();
    match &manifest {
        Some(m) => {
            out += &format!("name:         {} {}\n", escape(&m.name), m.version);
            if let Some(d) = &m.description {
                out += &format!("description:  {}\n", escape(d));
            }
        }
        None => out += &format!("name:         {} (no manifest)\n", escape(&loaded.name)),
    }
    out += &format!(
        "sha256:       {}\nsize:         {} bytes\n",
        digest.to_hex(),
        info.size
    );
    if let Some(signer) = &signer {
        out += &format!("signed by:    {signer} (embedded; not verified here)\n");
    }
    let page = info.memory_page_size();
    out += &format!(
        "memory:       {} pages min, {}{} ({} bytes min)\n",
        info.memory_min_pages.unwrap_or(0),
        info.memory_max_pages
            .map_or("no max".to_string(), |m| format!("{m} pages max")),
        if page == caplet_core::inspect::PAGE {
            String::new()
        } else {
            format!(", pages of {page} bytes")
        },
        info.memory_min_bytes().unwrap_or(0),
    );
    let caps: Vec<String> = manifest
        .iter()
        .flat_map(|m| m.capabilities.iter().map(|c| c.to_string()))
        .collect();
    out += &format!(
        "capabilities: {}\n",
        if caps.is_empty() {
            "none".to_string()
        } else {
            caps.join(", ")
        }
    );
    out += "imports:\n";
    for i in &info.imports {
        out += &format!(
            "  {}.{}  {}  [{}]\n",
            escape(&i.module),
            escape(&i.name),
            describe(&i.kind),
            import_cap(&i.module, &i.name)
        );
    }
    out += "exports:\n";
    for e in &info.exports {
        let tag = match &e.kind {
            ItemKind::Func(s) if s.is_entry() && e.name != "caplet_alloc" => "  (entry point)",
            ItemKind::Func(s) if s.is_numeric() => "  (typed)",
            _ => "",
        };
        out += &format!("  {}  {}{tag}\n", escape(&e.name), describe(&e.kind));
    }
    if let Some(m) = &manifest {
        if !m.config.is_empty() {
            out += "config:\n";
            for (k, v) in &m.config {
                out += &format!("  {} = {}\n", escape(k), escape(v));
            }
        }
    }
    print!("{out}");
    Ok(())
}

fn verify(path: &Path) -> Result<(), Failure> {
    if path.extension().is_none_or(|e| e != "json") {
        return Err(Failure::usage(format!(
            "{} is not a sidecar manifest (.json)",
            path.display()
        )));
    }
    let limits = Limits {
        memory_bytes: u64::MAX,
        ..Limits::default()
    };
    let loaded = load_file(path, limits.max_module_bytes as u64)?;
    let manifest = loaded
        .manifest
        .clone()
        .ok_or_else(|| Failure::usage("no manifest"))?;
    let expected = manifest.sha256.ok_or_else(|| Failure {
        code: exit::MODULE,
        message: "manifest: a sidecar manifest needs `sha256` to be verified".into(),
    })?;
    expected.verify(&loaded.wasm)?;
    // Grant exactly what the manifest declares: a module importing anything more
    // fails here, naming the capability.
    let mut grants = Grants::new();
    for c in &manifest.capabilities {
        grants.grant(c.clone())?;
    }
    let plugin = Runtime::default().load(
        &loaded.wasm,
        PluginConfig {
            manifest: Some(manifest.clone()),
            grants,
            limits,
            platform: caplet_core::platform::testing::full(),
            ..Default::default()
        },
    )?;
    println!(
        "ok: {} {} sha256:{} ({} bytes)",
        manifest.name,
        manifest.version,
        expected.to_hex(),
        plugin.info().size
    );
    Ok(())
}

/// The trust `caplet run` demands (`--trusted-key` and the policy's
/// `trusted-keys`) and the sidecar signature it found: `--signature`, else
/// MODULE.sig beside the module's file (`module`), else the one the target carried
/// (an OCI artifact's annotation).
fn trust_args(
    args: &RunArgs,
    policy_keys: &[caplet_core::signature::PublicKey],
    module: Option<&Path>,
    carried: Option<Vec<u8>>,
) -> Result<(caplet_core::Trust, Option<Vec<u8>>), Failure> {
    if args.trusted_keys.is_empty() && policy_keys.is_empty() {
        if args.signature.is_some() {
            return Err(Failure::usage(
                "--signature needs trusted keys (--trusted-key, or the policy file's \
                 trusted-keys): without them nothing is checked",
            ));
        }
        return Ok((caplet_core::Trust::Any, None));
    }
    let mut keys = args
        .trusted_keys
        .iter()
        .map(|k| crate::signing::read_public(k).map_err(Failure::usage))
        .collect::<Result<Vec<_>, _>>()?;
    keys.extend_from_slice(policy_keys);
    let path = match &args.signature {
        Some(p) => Some(p.clone()),
        None => module.and_then(crate::signing::find_sidecar),
    };
    let sidecar = match path {
        Some(p) => Some(read_signature(&p)?),
        None => carried,
    };
    Ok((caplet_core::Trust::keys(keys), sidecar))
}

/// Reads a sidecar signature file.
fn read_signature(p: &Path) -> Result<Vec<u8>, Failure> {
    crate::signing::read_sidecar(p).map_err(|e| Failure {
        code: exit::MODULE,
        message: format!("signature: {}: {e}", p.display()),
    })
}

/// `caplet keygen PREFIX`.
fn keygen(prefix: &Path) -> Result<(), Failure> {
    let public = crate::signing::keygen(prefix).map_err(Failure::usage)?;
    let (secret, public_path) = crate::signing::key_paths(prefix);
    println!(
        "{}\nsecret key: {} (keep it private)\npublic key: {}",
        public.to_hex(),
        secret.display(),
        public_path.display()
    );
    Ok(())
}

/// `caplet sign MODULE --key FILE [--out FILE | --sidecar]`.
fn sign(module: &Path, key: &Path, out: Option<&Path>, sidecar: bool) -> Result<(), Failure> {
    let key = crate::signing::read_secret(key).map_err(Failure::usage)?;
    let wasm = read_capped(module, Limits::default().max_module_bytes as u64)?;
    // Refuse to sign what is not a valid module: a signature vouches for a
    // plugin, and firmware built without validation trusts it to be valid.
    let (signed_part, _) = caplet_core::signature::split(&wasm).map_err(|e| Failure {
        code: exit::MODULE,
        message: format!("module: {}: {e}", module.display()),
    })?;
    Runtime::default()
        .validate(signed_part)
        .map_err(|e| Failure {
            code: exit::MODULE,
            message: format!("module: {}: not signed: {e}", module.display()),
        })?;
    let signer = caplet_core::PublicKey(key.verifying_key().to_bytes());
    let (path, bytes) = if sidecar {
        let sig = crate::signing::sign_sidecar(&wasm, &key);
        (crate::signing::sidecar_path(module), sig.to_vec())
    } else {
        let signed = crate::signing::sign_embedded(&wasm, &key).map_err(|e| Failure {
            code: exit::MODULE,
            message: format!("module: {}: {e}", module.display()),
        })?;
        (out.unwrap_or(module).to_path_buf(), signed)
    };
    crate::files::write_atomic(&path, &bytes).map_err(|e| Failure::io(&path, e))?;
    println!(
        "signed by {}: {} ({} bytes{})",
        signer.to_hex(),
        path.display(),
        bytes.len(),
        if sidecar { ", sidecar" } else { "" }
    );
    Ok(())
}
