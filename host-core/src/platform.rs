//! Platform seams: the small traits through which a host plugs clocks, entropy, log
//! and event sinks, KV stores, filesystems, HTTP, environment and secrets into the core.
//!
//! The core never does I/O itself. It calls these traits only *after* it has checked
//! the capability, its scope and every size; a platform never sees a guest pointer.
//!
//! # Contract common to every trait
//!
//! - Implementations MUST be `Send + Sync` and take `&self`: one platform serves many
//!   instances, possibly on several threads. Use interior mutability.
//! - Methods MUST NOT panic on any input; failures are returned as a [`Code`]
//!   (`IO` for platform failures, `NOT_FOUND`, `LIMIT`, `PERMISSION_DENIED` for checks
//!   the platform makes itself, such as a path escaping a mapped directory).
//! - Methods MUST return in bounded time; a platform that can block (network, disk)
//!   bounds each operation by its own timeouts.
//! - Arguments are already validated: strings are UTF-8 and within the caps of
//!   [`Limits`](crate::Limits); results larger than the `max` argument MUST be
//!   refused with `LIMIT` rather than truncated.
//!
//! [`testing`] ships an implementation of every trait for tests and examples.

use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use serde::Serialize;

use crate::capability::Kind;
use crate::error::Code;

/// Log levels of the `log` import.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Level {
    /// 0
    Trace = 0,
    /// 1
    Debug = 1,
    /// 2
    Info = 2,
    /// 3
    Warn = 3,
    /// 4
    Error = 4,
}

impl Level {
    /// The level for the guest's number, if valid.
    pub fn from_i32(n: i32) -> Option<Level> {
        Some(match n {
            0 => Level::Trace,
            1 => Level::Debug,
            2 => Level::Info,
            3 => Level::Warn,
            4 => Level::Error,
            _ => return None,
        })
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Trace => "trace",
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        }
    }
}

/// Which clock `clock_now` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClockId {
    /// Nanoseconds since the Unix epoch.
    Wall,
    /// Nanoseconds since an arbitrary fixed point; never goes backwards.
    Monotonic,
}

/// Time source. MUST: `Monotonic` never decreases between calls.
pub trait Clock: Send + Sync {
    /// Current time of `clock` in nanoseconds.
    fn now_ns(&self, clock: ClockId) -> Result<u64, Code>;
    /// Blocks for `ns` nanoseconds (WASI's `poll_oneoff` on a clock). MUST return
    /// `TIMEOUT` rather than sleep past the current call's deadline. Default:
    /// `UNSUPPORTED` (a board that cannot block).
    fn sleep_ns(&self, _ns: u64) -> Result<(), Code> {
        Err(Code::Unsupported)
    }
}

/// Randomness. MUST fill the whole buffer or fail. A platform documents whether
/// its source is cryptographically secure.
pub trait Entropy: Send + Sync {
    /// Fills `buf`.
    fn fill(&self, buf: &mut [u8]) -> Result<(), Code>;
}

/// Plugin log lines. MUST NOT fail: a sink that cannot write drops the line.
pub trait LogSink: Send + Sync {
    /// One line from `plugin` (already UTF-8, capped, without control of format).
    fn log(&self, plugin: &str, level: Level, message: &str);

    /// The least severe level this sink keeps; profiles that let a plugin ask
    /// (Extism's `get_log_level`) answer with it, so the plugin skips lines the
    /// sink would drop. Default: every level.
    fn min_level(&self) -> Level {
        Level::Trace
    }
}

/// Destination of `emit`.
pub trait EventSink: Send + Sync {
    /// Delivers `data` on `topic` from `plugin`.
    fn emit(&self, plugin: &str, topic: &str, data: &[u8]) -> Result<(), Code>;
}

/// Key-value store. Namespaces are plugin names; a store MUST keep them apart.
/// MUST: `set` refuses with `LIMIT` a new key once `max_keys` keys exist in the namespace.
pub trait KvStore: Send + Sync {
    /// The value of `key`, or `None`.
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, Code>;
    /// Stores `value` under `key`.
    fn set(&self, namespace: &str, key: &str, value: &[u8], max_keys: usize) -> Result<(), Code>;
    /// Removes `key` (`NOT_FOUND` if absent).
    fn delete(&self, namespace: &str, key: &str) -> Result<(), Code>;
}

