//! Plugins as OCI artifacts: registries, image layouts on disk, and a local
//! content-addressed store.
//!
//! # The artifact
//!
//! Caplet uses the CNCF TAG Runtime layout for wasm artifacts: an OCI image manifest
//! (`application/vnd.oci.image.manifest.v1+json`) whose config has media type
//! `application/vnd.wasm.config.v0+json` and which has **exactly one layer**, of media
//! type `application/wasm`, holding the module. The Caplet manifest travels in the
//! manifest annotation `dev.caplet.manifest` (its JSON text), so a pull needs nothing
//! else; the layer digest is the module's sha256, checked again before compiling.
//!
//! The config is `{"architecture":"wasm","os":"caplet","layerDigests":[…]}`. `os` says
//! what runs the module: Caplet's contract, not WASI, so runtimes keyed on `wasip1` /
//! `wasip2` do not mistake it for theirs.
//!
//! # What a hostile registry cannot do
//!
//! - Manifests are capped at [`OciLimits::max_manifest_bytes`], blobs at
//!   [`OciLimits::max_blob_bytes`]; a declared size over the cap is refused before the
//!   download, and a download is cut one byte past the declared size.
//! - Every manifest and blob is hashed; a digest that differs from the reference, the
//!   descriptor or the registry's `Docker-Content-Digest` is refused.
//! - Anything but one `application/wasm` layer under a wasm config is refused, naming
//!   the media type found.
//!
//! # Credentials
//!
//! Anonymous by default. Basic and bearer-token auth (the registry's
//! `WWW-Authenticate` challenge) use, in order: `CAPLET_REGISTRY_USER` and
//! `CAPLET_REGISTRY_PASSWORD` from the environment, then a credentials file in Docker's
//! `config.json` format (`{"auths": {"host:port": {"auth": base64("user:pass")}}}`),
//! given with `--credentials` or found at `$CAPLET_AUTH_FILE` or
//! `~/.docker/config.json`. Credentials never go on the command line, and are sent only
//! over HTTPS unless the operator marked that registry insecure.
//!
//! Plain HTTP is used only for a registry the operator names as insecure.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use base64::Engine as _;
use caplet_core::{Digest, Manifest};
use serde::{Deserialize, Serialize};

/// OCI image manifest media type.
pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
/// OCI image index media type.
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";
/// The wasm artifact config media type (CNCF TAG Runtime).
pub const WASM_CONFIG: &str = "application/vnd.wasm.config.v0+json";
/// The wasm layer media type.
pub const WASM_LAYER: &str = "application/wasm";
/// The annotation carrying the Caplet manifest.
pub const CAPLET_MANIFEST_ANNOTATION: &str = "dev.caplet.manifest";
/// The annotation naming a manifest in an image layout's `index.json`.
pub const REF_NAME: &str = "org.opencontainers.image.ref.name";

/// An OCI error: what failed, in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciError {
    /// The message.
    pub message: String,
    /// `true` when the artifact could not be fetched or stored (network, auth, not
    /// found, disk); `false` when what was fetched is wrong (digest, media type,
    /// size, manifest).
    pub fetch: bool,
}

#[allow(non_snake_case)]
fn OciError(message: String) -> OciError {
    OciError {
        message,
        fetch: false,
    }
}

impl OciError {
    fn fetch(message: String) -> OciError {
        OciError {
            message,
            fetch: true,
        }
    }
}

impl std::fmt::Display for OciError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for OciError {}

fn err<T>(msg: impl Into<String>) -> Result<T, OciError> {
    Err(OciError(msg.into()))
}

fn fetch_err<T>(msg: impl Into<String>) -> Result<T, OciError> {
    Err(OciError::fetch(msg.into()))
}

/// Caps on what is fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OciLimits {
    /// Largest manifest (and `index.json`). Default 256 KiB.
    pub max_manifest_bytes: u64,
    /// Largest blob (the module). Default 8 MiB; the module cap applies afterwards.
    pub max_blob_bytes: u64,
    /// Largest config blob. Default 64 KiB.
    pub max_config_bytes: u64,
}

impl Default for OciLimits {
    fn default() -> Self {
        OciLimits {
            max_manifest_bytes: 256 * 1024,
            max_blob_bytes: 8 << 20,
            max_config_bytes: 64 * 1024,
        }
    }
}

/// `sha256:<64 lower-case hex>`.
pub fn parse_digest(text: &str) -> Result<Digest, OciError> {
    let hex = text
        .strip_prefix("sha256:")
        .ok_or_else(|| OciError(format!("`{text}` is not a sha256 digest")))?;
    if hex.len() != 64
        || !hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return err(format!(
            "`{text}` is not a sha256 digest (64 lower-case hex digits)"
        ));
    }
    Digest::from_hex(hex).map_err(|e| OciError(format!("`{text}`: {e}")))
}

/// A registry reference: `registry[:port]/repository[:tag][@sha256:…]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// `host` or `host:port`.
    pub registry: String,
    /// `path/name`.
    pub repository: String,
    /// The tag (defaults to `latest` when there is no digest).
    pub tag: Option<String>,
    /// A pinned manifest digest.
    pub digest: Option<Digest>,
}

impl std::fmt::Display for Reference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.registry, self.repository)?;
        if let Some(t) = &self.tag {
            write!(f, ":{t}")?;
        }
        if let Some(d) = &self.digest {
            write!(f, "@{d}")?;
        }
        Ok(())
    }
}

fn valid_component(c: &str) -> bool {
    // [a-z0-9]+(([._]|__|[-]*)[a-z0-9]+)*
    !c.is_empty()
        && c.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
        && c.as_bytes()[0].is_ascii_alphanumeric()
        && c.as_bytes()[c.len() - 1].is_ascii_alphanumeric()
}

