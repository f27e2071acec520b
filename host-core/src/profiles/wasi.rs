//! WASI preview 1: the `wasi_snapshot_preview1` import module.
//!
//! Every function is linked (a default-built program imports functions it may
//! never call); each call goes through the same [services](crate::services) as
//! contract v1, so a call whose capability is not granted is answered with errno
//! `notcapable` and an audit record, never a trap. What maps where:
//!
//! | functions | service | capability |
//! | --- | --- | --- |
//! | `args_*` | the plugin's [`WasiConfig`] | none |
//! | `environ_*` | env | `env:<name>` (ungranted variables are left out) |
//! | `clock_*`, `poll_oneoff` on clocks | clock | `clock` |
//! | `random_get` | random | `random` |
//! | `fd_read`/`fd_write` on 0–2 | stdio | `stdio` |
//! | `fd_*` on files, `path_*` | fs | `fs:read:<path>`, `fs:write:<path>` |
//! | `proc_exit`, `sched_yield`, `proc_raise` | the instance | none |
//! | `sock_*` | — | answer `notsup` |
//!
//! File descriptors 0, 1 and 2 are the standard streams; 3 and up are the
//! preopened directories of [`WasiConfig::preopens`] in order, then files the
//! program opens. Paths are resolved lexically beneath the directory descriptor's
//! preopen: `..` above it is `notcapable`, absolute paths are `notcapable`.
// Without the `wasi` feature only the import table and `WasiConfig` are used (load
// checks, `caplet inspect`); the functions are not linked.
#![cfg_attr(not(feature = "wasi"), allow(dead_code, unused_imports))]

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use wasmi::{Caller, Linker};

use super::{guest_range, ImportSpec, Profile};
use crate::capability::Kind;
use crate::error::Code;
use crate::inspect::ValType::{self, I32, I64};
use crate::platform::{
    ClockId, DirRecord, FileStat, FileType, FsError, OpenFile, OpenFlags, SetTime, Whence,
};
use crate::services::{Services, Stream};
use crate::state::{GuestRequest, HostState};

/// The import module of WASI preview 1.
pub const MODULE: &str = "wasi_snapshot_preview1";

/// Arguments and preopened directories of a WASI program (part of
/// [`PluginConfig`](crate::PluginConfig)). The environment comes from the
/// platform's [`Environment`](crate::platform::Environment), filtered by the
/// `env:` grants.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WasiConfig {
    /// `argv`, the program name first.
    pub args: Vec<String>,
    /// Preopened directories, in descriptor order from 3.
    pub preopens: Vec<Preopen>,
}

/// One preopened directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preopen {
    /// The name the program sees (`/`, `.`, `/data`).
    pub name: String,
    /// The absolute guest path of the directory in the filesystem service (where
    /// the grants apply); `/data` for a name `/data`, `/` for `.` or `/`.
    pub guest: String,
}

impl Preopen {
    /// A preopen named `name`, at the guest path the name denotes (`.` and other
    /// relative names are rooted at `/`).
    pub fn new(name: &str) -> Self {
        let guest = if name.starts_with('/') {
            String::from(name)
        } else {
            let mut g = String::from("/");
            g.push_str(name.trim_start_matches("./"));
            g
        };
        let guest =
            crate::services::fs::normalize_guest_path(&guest).unwrap_or_else(|_| "/".into());
        Preopen {
            name: name.into(),
            guest,
        }
    }
}

// errno values of WASI preview 1.
type Errno = u16;
const SUCCESS: Errno = 0;
const E2BIG: Errno = 1;
const EBADF: Errno = 8;
const EEXIST: Errno = 20;
const EFAULT: Errno = 21;
const EFBIG: Errno = 22;
const EINVAL: Errno = 28;
const EIO: Errno = 29;
const EISDIR: Errno = 31;
const ELOOP: Errno = 32;
const EMFILE: Errno = 33;
const ENAMETOOLONG: Errno = 37;
const ENOBUFS: Errno = 42;
const ENOENT: Errno = 44;
const ENOSYS: Errno = 52;
const ENOTDIR: Errno = 54;
const ENOTEMPTY: Errno = 55;
const ENOTSOCK: Errno = 57;
const ENOTSUP: Errno = 58;
const EPERM: Errno = 63;
const ESPIPE: Errno = 70;
const ETIMEDOUT: Errno = 73;
const EXDEV: Errno = 75;
const EDQUOT: Errno = 19;
const ENOTCAPABLE: Errno = 76;

/// The errno for a service's [`Code`]. A capability denial is `notcapable`.
pub fn errno_of(code: Code) -> u16 {
    match code {
        Code::NotFound => ENOENT,
        Code::PermissionDenied => ENOTCAPABLE,
        Code::InvalidInput => EINVAL,
        Code::Io => EIO,
        Code::Timeout => ETIMEDOUT,
        Code::Limit => ENOBUFS,
        Code::Unsupported => ENOTSUP,
        _ => EIO,
    }
}

fn fs_errno(e: FsError) -> Errno {
    match e {
        FsError::Code(c) => errno_of(c),
        FsError::Exists => EEXIST,
        FsError::NotDir => ENOTDIR,
        FsError::IsDir => EISDIR,
        FsError::NotEmpty => ENOTEMPTY,
        FsError::Loop => ELOOP,
        FsError::Invalid => EINVAL,
        FsError::BadDescriptor => EBADF,
        FsError::SeekPipe => ESPIPE,
        FsError::NameTooLong => ENAMETOOLONG,
        FsError::TooBig => EFBIG,
        FsError::CrossDevice => EXDEV,
    }
}

impl From<Code> for WasiError {
    fn from(c: Code) -> Self {
        WasiError(errno_of(c))
    }
}

impl From<FsError> for WasiError {
    fn from(e: FsError) -> Self {
        WasiError(fs_errno(e))
    }
}

/// An errno as an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct WasiError(Errno);

type W<T> = Result<T, WasiError>;

fn err<T>(e: Errno) -> W<T> {
    Err(WasiError(e))
}

// Rights (only reported; access is decided by the open mode and the grants).
const RIGHTS_ALL: u64 = (1 << 30) - 1;
const RIGHT_FD_READ: u64 = 1 << 1;
const RIGHT_FD_WRITE: u64 = 1 << 6;
const RIGHTS_FILE: u64 = 0b0000_0000_1110_0000_0000_0001_1111_1111 | (1 << 27);
const RIGHTS_DIR: u64 = RIGHTS_ALL & !RIGHTS_FILE_ONLY & !(1 << 19);
const RIGHTS_FILE_ONLY: u64 =
    (1 << 1) | (1 << 2) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 22);