/// One directory entry returned by [`Filesystem::list`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DirEntry {
    /// File name (no path).
    pub name: String,
    /// `file`, `dir`, `symlink` or `other`.
    pub kind: &'static str,
    /// Size in bytes (0 for directories).
    pub size: u64,
}

/// The type of a file, as WASI reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileType {
    /// Anything else.
    Unknown,
    /// A block device.
    BlockDevice,
    /// A character device.
    CharacterDevice,
    /// A directory.
    Directory,
    /// A regular file.
    RegularFile,
    /// A datagram socket.
    SocketDgram,
    /// A stream socket.
    SocketStream,
    /// A symbolic link.
    SymbolicLink,
}

/// Metadata of a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    /// Device id.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// Type.
    pub filetype: FileType,
    /// Hard links.
    pub nlink: u64,
    /// Size in bytes.
    pub size: u64,
    /// Last access, ns since the epoch.
    pub atim: u64,
    /// Last modification, ns since the epoch.
    pub mtim: u64,
    /// Last status change, ns since the epoch.
    pub ctim: u64,
}

/// How [`Filesystem::open`] opens a path.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpenFlags {
    /// Open for reading.
    pub read: bool,
    /// Open for writing.
    pub write: bool,
    /// Create the file if it does not exist.
    pub create: bool,
    /// With `create`: fail with [`FsError::Exists`] if the path exists.
    pub exclusive: bool,
    /// Truncate to 0 bytes.
    pub truncate: bool,
    /// Every write appends.
    pub append: bool,
    /// The path must be a directory.
    pub directory: bool,
    /// Follow a symbolic link in the last component (links in earlier components
    /// are always followed, beneath the mapping).
    pub follow: bool,
}

/// A timestamp change of [`OpenFile::set_times`] and [`Filesystem::set_times`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SetTime {
    /// Leave it.
    Keep,
    /// The current time.
    Now,
    /// This time, ns since the epoch.
    At(u64),
}

/// Where [`OpenFile::seek`] counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Whence {
    /// The start of the file.
    Start,
    /// The current position.
    Current,
    /// The end of the file.
    End,
}

/// One entry of [`OpenFile::read_dir`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DirRecord {
    /// File name (no path).
    pub name: String,
    /// Inode.
    pub ino: u64,
    /// Type.
    pub filetype: FileType,
}

/// Errors of the handle-based filesystem operations: POSIX-level detail a WASI
/// program relies on (`EEXIST` from an exclusive create, `ENOTEMPTY`, …). The
/// contract-v1 imports collapse them to a [`Code`] with [`FsError::code`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FsError {
    /// A [`Code`] says it all (`NOT_FOUND`, `PERMISSION_DENIED`, `IO`, `LIMIT`…).
    Code(Code),
    /// The path exists.
    Exists,
    /// A directory was required.
    NotDir,
    /// A non-directory was required.
    IsDir,
    /// The directory is not empty.
    NotEmpty,
    /// Too many symbolic links, or a link where none may be followed.
    Loop,
    /// The argument is invalid for this file (seek before 0, a bad name).
    Invalid,
    /// The file is not open for this operation.
    BadDescriptor,
    /// The file descriptor cannot seek (a pipe).
    SeekPipe,
    /// The name is too long.
    NameTooLong,
    /// A file would grow past the host's limits.
    TooBig,
    /// Moving across mappings.
    CrossDevice,
}

impl FsError {
    /// The contract's code for this error.
    pub fn code(self) -> Code {
        match self {
            FsError::Code(c) => c,
            FsError::Exists | FsError::NotDir | FsError::IsDir | FsError::NotEmpty => {
                Code::InvalidInput
            }
            FsError::Loop => Code::PermissionDenied,
            FsError::Invalid | FsError::BadDescriptor | FsError::SeekPipe => Code::InvalidInput,
            FsError::NameTooLong | FsError::TooBig => Code::Limit,
            FsError::CrossDevice => Code::Unsupported,
        }
    }
}

impl From<Code> for FsError {
    fn from(c: Code) -> Self {
        FsError::Code(c)
    }
}