fn valid_tag(t: &str) -> bool {
    !t.is_empty()
        && t.len() <= 128
        && (t.as_bytes()[0].is_ascii_alphanumeric() || t.as_bytes()[0] == b'_')
        && t.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Reference {
    /// Whether `text` looks like a registry reference (its first component is a host:
    /// it has a `.` or a `:`, or is `localhost`).
    pub fn looks_like(text: &str) -> bool {
        match text.split_once('/') {
            Some((host, rest)) => {
                !rest.is_empty()
                    && (host.contains('.') || host.contains(':') || host == "localhost")
            }
            None => false,
        }
    }

    /// Parses a reference.
    pub fn parse(text: &str) -> Result<Reference, OciError> {
        let bad = |why: &str| OciError(format!("`{text}` is not a registry reference: {why}"));
        let (rest, digest) = match text.split_once('@') {
            Some((r, d)) => (r, Some(parse_digest(d)?)),
            None => (text, None),
        };
        let (registry, path) = rest
            .split_once('/')
            .ok_or_else(|| bad("expected REGISTRY/REPOSITORY[:TAG][@DIGEST]"))?;
        if !(registry.contains('.') || registry.contains(':') || registry == "localhost") {
            return Err(bad("the first component must be a registry host"));
        }
        if registry
            .bytes()
            .any(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']')))
        {
            return Err(bad("invalid registry host"));
        }
        let (repository, tag) = match path.rsplit_once(':') {
            Some((r, t)) if !t.contains('/') => (r, Some(t.to_string())),
            _ => (path, None),
        };
        if !repository.split('/').all(valid_component) {
            return Err(bad(
                "repository components are lower-case letters, digits, `.`, `_`, `-`",
            ));
        }
        if let Some(t) = &tag {
            if !valid_tag(t) {
                return Err(bad("invalid tag"));
            }
        }
        let tag = if tag.is_none() && digest.is_none() {
            Some("latest".to_string())
        } else {
            tag
        };
        Ok(Reference {
            registry: registry.to_string(),
            repository: repository.to_string(),
            tag,
            digest,
        })
    }

    /// What to ask the registry for: the digest if pinned, else the tag.
    pub fn target(&self) -> String {
        match (&self.digest, &self.tag) {
            (Some(d), _) => d.to_string(),
            (None, Some(t)) => t.clone(),
            (None, None) => "latest".into(),
        }
    }
}

/// A descriptor in an OCI manifest or index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Descriptor {
    /// Media type.
    pub media_type: String,
    /// `sha256:…`.
    pub digest: String,
    /// Bytes.
    pub size: u64,
    /// Annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageManifest {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    artifact_type: Option<String>,
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    annotations: Option<BTreeMap<String, String>>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ImageIndex {
    schema_version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    media_type: Option<String>,
    #[serde(default)]
    manifests: Vec<Descriptor>,
}

/// A plugin as an OCI artifact: the manifest, config and module bytes, checked.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// The OCI manifest bytes.
    pub manifest: Vec<u8>,
    /// Their digest.
    pub manifest_digest: Digest,
    /// The config blob.
    pub config: Vec<u8>,
    /// The module (the single layer).
    pub module: Vec<u8>,
    /// The Caplet manifest, with `sha256` set to the module's digest and no `module`.
    pub caplet: Manifest,
}

impl Artifact {
    /// Builds the artifact for a module and the text of its Caplet manifest.
    pub fn build(caplet_manifest: &[u8], module: Vec<u8>) -> Result<Artifact, OciError> {
        let mut caplet = Manifest::parse(caplet_manifest)
            .map_err(|e| OciError(format!("the Caplet manifest is invalid: {e}")))?;
        let module_digest = Digest::of(&module);
        if let Some(expected) = caplet.sha256 {
            if expected != module_digest {
                return err(format!(
                    "the module's digest is {module_digest}, the Caplet manifest expects {expected}"
                ));
            }
        }
        caplet.sha256 = Some(module_digest);
        caplet.module = None;
        let config = serde_json::to_vec(&serde_json::json!({
            "architecture": "wasm",
            "os": "caplet",
            "layerDigests": [module_digest.to_string()],
        }))
        .map_err(|e| OciError(e.to_string()))?;
        let text = std::str::from_utf8(caplet_manifest)
            .map_err(|_| OciError("the Caplet manifest is not UTF-8".into()))?;
        let mut annotations = BTreeMap::new();
        annotations.insert(
            CAPLET_MANIFEST_ANNOTATION.to_string(),
            text.trim().to_string(),
        );
        annotations.insert("org.opencontainers.image.title".into(), caplet.name.clone());
        annotations.insert(
            "org.opencontainers.image.version".into(),
            caplet.version.to_string(),
        );
        if let Some(d) = &caplet.description {
            annotations.insert("org.opencontainers.image.description".into(), d.clone());
        }
        let manifest = ImageManifest {
            schema_version: 2,
            media_type: Some(OCI_MANIFEST.into()),
            artifact_type: None,
            config: Some(Descriptor {
                media_type: WASM_CONFIG.into(),
                digest: Digest::of(&config).to_string(),
                size: config.len() as u64,
                annotations: None,
            }),
            layers: vec![Descriptor {
                media_type: WASM_LAYER.into(),
                digest: module_digest.to_string(),
                size: module.len() as u64,
                annotations: None,
            }],
            annotations: Some(annotations),
        };
        let manifest = serde_json::to_vec_pretty(&manifest).map_err(|e| OciError(e.to_string()))?;
        Ok(Artifact {
            manifest_digest: Digest::of(&manifest),
            manifest,
            config,
            module,
            caplet,
        })
    }

    /// The config and layer descriptors, checked like a fetched manifest (the fields
    /// are public, so an `Artifact` need not come from [`Artifact::build`]).
    fn descriptors(&self) -> Result<(Descriptor, Descriptor), OciError> {
        check_manifest(&self.manifest, &OciLimits::default()).map(|(c, l, _)| (c, l))
    }
}

/// Checks one descriptor of a wasm artifact: its media type and, before anything
/// is downloaded, its declared size against the cap.
fn check_descriptor(
    d: &Descriptor,
    role: &str,
    blob: &str,
    media_type: &str,
    cap: u64,
) -> Result<(), OciError> {
    if d.media_type != media_type {
        return err(format!(
            "wrong media type: the {role} is `{}`, expected `{media_type}` (this is not a wasm artifact)",
            d.media_type
        ));
    }
    if d.size > cap {
        return err(format!(
            "the {blob} declares {} bytes, over the {cap}-byte cap",
            d.size
        ));
    }
    Ok(())
}

