//! Plugin directories, version resolution and the compile cache.
//!
//! A plugin directory holds plugins as either
//! - a **sidecar manifest** `*.json` naming its module (`"module": "x.wasm"`) and,
//!   ideally, its `sha256`, or
//! - a **module** `*.wasm` carrying its manifest in the `caplet.manifest` section,
//!
//! at the top level or one directory down (`plugins/echo/1.2.0/echo.json` is not
//! scanned; `plugins/echo/echo.json` is). A module named by a sidecar is not listed
//! again on its own. Files that are not plugins are skipped and reported as
//! [`Skipped`], so a stray file never hides the others.
//!
//! [`Registry::resolve`] takes `name`, `name@latest`, `name@*`, `name@1.2.3` (exact),
//! `name@~1.2`, `name@^1`, or a range such as `name@>=1.1, <2`, and picks the highest
//! matching version. Pre-releases match only a requirement that names one (semver's
//! rules); `latest` prefers the highest release and falls back to a pre-release only
//! when there is nothing else.
//!
//! [`CompileCache`] shares compiled modules by digest across loads and threads: the
//! same module is compiled once, however many plugins, grants or threads load it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use caplet_core::inspect::ModuleInfo;
use caplet_core::{
    Compiled, Digest, Error, Limits, Manifest, ModuleCache, Plugin, PluginConfig, Runtime,
};
use semver::{Version, VersionReq};

/// One plugin found in a directory.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Manifest name.
    pub name: String,
    /// Manifest version.
    pub version: Version,
    /// The manifest (sidecar or embedded), with `sha256` set to the module's digest.
    pub manifest: Manifest,
    /// The module file.
    pub module: PathBuf,
    /// The sidecar manifest file, if the plugin has one.
    pub sidecar: Option<PathBuf>,
    /// Digest of the module as scanned.
    pub digest: Digest,
}

/// A file that looked like a plugin but is not usable, and why.
#[derive(Debug, Clone)]
pub struct Skipped {
    /// The file.
    pub path: PathBuf,
    /// Why it was skipped.
    pub reason: String,
}

/// Why a `name@requirement` did not resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResolveError {
    /// The spec is not `name[@requirement]`.
    BadSpec(String),
    /// No plugin has this name.
    UnknownName(String),
    /// The name exists, but no version matches; the versions there are listed.
    NoMatch {
        /// The spec asked for.
        spec: String,
        /// Versions available.
        available: Vec<Version>,
    },
}

