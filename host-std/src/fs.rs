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
//!
//! The handle-based operations of WASI (`open`, `stat`, `rename`, …) differ in one
//! way: symbolic links are followed (the last component only when asked), but only
//! *beneath the mapping that holds the path*. `cap-std` resolves every path beneath
//! the mapping's handle (`openat2(RESOLVE_BENEATH)` or its own walk) and refuses an
//! absolute link or a `..` that climbs out with `PERMISSION_DENIED`. They keep the
//! rest: special files are refused without blocking (`O_NONBLOCK`, then the type of
//! the open handle is checked), a read-only mapping refuses every change, the mount
//! point cannot be removed or renamed, and `rename`/`hard_link` between two mappings
//! are `CrossDevice`. A symbolic link the guest creates must have a relative target.

use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt, SystemTimeSpec};
use cap_std::fs::{Dir, FileTypeExt, Metadata, MetadataExt, OpenOptions, OpenOptionsExt};
use caplet_core::abi::normalize_guest_path;
use caplet_core::platform::{
    DirEntry, DirRecord, FileStat, FileType, Filesystem, FsError, OpenFile, OpenFlags, SetTime,
    Whence,
};
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
        relative(&self.guest, guest_path)
    }
}

/// The path beneath guest directory `dir` for `guest_path`, if `dir` holds it
/// (`""` for `dir` itself).
fn relative<'p>(dir: &str, guest_path: &'p str) -> Option<&'p str> {
    if dir == "/" {
        return Some(guest_path.trim_start_matches('/'));
    }
    let rest = guest_path.strip_prefix(dir)?;
    if rest.is_empty() {
        Some("")
    } else {
        rest.strip_prefix('/')
    }
}

/// A private scratch directory (`fs:temp`), created on first use in the host's
/// temporary directory (`TMPDIR`, mode 0700, a random name) and removed with
/// everything in it when its [`StdFs`] is dropped.
struct Scratch {
    guest: String,
    cell: OnceLock<(tempfile::TempDir, Opened)>,
}

/// The name prefix of scratch directories in the host's temporary directory.
pub const SCRATCH_PREFIX: &str = "caplet-scratch-";

struct Opened {
    mount: Mount,
    dir: Dir,
}