// fdflags, oflags, lookupflags, fstflags.
const FDFLAG_APPEND: u16 = 1;
const OFLAG_CREAT: u16 = 1;
const OFLAG_DIRECTORY: u16 = 2;
const OFLAG_EXCL: u16 = 4;
const OFLAG_TRUNC: u16 = 8;
const LOOKUP_FOLLOW: u32 = 1;
const FST_ATIM: u16 = 1;
const FST_ATIM_NOW: u16 = 2;
const FST_MTIM: u16 = 4;
const FST_MTIM_NOW: u16 = 8;

/// One open descriptor.
enum Fd {
    Stdin,
    Stdout,
    Stderr,
    Dir {
        /// Absolute guest path.
        path: String,
        /// The guest path of the preopen it lies beneath (`..` stops there).
        root: String,
        /// The preopen's name, for a preopened descriptor.
        preopen: Option<String>,
        /// Opened on first `fd_readdir` or `fd_filestat_set_times`.
        handle: Option<Box<dyn OpenFile>>,
    },
    File {
        path: String,
        handle: Box<dyn OpenFile>,
        read: bool,
        write: bool,
        append: bool,
        /// `dsync`, `rsync` and `sync` as the program asked for them (reported by
        /// `fd_fdstat_get`; each write is not synced separately).
        sync_flags: u16,
        /// The descriptor's rights: reading and writing also need `fd_read` and
        /// `fd_write` here; `fd_fdstat_set_rights` can only drop rights.
        rights: u64,
    },
}

/// The descriptor table of one instance.
pub(crate) struct WasiState {
    fds: BTreeMap<u32, Fd>,
}

/// Descriptors one instance may hold.
const MAX_FDS: usize = 1024;

impl WasiState {
    fn new(cfg: &WasiConfig) -> Self {
        let mut fds = BTreeMap::new();
        fds.insert(0, Fd::Stdin);
        fds.insert(1, Fd::Stdout);
        fds.insert(2, Fd::Stderr);
        for (i, p) in cfg.preopens.iter().enumerate() {
            fds.insert(
                3 + i as u32,
                Fd::Dir {
                    path: p.guest.clone(),
                    root: p.guest.clone(),
                    preopen: Some(p.name.clone()),
                    handle: None,
                },
            );
        }
        WasiState { fds }
    }

    fn get(&mut self, fd: i32) -> W<&mut Fd> {
        self.fds.get_mut(&(fd as u32)).ok_or(WasiError(EBADF))
    }

    fn insert(&mut self, fd: Fd) -> W<u32> {
        if self.fds.len() >= MAX_FDS {
            return err(EMFILE);
        }
        let mut n = 3;
        while self.fds.contains_key(&n) {
            n += 1;
        }
        self.fds.insert(n, fd);
        Ok(n)
    }

    /// The absolute guest path of `rel` beneath directory descriptor `fd`, and
    /// whether `rel` ended with a slash.
    fn resolve(&mut self, fd: i32, rel: &str) -> W<(String, bool)> {
        let Fd::Dir { path, root, .. } = self.get(fd)? else {
            return err(ENOTDIR);
        };
        if rel.is_empty() {
            return err(ENOENT);
        }
        if rel.starts_with('/') {
            return err(ENOTCAPABLE);
        }
        if rel.contains('\0') {
            return err(EINVAL);
        }
        let depth = root.split('/').filter(|p| !p.is_empty()).count();
        let mut parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        for comp in rel.split('/') {
            match comp {
                "" | "." => {}
                ".." => {
                    if parts.len() <= depth {
                        return err(ENOTCAPABLE);
                    }
                    parts.pop();
                }
                c => parts.push(c),
            }
        }
        let mut out = String::with_capacity(path.len() + rel.len() + 1);
        for p in &parts {
            out.push('/');
            out.push_str(p);
        }
        if out.is_empty() {
            out.push('/');
        }
        let trailing = rel.ends_with('/');
        Ok((out, trailing))
    }
}

// ---- guest memory -------------------------------------------------------------

fn slice(mem: &[u8], ptr: i32, len: usize) -> W<&[u8]> {
    let len = i32::try_from(len).map_err(|_| WasiError(EFAULT))?;
    guest_range(mem.len(), ptr, len)
        .map(|r| &mem[r])
        .ok_or(WasiError(EFAULT))
}

fn slice_mut(mem: &mut [u8], ptr: i32, len: usize) -> W<&mut [u8]> {
    let len = i32::try_from(len).map_err(|_| WasiError(EFAULT))?;
    guest_range(mem.len(), ptr, len)
        .map(move |r| &mut mem[r])
        .ok_or(WasiError(EFAULT))
}

fn put(mem: &mut [u8], ptr: i32, bytes: &[u8]) -> W<()> {
    slice_mut(mem, ptr, bytes.len())?.copy_from_slice(bytes);
    Ok(())
}

fn put_u32(mem: &mut [u8], ptr: i32, v: u32) -> W<()> {
    put(mem, ptr, &v.to_le_bytes())
}

fn put_u64(mem: &mut [u8], ptr: i32, v: u64) -> W<()> {
    put(mem, ptr, &v.to_le_bytes())
}

