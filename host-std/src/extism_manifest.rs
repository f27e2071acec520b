//! Extism's JSON manifest, for `caplet run manifest.json`: the module (a file, inline
//! base64 data or a URL, with an optional SHA-256 and name), config, allowed hosts
//! and paths, memory options and a timeout, mapped onto Caplet's settings.
//!
//! | Extism manifest | Caplet |
//! | --- | --- |
//! | `wasm[0].path` / `.data` / `.url` (+ `headers`, `method`) | the module's bytes (a path is relative to the manifest) |
//! | `wasm[0].hash` | the module's SHA-256, checked before anything compiles it (exit 3) |
//! | `wasm[0].name` | the plugin's name (audit, KV namespace, policy section) |
//! | `config` | config, overridden by `--config` |
//! | `allowed_hosts` | a `net:outbound:<host>` grant each (`*` globs as in Extism) |
//! | `allowed_paths` (`"[ro:]HOST": "GUEST"`) | a directory mapping each, with `fs:read:` (and `fs:write:` unless `ro:`) beneath the guest path |
//! | `memory.max_pages` | the memory budget: pages × 64 KiB, covering the plugin's memory **and** its Extism memory |
//! | `memory.max_http_response_bytes` | the cap on HTTP response bodies (and other host results) |
//! | `memory.max_var_bytes` | the cap on the instance's vars |
//! | `timeout_ms` | the call's timeout |
//!
//! Several modules: the one named `main`, or else the last, is the plugin; the
//! others are linked under their names ([`caplet_core::PluginConfig::linked`]) and
//! share its Extism memory. Loopback and private addresses still need
//! `net:outbound:private` (Extism has no such guard).
//!
//! The types are this module's own, not the `extism-manifest` crate's: that crate's
//! `data` field also accepts `{"ptr": …, "len": …}` and then reads that much
//! process memory at that address, which an untrusted manifest must never reach.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use caplet_core::{Capability, Digest, LinkedModule, MAX_LINKED_MODULES};
use serde::Deserialize;

use crate::fs::Mount;
use crate::policy::Settings;

/// A parsed Extism manifest.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtismManifest {
    /// The modules (Caplet runs manifests of one module).
    pub wasm: Vec<WasmSource>,
    /// Memory options.
    #[serde(default)]
    pub memory: MemoryOptions,
    /// Config values.
    #[serde(default)]
    pub config: BTreeMap<String, String>,
    /// Hosts the plugin may reach over HTTP.
    #[serde(default)]
    pub allowed_hosts: Option<Vec<String>>,
    /// Host directories (key, `ro:` for read-only) at guest paths (value).
    #[serde(default)]
    pub allowed_paths: Option<BTreeMap<String, PathBuf>>,
    /// Timeout of one call in milliseconds.
    #[serde(default)]
    pub timeout_ms: Option<u64>,
}

/// `memory` of an Extism manifest.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemoryOptions {
    /// Pages of 64 KiB.
    #[serde(default)]
    pub max_pages: Option<u32>,
    /// Cap of an HTTP response body.
    #[serde(default)]
    pub max_http_response_bytes: Option<u64>,
    /// Cap of the vars.
    #[serde(default)]
    pub max_var_bytes: Option<u64>,
}

/// One entry of `wasm`: exactly one of `path`, `data` (base64) and `url`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WasmSource {
    /// A file, relative to the manifest.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// The module inline, base64.
    #[serde(default)]
    pub data: Option<String>,
    /// A URL to download the module from.
    #[serde(default)]
    pub url: Option<String>,
    /// Headers of the download.
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Method of the download (default GET).
    #[serde(default)]
    pub method: Option<String>,
    /// The module's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The module's SHA-256, hex.
    #[serde(default)]
    pub hash: Option<String>,
}

/// What an Extism manifest gives `caplet run`.
#[derive(Debug)]
pub struct Applied {
    /// The module bytes (their digest already checked against `hash`).
    pub wasm: Vec<u8>,
    /// The plugin's name.
    pub name: String,
    /// Everything else.
    pub extras: Extras,
}