/// The std [`Filesystem`]: the operator's mappings, opened beneath-only.
pub struct StdFs {
    mounts: Vec<Opened>,
    /// Set on the filesystem of one scratch directory ([`Filesystem::scratch`]).
    scratch: Option<Scratch>,
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
        Ok(StdFs {
            mounts: opened,
            scratch: None,
        })
    }

    /// A service with no mappings: every path is `NOT_FOUND`.
    pub fn empty() -> StdFs {
        StdFs {
            mounts: Vec::new(),
            scratch: None,
        }
    }

    /// The filesystem of one private scratch directory at guest directory `dir`
    /// (what [`Filesystem::scratch`] returns): nothing exists on the host until
    /// the first path beneath `dir` is used.
    pub fn new_scratch(dir: &str) -> StdFs {
        StdFs {
            mounts: Vec::new(),
            scratch: Some(Scratch {
                guest: dir.to_string(),
                cell: OnceLock::new(),
            }),
        }
    }

    /// The host directory of the scratch directory, once created (for tests and
    /// diagnostics).
    pub fn scratch_host_dir(&self) -> Option<&std::path::Path> {
        self.scratch
            .as_ref()
            .and_then(|s| s.cell.get())
            .map(|(tmp, _)| tmp.path())
    }

    /// The scratch directory's mapping, created now if it was not yet.
    fn scratch_opened(s: &Scratch) -> Result<&Opened, Code> {
        if let Some((_, o)) = s.cell.get() {
            return Ok(o);
        }
        let tmp = tempfile::Builder::new()
            .prefix(SCRATCH_PREFIX)
            .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .tempdir()
            .map_err(|e| code_of(&e))?;
        let dir = Dir::open_ambient_dir(tmp.path(), cap_std::ambient_authority())
            .map_err(|e| code_of(&e))?;
        let opened = Opened {
            mount: Mount {
                host: tmp.path().to_path_buf(),
                guest: s.guest.clone(),
                read_only: false,
            },
            dir,
        };
        // Two first uses racing: one directory wins, the other is dropped
        // (removed) right here.
        let _ = s.cell.set((tmp, opened));
        s.cell.get().map(|(_, o)| o).ok_or(Code::Internal)
    }

    /// The mappings, longest guest path first.
    pub fn mounts(&self) -> impl Iterator<Item = &Mount> {
        self.mounts.iter().map(|o| &o.mount)
    }

    fn resolve<'p>(&self, guest_path: &'p str) -> Result<(&Opened, &'p str), Code> {
        if let Some(s) = &self.scratch {
            return match relative(&s.guest, guest_path) {
                Some(rel) => Self::scratch_opened(s).map(|o| (o, rel)),
                None => Err(Code::NotFound),
            };
        }
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

// ---------------------------------------------------------------------------
// Handle-based operations (WASI).
//
// Unlike contract v1 above, these follow symbolic links, but only beneath the
// mapping that holds the path: every path is resolved by `cap-std` beneath the
// mapping's `Dir` (`openat2(RESOLVE_BENEATH)` or its manual walk), which refuses
// an absolute link or a `..` climbing out with a permission error.
// ---------------------------------------------------------------------------

/// Maps an I/O error to the POSIX-level [`FsError`]. `cap-std`'s refusals of an
/// escape carry no errno and `PermissionDenied` as kind: they become
/// `PERMISSION_DENIED`.
pub(crate) fn fs_err(e: &io::Error) -> FsError {
    if let Some(errno) = e.raw_os_error() {
        return match errno {
            libc::ENOENT => FsError::Code(Code::NotFound),
            libc::EEXIST => FsError::Exists,
            libc::ENOTDIR => FsError::NotDir,
            libc::EISDIR => FsError::IsDir,
            libc::ENOTEMPTY => FsError::NotEmpty,
            libc::ELOOP => FsError::Loop,
            libc::EINVAL => FsError::Invalid,
            libc::ENAMETOOLONG => FsError::NameTooLong,
            libc::EFBIG => FsError::TooBig,
            libc::EXDEV => FsError::CrossDevice,
            libc::EPERM | libc::EACCES | libc::EROFS => FsError::Code(Code::PermissionDenied),
            libc::ESPIPE => FsError::SeekPipe,
            libc::EBADF => FsError::BadDescriptor,
            _ => FsError::Code(Code::Io),
        };
    }
    match e.kind() {
        io::ErrorKind::NotFound => FsError::Code(Code::NotFound),
        io::ErrorKind::AlreadyExists => FsError::Exists,
        io::ErrorKind::PermissionDenied => FsError::Code(Code::PermissionDenied),
        io::ErrorKind::InvalidInput => FsError::Invalid,
        io::ErrorKind::NotADirectory => FsError::NotDir,
        io::ErrorKind::IsADirectory => FsError::IsDir,
        io::ErrorKind::DirectoryNotEmpty => FsError::NotEmpty,
        io::ErrorKind::FileTooLarge => FsError::TooBig,
        io::ErrorKind::CrossesDevices => FsError::CrossDevice,
        _ => FsError::Code(Code::Io),
    }
}

fn fse(e: io::Error) -> FsError {
    fs_err(&e)
}

const DENIED: FsError = FsError::Code(Code::PermissionDenied);

/// The path to hand to `cap-std` for `rel` (`.` for the mount point itself).
fn target(rel: &str) -> &str {
    if rel.is_empty() {
        "."
    } else {
        rel
    }
}

/// A FIFO, socket or device: never opened for a guest.
fn is_special(ft: &cap_std::fs::FileType) -> bool {
    ft.is_fifo() || ft.is_socket() || ft.is_char_device() || ft.is_block_device()
}

fn file_type(ft: &cap_std::fs::FileType) -> FileType {
    if ft.is_symlink() {
        FileType::SymbolicLink
    } else if ft.is_dir() {
        FileType::Directory
    } else if ft.is_file() {
        FileType::RegularFile
    } else if ft.is_char_device() {
        FileType::CharacterDevice
    } else if ft.is_block_device() {
        FileType::BlockDevice
    } else if ft.is_socket() {
        FileType::SocketStream
    } else {
        // FIFOs and anything else.
        FileType::Unknown
    }
}

/// Seconds and nanoseconds to ns since the epoch, clamped to `u64` (0 before 1970).
fn ns(secs: i64, nsec: i64) -> u64 {
    let t = i128::from(secs) * 1_000_000_000 + i128::from(nsec);
    u64::try_from(t.max(0)).unwrap_or(u64::MAX)
}

fn file_stat(m: &Metadata) -> FileStat {
    FileStat {
        dev: m.dev(),
        ino: m.ino(),
        filetype: file_type(&m.file_type()),
        nlink: m.nlink(),
        size: m.size(),
        atim: ns(m.atime(), m.atime_nsec()),
        mtim: ns(m.mtime(), m.mtime_nsec()),
        ctim: ns(m.ctime(), m.ctime_nsec()),
    }
}

fn std_stat(file: &std::fs::File) -> Result<FileStat, FsError> {
    Metadata::from_file(file)
        .map(|m| file_stat(&m))
        .map_err(fse)
}

/// `ns` since the epoch as a `SystemTime`.
fn system_time(ns: u64) -> Result<SystemTime, FsError> {
    SystemTime::UNIX_EPOCH
        .checked_add(Duration::from_nanos(ns))
        .ok_or(FsError::Invalid)
}

fn time_spec(t: SetTime) -> Result<Option<SystemTimeSpec>, FsError> {
    Ok(match t {
        SetTime::Keep => None,
        SetTime::Now => Some(SystemTimeSpec::SymbolicNow),
        SetTime::At(n) => Some(SystemTimeSpec::Absolute(
            cap_std::time::SystemTime::from_std(system_time(n)?),
        )),
    })
}

/// Sets the times of an open file or directory (`futimens`).
fn set_fd_times(file: &std::fs::File, atim: SetTime, mtim: SetTime) -> Result<(), FsError> {
    let at = |t: SetTime| -> Result<Option<SystemTime>, FsError> {
        Ok(match t {
            SetTime::Keep => None,
            SetTime::Now => Some(SystemTime::now()),
            SetTime::At(n) => Some(system_time(n)?),
        })
    };
    let mut times = std::fs::FileTimes::new();
    let mut any = false;
    if let Some(a) = at(atim)? {
        times = times.set_accessed(a);
        any = true;
    }
    if let Some(m) = at(mtim)? {
        times = times.set_modified(m);
        any = true;
    }
    if !any {
        return Ok(());
    }
    file.set_times(times).map_err(fse)
}

/// An open regular file.
struct FileHandle {
    file: std::fs::File,
    /// Every write goes to the end (tracked here: the kernel's `O_APPEND` is
    /// never set, so `set_append` needs no `fcntl`).
    append: bool,
    read_only: bool,
}

impl OpenFile for FileHandle {
    fn stat(&self) -> Result<FileStat, FsError> {
        std_stat(&self.file)
    }

    fn read(&mut self, buf: &mut [u8]) -> Result<usize, FsError> {
        self.file.read(buf).map_err(fse)
    }

    fn write(&mut self, data: &[u8]) -> Result<usize, FsError> {
        if self.read_only {
            return Err(DENIED);
        }
        if self.append {
            self.file.seek(SeekFrom::End(0)).map_err(fse)?;
        }
        self.file.write(data).map_err(fse)
    }

    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, FsError> {
        if i64::try_from(offset).is_err() {
            return Err(FsError::Invalid);
        }
        FileExt::read_at(&self.file, buf, offset).map_err(fse)
    }

    fn write_at(&mut self, data: &[u8], offset: u64) -> Result<usize, FsError> {
        if self.read_only {
            return Err(DENIED);
        }
        if i64::try_from(offset).is_err() {
            return Err(FsError::Invalid);
        }
        FileExt::write_at(&self.file, data, offset).map_err(fse)
    }

    fn seek(&mut self, offset: i64, whence: Whence) -> Result<u64, FsError> {
        let to = match whence {
            Whence::Start => SeekFrom::Start(u64::try_from(offset).map_err(|_| FsError::Invalid)?),
            Whence::Current => SeekFrom::Current(offset),
            Whence::End => SeekFrom::End(offset),
        };
        self.file.seek(to).map_err(fse)
    }

    fn set_size(&mut self, size: u64) -> Result<(), FsError> {
        if self.read_only {
            return Err(DENIED);
        }
        self.file.set_len(size).map_err(fse)
    }

    fn set_times(&mut self, atim: SetTime, mtim: SetTime) -> Result<(), FsError> {
        if self.read_only {
            return Err(DENIED);
        }
        set_fd_times(&self.file, atim, mtim)
    }

    fn sync(&mut self, data_only: bool) -> Result<(), FsError> {
        if data_only {
            self.file.sync_data().map_err(fse)
        } else {
            self.file.sync_all().map_err(fse)
        }
    }

    fn set_append(&mut self, append: bool) -> Result<(), FsError> {
        self.append = append;
        Ok(())
    }

    fn read_dir(&mut self) -> Result<Vec<DirRecord>, FsError> {
        Err(FsError::NotDir)
    }
}

/// An open directory.
struct DirHandle {
    file: std::fs::File,
    /// The inode of `..` (the directory's own at the mount point: nothing above
    /// it is visible).
    parent_ino: u64,
    read_only: bool,
}

impl OpenFile for DirHandle {
    fn stat(&self) -> Result<FileStat, FsError> {
        std_stat(&self.file)
    }

    fn read(&mut self, _buf: &mut [u8]) -> Result<usize, FsError> {
        Err(FsError::IsDir)
    }

    fn write(&mut self, _data: &[u8]) -> Result<usize, FsError> {
        Err(FsError::IsDir)
    }

    fn read_at(&mut self, _buf: &mut [u8], _offset: u64) -> Result<usize, FsError> {
        Err(FsError::IsDir)
    }

    fn write_at(&mut self, _data: &[u8], _offset: u64) -> Result<usize, FsError> {
        Err(FsError::IsDir)
    }

    fn seek(&mut self, _offset: i64, _whence: Whence) -> Result<u64, FsError> {
        Err(FsError::IsDir)
    }

    fn set_size(&mut self, _size: u64) -> Result<(), FsError> {
        Err(FsError::IsDir)
    }

    fn set_times(&mut self, atim: SetTime, mtim: SetTime) -> Result<(), FsError> {
        if self.read_only {
            return Err(DENIED);
        }
        set_fd_times(&self.file, atim, mtim)
    }

    fn sync(&mut self, _data_only: bool) -> Result<(), FsError> {
        // `fsync` of a directory makes its entries durable (after a rename).
        self.file.sync_all().map_err(fse)
    }

    fn set_append(&mut self, _append: bool) -> Result<(), FsError> {
        Err(FsError::IsDir)
    }

    fn read_dir(&mut self) -> Result<Vec<DirRecord>, FsError> {
        let own = Metadata::from_file(&self.file).map_err(fse)?;
        let dir = Dir::from_std_file(self.file.try_clone().map_err(fse)?);
        let mut entries = Vec::new();
        for entry in dir.entries().map_err(fse)? {
            let entry = entry.map_err(fse)?;
            // `lstat`: a symlink is reported as a symlink, never followed.
            let meta = match entry.metadata() {
                Ok(m) => m,
                // Removed since the listing was read.
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(fs_err(&e)),
            };
            entries.push(DirRecord {
                name: entry.file_name().to_string_lossy().into_owned(),
                ino: meta.ino(),
                filetype: file_type(&meta.file_type()),
            });
        }
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let mut out = Vec::with_capacity(entries.len() + 2);
        out.push(DirRecord {
            name: String::from("."),
            ino: own.ino(),
            filetype: FileType::Directory,
        });
        out.push(DirRecord {
            name: String::from(".."),
            ino: self.parent_ino,
            filetype: FileType::Directory,
        });
        out.extend(entries);
        Ok(out)
    }
}

impl StdFs {
    /// The mount and relative path of `path`; `PERMISSION_DENIED` on a read-only
    /// mapping when `write`.
    fn locate<'p>(&self, path: &'p str, write: bool) -> Result<(&Opened, &'p str), FsError> {
        let (m, rel) = self.resolve(path)?;
        if write && m.mount.read_only {
            return Err(DENIED);
        }
        Ok((m, rel))
    }

    /// Like [`StdFs::locate`] for a change to the entry itself: the mount point
    /// cannot be removed or renamed.
    fn locate_entry<'p>(&self, path: &'p str) -> Result<(&Opened, &'p str), FsError> {
        let (m, rel) = self.locate(path, true)?;
        if rel.is_empty() {
            return Err(DENIED);
        }
        Ok((m, rel))
    }
}