/// An open file or directory of a [`Filesystem`]. Dropping it closes it.
pub trait OpenFile: Send + Sync {
    /// Metadata.
    fn stat(&self) -> Result<FileStat, FsError>;
    /// Reads at the cursor; `Ok(0)` at the end.
    fn read(&mut self, buf: &mut [u8]) -> Result<usize, FsError>;
    /// Writes at the cursor (at the end when opened with `append`).
    fn write(&mut self, data: &[u8]) -> Result<usize, FsError>;
    /// Reads at `offset` without moving the cursor.
    fn read_at(&mut self, buf: &mut [u8], offset: u64) -> Result<usize, FsError>;
    /// Writes at `offset` without moving the cursor.
    fn write_at(&mut self, data: &[u8], offset: u64) -> Result<usize, FsError>;
    /// Moves the cursor; returns the new position.
    fn seek(&mut self, offset: i64, whence: Whence) -> Result<u64, FsError>;
    /// Truncates or extends the file.
    fn set_size(&mut self, size: u64) -> Result<(), FsError>;
    /// Changes the access and modification times.
    fn set_times(&mut self, atim: SetTime, mtim: SetTime) -> Result<(), FsError>;
    /// Flushes data (and metadata unless `data_only`) to storage.
    fn sync(&mut self, data_only: bool) -> Result<(), FsError>;
    /// Turns append mode on or off.
    fn set_append(&mut self, append: bool) -> Result<(), FsError>;
    /// The entries of a directory, `.` and `..` first; `NotDir` for a file.
    fn read_dir(&mut self) -> Result<Vec<DirRecord>, FsError>;
}

/// Filesystem over guest paths. Paths given are absolute, normalised guest paths
/// (no `.`/`..` components, no `//`), already checked against the grants. MUST:
/// nothing outside the operator's mapped directories is reachable, symlinks included
/// (`PERMISSION_DENIED` or `NOT_FOUND`); a read-only mapping refuses every change.
///
/// The first three methods serve contract v1 (whole files, no symlink followed).
/// The others serve WASI; a platform without them (a board) keeps the defaults,
/// which answer `UNSUPPORTED`. Symbolic links met by these are followed only
/// beneath the mapping that holds the path, never out of it.
pub trait Filesystem: Send + Sync {
    /// The file's bytes; `LIMIT` when larger than `max`.
    fn read(&self, path: &str, max: usize) -> Result<Vec<u8>, Code>;
    /// Creates or replaces the file.
    fn write(&self, path: &str, data: &[u8]) -> Result<(), Code>;
    /// The directory's entries; `LIMIT` when more than `max_entries`.
    fn list(&self, path: &str, max_entries: usize) -> Result<Vec<DirEntry>, Code>;

    /// The guest path of the mapping that holds `path` (`None` when the platform
    /// has no mappings, or none holds it). The core lets WASI operations, which
    /// follow symbolic links within a mapping, through only when a grant covers
    /// that whole mapping, so a link cannot carry them out of a narrower scope.
    fn mount_point(&self, _path: &str) -> Option<String> {
        None
    }

    /// A new, private scratch directory (`fs:temp`) mapped at guest directory
    /// `dir`, as a filesystem of its own holding that one mapping, read-write.
    /// The core asks for one per loaded plugin and routes every path beneath `dir`
    /// to it; it MUST NOT be shared with any other plugin, SHOULD be created on
    /// first use, and MUST be removed when the returned filesystem is dropped.
    /// A platform without scratch directories keeps the default, and granting
    /// `fs:temp` then fails the load.
    fn scratch(&self, _dir: &str) -> Result<Arc<dyn Filesystem>, Code> {
        Err(Code::Unsupported)
    }

    /// The operating-system path of the directory at guest `path`, for the
    /// working directory of a program run by `exec`: it MUST be a directory inside
    /// a mapping, reached without leaving it. Default: `UNSUPPORTED`.
    fn local_dir(&self, _path: &str) -> Result<String, Code> {
        Err(Code::Unsupported)
    }