/// Checks a fetched OCI manifest: a wasm artifact with exactly one wasm layer.
/// Returns (config, layer, Caplet manifest text if annotated). Public for the fuzz
/// targets; the client and the layout reader call it on every manifest.
pub fn check_manifest(
    bytes: &[u8],
    limits: &OciLimits,
) -> Result<(Descriptor, Descriptor, Option<String>), OciError> {
    let m: ImageManifest = serde_json::from_slice(bytes)
        .map_err(|e| OciError(format!("the OCI manifest is not valid JSON: {e}")))?;
    if m.schema_version != 2 {
        return err(format!(
            "unsupported OCI manifest schemaVersion {}",
            m.schema_version
        ));
    }
    match m.media_type.as_deref() {
        None | Some(OCI_MANIFEST) => {}
        Some(OCI_INDEX) | Some("application/vnd.docker.distribution.manifest.list.v2+json") => {
            return err("wrong media type: this is an image index (a multi-platform image), not a wasm artifact")
        }
        Some(other) => {
            return err(format!(
                "wrong media type: the manifest is `{other}`, expected `{OCI_MANIFEST}`"
            ))
        }
    }
    let config = m
        .config
        .ok_or_else(|| OciError("the OCI manifest has no config".into()))?;
    check_descriptor(
        &config,
        "config",
        "config blob",
        WASM_CONFIG,
        limits.max_config_bytes,
    )?;
    let [layer] = m.layers.as_slice() else {
        return err(format!(
            "a wasm artifact has exactly one layer; this one has {}",
            m.layers.len()
        ));
    };
    check_descriptor(
        layer,
        "layer",
        "module layer",
        WASM_LAYER,
        limits.max_blob_bytes,
    )?;
    parse_digest(&config.digest)?;
    parse_digest(&layer.digest)?;
    let caplet = m
        .annotations
        .and_then(|mut a| a.remove(CAPLET_MANIFEST_ANNOTATION));
    Ok((config, layer.clone(), caplet))
}

/// Parses an OCI image index (a layout's `index.json`); returns its manifests.
pub fn parse_index(bytes: &[u8]) -> Result<Vec<Descriptor>, OciError> {
    parse_index_raw(bytes).map(|i| i.manifests)
}

fn parse_index_raw(bytes: &[u8]) -> Result<ImageIndex, OciError> {
    serde_json::from_slice(bytes).map_err(|e| OciError(format!("not an OCI index: {e}")))
}

/// Assembles and checks an artifact from fetched parts.
fn assemble(
    manifest: Vec<u8>,
    config: Vec<u8>,
    module: Vec<u8>,
    caplet_text: Option<String>,
    fallback_name: &str,
) -> Result<Artifact, OciError> {
    let module_digest = Digest::of(&module);
    let mut caplet = match caplet_text {
        Some(t) => Manifest::parse(t.as_bytes())
            .map_err(|e| OciError(format!("the artifact's Caplet manifest is invalid: {e}")))?,
        None => {
            // No annotation (an artifact made by another tool): use the module's
            // embedded manifest, or an anonymous one.
            let scan = caplet_core::Limits {
                memory_bytes: u64::MAX,
                ..caplet_core::Limits::default()
            };
            caplet_core::ModuleInfo::scan(&module, &scan)
                .ok()
                .and_then(|i| i.manifest_bytes(&module).map(Manifest::parse_embedded))
                .transpose()
                .map_err(|e| OciError(format!("the module's embedded manifest is invalid: {e}")))?
                .unwrap_or_else(|| {
                    Manifest::anonymous(&caplet_core::manifest::sanitize_name(fallback_name))
                })
        }
    };
    if let Some(expected) = caplet.sha256 {
        if expected != module_digest {
            return err(format!(
                "the Caplet manifest expects module {expected}, the layer is {module_digest}"
            ));
        }
    }
    caplet.sha256 = Some(module_digest);
    caplet.module = None;
    Ok(Artifact {
        manifest_digest: Digest::of(&manifest),
        manifest,
        config,
        module,
        caplet,
    })
}

fn verify_blob(what: &str, bytes: &[u8], expected: &Descriptor) -> Result<(), OciError> {
    let want = parse_digest(&expected.digest)?;
    if bytes.len() as u64 != expected.size {
        return err(format!(
            "{what} is {} bytes, its descriptor says {}",
            bytes.len(),
            expected.size
        ));
    }
    let got = Digest::of(bytes);
    if got != want {
        return err(format!("{what} has digest {got}, expected {want}: refused"));
    }
    Ok(())
}

// ---------------------------------------------------------------------------------
// The local store
// ---------------------------------------------------------------------------------

/// A content-addressed store of blobs (`blobs/sha256/<hex>`) and of the manifest
/// digest last seen for each tag, so an artifact is never fetched twice.
#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

impl Store {
    /// The default location: `$CAPLET_STORE`, else `$XDG_CACHE_HOME/caplet/store`,
    /// else `~/.cache/caplet/store`.
    pub fn default_dir() -> PathBuf {
        if let Some(p) = std::env::var_os("CAPLET_STORE") {
            return PathBuf::from(p);
        }
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
            .unwrap_or_else(std::env::temp_dir);
        cache.join("caplet").join("store")
    }