impl std::fmt::Display for ResolveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResolveError::BadSpec(s) => write!(
                f,
                "`{s}` is not NAME, NAME@VERSION or NAME@REQUIREMENT (e.g. echo@^1.2)"
            ),
            ResolveError::UnknownName(n) => write!(f, "no plugin named `{n}`"),
            ResolveError::NoMatch { spec, available } => {
                let list: Vec<String> = available.iter().map(|v| v.to_string()).collect();
                write!(
                    f,
                    "no version matches `{spec}` (available: {})",
                    list.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for ResolveError {}

/// A version requirement as the resolver understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requirement {
    /// `latest`, `*` or nothing: the highest release.
    Latest,
    /// A full version: exactly that one.
    Exact(Version),
    /// Anything else semver parses (`^1`, `~1.2`, `>=1.1, <2`, `=1.2.3`).
    Req(VersionReq),
}

impl Requirement {
    /// Parses the part after `@`.
    pub fn parse(text: &str) -> Option<Requirement> {
        let t = text.trim();
        if t.is_empty() || t == "latest" || t == "*" {
            return Some(Requirement::Latest);
        }
        if let Ok(v) = Version::parse(t) {
            return Some(Requirement::Exact(v));
        }
        VersionReq::parse(t).ok().map(Requirement::Req)
    }

    /// Whether `v` satisfies the requirement.
    pub fn matches(&self, v: &Version) -> bool {
        match self {
            Requirement::Latest => true,
            Requirement::Exact(e) => e == v,
            Requirement::Req(r) => r.matches(v),
        }
    }
}

/// Splits `name[@requirement]`.
pub fn parse_spec(spec: &str) -> Result<(&str, Requirement), ResolveError> {
    let (name, req) = match spec.split_once('@') {
        Some((n, r)) => (n, r),
        None => (spec, ""),
    };
    let valid_name = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'));
    if !valid_name {
        return Err(ResolveError::BadSpec(spec.to_string()));
    }
    let req = Requirement::parse(req).ok_or_else(|| ResolveError::BadSpec(spec.to_string()))?;
    Ok((name, req))
}

/// The plugins of one directory.
#[derive(Debug, Clone, Default)]
pub struct Registry {
    root: PathBuf,
    /// Shared: a service hands an entry to each run that resolves it.
    entries: Vec<std::sync::Arc<Entry>>,
    skipped: Vec<Skipped>,
}

fn scan_limits() -> Limits {
    Limits {
        memory_bytes: u64::MAX,
        ..Limits::default()
    }
}

fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, String> {
    crate::files::read_capped(path, max).map_err(|e| e.to_string())
}

impl Registry {
    /// Scans `dir` (and its immediate subdirectories).
    pub fn scan(dir: &Path) -> std::io::Result<Registry> {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            let ft = entry.file_type()?;
            if ft.is_dir() {
                for sub in std::fs::read_dir(entry.path())? {
                    let sub = sub?;
                    if sub.file_type()?.is_file() {
                        files.push(sub.path());
                    }
                }
            } else if ft.is_file() {
                files.push(entry.path());
            }
        }
        files.sort();
        let mut reg = Registry {
            root: dir.to_path_buf(),
            ..Registry::default()
        };
        let max_module = crate::limits::server().max_module_bytes as u64;
        let mut claimed: Vec<PathBuf> = Vec::new();
        // Sidecars first: they claim their modules.
        for path in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
        {
            match Self::sidecar(path, max_module) {
                Ok(Some(e)) => {
                    claimed.push(e.module.clone());
                    reg.add(e);
                }
                Ok(None) => {}
                Err(reason) => reg.skipped.push(Skipped {
                    path: path.clone(),
                    reason,
                }),
            }
        }
        for path in files
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "wasm"))
        {
            if claimed.iter().any(|c| same_file(c, path)) {
                continue;
            }
            match Self::embedded(path, max_module) {
                Ok(e) => reg.add(e),
                Err(reason) => reg.skipped.push(Skipped {
                    path: path.clone(),
                    reason,
                }),
            }
        }
        reg.entries
            .sort_by(|a, b| a.name.cmp(&b.name).then_with(|| b.version.cmp(&a.version)));
        Ok(reg)
    }

    fn add(&mut self, e: Entry) {
        if let Some(old) = self
            .entries
            .iter()
            .find(|o| o.name == e.name && o.version == e.version)
        {
            if old.digest != e.digest {
                self.skipped.push(Skipped {
                    path: e.sidecar.clone().unwrap_or(e.module.clone()),
                    reason: format!(
                        "{} {} is already provided by {} with a different digest",
                        e.name,
                        e.version,
                        old.module.display()
                    ),
                });
            }
            return;
        }
        self.entries.push(std::sync::Arc::new(e));
    }

    /// A sidecar manifest: `Ok(None)` for JSON that is not a Caplet manifest.
    fn sidecar(path: &Path, max_module: u64) -> Result<Option<Entry>, String> {
        let text = read_capped(path, caplet_core::manifest::MAX_MANIFEST_BYTES as u64)?;
        // Other JSON files (e.g. a policy export) are not plugins.
        let looks_like = serde_json::from_slice::<serde_json::Value>(&text)
            .ok()
            .is_some_and(|v| v.get("module").is_some() && v.get("name").is_some());
        if !looks_like {
            return Ok(None);
        }
        let mut manifest = Manifest::parse(&text).map_err(|e| e.to_string())?;
        let rel = manifest.module.clone().unwrap_or_default();
        let module = path.parent().unwrap_or(Path::new(".")).join(&rel);
        let wasm = read_capped(&module, max_module)
            .map_err(|e| format!("module {}: {e}", module.display()))?;
        let digest = Digest::of(&wasm);
        if let Some(expected) = manifest.sha256 {
            if expected != digest {
                return Err(format!(
                    "module {} has digest sha256:{}, the manifest expects sha256:{}",
                    module.display(),
                    digest.to_hex(),
                    expected.to_hex()
                ));
            }
        }
        manifest.sha256 = Some(digest);
        Ok(Some(Entry {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            manifest,
            module,
            sidecar: Some(path.to_path_buf()),
            digest,
        }))
    }

    fn embedded(path: &Path, max_module: u64) -> Result<Entry, String> {
        let wasm = read_capped(path, max_module)?;
        let info = ModuleInfo::scan(&wasm, &scan_limits()).map_err(|e| e.to_string())?;
        let bytes = info
            .manifest_bytes(&wasm)
            .ok_or("no sidecar manifest and no `caplet.manifest` section")?;
        let mut manifest = Manifest::parse_embedded(bytes).map_err(|e| e.to_string())?;
        let digest = Digest::of(&wasm);
        manifest.sha256 = Some(digest);
        Ok(Entry {
            name: manifest.name.clone(),
            version: manifest.version.clone(),
            manifest,
            module: path.to_path_buf(),
            sidecar: None,
            digest,
        })
    }

    /// The directory scanned.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Every plugin, by name, highest version first.
    pub fn list(&self) -> &[std::sync::Arc<Entry>] {
        &self.entries
    }

    /// Files skipped, with the reason.
    pub fn skipped(&self) -> &[Skipped] {
        &self.skipped
    }

    /// The highest version of `name` matching the spec's requirement.
    pub fn resolve(&self, spec: &str) -> Result<&std::sync::Arc<Entry>, ResolveError> {
        let (name, req) = parse_spec(spec)?;
        let candidates: Vec<&std::sync::Arc<Entry>> =
            self.entries.iter().filter(|e| e.name == name).collect();
        if candidates.is_empty() {
            return Err(ResolveError::UnknownName(name.to_string()));
        }
        // Entries are sorted highest first.
        let found = match req {
            Requirement::Latest => candidates
                .iter()
                .find(|e| e.version.pre.is_empty())
                .or_else(|| candidates.first()),
            ref r => candidates.iter().find(|e| r.matches(&e.version)),
        };
        found.copied().ok_or_else(|| ResolveError::NoMatch {
            spec: spec.to_string(),
            available: candidates.iter().map(|e| e.version.clone()).collect(),
        })
    }

    /// Reads `entry`'s module again (refusing it if it changed since the scan) and
    /// loads it with `cfg`; the entry's manifest replaces `cfg.manifest`.
    pub fn load(
        &self,
        runtime: &Runtime,
        entry: &Entry,
        mut cfg: PluginConfig,
    ) -> Result<Plugin, Error> {
        let wasm = read_capped(&entry.module, cfg.limits.max_module_bytes as u64)
            .map_err(|e| Error::usage(format!("cannot read {}: {e}", entry.module.display())))?;
        cfg.manifest = Some(entry.manifest.clone());
        runtime.load(&wasm, cfg)
    }
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// One digest's slot: loads of that digest wait on it for the one compilation.
type Slot = Arc<Mutex<Option<Compiled>>>;