    /// Opens a file or directory.
    fn open(&self, _path: &str, _flags: OpenFlags) -> Result<Box<dyn OpenFile>, FsError> {
        Err(FsError::Code(Code::Unsupported))
    }
    /// Metadata of `path` (of the link itself unless `follow`).
    fn stat(&self, _path: &str, _follow: bool) -> Result<FileStat, FsError> {
        Err(FsError::Code(Code::Unsupported))
    }
    /// Changes the times of `path`.
    fn set_times(
        &self,
        _path: &str,
        _follow: bool,
        _atim: SetTime,
        _mtim: SetTime,
    ) -> Result<(), FsError> {
        Err(FsError::Code(Code::Unsupported))
    }
    /// Creates a directory.
    fn create_dir(&self, _path: &str) -> Result<(), FsError> {
        Err(FsError::Code(Code::Unsupported))
    }
    /// Removes an empty directory.
    fn remove_dir(&self, _path: &str) -> Result<(), FsError> {
        Err(FsError::Code(Code::Unsupported))
    }
    /// Removes a file or symbolic link.
    fn remove_file(&self, _path: &str) -> Result<(), FsError> {
        Err(FsError::Code(Code::Unsupported))
    }
    /// Renames `from` to `to` (both in the same mapping).
    fn rename(&self, _from: &str, _to: &str) -> Result<(), FsError> {
        Err(FsError::Code(Code::Unsupported))
    }
    /// Creates a hard link `to` of `from` (both in the same mapping).
    fn hard_link(&self, _from: &str, _to: &str, _follow: bool) -> Result<(), FsError> {
        Err(FsError::Code(Code::Unsupported))
    }
    /// Creates a symbolic link at `path` whose text is `target` (relative targets
    /// only; resolution stays beneath the mapping).
    fn symlink(&self, _target: &str, _path: &str) -> Result<(), FsError> {
        Err(FsError::Code(Code::Unsupported))
    }
    /// The text of the symbolic link at `path`.
    fn read_link(&self, _path: &str) -> Result<String, FsError> {
        Err(FsError::Code(Code::Unsupported))
    }
}

/// An HTTP request, parsed and checked by the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// Method, upper-case.
    pub method: String,
    /// The full URL as given.
    pub url: String,
    /// `http` or `https`.
    pub scheme: String,
    /// Host, lower-case, without brackets for IPv6.
    pub host: String,
    /// Port (defaulted from the scheme).
    pub port: u16,
    /// Path and query (`/a?b=1`), the request target to send. A platform MUST
    /// connect to `host:port` as parsed here and not re-parse `url`.
    pub path: String,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// An HTTP response from the platform.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Headers in order.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

/// What a platform may connect to, for redirects and resolved addresses.
pub trait NetPolicy {
    /// Whether `host:port` is granted (checks and audits like the first hop).
    fn allows(&self, host: &str, port: u16) -> bool;
    /// Whether `net:outbound:private` is granted.
    fn private_allowed(&self) -> bool;
    /// The private-address guard refused every address of `host` (the platform then
    /// fails the request with `PERMISSION_DENIED`): records the denial of
    /// `net:outbound:private`, so that the audit and the error name that grant
    /// rather than the host's, which was granted.
    fn refuse_private(&self, host: &str) {
        let _ = host;
    }
}

/// Outbound HTTP. MUST: every redirect hop passes `policy.allows`; every resolved
/// address is checked against the private-address guard unless
/// `policy.private_allowed()`; the connection goes to the checked address; the
/// body is refused with `LIMIT` above `max_body`.
pub trait Http: Send + Sync {
    /// Performs the request.
    fn request(
        &self,
        req: &HttpRequest,
        policy: &dyn NetPolicy,
        max_body: usize,
    ) -> Result<HttpResponse, Code>;
}

/// A program run for a plugin, checked by the core: the program is an absolute,
/// normalised host path allowed by an `exec:` grant; the environment holds only
/// variables the `env:` grants allow; the working directory is a guest path
/// inside a granted mapping.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecRequest {
    /// The program's absolute host path (`argv[0]`).
    pub program: String,
    /// `argv[1..]`.
    pub args: Vec<String>,
    /// The child's whole environment.
    pub env: Vec<(String, String)>,
    /// The working directory: the operating-system path of a mapped guest
    /// directory ([`Filesystem::local_dir`]).
    pub cwd: String,
    /// Bytes for standard input (closed after them).
    pub stdin: Vec<u8>,
    /// Wall-clock limit in milliseconds; past it the process group is killed.
    pub timeout_ms: u64,
    /// Cap on each of stdout and stderr; past it the process group is killed.
    pub max_output: usize,
}