fn get_u32(mem: &[u8], ptr: i32) -> W<u32> {
    let b = slice(mem, ptr, 4)?;
    Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

fn get_u64(mem: &[u8], ptr: i32) -> W<u64> {
    let b = slice(mem, ptr, 8)?;
    let mut a = [0u8; 8];
    a.copy_from_slice(b);
    Ok(u64::from_le_bytes(a))
}

fn path_str(mem: &[u8], ptr: i32, len: i32, s: &Services) -> W<String> {
    if len as u32 > s.limits.max_name_bytes {
        return err(ENAMETOOLONG);
    }
    let b = slice(mem, ptr, len as u32 as usize)?;
    core::str::from_utf8(b)
        .map(|p| p.to_string())
        .map_err(|_| WasiError(EINVAL))
}

/// The `(ptr, len)` pairs of an iovec array, each checked against the memory.
fn iovecs(mem: &[u8], iovs: i32, count: i32) -> W<Vec<(i32, usize)>> {
    let count = count as u32;
    if count > 1024 {
        return err(EINVAL);
    }
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count {
        let at = (iovs as u32).checked_add(i * 8).ok_or(WasiError(EFAULT))? as i32;
        let ptr = get_u32(mem, at)? as i32;
        let len = get_u32(mem, at.wrapping_add(4))? as usize;
        slice(mem, ptr, len)?;
        out.push((ptr, len));
    }
    Ok(out)
}

fn filetype_code(t: FileType) -> u8 {
    match t {
        FileType::Unknown => 0,
        FileType::BlockDevice => 1,
        FileType::CharacterDevice => 2,
        FileType::Directory => 3,
        FileType::RegularFile => 4,
        FileType::SocketDgram => 5,
        FileType::SocketStream => 6,
        FileType::SymbolicLink => 7,
    }
}

fn put_filestat(mem: &mut [u8], ptr: i32, st: &FileStat) -> W<()> {
    let mut b = [0u8; 64];
    b[0..8].copy_from_slice(&st.dev.to_le_bytes());
    b[8..16].copy_from_slice(&st.ino.to_le_bytes());
    b[16] = filetype_code(st.filetype);
    b[24..32].copy_from_slice(&st.nlink.to_le_bytes());
    b[32..40].copy_from_slice(&st.size.to_le_bytes());
    b[40..48].copy_from_slice(&st.atim.to_le_bytes());
    b[48..56].copy_from_slice(&st.mtim.to_le_bytes());
    b[56..64].copy_from_slice(&st.ctim.to_le_bytes());
    put(mem, ptr, &b)
}

fn char_device() -> FileStat {
    FileStat {
        dev: 0,
        ino: 0,
        filetype: FileType::CharacterDevice,
        nlink: 1,
        size: 0,
        atim: 0,
        mtim: 0,
        ctim: 0,
    }
}

fn set_times(atim: u64, mtim: u64, flags: u16) -> W<(SetTime, SetTime)> {
    let pick = |at: u16, now: u16, t: u64| -> W<SetTime> {
        match (flags & at != 0, flags & now != 0) {
            (true, true) => err(EINVAL),
            (true, false) => Ok(SetTime::At(t)),
            (false, true) => Ok(SetTime::Now),
            (false, false) => Ok(SetTime::Keep),
        }
    };
    if flags & !(FST_ATIM | FST_ATIM_NOW | FST_MTIM | FST_MTIM_NOW) != 0 {
        return err(EINVAL);
    }
    Ok((
        pick(FST_ATIM, FST_ATIM_NOW, atim)?,
        pick(FST_MTIM, FST_MTIM_NOW, mtim)?,
    ))
}

// ---- the functions --------------------------------------------------------------

type C<'a> = Caller<'a, HostState>;

/// Counts the call, gives `f` the memory, the services and the descriptor table,
/// and returns its errno.
fn with(
    c: &mut C<'_>,
    f: impl FnOnce(&mut [u8], &Services, &mut WasiState) -> W<()>,
) -> Result<i32, wasmi::Error> {
    if let Err(code) = c.data_mut().enter() {
        return Ok(i32::from(errno_of(code)));
    }
    let memory = c.data().memory()?;
    let (mem, state) = memory.data_and_store_mut(&mut *c);
    let services = &state.services;
    let wasi = state
        .wasi
        .get_or_insert_with(|| WasiState::new(&services.wasi));
    Ok(match f(mem, services, wasi) {
        Ok(()) => i32::from(SUCCESS),
        Err(WasiError(e)) => i32::from(e),
    })
}

fn strings_sizes(mem: &mut [u8], items: &[String], count_ptr: i32, size_ptr: i32) -> W<()> {
    let size: usize = items.iter().map(|a| a.len() + 1).sum();
    put_u32(mem, count_ptr, items.len() as u32)?;
    put_u32(
        mem,
        size_ptr,
        u32::try_from(size).map_err(|_| WasiError(E2BIG))?,
    )
}

fn strings_get(mem: &mut [u8], items: &[String], ptrs: i32, buf: i32) -> W<()> {
    let mut at = buf as u32;
    for (i, item) in items.iter().enumerate() {
        put_u32(mem, (ptrs as u32).wrapping_add(4 * i as u32) as i32, at)?;
        put(mem, at as i32, item.as_bytes())?;
        put(mem, at.wrapping_add(item.len() as u32) as i32, &[0])?;
        at = at.wrapping_add(item.len() as u32 + 1);
    }
    Ok(())
}

fn environ(s: &Services) -> W<Vec<String>> {
    Ok(s.env_vars()?
        .into_iter()
        .map(|(k, v)| {
            let mut e = k;
            e.push('=');
            e.push_str(&v);
            e
        })
        .collect())
}

fn clock_id(id: i32) -> W<ClockId> {
    match id {
        0 => Ok(ClockId::Wall),
        // Process and thread CPU time are reported as monotonic time.
        1..=3 => Ok(ClockId::Monotonic),
        _ => err(EINVAL),
    }
}

/// Runs `io` on each iovec in order, stopping after the first short transfer;
/// returns the bytes transferred.
fn each_iovec(vecs: &[(i32, usize)], mut io: impl FnMut(i32, usize) -> W<usize>) -> W<usize> {
    let mut total = 0usize;
    for &(p, l) in vecs {
        let n = io(p, l)?;
        total += n;
        if n < l {
            break;
        }
    }
    Ok(total)
}

/// The open file of a positional read or write (`fd_pread`, `fd_pwrite`).
fn positional(w: &mut WasiState, fd: i32, write: bool) -> W<&mut Box<dyn OpenFile>> {
    match w.get(fd)? {
        Fd::File {
            handle,
            read,
            write: writable,
            ..
        } if (if write { *writable } else { *read }) => Ok(handle),
        Fd::Dir { .. } => err(EISDIR),
        Fd::Stdin | Fd::Stdout | Fd::Stderr => err(ESPIPE),
        Fd::File { .. } => err(EBADF),
    }
}

fn fd_write(
    mem: &mut [u8],
    s: &Services,
    w: &mut WasiState,
    fd: i32,
    iovs: i32,
    n: i32,
    out: i32,
) -> W<()> {
    let vecs = iovecs(mem, iovs, n)?;
    let written = match w.get(fd)? {
        Fd::Stdout | Fd::Stderr => {
            let stream = if fd == 1 {
                Stream::Stdout
            } else {
                Stream::Stderr
            };
            let mut data = Vec::new();
            for (p, l) in &vecs {
                data.extend_from_slice(slice(mem, *p, *l)?);
            }
            s.stdio_write(stream, &data)?
        }
        Fd::File {
            handle,
            write: true,
            rights,
            ..
        } if *rights & RIGHT_FD_WRITE != 0 => {
            let total: u64 = vecs.iter().map(|(_, l)| *l as u64).sum();
            s.charge_write(total, 0).map_err(|_| WasiError(EDQUOT))?;
            each_iovec(&vecs, |p, l| Ok(handle.write(slice(mem, p, l)?)?))?
        }
        Fd::Dir { .. } => return err(EISDIR),
        _ => return err(EBADF),
    };
    put_u32(mem, out, written as u32)
}

fn fd_read(
    mem: &mut [u8],
    s: &Services,
    w: &mut WasiState,
    fd: i32,
    iovs: i32,
    n: i32,
    out: i32,
) -> W<()> {
    let vecs = iovecs(mem, iovs, n)?;
    let read = match w.get(fd)? {
        Fd::Stdin => {
            // Checked even for an empty read: the grant decides, not the length.
            s.stdio_read(&mut [])?;
            each_iovec(&vecs, |p, l| {
                if l == 0 {
                    return Ok(0);
                }
                Ok(s.stdio_read(slice_mut(mem, p, l)?)?)
            })?
        }
        Fd::File {
            handle,
            read: true,
            rights,
            ..
        } if *rights & RIGHT_FD_READ != 0 => {
            each_iovec(&vecs, |p, l| Ok(handle.read(slice_mut(mem, p, l)?)?))?
        }
        Fd::Dir { .. } => return err(EISDIR),
        _ => return err(EBADF),
    };
    put_u32(mem, out, read as u32)
}

fn fd_pread(
    mem: &mut [u8],
    w: &mut WasiState,
    fd: i32,
    iovs: i32,
    n: i32,
    offset: i64,
    out: i32,
) -> W<()> {
    let vecs = iovecs(mem, iovs, n)?;
    let handle = positional(w, fd, false)?;
    let mut at = offset as u64;
    let total = each_iovec(&vecs, |p, l| {
        let n = handle.read_at(slice_mut(mem, p, l)?, at)?;
        at += n as u64;
        Ok(n)
    })?;
    put_u32(mem, out, total as u32)
}

#[allow(clippy::too_many_arguments)]
fn fd_pwrite(
    mem: &mut [u8],
    s: &Services,
    w: &mut WasiState,
    fd: i32,
    iovs: i32,
    n: i32,
    offset: i64,
    out: i32,
) -> W<()> {
    let vecs = iovecs(mem, iovs, n)?;
    let handle = positional(w, fd, true)?;
    let total: u64 = vecs.iter().map(|(_, l)| *l as u64).sum();
    s.charge_write(total, 0).map_err(|_| WasiError(EDQUOT))?;
    let mut at = offset as u64;
    let total = each_iovec(&vecs, |p, l| {
        let n = handle.write_at(slice(mem, p, l)?, at)?;
        at += n as u64;
        Ok(n)
    })?;
    put_u32(mem, out, total as u32)
}

fn fd_fdstat_get(mem: &mut [u8], w: &mut WasiState, fd: i32, out: i32) -> W<()> {
    let (filetype, flags, rights) = match w.get(fd)? {
        Fd::Stdin | Fd::Stdout | Fd::Stderr => (2u8, 0u16, RIGHTS_FILE & !(1 << 2) & !(1 << 5)),
        Fd::Dir { .. } => (3, 0, RIGHTS_DIR),
        Fd::File {
            handle,
            append,
            sync_flags,
            rights,
            ..
        } => {
            let t = handle
                .stat()
                .map(|s| filetype_code(s.filetype))
                .unwrap_or(4);
            (
                t,
                *sync_flags | if *append { FDFLAG_APPEND } else { 0 },
                *rights,
            )
        }
    };
    let mut b = [0u8; 24];
    b[0] = filetype;
    b[2..4].copy_from_slice(&flags.to_le_bytes());
    b[8..16].copy_from_slice(&rights.to_le_bytes());
    b[16..24].copy_from_slice(&(if filetype == 3 { RIGHTS_ALL } else { rights }).to_le_bytes());
    put(mem, out, &b)
}

fn fd_filestat_get(mem: &mut [u8], s: &Services, w: &mut WasiState, fd: i32, out: i32) -> W<()> {
    let st = match w.get(fd)? {
        Fd::Stdin | Fd::Stdout | Fd::Stderr => char_device(),
        Fd::Dir { path, .. } => {
            let path = path.clone();
            s.fs_stat(&path, true)?
        }
        Fd::File { handle, .. } => handle.stat()?,
    };
    put_filestat(mem, out, &st)
}

fn dir_handle<'a>(s: &Services, fd: &'a mut Fd) -> W<&'a mut Box<dyn OpenFile>> {
    match fd {
        Fd::Dir { path, handle, .. } => {
            if handle.is_none() {
                let flags = OpenFlags {
                    read: true,
                    directory: true,
                    follow: true,
                    ..OpenFlags::default()
                };
                *handle = Some(s.fs_open(path, flags)?);
            }
            handle.as_mut().ok_or(WasiError(EIO))
        }
        _ => err(ENOTDIR),
    }
}