impl Filesystem for StdFs {
    fn mount_point(&self, path: &str) -> Option<String> {
        if let Some(s) = &self.scratch {
            // Known without creating the directory.
            return relative(&s.guest, path).map(|_| s.guest.clone());
        }
        self.resolve(path).ok().map(|(o, _)| o.mount.guest.clone())
    }

    fn scratch(&self, dir: &str) -> Result<Arc<dyn Filesystem>, Code> {
        Ok(Arc::new(StdFs::new_scratch(dir)))
    }

    fn local_dir(&self, path: &str) -> Result<String, Code> {
        let (m, rel) = self.resolve(path)?;
        // Walked like every contract-v1 path: beneath the mapping, no symlink.
        walk(&m.dir, rel)?;
        let host = if rel.is_empty() {
            m.mount.host.clone()
        } else {
            m.mount.host.join(rel)
        };
        let host = std::path::absolute(&host).map_err(|e| code_of(&e))?;
        host.into_os_string()
            .into_string()
            .map_err(|_| Code::InvalidInput)
    }

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

    fn open(&self, path: &str, flags: OpenFlags) -> Result<Box<dyn OpenFile>, FsError> {
        let writes = flags.write || flags.create || flags.truncate || flags.append;
        let (m, rel) = self.locate(path, writes)?;
        let target = target(rel);
        let follow = if flags.follow {
            FollowSymlinks::Yes
        } else {
            FollowSymlinks::No
        };
        // Refuse a FIFO, socket or device before opening it (opening a device can
        // have effects); the type is checked again on the open handle below.
        let pre = if flags.follow {
            m.dir.metadata(target)
        } else {
            m.dir.symlink_metadata(target)
        };
        if let Ok(meta) = pre {
            if is_special(&meta.file_type()) {
                return Err(DENIED);
            }
        }
        let mut options = OpenOptions::new();
        // Creating or truncating needs write access (as in wasmtime); an open
        // asking for neither reads nor writes is a read-only handle.
        options.read(flags.read || !writes);
        options.write(writes);
        if flags.create {
            if flags.exclusive {
                options.create_new(true);
            } else {
                options.create(true);
            }
        }
        options.truncate(flags.truncate);
        options.follow(follow);
        // `O_NONBLOCK`: a FIFO swapped in after the check above must not block.
        let mut custom = libc::O_NONBLOCK;
        if flags.directory {
            custom |= libc::O_DIRECTORY;
        }
        options.custom_flags(custom);
        let file = match m.dir.open_with(target, &options) {
            Ok(f) => f.into_std(),
            // ENXIO: a FIFO without a reader, or a socket.
            Err(e) if e.raw_os_error() == Some(libc::ENXIO) => return Err(DENIED),
            Err(e) => return Err(fs_err(&e)),
        };
        let meta = Metadata::from_file(&file).map_err(fse)?;
        let ft = meta.file_type();
        if ft.is_dir() {
            // `..` of the mount point is itself: nothing above it is visible.
            let parent_ino = if rel.is_empty() {
                meta.ino()
            } else {
                m.dir
                    .metadata(format!("{target}/.."))
                    .map_or(meta.ino(), |p| p.ino())
            };
            return Ok(Box::new(DirHandle {
                file,
                parent_ino,
                read_only: m.mount.read_only,
            }));
        }
        if !ft.is_file() {
            return Err(DENIED);
        }
        Ok(Box::new(FileHandle {
            file,
            append: flags.append,
            read_only: m.mount.read_only,
        }))
    }

