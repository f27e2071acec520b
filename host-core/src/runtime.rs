//! Runtime, plugins and instances: compile once, instantiate many, call under fuel.

use alloc::boxed::Box;
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

use crate::capability::{Capability, Grants, Kind};
use crate::digest::Digest;
use crate::error::{wasmi_message, Code, Error, Interrupt};
use crate::inspect::{ItemKind, ModuleInfo, Signature, ValType};
use crate::limits::{EngineLimits, Limits};
use crate::manifest::Manifest;
use crate::platform::{Denial, Platform};
use crate::profiles::{self, caplet, wasi::WasiConfig};
use crate::services::app::{AppFunction, AppFunctions};
use crate::services::Services;
use crate::signature::{self, Trust, Verified};
use crate::state::{Fatal, GuestRequest, HostState};

/// Called between fuel slices of a call. Returning `Err` stops the call.
///
/// The std adapter uses it for wall-clock deadlines and cancellation; a board can
/// use it to interleave plugins or feed a watchdog.
pub trait SliceHook {
    /// `fuel_used` is the fuel the call consumed so far.
    fn on_slice(&mut self, fuel_used: u64) -> Result<(), Interrupt>;

    /// Whether the hook needs to run between slices. A hook that never interrupts
    /// returns `false`: the call then gets its whole budget at once and runs as
    /// plain wasmi calls, which skips the resumable-call machinery (the result is
    /// the same; only the hook is not called).
    fn needs_slices(&self) -> bool {
        true
    }
}

/// A hook that never interrupts.
pub struct NoHook;

impl SliceHook for NoHook {
    fn on_slice(&mut self, _: u64) -> Result<(), Interrupt> {
        Ok(())
    }

    fn needs_slices(&self) -> bool {
        false
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
    /// The zero of type `t` (`Other` is read as `i32`).
    pub(crate) fn zero(t: ValType) -> Self {
        match t {
            ValType::I64 => Value::I64(0),
            ValType::F32 => Value::F32(0.0),
            ValType::F64 => Value::F64(0.0),
            ValType::I32 | ValType::Other => Value::I32(0),
        }
    }

    pub(crate) fn ty(&self) -> ValType {
        match self {
            Value::I32(_) => ValType::I32,
            Value::I64(_) => ValType::I64,
            Value::F32(_) => ValType::F32,
            Value::F64(_) => ValType::F64,
        }
    }

    pub(crate) fn to_val(self) -> Val {
        match self {
            Value::I32(v) => Val::I32(v),
            Value::I64(v) => Val::I64(v),
            Value::F32(v) => Val::F32(v.into()),
            Value::F64(v) => Val::F64(v.into()),
        }
    }

    pub(crate) fn from_val(v: &Val) -> Option<Self> {
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
    /// Arguments and preopened directories of a WASI program.
    pub wasi: WasiConfig,
    /// What the load demands of the module's origin (default: nothing). With
    /// [`Trust::Required`] the module must have a pinned digest or a trusted
    /// signature; it is checked before anything else reads the module.
    pub trust: Trust,
    /// A signature that came beside the module (a `.sig` file, an OCI
    /// annotation), in the encoding of [`crate::signature`].
    pub signature: Option<Vec<u8>>,
    /// Modules an Extism plugin links by name (an Extism manifest's other `wasm`
    /// entries), in instantiation order: each is instantiated in the plugin's
    /// store, sharing its Extism memory, and its exports are importable under its
    /// name by the modules after it and by the plugin. At most
    /// [`MAX_LINKED_MODULES`]; they count against the plugin's limits like the
    /// plugin itself.
    pub linked: Vec<LinkedModule>,
}

/// A module an Extism plugin imports from by name (see [`PluginConfig::linked`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedModule {
    /// The import module name it is linked under.
    pub name: String,
    /// The module bytes.
    pub wasm: Vec<u8>,
}

/// Modules one plugin may link ([`PluginConfig::linked`]).
pub const MAX_LINKED_MODULES: usize = 8;

/// A linked module, checked and compiled.
#[cfg_attr(not(feature = "extism"), allow(dead_code))]
struct Linked {
    name: String,
    module: Module,
    info: ModuleInfo,
    /// The export its start function was moved to, if it had one.
    start_export: Option<String>,
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
    linker: Arc<Linker<HostState>>,
    /// The Extism kernel, compiled on the first load of an Extism plugin.
    #[cfg(feature = "extism")]
    kernel: Arc<spin::Once<Result<Module, Error>>>,
    /// The application's functions, by import module.
    apps: Arc<[AppFunctions]>,
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
        Self::build(limits, Vec::new())
    }

    /// A runtime that also offers the application's functions, each module under
    /// its own import name (see [`AppFunctions`]). Fails when two sets share a
    /// module name.
    pub fn with_functions(
        limits: EngineLimits,
        functions: impl IntoIterator<Item = AppFunctions>,
    ) -> Result<Self, Error> {
        let apps: Vec<AppFunctions> = functions.into_iter().collect();
        for (i, a) in apps.iter().enumerate() {
            if apps[..i].iter().any(|b| b.module == a.module) {
                return Err(Error::usage(msg!(
                    "application module `{}` is given twice",
                    a.module
                )));
            }
        }
        Ok(Self::build(limits, apps))
    }

    fn build(limits: EngineLimits, mut apps: Vec<AppFunctions>) -> Self {
        for (id, f) in apps
            .iter_mut()
            .flat_map(|a| a.functions.iter_mut())
            .enumerate()
        {
            f.id = id;
        }
        let mut config = Config::default();
        config
            .consume_fuel(true)
            .compilation_mode(CompilationMode::Eager)
            .set_max_recursion_depth(limits.max_recursion_depth as usize)
            .set_max_stack_height(limits.max_stack_bytes as usize)
            .set_max_cached_stacks(2)
            .enforced_limits(wasmi::EnforcedLimits::strict());
        // Modules with 1-byte pages (custom-page-sizes proposal) declare exactly
        // the memory they need: a small plugin fits in a few KiB instead of a
        // 64 KiB page. Budgets are in bytes either way. (The switch is the
        // validator's; without validation wasmi reads page sizes as they come.)
        #[cfg(feature = "validate")]
        config.wasm_custom_page_sizes(true);
        let engine = Engine::new(&config);
        let linker = profiles::linker(&engine, &apps);
        Runtime {
            engine,
            linker: Arc::new(linker),
            #[cfg(feature = "extism")]
            kernel: Arc::new(spin::Once::new()),
            apps: apps.into(),
        }
    }