/// What an Extism manifest says besides the plugin's module and name.
#[derive(Debug, Clone)]
pub struct Extras {
    /// The other modules, linked by name.
    pub linked: Vec<LinkedModule>,
    /// Grants, mappings, config and timeout; flags and the policy file add to them.
    pub settings: Settings,
    /// `memory.max_var_bytes`.
    pub max_var_bytes: Option<u32>,
    /// `memory.max_http_response_bytes`.
    pub max_http_response_bytes: Option<u32>,
}

impl Extras {
    /// Merges the manifest's settings over `settings` (what comes later, flags or
    /// a tenant's policy, goes over them), sets its memory limits in `limits`, and
    /// returns the modules to link.
    pub fn apply(
        self,
        settings: &mut Settings,
        limits: &mut caplet_core::Limits,
    ) -> Vec<LinkedModule> {
        settings.merge(self.settings);
        if let Some(n) = self.max_var_bytes {
            limits.max_var_bytes = n;
        }
        if let Some(n) = self.max_http_response_bytes {
            limits.max_host_result_bytes = n;
        }
        self.linked
    }
}

/// Why a manifest was refused: `module` is true for a module that is not the one
/// the manifest names (a wrong hash: exit 3), false for a usage error (exit 2).
#[derive(Debug)]
pub struct ManifestError {
    /// A module problem (exit 3) rather than a usage problem (exit 2).
    pub module: bool,
    /// What was wrong.
    pub message: String,
}

fn usage(message: impl Into<String>) -> ManifestError {
    ManifestError {
        module: false,
        message: message.into(),
    }
}

/// Whether `text` looks like an Extism manifest (a JSON object with a `wasm`
/// array) rather than a Caplet sidecar manifest.
pub fn is_extism_manifest(text: &[u8]) -> bool {
    /// Only whether `wasm` is an array; nothing else is kept.
    #[derive(Deserialize)]
    struct Probe {
        wasm: Option<Vec<serde::de::IgnoredAny>>,
    }
    serde_json::from_slice::<Probe>(text).is_ok_and(|p| p.wasm.is_some())
}