/// The std [`ModuleCache`]: compiled modules by digest, shared across threads, each
/// compiled once even when many threads load it at the same moment. Holds at most
/// `capacity` modules; beyond that the oldest is dropped (instances and plugins
/// that use it keep it alive).
pub struct CompileCache {
    /// Slots by digest, with the tick of their last use (for eviction).
    slots: Mutex<HashMap<Digest, (u64, Slot)>>,
    capacity: usize,
    clock: AtomicU64,
    compiles: AtomicU64,
}

impl std::fmt::Debug for CompileCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompileCache")
            .field("capacity", &self.capacity)
            .field("compiles", &self.compiles())
            .finish_non_exhaustive()
    }
}

impl Default for CompileCache {
    fn default() -> Self {
        CompileCache::new(256)
    }
}

impl CompileCache {
    /// A cache of at most `capacity` compiled modules.
    pub fn new(capacity: usize) -> Self {
        CompileCache {
            slots: Mutex::new(HashMap::new()),
            capacity: capacity.max(1),
            clock: AtomicU64::new(0),
            compiles: AtomicU64::new(0),
        }
    }

    /// How many compilations this cache has run.
    pub fn compiles(&self) -> u64 {
        self.compiles.load(Ordering::Relaxed)
    }

    /// Modules held.
    pub fn len(&self) -> usize {
        self.slots.lock().map(|s| s.len()).unwrap_or(0)
    }

    /// Whether no module is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl ModuleCache for CompileCache {
    fn get_or_compile(
        &self,
        digest: &Digest,
        compile: &mut dyn FnMut() -> Result<Compiled, Error>,
    ) -> Result<Compiled, Error> {
        let slot = {
            let mut slots = self
                .slots
                .lock()
                .map_err(|_| Error::usage("compile cache poisoned"))?;
            let tick = self.clock.fetch_add(1, Ordering::Relaxed);
            if !slots.contains_key(digest) && slots.len() >= self.capacity {
                if let Some(oldest) = slots.iter().min_by_key(|(_, (t, _))| *t).map(|(d, _)| *d) {
                    slots.remove(&oldest);
                }
            }
            let entry = slots
                .entry(*digest)
                .or_insert_with(|| (tick, Arc::new(Mutex::new(None))));
            entry.0 = tick;
            entry.1.clone()
        };
        // Only loads of this digest wait here, each for the one compilation.
        let mut cell = slot
            .lock()
            .map_err(|_| Error::usage("compile cache poisoned"))?;
        if let Some(c) = cell.as_ref() {
            return Ok(c.clone());
        }
        self.compiles.fetch_add(1, Ordering::Relaxed);
        let compiled = compile()?;
        *cell = Some(compiled.clone());
        Ok(compiled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_parse() {
        assert_eq!(parse_spec("echo").unwrap(), ("echo", Requirement::Latest));
        assert_eq!(parse_spec("echo@latest").unwrap().1, Requirement::Latest);
        assert_eq!(parse_spec("echo@*").unwrap().1, Requirement::Latest);
        assert_eq!(
            parse_spec("echo@1.2.3").unwrap().1,
            Requirement::Exact(Version::new(1, 2, 3))
        );
        assert!(matches!(
            parse_spec("echo@^1").unwrap().1,
            Requirement::Req(_)
        ));
        assert!(matches!(
            parse_spec("echo@>=1.1, <2").unwrap().1,
            Requirement::Req(_)
        ));
        for bad in ["", "@1", "ec ho", "echo@bogus", "../x@1", "a/b@1"] {
            assert!(parse_spec(bad).is_err(), "{bad}");
        }
    }
}
