//! Runtime, plugins and instances: compile once, instantiate many, call under fuel.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;

use wasmi::{
    CompilationMode, Config, Engine, Func, Linker, Memory, Module, Store, TypedFunc,
    TypedResumableCall, Val,
};

use crate::abi;
use crate::capability::{Capability, Grants};
use crate::digest::Digest;
use crate::error::{Code, Error, Interrupt};
use crate::inspect::{ItemKind, ModuleInfo, Signature, ValType};
use crate::limits::{EngineLimits, Limits};
use crate::manifest::Manifest;
use crate::platform::{Denial, Platform};

/// Called between fuel slices of a call. Returning `Err` stops the call.
///
/// The std adapter uses it for wall-clock deadlines and cancellation; a board can
/// use it to interleave plugins or feed a watchdog.
pub trait SliceHook {
    /// `fuel_used` is the fuel the call consumed so far.
    fn on_slice(&mut self, fuel_used: u64) -> Result<(), Interrupt>;
}

/// A hook that never interrupts.
pub struct NoHook;

impl SliceHook for NoHook {
    fn on_slice(&mut self, _: u64) -> Result<(), Interrupt> {
        Ok(())
    }
}

impl<F: FnMut(u64) -> Result<(), Interrupt>> SliceHook for F {
    fn on_slice(&mut self, fuel_used: u64) -> Result<(), Interrupt> {
        self(fuel_used)
    }
}

/// What a call cost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Usage {
    /// Fuel consumed.
    pub fuel_used: u64,
    /// Highest linear-memory size of the instance so far, in bytes.
    pub memory_peak_bytes: u64,
    /// Host functions called during the call.
    pub host_calls: u64,
}

/// A value for a typed call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Value {
    /// `i32`
    I32(i32),
    /// `i64`
    I64(i64),
    /// `f32`
    F32(f32),
    /// `f64`
    F64(f64),
}

impl Value {
    fn ty(&self) -> ValType {
        match self {
            Value::I32(_) => ValType::I32,
            Value::I64(_) => ValType::I64,
            Value::F32(_) => ValType::F32,
            Value::F64(_) => ValType::F64,
        }
    }

    fn to_val(self) -> Val {
        match self {
            Value::I32(v) => Val::I32(v),
            Value::I64(v) => Val::I64(v),
            Value::F32(v) => Val::F32(v.into()),
            Value::F64(v) => Val::F64(v.into()),
        }
    }

    fn from_val(v: &Val) -> Option<Self> {
        Some(match v {
            Val::I32(v) => Value::I32(*v),
            Val::I64(v) => Value::I64(*v),
            Val::F32(v) => Value::F32((*v).into()),
            Val::F64(v) => Value::F64((*v).into()),
            _ => return None,
        })
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::I32(v) => write!(f, "{v}"),
            Value::I64(v) => write!(f, "{v}"),
            Value::F32(v) => write!(f, "{v}"),
            Value::F64(v) => write!(f, "{v}"),
        }
    }
}

/// Operator limits that take precedence over a manifest's `limits`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LimitOverrides {
    /// Fuel per call.
    pub fuel: Option<u64>,
    /// Memory bytes.
    pub memory: Option<u64>,
}

/// How to load one plugin.
#[derive(Clone, Default)]
pub struct PluginConfig {
    /// Name when the module carries no manifest (defaults to `plugin`).
    pub name: Option<String>,
    /// A sidecar manifest; replaces an embedded one. Its `sha256`, if any, is
    /// checked before anything else.
    pub manifest: Option<Manifest>,
    /// A digest the module must have (a firmware may pin the digests it accepts).
    pub expected_digest: Option<Digest>,
    /// The operator's grants. Empty by default: deny everything.
    pub grants: Grants,
    /// Host limits (the defaults of [`Limits::default`] unless set).
    pub limits: Limits,
    /// Operator overrides; otherwise the manifest's limits, otherwise `limits`.
    pub overrides: LimitOverrides,
    /// Config values; they replace the manifest's config defaults key by key.
    pub config: BTreeMap<String, String>,
    /// The services this host offers.
    pub platform: Platform,
    /// Where compiled modules are shared between loads (by digest), if anywhere.
    pub cache: Option<Arc<dyn ModuleCache>>,
}