// The arguments are the WASI call's own (fd, buffer, length, cookie, result
// pointer) plus the memory and state every WASI function works on.
#[allow(clippy::too_many_arguments)]
fn fd_readdir(
    mem: &mut [u8],
    s: &Services,
    w: &mut WasiState,
    fd: i32,
    buf: i32,
    len: i32,
    cookie: i64,
    out: i32,
) -> W<()> {
    let entries: Vec<DirRecord> = {
        let f = w.get(fd)?;
        if matches!(f, Fd::File { .. }) {
            return err(ENOTDIR);
        }
        dir_handle(s, f)?.read_dir()?
    };
    let len = len as u32 as usize;
    let target = slice_mut(mem, buf, len)?;
    let mut used = 0usize;
    for (i, e) in entries.iter().enumerate().skip(cookie as u64 as usize) {
        let mut head = [0u8; 24];
        head[0..8].copy_from_slice(&(i as u64 + 1).to_le_bytes());
        head[8..16].copy_from_slice(&e.ino.to_le_bytes());
        head[16..20].copy_from_slice(&(e.name.len() as u32).to_le_bytes());
        head[20] = filetype_code(e.filetype);
        for part in [&head[..], e.name.as_bytes()] {
            let room = len - used;
            let n = part.len().min(room);
            target[used..used + n].copy_from_slice(&part[..n]);
            used += n;
        }
        if used == len {
            break;
        }
    }
    put_u32(mem, out, used as u32)
}

fn fd_seek(
    mem: &mut [u8],
    w: &mut WasiState,
    fd: i32,
    offset: i64,
    whence: i32,
    out: i32,
) -> W<()> {
    let whence = match whence {
        0 => Whence::Start,
        1 => Whence::Current,
        2 => Whence::End,
        _ => return err(EINVAL),
    };
    let pos = match w.get(fd)? {
        Fd::File { handle, .. } => handle.seek(offset, whence)?,
        Fd::Stdin | Fd::Stdout | Fd::Stderr => return err(ESPIPE),
        Fd::Dir { .. } => return err(EBADF),
    };
    put_u64(mem, out, pos)
}