/// Parses `text` (the manifest at `path`), fetches the module and maps the rest.
/// `fetch(url, method, headers, max)` downloads a module of at most `max` bytes.
pub fn apply(
    path: &Path,
    text: &[u8],
    max_module: u64,
    read: &dyn Fn(&Path, u64) -> Result<Vec<u8>, String>,
    fetch: &dyn Fn(&str, &str, &BTreeMap<String, String>, u64) -> Result<Vec<u8>, String>,
) -> Result<Applied, ManifestError> {
    let manifest: ExtismManifest = serde_json::from_slice(text)
        .map_err(|e| usage(format!("{}: not an Extism manifest: {e}", path.display())))?;
    if manifest.wasm.is_empty() {
        return Err(usage(format!("{}: `wasm` is empty", path.display())));
    }
    if manifest.wasm.len() > 1 + MAX_LINKED_MODULES {
        return Err(usage(format!(
            "{}: {} modules in `wasm`, more than {}",
            path.display(),
            manifest.wasm.len(),
            1 + MAX_LINKED_MODULES
        )));
    }
    // The main module is the one named `main`, or else the last (Extism's rule);
    // the others are linked under their names, in order.
    let main_at = manifest
        .wasm
        .iter()
        .position(|w| w.name.as_deref() == Some("main"))
        .unwrap_or(manifest.wasm.len() - 1);
    let mut linked = Vec::new();
    let mut wasm = Vec::new();
    for (i, source) in manifest.wasm.iter().enumerate() {
        let bytes = module_bytes(path, i, source, max_module, read, fetch)?;
        if i == main_at {
            wasm = bytes;
            continue;
        }
        let Some(name) = source.name.clone() else {
            return Err(usage(format!(
                "{}: `wasm[{i}]` needs a `name`: the main module imports from it by that name",
                path.display()
            )));
        };
        linked.push(LinkedModule { name, wasm: bytes });
    }
    let source = &manifest.wasm[main_at];
    let name = source
        .name
        .clone()
        .filter(|n| n != "main")
        .unwrap_or_else(|| {
            caplet_core::manifest::sanitize_name(
                path.file_stem()
                    .and_then(|s| s.to_str())
                    .unwrap_or("plugin"),
            )
        });
    let mut settings = Settings {
        config: manifest.config,
        timeout: manifest.timeout_ms.map(Duration::from_millis),
        memory: manifest.memory.max_pages.map(|p| u64::from(p) * 65536),
        ..Settings::default()
    };
    let grant = |text: String| {
        Capability::parse(&text).map_err(|e| usage(format!("{}: {e}", path.display())))
    };
    for host in manifest.allowed_hosts.iter().flatten() {
        settings.allow.push(grant(format!("net:outbound:{host}"))?);
    }
    for (host, guest) in manifest.allowed_paths.iter().flatten() {
        let (host, read_only) = match host.strip_prefix("ro:") {
            Some(h) => (h, true),
            None => (host.as_str(), false),
        };
        let guest = guest
            .to_str()
            .ok_or_else(|| usage(format!("{}: a guest path is not UTF-8", path.display())))?;
        let spec = format!("{host}::{guest}{}", if read_only { ":ro" } else { "" });
        let mount = Mount::parse(&spec)
            .map_err(|e| usage(format!("{}: allowed_paths: {e}", path.display())))?;
        let beneath = format!("{}/**", mount.guest.trim_end_matches('/'));
        settings.allow.push(grant(format!("fs:read:{beneath}"))?);
        if !read_only {
            settings.allow.push(grant(format!("fs:write:{beneath}"))?);
        }
        settings.dirs.push(mount);
    }
    let cap32 = |v: Option<u64>| v.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    Ok(Applied {
        wasm,
        name,
        extras: Extras {
            linked,
            settings,
            max_var_bytes: cap32(manifest.memory.max_var_bytes),
            max_http_response_bytes: cap32(manifest.memory.max_http_response_bytes),
        },
    })
}

/// The bytes of `wasm[i]`, from its path, data or URL, checked against its hash.
fn module_bytes(
    path: &Path,
    i: usize,
    source: &WasmSource,
    max_module: u64,
    read: &dyn Fn(&Path, u64) -> Result<Vec<u8>, String>,
    fetch: &dyn Fn(&str, &str, &BTreeMap<String, String>, u64) -> Result<Vec<u8>, String>,
) -> Result<Vec<u8>, ManifestError> {
    let wasm = match (&source.path, &source.data, &source.url) {
        (Some(p), None, None) => {
            let full = path.parent().unwrap_or(Path::new(".")).join(p);
            read(&full, max_module).map_err(usage)?
        }
        (None, Some(b64), None) => {
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(|e| {
                    usage(format!(
                        "{}: `wasm[{i}].data` is not base64: {e}",
                        path.display()
                    ))
                })?;
            if bytes.len() as u64 > max_module {
                return Err(usage(format!(
                    "{}: the inline module `wasm[{i}]` is {} bytes, more than the \
                     {max_module}-byte limit",
                    path.display(),
                    bytes.len()
                )));
            }
            bytes
        }
        (None, None, Some(url)) => {
            let method = source.method.as_deref().unwrap_or("GET");
            fetch(url, method, &source.headers, max_module).map_err(usage)?
        }
        _ => {
            return Err(usage(format!(
                "{}: `wasm[{i}]` must have exactly one of `path`, `data` and `url`",
                path.display()
            )))
        }
    };
    if let Some(hash) = &source.hash {
        let expected = Digest::from_hex(hash).map_err(|_| {
            usage(format!(
                "{}: `wasm[{i}].hash` is not a SHA-256 in hex: {hash}",
                path.display()
            ))
        })?;
        let actual = Digest::of(&wasm);
        if actual != expected {
            return Err(ManifestError {
                module: true,
                message: format!(
                    "the manifest expects sha256 {expected} for `wasm[{i}]`, the module \
                     is {actual}"
                ),
            });
        }
    }
    Ok(wasm)
}