/// A compiled module: validated, translated code. Cheap to clone and shareable
/// across threads; tied to the [`Runtime`] that compiled it.
#[derive(Clone)]
pub struct Compiled {
    module: Module,
}

impl fmt::Debug for Compiled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Compiled").finish_non_exhaustive()
    }
}

/// A cache of compiled modules keyed by the module's digest, so a module loaded
/// many times (with different grants, limits or config) is compiled once.
///
/// Every static check of [`Runtime::load`] (digest, scan, imports, grants,
/// manifest) still runs on each load; only compilation is shared. A module compiled
/// by another runtime's engine is never reused: it is compiled again instead.
pub trait ModuleCache: Send + Sync {
    /// The compiled module for `digest`. MUST call `compile` only when it holds no
    /// module for `digest`, and SHOULD call it at most once per digest even under
    /// concurrent loads. A failed compilation is returned and not cached.
    fn get_or_compile(
        &self,
        digest: &Digest,
        compile: &mut dyn FnMut() -> Result<Compiled, Error>,
    ) -> Result<Compiled, Error>;
}

/// Shared, immutable state of a loaded plugin.
pub(crate) struct Shared {
    pub(crate) name: String,
    pub(crate) grants: Grants,
    pub(crate) platform: Platform,
    pub(crate) limits: Limits,
    pub(crate) config: BTreeMap<String, String>,
}

/// The wasmi engine and the contract's linker, shared by every plugin it loads.
///
/// One `Runtime` per process (or per board) is the usual pattern.
///
/// **Compiled code lives as long as the engine.** wasmi 2.0 keeps the code of every
/// module an engine compiled in an append-only map, freed only when the engine (this
/// `Runtime`, its clones and every [`Plugin`] it loaded) is dropped; dropping a
/// `Plugin` frees its instances and linear memories, not its code. A host that
/// loads a bounded set of plugins once is unaffected. A host that replaces plugins
/// over time (a board receiving updates, a server reloading) loads them on a fresh
/// `Runtime` and drops the old one with its plugins to reclaim the code memory.
#[derive(Clone)]
pub struct Runtime {
    engine: Engine,
    linker: Arc<Linker<abi::HostState>>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime").finish_non_exhaustive()
    }
}

impl Default for Runtime {
    fn default() -> Self {
        Runtime::new(EngineLimits::default())
    }
}

impl Runtime {
    /// A runtime whose interpreter obeys `limits`. Fuel metering is always on.
    ///
    /// Modules are validated and translated eagerly, at load: every allocation of
    /// compilation (infallible in wasmi) happens where the compile estimate was
    /// checked, never in the middle of a call, and a call's fuel does not depend on
    /// whether its functions were translated before (lazy translation charges it to
    /// the first call, and fails hard rather than resumably when a slice is smaller
    /// than one function's translation cost).
    pub fn new(limits: EngineLimits) -> Self {
        let mut config = Config::default();
        config
            .consume_fuel(true)
            .compilation_mode(CompilationMode::Eager)
            .set_max_recursion_depth(limits.max_recursion_depth as usize)
            .set_max_stack_height(limits.max_stack_bytes as usize)
            .set_max_cached_stacks(2)
            .enforced_limits(wasmi::EnforcedLimits::strict());
        let engine = Engine::new(&config);
        let linker = abi::linker(&engine);
        Runtime {
            engine,
            linker: Arc::new(linker),
        }
    }