fn path_open(
    mem: &mut [u8],
    s: &Services,
    w: &mut WasiState,
    args: (i32, i32, i32, i32, i32, i64, i64, i32, i32),
) -> W<()> {
    let (dirfd, dirflags, p, l, oflags, base, _inh, fdflags, out) = args;
    let rel = path_str(mem, p, l, s)?;
    let (path, trailing) = w.resolve(dirfd, &rel)?;
    let oflags = oflags as u16;
    let fdflags = fdflags as u16;
    let base = base as u64;
    let directory = oflags & OFLAG_DIRECTORY != 0 || trailing;
    let write = base & (RIGHT_FD_WRITE | (1 << 8) | (1 << 22)) != 0;
    if directory && base & RIGHT_FD_WRITE != 0 {
        return err(EISDIR);
    }
    let write = write && !directory;
    let flags = OpenFlags {
        read: base & (RIGHT_FD_READ | (1 << 14)) != 0 || !write,
        write,
        create: oflags & OFLAG_CREAT != 0,
        exclusive: oflags & OFLAG_EXCL != 0,
        truncate: oflags & OFLAG_TRUNC != 0,
        append: fdflags & FDFLAG_APPEND != 0,
        directory,
        follow: dirflags as u32 & LOOKUP_FOLLOW != 0,
    };
    if directory && (flags.create || flags.truncate) {
        return err(EINVAL);
    }
    let handle = s.fs_open(&path, flags)?;
    let is_dir = handle
        .stat()
        .map(|st| st.filetype == FileType::Directory)
        .unwrap_or(false);
    let fd = if is_dir {
        // `..` never leads above the directory a descriptor names.
        w.insert(Fd::Dir {
            root: path.clone(),
            path,
            preopen: None,
            handle: Some(handle),
        })?
    } else {
        if directory {
            return err(ENOTDIR);
        }
        w.insert(Fd::File {
            path,
            handle,
            read: flags.read,
            write: flags.write || flags.append,
            append: flags.append,
            sync_flags: fdflags & (2 | 8 | 16),
            rights: {
                let mut r = RIGHTS_FILE;
                if !flags.read {
                    r &= !RIGHT_FD_READ;
                }
                if !(flags.write || flags.append) {
                    r &= !RIGHT_FD_WRITE;
                }
                r
            },
        })?
    };
    put_u32(mem, out, fd)
}

/// Reads the clock and fd subscriptions of `poll_oneoff`, waits for the earliest
/// clock if no descriptor is ready, and writes the events.
fn poll_oneoff(
    mem: &mut [u8],
    s: &Services,
    w: &mut WasiState,
    input: i32,
    output: i32,
    n: i32,
    out_n: i32,
) -> W<()> {
    let n = n as u32;
    if n == 0 || n > 1024 {
        return err(EINVAL);
    }
    struct Sub {
        userdata: u64,
        tag: u8,
        deadline: u64,
    }
    let mut subs = Vec::with_capacity(n as usize);
    for i in 0..n {
        let at = (input as u32)
            .checked_add(i * 48)
            .ok_or(WasiError(EFAULT))? as i32;
        let head = slice(mem, at, 48)?;
        let userdata = get_u64(head, 0)?;
        let tag = head[8];
        let mut deadline = 0;
        match tag {
            0 => {
                let id = get_u32(head, 16)? as i32;
                let timeout = get_u64(head, 24)?;
                let flags = u16::from_le_bytes([head[40], head[41]]);
                let clock = clock_id(id)?;
                deadline = if flags & 1 != 0 {
                    let now = s.clock_now(clock)?;
                    timeout.saturating_sub(now)
                } else {
                    timeout
                };
            }
            1 | 2 => {
                let fd = get_u32(head, 16)? as i32;
                w.get(fd)?;
            }
            _ => return err(EINVAL),
        }
        subs.push(Sub {
            userdata,
            tag,
            deadline,
        });
    }
    let ready_fds = subs.iter().any(|s| s.tag != 0);
    let wait = subs.iter().filter(|s| s.tag == 0).map(|s| s.deadline).min();
    let mut clock_error = SUCCESS;
    if !ready_fds {
        if let Some(ns) = wait {
            if ns > 0 {
                if let Err(code) = s.sleep_ns(ns) {
                    clock_error = errno_of(code);
                }
            }
        }
    }
    let mut count = 0u32;
    for sub in &subs {
        let fire = if sub.tag == 0 {
            !ready_fds && Some(sub.deadline) == wait
        } else {
            true
        };
        if !fire {
            continue;
        }
        let mut ev = [0u8; 32];
        ev[0..8].copy_from_slice(&sub.userdata.to_le_bytes());
        let error = if sub.tag == 0 { clock_error } else { SUCCESS };
        ev[8..10].copy_from_slice(&error.to_le_bytes());
        ev[10] = sub.tag;
        let at = (output as u32)
            .checked_add(count * 32)
            .ok_or(WasiError(EFAULT))? as i32;
        put(mem, at, &ev)?;
        count += 1;
    }
    put_u32(mem, out_n, count)
}

const fn spec(
    name: &'static str,
    params: &'static [ValType],
    results: &'static [ValType],
    service: Option<&'static str>,
    capabilities: &'static [Kind],
) -> ImportSpec {
    ImportSpec::new(Profile::Wasi, name, params, results, service, capabilities)
}

const FS: &[Kind] = &[Kind::FsRead, Kind::FsWrite];
const FS_R: &[Kind] = &[Kind::FsRead];
const FS_W: &[Kind] = &[Kind::FsWrite];
const IO: &[Kind] = &[Kind::Stdio, Kind::FsRead, Kind::FsWrite];