/// How a program run ended.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ExecOutput {
    /// The exit status, when the program exited.
    pub exit_code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    /// The timeout passed and the process group was killed.
    pub timed_out: bool,
    /// A stream passed its cap and the process group was killed.
    pub output_capped: bool,
    /// Standard output (at most the cap).
    pub stdout: Vec<u8>,
    /// Standard error (at most the cap).
    pub stderr: Vec<u8>,
    /// Wall-clock time of the run in milliseconds.
    pub duration_ms: u64,
}

/// Runs programs (`exec:<program-path-glob>`). MUST NOT use a shell, MUST kill
/// the whole process group on timeout or over-cap output, MUST NOT pass any
/// environment variable but the request's.
pub trait Exec: Send + Sync {
    /// Runs the program and waits for it (bounded by `timeout_ms`).
    fn run(&self, request: &ExecRequest) -> Result<ExecOutput, Code>;
}

/// Environment variables from an operator-given allowlist. MUST NOT expose the
/// host environment wholesale.
pub trait Environment: Send + Sync {
    /// The value of `name`, or `None`.
    fn get(&self, name: &str) -> Result<Option<String>, Code>;
    /// Every variable of the allowlist, in a stable order (WASI's `environ_get`;
    /// the core filters them by the grants). Default: none.
    fn vars(&self) -> Result<Vec<(String, String)>, Code> {
        Ok(Vec::new())
    }
}

/// A WASI program's standard streams. MUST NOT block without bound on output;
/// `read` MAY block until input arrives (the program asked for it), and returns
/// `Ok(0)` at the end of input.
pub trait Stdio: Send + Sync {
    /// Writes `data` to `stream`; returns the bytes written.
    fn write(&self, stream: crate::services::Stream, data: &[u8]) -> Result<usize, Code>;
    /// Reads standard input into `buf`.
    fn read(&self, buf: &mut [u8]) -> Result<usize, Code>;
}

/// Secrets. MUST NOT log values or put them in error messages.
pub trait Secrets: Send + Sync {
    /// The secret `name`, or `None`.
    fn get(&self, name: &str) -> Result<Option<Vec<u8>>, Code>;
}

/// A capability denial, reported to the [`Audit`] hook.
#[derive(Debug, Clone, Copy)]
pub struct Denial<'a> {
    /// The plugin.
    pub plugin: &'a str,
    /// The capability kind that was needed.
    pub kind: Kind,
    /// What was asked for (path, host:port, name, topic, import).
    pub subject: &'a str,
    /// `true` at load time (link check), `false` for a call.
    pub at_load: bool,
}

/// Receives every capability denial. MUST NOT fail or block for long.
pub trait Audit: Send + Sync {
    /// Records one denial.
    fn denied(&self, denial: &Denial<'_>);
}

/// The set of services a host offers. A missing service makes its capability
/// unsupported: granting it fails the load with a clear error.
#[derive(Clone, Default)]
pub struct Platform {
    /// `clock`
    pub clock: Option<Arc<dyn Clock>>,
    /// `random`
    pub entropy: Option<Arc<dyn Entropy>>,
    /// `log`
    pub log: Option<Arc<dyn LogSink>>,
    /// `emit`
    pub events: Option<Arc<dyn EventSink>>,
    /// `kv`
    pub kv: Option<Arc<dyn KvStore>>,
    /// `fs:read`, `fs:write`
    pub fs: Option<Arc<dyn Filesystem>>,
    /// `net:outbound`
    pub http: Option<Arc<dyn Http>>,
    /// `env`
    pub env: Option<Arc<dyn Environment>>,
    /// `secrets:read`
    pub secrets: Option<Arc<dyn Secrets>>,
    /// `stdio` (without it, a WASI program's output goes to `log`)
    pub stdio: Option<Arc<dyn Stdio>>,
    /// `exec`
    pub exec: Option<Arc<dyn Exec>>,
    /// Denials go here (optional).
    pub audit: Option<Arc<dyn Audit>>,
}

impl core::fmt::Debug for Platform {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        let mut l = f.debug_list();
        for k in Kind::ALL {
            if self.supports(k) {
                l.entry(&k.prefix());
            }
        }
        l.finish()
    }
}

