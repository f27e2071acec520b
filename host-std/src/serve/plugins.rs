//! The service's plugins: the catalogue of the plugin directories, resolution of
//! a request's `plugin` field, kill switches, and pooled instances per tenant and
//! plugin in **engine generations**.
//!
//! wasmi's engine never frees the code it compiled. Each scan of the plugin
//! directories therefore starts a new [`Generation`]: a fresh [`Runtime`], compile
//! cache and pools. New runs use the newest generation; an older one is dropped
//! (engine, code and pooled instances with it) when its last running call ends.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use caplet_core::platform::KvStore;
use caplet_core::{
    Digest, EngineLimits, Error, Instance, LimitOverrides, Plugin, PluginConfig, Runtime,
};
use semver::Version;

use crate::load::{LoadError, Loaded, Sources};
use crate::policy::Policy;
use crate::registry::{parse_spec, CompileCache, Entry, Registry};

use super::tenants::{Allowed, Tenant};

/// Each tenant's KV store: a tenant never sees another's keys.
pub trait TenantKv: Send + Sync {
    /// The store of `tenant` (namespaced by plugin inside, as every store is).
    fn for_tenant(&self, tenant: &str) -> Result<Arc<dyn KvStore>, String>;
}

/// One SQLite file per tenant under `DATA/kv/` (the default).
pub struct SqliteTenantKv {
    dir: PathBuf,
    open: Mutex<HashMap<String, Arc<dyn KvStore>>>,
}

impl SqliteTenantKv {
    /// Stores under `dir`, created on first use.
    pub fn new(dir: PathBuf) -> Self {
        SqliteTenantKv {
            dir,
            open: Mutex::new(HashMap::new()),
        }
    }
}

impl TenantKv for SqliteTenantKv {
    fn for_tenant(&self, tenant: &str) -> Result<Arc<dyn KvStore>, String> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(kv) = open.get(tenant) {
            return Ok(kv.clone());
        }
        let kv: Arc<dyn KvStore> = Arc::new(crate::kv::SqliteKv::open(
            &self.dir.join(format!("{tenant}.sqlite")),
        )?);
        open.insert(tenant.to_string(), kv.clone());
        Ok(kv)
    }
}

/// Why a request's plugin cannot run.
#[derive(Debug)]
pub enum PluginError {
    /// No such plugin (404).
    Unknown(String),
    /// The tenant may not run it (403).
    Forbidden(String),
    /// Switched off by an operator (503).
    Disabled(String),
    /// It did not load (the module, a grant, a limit): 422 with the core's error
    /// (403 for a capability the tenant's policy does not grant).
    Load(Error),
    /// The module is not the one a policy section pins (422).
    Pinned(String),
    /// Fetching or reading it failed (502).
    Source(LoadError),
}

/// An alias that splits runs of a plugin name between versions (a canary):
/// `echo -> 1.2.0: 95, 1.3.0: 5`. Picks are smooth weighted round-robin, so the
/// shares are exact over every window of `sum(weights)` runs, not just on average.
#[derive(Debug, Clone)]
pub struct Alias {
    routes: Vec<(Version, u32, i64)>,
}

impl Alias {
    /// An alias over `routes` (version, weight); weights must not all be zero.
    pub fn new(routes: Vec<(Version, u32)>) -> Result<Alias, String> {
        if routes.is_empty() || routes.iter().all(|(_, w)| *w == 0) {
            return Err("an alias needs at least one route with a weight above 0".into());
        }
        if routes.len() > 16 {
            return Err("an alias has at most 16 routes".into());
        }
        Ok(Alias {
            routes: routes.into_iter().map(|(v, w)| (v, w, 0)).collect(),
        })
    }

    /// The routes and their weights.
    pub fn routes(&self) -> impl Iterator<Item = (&Version, u32)> {
        self.routes.iter().map(|(v, w, _)| (v, *w))
    }

    fn pick(&mut self) -> Version {
        let total: i64 = self.routes.iter().map(|(_, w, _)| i64::from(*w)).sum();
        for r in &mut self.routes {
            r.2 += i64::from(r.1);
        }
        let best = self
            .routes
            .iter_mut()
            .max_by_key(|r| r.2)
            .expect("an alias has a route");
        best.2 -= total;
        best.0.clone()
    }
}