/// Every function of WASI preview 1.
pub const IMPORTS: &[ImportSpec] = &[
    spec("args_get", &[I32, I32], &[I32], None, &[]),
    spec("args_sizes_get", &[I32, I32], &[I32], None, &[]),
    spec(
        "environ_get",
        &[I32, I32],
        &[I32],
        Some("env"),
        &[Kind::Env],
    ),
    spec(
        "environ_sizes_get",
        &[I32, I32],
        &[I32],
        Some("env"),
        &[Kind::Env],
    ),
    spec(
        "clock_res_get",
        &[I32, I32],
        &[I32],
        Some("clock"),
        &[Kind::Clock],
    ),
    spec(
        "clock_time_get",
        &[I32, I64, I32],
        &[I32],
        Some("clock"),
        &[Kind::Clock],
    ),
    spec("fd_advise", &[I32, I64, I64, I32], &[I32], Some("fs"), &[]),
    spec("fd_allocate", &[I32, I64, I64], &[I32], Some("fs"), &[]),
    spec("fd_close", &[I32], &[I32], None, &[]),
    spec("fd_datasync", &[I32], &[I32], Some("fs"), &[]),
    spec("fd_fdstat_get", &[I32, I32], &[I32], None, &[]),
    spec("fd_fdstat_set_flags", &[I32, I32], &[I32], Some("fs"), &[]),
    spec("fd_fdstat_set_rights", &[I32, I64, I64], &[I32], None, &[]),
    spec("fd_filestat_get", &[I32, I32], &[I32], Some("fs"), FS_R),
    spec("fd_filestat_set_size", &[I32, I64], &[I32], Some("fs"), &[]),
    spec(
        "fd_filestat_set_times",
        &[I32, I64, I64, I32],
        &[I32],
        Some("fs"),
        FS_W,
    ),
    spec(
        "fd_pread",
        &[I32, I32, I32, I64, I32],
        &[I32],
        Some("fs"),
        &[],
    ),
    spec("fd_prestat_get", &[I32, I32], &[I32], None, &[]),
    spec("fd_prestat_dir_name", &[I32, I32, I32], &[I32], None, &[]),
    spec(
        "fd_pwrite",
        &[I32, I32, I32, I64, I32],
        &[I32],
        Some("fs"),
        &[],
    ),
    spec(
        "fd_read",
        &[I32, I32, I32, I32],
        &[I32],
        Some("stdio, fs"),
        IO,
    ),
    spec(
        "fd_readdir",
        &[I32, I32, I32, I64, I32],
        &[I32],
        Some("fs"),
        FS_R,
    ),
    spec("fd_renumber", &[I32, I32], &[I32], None, &[]),
    spec("fd_seek", &[I32, I64, I32, I32], &[I32], Some("fs"), &[]),
    spec("fd_sync", &[I32], &[I32], Some("fs"), &[]),
    spec("fd_tell", &[I32, I32], &[I32], Some("fs"), &[]),
    spec(
        "fd_write",
        &[I32, I32, I32, I32],
        &[I32],
        Some("stdio, fs"),
        IO,
    ),
    spec(
        "path_create_directory",
        &[I32, I32, I32],
        &[I32],
        Some("fs"),
        FS_W,
    ),
    spec(
        "path_filestat_get",
        &[I32, I32, I32, I32, I32],
        &[I32],
        Some("fs"),
        FS_R,
    ),
    spec(
        "path_filestat_set_times",
        &[I32, I32, I32, I32, I64, I64, I32],
        &[I32],
        Some("fs"),
        FS_W,
    ),
    spec(
        "path_link",
        &[I32, I32, I32, I32, I32, I32, I32],
        &[I32],
        Some("fs"),
        FS,
    ),
    spec(
        "path_open",
        &[I32, I32, I32, I32, I32, I64, I64, I32, I32],
        &[I32],
        Some("fs"),
        FS,
    ),
    spec(
        "path_readlink",
        &[I32, I32, I32, I32, I32, I32],
        &[I32],
        Some("fs"),
        FS_R,
    ),
    spec(
        "path_remove_directory",
        &[I32, I32, I32],
        &[I32],
        Some("fs"),
        FS_W,
    ),
    spec(
        "path_rename",
        &[I32, I32, I32, I32, I32, I32],
        &[I32],
        Some("fs"),
        FS_W,
    ),
    spec(
        "path_symlink",
        &[I32, I32, I32, I32, I32],
        &[I32],
        Some("fs"),
        FS_W,
    ),
    spec(
        "path_unlink_file",
        &[I32, I32, I32],
        &[I32],
        Some("fs"),
        FS_W,
    ),
    spec(
        "poll_oneoff",
        &[I32, I32, I32, I32],
        &[I32],
        Some("clock"),
        &[Kind::Clock],
    ),
    spec("proc_exit", &[I32], &[], None, &[]),
    spec("proc_raise", &[I32], &[I32], None, &[]),
    spec("sched_yield", &[], &[I32], None, &[]),
    spec(
        "random_get",
        &[I32, I32],
        &[I32],
        Some("random"),
        &[Kind::Random],
    ),
    spec("sock_accept", &[I32, I32, I32], &[I32], None, &[]),
    spec(
        "sock_recv",
        &[I32, I32, I32, I32, I32, I32],
        &[I32],
        None,
        &[],
    ),
    spec("sock_send", &[I32, I32, I32, I32, I32], &[I32], None, &[]),
    spec("sock_shutdown", &[I32, I32], &[I32], None, &[]),
];

type R = Result<i32, wasmi::Error>;

