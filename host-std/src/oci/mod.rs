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
//!
//! # Where things are
//!
//! `reference` parses registry references; `auth` holds credentials and answers the
//! registry's challenge; `client` speaks the distribution API; `store` is the local
//! content-addressed store; `layout` reads and writes image layouts. The checks they
//! share ([`check_manifest`], blob verification, assembling an [`Artifact`]) are here.

mod auth;
mod client;
mod layout;
mod reference;
mod store;

pub use auth::Credentials;
pub(crate) use client::{declared_length, download_agent};
pub use client::{Client, ClientConfig};
pub use layout::{parse_layout_ref, Layout};
pub use reference::Reference;
pub use store::Store;

use std::collections::BTreeMap;

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
/// The annotation carrying a sidecar signature of the module (`caplet sign
/// --sidecar`): the 97 bytes, base64. An embedded signature travels in the module.
pub const CAPLET_SIGNATURE_ANNOTATION: &str = "dev.caplet.signature";
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

/// Pins the artifact's Caplet manifest to the module it carries: its `sha256`
/// becomes `module`'s digest and its `module` path goes. `Err(expected)` when the
/// manifest already names another digest.
fn pin_module(caplet: &mut Manifest, module: Digest) -> Result<(), Digest> {
    match caplet.sha256 {
        Some(expected) if expected != module => Err(expected),
        _ => {
            caplet.sha256 = Some(module);
            caplet.module = None;
            Ok(())
        }
    }
}

impl Artifact {
    /// Builds the artifact for a module and the text of its Caplet manifest.
    pub fn build(caplet_manifest: &[u8], module: Vec<u8>) -> Result<Artifact, OciError> {
        Artifact::build_signed(caplet_manifest, module, None)
    }

    /// [`Artifact::build`] with a sidecar signature of the module, carried in the
    /// annotation [`CAPLET_SIGNATURE_ANNOTATION`]. The signature must be a valid
    /// signature of this module by the key it names; which keys a host trusts is
    /// decided where it runs the plugin (`caplet run --trusted-key`).
    pub fn build_signed(
        caplet_manifest: &[u8],
        module: Vec<u8>,
        signature: Option<&[u8]>,
    ) -> Result<Artifact, OciError> {
        let mut caplet = Manifest::parse(caplet_manifest)
            .map_err(|e| OciError(format!("the Caplet manifest is invalid: {e}")))?;
        let module_digest = Digest::of(&module);
        if let Err(expected) = pin_module(&mut caplet, module_digest) {
            return err(format!(
                "the module's digest is {module_digest}, the Caplet manifest expects {expected}"
            ));
        }
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
        if let Some(sig) = signature {
            let signer = caplet_core::signature::Signature::decode(sig)
                .map_err(|e| OciError(format!("the signature: {e}")))?
                .key;
            let trust = caplet_core::Trust::keys(vec![signer]);
            caplet_core::signature::check(&module, &module_digest, Some(sig), &trust)
                .map_err(|e| OciError(format!("the signature does not sign this module: {e}")))?;
            annotations.insert(
                CAPLET_SIGNATURE_ANNOTATION.to_string(),
                base64::engine::general_purpose::STANDARD.encode(sig),
            );
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

    /// The sidecar signature the artifact carries in the annotation
    /// [`CAPLET_SIGNATURE_ANNOTATION`], if any (not verified here: a load that
    /// requires trust does that). A malformed annotation is an error, not `None`.
    pub fn signature(&self) -> Result<Option<Vec<u8>>, OciError> {
        let m: ImageManifest = serde_json::from_slice(&self.manifest)
            .map_err(|e| OciError(format!("the OCI manifest is not valid JSON: {e}")))?;
        let Some(text) = m
            .annotations
            .as_ref()
            .and_then(|a| a.get(CAPLET_SIGNATURE_ANNOTATION))
        else {
            return Ok(None);
        };
        // A signature is 97 bytes; its base64 is 132 characters.
        if text.len() > 256 {
            return err(format!(
                "the annotation {CAPLET_SIGNATURE_ANNOTATION} is {} bytes long, not a signature",
                text.len()
            ));
        }
        base64::engine::general_purpose::STANDARD
            .decode(text.trim())
            .map(Some)
            .map_err(|e| {
                OciError(format!(
                    "the annotation {CAPLET_SIGNATURE_ANNOTATION} is not base64: {e}"
                ))
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
    if let Err(expected) = pin_module(&mut caplet, module_digest) {
        return err(format!(
            "the Caplet manifest expects module {expected}, the layer is {module_digest}"
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The signature annotation: absent is `None`; present, it is decoded; too
    /// long or not base64, it is an error naming the annotation; a signature that
    /// is not 97 bytes is refused at build.
    #[test]
    fn the_signature_annotation_is_read_and_checked() {
        let caplet = br#"{"name":"echo","version":"1.2.3"}"#;
        let a = Artifact::build(caplet, b"\0asm\x01\0\0\0".to_vec()).unwrap();
        assert_eq!(a.signature().unwrap(), None);
        let with = |value: &str| {
            let mut m: serde_json::Value = serde_json::from_slice(&a.manifest).unwrap();
            m["annotations"][CAPLET_SIGNATURE_ANNOTATION] = value.into();
            Artifact {
                manifest: m.to_string().into_bytes(),
                ..a.clone()
            }
        };
        assert_eq!(with("AQID").signature().unwrap(), Some(vec![1, 2, 3]));
        for (value, want) in [
            ("not base64!", "not base64"),
            (&"A".repeat(300)[..], "300 bytes"),
        ] {
            let e = with(value).signature().unwrap_err();
            assert!(
                e.message.contains(CAPLET_SIGNATURE_ANNOTATION) && e.message.contains(want),
                "{e}"
            );
        }
        let e = Artifact::build_signed(caplet, a.module.clone(), Some(&[1, 2, 3])).unwrap_err();
        assert!(e.message.contains("the signature"), "{e}");
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
