//! OCI image layouts on disk.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use caplet_core::Digest;

use super::reference::valid_tag;
use super::store::write_atomic;
use super::{
    assemble, check_manifest, err, fetch_err, parse_digest, parse_index_raw, verify_blob, Artifact,
    Descriptor, ImageIndex, OciError, OciLimits, OCI_INDEX, OCI_MANIFEST, REF_NAME,
};

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