/// The routes of one alias from JSON or TOML: `{"1.2.0": 95, "1.3.0": 5}`.
pub fn alias_routes(routes: &BTreeMap<String, u32>) -> Result<Alias, String> {
    let mut out = Vec::new();
    for (v, w) in routes {
        let version = Version::parse(v).map_err(|e| format!("`{v}` is not a version: {e}"))?;
        out.push((version, *w));
    }
    Alias::new(out)
}

/// Reads an aliases file: a table per alias, version = weight.
///
/// ```toml
/// [echo]
/// "1.2.0" = 95
/// "1.3.0" = 5
/// ```
pub fn load_aliases(path: &std::path::Path) -> Result<Vec<(String, Alias)>, String> {
    let shown = path.display();
    let (text, _) = crate::policy::read_config(path, 1 << 20, "aliases file")?;
    let raw: BTreeMap<String, BTreeMap<String, u32>> =
        crate::policy::from_toml(&text).map_err(|e| format!("aliases file {shown}: {e}"))?;
    raw.iter()
        .map(|(name, routes)| {
            alias_routes(routes)
                .map(|a| (name.clone(), a))
                .map_err(|e| format!("aliases file {shown}: [{name}] {e}"))
        })
        .collect()
}

/// A plugin the request resolved to.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// Manifest name.
    pub name: String,
    /// The alias the request named, when one chose the version.
    pub alias: Option<String>,
    /// Manifest version, when known.
    pub version: Option<Version>,
    /// The module's digest.
    pub digest: Digest,
    /// Where it came from: a plugin directory entry or a registry reference.
    source: Source,
}

#[derive(Debug, Clone)]
enum Source {
    Dir(Arc<Entry>),
    Reference(String),
}

/// A resolved plugin on its way to the pool: pulled already (a registry
/// reference), or a plugin-directory entry whose module is read on a pool miss.
enum Fetched<'a> {
    Pulled(Loaded),
    Dir(&'a Entry),
}

/// What one pooled plugin is keyed by: the same module for the same tenant with
/// the same fuel budget shares compiled code, grants and idle instances.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    tenant: String,
    digest: Digest,
    /// One module may carry several manifests (sidecars), each its own plugin.
    name: String,
    version: Option<Version>,
    fuel: Option<u64>,
}

impl PoolKey {
    fn new(resolved: &Resolved, tenant: &Tenant, fuel: Option<u64>) -> PoolKey {
        PoolKey {
            tenant: tenant.name.clone(),
            digest: resolved.digest,
            name: resolved.name.clone(),
            version: resolved.version.clone(),
            fuel,
        }
    }
}

/// A loaded plugin and its idle instances.
pub struct Pooled {
    /// The plugin.
    pub plugin: Plugin,
    /// The call timeout from the tenant's policy or the manifest.
    pub timeout: Option<Duration>,
    idle: Mutex<Vec<Instance>>,
    max_idle: usize,
    pooled: Arc<AtomicUsize>,
    /// `caplet_runs_total` of this plugin and version, `finished` and `failed`:
    /// looked up (and their labels built) once, not on every run.
    pub runs_counters: std::sync::OnceLock<[prometheus_client::metrics::counter::Counter; 2]>,
}

impl Pooled {
    /// An idle instance, if one is pooled.
    pub fn take(&self) -> Option<Instance> {
        let i = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        if i.is_some() {
            self.pooled.fetch_sub(1, Ordering::Relaxed);
        }
        i
    }

    /// Returns an instance after a call. A poisoned one (trap, fuel, timeout) is
    /// dropped: the next run gets a fresh one.
    pub fn give_back(&self, instance: Instance) {
        if instance.is_poisoned() {
            return;
        }
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < self.max_idle {
            idle.push(instance);
            self.pooled.fetch_add(1, Ordering::Relaxed);
        }
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        let n = self.idle.get_mut().map(|v| v.len()).unwrap_or(0);
        self.pooled.fetch_sub(n, Ordering::Relaxed);
    }
}