    /// Opens (creating) a store at `root`.
    pub fn open(root: &Path) -> Result<Store, OciError> {
        std::fs::create_dir_all(root.join("blobs/sha256"))
            .map_err(|e| OciError::fetch(format!("cannot create store {}: {e}", root.display())))?;
        Ok(Store {
            root: root.to_path_buf(),
        })
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blob_path(&self, d: &Digest) -> PathBuf {
        self.root.join("blobs/sha256").join(d.to_hex())
    }

    /// The blob `d`, if present and intact (a corrupt blob is removed).
    pub fn get(&self, d: &Digest, max: u64) -> Option<Vec<u8>> {
        let bytes = crate::files::read_capped(&self.blob_path(d), max).ok()?;
        if Digest::of(&bytes) == *d {
            Some(bytes)
        } else {
            let _ = std::fs::remove_file(self.blob_path(d));
            None
        }
    }

    /// Whether blob `d` is present.
    pub fn has(&self, d: &Digest) -> bool {
        self.blob_path(d).is_file()
    }

    /// Stores `bytes` (atomically) and returns their digest.
    pub fn put(&self, bytes: &[u8]) -> Result<Digest, OciError> {
        let d = Digest::of(bytes);
        write_atomic(&self.blob_path(&d), bytes)?;
        Ok(d)
    }

    fn tag_path(&self, r: &Reference, tag: &str) -> PathBuf {
        let registry = r.registry.replace(':', "_");
        self.root
            .join("refs")
            .join(registry)
            .join(&r.repository)
            .join(tag)
    }

    /// Records that `r`'s tag pointed at manifest `d`.
    pub fn set_tag(&self, r: &Reference, d: &Digest) -> Result<(), OciError> {
        match &r.tag {
            Some(t) => write_atomic(&self.tag_path(r, t), d.to_string().as_bytes()),
            None => Ok(()),
        }
    }

    /// The manifest digest last seen for `r`'s tag.
    pub fn tag(&self, r: &Reference) -> Option<Digest> {
        let t = r.tag.as_ref()?;
        let bytes = crate::files::read_capped(&self.tag_path(r, t), 1024).ok()?;
        parse_digest(std::str::from_utf8(&bytes).ok()?.trim()).ok()
    }

    /// The artifact with manifest digest `d`, entirely from the store.
    pub fn artifact(&self, d: &Digest, limits: &OciLimits, name: &str) -> Option<Artifact> {
        let manifest = self.get(d, limits.max_manifest_bytes)?;
        let (config, layer, caplet) = check_manifest(&manifest, limits).ok()?;
        let config_bytes =
            self.get(&parse_digest(&config.digest).ok()?, limits.max_config_bytes)?;
        let module = self.get(&parse_digest(&layer.digest).ok()?, limits.max_blob_bytes)?;
        assemble(manifest, config_bytes, module, caplet, name).ok()
    }

    /// Stores every part of `a`.
    pub fn put_artifact(&self, a: &Artifact) -> Result<(), OciError> {
        self.put(&a.manifest)?;
        self.put(&a.config)?;
        self.put(&a.module)?;
        Ok(())
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OciError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| OciError(format!("{}: {e}", dir.display())))?;
    crate::files::write_atomic(path, bytes)
        .or_else(|e| fetch_err(format!("cannot write {}: {e}", path.display())))
}

// ---------------------------------------------------------------------------------
// Image layouts
// ---------------------------------------------------------------------------------

/// An OCI image layout directory (`oci-layout`, `index.json`, `blobs/sha256/…`).
#[derive(Debug, Clone)]
pub struct Layout {
    root: PathBuf,
}

/// Parses `oci-layout:DIR[:TAG]` (the tag defaults to `latest`; `@sha256:…` selects
/// by digest).
pub fn parse_layout_ref(text: &str) -> Option<(PathBuf, String)> {
    let rest = text.strip_prefix("oci-layout:")?;
    if let Some((dir, d)) = rest.rsplit_once('@') {
        return Some((PathBuf::from(dir), d.to_string()));
    }
    match rest.rsplit_once(':') {
        Some((dir, tag)) if !tag.contains('/') && !dir.is_empty() => {
            Some((PathBuf::from(dir), tag.to_string()))
        }
        _ => Some((PathBuf::from(rest), "latest".to_string())),
    }
}

impl Layout {
    /// A layout at `root` (not created until written).
    pub fn new(root: &Path) -> Layout {
        Layout {
            root: root.to_path_buf(),
        }
    }

    fn blob(&self, d: &Digest) -> PathBuf {
        self.root.join("blobs/sha256").join(d.to_hex())
    }

    fn index(&self, limits: &OciLimits) -> Result<ImageIndex, OciError> {
        let path = self.root.join("index.json");
        let bytes = crate::files::read_capped(&path, limits.max_manifest_bytes)
            .map_err(|e| OciError(format!("{}: {e}", path.display())))?;
        parse_index_raw(&bytes).map_err(|e| OciError(format!("{}: {e}", path.display())))
    }

    /// Writes `a` and names it `tag` in `index.json` (replacing an older `tag`).
    pub fn write(&self, tag: &str, a: &Artifact) -> Result<(), OciError> {
        if !valid_tag(tag) {
            return err(format!("`{tag}` is not a valid tag"));
        }
        let (config, layer) = a.descriptors()?;
        for (d, bytes) in [
            (a.manifest_digest, &a.manifest),
            (parse_digest(&config.digest)?, &a.config),
            (parse_digest(&layer.digest)?, &a.module),
        ] {
            if !self.blob(&d).is_file() {
                write_atomic(&self.blob(&d), bytes)?;
            }
        }
        write_atomic(
            &self.root.join("oci-layout"),
            br#"{"imageLayoutVersion":"1.0.0"}"#,
        )?;
        let mut index = if self.root.join("index.json").is_file() {
            self.index(&OciLimits::default())?
        } else {
            ImageIndex {
                schema_version: 2,
                media_type: Some(OCI_INDEX.into()),
                manifests: Vec::new(),
            }
        };
        index.manifests.retain(|m| {
            m.annotations
                .as_ref()
                .and_then(|a| a.get(REF_NAME))
                .is_none_or(|t| t != tag)
        });
        let mut ann = BTreeMap::new();
        ann.insert(REF_NAME.to_string(), tag.to_string());
        index.manifests.push(Descriptor {
            media_type: OCI_MANIFEST.into(),
            digest: a.manifest_digest.to_string(),
            size: a.manifest.len() as u64,
            annotations: Some(ann),
        });
        let json = serde_json::to_vec_pretty(&index).map_err(|e| OciError(e.to_string()))?;
        write_atomic(&self.root.join("index.json"), &json)
    }

