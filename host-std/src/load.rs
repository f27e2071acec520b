//! Loading a plugin from a target string: the one loading path of the `caplet`
//! command, the service (`caplet serve`) and any embedding application.
//!
//! A target is, tried in this order:
//! 1. a file: a module (`.wasm`), a Caplet sidecar manifest or an Extism manifest
//!    (`.json`);
//! 2. `oci-layout:DIR:TAG`: an OCI image layout on disk;
//! 3. a registry reference (`REGISTRY/REPO:TAG` or `…@sha256:…`), pulled into the
//!    local content-addressed store;
//! 4. `NAME@VERSION` (a semver requirement) in a plugin directory.
//!
//! Every read is capped (the module cap, the manifest cap); a manifest's digest is
//! checked before the module is compiled (by the core, at load). What a target
//! loads is a [`Loaded`]: the module bytes and whatever came with them.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use caplet_core::inspect::ModuleInfo;
use caplet_core::{Error, Limits, Manifest};

use crate::extism_manifest::Extras;
use crate::oci::{
    parse_layout_ref, Artifact, Client, ClientConfig, Credentials, Layout, OciError, OciLimits,
    Reference, Store,
};
use crate::registry::{parse_spec, Registry};

/// Where plugins come from besides files.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Directory of plugins for `NAME@VERSION` targets (none: such targets fail).
    pub plugin_dir: Option<PathBuf>,
    /// Local content-addressed store for pulled artifacts (default:
    /// [`Store::default_dir`]).
    pub store: Option<PathBuf>,
    /// Registries reached over plain HTTP (default: none).
    pub insecure: Vec<String>,
    /// Registry credentials file (Docker `config.json` format); default: the
    /// environment's (see [`Credentials::load`]).
    pub credentials: Option<PathBuf>,
    /// Show download progress on stderr (default: no).
    pub progress: bool,
    /// Credentials read already (a service reads them once at start-up, before it
    /// confines itself); `None`: read them for each client, as `credentials` says.
    pub loaded_credentials: Option<Credentials>,
}

impl Sources {
    /// A registry client for these sources.
    pub fn client(&self) -> Result<Client, LoadError> {
        Ok(Client::new(ClientConfig {
            insecure: self.insecure.clone(),
            credentials: match &self.loaded_credentials {
                Some(c) => c.clone(),
                None => Credentials::load(self.credentials.as_deref())?,
            },
            limits: OciLimits::default(),
            progress: self.progress,
        }))
    }

    /// The local artifact store.
    pub fn open_store(&self) -> Result<Store, LoadError> {
        let dir = self.store.clone().unwrap_or_else(Store::default_dir);
        Ok(Store::open(&dir)?)
    }
}

/// A module and what came with it.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The module bytes.
    pub wasm: Vec<u8>,
    /// A sidecar or artifact manifest; `None` for a bare module (its embedded
    /// manifest, if any, is read at load).
    pub manifest: Option<Manifest>,
    /// The name: the manifest's, else the file's stem.
    pub name: String,
    /// What an Extism manifest said besides the module.
    pub extism: Option<Extras>,
    /// A sidecar signature the target carried: an OCI artifact's
    /// `dev.caplet.signature` annotation.
    pub signature: Option<Vec<u8>>,
    /// The module's file, when the target named one on disk (a module file, a
    /// sidecar manifest's module, a plugin directory's entry): a sidecar signature
    /// (`caplet sign --sidecar`) is MODULE.sig beside it.
    pub module_path: Option<PathBuf>,
}

impl Loaded {
    /// The plugin's name as a policy sees it: the sidecar's, else the embedded
    /// manifest's, else the file name's.
    pub fn policy_name(&self) -> String {
        if self.manifest.is_some() {
            return self.name.clone();
        }
        let scan_limits = Limits {
            memory_bytes: u64::MAX,
            ..Limits::default()
        };
        ModuleInfo::scan(&self.wasm, &scan_limits)
            .ok()
            .and_then(|info| {
                info.manifest_bytes(&self.wasm)
                    .and_then(|b| Manifest::parse_embedded(b).ok())
            })
            .map(|m| m.name)
            .unwrap_or_else(|| self.name.clone())
    }

    fn from_artifact(a: Artifact) -> Result<Loaded, LoadError> {
        let signature = a.signature()?;
        Ok(Loaded {
            name: a.caplet.name.clone(),
            wasm: a.module,
            manifest: Some(a.caplet),
            extism: None,
            signature,
            module_path: None,
        })
    }
}