impl Platform {
    /// A platform with no services: only unscoped, service-free imports work
    /// (`set_error`, `config_get`).
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether this platform can provide capability `kind`.
    pub fn supports(&self, kind: Kind) -> bool {
        match kind {
            Kind::Log => self.log.is_some(),
            Kind::Clock => self.clock.is_some(),
            Kind::Random => self.entropy.is_some(),
            Kind::Kv => self.kv.is_some(),
            Kind::Emit => self.events.is_some(),
            Kind::FsRead | Kind::FsWrite => self.fs.is_some(),
            Kind::NetOutbound | Kind::NetPrivate => self.http.is_some(),
            Kind::Env => self.env.is_some(),
            Kind::SecretsRead => self.secrets.is_some(),
            Kind::Stdio => self.stdio.is_some() || self.log.is_some(),
            // Application functions live on the runtime, not the platform: a
            // grant naming a function the runtime lacks simply matches nothing.
            Kind::App => true,
            Kind::Exec => self.exec.is_some(),
            // The directory itself is asked for at load (`Filesystem::scratch`).
            Kind::FsTemp => self.fs.is_some(),
        }
    }

    pub(crate) fn audit(&self, denial: &Denial<'_>) {
        if let Some(a) = &self.audit {
            a.denied(denial);
        }
    }
}

/// The core's bounded in-memory KV store on `hashbrown`: usable in production on
/// boards and as the default store of the CLI. Keys per namespace are capped by the
/// caller's `max_keys`; the number of namespaces by [`MemoryKv::new`].
pub struct MemoryKv {
    inner: spin::Mutex<hashbrown::HashMap<String, hashbrown::HashMap<String, Vec<u8>>>>,
    max_namespaces: usize,
}

impl MemoryKv {
    /// A store holding at most `max_namespaces` plugins' namespaces.
    pub fn new(max_namespaces: usize) -> Self {
        MemoryKv {
            inner: spin::Mutex::new(hashbrown::HashMap::new()),
            max_namespaces,
        }
    }

    /// Number of keys in `namespace`.
    pub fn len(&self, namespace: &str) -> usize {
        self.inner.lock().get(namespace).map_or(0, |m| m.len())
    }
}

impl Default for MemoryKv {
    fn default() -> Self {
        MemoryKv::new(64)
    }
}

impl KvStore for MemoryKv {
    fn get(&self, namespace: &str, key: &str) -> Result<Option<Vec<u8>>, Code> {
        Ok(self
            .inner
            .lock()
            .get(namespace)
            .and_then(|m| m.get(key))
            .cloned())
    }

    fn set(&self, namespace: &str, key: &str, value: &[u8], max_keys: usize) -> Result<(), Code> {
        let mut all = self.inner.lock();
        if !all.contains_key(namespace) {
            if all.len() >= self.max_namespaces {
                return Err(Code::Limit);
            }
            all.insert(String::from(namespace), hashbrown::HashMap::new());
        }
        let ns = all.get_mut(namespace).ok_or(Code::Internal)?;
        if let Some(v) = ns.get_mut(key) {
            v.clear();
            v.extend_from_slice(value);
            return Ok(());
        }
        if ns.len() >= max_keys {
            return Err(Code::Limit);
        }
        ns.insert(String::from(key), value.to_vec());
        Ok(())
    }

    fn delete(&self, namespace: &str, key: &str) -> Result<(), Code> {
        let mut all = self.inner.lock();
        match all.get_mut(namespace).and_then(|m| m.remove(key)) {
            Some(_) => Ok(()),
            None => Err(Code::NotFound),
        }
    }
}

pub mod testing {
    //! Implementations of every platform trait for tests and examples. They are
    //! deterministic and keep what they receive so a test can assert on it.

    use super::*;
    use alloc::collections::BTreeMap;
    use alloc::string::ToString;
    use alloc::vec;

    /// A clock that starts at a fixed time and advances by `step_ns` per reading.
    pub struct StepClock {
        wall_start: u64,
        step_ns: u64,
        ticks: spin::Mutex<u64>,
    }

    impl StepClock {
        /// Starts at `wall_start` ns since the epoch, advancing `step_ns` per reading.
        pub fn new(wall_start: u64, step_ns: u64) -> Self {
            StepClock {
                wall_start,
                step_ns,
                ticks: spin::Mutex::new(0),
            }
        }
    }

