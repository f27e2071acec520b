//! The filesystem service: host directories mapped to guest paths.
//!
//! The operator maps directories with `--dir HOST::GUEST[:ro]`. Each mapping is opened
//! once, as a [`cap_std::fs::Dir`], when the service is built; every guest path is then
//! walked *beneath* that directory handle one component at a time, never by joining
//! strings onto a host path, and **no symlink is followed**, wherever it points:
//!
//! - the capability scopes (`fs:read:<glob>`, `fs:write:<glob>`) are checked by the core
//!   on the guest path; a symlink inside a mapping would lead the host to a file
//!   whose guest path the scope never saw (`/data/public/link -> ../secret/key`), so
//!   a path through a symlink is refused with `PERMISSION_DENIED`, escaping or not;
//! - each component is opened with `O_NOFOLLOW` semantics (`cap-fs-ext`), so the
//!   refusal holds even if the tree changes between the check and the open;
//! - `..`, absolute paths, loops and trailing-slash tricks never reach the host: the
//!   core normalises the guest path and `cap-std` keeps every open beneath the handle.
//!
//! On top of that:
//! - only regular files are read or replaced: a FIFO, socket or device is refused
//!   (`INVALID_INPUT`) without blocking (files are opened with `O_NONBLOCK`);
//! - a file with more than one hard link is refused (`PERMISSION_DENIED`) for reads
//!   and writes: a hard link is the one way a file outside the mapping can appear
//!   inside it, and beneath-only resolution cannot see it;
//! - a write replaces the file atomically (a temporary file in the same directory,
//!   `fsync`, `rename`, `fsync` of the directory), keeping its permissions;
//! - a read-only mapping (`:ro`) refuses every write (create, truncate, replace);
//! - reads are capped by the caller's `max` before the file is read.

use std::io::{self, Read, Write};
use std::path::PathBuf;

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt};
use cap_std::fs::{Dir, MetadataExt, OpenOptions, OpenOptionsExt};
use caplet_core::abi::normalize_guest_path;
use caplet_core::platform::{DirEntry, Filesystem};
use caplet_core::Code;

/// One mapping of a host directory to a guest path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mount {
    /// The host directory.
    pub host: PathBuf,
    /// The absolute, normalised guest path it appears at.
    pub guest: String,
    /// `true` for `:ro`: every write is refused.
    pub read_only: bool,
}

impl Mount {
    /// Parses `HOST::GUEST`, `HOST::GUEST:ro` or `HOST::GUEST:rw`.
    pub fn parse(spec: &str) -> Result<Mount, String> {
        let (host, guest) = spec
            .split_once("::")
            .ok_or_else(|| format!("`{spec}` is not HOST::GUEST[:ro]"))?;
        let (guest, read_only) = if let Some(g) = guest.strip_suffix(":ro") {
            (g, true)
        } else if let Some(g) = guest.strip_suffix(":rw") {
            (g, false)
        } else {
            (guest, false)
        };
        if host.is_empty() {
            return Err(format!("`{spec}`: the host directory is empty"));
        }
        if !guest.starts_with('/') {
            return Err(format!(
                "`{spec}`: the guest path `{guest}` must be absolute (start with /)"
            ));
        }
        let guest = normalize_guest_path(guest)
            .map_err(|_| format!("`{spec}`: `{guest}` is not a valid guest path"))?;
        Ok(Mount {
            host: PathBuf::from(host),
            guest,
            read_only,
        })
    }

    /// The path beneath this mount for `guest_path`, if the mount covers it
    /// (`""` for the mount point itself).
    fn relative<'p>(&self, guest_path: &'p str) -> Option<&'p str> {
        if self.guest == "/" {
            return Some(guest_path.trim_start_matches('/'));
        }
        let rest = guest_path.strip_prefix(self.guest.as_str())?;
        if rest.is_empty() {
            Some("")
        } else {
            rest.strip_prefix('/')
        }
    }
}

struct Opened {
    mount: Mount,
    dir: Dir,
}

/// The std [`Filesystem`]: the operator's mappings, opened beneath-only.
pub struct StdFs {
    mounts: Vec<Opened>,
}

impl std::fmt::Debug for StdFs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.mounts.iter().map(|m| &m.mount))
            .finish()
    }
}

/// Why the filesystem service could not be built.
#[derive(Debug)]
pub struct MountError {
    /// The mapping.
    pub mount: Mount,
    /// What went wrong.
    pub error: io::Error,
}