    /// The Extism kernel module ([`profiles::extism`]), compiled once per runtime.
    #[cfg(feature = "extism")]
    fn extism_kernel(&self) -> Result<Module, Error> {
        self.kernel
            .call_once(|| {
                let code = profiles::extism::KERNEL;
                #[cfg(feature = "validate")]
                let module = Module::new(&self.engine, code);
                // The kernel is this crate's own module, embedded in the binary:
                // pinned by construction (and validated by this crate's tests).
                #[cfg(not(feature = "validate"))]
                let module = crate::unchecked::compile(&self.engine, code, Verified::Pinned);
                module.map_err(|e| Error::Host {
                    reason: ["compiling the Extism kernel: ", &wasmi_message(&e)].concat(),
                })
            })
            .clone()
    }

    /// Validates `wasm` with this runtime's engine settings (the WebAssembly
    /// features Caplet enables), without compiling or loading it. `caplet sign`
    /// runs this before signing: a build without the `validate` feature trusts
    /// that signed modules were validated.
    #[cfg(feature = "validate")]
    pub fn validate(&self, wasm: &[u8]) -> Result<(), Error> {
        Module::validate(&self.engine, wasm).map_err(map_compile_error)
    }

    /// The application function `module.name`, if this runtime offers it.
    pub fn app_function(&self, module: &str, name: &str) -> Option<&AppFunction> {
        self.apps
            .iter()
            .find(|a| a.module == module)
            .and_then(|a| a.get(name))
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
        let verified = signature::check(wasm, &digest, cfg.signature.as_deref(), &cfg.trust)?;
        if !cfg!(feature = "validate") && verified == Verified::NotRequired {
            return Err(Error::Untrusted {
                reason: "this build compiles modules without validating them, so it loads only \
                         pinned or signed ones (PluginConfig::trust); it was built without \
                         caplet-core's `validate` feature"
                    .into(),
            });
        }
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
        // Whether the grants allow each application function, decided once: the
        // import check reads it here, every call reads it later.
        let app_granted: Vec<bool> = self
            .apps
            .iter()
            .flat_map(|a| a.functions.iter())
            .map(|f| cfg.grants.allows(Kind::App, &f.capability))
            .collect();
        let extism = profiles::is_extism(info.imports.iter().map(|i| i.module.as_str()));
        // Linked modules (an Extism manifest of several modules): scanned like the
        // plugin, their imports checked like its own, before anything compiles.
        if !cfg.linked.is_empty() && !extism {
            return Err(Error::usage(
                "linked modules are for Extism plugins (the plugin imports no `extism:host/env`)",
            ));
        }
        if cfg.linked.len() > MAX_LINKED_MODULES {
            return Err(Error::usage(msg!(
                "{} linked modules, more than {MAX_LINKED_MODULES}",
                cfg.linked.len()
            )));
        }
        #[cfg(not(feature = "validate"))]
        if !cfg.linked.is_empty() {
            return Err(Error::Untrusted {
                reason: "linked modules are compiled only by builds that validate modules".into(),
            });
        }
        let mut linked_infos: Vec<(&str, ModuleInfo)> = Vec::new();
        for dep in &cfg.linked {
            // A load that requires trust requires it of every module that runs in
            // the plugin's store: a linked module must be pinned, or carry an
            // embedded signature by a trusted key (the sidecar is the main
            // module's).
            if let Trust::Required { .. } = cfg.trust {
                match signature::check(&dep.wasm, &Digest::of(&dep.wasm), None, &cfg.trust) {
                    Ok(_) => {}
                    Err(Error::Untrusted { reason }) => {
                        return Err(Error::Untrusted {
                            reason: ["linked module `", &dep.name, "`: ", &reason].concat(),
                        })
                    }
                    Err(e) => return Err(e),
                }
            }
            let taken = linked_infos.iter().any(|(n, _)| *n == dep.name)
                || profiles::profile_of(&dep.name).is_some()
                || dep.name == crate::services::app::USER_MODULE
                || self.apps.iter().any(|a| a.module == dep.name);
            if taken || dep.name.is_empty() {
                return Err(Error::usage(msg!(
                    "a linked module cannot be named `{}` (empty, taken twice, or an import \
                     module of Caplet's)",
                    crate::capability::truncate(&dep.name, 80)
                )));
            }
            let dep_info =
                ModuleInfo::scan(&dep.wasm, &lenient).map_err(|e| in_linked(&dep.name, e))?;
            dep_info
                .check(&limits)
                .map_err(|e| in_linked(&dep.name, e))?;
            linked_infos.push((dep.name.as_str(), dep_info));
        }
        let owners = (0..linked_infos.len())
            .map(|i| (Some(i), &linked_infos[i].1))
            .chain(core::iter::once((None, &info)));
        for (owner, module_info) in owners {
            let before = &linked_infos[..owner.unwrap_or(linked_infos.len())];
            for import in &module_info.imports {
                let qualified = format!("{}.{}", import.module, import.name);
                if let Some((dep, dep_info)) = before.iter().find(|(n, _)| *n == import.module) {
                    match (&import.kind, dep_info.export_signature(&import.name)) {
                        (ItemKind::Func(sig), Some(found)) if sig == found => continue,
                        (_, found) => {
                            return Err(Error::UnknownImport {
                                import: qualified,
                                reason: match found {
                                    Some(found) => {
                                        msg!("the linked module `{dep}` exports it as {found}")
                                    }
                                    None => msg!(
                                    "the linked module `{dep}` exports no function of this name"
                                ),
                                },
                            })
                        }
                    }
                }
                if owner.is_some()
                    && import.module != profiles::EXTISM_MODULE
                    && import.module != crate::services::app::USER_MODULE
                {
                    return Err(Error::UnknownImport {
                        import: qualified,
                        reason: msg!(
                            "a linked module (`{}`) may import Extism's functions and the modules \
                         linked before it only",
                            owner.map_or("", |i| linked_infos[i].0)
                        ),
                    });
                }
                if let Some(app) = self.apps.iter().find(|a| a.module == import.module) {
                    check_app_import(app, import, &qualified, &app_granted, &audit, extism)?;
                    continue;
                }
                let Some(spec) = profiles::resolve(&import.module, &import.name) else {
                    let reason = match profiles::profile_of(&import.module) {
                        #[cfg(not(feature = "extism"))]
                        Some(profiles::Profile::Extism) => "this build of Caplet has no Extism \
                                                        profile (caplet-core's `extism` feature)"
                            .into(),
                        Some(p) => {
                            msg!("the `{}` profile has no function of this name", p.module())
                        }
                        None => {
                            let mut modules = String::from(
                                "Caplet provides the import modules `caplet` (contract v1), \
                             `wasi_snapshot_preview1` (WASI preview 1) and `extism:host/env` \
                             (Extism)",
                            );
                            if import.module == crate::services::app::USER_MODULE {
                                modules = "an Extism host function, which this host's application \
                                       does not provide"
                                    .into();
                            }
                            for a in self.apps.iter() {
                                modules.push_str(&msg!(", and the application's `{}`", a.module));
                            }
                            modules
                        }
                    };
                    return Err(Error::UnknownImport {
                        import: qualified,
                        reason,
                    });
                };
                if let Some(feature) = profiles::missing_feature(spec) {
                    let what = if feature == "wasi" {
                        "WASI profile".to_string()
                    } else {
                        ["`", feature, "` service"].concat()
                    };
                    return Err(Error::UnknownImport {
                        import: qualified,
                        reason: [
                            "this build of Caplet has no ",
                            &what,
                            " (caplet-core's `",
                            feature,
                            "` feature)",
                        ]
                        .concat(),
                    });
                }
                match &import.kind {
                    ItemKind::Func(sig) if *sig == spec.signature() => {}
                    ItemKind::Func(sig) => {
                        return Err(Error::UnknownImport {
                            import: qualified,
                            reason: msg!("expected signature {}, found {sig}", spec.signature()),
                        })
                    }
                    _ => {
                        return Err(Error::UnknownImport {
                            import: qualified,
                            reason: "must be a function".into(),
                        })
                    }
                }
                if !spec.profile.checks_imports_at_load() {
                    continue;
                }
                for &kind in spec.capabilities {
                    if !cfg.grants.has_kind(kind) {
                        audit(kind, &qualified);
                        let capability = if kind.is_scoped() {
                            [kind.prefix(), ":<scope>"].concat()
                        } else {
                            kind.prefix().into()
                        };
                        return Err(Error::CapabilityDenied {
                            capability,
                            needed_by: ["import `", qualified.as_str(), "`"].concat(),
                        });
                    }
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
        let app_buffers = info.imports.iter().any(|i| {
            self.app_function(&i.module, &i.name)
                .is_some_and(AppFunction::returns_buffer)
        });
        #[cfg(feature = "extism")]
        if extism {
            self.extism_kernel()?;
        }
        // An Extism plugin's buffers live in its kernel: no `caplet_alloc`.
        check_exports(&info, &manifest, app_buffers && !extism)?;
        // A start function is moved to an export so it runs in fuel slices
        // (crate::start); the digest and every check above saw the original.
        let detached = crate::start::detach(wasm);
        let code: &[u8] = detached.as_ref().map_or(wasm, |(bytes, _)| bytes);
        #[cfg(feature = "validate")]
        let compile = || Module::new(&self.engine, code).map_err(map_compile_error);
        #[cfg(not(feature = "validate"))]
        let compile =
            || crate::unchecked::compile(&self.engine, code, verified).map_err(map_compile_error);
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
        let start_export = detached.map(|(_, name)| name);
        // Refused above in a build without validation: there are none to compile.
        #[cfg(not(feature = "validate"))]
        let linked: Vec<Linked> = {
            let _ = linked_infos;
            Vec::new()
        };
        #[cfg(feature = "validate")]
        let linked = {
            let mut linked = Vec::new();
            for (dep, (_, dep_info)) in cfg.linked.iter().zip(linked_infos) {
                let detached = crate::start::detach(&dep.wasm);
                let code: &[u8] = detached.as_ref().map_or(&dep.wasm, |(bytes, _)| bytes);
                let module = Module::new(&self.engine, code)
                    .map_err(|e| in_linked(&dep.name, map_compile_error(e)))?;
                linked.push(Linked {
                    name: dep.name.clone(),
                    module,
                    info: dep_info,
                    start_export: detached.map(|(_, name)| name),
                });
            }
            linked
        };
        // One private scratch directory per `fs:temp` grant and loaded plugin.
        let mut scratch = Vec::new();
        let mut wasi = cfg.wasi;
        for dir in cfg.grants.scratch_dirs() {
            let fs = cfg
                .platform
                .fs
                .as_ref()
                .ok_or(Code::Unsupported)
                .and_then(|fs| fs.scratch(dir))
                .map_err(|code| Error::CapabilityUnsupported {
                    capability: [
                        "fs:temp:",
                        dir,
                        " (the host cannot make a scratch directory: ",
                        code.name(),
                        ")",
                    ]
                    .concat(),
                })?;
            scratch.push((dir.to_string(), fs));
            if !wasi.preopens.iter().any(|p| p.guest == dir) {
                wasi.preopens.push(crate::profiles::wasi::Preopen::new(dir));
            }
        }
        let mut config = manifest.config.clone();
        for (k, v) in cfg.config {
            config.insert(k, v);
        }
        for (k, v) in &config {
            if k.len() > limits.max_config_bytes as usize
                || v.len() > limits.max_config_bytes as usize
            {
                return Err(Error::usage(msg!(
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
                verified,
                start_export,
                extism,
                linked,
                services: Arc::new(Services {
                    name: manifest.name,
                    grants: cfg.grants,
                    platform: cfg.platform,
                    limits,
                    config,
                    wasi,
                    written: Default::default(),
                    scratch,
                    app_granted,
                }),
            }),
        })
    }
}

/// The load check of an import of an application module: the function exists,
/// its signature matches, and its declared capability is granted.
fn check_app_import(
    app: &AppFunctions,
    import: &crate::inspect::Import,
    qualified: &str,
    granted: &[bool],
    audit: &dyn Fn(Kind, &str),
    extism: bool,
) -> Result<(), Error> {
    #[cfg(not(feature = "extism"))]
    let _ = extism;
    let Some(function) = app.get(&import.name) else {
        return Err(Error::UnknownImport {
            import: qualified.into(),
            reason: msg!(
                "the application module `{}` has no function of this name",
                app.module
            ),
        });
    };
    let expected = function.signature();
    match &import.kind {
        ItemKind::Func(sig) if *sig == expected => {}
        // An Extism host function: a handle in, a handle out.
        #[cfg(feature = "extism")]
        ItemKind::Func(sig)
            if extism
                && function.returns_buffer()
                && *sig == profiles::extism::host_function_signature() => {}
        ItemKind::Func(sig) => {
            return Err(Error::UnknownImport {
                import: qualified.into(),
                reason: msg!("expected signature {expected}, found {sig}"),
            })
        }
        _ => {
            return Err(Error::UnknownImport {
                import: qualified.into(),
                reason: "must be a function".into(),
            })
        }
    }
    if !granted.get(function.id).copied().unwrap_or(false) {
        let capability = function.capability();
        audit(Kind::App, &capability);
        return Err(Error::CapabilityDenied {
            capability,
            needed_by: ["import `", qualified, "`"].concat(),
        });
    }
    Ok(())
}

fn check_exports(info: &ModuleInfo, manifest: &Manifest, app_buffers: bool) -> Result<(), Error> {
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
        None if app_buffers || info.entry_points().next().is_some() || info.imports.iter().any(|i| caplet::returns_buffer(&i.module, &i.name)) => {
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
                    expected: msg!("entry point signature (i32, i32) -> (i64), found {sig}"),
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

/// Names the linked module a load error is about.
fn in_linked(name: &str, e: Error) -> Error {
    match e {
        Error::BadModule { reason } => Error::bad_module(msg!("linked module `{name}`: {reason}")),
        Error::ModuleTooLarge { reason } => {
            Error::too_large(msg!("linked module `{name}`: {reason}"))
        }
        e => e,
    }
}

fn map_compile_error(e: wasmi::Error) -> Error {
    use wasmi::errors::ErrorKind as K;
    match e.kind() {
        K::UserLimits(_) | K::ImplementationLimits(_) => Error::too_large(wasmi_message(&e)),
        _ => Error::bad_module(wasmi_message(&e)),
    }
}

struct PluginInner {
    runtime: Runtime,
    module: Module,
    info: ModuleInfo,
    manifest: Manifest,
    digest: Digest,
    /// How the module passed the load's trust check.
    verified: Verified,
    services: Arc<Services>,
    /// The export the module's start function was moved to, if it had one.
    start_export: Option<String>,
    /// The module imports `extism:host/env`: it runs with the Extism kernel and
    /// its entry points are `name() -> i32`.
    extism: bool,
    /// The modules it links by name, in instantiation order.
    #[cfg_attr(not(feature = "extism"), allow(dead_code))]
    linked: Vec<Linked>,
}

/// A compiled, checked plugin. Cheap to clone; instantiate it as often as needed.
#[derive(Clone)]
pub struct Plugin {
    inner: Arc<PluginInner>,
}

impl fmt::Debug for Plugin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Plugin")
            .field("name", &self.inner.services.name)
            .field("digest", &self.inner.digest)
            .finish_non_exhaustive()
    }
}

impl Plugin {
    /// The plugin's name (manifest name).
    pub fn name(&self) -> &str {
        &self.inner.services.name
    }

    /// The manifest (embedded, sidecar or anonymous).
    pub fn manifest(&self) -> &Manifest {
        &self.inner.manifest
    }

    /// SHA-256 of the module bytes.
    pub fn digest(&self) -> Digest {
        self.inner.digest
    }

    /// How the module passed the load's trust check: not required, a pinned
    /// digest, or the key whose signature verified.
    pub fn verified(&self) -> Verified {
        self.inner.verified
    }

    /// The pre-compile scan.
    pub fn info(&self) -> &ModuleInfo {
        &self.inner.info
    }

    /// The effective limits.
    pub fn limits(&self) -> &Limits {
        &self.inner.services.limits
    }

    /// The grants.
    pub fn grants(&self) -> &Grants {
        &self.inner.services.grants
    }

    /// Creates an instance: runs the start function and `_initialize` under the
    /// fuel budget of one call.
    pub fn instantiate(&self) -> Result<Instance, Error> {
        self.instantiate_with(&mut NoHook)
    }

    /// [`instantiate`](Self::instantiate), running `hook` between the fuel slices
    /// of `_initialize` (a deadline or a cancel stops it like any call).
    pub fn instantiate_with(&self, hook: &mut dyn SliceHook) -> Result<Instance, Error> {
        let live = Live::new(self, hook)?;
        Ok(Instance {
            plugin: self.clone(),
            live: Some(live),
            last_usage: LastUsage::Fixed(Usage::default()),
        })
    }

    /// Whether the plugin requires `cap` in its manifest.
    pub fn requires(&self, cap: &Capability) -> bool {
        self.inner.manifest.capabilities.iter().any(|c| c == cap)
    }

    /// The host services of this plugin (grants, limits, platform, config).
    pub fn services(&self) -> &Services {
        &self.inner.services
    }
}

/// An entry point: `(ptr, len) -> packed result`.
type EntryFunc = TypedFunc<(i32, i32), i64>;

/// An entry point looked up once with [`Instance::entry`], for a host that calls the
/// same entry many times: [`Instance::call_entry`] then skips the lookup by name.
///
/// A handle is never wrong, only slower when stale: it remembers the live instance it
/// was resolved on, and on any other (another [`Instance`], or this one rebuilt after
/// a failure dropped it: a trap, running out of fuel, an interrupt, a contract
/// violation; see [`Instance::is_poisoned`]) the call looks the entry up by name, as
/// [`Instance::call`] does. Take a new handle with [`Instance::entry`] after such a
/// failure to skip the lookup again.
#[derive(Clone)]
pub struct Entry {
    name: String,
    resolved: Option<(EntryFunc, Arc<()>)>,
}

impl Entry {
    /// The entry point's name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl fmt::Debug for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entry").field("name", &self.name).finish()
    }
}

/// A live instance and its store.
struct Live {
    store: Store<HostState>,
    instance: wasmi::Instance,
    memory: Memory,
    alloc: Option<TypedFunc<i32, i32>>,
    entries: BTreeMap<String, TypedFunc<(i32, i32), i64>>,
    /// The entry called last, looked up without the map (a host usually calls
    /// one entry over and over).
    last_entry: Option<(String, EntryFunc)>,
    /// The Extism exports called so far.
    #[cfg(feature = "extism")]
    extism_entries: BTreeMap<String, TypedFunc<(), i32>>,
    /// This live instance's identity, held by the [`Entry`] handles resolved on it:
    /// a handle whose token is not this one was resolved on another store. Made by
    /// the first [`Instance::entry`], so an instance that never hands out a handle
    /// does not allocate it.
    token: Option<Arc<()>>,
}

impl Live {
    /// Boxed: a store is about 2 KB, and an [`Instance`] is moved by value through
    /// every layer that returns it (`instantiate`, the embedder's `Result`s, pools);
    /// in the box it is moved once.
    fn new(plugin: &Plugin, hook: &mut dyn SliceHook) -> Result<Box<Live>, Error> {
        let p = &plugin.inner;
        let mut store = Store::new(&p.runtime.engine, HostState::new(p.services.clone()));
        store.limiter(|s| &mut s.limiter);
        let budget = p.services.limits.fuel_per_call;
        // The start function runs inside wasmi's instantiation, which is not
        // resumable: it gets the whole budget of the call at once.
        begin(&mut store, budget, hook)?;
        store.data_mut().fuel_reserve = 0;
        store.set_fuel(budget).map_err(|e| fuel_error(&e))?;
        #[cfg(feature = "extism")]
        let linked;
        #[cfg(not(feature = "extism"))]
        let linker = &*p.runtime.linker;
        #[cfg(feature = "extism")]
        let linker = if p.extism {
            let kernel = p.runtime.extism_kernel()?;
            let k = wasmi::Instance::new(&mut store, &kernel, &[])
                .map_err(|e| map_run_error(&e, "the Extism kernel", &store, budget))?;
            let handles = profiles::extism::Kernel::new(&store, &k)?;
            store.data_mut().extism = Some(Box::new(profiles::extism::ExtismState::new(handles)));
            let mut l = (*p.runtime.linker).clone();
            profiles::extism::link_kernel(&mut l, &store, &k)?;
            let all_imports = p
                .linked
                .iter()
                .flat_map(|d| d.info.imports.iter())
                .chain(p.info.imports.iter());
            for import in all_imports {
                let is_handle_fn = matches!(&import.kind, ItemKind::Func(sig)
                    if *sig == profiles::extism::host_function_signature());
                if let (true, Some(f)) = (
                    is_handle_fn,
                    p.runtime.app_function(&import.module, &import.name),
                ) {
                    profiles::extism::link_host_function(
                        &mut l,
                        &mut store,
                        &import.module,
                        Arc::new(f.clone()),
                    )?;
                }
            }
            // The linked modules, in order, each under its name for those after it.
            for dep in &p.linked {
                let during = ["the start of linked module `", &dep.name, "`"].concat();
                let inst = l
                    .instantiate_and_start(&mut store, &dep.module)
                    .map_err(|e| map_run_error(&e, &during, &store, budget))?;
                if let Some(name) = &dep.start_export {
                    let start =
                        inst.get_typed_func::<(), ()>(&store, name)
                            .map_err(|_| Error::Host {
                                reason: "a linked module's relocated start function is missing"
                                    .into(),
                            })?;
                    let call = start.call_resumable(&mut store, ());
                    drive(&mut store, call, budget, hook, &during)?;
                }
                l.instance(&mut store, &dep.name, inst)
                    .map_err(|e| Error::Host {
                        reason: ["linking module `", &dep.name, "`: ", &wasmi_message(&e)].concat(),
                    })?;
            }
            linked = l;
            &linked
        } else {
            &*p.runtime.linker
        };
        let instance = match linker.instantiate_and_start(&mut store, &p.module) {
            Ok(i) => i,
            Err(e) => return Err(map_run_error(&e, "the start function", &store, budget)),
        };
        let left = store.get_fuel().unwrap_or(0);
        // What is left of the budget goes on in slices, or all at once for an
        // unsliced call (see `begin`).
        let slice = if store.data().sliced {
            p.services.limits.fuel_slice.max(1).min(left)
        } else {
            left
        };
        store.data_mut().fuel_reserve = left - slice;
        store.set_fuel(slice).map_err(|e| fuel_error(&e))?;
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
        // The start function and `_initialize` share the budget of one call.
        if let Some(name) = &p.start_export {
            let start = instance
                .get_typed_func::<(), ()>(&store, name)
                .map_err(|_| Error::Host {
                    reason: "the relocated start function is missing".into(),
                })?;
            let call = start.call_resumable(&mut store, ());
            drive(&mut store, call, budget, hook, "the start function")?;
        }
        // Extism runs `__wasm_call_ctors` or else `_initialize`, and for a Haskell
        // plugin `_initialize` then `hs_init(0, 0)`; everything else knows only
        // `_initialize`.
        let hs_init = p
            .extism
            .then(|| {
                instance
                    .get_typed_func::<(i32, i32), ()>(&store, "hs_init")
                    .ok()
            })
            .flatten();
        let initializers: &[&str] = match (p.extism, hs_init.is_some()) {
            (true, false) => &profiles::EXTISM_INITIALIZERS[..2],
            _ => &["_initialize"],
        };
        for name in initializers {
            if let Ok(init) = instance.get_typed_func::<(), ()>(&store, name) {
                let call = init.call_resumable(&mut store, ());
                drive(&mut store, call, budget, hook, name)?;
                break;
            }
        }
        if let Some(hs_init) = hs_init {
            let call = hs_init.call_resumable(&mut store, (0, 0));
            drive(&mut store, call, budget, hook, "hs_init")?;
        }
        Ok(Box::new(Live {
            store,
            instance,
            memory,
            alloc,
            entries: BTreeMap::new(),
            last_entry: None,
            #[cfg(feature = "extism")]
            extism_entries: BTreeMap::new(),
            token: None,
        }))
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
/// Returns whether the call is sliced, for [`run`].
///
/// When the hook does not need slices, or the budget fits in one slice, the whole
/// budget goes into the store and the call runs unsliced ([`run`] then makes plain
/// wasmi calls): running out of fuel ends the call either way, and nothing would
/// run between slices.
#[inline(always)]
fn begin(store: &mut Store<HostState>, budget: u64, hook: &dyn SliceHook) -> Result<bool, Error> {
    let slice = store.data().services.limits.fuel_slice.max(1).min(budget);
    let sliced = slice < budget && hook.needs_slices();
    let give = if sliced { slice } else { budget };
    let state = store.data_mut();
    state.fuel_reserve = budget - give;
    state.budget = budget;
    state.sliced = sliced;
    state.host_calls = 0;
    // Usually `None` already: a check, not a drop and a store, on the call path.
    if state.error_message.is_some() {
        state.error_message = None;
    }
    store.set_fuel(give).map_err(|e| fuel_error(&e))?;
    Ok(sliced)
}

/// Runs `func` to its end under the call's budget: a resumable call driven slice
/// by slice ([`drive`]) when the call is sliced (as [`begin`] said), else one
/// plain wasmi call.
#[inline(always)]
fn run<P, R>(
    store: &mut Store<HostState>,
    (func, args): (TypedFunc<P, R>, P),
    budget: u64,
    sliced: bool,
    hook: &mut dyn SliceHook,
    during: &str,
) -> Result<R, Error>
where
    P: wasmi::WasmParams,
    R: wasmi::WasmResults,
{
    if sliced {
        let call = func.call_resumable(&mut *store, args);
        drive(store, call, budget, hook, during)
    } else {
        func.call(&mut *store, args)
            .map_err(|e| map_run_error(&e, during, store, budget))
    }
}

/// A failure of `Store::set_fuel` (fuel metering is always on, so it does not
/// happen; named rather than unwrapped).
#[cold]
fn fuel_error(e: &wasmi::Error) -> Error {
    Error::Host {
        reason: ["setting fuel: ", &wasmi_message(e)].concat(),
    }
}

fn fuel_used(store: &Store<HostState>, budget: u64) -> u64 {
    let left = store
        .get_fuel()
        .unwrap_or(0)
        .saturating_add(store.data().fuel_reserve);
    budget.saturating_sub(left)
}

/// Runs a resumable call to completion: refills fuel slice by slice (running the
/// hook between slices) and serves the host functions' [`GuestRequest`]s.
#[inline(always)]
fn drive<R>(
    store: &mut Store<HostState>,
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
                let value = serve(store, pending.host_error(), budget, hook, during)?;
                call = pending.resume(&mut *store, &[value]);
            }
            Err(e) => return Err(map_run_error(&e, during, store, budget)),
        }
    }
}

/// The untyped twin of [`drive`] for typed exports.
fn drive_untyped(
    store: &mut Store<HostState>,
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
                let value = serve(store, pending.host_error(), budget, hook, during)?;
                call = pending.resume(&mut *store, &[value], results);
            }
            Err(e) => return Err(map_run_error(&e, during, store, budget)),
        }
    }
}