    /// Verifies, scans, checks capabilities and compiles a module.
    ///
    /// Order of checks: pinned/sidecar digest, size and declared counts, manifest,
    /// grants the host cannot provide, imports against grants, manifest
    /// requirements against grants, memory minimum and compile estimate (against
    /// the effective limits), exports, then compilation. Nothing is compiled
    /// before every static check passed.
    pub fn load(&self, wasm: &[u8], cfg: PluginConfig) -> Result<Plugin, Error> {
        let digest = Digest::of(wasm);
        for expected in cfg
            .expected_digest
            .iter()
            .chain(cfg.manifest.as_ref().and_then(|m| m.sha256.as_ref()))
        {
            if *expected != digest {
                return Err(Error::DigestMismatch {
                    expected: expected.to_hex(),
                    actual: digest.to_hex(),
                });
            }
        }
        // Scan with the largest memory and compile budget the plugin could get, then
        // re-check with the effective limits once the manifest is known and the
        // capabilities passed: a module this host cannot serve is refused for that
        // reason, the same on every host, whatever memory the host has left.
        let mut lenient = cfg.limits.with_memory(u64::MAX);
        lenient.compile_memory_bytes = u64::MAX;
        let info = ModuleInfo::scan(wasm, &lenient)?;
        let manifest = match (cfg.manifest, info.manifest_bytes(wasm)) {
            (Some(m), _) => m,
            (None, Some(bytes)) => Manifest::parse_embedded(bytes)?,
            (None, None) => Manifest::anonymous(cfg.name.as_deref().unwrap_or("plugin")),
        };
        let mut limits = cfg.limits;
        if let Some(fuel) = cfg.overrides.fuel.or(manifest.limits.fuel) {
            limits.fuel_per_call = fuel;
        }
        if let Some(memory) = cfg.overrides.memory.or(manifest.limits.memory) {
            limits.memory_bytes = memory;
        }
        let audit = |kind, subject: &str| {
            cfg.platform.audit(&Denial {
                plugin: &manifest.name,
                kind,
                subject,
                at_load: true,
            })
        };
        for grant in cfg.grants.iter() {
            if !cfg.platform.supports(grant.kind()) {
                return Err(Error::CapabilityUnsupported {
                    capability: grant.to_string(),
                });
            }
        }
        for import in &info.imports {
            let qualified = format!("{}.{}", import.module, import.name);
            let Some(spec) = abi::import_spec(&import.module, &import.name) else {
                let reason = if import.module == abi::MODULE {
                    "contract v1 has no host function of this name"
                } else {
                    "only the `caplet` import module is provided"
                };
                return Err(Error::UnknownImport {
                    import: qualified,
                    reason: reason.into(),
                });
            };
            match &import.kind {
                ItemKind::Func(sig) if *sig == spec.signature() => {}
                ItemKind::Func(sig) => {
                    return Err(Error::UnknownImport {
                        import: qualified,
                        reason: format!("expected signature {}, found {sig}", spec.signature()),
                    })
                }
                _ => {
                    return Err(Error::UnknownImport {
                        import: qualified,
                        reason: "must be a function".into(),
                    })
                }
            }
            if let Some(kind) = spec.capability {
                if !cfg.grants.has_kind(kind) {
                    audit(kind, &qualified);
                    let capability = if kind.is_scoped() {
                        format!("{}:<scope>", kind.prefix())
                    } else {
                        kind.prefix().into()
                    };
                    return Err(Error::CapabilityDenied {
                        capability,
                        needed_by: format!("import `{qualified}`"),
                    });
                }
            }
        }
        for required in &manifest.capabilities {
            if !cfg.grants.covers(required) {
                let text = required.to_string();
                audit(required.kind(), &text);
                return Err(Error::CapabilityDenied {
                    capability: text,
                    needed_by: "the manifest".into(),
                });
            }
        }
        // The lenient scan read everything; only the limit checks depend on the
        // effective limits, so run those without parsing the module again.
        info.check(&limits)?;
        check_exports(&info, &manifest)?;
        let compile = || Module::new(&self.engine, wasm).map_err(map_compile_error);
        let module = match &cfg.cache {
            None => compile()?,
            Some(cache) => {
                let cached = cache
                    .get_or_compile(&digest, &mut || compile().map(|module| Compiled { module }))?;
                if Engine::same(cached.module.engine(), &self.engine) {
                    cached.module
                } else {
                    compile()?
                }
            }
        };
        let mut config = manifest.config.clone();
        for (k, v) in cfg.config {
            config.insert(k, v);
        }
        for (k, v) in &config {
            if k.len() > limits.max_config_bytes as usize
                || v.len() > limits.max_config_bytes as usize
            {
                return Err(Error::usage(format!(
                    "config `{}` is longer than the {}-byte cap",
                    crate::capability::truncate(k, 40),
                    limits.max_config_bytes
                )));
            }
        }
        Ok(Plugin {
            inner: Arc::new(PluginInner {
                runtime: self.clone(),
                module,
                info,
                manifest: manifest.clone(),
                digest,
                shared: Arc::new(Shared {
                    name: manifest.name,
                    grants: cfg.grants,
                    platform: cfg.platform,
                    limits,
                    config,
                }),
            }),
        })
    }
}