    fn stat(&self, path: &str, follow: bool) -> Result<FileStat, FsError> {
        let (m, rel) = self.locate(path, false)?;
        let meta = if rel.is_empty() {
            m.dir.dir_metadata()
        } else if follow {
            m.dir.metadata(rel)
        } else {
            m.dir.symlink_metadata(rel)
        };
        meta.map(|m| file_stat(&m)).map_err(fse)
    }

    fn set_times(
        &self,
        path: &str,
        follow: bool,
        atim: SetTime,
        mtim: SetTime,
    ) -> Result<(), FsError> {
        let (m, rel) = self.locate(path, true)?;
        let target = target(rel);
        let is_link = !rel.is_empty()
            && m.dir
                .symlink_metadata(target)
                .is_ok_and(|meta| meta.file_type().is_symlink());
        if follow && is_link {
            // Through the link (beneath the mapping): open what it points to
            // without blocking and set the times on the handle. (`cap-std`'s
            // following `set_times` opens for writing, which blocks on a FIFO.)
            let file = m
                .dir
                .open_with(
                    target,
                    OpenOptions::new()
                        .read(true)
                        .follow(FollowSymlinks::Yes)
                        .custom_flags(libc::O_NONBLOCK),
                )
                .map_err(fse)?
                .into_std();
            return set_fd_times(&file, atim, mtim);
        }
        // Not a link (or not following it): `utimensat(AT_SYMLINK_NOFOLLOW)`.
        m.dir
            .set_symlink_times(target, time_spec(atim)?, time_spec(mtim)?)
            .map_err(fse)
    }