/// Why a target did not load.
#[derive(Debug)]
#[non_exhaustive]
pub enum LoadError {
    /// The target names nothing loadable, or a file could not be read.
    Usage(String),
    /// A file is over its cap (`path`, then what the cap is).
    TooLarge(String),
    /// A registry or URL could not be reached.
    Fetch(String),
    /// A module, manifest or artifact is bad (format, size).
    Module(String),
    /// A module is not the one a manifest's digest names.
    Digest(String),
    /// The core refused a manifest.
    Core(Error),
}

impl LoadError {
    /// Whether the fault is the module's or manifest's (exit 3) rather than the
    /// target's or the operator's.
    pub fn is_module(&self) -> bool {
        match self {
            LoadError::Module(_) | LoadError::TooLarge(_) | LoadError::Digest(_) => true,
            LoadError::Core(e) => e.kind() == caplet_core::ErrorKind::Module,
            LoadError::Usage(_) | LoadError::Fetch(_) => false,
        }
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Usage(m) => write!(f, "usage: {m}"),
            LoadError::TooLarge(m) | LoadError::Module(m) => write!(f, "module: {m}"),
            LoadError::Fetch(m) => write!(f, "fetch: {m}"),
            LoadError::Digest(m) => write!(f, "digest: {m}"),
            LoadError::Core(e) => write!(f, "{}: {e}", e.kind().name()),
        }
    }
}

impl std::error::Error for LoadError {}

impl From<OciError> for LoadError {
    fn from(e: OciError) -> Self {
        if e.fetch {
            LoadError::Fetch(e.to_string())
        } else {
            LoadError::Module(e.to_string())
        }
    }
}

impl From<Error> for LoadError {
    fn from(e: Error) -> Self {
        LoadError::Core(e)
    }
}

/// Reads `path`, at most `max` bytes.
pub fn read_capped(path: &Path, max: u64) -> Result<Vec<u8>, LoadError> {
    crate::files::read_capped(path, max).map_err(|e| {
        if e.kind() == std::io::ErrorKind::FileTooLarge {
            LoadError::TooLarge(format!("{} is {e}", path.display()))
        } else {
            LoadError::Usage(format!("cannot read {}: {e}", path.display()))
        }
    })
}

/// Resolves `target` (see the module docs) and reads its module, at most
/// `max_module` bytes.
pub fn load(target: &str, sources: &Sources, max_module: u64) -> Result<Loaded, LoadError> {
    let path = Path::new(target);
    if path.is_file() {
        return load_file(path, max_module);
    }
    if let Some((dir, tag)) = parse_layout_ref(target) {
        let limits = OciLimits {
            max_blob_bytes: max_module,
            ..OciLimits::default()
        };
        return Loaded::from_artifact(Layout::new(&dir).read(&tag, &limits)?);
    }
    if Reference::looks_like(target) {
        let r = Reference::parse(target)?;
        let mut sources = sources.clone();
        // Plain HTTP only for the registry the caller named as insecure.
        sources.insecure.retain(|reg| *reg == r.registry);
        let client = sources.client()?;
        let store = sources.open_store()?;
        return Loaded::from_artifact(client.pull(&r, &store)?);
    }
    if let Some(dir) = &sources.plugin_dir {
        if parse_spec(target).is_ok() {
            let reg = Registry::scan(dir).map_err(|e| {
                LoadError::Usage(format!(
                    "cannot read plugin directory {}: {e}",
                    dir.display()
                ))
            })?;
            return load_from_registry(&reg, target, max_module).map_err(|e| match e {
                LoadError::Usage(m) => LoadError::Usage(format!("{m} in {}", dir.display())),
                other => other,
            });
        }
    }
    if path.extension().is_some_and(|e| e == "wasm" || e == "json") || target.contains('/') {
        return load_file(path, max_module);
    }
    Err(LoadError::Usage(format!(
        "`{target}` is not a file, a registry reference or an oci-layout: reference{}",
        if sources.plugin_dir.is_some() {
            ", and no plugin of that name was found"
        } else {
            " (for NAME@VERSION, give --plugin-dir)"
        }
    )))
}

