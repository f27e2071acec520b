//! `fs:read:<path-glob>`, `fs:write:<path-glob>`: files beneath the operator's
//! mapped directories, by guest path.

use alloc::string::String;
use alloc::vec::Vec;

use super::{capped, Services};
use crate::capability::Kind;
use crate::error::Code;
use crate::platform::{DirEntry, FileStat, Filesystem, FsError, OpenFile, OpenFlags, SetTime};
use alloc::boxed::Box;

/// What a plugin has written beneath its mappings, against
/// [`Limits::write_quota_bytes`](crate::Limits::write_quota_bytes) and
/// [`Limits::write_quota_files`](crate::Limits::write_quota_files). Shared by every
/// instance of a loaded plugin.
/// A lock rather than atomics: 32-bit boards (thumbv7em) have no 64-bit atomics.
#[derive(Debug, Default)]
pub struct WriteQuota {
    used: spin::Mutex<(u64, u32)>,
}

impl WriteQuota {
    /// Bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.used.lock().0
    }

    /// Files created so far.
    pub fn files(&self) -> u32 {
        self.used.lock().1
    }
}

/// Entries one directory listing may return.
pub const MAX_LIST_ENTRIES: usize = 10_000;

/// Normalises an absolute guest path: resolves `.` and `..`, collapses `//`.
/// `..` above `/` is refused with `PERMISSION_DENIED`; relative paths and NUL bytes
/// with `INVALID_INPUT`.
pub fn normalize_guest_path(path: &str) -> Result<String, Code> {
    if !path.starts_with('/') || path.contains('\0') || path.contains('\\') {
        return Err(Code::InvalidInput);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop().ok_or(Code::PermissionDenied)?;
            }
            p => parts.push(p),
        }
    }
    let mut out = String::with_capacity(path.len());
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

impl Services {
    /// The filesystem that holds normalised guest `path`: the plugin's scratch
    /// directory (`fs:temp`) beneath its directory, the platform's otherwise.
    pub(crate) fn filesystem_for(&self, path: &str) -> Result<&dyn Filesystem, Code> {
        match self.grants.scratch_dir_of(path) {
            // Every `fs:temp` grant got its filesystem at load; a path the grant
            // admits never falls through to the platform's mappings.
            Some(dir) => self
                .scratch
                .iter()
                .find(|(d, _)| d == dir)
                .map(|(_, fs)| fs.as_ref())
                .ok_or(Code::Internal),
            None => self.platform.fs.as_deref().ok_or(Code::Unsupported),
        }
    }

    /// Normalises `path` and checks it against the grants of `kind`.
    fn fs_path(&self, kind: Kind, path: &str) -> Result<(String, &dyn Filesystem), Code> {
        capped(path.len(), self.limits.max_name_bytes)?;
        let path = normalize_guest_path(path)?;
        self.check(kind, &path)?;
        let fs = self.filesystem_for(&path)?;
        Ok((path, fs))
    }

    /// The bytes of the file at guest `path` (capped by `max_host_result_bytes`).
    pub fn fs_read(&self, path: &str) -> Result<Vec<u8>, Code> {
        let (path, fs) = self.fs_path(Kind::FsRead, path)?;
        fs.read(&path, self.limits.max_host_result_bytes as usize)
    }

    /// Creates or replaces the file at guest `path`.
    pub fn fs_write(&self, path: &str, data: &[u8]) -> Result<(), Code> {
        capped(data.len(), self.limits.max_host_result_bytes)?;
        let (path, fs) = self.fs_path(Kind::FsWrite, path)?;
        let new = matches!(fs.stat(&path, false), Err(FsError::Code(Code::NotFound)));
        self.charge_write(data.len() as u64, u32::from(new))?;
        fs.write(&path, data)
    }

    /// Charges `bytes` written and `files` created to the plugin's write quota;
    /// `LIMIT` (and nothing charged) when either would go over.
    pub fn charge_write(&self, bytes: u64, files: u32) -> Result<(), Code> {
        let mut used = self.written.used.lock();
        let new_bytes = used
            .0
            .checked_add(bytes)
            .filter(|t| *t <= self.limits.write_quota_bytes)
            .ok_or(Code::Limit)?;
        let new_files = used
            .1
            .checked_add(files)
            .filter(|t| *t <= self.limits.write_quota_files)
            .ok_or(Code::Limit)?;
        *used = (new_bytes, new_files);
        Ok(())
    }

    /// The write quota used so far.
    pub fn write_quota(&self) -> &WriteQuota {
        &self.written
    }

    /// The entries of the directory at guest `path`.
    pub fn fs_list(&self, path: &str) -> Result<Vec<DirEntry>, Code> {
        let (path, fs) = self.fs_path(Kind::FsRead, path)?;
        fs.list(&path, MAX_LIST_ENTRIES)
    }
}