fn check_exports(info: &ModuleInfo, manifest: &Manifest) -> Result<(), Error> {
    let memory = info
        .exports
        .iter()
        .any(|e| e.name == "memory" && e.kind == ItemKind::Memory);
    if !memory {
        return Err(Error::MissingExport {
            name: "memory".into(),
            expected: "the guest's linear memory".into(),
        });
    }
    let alloc_sig = Signature {
        params: alloc::vec![ValType::I32],
        results: alloc::vec![ValType::I32],
    };
    match info.exports.iter().find(|e| e.name == "caplet_alloc") {
        Some(e) if e.kind != ItemKind::Func(alloc_sig.clone()) => {
            return Err(Error::MissingExport { name: "caplet_alloc".into(), expected: "a function (i32) -> (i32)".into() })
        }
        None if info.entry_points().next().is_some() || info.imports.iter().any(|i| abi::returns_buffer(&i.name)) => {
            return Err(Error::MissingExport {
                name: "caplet_alloc".into(),
                expected: "a function (i32) -> (i32) (required with entry points or buffer-returning imports)".into(),
            })
        }
        _ => {}
    }
    if let Some(e) = info.exports.iter().find(|e| e.name == "_initialize") {
        if e.kind != ItemKind::Func(Signature::default()) {
            return Err(Error::MissingExport {
                name: "_initialize".into(),
                expected: "a function () -> ()".into(),
            });
        }
    }
    for name in &manifest.entrypoints {
        match info.export_signature(name) {
            Some(sig) if sig.is_entry() => {}
            Some(sig) => {
                return Err(Error::MissingExport {
                    name: name.clone(),
                    expected: format!("entry point signature (i32, i32) -> (i64), found {sig}"),
                })
            }
            None => {
                return Err(Error::MissingExport {
                    name: name.clone(),
                    expected: "an entry point declared in the manifest".into(),
                })
            }
        }
    }
    Ok(())
}

fn map_compile_error(e: wasmi::Error) -> Error {
    use wasmi::errors::ErrorKind as K;
    match e.kind() {
        K::UserLimits(l) => Error::too_large(format!("{l}")),
        K::ImplementationLimits(l) => Error::too_large(format!("{l}")),
        _ => Error::bad_module(format!("{e}")),
    }
}

struct PluginInner {
    runtime: Runtime,
    module: Module,
    info: ModuleInfo,
    manifest: Manifest,
    digest: Digest,
    shared: Arc<Shared>,
}