impl std::fmt::Display for MountError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "cannot map {} to {}: {}",
            self.mount.host.display(),
            self.mount.guest,
            self.error
        )
    }
}

impl std::error::Error for MountError {}

impl StdFs {
    /// Opens every mapping's host directory now. Two mappings at the same guest path
    /// are refused.
    pub fn new(mounts: impl IntoIterator<Item = Mount>) -> Result<StdFs, MountError> {
        let mut opened: Vec<Opened> = Vec::new();
        for mount in mounts {
            if opened.iter().any(|o| o.mount.guest == mount.guest) {
                return Err(MountError {
                    error: io::Error::new(
                        io::ErrorKind::AlreadyExists,
                        "another directory is already mapped there",
                    ),
                    mount,
                });
            }
            match Dir::open_ambient_dir(&mount.host, cap_std::ambient_authority()) {
                Ok(dir) => opened.push(Opened { mount, dir }),
                Err(error) => return Err(MountError { mount, error }),
            }
        }
        // Longest guest prefix first, so `/data/cache` wins over `/data`.
        opened.sort_by_key(|o| std::cmp::Reverse(o.mount.guest.len()));
        Ok(StdFs { mounts: opened })
    }

    /// A service with no mappings: every path is `NOT_FOUND`.
    pub fn empty() -> StdFs {
        StdFs { mounts: Vec::new() }
    }

    /// The mappings, longest guest path first.
    pub fn mounts(&self) -> impl Iterator<Item = &Mount> {
        self.mounts.iter().map(|o| &o.mount)
    }

    fn resolve<'p>(&self, guest_path: &'p str) -> Result<(&Opened, &'p str), Code> {
        self.mounts
            .iter()
            .find_map(|o| o.mount.relative(guest_path).map(|rel| (o, rel)))
            .ok_or(Code::NotFound)
    }
}

/// Maps an I/O error to the contract's codes. Escapes (`cap-std` reports them as
/// permission errors) and symlink loops never become `IO`.
pub(crate) fn code_of(e: &io::Error) -> Code {
    match e.kind() {
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory => Code::NotFound,
        io::ErrorKind::PermissionDenied | io::ErrorKind::ReadOnlyFilesystem => {
            Code::PermissionDenied
        }
        io::ErrorKind::IsADirectory | io::ErrorKind::InvalidInput => Code::InvalidInput,
        io::ErrorKind::FileTooLarge | io::ErrorKind::StorageFull => Code::Limit,
        _ => match e.raw_os_error() {
            // ELOOP: a symlink loop, or a symlink where none may be followed.
            Some(40) => Code::NotFound,
            // ENAMETOOLONG
            Some(36) => Code::InvalidInput,
            _ => Code::Io,
        },
    }
}

/// Refuses `name` in `dir` if it is a symlink.
fn no_symlink(dir: &Dir, name: &str) -> Result<(), Code> {
    match dir.symlink_metadata(name) {
        Ok(m) if m.file_type().is_symlink() => Err(Code::PermissionDenied),
        Ok(_) => Ok(()),
        Err(e) => Err(code_of(&e)),
    }
}

/// Opens directory `rel` beneath `root`, one component at a time, following no
/// symlink.
fn walk(root: &Dir, rel: &str) -> Result<Dir, Code> {
    let mut cur = root.try_clone().map_err(|e| code_of(&e))?;
    for comp in rel.split('/').filter(|c| !c.is_empty()) {
        no_symlink(&cur, comp)?;
        cur = cur.open_dir_nofollow(comp).map_err(|e| code_of(&e))?;
    }
    Ok(cur)
}

/// Splits `a/b/c` into (`a/b`, `c`).
fn split(rel: &str) -> (&str, &str) {
    match rel.rsplit_once('/') {
        Some((p, n)) => (p, n),
        None => ("", rel),
    }
}

impl Filesystem for StdFs {
    fn read(&self, path: &str, max: usize) -> Result<Vec<u8>, Code> {
        let (m, rel) = self.resolve(path)?;
        if rel.is_empty() {
            return Err(Code::InvalidInput);
        }
        let (parent_rel, name) = split(rel);
        let parent = walk(&m.dir, parent_rel)?;
        no_symlink(&parent, name)?;
        let file = parent
            .open_with(
                name,
                OpenOptions::new()
                    .read(true)
                    .follow(FollowSymlinks::No)
                    .custom_flags(libc::O_NONBLOCK),
            )
            .map_err(|e| code_of(&e))?;
        let meta = file.metadata().map_err(|e| code_of(&e))?;
        if !meta.is_file() {
            // A directory, FIFO, socket or device.
            return Err(Code::InvalidInput);
        }
        if meta.nlink() > 1 {
            return Err(Code::PermissionDenied);
        }
        if meta.len() > max as u64 {
            return Err(Code::Limit);
        }
        let mut bytes = Vec::with_capacity(meta.len() as usize);
        // The file may grow between the stat and the read: read one byte past the cap.
        file.take(max as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| code_of(&e))?;
        if bytes.len() > max {
            return Err(Code::Limit);
        }
        Ok(bytes)
    }