/// One engine generation: a runtime, its compile cache and its pools.
pub struct Generation {
    /// Counts up from 1 with each reload.
    pub id: u64,
    runtime: Runtime,
    cache: Arc<CompileCache>,
    registries: Vec<Registry>,
    pools: Mutex<HashMap<PoolKey, Arc<Pooled>>>,
}

/// Live generations (for the reload test and the metrics).
static LIVE_GENERATIONS: AtomicUsize = AtomicUsize::new(0);

impl Drop for Generation {
    fn drop(&mut self) {
        LIVE_GENERATIONS.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Generations not yet dropped, in this process.
pub fn live_generations() -> usize {
    LIVE_GENERATIONS.load(Ordering::Relaxed)
}

/// The service's plugins.
pub struct Catalog {
    dirs: Vec<PathBuf>,
    engine: EngineLimits,
    limits: caplet_core::Limits,
    policy: Policy,
    kv: Arc<dyn TenantKv>,
    sources: Sources,
    current: RwLock<Arc<Generation>>,
    next_id: AtomicU64,
    disabled: Mutex<BTreeSet<String>>,
    all_disabled: AtomicBool,
    aliases: Mutex<HashMap<String, Alias>>,
    max_idle: usize,
    pooled: Arc<AtomicUsize>,
}

impl Catalog {
    /// Scans `dirs` into the first generation.
    pub fn new(
        dirs: Vec<PathBuf>,
        policy: Policy,
        kv: Arc<dyn TenantKv>,
        sources: Sources,
        max_idle: usize,
    ) -> Result<Catalog, String> {
        let engine = crate::limits::server_engine();
        let first = Self::generation(1, &dirs, engine)?;
        Ok(Catalog {
            dirs,
            engine,
            limits: crate::limits::server(),
            policy,
            kv,
            sources,
            current: RwLock::new(Arc::new(first)),
            next_id: AtomicU64::new(2),
            disabled: Mutex::new(BTreeSet::new()),
            all_disabled: AtomicBool::new(false),
            aliases: Mutex::new(HashMap::new()),
            max_idle,
            pooled: Arc::new(AtomicUsize::new(0)),
        })
    }

    fn generation(id: u64, dirs: &[PathBuf], engine: EngineLimits) -> Result<Generation, String> {
        let mut registries = Vec::new();
        for d in dirs {
            let r = Registry::scan(d)
                .map_err(|e| format!("cannot read plugin directory {}: {e}", d.display()))?;
            for s in r.skipped() {
                tracing::warn!(path = %s.path.display(), reason = %s.reason, "plugin skipped");
            }
            registries.push(r);
        }
        LIVE_GENERATIONS.fetch_add(1, Ordering::Relaxed);
        Ok(Generation {
            id,
            runtime: Runtime::new(engine),
            cache: Arc::new(CompileCache::default()),
            registries,
            pools: Mutex::new(HashMap::new()),
        })
    }

    /// The service's policy.
    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// Rescans the plugin directories into a new generation; runs already going
    /// finish on theirs. Returns the new generation's id.
    pub fn reload(&self) -> Result<u64, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let g = Self::generation(id, &self.dirs, self.engine)?;
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(g);
        Ok(id)
    }

    /// The current generation.
    pub fn current(&self) -> Arc<Generation> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Instances idle in the pools of every live generation.
    pub fn pooled(&self) -> usize {
        self.pooled.load(Ordering::Relaxed)
    }

    /// Switches every run off (`true`) or on.
    pub fn disable_all(&self, off: bool) {
        self.all_disabled.store(off, Ordering::SeqCst);
    }

    /// Whether every run is switched off.
    pub fn all_disabled(&self) -> bool {
        self.all_disabled.load(Ordering::SeqCst)
    }

    /// Switches plugin `name` off (`true`) or on.
    pub fn disable(&self, name: &str, off: bool) {
        let mut d = self.disabled.lock().unwrap_or_else(|p| p.into_inner());
        if off {
            d.insert(name.to_string());
        } else {
            d.remove(name);
        }
    }

    /// Plugins switched off.
    pub fn disabled(&self) -> Vec<String> {
        let d = self.disabled.lock().unwrap_or_else(|p| p.into_inner());
        d.iter().cloned().collect()
    }

    /// Sets alias `name` (replacing an earlier one). Every version must be in the
    /// plugin directories under that name.
    pub fn set_alias(&self, name: &str, alias: Alias) -> Result<(), String> {
        let g = self.current();
        for (v, _) in alias.routes() {
            let found = g
                .registries
                .iter()
                .flat_map(|r| r.list())
                .any(|e| e.name == name && e.version == *v);
            if !found {
                return Err(format!(
                    "alias `{name}`: no plugin {name}@{v} in the plugin directories"
                ));
            }
        }
        self.aliases
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), alias);
        Ok(())
    }

    /// Removes alias `name`; whether there was one.
    pub fn remove_alias(&self, name: &str) -> bool {
        self.aliases
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(name)
            .is_some()
    }

    /// Every alias.
    pub fn aliases(&self) -> Vec<(String, Alias)> {
        let a = self.aliases.lock().unwrap_or_else(|p| p.into_inner());
        let mut v: Vec<_> = a.iter().map(|(n, a)| (n.clone(), a.clone())).collect();
        v.sort_by(|x, y| x.0.cmp(&y.0));
        v
    }

    /// What `tenant` may run from the plugin directories.
    pub fn list(&self, tenant: &Tenant) -> Vec<Entry> {
        let g = self.current();
        let mut out: Vec<Entry> = Vec::new();
        for r in &g.registries {
            for e in r.list() {
                let shadowed = out
                    .iter()
                    .any(|o| o.name == e.name && o.version == e.version);
                if !shadowed && allows(tenant, e) {
                    out.push(Entry::clone(e));
                }
            }
        }
        out
    }

    /// Resolves a request's `plugin` (`NAME[@REQ]`, `sha256:HEX` or a registry
    /// reference) for `tenant`.
    pub fn resolve(&self, spec: &str, tenant: &Tenant) -> Result<Resolved, PluginError> {
        let g = self.current();
        let resolved = if let Some(hex) = spec.strip_prefix("sha256:") {
            let digest = Digest::from_hex(hex)
                .map_err(|e| PluginError::Unknown(format!("`{spec}`: {e}")))?;
            let entry = g
                .registries
                .iter()
                .flat_map(|r| r.list())
                .find(|e| e.digest == digest)
                .ok_or_else(|| PluginError::Unknown(format!("no plugin has digest {spec}")))?;
            dir_resolved(entry)
        } else if crate::oci::Reference::looks_like(spec) {
            if !tenant
                .plugins
                .iter()
                .any(|a| matches!(a, Allowed::Reference(r) if r == spec))
            {
                return Err(PluginError::Forbidden(format!(
                    "tenant `{}` may not run `{spec}`",
                    tenant.name
                )));
            }
            Resolved {
                name: String::new(),
                alias: None,
                version: None,
                digest: Digest([0; 32]),
                source: Source::Reference(spec.to_string()),
            }
        } else {
            let (name, _) = parse_spec(spec).map_err(|e| PluginError::Unknown(e.to_string()))?;
            // A bare name with an alias: the alias picks the version.
            let picked = if spec.contains('@') {
                None
            } else {
                self.aliases
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_mut(name)
                    .map(|a| format!("{name}@={}", a.pick()))
            };
            let alias = picked.as_ref().map(|_| name.to_string());
            let spec = picked.as_deref().unwrap_or(spec);
            let mut last_err = None;
            let mut found = None;
            for r in &g.registries {
                match r.resolve(spec) {
                    Ok(e) => {
                        found = Some(e);
                        break;
                    }
                    Err(e) => last_err = Some(e),
                }
            }
            let entry = found.ok_or_else(|| {
                PluginError::Unknown(match last_err {
                    Some(e) => e.to_string(),
                    None => format!("no plugin named `{name}` (no plugin directory)"),
                })
            })?;
            let mut r = dir_resolved(entry);
            r.alias = alias;
            r
        };
        if let Source::Dir(e) = &resolved.source {
            if !allows(tenant, e) {
                return Err(PluginError::Forbidden(format!(
                    "tenant `{}` may not run {}@{}",
                    tenant.name, e.name, e.version
                )));
            }
        }
        Ok(resolved)
    }

    /// The pooled plugin for `resolved` if the current generation has loaded it
    /// already (no I/O, no compilation: callable on an async thread); `None` when
    /// [`pooled_plugin`](Self::pooled_plugin) must load it. Checks the kill
    /// switches.
    pub fn pooled_ready(
        &self,
        resolved: &Resolved,
        tenant: &Tenant,
        fuel: Option<u64>,
    ) -> Result<Option<(Arc<Generation>, Arc<Pooled>)>, PluginError> {
        if self.all_disabled() {
            return Err(PluginError::Disabled("every run is switched off".into()));
        }
        if matches!(resolved.source, Source::Reference(_)) {
            return Ok(None);
        }
        self.check_switch(&resolved.name)?;
        let g = self.current();
        let key = PoolKey::new(resolved, tenant, fuel);
        let found = g
            .pools
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&key)
            .cloned();
        Ok(found.map(|p| (g, p)))
    }

    fn check_switch(&self, name: &str) -> Result<(), PluginError> {
        if self
            .disabled
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(name)
        {
            return Err(PluginError::Disabled(format!(
                "plugin `{name}` is switched off"
            )));
        }
        Ok(())
    }

    /// The pooled plugin for `resolved`, run by `tenant` with `fuel` (loaded on
    /// first use in the current generation). Also checks the kill switches.
    pub fn pooled_plugin(
        &self,
        resolved: &mut Resolved,
        tenant: &Tenant,
        fuel: Option<u64>,
    ) -> Result<(Arc<Generation>, Arc<Pooled>), PluginError> {
        if self.all_disabled() {
            return Err(PluginError::Disabled("every run is switched off".into()));
        }
        let g = self.current();
        // A registry reference is pulled (or found in the local store) first:
        // its name and digest are known only then.
        let fetched = match &resolved.source {
            Source::Reference(r) => {
                let l = crate::load::load(r, &self.sources, self.limits.max_module_bytes as u64)
                    .map_err(PluginError::Source)?;
                resolved.name = l.policy_name();
                resolved.digest = Digest::of(&l.wasm);
                resolved.version = l.manifest.as_ref().map(|m| m.version.clone());
                Fetched::Pulled(l)
            }
            // Read only when the pool does not hold it yet.
            Source::Dir(e) => Fetched::Dir(e),
        };
        self.check_switch(&resolved.name)?;
        let key = PoolKey::new(resolved, tenant, fuel);
        if let Some(p) = g.pools.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok((g.clone(), p.clone()));
        }
        let loaded = match fetched {
            Fetched::Pulled(l) => l,
            Fetched::Dir(e) => Loaded {
                wasm: crate::load::read_capped(&e.module, self.limits.max_module_bytes as u64)
                    .map_err(PluginError::Source)?,
                manifest: Some(e.manifest.clone()),
                name: e.name.clone(),
                extism: None,
                signature: None,
                module_path: Some(e.module.clone()),
            },
        };
        let pooled = self.load(&g, &loaded, tenant, fuel)?;
        let pooled = Arc::new(pooled);
        let mut pools = g.pools.lock().unwrap_or_else(|p| p.into_inner());
        let p = pools.entry(key).or_insert(pooled).clone();
        drop(pools);
        Ok((g, p))
    }

    fn load(
        &self,
        g: &Generation,
        loaded: &Loaded,
        tenant: &Tenant,
        fuel: Option<u64>,
    ) -> Result<Pooled, PluginError> {
        let name = loaded.policy_name();
        let mut settings = tenant.settings(&self.policy, &name);
        let mut limits = self.limits;
        let mut linked = Vec::new();
        if let Some(extism) = loaded.extism.clone() {
            linked = extism.apply(&mut settings, &mut limits);
        }
        let usage = |m: String| PluginError::Load(Error::usage(m));
        settings
            .check_pin(&name, &loaded.wasm)
            .map_err(PluginError::Pinned)?;
        settings.apply_limits(&mut limits).map_err(usage)?;
        let grants = settings.grants(&[]).map_err(PluginError::Load)?;
        let mut platform = settings.platform(false).build().map_err(usage)?;
        // Each tenant's KV is its own.
        platform.kv = Some(self.kv.for_tenant(&tenant.name).map_err(usage)?);
        platform.log = Some(Arc::new(super::events::TracingLog {
            tenant: tenant.name.clone(),
            min_level: settings
                .log_level
                .unwrap_or(caplet_core::platform::Level::Info),
        }));
        platform.audit = Some(Arc::new(super::events::CountingAudit {
            tenant: tenant.name.clone(),
        }));
        // With trusted keys: the sidecar signature beside a plugin directory's
        // module (`caplet sign --sidecar`), else the one an artifact carried.
        let trust = caplet_core::Trust::keys(self.policy.trusted_keys().to_vec());
        let mut signature = loaded.signature.clone();
        let beside = match trust {
            caplet_core::Trust::Required { .. } => loaded
                .module_path
                .as_deref()
                .and_then(crate::signing::find_sidecar),
            caplet_core::Trust::Any => None,
        };
        if let Some(sig) = beside {
            signature = Some(
                crate::load::read_capped(&sig, crate::signing::MAX_SIDECAR_BYTES)
                    .map_err(PluginError::Source)?,
            );
        }
        let plugin = g
            .runtime
            .load(
                &loaded.wasm,
                PluginConfig {
                    name: Some(loaded.name.clone()),
                    manifest: loaded.manifest.clone(),
                    grants,
                    limits,
                    overrides: LimitOverrides {
                        fuel: fuel.or(settings.fuel),
                        memory: settings.memory,
                    },
                    config: settings.config.clone(),
                    platform,
                    cache: Some(g.cache.clone()),
                    linked,
                    trust,
                    signature,
                    ..Default::default()
                },
            )
            .map_err(PluginError::Load)?;
        let timeout = settings.timeout.or(plugin
            .manifest()
            .limits
            .timeout_ms
            .map(Duration::from_millis));
        Ok(Pooled {
            plugin,
            timeout,
            idle: Mutex::new(Vec::new()),
            max_idle: self.max_idle,
            pooled: self.pooled.clone(),
            runs_counters: std::sync::OnceLock::new(),
        })
    }
}