/// A compiled, checked plugin. Cheap to clone; instantiate it as often as needed.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<PluginInner>,
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.inner.shared.name)
            .field("digest", &self.inner.digest)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    /// The plugin's name (manifest name).
    pub fn name(&self) -> &str {
        &self.inner.shared.name
    }

    /// The manifest (embedded, sidecar or anonymous).
    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// SHA-256 of the module bytes.
    pub fn digest(&self) -> Digest {
        self.inner.digest
    }

    /// The pre-compile scan.
    pub fn info(&self) -> &ModuleInfo {
        &self.inner.info
    }

    /// The effective limits.
    pub fn limits(&self) -> &Limits {
        &self.inner.shared.limits
    }

    /// The grants.
    pub fn grants(&self) -> &Grants {
        &self.inner.shared.grants
    }

    /// Creates an instance: runs the start function and `_initialize` under the
    /// fuel budget of one call.
    pub fn instantiate(&self) -> Result<Instance, Error> {
        let live = Live::new(self, &mut NoHook)?;
        Ok(Instance {
            plugin: self.clone(),
            live: Some(live),
            last_usage: Usage::default(),
        })
    }

    /// Whether the plugin requires `cap` in its manifest.
    pub fn requires(&self, cap: &Capability) -> bool {
        self.inner.manifest.capabilities.iter().any(|c| c == cap)
    }
}

/// A live instance and its store.
struct Live {
    store: Store<abi::HostState>,
    instance: wasmi::Instance,
    memory: Memory,
    alloc: Option<TypedFunc<i32, i32>>,
    entries: BTreeMap<String, TypedFunc<(i32, i32), i64>>,
}

impl Live {
    fn new(plugin: &Plugin, hook: &mut dyn SliceHook) -> Result<Live, Error> {
        let p = &plugin.inner;
        let mut store = Store::new(&p.runtime.engine, abi::HostState::new(p.shared.clone()));
        store.limiter(|s| &mut s.limiter);
        let budget = p.shared.limits.fuel_per_call;
        begin(&mut store, budget)?;
        let instance = match p
            .runtime
            .linker
            .instantiate_and_start(&mut store, &p.module)
        {
            Ok(i) => i,
            Err(e) => return Err(map_run_error(&e, "instantiation", &store, budget)),
        };
        let memory = instance
            .get_memory(&store, "memory")
            .ok_or_else(|| Error::MissingExport {
                name: "memory".into(),
                expected: "a linear memory".into(),
            })?;
        let alloc = instance
            .get_typed_func::<i32, i32>(&store, "caplet_alloc")
            .ok();
        store.data_mut().memory = Some(memory);
        store.data_mut().alloc = alloc;
        if let Ok(init) = instance.get_typed_func::<(), ()>(&store, "_initialize") {
            let call = init.call_resumable(&mut store, ());
            drive(&mut store, call, budget, hook, "_initialize")?;
        }
        Ok(Live {
            store,
            instance,
            memory,
            alloc,
            entries: BTreeMap::new(),
        })
    }

    fn usage(&self, budget: u64) -> Usage {
        let s = self.store.data();
        Usage {
            fuel_used: fuel_used(&self.store, budget),
            memory_peak_bytes: s.limiter.peak_memory,
            host_calls: s.host_calls,
        }
    }
}

/// Sets the fuel of a new call: one slice in the store, the rest in reserve.
fn begin(store: &mut Store<abi::HostState>, budget: u64) -> Result<(), Error> {
    let slice = store.data().shared.limits.fuel_slice.max(1).min(budget);
    store.data_mut().fuel_reserve = budget - slice;
    store.data_mut().budget = budget;
    store.data_mut().host_calls = 0;
    store.data_mut().error_message = None;
    store.set_fuel(slice).map_err(|e| Error::Host {
        reason: format!("setting fuel: {e}"),
    })
}

fn fuel_used(store: &Store<abi::HostState>, budget: u64) -> u64 {
    let left = store
        .get_fuel()
        .unwrap_or(0)
        .saturating_add(store.data().fuel_reserve);
    budget.saturating_sub(left)
}