/// The handle-based operations of WASI. The scope is checked on the normalised
/// guest path: `fs:write` for anything that creates, changes or removes,
/// `fs:read` otherwise.
impl Services {
    fn fs_at(&self, kind: Kind, path: &str) -> Result<&dyn Filesystem, FsError> {
        capped(path.len(), self.limits.max_name_bytes)?;
        self.check(kind, path)?;
        let fs = self.filesystem_for(path)?;
        // These operations follow symbolic links within a mapping: a scope
        // narrower than the mapping could be left through a link, so it does not
        // admit them (contract v1's whole-file imports follow no link and honour
        // any scope).
        if let Some(mount) = fs.mount_point(path) {
            if !self.grants.covers_tree(kind, &mount) {
                self.deny(kind, path)?;
            }
        }
        Ok(fs)
    }

    /// Opens `path` (normalised).
    pub fn fs_open(&self, path: &str, flags: OpenFlags) -> Result<Box<dyn OpenFile>, FsError> {
        let kind = if flags.write || flags.create || flags.truncate || flags.append {
            Kind::FsWrite
        } else {
            Kind::FsRead
        };
        if kind == Kind::FsWrite && flags.read {
            self.check(Kind::FsRead, path)?;
        }
        let fs = self.fs_at(kind, path)?;
        if flags.create && matches!(fs.stat(path, false), Err(FsError::Code(Code::NotFound))) {
            self.charge_write(0, 1)?;
        }
        fs.open(path, flags)
    }

    /// Metadata of `path`.
    pub fn fs_stat(&self, path: &str, follow: bool) -> Result<FileStat, FsError> {
        self.fs_at(Kind::FsRead, path)?.stat(path, follow)
    }

    /// Changes the times of `path`.
    pub fn fs_set_times(
        &self,
        path: &str,
        follow: bool,
        atim: SetTime,
        mtim: SetTime,
    ) -> Result<(), FsError> {
        self.fs_at(Kind::FsWrite, path)?
            .set_times(path, follow, atim, mtim)
    }

    /// Creates the directory `path`.
    pub fn fs_create_dir(&self, path: &str) -> Result<(), FsError> {
        let fs = self.fs_at(Kind::FsWrite, path)?;
        self.charge_write(0, 1)?;
        fs.create_dir(path)
    }

    /// Removes the empty directory `path`.
    pub fn fs_remove_dir(&self, path: &str) -> Result<(), FsError> {
        self.fs_at(Kind::FsWrite, path)?.remove_dir(path)
    }

    /// Removes the file `path`.
    pub fn fs_remove_file(&self, path: &str) -> Result<(), FsError> {
        self.fs_at(Kind::FsWrite, path)?.remove_file(path)
    }

    /// Renames `from` to `to`.
    pub fn fs_rename(&self, from: &str, to: &str) -> Result<(), FsError> {
        let source = self.fs_at(Kind::FsWrite, from)?;
        let fs = self.fs_at(Kind::FsWrite, to)?;
        same_filesystem(source, fs)?;
        fs.rename(from, to)
    }

    /// Links `to` to the file `from`. Writes through the new name change the file
    /// at `from`, so both need `fs:write`.
    pub fn fs_hard_link(&self, from: &str, to: &str, follow: bool) -> Result<(), FsError> {
        let source = self.fs_at(Kind::FsWrite, from)?;
        let fs = self.fs_at(Kind::FsWrite, to)?;
        same_filesystem(source, fs)?;
        self.charge_write(0, 1)?;
        fs.hard_link(from, to, follow)
    }

    /// Creates the symbolic link `path` with text `target`.
    pub fn fs_symlink(&self, target: &str, path: &str) -> Result<(), FsError> {
        capped(target.len(), self.limits.max_name_bytes)?;
        let fs = self.fs_at(Kind::FsWrite, path)?;
        self.charge_write(target.len() as u64, 1)?;
        fs.symlink(target, path)
    }

    /// The text of the symbolic link `path`.
    pub fn fs_read_link(&self, path: &str) -> Result<String, FsError> {
        self.fs_at(Kind::FsRead, path)?.read_link(path)
    }
}

/// `CrossDevice` between a scratch directory and a mapping (or two scratch
/// directories): neither filesystem knows the other's paths.
fn same_filesystem(a: &dyn Filesystem, b: &dyn Filesystem) -> Result<(), FsError> {
    if core::ptr::addr_eq(a as *const dyn Filesystem, b as *const dyn Filesystem) {
        Ok(())
    } else {
        Err(FsError::CrossDevice)
    }
}
