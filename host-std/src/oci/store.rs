//! The local content-addressed store.

use std::path::{Path, PathBuf};

use caplet_core::Digest;

use super::{
    assemble, check_manifest, fetch_err, parse_digest, Artifact, OciError, OciLimits, Reference,
};

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

pub(super) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OciError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| OciError(format!("{}: {e}", dir.display())))?;
    crate::files::write_atomic(path, bytes)
        .or_else(|e| fetch_err(format!("cannot write {}: {e}", path.display())))
}