/// Runs a resumable call to completion, refilling fuel slice by slice.
fn drive<R>(
    store: &mut Store<abi::HostState>,
    mut call: Result<TypedResumableCall<R>, wasmi::Error>,
    budget: u64,
    hook: &mut dyn SliceHook,
    during: &str,
) -> Result<R, Error>
where
    R: wasmi::WasmResults,
{
    loop {
        match call {
            Ok(TypedResumableCall::Finished(r)) => return Ok(r),
            Ok(TypedResumableCall::OutOfFuel(pending)) => {
                refill(store, budget, hook)?;
                call = pending.resume(&mut *store);
            }
            Ok(TypedResumableCall::HostTrap(pending)) => {
                return Err(map_run_error(pending.host_error(), during, store, budget))
            }
            Err(e) => return Err(map_run_error(&e, during, store, budget)),
        }
    }
}

/// The untyped twin of [`drive`] for typed exports.
fn drive_untyped(
    store: &mut Store<abi::HostState>,
    func: Func,
    args: &[Val],
    results: &mut [Val],
    budget: u64,
    hook: &mut dyn SliceHook,
    during: &str,
) -> Result<(), Error> {
    let mut call = func.call_resumable(&mut *store, args, results);
    loop {
        match call {
            Ok(wasmi::ResumableCall::Finished) => return Ok(()),
            Ok(wasmi::ResumableCall::OutOfFuel(pending)) => {
                refill(store, budget, hook)?;
                call = pending.resume(&mut *store, results);
            }
            Ok(wasmi::ResumableCall::HostTrap(pending)) => {
                return Err(map_run_error(pending.host_error(), during, store, budget))
            }
            Err(e) => return Err(map_run_error(&e, during, store, budget)),
        }
    }
}

fn refill(
    store: &mut Store<abi::HostState>,
    budget: u64,
    hook: &mut dyn SliceHook,
) -> Result<(), Error> {
    let reserve = store.data().fuel_reserve;
    if reserve == 0 {
        return Err(Error::OutOfFuel { used: budget });
    }
    let used = fuel_used(store, budget);
    hook.on_slice(used).map_err(|reason| Error::Interrupted {
        reason,
        fuel_used: used,
    })?;
    let give = store.data().shared.limits.fuel_slice.max(1).min(reserve);
    store.data_mut().fuel_reserve = reserve - give;
    let now = store.get_fuel().unwrap_or(0);
    store
        .set_fuel(now.saturating_add(give))
        .map_err(|e| Error::Host {
            reason: format!("setting fuel: {e}"),
        })
}

/// Maps a wasmi error from running guest code to a Caplet error.
fn map_run_error(
    e: &wasmi::Error,
    during: &str,
    store: &Store<abi::HostState>,
    budget: u64,
) -> Error {
    use wasmi::errors::ErrorKind as K;
    if let Some(fatal) = e.downcast_ref::<abi::Fatal>() {
        return fatal.0.clone();
    }
    match e.kind() {
        K::TrapCode(wasmi::TrapCode::OutOfFuel) => Error::OutOfFuel {
            used: fuel_used(store, budget).max(budget),
        },
        K::TrapCode(wasmi::TrapCode::GrowthOperationLimited) => Error::MemoryLimit {
            reason: format!("growth refused in `{during}`"),
        },
        K::TrapCode(code) => Error::Trap {
            during: during.into(),
            message: format!("{code}"),
        },
        K::Memory(m) => Error::MemoryLimit {
            reason: format!(
                "{m} (budget {} bytes)",
                store.data().shared.limits.memory_bytes
            ),
        },
        K::Table(t) => Error::MemoryLimit {
            reason: format!("{t}"),
        },
        K::Instantiation(i) => Error::MemoryLimit {
            reason: format!("{i}"),
        },
        K::Fuel(f) => Error::Host {
            reason: format!("fuel: {f}"),
        },
        _ => Error::Trap {
            during: during.into(),
            message: format!("{e}"),
        },
    }
}