    impl Clock for StepClock {
        fn now_ns(&self, clock: ClockId) -> Result<u64, Code> {
            let t = {
                let mut ticks = self.ticks.lock();
                *ticks += 1;
                (*ticks - 1).saturating_mul(self.step_ns)
            };
            Ok(match clock {
                ClockId::Wall => self.wall_start + t,
                ClockId::Monotonic => t,
            })
        }
    }

    /// xorshift64* from a seed. NOT cryptographically secure: tests only.
    pub struct XorShiftEntropy(spin::Mutex<u64>);

    impl XorShiftEntropy {
        /// Seeded generator (a zero seed is replaced by a constant).
        pub fn new(seed: u64) -> Self {
            XorShiftEntropy(spin::Mutex::new(if seed == 0 {
                0x9E37_79B9_7F4A_7C15
            } else {
                seed
            }))
        }
    }

    impl Entropy for XorShiftEntropy {
        fn fill(&self, buf: &mut [u8]) -> Result<(), Code> {
            let mut s = self.0.lock();
            for chunk in buf.chunks_mut(8) {
                *s ^= *s >> 12;
                *s ^= *s << 25;
                *s ^= *s >> 27;
                let v = s.wrapping_mul(0x2545_F491_4F6C_DD1D).to_le_bytes();
                chunk.copy_from_slice(&v[..chunk.len()]);
            }
            Ok(())
        }
    }

    /// Keeps every log line.
    #[derive(Default)]
    pub struct RecordingLog(pub spin::Mutex<Vec<(String, Level, String)>>);

    impl RecordingLog {
        /// The lines so far: (plugin, level, message).
        pub fn lines(&self) -> Vec<(String, Level, String)> {
            self.0.lock().clone()
        }
    }

    impl LogSink for RecordingLog {
        fn log(&self, plugin: &str, level: Level, message: &str) {
            self.0
                .lock()
                .push((plugin.to_string(), level, message.to_string()));
        }
    }

    /// Keeps every event.
    #[derive(Default)]
    pub struct RecordingEvents(pub spin::Mutex<Vec<(String, String, Vec<u8>)>>);

    impl RecordingEvents {
        /// Events so far: (plugin, topic, data).
        pub fn events(&self) -> Vec<(String, String, Vec<u8>)> {
            self.0.lock().clone()
        }
    }

    impl EventSink for RecordingEvents {
        fn emit(&self, plugin: &str, topic: &str, data: &[u8]) -> Result<(), Code> {
            self.0
                .lock()
                .push((plugin.to_string(), topic.to_string(), data.to_vec()));
            Ok(())
        }
    }

    /// Keeps every denial as (plugin, kind, subject, at_load).
    #[derive(Default)]
    pub struct RecordingAudit(pub spin::Mutex<Vec<(String, Kind, String, bool)>>);

    impl RecordingAudit {
        /// Denials so far.
        pub fn denials(&self) -> Vec<(String, Kind, String, bool)> {
            self.0.lock().clone()
        }
    }

    impl Audit for RecordingAudit {
        fn denied(&self, d: &Denial<'_>) {
            self.0.lock().push((
                d.plugin.to_string(),
                d.kind,
                d.subject.to_string(),
                d.at_load,
            ));
        }
    }

    /// An in-memory filesystem of guest paths → bytes; directories are implied by paths.
    #[derive(Default)]
    pub struct MemoryFs(pub spin::Mutex<BTreeMap<String, Vec<u8>>>);

    impl Filesystem for MemoryFs {
        fn read(&self, path: &str, max: usize) -> Result<Vec<u8>, Code> {
            let files = self.0.lock();
            let data = files.get(path).ok_or(Code::NotFound)?;
            if data.len() > max {
                return Err(Code::Limit);
            }
            Ok(data.clone())
        }

        fn write(&self, path: &str, data: &[u8]) -> Result<(), Code> {
            self.0.lock().insert(path.to_string(), data.to_vec());
            Ok(())
        }

        /// The guest path itself (nothing runs on it: see [`RecordingExec`]).
        fn local_dir(&self, path: &str) -> Result<String, Code> {
            Ok(path.to_string())
        }