/// `NAME@VERSION` (or `NAME`) from a scanned plugin directory.
pub fn load_from_registry(
    reg: &Registry,
    spec: &str,
    max_module: u64,
) -> Result<Loaded, LoadError> {
    let entry = reg
        .resolve(spec)
        .map_err(|e| LoadError::Usage(e.to_string()))?;
    let wasm = read_capped(&entry.module, max_module)?;
    Ok(Loaded {
        wasm,
        name: entry.name.clone(),
        manifest: Some(entry.manifest.clone()),
        extism: None,
        signature: None,
        module_path: Some(entry.module.clone()),
    })
}

/// A file: a module, a Caplet sidecar manifest or an Extism manifest.
pub fn load_file(path: &Path, max_module: u64) -> Result<Loaded, LoadError> {
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("plugin");
    if path.extension().is_none_or(|e| e != "json") {
        let wasm = read_capped(path, max_module)?;
        return Ok(Loaded {
            wasm,
            manifest: None,
            name: caplet_core::manifest::sanitize_name(stem),
            extism: None,
            signature: None,
            module_path: Some(path.to_path_buf()),
        });
    }
    // An Extism manifest may carry its module inline (base64): up to the module cap
    // and a third more, beside the manifest's own cap.
    let max_manifest = caplet_core::manifest::MAX_MANIFEST_BYTES as u64;
    let text = read_capped(path, max_manifest + max_module / 3 * 4 + 4)?;
    if crate::extism_manifest::is_extism_manifest(&text) {
        return load_extism_manifest(path, &text, max_module);
    }
    if text.len() as u64 > max_manifest {
        return Err(LoadError::Module(format!(
            "{} is larger than the {max_manifest}-byte limit of a Caplet manifest",
            path.display()
        )));
    }
    let manifest = Manifest::parse(&text)?;
    let module = manifest.module.clone().ok_or_else(|| {
        LoadError::Module(format!(
            "{} has no `module` field naming the wasm file",
            path.display()
        ))
    })?;
    let module_path = path.parent().unwrap_or(Path::new(".")).join(&module);
    let wasm = read_capped(&module_path, max_module)?;
    Ok(Loaded {
        wasm,
        name: manifest.name.clone(),
        manifest: Some(manifest),
        extism: None,
        signature: None,
        module_path: Some(module_path),
    })
}

/// An Extism manifest: the module from its path, data or URL (hash checked), and
/// its grants, mappings, config and limits as settings.
fn load_extism_manifest(path: &Path, text: &[u8], max_module: u64) -> Result<Loaded, LoadError> {
    let read = |p: &Path, max: u64| read_capped(p, max).map_err(|e| e.to_string());
    let applied = crate::extism_manifest::apply(path, text, max_module, &read, &fetch_module)
        .map_err(|e| {
            if e.module {
                LoadError::Digest(e.message)
            } else {
                LoadError::Usage(e.message)
            }
        })?;
    Ok(Loaded {
        wasm: applied.wasm,
        name: applied.name,
        manifest: None,
        extism: Some(applied.extras),
        signature: None,
        module_path: None,
    })
}

/// Downloads a module an Extism manifest names by URL: the operator's own
/// source (no grant applies), over HTTP(S), at most `max` bytes, refused above it
/// by the declared length before the body is read.
fn fetch_module(
    url: &str,
    method: &str,
    headers: &BTreeMap<String, String>,
    max: u64,
) -> Result<Vec<u8>, String> {
    let agent = crate::oci::download_agent(Duration::from_secs(120));
    let mut b = ureq::http::Request::builder().method(method).uri(url);
    for (k, v) in headers {
        b = b.header(k, v);
    }
    let req = b
        .body(Vec::new())
        .map_err(|e| format!("bad module URL {url}: {e}"))?;
    let mut resp = agent
        .run(req)
        .map_err(|e| format!("cannot download the module from {url}: {e}"))?;
    let status = resp.status().as_u16();
    if !(200..300).contains(&status) {
        return Err(format!("downloading the module from {url}: HTTP {status}"));
    }
    if let Some(n) = crate::oci::declared_length(resp.headers()).filter(|n| *n > max) {
        return Err(format!(
            "the module at {url} is {n} bytes, more than the {max}-byte limit (--max-module)"
        ));
    }
    let body = resp
        .body_mut()
        .with_config()
        .limit(max)
        .read_to_vec()
        .map_err(|e| format!("downloading the module from {url}: {e}"))?;
    Ok(body)
}