    /// Reads the artifact named `tag` (or `sha256:…`), verifying every digest.
    pub fn read(&self, tag: &str, limits: &OciLimits) -> Result<Artifact, OciError> {
        let layout = self.root.join("oci-layout");
        if !layout.is_file() {
            return fetch_err(format!(
                "{} is not an OCI image layout (no oci-layout file)",
                self.root.display()
            ));
        }
        let index = self.index(limits)?;
        let desc = index
            .manifests
            .iter()
            .find(|m| {
                m.digest == tag
                    || m.annotations
                        .as_ref()
                        .and_then(|a| a.get(REF_NAME))
                        .is_some_and(|t| t == tag)
            })
            .ok_or_else(|| {
                OciError::fetch(format!(
                    "{} has no manifest named `{tag}`",
                    self.root.display()
                ))
            })?;
        if desc.size > limits.max_manifest_bytes {
            return err(format!(
                "the manifest declares {} bytes, over the cap",
                desc.size
            ));
        }
        let read = |d: &Descriptor, max: u64, what: &str| -> Result<Vec<u8>, OciError> {
            let digest = parse_digest(&d.digest)?;
            let bytes = crate::files::read_capped(&self.blob(&digest), max)
                .map_err(|e| OciError(format!("{what} {}: {e}", d.digest)))?;
            verify_blob(what, &bytes, d)?;
            Ok(bytes)
        };
        let manifest = read(desc, limits.max_manifest_bytes, "the manifest")?;
        let (config, layer, caplet) = check_manifest(&manifest, limits)?;
        let config_bytes = read(&config, limits.max_config_bytes, "the config")?;
        let module = read(&layer, limits.max_blob_bytes, "the module layer")?;
        assemble(manifest, config_bytes, module, caplet, tag)
    }
}

// ---------------------------------------------------------------------------------
// Registries
// ---------------------------------------------------------------------------------

/// Credentials for registries.
#[derive(Clone, Default)]
pub struct Credentials {
    env: Option<(String, String)>,
    file: BTreeMap<String, (String, String)>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("from_env", &self.env.is_some())
            .field("registries", &self.file.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl Credentials {
    /// No credentials: anonymous access only.
    pub fn anonymous() -> Credentials {
        Credentials::default()
    }

    /// From the environment and `file` (or `$CAPLET_AUTH_FILE`, or
    /// `~/.docker/config.json` when present).
    pub fn load(file: Option<&Path>) -> Result<Credentials, OciError> {
        let mut c = Credentials::default();
        if let (Ok(u), Ok(p)) = (
            std::env::var("CAPLET_REGISTRY_USER"),
            std::env::var("CAPLET_REGISTRY_PASSWORD"),
        ) {
            c.env = Some((u, p));
        }
        let path = file
            .map(Path::to_path_buf)
            .or_else(|| std::env::var_os("CAPLET_AUTH_FILE").map(PathBuf::from))
            .or_else(|| {
                std::env::var_os("HOME")
                    .map(|h| PathBuf::from(h).join(".docker/config.json"))
                    .filter(|p| p.is_file())
            });
        if let Some(path) = path {
            let bytes = crate::files::read_capped(&path, 1 << 20)
                .map_err(|e| OciError(format!("credentials file {}: {e}", path.display())))?;
            c.file = parse_auth_file(&bytes)
                .map_err(|e| OciError(format!("credentials file {}: {e}", path.display())))?;
        }
        Ok(c)
    }

    fn for_registry(&self, registry: &str) -> Option<(String, String)> {
        self.env
            .clone()
            .or_else(|| self.file.get(registry).cloned())
    }
}

fn parse_auth_file(bytes: &[u8]) -> Result<BTreeMap<String, (String, String)>, String> {
    #[derive(Deserialize)]
    struct Entry {
        auth: Option<String>,
        username: Option<String>,
        password: Option<String>,
    }
    #[derive(Deserialize)]
    struct File {
        #[serde(default)]
        auths: BTreeMap<String, Entry>,
    }
    let f: File = serde_json::from_slice(bytes).map_err(|_| "not valid JSON".to_string())?;
    let mut out = BTreeMap::new();
    for (host, e) in f.auths {
        let host = host
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        let pair = match (e.auth, e.username, e.password) {
            (Some(a), _, _) => {
                let raw = base64::engine::general_purpose::STANDARD
                    .decode(a.trim())
                    .map_err(|_| format!("`auth` of {host} is not base64"))?;
                let text =
                    String::from_utf8(raw).map_err(|_| format!("`auth` of {host} is not UTF-8"))?;
                let (u, p) = text
                    .split_once(':')
                    .ok_or_else(|| format!("`auth` of {host} is not user:password"))?;
                (u.to_string(), p.to_string())
            }
            (None, Some(u), Some(p)) => (u, p),
            _ => continue,
        };
        out.insert(host, pair);
    }
    Ok(out)
}

/// Settings of a registry client.
#[derive(Debug, Clone, Default)]
pub struct ClientConfig {
    /// Registries (`host:port`) reached over plain HTTP.
    pub insecure: Vec<String>,
    /// Credentials.
    pub credentials: Credentials,
    /// Caps.
    pub limits: OciLimits,
    /// Show a progress bar for downloads (on a terminal).
    pub progress: bool,
}

/// A client of the OCI distribution API.
pub struct Client {
    config: ClientConfig,
    agent: ureq::Agent,
    tokens: Mutex<BTreeMap<(String, String), String>>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

struct Reply {
    status: u16,
    headers: ureq::http::HeaderMap,
    body: Vec<u8>,
}

enum Challenge {
    Basic,
    Bearer {
        realm: String,
        service: Option<String>,
        scope: Option<String>,
    },
}

fn parse_challenge(h: &str) -> Option<Challenge> {
    let (scheme, params) = h.trim().split_once(' ').unwrap_or((h.trim(), ""));
    if scheme.eq_ignore_ascii_case("basic") {
        return Some(Challenge::Basic);
    }
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    let mut map = BTreeMap::new();
    let mut rest = params;
    while let Some((k, after)) = rest.split_once('=') {
        let k = k.trim().trim_start_matches(',').trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (&q[..end], &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        map.insert(k, v.to_string());
        rest = next;
    }
    Some(Challenge::Bearer {
        realm: map.remove("realm")?,
        service: map.remove("service"),
        scope: map.remove("scope"),
    })
}

/// The length a response declares (`Content-Length`), if it declares one.
pub(crate) fn declared_length(headers: &ureq::http::HeaderMap) -> Option<u64> {
    headers
        .get("content-length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
}

/// The HTTP agent of the operator's own downloads (registries, a module an Extism
/// manifest names by URL): statuses come back as values, at most 5 redirects,
/// credentials never follow a redirect (to whatever host it names), no proxy, a
/// 10 s connect timeout and `total` for the whole exchange. Not the plugins'
/// agent: theirs is `crate::http`'s, with the grants and the private-address guard.
pub(crate) fn download_agent(total: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(5)
        .redirect_auth_headers(ureq::config::RedirectAuthHeaders::Never)
        .proxy(None)
        .timeout_connect(Some(Duration::from_secs(10)))
        .timeout_global(Some(total))
        .user_agent(concat!("caplet/", env!("CARGO_PKG_VERSION")))
        .build()
        .new_agent()
}

impl Client {
    /// A client with `config`.
    pub fn new(config: ClientConfig) -> Client {
        let agent = download_agent(Duration::from_secs(300));
        Client {
            config,
            agent,
            tokens: Mutex::new(BTreeMap::new()),
        }
    }

    fn base(&self, registry: &str) -> String {
        let scheme = if self.config.insecure.iter().any(|r| r == registry) {
            "http"
        } else {
            "https"
        };
        format!("{scheme}://{registry}")
    }

    fn secure(&self, registry: &str) -> bool {
        !self.config.insecure.iter().any(|r| r == registry)
    }

    /// One request with auth: a cached token first; on 401, answer the challenge
    /// and retry once.
    #[allow(clippy::too_many_arguments)]
    fn send(
        &self,
        r: &Reference,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        body: &[u8],
        max: u64,
        progress: Option<&str>,
    ) -> Result<Reply, OciError> {
        let scope_key = (r.registry.clone(), r.repository.clone());
        let mut auth = self
            .tokens
            .lock()
            .ok()
            .and_then(|t| t.get(&scope_key).cloned());
        for attempt in 0..2 {
            let reply = self.raw(method, url, headers, auth.as_deref(), body, max, progress)?;
            if reply.status != 401 || attempt == 1 {
                if reply.status == 401 {
                    let hint = if self.config.credentials.for_registry(&r.registry).is_some() {
                        "the registry refused the credentials"
                    } else {
                        "the registry needs credentials: set CAPLET_REGISTRY_USER and \
                         CAPLET_REGISTRY_PASSWORD or give --credentials FILE"
                    };
                    return fetch_err(format!("{}: unauthorized: {hint}", r.registry));
                }
                return Ok(reply);
            }
            let challenge = reply
                .headers
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok())
                .and_then(parse_challenge);
            let creds = self.config.credentials.for_registry(&r.registry);
            if creds.is_some() && !self.secure(&r.registry) && !is_loopback_registry(&r.registry) {
                return err(format!(
                    "{}: refusing to send credentials over plain HTTP to a registry that is not on this machine",
                    r.registry
                ));
            }
            auth = Some(match challenge {
                Some(Challenge::Basic) | None => {
                    let (u, p) = creds.ok_or_else(|| {
                        OciError::fetch(format!(
                            "{}: unauthorized: the registry needs credentials: set \
                             CAPLET_REGISTRY_USER and CAPLET_REGISTRY_PASSWORD or give --credentials FILE",
                            r.registry
                        ))
                    })?;
                    basic(&u, &p)
                }
                Some(Challenge::Bearer {
                    realm,
                    service,
                    scope,
                }) => {
                    let token = self.token(&r.registry, &realm, service, scope, creds)?;
                    format!("Bearer {token}")
                }
            });
            if let Ok(mut t) = self.tokens.lock() {
                t.insert(scope_key.clone(), auth.clone().unwrap_or_default());
            }
        }
        unreachable!("the loop returns on its second attempt")
    }

    fn token(
        &self,
        registry: &str,
        realm: &str,
        service: Option<String>,
        scope: Option<String>,
        creds: Option<(String, String)>,
    ) -> Result<String, OciError> {
        let mut url = url::Url::parse(realm)
            .map_err(|_| OciError(format!("the registry's token realm `{realm}` is not a URL")))?;
        if creds.is_some() {
            realm_may_get_credentials(registry, &url)?;
        }
        {
            let mut q = url.query_pairs_mut();
            if let Some(s) = &service {
                q.append_pair("service", s);
            }
            if let Some(s) = &scope {
                q.append_pair("scope", s);
            }
        }
        let auth = creds.map(|(u, p)| basic(&u, &p));
        let reply = self.raw(
            "GET",
            url.as_str(),
            &[],
            auth.as_deref(),
            &[],
            64 * 1024,
            None,
        )?;
        if reply.status != 200 {
            return fetch_err(format!(
                "the token service at {realm} answered {}: check the credentials",
                reply.status
            ));
        }
        #[derive(Deserialize)]
        struct Token {
            token: Option<String>,
            access_token: Option<String>,
        }
        let t: Token = serde_json::from_slice(&reply.body)
            .map_err(|_| OciError(format!("the token service at {realm} sent invalid JSON")))?;
        t.token
            .or(t.access_token)
            .ok_or_else(|| OciError(format!("the token service at {realm} sent no token")))
    }

    #[allow(clippy::too_many_arguments)]
    fn raw(
        &self,
        method: &str,
        url: &str,
        headers: &[(&str, &str)],
        auth: Option<&str>,
        body: &[u8],
        max: u64,
        progress: Option<&str>,
    ) -> Result<Reply, OciError> {
        let mut b = ureq::http::Request::builder().method(method).uri(url);
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        if let Some(a) = auth {
            b = b.header("Authorization", a);
        }
        let req = b
            .body(body.to_vec())
            .map_err(|e| OciError(format!("bad request to {url}: {e}")))?;
        let mut resp = self.agent.run(req).map_err(|e| {
            let host = url::Url::parse(url)
                .ok()
                .and_then(|u| u.host_str().map(str::to_string))
                .unwrap_or_default();
            OciError::fetch(format!("cannot reach the registry at {host} ({url}): {e}"))
        })?;
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        if method == "HEAD" {
            return Ok(Reply {
                status,
                headers,
                body: Vec::new(),
            });
        }
        let declared = declared_length(&headers);
        if declared.is_some_and(|n| n > max) {
            return err(format!(
                "{url}: the response declares {} bytes, over the {max}-byte cap",
                declared.unwrap_or(0)
            ));
        }
        let mut reader = resp.body_mut().with_config().limit(max + 1).reader();
        let bar = progress.filter(|_| self.config.progress).map(|label| {
            let bar = indicatif::ProgressBar::new(declared.unwrap_or(0));
            bar.set_style(
                indicatif::ProgressStyle::with_template(
                    "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            bar.set_message(label.to_string());
            bar
        });
        let mut body = Vec::new();
        let mut chunk = [0u8; 64 * 1024];
        loop {
            let n = reader
                .read(&mut chunk)
                .map_err(|e| OciError(format!("{url}: reading the response: {e}")))?;
            if n == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..n]);
            if body.len() as u64 > max {
                return err(format!("{url}: the response exceeds the {max}-byte cap"));
            }
            if let Some(b) = &bar {
                b.set_position(body.len() as u64);
            }
        }
        if let Some(b) = bar {
            b.finish_and_clear();
        }
        Ok(Reply {
            status,
            headers,
            body,
        })
    }

    fn check_status(r: &Reference, what: &str, reply: &Reply, ok: &[u16]) -> Result<(), OciError> {
        if ok.contains(&reply.status) {
            return Ok(());
        }
        let detail = String::from_utf8_lossy(&reply.body[..reply.body.len().min(300)]).into_owned();
        let why = match reply.status {
            404 => "not found".to_string(),
            s => format!("HTTP {s}"),
        };
        fetch_err(format!("{r}: {what}: {why} {}", detail.trim()))
    }

    fn blob_url(&self, r: &Reference, d: &str) -> String {
        format!("{}/v2/{}/blobs/{d}", self.base(&r.registry), r.repository)
    }

    fn push_blob(&self, r: &Reference, bytes: &[u8], media: &str) -> Result<(), OciError> {
        let d = Digest::of(bytes).to_string();
        let head = self.send(r, "HEAD", &self.blob_url(r, &d), &[], &[], 0, None)?;
        if head.status == 200 {
            return Ok(());
        }
        let start = self.send(
            r,
            "POST",
            &format!(
                "{}/v2/{}/blobs/uploads/",
                self.base(&r.registry),
                r.repository
            ),
            &[("Content-Length", "0")],
            &[],
            64 * 1024,
            None,
        )?;
        Self::check_status(r, "starting a blob upload", &start, &[202])?;
        let location = start
            .headers
            .get("location")
            .and_then(|v| v.to_str().ok())
            .ok_or_else(|| OciError(format!("{r}: the registry gave no upload location")))?;
        let base = url::Url::parse(&format!("{}/", self.base(&r.registry)))
            .map_err(|e| OciError(e.to_string()))?;
        let mut upload = base
            .join(location)
            .map_err(|_| OciError(format!("{r}: bad upload location `{location}`")))?;
        upload.query_pairs_mut().append_pair("digest", &d);
        let put = self.send(
            r,
            "PUT",
            upload.as_str(),
            &[("Content-Type", "application/octet-stream")],
            bytes,
            64 * 1024,
            None,
        )?;
        Self::check_status(r, &format!("uploading the {media} blob"), &put, &[201, 204])
    }

    /// Pushes `a` to `r` (its tag, or its digest). Returns the manifest digest.
    pub fn push(&self, r: &Reference, a: &Artifact) -> Result<Digest, OciError> {
        if let Some(d) = r.digest {
            if d != a.manifest_digest {
                return err(format!(
                    "{r}: the reference pins {d}, but the artifact's manifest is {}",
                    a.manifest_digest
                ));
            }
        }
        self.push_blob(r, &a.config, WASM_CONFIG)?;
        self.push_blob(r, &a.module, WASM_LAYER)?;
        let url = format!(
            "{}/v2/{}/manifests/{}",
            self.base(&r.registry),
            r.repository,
            r.target()
        );
        let put = self.send(
            r,
            "PUT",
            &url,
            &[("Content-Type", OCI_MANIFEST)],
            &a.manifest,
            64 * 1024,
            None,
        )?;
        Self::check_status(r, "uploading the manifest", &put, &[201, 204])?;
        Ok(a.manifest_digest)
    }

    /// Fetches `r`, using `store` so nothing is downloaded twice, and verifies
    /// every digest and media type.
    pub fn pull(&self, r: &Reference, store: &Store) -> Result<Artifact, OciError> {
        let limits = self.config.limits;
        let name = r.repository.rsplit('/').next().unwrap_or("plugin");
        if let Some(d) = r.digest {
            if let Some(a) = store.artifact(&d, &limits, name) {
                return Ok(a);
            }
        }
        let url = format!(
            "{}/v2/{}/manifests/{}",
            self.base(&r.registry),
            r.repository,
            r.target()
        );
        let accept = format!("{OCI_MANIFEST}, {OCI_INDEX}");
        let reply = self.send(
            r,
            "GET",
            &url,
            &[("Accept", &accept)],
            &[],
            limits.max_manifest_bytes,
            None,
        )?;
        Self::check_status(r, "fetching the manifest", &reply, &[200])?;
        let got = Digest::of(&reply.body);
        if let Some(want) = r.digest {
            if got != want {
                return err(format!(
                    "{r}: the registry sent a manifest with digest {got}: refused"
                ));
            }
        }
        if let Some(h) = reply
            .headers
            .get("docker-content-digest")
            .and_then(|v| v.to_str().ok())
        {
            if h != got.to_string() {
                return err(format!(
                    "{r}: the manifest hashes to {got}, the registry says {h}: refused"
                ));
            }
        }
        if let Some(content_type) = reply
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
        {
            let ct = content_type.split(';').next().unwrap_or("").trim();
            if ct != OCI_MANIFEST && ct != "application/json" {
                return err(format!(
                    "{r}: wrong media type: the registry served `{ct}`, expected `{OCI_MANIFEST}`"
                ));
            }
        }
        let manifest = reply.body;
        let (config, layer, caplet) = check_manifest(&manifest, &limits)?;
        let fetch = |d: &Descriptor,
                     max: u64,
                     what: &str,
                     progress: Option<&str>|
         -> Result<Vec<u8>, OciError> {
            let digest = parse_digest(&d.digest)?;
            if let Some(bytes) = store.get(&digest, max) {
                return Ok(bytes);
            }
            let reply = self.send(
                r,
                "GET",
                &self.blob_url(r, &d.digest),
                &[],
                &[],
                d.size.min(max),
                progress,
            )?;
            Self::check_status(r, &format!("fetching {what}"), &reply, &[200])?;
            verify_blob(what, &reply.body, d).map_err(|e| OciError(format!("{r}: {e}")))?;
            Ok(reply.body)
        };
        let config_bytes = fetch(&config, limits.max_config_bytes, "the config", None)?;
        let label = format!("pulling {}", r.repository);
        let module = fetch(
            &layer,
            limits.max_blob_bytes,
            "the module layer",
            Some(&label),
        )?;
        let artifact = assemble(manifest, config_bytes, module, caplet, name)
            .map_err(|e| OciError(format!("{r}: {e}")))?;
        store.put_artifact(&artifact)?;
        store.set_tag(r, &artifact.manifest_digest)?;
        Ok(artifact)
    }
}

fn basic(user: &str, password: &str) -> String {
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

/// Whether the registry's credentials may go to its token realm, checked before
/// anything is sent (as Docker's and oras' clients do): over HTTPS to any host, or
/// over plain HTTP only to the registry's own host when that host is this machine
/// (the rule for credentials over plain HTTP everywhere in Caplet).
fn realm_may_get_credentials(registry: &str, realm: &url::Url) -> Result<(), OciError> {
    if realm.scheme() == "https" {
        return Ok(());
    }
    let realm_host = match (realm.host_str(), realm.port()) {
        (Some(h), Some(p)) => format!("{h}:{p}"),
        (Some(h), None) => h.to_string(),
        (None, _) => String::new(),
    };
    if realm.scheme() == "http"
        && realm_host.eq_ignore_ascii_case(registry)
        && is_loopback_registry(registry)
    {
        return Ok(());
    }
    err(format!(
        "{registry}: refusing to send credentials to the token service at {realm}: \
         credentials go over HTTPS, or over plain HTTP only to the registry's own host on \
         this machine"
    ))
}

fn is_loopback_registry(registry: &str) -> bool {
    let host = registry
        .rsplit_once(':')
        .map_or(registry, |(h, p)| {
            if p.chars().all(|c| c.is_ascii_digit()) {
                h
            } else {
                registry
            }
        })
        .trim_start_matches('[')
        .trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_parse() {
        let r = Reference::parse("127.0.0.1:5000/plugins/echo:1.0.0").unwrap();
        assert_eq!(r.registry, "127.0.0.1:5000");
        assert_eq!(r.repository, "plugins/echo");
        assert_eq!(r.tag.as_deref(), Some("1.0.0"));
        let r = Reference::parse("ghcr.io/acme/echo").unwrap();
        assert_eq!(r.tag.as_deref(), Some("latest"));
        let d = "sha256:".to_string() + &"ab".repeat(32);
        let r = Reference::parse(&format!("localhost/echo@{d}")).unwrap();
        assert_eq!(
            (r.tag, r.digest.map(|d| d.to_string())),
            (None, Some(d.clone()))
        );
        assert_eq!(
            Reference::parse(&format!("localhost/echo@{d}"))
                .unwrap()
                .target(),
            d
        );
        for bad in [
            "echo",
            "echo:1",
            "docker/echo",
            "host.io/Echo",
            "host.io/echo:bad tag",
            "host.io/echo@sha256:xyz",
            "host.io/",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
        assert!(Reference::looks_like("localhost:5000/x"));
        assert!(!Reference::looks_like("plugins/echo.wasm"));
        assert!(!Reference::looks_like("echo@^1"));
    }

    #[test]
    fn layout_refs_parse() {
        assert_eq!(
            parse_layout_ref("oci-layout:/tmp/l:v1"),
            Some((PathBuf::from("/tmp/l"), "v1".into()))
        );
        assert_eq!(
            parse_layout_ref("oci-layout:dir"),
            Some((PathBuf::from("dir"), "latest".into()))
        );
        assert_eq!(parse_layout_ref("dir:v1"), None);
    }

    #[test]
    fn challenges_parse() {
        let c = parse_challenge(
            r#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull""#,
        );
        match c {
            Some(Challenge::Bearer {
                realm,
                service,
                scope,
            }) => {
                assert_eq!(realm, "https://auth.example/token");
                assert_eq!(service.as_deref(), Some("registry.example"));
                assert_eq!(scope.as_deref(), Some("repository:a/b:pull"));
            }
            _ => panic!("expected a bearer challenge"),
        }
        assert!(matches!(
            parse_challenge("Basic realm=\"x\""),
            Some(Challenge::Basic)
        ));
        assert!(parse_challenge("Negotiate").is_none());
    }

    #[test]
    fn credentials_go_to_a_token_realm_only_over_https_or_to_the_loopback_registry_itself() {
        let ok = |reg: &str, realm: &str| {
            realm_may_get_credentials(reg, &url::Url::parse(realm).unwrap()).is_ok()
        };
        assert!(ok("registry.example", "https://auth.example/token"));
        assert!(ok("127.0.0.1:5000", "http://127.0.0.1:5000/token"));
        assert!(ok("localhost:5000", "http://localhost:5000/token"));
        assert!(!ok("127.0.0.1:5000", "http://127.0.0.2:5000/token"));
        assert!(!ok("127.0.0.1:5000", "http://127.0.0.1:5001/token"));
        assert!(!ok("127.0.0.1:5000", "http://evil.example/token"));
        assert!(!ok("registry.example", "http://registry.example/token"));
        assert!(!ok("127.0.0.1:5000", "ftp://127.0.0.1:5000/token"));
    }

    #[test]
    fn auth_files_parse() {
        let f = br#"{"auths": {"https://reg.example:5000/": {"auth": "dTpw"}, "other": {"username": "a", "password": "b"}}}"#;
        let m = parse_auth_file(f).unwrap();
        assert_eq!(m["reg.example:5000"], ("u".to_string(), "p".to_string()));
        assert_eq!(m["other"], ("a".to_string(), "b".to_string()));
        assert!(parse_auth_file(br#"{"auths": {"x": {"auth": "!!"}}}"#).is_err());
    }

    #[test]
    fn artifacts_check_media_types_and_layers() {
        let caplet = br#"{"name":"echo","version":"1.2.3"}"#;
        let a = Artifact::build(caplet, b"\0asm\x01\0\0\0".to_vec()).unwrap();
        let limits = OciLimits::default();
        let (config, layer, text) = check_manifest(&a.manifest, &limits).unwrap();
        assert_eq!(config.media_type, WASM_CONFIG);
        assert_eq!(layer.digest, Digest::of(&a.module).to_string());
        assert_eq!(text.as_deref(), Some(std::str::from_utf8(caplet).unwrap()));
        let mut m: serde_json::Value = serde_json::from_slice(&a.manifest).unwrap();
        m["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json".into();
        let e = check_manifest(m.to_string().as_bytes(), &limits).unwrap_err();
        assert!(
            e.message.contains("wrong media type") && e.message.contains("image.config"),
            "{e}"
        );
        let mut m: serde_json::Value = serde_json::from_slice(&a.manifest).unwrap();
        m["layers"][0]["size"] = (limits.max_blob_bytes + 1).into();
        let e = check_manifest(m.to_string().as_bytes(), &limits).unwrap_err();
        assert!(e.message.contains("over the"), "{e}");
        let mut m: serde_json::Value = serde_json::from_slice(&a.manifest).unwrap();
        let layer = m["layers"][0].clone();
        m["layers"] = serde_json::json!([layer.clone(), layer]);
        let e = check_manifest(m.to_string().as_bytes(), &limits).unwrap_err();
        assert!(e.message.contains("exactly one layer"), "{e}");
        // A sidecar digest that does not match the module is refused at build.
        let wrong = format!(
            r#"{{"name":"echo","version":"1.0.0","sha256":"{}"}}"#,
            "0".repeat(64)
        );
        assert!(Artifact::build(wrong.as_bytes(), b"\0asm".to_vec()).is_err());
    }
}