        /// A new, empty in-memory filesystem per scratch directory.
        fn scratch(&self, _dir: &str) -> Result<Arc<dyn Filesystem>, Code> {
            Ok(Arc::new(MemoryFs::default()))
        }

        fn list(&self, path: &str, max_entries: usize) -> Result<Vec<DirEntry>, Code> {
            let prefix = if path.ends_with('/') {
                path.to_string()
            } else {
                alloc::format!("{path}/")
            };
            let files = self.0.lock();
            let mut out: Vec<DirEntry> = vec![];
            for (p, data) in files.range(prefix.clone()..) {
                let Some(rest) = p.strip_prefix(&prefix) else {
                    break;
                };
                let (name, kind, size) = match rest.split_once('/') {
                    Some((dir, _)) => (dir, "dir", 0),
                    None => (rest, "file", data.len() as u64),
                };
                if out.last().is_some_and(|e| e.name == name) {
                    continue;
                }
                if out.len() == max_entries {
                    return Err(Code::Limit);
                }
                out.push(DirEntry {
                    name: name.to_string(),
                    kind,
                    size,
                });
            }
            if out.is_empty() {
                return Err(Code::NotFound);
            }
            Ok(out)
        }
    }

    /// Answers every request with a fixed response after checking redirects it is
    /// told to simulate against the policy; keeps the requests it saw.
    #[derive(Default)]
    pub struct CannedHttp {
        /// The response to give.
        pub response: HttpResponse,
        /// Redirect hops (host, port) to walk before answering.
        pub redirects: Vec<(String, u16)>,
        /// Requests received.
        pub seen: spin::Mutex<Vec<HttpRequest>>,
    }

    impl Http for CannedHttp {
        fn request(
            &self,
            req: &HttpRequest,
            policy: &dyn NetPolicy,
            max_body: usize,
        ) -> Result<HttpResponse, Code> {
            self.seen.lock().push(req.clone());
            for (host, port) in &self.redirects {
                if !policy.allows(host, *port) {
                    return Err(Code::PermissionDenied);
                }
            }
            if self.response.body.len() > max_body {
                return Err(Code::Limit);
            }
            Ok(self.response.clone())
        }
    }

    /// Environment from a map (the allowlist is the map).
    #[derive(Default)]
    pub struct MapEnv(pub BTreeMap<String, String>);

    impl Environment for MapEnv {
        fn get(&self, name: &str) -> Result<Option<String>, Code> {
            Ok(self.0.get(name).cloned())
        }

        fn vars(&self) -> Result<Vec<(String, String)>, Code> {
            Ok(self.0.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        }
    }

    /// Secrets from a map.
    #[derive(Default)]
    pub struct MapSecrets(pub BTreeMap<String, Vec<u8>>);

    impl Secrets for MapSecrets {
        fn get(&self, name: &str) -> Result<Option<Vec<u8>>, Code> {
            Ok(self.0.get(name).cloned())
        }
    }

    /// An `exec` that runs nothing: it records each request and answers with
    /// exit status 0 and the program's path on stdout.
    #[derive(Default)]
    pub struct RecordingExec(pub spin::Mutex<Vec<ExecRequest>>);

    impl Exec for RecordingExec {
        fn run(&self, request: &ExecRequest) -> Result<ExecOutput, Code> {
            self.0.lock().push(request.clone());
            Ok(ExecOutput {
                exit_code: Some(0),
                stdout: request.program.as_bytes().to_vec(),
                ..ExecOutput::default()
            })
        }
    }

    /// A platform with every service, backed by the implementations above.
    pub fn full() -> Platform {
        Platform {
            clock: Some(Arc::new(StepClock::new(1_700_000_000_000_000_000, 1_000))),
            entropy: Some(Arc::new(XorShiftEntropy::new(42))),
            log: Some(Arc::new(RecordingLog::default())),
            events: Some(Arc::new(RecordingEvents::default())),
            kv: Some(Arc::new(MemoryKv::default())),
            fs: Some(Arc::new(MemoryFs::default())),
            http: Some(Arc::new(CannedHttp::default())),
            env: Some(Arc::new(MapEnv::default())),
            secrets: Some(Arc::new(MapSecrets::default())),
            stdio: None,
            exec: Some(Arc::new(RecordingExec::default())),
            audit: Some(Arc::new(RecordingAudit::default())),
        }
    }
}