/// Serves a host function's request to run guest code (or ends the call when the
/// host error is not a request). Returns the value the host function returns.
fn serve(
    store: &mut Store<HostState>,
    host_error: &wasmi::Error,
    budget: u64,
    hook: &mut dyn SliceHook,
    during: &str,
) -> Result<Val, Error> {
    match host_error.downcast_ref::<GuestRequest>() {
        Some(GuestRequest::FinishAlloc { import }) => {
            finish_alloc(store, import, budget, hook).map(Val::I64)
        }
        Some(GuestRequest::Exit(code)) => Err(Error::Exit { code: *code }),
        None => Err(map_run_error(host_error, during, store, budget)),
    }
}

/// Finishes a `caplet_alloc` that a contract-v1 import started inline and that ran
/// out of its fuel slice: under the call's budget and hook like any guest code,
/// then places the import's bytes in the buffer; returns it packed.
fn finish_alloc(
    store: &mut Store<HostState>,
    import: &str,
    budget: u64,
    hook: &mut dyn SliceHook,
) -> Result<i64, Error> {
    let pending = store
        .data_mut()
        .pending_alloc
        .take()
        .ok_or_else(|| Error::Host {
            reason: "a suspended caplet_alloc is missing".into(),
        })?;
    let data = core::mem::take(&mut store.data_mut().pending);
    let during = ["caplet_alloc (called by the host for `", import, "`)"].concat();
    refill(store, budget, hook)?;
    let call = pending.resume(&mut *store);
    let ptr = drive(store, call, budget, hook, &during);
    store.data_mut().in_alloc = false;
    let ptr = ptr?;
    let memory = store.data().memory.ok_or_else(|| Error::Host {
        reason: "instance memory missing".into(),
    })?;
    caplet::place(memory.data_mut(&mut *store), ptr, &data, import)
}