#[allow(clippy::too_many_lines)]
#[cfg(feature = "wasi")]
pub(crate) fn define(l: &mut Linker<HostState>) -> Result<(), wasmi::errors::LinkerError> {
    l.func_wrap(
        MODULE,
        "args_get",
        |mut c: C<'_>, argv: i32, buf: i32| -> R {
            with(&mut c, |mem, s, _| {
                strings_get(mem, &s.wasi.args, argv, buf)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "args_sizes_get",
        |mut c: C<'_>, n: i32, size: i32| -> R {
            with(&mut c, |mem, s, _| {
                strings_sizes(mem, &s.wasi.args, n, size)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "environ_get",
        |mut c: C<'_>, env: i32, buf: i32| -> R {
            with(&mut c, |mem, s, _| strings_get(mem, &environ(s)?, env, buf))
        },
    )?;
    l.func_wrap(
        MODULE,
        "environ_sizes_get",
        |mut c: C<'_>, n: i32, size: i32| -> R {
            with(&mut c, |mem, s, _| {
                strings_sizes(mem, &environ(s)?, n, size)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "clock_res_get",
        |mut c: C<'_>, id: i32, out: i32| -> R {
            with(&mut c, |mem, s, _| {
                let clock = clock_id(id)?;
                s.clock_now(clock)?;
                put_u64(mem, out, 1_000)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "clock_time_get",
        |mut c: C<'_>, id: i32, _precision: i64, out: i32| -> R {
            with(&mut c, |mem, s, _| {
                put_u64(mem, out, s.clock_now(clock_id(id)?)?)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_advise",
        |mut c: C<'_>, fd: i32, _o: i64, _l: i64, advice: i32| -> R {
            with(&mut c, |_, _, w| match (w.get(fd)?, advice) {
                (_, a) if !(0..=5).contains(&a) => err(EINVAL),
                (Fd::File { .. }, _) => Ok(()),
                (Fd::Dir { .. }, _) => err(EBADF),
                _ => err(ESPIPE),
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_allocate",
        |mut c: C<'_>, fd: i32, _o: i64, _l: i64| -> R {
            with(&mut c, |_, _, w| match w.get(fd)? {
                Fd::File { .. } => err(ENOTSUP),
                _ => err(EBADF),
            })
        },
    )?;
    l.func_wrap(MODULE, "fd_close", |mut c: C<'_>, fd: i32| -> R {
        with(&mut c, |_, _, w| {
            w.fds
                .remove(&(fd as u32))
                .map(|_| ())
                .ok_or(WasiError(EBADF))
        })
    })?;
    for (name, data_only) in [("fd_datasync", true), ("fd_sync", false)] {
        l.func_wrap(MODULE, name, move |mut c: C<'_>, fd: i32| -> R {
            with(&mut c, |_, _, w| match w.get(fd)? {
                Fd::File { handle, .. } => Ok(handle.sync(data_only)?),
                Fd::Dir { .. } => Ok(()),
                _ => err(EINVAL),
            })
        })?;
    }
    l.func_wrap(
        MODULE,
        "fd_fdstat_get",
        |mut c: C<'_>, fd: i32, out: i32| -> R {
            with(&mut c, |mem, _, w| fd_fdstat_get(mem, w, fd, out))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_fdstat_set_flags",
        |mut c: C<'_>, fd: i32, flags: i32| -> R {
            with(&mut c, |_, _, w| match w.get(fd)? {
                Fd::File {
                    handle,
                    append,
                    sync_flags,
                    ..
                } => {
                    let on = flags as u16 & FDFLAG_APPEND != 0;
                    handle.set_append(on)?;
                    *append = on;
                    *sync_flags = flags as u16 & (2 | 8 | 16);
                    Ok(())
                }
                Fd::Dir { .. } => err(EBADF),
                _ => Ok(()),
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_fdstat_set_rights",
        |mut c: C<'_>, fd: i32, base: i64, _i: i64| -> R {
            with(&mut c, |_, _, w| {
                let base = base as u64;
                match w.get(fd)? {
                    Fd::File { rights, .. } => {
                        if base & !*rights != 0 {
                            return err(ENOTCAPABLE);
                        }
                        *rights = base;
                        Ok(())
                    }
                    Fd::Dir { .. } if base & !RIGHTS_DIR != 0 => err(ENOTCAPABLE),
                    _ => Ok(()),
                }
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_filestat_get",
        |mut c: C<'_>, fd: i32, out: i32| -> R {
            with(&mut c, |mem, s, w| fd_filestat_get(mem, s, w, fd, out))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_filestat_set_size",
        |mut c: C<'_>, fd: i32, size: i64| -> R {
            with(&mut c, |_, s, w| match w.get(fd)? {
                Fd::File {
                    handle,
                    write: true,
                    ..
                } => {
                    // Growth counts against the write quota like written bytes.
                    let growth = (size as u64).saturating_sub(handle.stat()?.size);
                    s.charge_write(growth, 0).map_err(|_| WasiError(EDQUOT))?;
                    Ok(handle.set_size(size as u64)?)
                }
                Fd::Dir { .. } => err(EISDIR),
                _ => err(EBADF),
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_filestat_set_times",
        |mut c: C<'_>, fd: i32, atim: i64, mtim: i64, flags: i32| -> R {
            with(&mut c, |_, s, w| {
                let (a, m) = set_times(atim as u64, mtim as u64, flags as u16)?;
                match w.get(fd)? {
                    Fd::File { path, handle, .. } => {
                        s.check(Kind::FsWrite, path)?;
                        Ok(handle.set_times(a, m)?)
                    }
                    f @ Fd::Dir { .. } => {
                        if let Fd::Dir { path, .. } = f {
                            s.check(Kind::FsWrite, path)?;
                        }
                        Ok(dir_handle(s, f)?.set_times(a, m)?)
                    }
                    _ => err(EBADF),
                }
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_pread",
        |mut c: C<'_>, fd: i32, iovs: i32, n: i32, off: i64, out: i32| -> R {
            with(&mut c, |mem, _, w| fd_pread(mem, w, fd, iovs, n, off, out))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_prestat_get",
        |mut c: C<'_>, fd: i32, out: i32| -> R {
            with(&mut c, |mem, _, w| match w.get(fd)? {
                Fd::Dir {
                    preopen: Some(name),
                    ..
                } => {
                    let mut b = [0u8; 8];
                    b[4..8].copy_from_slice(&(name.len() as u32).to_le_bytes());
                    put(mem, out, &b)
                }
                _ => err(EBADF),
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_prestat_dir_name",
        |mut c: C<'_>, fd: i32, p: i32, len: i32| -> R {
            with(&mut c, |mem, _, w| match w.get(fd)? {
                Fd::Dir {
                    preopen: Some(name),
                    ..
                } => {
                    if (len as u32 as usize) < name.len() {
                        return err(ENAMETOOLONG);
                    }
                    put(mem, p, name.as_bytes())
                }
                _ => err(EBADF),
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_pwrite",
        |mut c: C<'_>, fd: i32, iovs: i32, n: i32, off: i64, out: i32| -> R {
            with(&mut c, |mem, s, w| {
                fd_pwrite(mem, s, w, fd, iovs, n, off, out)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_read",
        |mut c: C<'_>, fd: i32, iovs: i32, n: i32, out: i32| -> R {
            with(&mut c, |mem, s, w| fd_read(mem, s, w, fd, iovs, n, out))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_readdir",
        |mut c: C<'_>, fd: i32, buf: i32, len: i32, cookie: i64, out: i32| -> R {
            with(&mut c, |mem, s, w| {
                fd_readdir(mem, s, w, fd, buf, len, cookie, out)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_renumber",
        |mut c: C<'_>, from: i32, to: i32| -> R {
            with(&mut c, |_, _, w| {
                w.get(to)?;
                let f = w.fds.remove(&(from as u32)).ok_or(WasiError(EBADF))?;
                w.fds.insert(to as u32, f);
                Ok(())
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fd_seek",
        |mut c: C<'_>, fd: i32, off: i64, whence: i32, out: i32| -> R {
            with(&mut c, |mem, _, w| fd_seek(mem, w, fd, off, whence, out))
        },
    )?;
    l.func_wrap(MODULE, "fd_tell", |mut c: C<'_>, fd: i32, out: i32| -> R {
        with(&mut c, |mem, _, w| fd_seek(mem, w, fd, 0, 1, out))
    })?;
    l.func_wrap(
        MODULE,
        "fd_write",
        |mut c: C<'_>, fd: i32, iovs: i32, n: i32, out: i32| -> R {
            with(&mut c, |mem, s, w| fd_write(mem, s, w, fd, iovs, n, out))
        },
    )?;
    // The two directory operations on one path.
    type DirOp = fn(&Services, &str) -> Result<(), FsError>;
    for (name, op) in [
        ("path_create_directory", Services::fs_create_dir as DirOp),
        ("path_remove_directory", Services::fs_remove_dir as DirOp),
    ] {
        l.func_wrap(
            MODULE,
            name,
            move |mut c: C<'_>, fd: i32, p: i32, len: i32| -> R {
                with(&mut c, |mem, s, w| {
                    let (path, _) = w.resolve(fd, &path_str(mem, p, len, s)?)?;
                    Ok(op(s, &path)?)
                })
            },
        )?;
    }
    l.func_wrap(
        MODULE,
        "path_filestat_get",
        |mut c: C<'_>, fd: i32, flags: i32, p: i32, len: i32, out: i32| -> R {
            with(&mut c, |mem, s, w| {
                let (path, trailing) = w.resolve(fd, &path_str(mem, p, len, s)?)?;
                let st = s.fs_stat(&path, flags as u32 & LOOKUP_FOLLOW != 0 || trailing)?;
                if trailing && st.filetype != FileType::Directory {
                    return err(ENOTDIR);
                }
                put_filestat(mem, out, &st)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_filestat_set_times",
        |mut c: C<'_>,
         fd: i32,
         flags: i32,
         p: i32,
         len: i32,
         atim: i64,
         mtim: i64,
         fst: i32|
         -> R {
            with(&mut c, |mem, s, w| {
                let (a, m) = set_times(atim as u64, mtim as u64, fst as u16)?;
                let (path, _) = w.resolve(fd, &path_str(mem, p, len, s)?)?;
                Ok(s.fs_set_times(&path, flags as u32 & LOOKUP_FOLLOW != 0, a, m)?)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_link",
        |mut c: C<'_>, ofd: i32, oflags: i32, op: i32, ol: i32, nfd: i32, np: i32, nl: i32| -> R {
            with(&mut c, |mem, s, w| {
                let (from, ftrail) = w.resolve(ofd, &path_str(mem, op, ol, s)?)?;
                let (to, ttrail) = w.resolve(nfd, &path_str(mem, np, nl, s)?)?;
                if ftrail || ttrail {
                    return err(ENOENT);
                }
                if s.fs_stat(&from, false)?.filetype == FileType::Directory {
                    return err(EPERM);
                }
                Ok(s.fs_hard_link(&from, &to, oflags as u32 & LOOKUP_FOLLOW != 0)?)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_open",
        |mut c: C<'_>,
         fd: i32,
         df: i32,
         p: i32,
         len: i32,
         of: i32,
         rb: i64,
         ri: i64,
         ff: i32,
         out: i32|
         -> R {
            with(&mut c, |mem, s, w| {
                path_open(mem, s, w, (fd, df, p, len, of, rb, ri, ff, out))
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_readlink",
        |mut c: C<'_>, fd: i32, p: i32, len: i32, buf: i32, blen: i32, out: i32| -> R {
            with(&mut c, |mem, s, w| {
                let (path, _) = w.resolve(fd, &path_str(mem, p, len, s)?)?;
                let text = s.fs_read_link(&path)?;
                let n = text.len().min(blen as u32 as usize);
                put(mem, buf, &text.as_bytes()[..n])?;
                put_u32(mem, out, n as u32)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_rename",
        |mut c: C<'_>, fd: i32, op: i32, ol: i32, nfd: i32, np: i32, nl: i32| -> R {
            with(&mut c, |mem, s, w| {
                let (from, _) = w.resolve(fd, &path_str(mem, op, ol, s)?)?;
                let (to, _) = w.resolve(nfd, &path_str(mem, np, nl, s)?)?;
                Ok(s.fs_rename(&from, &to)?)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_symlink",
        |mut c: C<'_>, op: i32, ol: i32, fd: i32, np: i32, nl: i32| -> R {
            with(&mut c, |mem, s, w| {
                let target = path_str(mem, op, ol, s)?;
                let (path, trailing) = w.resolve(fd, &path_str(mem, np, nl, s)?)?;
                if trailing {
                    return err(ENOENT);
                }
                if target.starts_with('/') {
                    return err(ENOTCAPABLE);
                }
                Ok(s.fs_symlink(&target, &path)?)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "path_unlink_file",
        |mut c: C<'_>, fd: i32, p: i32, len: i32| -> R {
            with(&mut c, |mem, s, w| {
                let (path, trailing) = w.resolve(fd, &path_str(mem, p, len, s)?)?;
                if trailing {
                    return match s.fs_stat(&path, false)?.filetype {
                        FileType::Directory => err(EISDIR),
                        _ => err(ENOTDIR),
                    };
                }
                Ok(s.fs_remove_file(&path)?)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "poll_oneoff",
        |mut c: C<'_>, i: i32, o: i32, n: i32, out: i32| -> R {
            with(&mut c, |mem, s, w| poll_oneoff(mem, s, w, i, o, n, out))
        },
    )?;
    l.func_wrap(
        MODULE,
        "proc_exit",
        |mut c: C<'_>, code: i32| -> Result<(), wasmi::Error> {
            let _ = c.data_mut().enter();
            Err(wasmi::Error::host(GuestRequest::Exit(code as u32)))
        },
    )?;
    l.func_wrap(MODULE, "proc_raise", |mut c: C<'_>, _sig: i32| -> R {
        with(&mut c, |_, _, _| err(ENOSYS))
    })?;
    l.func_wrap(MODULE, "sched_yield", |mut c: C<'_>| -> R {
        with(&mut c, |_, _, _| Ok(()))
    })?;
    l.func_wrap(
        MODULE,
        "random_get",
        |mut c: C<'_>, p: i32, len: i32| -> R {
            with(&mut c, |mem, s, _| {
                let buf = slice_mut(mem, p, len as u32 as usize)?;
                let chunk = (s.limits.max_random_bytes as usize).max(1);
                if buf.is_empty() {
                    // A zero-length request still needs the grant.
                    s.random_fill(&mut [])?;
                }
                for part in buf.chunks_mut(chunk) {
                    s.random_fill(part)?;
                }
                Ok(())
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "sock_accept",
        |mut c: C<'_>, fd: i32, _f: i32, _o: i32| -> R {
            with(&mut c, |_, _, w| {
                w.get(fd)?;
                err(ENOTSOCK)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "sock_recv",
        |mut c: C<'_>, fd: i32, _a: i32, _b: i32, _f: i32, _o: i32, _g: i32| -> R {
            with(&mut c, |_, _, w| {
                w.get(fd)?;
                err(ENOTSOCK)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "sock_send",
        |mut c: C<'_>, fd: i32, _a: i32, _b: i32, _f: i32, _o: i32| -> R {
            with(&mut c, |_, _, w| {
                w.get(fd)?;
                err(ENOTSOCK)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "sock_shutdown",
        |mut c: C<'_>, fd: i32, _how: i32| -> R {
            with(&mut c, |_, _, w| {
                w.get(fd)?;
                err(ENOTSOCK)
            })
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preopen_names_map_to_guest_paths() {
        assert_eq!(Preopen::new("/").guest, "/");
        assert_eq!(Preopen::new(".").guest, "/");
        assert_eq!(Preopen::new("/data/").guest, "/data");
        assert_eq!(Preopen::new("fs-tests.dir").guest, "/fs-tests.dir");
    }

    #[test]
    fn paths_resolve_beneath_their_preopen() {
        let cfg = WasiConfig {
            args: Vec::new(),
            preopens: alloc::vec![Preopen::new("/data")],
        };
        let mut w = WasiState::new(&cfg);
        assert_eq!(
            w.resolve(3, "a/./b/../c").unwrap(),
            ("/data/a/c".into(), false)
        );
        assert_eq!(w.resolve(3, "a/").unwrap(), ("/data/a".into(), true));
        assert_eq!(w.resolve(3, "..").unwrap_err(), WasiError(ENOTCAPABLE));
        assert_eq!(
            w.resolve(3, "a/../../x").unwrap_err(),
            WasiError(ENOTCAPABLE)
        );
        assert_eq!(w.resolve(3, "/etc").unwrap_err(), WasiError(ENOTCAPABLE));
        assert_eq!(w.resolve(1, "x").unwrap_err(), WasiError(ENOTDIR));
        assert_eq!(w.resolve(9, "x").unwrap_err(), WasiError(EBADF));
    }

    #[test]
    fn every_wasi_function_is_listed() {
        assert_eq!(IMPORTS.len(), 46);
    }
}