    fn create_dir(&self, path: &str) -> Result<(), FsError> {
        let (m, rel) = self.locate(path, true)?;
        if rel.is_empty() {
            return Err(FsError::Exists);
        }
        m.dir.create_dir(rel).map_err(fse)
    }

    fn remove_dir(&self, path: &str) -> Result<(), FsError> {
        let (m, rel) = self.locate_entry(path)?;
        m.dir.remove_dir(rel).map_err(fse)
    }

    fn remove_file(&self, path: &str) -> Result<(), FsError> {
        let (m, rel) = self.locate_entry(path)?;
        m.dir.remove_file(rel).map_err(fse)
    }

    fn rename(&self, from: &str, to: &str) -> Result<(), FsError> {
        let (fm, _) = self.resolve(from)?;
        let (tm, _) = self.resolve(to)?;
        if !std::ptr::eq(fm, tm) {
            return Err(FsError::CrossDevice);
        }
        // Neither end may be the mount point; a read-only mapping refuses.
        let (m, from_rel) = self.locate_entry(from)?;
        let (_, to_rel) = self.locate_entry(to)?;
        m.dir.rename(from_rel, &m.dir, to_rel).map_err(fse)
    }

    fn hard_link(&self, from: &str, to: &str, follow: bool) -> Result<(), FsError> {
        let (fm, from_rel) = self.resolve(from)?;
        let (tm, to_rel) = self.resolve(to)?;
        if !std::ptr::eq(fm, tm) {
            return Err(FsError::CrossDevice);
        }
        if tm.mount.read_only {
            return Err(DENIED);
        }
        if from_rel.is_empty() {
            // The mount point is a directory: directories cannot be linked.
            return Err(DENIED);
        }
        if to_rel.is_empty() {
            return Err(FsError::Exists);
        }
        let m = fm;
        if follow {
            // `linkat(AT_SYMLINK_FOLLOW)`: resolve the link beneath the mapping first.
            let src = m.dir.canonicalize(from_rel).map_err(fse)?;
            return m.dir.hard_link(src, &m.dir, to_rel).map_err(fse);
        }
        m.dir.hard_link(from_rel, &m.dir, to_rel).map_err(fse)
    }

    fn symlink(&self, target: &str, path: &str) -> Result<(), FsError> {
        let (m, rel) = self.locate(path, true)?;
        if target.starts_with('/') {
            // An absolute target would name a host path.
            return Err(DENIED);
        }
        if rel.is_empty() {
            return Err(FsError::Exists);
        }
        m.dir.symlink(target, rel).map_err(fse)
    }

    fn read_link(&self, path: &str) -> Result<String, FsError> {
        let (m, rel) = self.locate(path, false)?;
        if rel.is_empty() {
            // The mount point is a directory, not a link.
            return Err(FsError::Invalid);
        }
        let text = m.dir.read_link_contents(rel).map_err(fse)?;
        Ok(match text.into_os_string().into_string() {
            Ok(s) => s,
            Err(os) => os.to_string_lossy().into_owned(),
        })
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