/// A running plugin instance: one store, one wasm instance.
///
/// After a trap, out-of-fuel, interruption or contract violation the instance is
/// dropped; the next call re-instantiates it from the compiled plugin, so no state
/// of a failed call leaks into the next.
pub struct Instance {
    plugin: Plugin,
    live: Option<Live>,
    last_usage: Usage,
}

impl fmt::Debug for Instance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Instance")
            .field("plugin", &self.plugin.name())
            .field("live", &self.live.is_some())
            .finish()
    }
}

/// Outcome classes that poison an instance.
fn poisons(e: &Error) -> bool {
    !matches!(e, Error::Guest { .. } | Error::Usage { .. })
}

impl Instance {
    /// The plugin this instance runs.
    pub fn plugin(&self) -> &Plugin {
        &self.plugin
    }

    /// Usage of the last call (also after a failed call).
    pub fn last_usage(&self) -> Usage {
        self.last_usage
    }

    /// Whether the instance was dropped after a failure and will be recreated.
    pub fn is_poisoned(&self) -> bool {
        self.live.is_none()
    }

    /// Calls entry point `name` with `input`; returns the output bytes.
    pub fn call(&mut self, name: &str, input: &[u8]) -> Result<Vec<u8>, Error> {
        self.call_with(name, input, &mut NoHook)
    }

    /// Calls entry point `name`, running `hook` between fuel slices.
    pub fn call_with(
        &mut self,
        name: &str,
        input: &[u8],
        hook: &mut dyn SliceHook,
    ) -> Result<Vec<u8>, Error> {
        let limits = self.plugin.inner.shared.limits;
        if input.len() > limits.max_input_bytes as usize {
            return Err(Error::usage(format!(
                "input is {} bytes, more than the {}-byte cap",
                input.len(),
                limits.max_input_bytes
            )));
        }
        let budget = limits.fuel_per_call;
        let live = self.live(hook)?;
        let result = call_entry(live, name, input, budget, limits.max_output_bytes, hook);
        self.finish(budget, result)
    }

    /// Calls export `name` with typed arguments; returns its results.
    pub fn call_typed(&mut self, name: &str, args: &[Value]) -> Result<Vec<Value>, Error> {
        self.call_typed_with(name, args, &mut NoHook)
    }

    /// Typed call with a slice hook.
    pub fn call_typed_with(
        &mut self,
        name: &str,
        args: &[Value],
        hook: &mut dyn SliceHook,
    ) -> Result<Vec<Value>, Error> {
        let sig = match self.plugin.info().export_signature(name) {
            Some(sig) if sig.is_numeric() => sig.clone(),
            Some(sig) => {
                return Err(Error::usage(format!(
                    "`{name}` has signature {sig}: only numbers can be passed"
                )))
            }
            None => {
                return Err(Error::MissingExport {
                    name: name.into(),
                    expected: "an exported function".into(),
                })
            }
        };
        let given: Vec<ValType> = args.iter().map(Value::ty).collect();
        if given != sig.params {
            let given = Signature {
                params: given,
                results: sig.results.clone(),
            };
            return Err(Error::usage(format!(
                "`{name}` takes {sig}, but the arguments were {given}"
            )));
        }
        let budget = self.plugin.inner.shared.limits.fuel_per_call;
        let live = self.live(hook)?;
        let result = (|| {
            let func =
                live.instance
                    .get_func(&live.store, name)
                    .ok_or_else(|| Error::MissingExport {
                        name: name.into(),
                        expected: "an exported function".into(),
                    })?;
            let args: Vec<Val> = args.iter().map(|v| v.to_val()).collect();
            let mut results: Vec<Val> = sig.results.iter().map(|_| Val::I32(0)).collect();
            begin(&mut live.store, budget)?;
            drive_untyped(
                &mut live.store,
                func,
                &args,
                &mut results,
                budget,
                hook,
                name,
            )?;
            results
                .iter()
                .map(|v| Value::from_val(v).ok_or_else(|| Error::usage("non-numeric result")))
                .collect()
        })();
        self.finish(budget, result)
    }