    fn write(&self, path: &str, data: &[u8]) -> Result<(), Code> {
        let (m, rel) = self.resolve(path)?;
        if m.mount.read_only {
            return Err(Code::PermissionDenied);
        }
        if rel.is_empty() {
            return Err(Code::InvalidInput);
        }
        let (parent_rel, name) = split(rel);
        let parent = walk(&m.dir, parent_rel)?;
        let permissions = match parent.symlink_metadata(name) {
            Ok(meta) if meta.file_type().is_symlink() => return Err(Code::PermissionDenied),
            Ok(meta) if !meta.is_file() => return Err(Code::InvalidInput),
            Ok(meta) if meta.nlink() > 1 => return Err(Code::PermissionDenied),
            Ok(meta) => Some(meta.permissions()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(code_of(&e)),
        };
        let tmp = crate::files::temp_name(name);
        let mut file = parent
            .open_with(&tmp, OpenOptions::new().write(true).create_new(true))
            .map_err(|e| code_of(&e))?;
        // A replaced file keeps its permissions.
        let written = permissions
            .map_or(Ok(()), |p| file.set_permissions(p))
            .and_then(|()| file.write_all(data))
            .and_then(|()| file.sync_all())
            .and_then(|()| parent.rename(&tmp, &parent, name));
        if let Err(e) = written {
            let _ = parent.remove_file(&tmp);
            return Err(code_of(&e));
        }
        // Make the rename itself durable.
        if let Ok(d) = parent.open(".") {
            let _ = d.sync_all();
        }
        Ok(())
    }

    fn list(&self, path: &str, max_entries: usize) -> Result<Vec<DirEntry>, Code> {
        let (m, rel) = self.resolve(path)?;
        let (parent_rel, name) = split(rel);
        if !name.is_empty() {
            let parent = walk(&m.dir, parent_rel)?;
            match parent.symlink_metadata(name) {
                Ok(meta) if meta.file_type().is_symlink() => return Err(Code::PermissionDenied),
                Ok(meta) if !meta.is_dir() => return Err(Code::InvalidInput),
                Ok(_) => {}
                Err(e) => return Err(code_of(&e)),
            }
        }
        let dir = walk(&m.dir, rel)?;
        let entries = dir.entries().map_err(|e| code_of(&e))?;
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| code_of(&e))?;
            if out.len() == max_entries {
                return Err(Code::Limit);
            }
            let ft = entry.file_type().map_err(|e| code_of(&e))?;
            let (kind, size) = if ft.is_symlink() {
                ("symlink", 0)
            } else if ft.is_dir() {
                ("dir", 0)
            } else if ft.is_file() {
                ("file", entry.metadata().map(|md| md.len()).unwrap_or(0))
            } else {
                ("other", 0)
            };
            out.push(DirEntry {
                name: entry.file_name().to_string_lossy().into_owned(),
                kind,
                size,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_specs_parse() {
        let m = Mount::parse("./data::/data").unwrap();
        assert_eq!(m.host, PathBuf::from("./data"));
        assert_eq!(m.guest, "/data");
        assert!(!m.read_only);
        let m = Mount::parse("/srv/x::/in/./y/:ro").unwrap();
        assert_eq!(m.guest, "/in/y");
        assert!(m.read_only);
        assert!(!Mount::parse("/srv/x::/y:rw").unwrap().read_only);
        for bad in ["/srv", "::/x", "/srv::rel", "/srv::/../x"] {
            assert!(Mount::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn mounts_cover_their_subtree_only() {
        let m = Mount::parse("/h::/data").unwrap();
        assert_eq!(m.relative("/data"), Some(""));
        assert_eq!(m.relative("/data/a/b"), Some("a/b"));
        assert_eq!(m.relative("/database"), None);
        assert_eq!(m.relative("/"), None);
        let root = Mount::parse("/h::/").unwrap();
        assert_eq!(root.relative("/x/y"), Some("x/y"));
        assert_eq!(root.relative("/"), Some(""));
    }
}