fn refill(
    store: &mut Store<HostState>,
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
    let give = store.data().services.limits.fuel_slice.max(1).min(reserve);
    store.data_mut().fuel_reserve = reserve - give;
    let now = store.get_fuel().unwrap_or(0);
    store
        .set_fuel(now.saturating_add(give))
        .map_err(|e| fuel_error(&e))
}

/// Maps a wasmi error from running guest code to a Caplet error.
#[cold]
#[inline(never)]
fn map_run_error(e: &wasmi::Error, during: &str, store: &Store<HostState>, budget: u64) -> Error {
    use wasmi::errors::ErrorKind as K;
    if let Some(fatal) = e.downcast_ref::<Fatal>() {
        return fatal.0.clone();
    }
    match e.downcast_ref::<GuestRequest>() {
        Some(GuestRequest::Exit(code)) => return Error::Exit { code: *code },
        Some(request) => {
            return Error::contract(msg!(
                "{request} during `{during}`, where the host cannot run guest code"
            ))
        }
        None => {}
    }
    match e.kind() {
        K::TrapCode(wasmi::TrapCode::OutOfFuel) => Error::OutOfFuel {
            used: fuel_used(store, budget).max(budget),
        },
        K::TrapCode(wasmi::TrapCode::GrowthOperationLimited) => Error::MemoryLimit {
            reason: msg!("growth refused in `{during}`"),
        },
        K::TrapCode(code) => Error::Trap {
            during: during.into(),
            message: code.trap_message().into(),
        },
        K::Memory(_) => Error::MemoryLimit {
            reason: wasmi_message(e)
                + &msg!(
                    " (budget {} bytes)",
                    store.data().services.limits.memory_bytes
                ),
        },
        K::Table(_) => Error::MemoryLimit {
            reason: wasmi_message(e),
        },
        K::Instantiation(_) => Error::MemoryLimit {
            reason: wasmi_message(e),
        },
        K::Fuel(_) => Error::Host {
            reason: ["fuel: ", &wasmi_message(e)].concat(),
        },
        _ => Error::Trap {
            during: during.into(),
            message: wasmi_message(e),
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
    live: Option<Box<Live>>,
    last_usage: LastUsage,
}

/// The usage of the last call: read from the live store, or fixed when the call
/// failed (the store may be gone).
#[derive(Clone, Copy)]
enum LastUsage {
    Live { budget: u64 },
    Fixed(Usage),
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
        match (self.last_usage, &self.live) {
            (LastUsage::Fixed(u), _) => u,
            (LastUsage::Live { budget }, Some(live)) => live.usage(budget),
            (LastUsage::Live { .. }, None) => Usage::default(),
        }
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
        self.call_bytes(name, None, input, hook)
    }

    /// Looks up entry point `name` once, for [`Instance::call_entry`]. Fails, naming
    /// it, when the plugin has no such export of the entry's type; that failure
    /// leaves the instance as it was (a call of a missing entry drops it, as any
    /// failure but a guest error or a usage error does). Like a call, it first
    /// recreates the instance if a failure dropped it: the start function and
    /// `_initialize` then run under the call budget, without a slice hook.
    pub fn entry(&mut self, name: &str) -> Result<Entry, Error> {
        #[cfg(feature = "extism")]
        let extism = self.plugin.inner.extism;
        let live = self.live(&mut NoHook)?;
        // An Extism export (`() -> i32`) is checked and remembered here, and found
        // by name on each call (`call_extism`).
        #[cfg(feature = "extism")]
        if extism {
            live.resolve_extism(name)?;
            return Ok(Entry {
                name: name.into(),
                resolved: None,
            });
        }
        let func = live.resolve(name)?;
        let token = live.token.get_or_insert_with(|| Arc::new(())).clone();
        let resolved = Some((func, token));
        Ok(Entry {
            name: name.into(),
            resolved,
        })
    }

    /// Calls the entry point `entry` resolved with [`Instance::entry`]: the same as
    /// [`Instance::call`] with its name, without the lookup.
    pub fn call_entry(&mut self, entry: &Entry, input: &[u8]) -> Result<Vec<u8>, Error> {
        self.call_bytes(&entry.name, entry.resolved.as_ref(), input, &mut NoHook)
    }

    /// [`Instance::call_entry`] with a slice hook.
    pub fn call_entry_with(
        &mut self,
        entry: &Entry,
        input: &[u8],
        hook: &mut dyn SliceHook,
    ) -> Result<Vec<u8>, Error> {
        self.call_bytes(&entry.name, entry.resolved.as_ref(), input, hook)
    }

    /// [`Instance::call_entry`] writing the output into `out`, whose contents it
    /// replaces: a caller that keeps one buffer across calls allocates nothing per
    /// call once the buffer is large enough. On failure `out` is left as it was.
    pub fn call_entry_into(
        &mut self,
        entry: &Entry,
        input: &[u8],
        out: &mut Vec<u8>,
    ) -> Result<(), Error> {
        self.call_entry_into_with(entry, input, out, &mut NoHook)
    }

    /// [`Instance::call_entry_into`] with a slice hook.
    pub fn call_entry_into_with(
        &mut self,
        entry: &Entry,
        input: &[u8],
        out: &mut Vec<u8>,
        hook: &mut dyn SliceHook,
    ) -> Result<(), Error> {
        self.call_output(&entry.name, entry.resolved.as_ref(), input, hook, |bytes| {
            out.clear();
            out.extend_from_slice(bytes);
        })
    }

    #[inline(always)]
    fn call_bytes(
        &mut self,
        name: &str,
        resolved: Option<&(EntryFunc, Arc<()>)>,
        input: &[u8],
        hook: &mut dyn SliceHook,
    ) -> Result<Vec<u8>, Error> {
        self.call_output(name, resolved, input, hook, <[u8]>::to_vec)
    }

    /// An entry-point call; `take` receives the output, in the guest's memory,
    /// after every check passed.
    #[inline(always)]
    fn call_output<R>(
        &mut self,
        name: &str,
        resolved: Option<&(EntryFunc, Arc<()>)>,
        input: &[u8],
        hook: &mut dyn SliceHook,
        take: impl FnOnce(&[u8]) -> R,
    ) -> Result<R, Error> {
        let limits = &self.plugin.inner.services.limits;
        let (max_input, max_output, budget) = (
            limits.max_input_bytes,
            limits.max_output_bytes,
            limits.fuel_per_call,
        );
        if input.len() > max_input as usize {
            return Err(Error::usage(msg!(
                "input is {} bytes, more than the {max_input}-byte cap",
                input.len(),
            )));
        }
        #[cfg(feature = "extism")]
        let (extism, max_error) = (self.plugin.inner.extism, limits.max_error_message_bytes);
        let live = self.live(hook)?;
        #[cfg(feature = "extism")]
        if extism {
            let limits = (max_output, max_error);
            let result = call_extism(live, name, input, budget, limits, hook, take);
            return self.finish(budget, result);
        }
        let func = match resolved {
            Some((f, token)) if live.token.as_ref().is_some_and(|t| Arc::ptr_eq(t, token)) => {
                Ok(*f)
            }
            _ => live.resolve(name),
        };
        // A `match`, not `and_then`: the closure was not inlined on the call path.
        let result = match func {
            Ok(func) => match call_entry(live, name, func, input, budget, max_output, hook) {
                Ok(output) => Ok(take(output)),
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
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
                return Err(Error::usage(msg!(
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
            return Err(Error::usage(msg!(
                "`{name}` takes {sig}, but the arguments were {given}"
            )));
        }
        let budget = self.plugin.inner.services.limits.fuel_per_call;
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
            begin(&mut live.store, budget, hook)?;
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
        self.live.as_deref_mut().ok_or_else(|| Error::Host {
            reason: "instance missing".into(),
        })
    }

    #[inline(always)]
    fn finish<T>(&mut self, budget: u64, result: Result<T, Error>) -> Result<T, Error> {
        // Each arm builds its own result, so a success writes its value, not the
        // whole `Result` (64 bytes, an `Error`'s size) copied through.
        match result {
            // The store keeps what the call used until the next call: read it when
            // asked (`last_usage`), not on every call.
            Ok(v) => {
                self.last_usage = LastUsage::Live { budget };
                Ok(v)
            }
            Err(e) => {
                self.failed(budget, &e);
                Err(e)
            }
        }
    }

    /// Records the usage of a failed call, and drops a poisoned instance.
    #[cold]
    #[inline(never)]
    fn failed(&mut self, budget: u64, e: &Error) {
        let mut usage = self
            .live
            .as_ref()
            .map_or_else(Usage::default, |l| l.usage(budget));
        if let Error::OutOfFuel { .. } = e {
            usage.fuel_used = budget;
        }
        self.last_usage = LastUsage::Fixed(usage);
        if poisons(e) {
            self.live = None;
        }
    }
}

impl Live {
    /// The contract v1 entry point `name`: the one called last without the map (a
    /// host usually calls one entry over and over), else from the map, else looked
    /// up in the instance and remembered.
    #[inline]
    fn resolve(&mut self, name: &str) -> Result<EntryFunc, Error> {
        if let Some((n, f)) = &self.last_entry {
            if same_name(n.as_bytes(), name.as_bytes()) {
                return Ok(*f);
            }
        }
        self.resolve_slow(name)
    }

    #[inline(never)]
    fn resolve_slow(&mut self, name: &str) -> Result<EntryFunc, Error> {
        let f = match self.entries.get(name) {
            Some(f) => *f,
            None => {
                let f = self
                    .instance
                    .get_typed_func::<(i32, i32), i64>(&self.store, name)
                    .map_err(|_| Error::MissingExport {
                        name: name.into(),
                        expected: "an entry point (i32, i32) -> (i64)".into(),
                    })?;
                self.entries.insert(name.to_string(), f);
                f
            }
        };
        self.last_entry = Some((name.to_string(), f));
        Ok(f)
    }

    /// The Extism export `name` (`() -> i32`), looked up once and remembered.
    #[cfg(feature = "extism")]
    fn resolve_extism(&mut self, name: &str) -> Result<TypedFunc<(), i32>, Error> {
        if let Some(f) = self.extism_entries.get(name) {
            return Ok(*f);
        }
        let f = self
            .instance
            .get_typed_func::<(), i32>(&self.store, name)
            .map_err(|_| Error::MissingExport {
                name: name.into(),
                expected: "an Extism function () -> i32".into(),
            })?;
        self.extism_entries.insert(name.to_string(), f);
        Ok(f)
    }
}

/// Calls contract v1 entry `entry` (export `name`) with `input`; returns its
/// output, in the guest's memory, checked against the cap and the memory's size
/// (the memory is looked up once for the check and the output).
fn call_entry<'a>(
    live: &'a mut Live,
    name: &str,
    entry: EntryFunc,
    input: &[u8],
    budget: u64,
    max_output: u32,
    hook: &mut dyn SliceHook,
) -> Result<&'a [u8], Error> {
    let sliced = begin(&mut live.store, budget, hook)?;
    let (ptr, len) = if input.is_empty() {
        (0i32, 0i32)
    } else {
        let alloc = live.alloc.ok_or_else(|| Error::MissingExport {
            name: "caplet_alloc".into(),
            expected: "a function (i32) -> (i32)".into(),
        })?;
        let len = input.len() as i32;
        let ptr = run(
            &mut live.store,
            (alloc, len),
            budget,
            sliced,
            hook,
            "caplet_alloc",
        )?;
        if ptr == 0 {
            return Err(Error::contract(msg!(
                "caplet_alloc({len}) returned 0: the guest could not allocate the input"
            )));
        }
        let mem = live.memory.data_mut(&mut live.store);
        let dst = profiles::guest_range(mem.len(), ptr, len).ok_or_else(|| {
            Error::contract(msg!(
                "caplet_alloc({len}) returned {} (memory is {} bytes)",
                ptr as u32,
                mem.len()
            ))
        })?;
        mem[dst].copy_from_slice(input);
        (ptr, len)
    };
    let packed = run(
        &mut live.store,
        (entry, (ptr, len)),
        budget,
        sliced,
        hook,
        name,
    )
    .map_err(|e| {
        let message = live.store.data_mut().error_message.take();
        with_plugin_message(e, message)
    })?;
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
    let (out_ptr, out_len) = caplet::unpack(packed);
    if out_len > max_output {
        return Err(Error::contract(msg!(
            "`{name}` returned {out_len} bytes, more than the {max_output}-byte output cap"
        )));
    }
    let mem = live.memory.data(&live.store);
    let src =
        profiles::guest_range(mem.len(), out_ptr as i32, out_len as i32).ok_or_else(|| {
            Error::contract(msg!(
                "`{name}` returned output at {out_ptr}..{} outside its {}-byte memory",
                u64::from(out_ptr) + u64::from(out_len),
                mem.len()
            ))
        })?;
    Ok(&mem[src])
}

/// A trap keeps the message the plugin set just before it (contract v1's
/// `set_error`, Extism's `error_set`): an AssemblyScript `abort`, for one, sets
/// the message and then traps.
fn with_plugin_message(e: Error, plugin_message: Option<String>) -> Error {
    match (e, plugin_message) {
        (Error::Trap { during, message }, Some(said)) => Error::Trap {
            during,
            message: [message.as_str(), "; the plugin's error message: ", &said].concat(),
        },
        (e, _) => e,
    }
}

/// Calls Extism export `name` (`() -> i32`): see [`profiles::extism`]. `take`
/// receives the output, in Extism memory, once every check passed.
#[cfg(feature = "extism")]
fn call_extism<R>(
    live: &mut Live,
    name: &str,
    input: &[u8],
    budget: u64,
    (max_output, max_error): (u32, u32),
    hook: &mut dyn SliceHook,
    take: impl FnOnce(&[u8]) -> R,
) -> Result<R, Error> {
    let entry = live.resolve_extism(name)?;
    let kernel = live
        .store
        .data()
        .extism
        .as_ref()
        .map(|e| e.kernel)
        .ok_or_else(|| Error::Host {
            reason: "an Extism plugin instance without its kernel".into(),
        })?;
    let sliced = begin(&mut live.store, budget, hook)?;
    kernel
        .begin_call(&mut live.store, input)
        .map_err(|code| match code {
            Code::Limit => Error::MemoryLimit {
                reason: msg!(
                    "the {}-byte input does not fit in Extism memory within the budget",
                    input.len()
                ),
            },
            code => Error::Host {
                reason: msg!("placing the input in Extism memory: {}", code.name()),
            },
        })?;
    let rc = run(&mut live.store, (entry, ()), budget, sliced, hook, name)
        .map_err(|e| with_plugin_message(e, kernel.error(&live.store, max_error)))?;
    let message = kernel.error(&live.store, max_error);
    if rc != 0 || message.is_some() {
        return Err(Error::Guest {
            entry: name.into(),
            code: None,
            raw: i64::from(rc),
            message,
        });
    }
    kernel.output(&live.store, name, max_output).map(take)
}

/// Whether two entry names are equal. Names of 4 to 16 bytes (`call`, `echo`,
/// `handle`, the usual ones) are compared inline with two overlapping loads each
/// (the first and the last 4 or 8 bytes); `==` on slices calls `memcmp`, which
/// cost the floor echo by name 18 instructions per call. Other lengths use `==`.
#[inline(always)]
fn same_name(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    match n {
        8..=16 => ends_equal::<8>(a, b),
        4..=7 => ends_equal::<4>(a, b),
        _ => a == b,
    }
}

/// Whether the first and the last `W` bytes of `a` and `b` (of one length, at
/// least `W`) are equal, each as one load.
#[inline(always)]
fn ends_equal<const W: usize>(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    let word = |s: &[u8], at: usize| -> [u8; W] {
        let mut w = [0u8; W];
        w.copy_from_slice(&s[at..at + W]);
        w
    };
    word(a, 0) == word(b, 0) && word(a, n - W) == word(b, n - W)
}

#[cfg(test)]
mod name_tests {
    use super::same_name;
    use alloc::vec::Vec;

    /// Every length from 0 to 40, equal names and names that differ in any one
    /// byte (first, last, and each inside): `same_name` agrees with `==`.
    #[test]
    fn same_name_agrees_with_slice_equality_at_every_length_and_position() {
        for n in 0..=40usize {
            let a: Vec<u8> = (0..n).map(|i| b'a' + (i % 26) as u8).collect();
            assert!(same_name(&a, &a.clone()), "equal names of {n} bytes");
            for at in 0..n {
                let mut b = a.clone();
                b[at] ^= 0x20;
                assert!(!same_name(&a, &b), "{n} bytes, differing at {at}");
                assert!(!same_name(&b, &a), "{n} bytes, differing at {at}");
            }
            let mut longer = a.clone();
            longer.push(b'z');
            assert!(!same_name(&a, &longer), "{n} against {} bytes", n + 1);
        }
    }
}