    fn live(&mut self, hook: &mut dyn SliceHook) -> Result<&mut Live, Error> {
        if self.live.is_none() {
            self.live = Some(Live::new(&self.plugin, hook)?);
        }
        self.live.as_mut().ok_or_else(|| Error::Host {
            reason: "instance missing".into(),
        })
    }

    fn finish<T>(&mut self, budget: u64, result: Result<T, Error>) -> Result<T, Error> {
        if let Some(live) = &self.live {
            self.last_usage = live.usage(budget);
        }
        if let Err(e) = &result {
            if let Error::OutOfFuel { .. } = e {
                self.last_usage.fuel_used = budget;
            }
            if poisons(e) {
                self.live = None;
            }
        }
        result
    }
}

fn call_entry(
    live: &mut Live,
    name: &str,
    input: &[u8],
    budget: u64,
    max_output: u32,
    hook: &mut dyn SliceHook,
) -> Result<Vec<u8>, Error> {
    let entry = match live.entries.get(name) {
        Some(f) => *f,
        None => {
            let f = live
                .instance
                .get_typed_func::<(i32, i32), i64>(&live.store, name)
                .map_err(|_| Error::MissingExport {
                    name: name.into(),
                    expected: "an entry point (i32, i32) -> (i64)".into(),
                })?;
            live.entries.insert(name.to_string(), f);
            f
        }
    };
    begin(&mut live.store, budget)?;
    let (ptr, len) = if input.is_empty() {
        (0i32, 0i32)
    } else {
        let alloc = live.alloc.ok_or_else(|| Error::MissingExport {
            name: "caplet_alloc".into(),
            expected: "a function (i32) -> (i32)".into(),
        })?;
        let len = input.len() as i32;
        let call = alloc.call_resumable(&mut live.store, len);
        let ptr = drive(&mut live.store, call, budget, hook, "caplet_alloc")?;
        if ptr == 0 {
            return Err(Error::contract(format!(
                "caplet_alloc({len}) returned 0: the guest could not allocate the input"
            )));
        }
        let mem = live.memory.data_mut(&mut live.store);
        let dst = abi::guest_range(mem.len(), ptr, len).ok_or_else(|| {
            Error::contract(format!(
                "caplet_alloc({len}) returned {} (memory is {} bytes)",
                ptr as u32,
                mem.len()
            ))
        })?;
        mem[dst].copy_from_slice(input);
        (ptr, len)
    };
    let call = entry.call_resumable(&mut live.store, (ptr, len));
    let packed = drive(&mut live.store, call, budget, hook, name)?;
    if packed < 0 {
        let raw = packed.unsigned_abs();
        let raw = i64::try_from(raw).unwrap_or(i64::MAX);
        return Err(Error::Guest {
            entry: name.into(),
            code: Code::from_number(raw),
            raw,
            message: live.store.data_mut().error_message.take(),
        });
    }
    let (out_ptr, out_len) = abi::unpack(packed);
    if out_len > max_output {
        return Err(Error::contract(format!(
            "`{name}` returned {out_len} bytes, more than the {max_output}-byte output cap"
        )));
    }
    let mem = live.memory.data(&live.store);
    let src = abi::guest_range(mem.len(), out_ptr as i32, out_len as i32).ok_or_else(|| {
        Error::contract(format!(
            "`{name}` returned output at {out_ptr}..{} outside its {}-byte memory",
            u64::from(out_ptr) + u64::from(out_len),
            mem.len()
        ))
    })?;
    Ok(mem[src].to_vec())
}