fn dir_resolved(e: &Arc<Entry>) -> Resolved {
    Resolved {
        name: e.name.clone(),
        alias: None,
        version: Some(e.version.clone()),
        digest: e.digest,
        source: Source::Dir(e.clone()),
    }
}

/// Whether `tenant`'s plugin list admits directory entry `e`.
fn allows(tenant: &Tenant, e: &Entry) -> bool {
    tenant.plugins.iter().any(|a| match a {
        Allowed::Any => true,
        Allowed::Name(n, req) => *n == e.name && req.matches(&e.version),
        Allowed::Digest(d) => *d == e.digest,
        Allowed::Reference(_) => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_alias_splits_runs_exactly_by_weight_in_every_window() {
        let mut a = alias_routes(&BTreeMap::from([
            ("1.2.0".to_string(), 95),
            ("1.3.0".to_string(), 5),
        ]))
        .unwrap();
        for _ in 0..3 {
            let canary = (0..100)
                .filter(|_| a.pick() == Version::new(1, 3, 0))
                .count();
            assert_eq!(canary, 5);
        }
        // Spread out, not bunched: never two canary runs in a row.
        let picks: Vec<Version> = (0..100).map(|_| a.pick()).collect();
        assert!(picks
            .windows(2)
            .all(|w| !(w[0] == Version::new(1, 3, 0) && w[1] == w[0])));
    }

    #[test]
    fn bad_aliases_are_refused() {
        assert!(alias_routes(&BTreeMap::new()).is_err());
        assert!(alias_routes(&BTreeMap::from([("1.0.0".to_string(), 0)])).is_err());
        let e = alias_routes(&BTreeMap::from([("one".to_string(), 1)])).unwrap_err();
        assert!(e.contains("`one` is not a version"), "{e}");
    }
}
