//! The service restricts itself after start-up: Landlock for files, a seccomp
//! filter for system calls, and `no_new_privs`.
//!
//! `caplet serve` runs untrusted plugins for many tenants. The wasm sandbox is the
//! first wall; [`confine`] is the second: should a plugin ever get code running in
//! the host process, that code still cannot read files outside the directories the
//! service was given, nor load kernel modules, mount, trace other processes,
//! create namespaces or (unless the policy runs programs) start programs.
//!
//! # What [`confine`] does, in this order
//!
//! 1. Opens every path of the [`Confinement`] and of the system list below (an
//!    error here changes nothing: the process is not restricted yet).
//! 2. Sets `no_new_privs` on the calling thread: no program started later gains
//!    privileges through set-user-ID bits or file capabilities.
//! 3. **Landlock** (Linux 5.13+): from then on files and directories can be
//!    opened, created, removed or executed only beneath the listed paths, with
//!    the rights below. The best ABI that both the kernel and the `landlock`
//!    crate know is used; an older kernel enforces fewer rights and the report
//!    says [`Status::Partial`] with what is missing, a kernel without Landlock
//!    gives [`Status::Unsupported`] and start-up goes on.
//! 4. **seccomp** (x86_64 and aarch64): a filter whose default is to allow, and
//!    which answers `EPERM` for the system calls listed at [`confine`], installed
//!    on **every thread** of the process at once (`SECCOMP_FILTER_FLAG_TSYNC`).
//!
//! Both are irreversible and inherited by every thread and program started later.
//!
//! # Threads: call [`confine`] before starting any thread
//!
//! A Landlock domain is applied to the calling thread only, unless the kernel
//! offers Landlock ABI 8 (`LANDLOCK_RESTRICT_SELF_TSYNC`), which restricts every
//! thread of the process at once. [`confine`] asks for that only when other
//! threads are already running, and when the kernel cannot do it the report says
//! [`Status::Partial`] and names how many threads stay outside the domain.
//! Threads started *after* [`confine`] inherit the domain on every kernel. So the
//! caller must:
//!
//! 1. do all of its start-up work that needs files outside the confinement
//!    (read the configuration, open stores, load the plugin catalogue);
//! 2. call [`confine`] on the main thread **while it is the only thread**;
//! 3. only then start the worker pool, the async runtime and any other thread.
//!
//! The seccomp filter reaches every thread in any case.
//!
//! # Landlock rights
//!
//! - [`Confinement::read_write`]: every right the kernel can enforce (read, write,
//!   create, remove, rename, truncate, device ioctl, connect to a UNIX socket by
//!   path) except **execute**: nothing the service can write can be run as a
//!   program.
//! - [`Confinement::read_only`]: read files and list directories; no execute.
//! - Always, read-only, where present: TLS roots (`/etc/ssl`,
//!   `/etc/ca-certificates`, `/usr/share/ca-certificates`, `/etc/pki/tls`,
//!   `/etc/pki/ca-trust`), name resolution (`/etc/resolv.conf`, `/etc/hosts`,
//!   `/etc/nsswitch.conf`, `/etc/gai.conf`, `/etc/host.conf`, and the directory
//!   under `/run` that `/etc/resolv.conf` links to, if it does), `/dev/urandom`,
//!   `/proc/self` and `/sys/devices/system/cpu` (the processor count). `/dev/null`
//!   read-write.
//! - With [`Confinement::allow_exec`]: read and execute beneath `/usr`, `/bin`,
//!   `/sbin`, `/lib`, `/lib32`, `/lib64` and `/libx32`, and read of
//!   `/etc/ld.so.cache`, `/etc/ld.so.conf` and `/etc/ld.so.conf.d`, so that
//!   programs installed there start. A program elsewhere cannot be run.
//!
//! Landlock rules are bound to the files and directories as they are when
//! [`confine`] runs: a listed *file* that is later replaced by a rename (a
//! rewritten `/etc/hosts`) is no longer readable; files inside a listed
//! *directory* are not affected.

use std::fmt;
use std::path::{Path, PathBuf};

use landlock::{
    Access, AccessFs, BitFlags, LandlockStatus, PathBeneath, PathFd, RestrictSelfAttr, Ruleset,
    RulesetAttr, RulesetCreatedAttr, RulesetStatus, ABI,
};

/// What the service may still reach after [`confine`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Confinement {
    /// Directories (or files) with every right but execute: the data directory and
    /// the policy's writable mapped directories. Each must exist.
    pub read_write: Vec<PathBuf>,
    /// Directories (or files) that may be read but neither written nor executed:
    /// the plugin directories and the policy's read-only mapped directories. Each
    /// must exist.
    pub read_only: Vec<PathBuf>,
    /// Whether the service may still start programs (the policy has `exec:`
    /// grants). `false` refuses `execve` and `execveat` in the seccomp filter and
    /// grants execute nowhere; `true` lets programs beneath the system program
    /// directories run (see the module documentation).
    pub allow_exec: bool,
}

/// What [`confine`] could enforce, one [`Status`] per mechanism.
///
/// Its `Display` is two lines, `landlock: …` and `seccomp: …`, for the start-up log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The file system restriction.
    pub landlock: Status,
    /// The system call filter.
    pub seccomp: Status,
}

/// How far one mechanism is enforced.
///
/// `Display` gives `enforced: <detail>`, `partial: <detail>` or
/// `unsupported: <reason>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Everything asked for is enforced.
    Enforced {
        /// What is enforced, for the log.
        detail: String,
    },
    /// Enforced, but with less than asked for (an older kernel, or threads left
    /// outside the Landlock domain).
    Partial {
        /// What is enforced and what is missing, for the log.
        detail: String,
    },
    /// Not enforced at all on this system.
    Unsupported {
        /// Why: the kernel or architecture lacks the mechanism.
        reason: String,
    },
}

impl Status {
    /// Whether the mechanism restricts the process at all ([`Status::Enforced`] or
    /// [`Status::Partial`]).
    pub fn is_active(&self) -> bool {
        !matches!(self, Status::Unsupported { .. })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Status::Enforced { detail } => write!(f, "enforced: {detail}"),
            Status::Partial { detail } => write!(f, "partial: {detail}"),
            Status::Unsupported { reason } => write!(f, "unsupported: {reason}"),
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "landlock: {}", self.landlock)?;
        write!(f, "seccomp: {}", self.seccomp)
    }
}

/// Restricts the whole process, irreversibly, to `c` (see the module
/// documentation for the rights and the order the caller must keep: call it
/// while the calling thread is the only one).
///
/// The seccomp filter answers `EPERM` for `ptrace`, `process_vm_readv`,
/// `process_vm_writev`, `mount`, `umount2`, `pivot_root`, `chroot`, the newer
/// mount calls (`open_tree`, `move_mount`, `fsopen`, `fsconfig`, `fsmount`,
/// `fspick`, `mount_setattr`), `kexec_load`, `kexec_file_load`, `bpf`,
/// `init_module`, `finit_module`, `delete_module`, `reboot`, `swapon`, `swapoff`,
/// `acct`, `perf_event_open`, `userfaultfd`, `keyctl`, `add_key`, `request_key`,
/// `setns`, `unshare`, `quotactl`, `quotactl_fd`, `io_uring_setup`, `iopl` and
/// `ioperm` (x86_64), and `execve` and `execveat` unless
/// [`Confinement::allow_exec`]; `clone` with a namespace flag also answers `EPERM`,
/// and `clone3` (whose flags a filter cannot read) answers `ENOSYS`, so the C
/// library falls back to `clone`. On x86_64 the x32 numbers of these calls are
/// refused too.
///
/// A kernel or architecture without one of the mechanisms is no error: the
/// [`Report`] says [`Status::Unsupported`] and why. Errors: a listed path that
/// cannot be opened (nothing is restricted then), or a restriction the kernel
/// supports but refused (what was applied before it stays applied: the caller
/// should stop).
pub fn confine(c: &Confinement) -> Result<Report, String> {
    let rules = landlock_rules(c)?;
    rustix::thread::set_no_new_privs(true)
        .map_err(|e| format!("cannot set no_new_privs on the process: {e}"))?;
    let landlock = restrict_files(rules, c)?;
    let seccomp = seccomp::apply(c.allow_exec)?;
    Ok(Report { landlock, seccomp })
}

/// The Landlock ABI whose file rights the service asks for; an older kernel
/// enforces the subset it knows ([`Status::Partial`]).
const WANTED_ABI: ABI = ABI::V10;

/// Always readable, where present.
const SYSTEM_READ_ONLY: &[&str] = &[
    // TLS roots.
    "/etc/ssl",
    "/etc/ca-certificates",
    "/usr/share/ca-certificates",
    "/etc/pki/tls",
    "/etc/pki/ca-trust",
    // Name resolution.
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/gai.conf",
    "/etc/host.conf",
    // Randomness (when the getrandom call is missing), the process's own /proc
    // entries, and the processor count.
    "/dev/urandom",
    "/proc/self",
    "/sys/devices/system/cpu",
];

/// Readable and executable, where present, with [`Confinement::allow_exec`].
const SYSTEM_EXEC: &[&str] = &[
    "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32",
];

/// Readable, where present, with [`Confinement::allow_exec`]: the dynamic
/// loader's configuration.
const SYSTEM_LOADER: &[&str] = &["/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d"];

/// One opened path and the rights beneath it.
struct Rule {
    fd: PathFd,
    access: BitFlags<AccessFs>,
}

/// Opens every path to grant, before anything is restricted.
fn landlock_rules(c: &Confinement) -> Result<Vec<Rule>, String> {
    let all = AccessFs::from_all(WANTED_ABI);
    let read_write = all & !AccessFs::Execute;
    let read_only = AccessFs::ReadFile | AccessFs::ReadDir;
    let read_exec = read_only | AccessFs::Execute;
    let mut rules = Vec::new();
    for p in &c.read_write {
        rules.push(required(p, read_write, "read-write")?);
    }
    for p in &c.read_only {
        rules.push(required(p, read_only, "read-only")?);
    }
    let mut optional: Vec<(PathBuf, BitFlags<AccessFs>)> = SYSTEM_READ_ONLY
        .iter()
        .map(|p| (PathBuf::from(p), read_only))
        .collect();
    optional.push((
        PathBuf::from("/dev/null"),
        AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate,
    ));
    if let Some(dir) = resolver_dir() {
        optional.push((dir, read_only));
    }
    if c.allow_exec {
        optional.extend(SYSTEM_EXEC.iter().map(|p| (PathBuf::from(p), read_exec)));
        optional.extend(SYSTEM_LOADER.iter().map(|p| (PathBuf::from(p), read_only)));
    }
    for (p, access) in optional {
        // Absent on this system: nothing to grant.
        let Ok(meta) = std::fs::metadata(&p) else {
            continue;
        };
        match PathFd::new(&p) {
            Ok(fd) => rules.push(Rule {
                fd,
                access: fit(access, meta.is_dir()),
            }),
            Err(e) => return Err(format!("landlock: cannot open {}: {e}", p.display())),
        }
    }
    Ok(rules)
}

/// Opens a path the caller listed; it must exist.
fn required(p: &Path, access: BitFlags<AccessFs>, what: &str) -> Result<Rule, String> {
    let meta =
        std::fs::metadata(p).map_err(|e| format!("landlock: {what} path {}: {e}", p.display()))?;
    let fd = PathFd::new(p).map_err(|e| format!("landlock: {what} path {}: {e}", p.display()))?;
    Ok(Rule {
        fd,
        access: fit(access, meta.is_dir()),
    })
}

/// The rights that apply to a file (not a directory): Landlock refuses directory
/// rights on a file rule.
fn fit(access: BitFlags<AccessFs>, is_dir: bool) -> BitFlags<AccessFs> {
    if is_dir {
        access
    } else {
        access & AccessFs::from_file(WANTED_ABI)
    }
}

/// The directory under `/run` holding the file `/etc/resolv.conf` links to (the
/// resolver rewrites that file by renaming a new one over it, so the directory is
/// granted rather than the file).
fn resolver_dir() -> Option<PathBuf> {
    std::fs::read_link("/etc/resolv.conf").ok()?;
    let target = std::fs::canonicalize("/etc/resolv.conf").ok()?;
    let dir = target.parent()?;
    let under_run = dir.starts_with("/run/") || dir.starts_with("/var/run/");
    under_run.then(|| dir.to_path_buf())
}

/// How many threads the process has, from `/proc/self/task`.
fn thread_count() -> Option<usize> {
    Some(std::fs::read_dir("/proc/self/task").ok()?.count())
}

/// Builds and enforces the Landlock domain.
fn restrict_files(rules: Vec<Rule>, c: &Confinement) -> Result<Status, String> {
    let threads = thread_count();
    // Restricting the other threads too needs ABI 8; asking for it when there is
    // no other thread would only make an older kernel report a partial result.
    let others = threads != Some(1);
    let rule_count = rules.len();
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(WANTED_ABI))
        .and_then(|r| r.create())
        .and_then(|r| {
            r.add_rules(
                rules
                    .into_iter()
                    .map(|r| Ok(PathBeneath::new(r.fd, r.access))),
            )
        })
        .and_then(|r| r.all_threads(others))
        .and_then(|r| r.restrict_self())
        .map_err(|e| format!("landlock: {e}"))?;
    let abi = match status.landlock {
        LandlockStatus::Available { effective_abi, .. } => effective_abi,
        LandlockStatus::NotEnabled => {
            return Ok(Status::Unsupported {
                reason: "the kernel has Landlock but did not enable it at boot (it is missing \
                         from the lsm= list)"
                    .into(),
            })
        }
        LandlockStatus::NotImplemented => {
            return Ok(Status::Unsupported {
                reason: "the kernel is built without Landlock (Linux 5.13+ with \
                         CONFIG_SECURITY_LANDLOCK)"
                    .into(),
            })
        }
    };
    let mut scope = format!(
        "Landlock ABI {abi}: files only beneath {} read-write and {} read-only paths of the \
         configuration and {} system paths{}",
        c.read_write.len(),
        c.read_only.len(),
        rule_count - c.read_write.len() - c.read_only.len(),
        if c.allow_exec {
            ", programs only from the system directories"
        } else {
            ", nothing executable"
        }
    );
    scope.push_str(if status.all_threads {
        "; every thread"
    } else if others {
        ""
    } else {
        "; this thread and every thread started after it (no other thread was running)"
    });
    let mut missing = Vec::new();
    let unhandled = AccessFs::from_all(WANTED_ABI) & !AccessFs::from_all(abi);
    if !unhandled.is_empty() {
        let names: Vec<&str> = unhandled.iter().map(right_name).collect();
        missing.push(format!("not enforced by this kernel: {}", names.join(", ")));
    }
    if others && !status.all_threads {
        let n = match threads {
            Some(2) => "1 other thread already running stays".to_string(),
            Some(t) => format!("{} other threads already running stay", t.saturating_sub(1)),
            None => "the other threads already running stay".to_string(),
        };
        missing.push(format!(
            "{n} unrestricted (restricting every thread needs Landlock ABI 8); only this \
             thread and the threads it starts are confined"
        ));
    }
    Ok(match status.ruleset {
        RulesetStatus::FullyEnforced => Status::Enforced { detail: scope },
        RulesetStatus::PartiallyEnforced => {
            if missing.is_empty() {
                missing.push("the landlock crate reports a partial enforcement".into());
            }
            Status::Partial {
                detail: format!("{scope}; {}", missing.join("; ")),
            }
        }
        RulesetStatus::NotEnforced => Status::Unsupported {
            reason: format!("Landlock ABI {abi} is available but the ruleset was not enforced"),
        },
    })
}

/// A Landlock right as the log names it, with the ABI that brought it.
fn right_name(a: AccessFs) -> &'static str {
    match a {
        AccessFs::Refer => "moving and linking between directories (ABI 2)",
        AccessFs::Truncate => "truncate (ABI 3)",
        AccessFs::IoctlDev => "device ioctl (ABI 5)",
        AccessFs::ResolveUnix => "connecting to UNIX sockets by path (ABI 9)",
        _ => "a newer file right",
    }
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod seccomp {
    //! The seccomp filters, for the architectures `seccompiler` and this module
    //! know the system call numbers of.

    use std::collections::BTreeMap;

    use seccompiler::{
        BpfProgram, SeccompAction, SeccompCmpArgLen, SeccompCmpOp, SeccompCondition, SeccompFilter,
        SeccompRule, TargetArch,
    };

    use super::Status;

    #[cfg(target_arch = "x86_64")]
    const ARCH: TargetArch = TargetArch::x86_64;
    #[cfg(target_arch = "aarch64")]
    const ARCH: TargetArch = TargetArch::aarch64;

    /// Refused with `EPERM` always.
    const REFUSED: &[libc::c_long] = &[
        libc::SYS_ptrace,
        libc::SYS_process_vm_readv,
        libc::SYS_process_vm_writev,
        libc::SYS_mount,
        libc::SYS_umount2,
        libc::SYS_pivot_root,
        libc::SYS_chroot,
        libc::SYS_open_tree,
        libc::SYS_move_mount,
        libc::SYS_fsopen,
        libc::SYS_fsconfig,
        libc::SYS_fsmount,
        libc::SYS_fspick,
        libc::SYS_mount_setattr,
        libc::SYS_kexec_load,
        libc::SYS_kexec_file_load,
        libc::SYS_bpf,
        libc::SYS_init_module,
        libc::SYS_finit_module,
        libc::SYS_delete_module,
        libc::SYS_reboot,
        libc::SYS_swapon,
        libc::SYS_swapoff,
        libc::SYS_acct,
        libc::SYS_perf_event_open,
        libc::SYS_userfaultfd,
        libc::SYS_keyctl,
        libc::SYS_add_key,
        libc::SYS_request_key,
        libc::SYS_setns,
        libc::SYS_unshare,
        libc::SYS_quotactl,
        libc::SYS_quotactl_fd,
        libc::SYS_io_uring_setup,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_iopl,
        #[cfg(target_arch = "x86_64")]
        libc::SYS_ioperm,
    ];

    /// Refused with `EPERM` unless programs may be started.
    const EXEC: &[libc::c_long] = &[libc::SYS_execve, libc::SYS_execveat];

    /// x86_64 only: the bit that selects the x32 system call table (the same
    /// architecture in the filter's eyes), and the x32-only numbers of refused
    /// calls: execve 520, ptrace 521, kexec_load 528, process_vm_readv 539,
    /// process_vm_writev 540, execveat 545.
    #[cfg(target_arch = "x86_64")]
    const X32: libc::c_long = 0x4000_0000;
    #[cfg(target_arch = "x86_64")]
    const X32_REFUSED: &[libc::c_long] = &[521, 528, 539, 540];
    #[cfg(target_arch = "x86_64")]
    const X32_EXEC: &[libc::c_long] = &[520, 545];

    /// `clone` flags that create namespaces (what `unshare` would do).
    const NAMESPACE_FLAGS: &[libc::c_int] = &[
        libc::CLONE_NEWNS,
        libc::CLONE_NEWCGROUP,
        libc::CLONE_NEWUTS,
        libc::CLONE_NEWIPC,
        libc::CLONE_NEWUSER,
        libc::CLONE_NEWPID,
        libc::CLONE_NEWNET,
    ];

    /// The system call numbers answered with `EPERM` whatever their arguments.
    pub(super) fn refused(allow_exec: bool) -> Vec<libc::c_long> {
        let mut calls: Vec<libc::c_long> = REFUSED.to_vec();
        if !allow_exec {
            calls.extend_from_slice(EXEC);
        }
        #[cfg(target_arch = "x86_64")]
        {
            let native: Vec<libc::c_long> = calls.iter().map(|n| n | X32).collect();
            calls.extend(native);
            calls.extend(X32_REFUSED.iter().map(|n| n | X32));
            if !allow_exec {
                calls.extend(X32_EXEC.iter().map(|n| n | X32));
            }
        }
        calls
    }

    /// The `clone` numbers (native, and x32 on x86_64).
    fn clone_numbers() -> Vec<libc::c_long> {
        #[cfg(target_arch = "x86_64")]
        return vec![libc::SYS_clone, libc::SYS_clone | X32];
        #[cfg(not(target_arch = "x86_64"))]
        return vec![libc::SYS_clone];
    }

    /// The `clone3` numbers (native, and x32 on x86_64).
    fn clone3_numbers() -> Vec<libc::c_long> {
        #[cfg(target_arch = "x86_64")]
        return vec![libc::SYS_clone3, libc::SYS_clone3 | X32];
        #[cfg(not(target_arch = "x86_64"))]
        return vec![libc::SYS_clone3];
    }

    /// The filter answering `EPERM`, and the one answering `ENOSYS` for `clone3`.
    fn programs(allow_exec: bool) -> Result<(BpfProgram, BpfProgram), String> {
        let mut rules: BTreeMap<i64, Vec<SeccompRule>> = BTreeMap::new();
        for n in refused(allow_exec) {
            rules.insert(n, Vec::new());
        }
        // clone's first argument is the flags on both architectures; one rule per
        // namespace flag (the rules of a call are alternatives).
        let mut clone_rules = Vec::new();
        for flag in NAMESPACE_FLAGS {
            let bits = u64::from(flag.unsigned_abs());
            let cond = SeccompCondition::new(
                0,
                SeccompCmpArgLen::Dword,
                SeccompCmpOp::MaskedEq(bits),
                bits,
            )
            .map_err(|e| format!("seccomp: clone rule: {e}"))?;
            clone_rules.push(
                SeccompRule::new(vec![cond]).map_err(|e| format!("seccomp: clone rule: {e}"))?,
            );
        }
        for n in clone_numbers() {
            rules.insert(n, clone_rules.clone());
        }
        let eperm = SeccompFilter::new(
            rules,
            SeccompAction::Allow,
            SeccompAction::Errno(libc::EPERM as u32),
            ARCH,
        )
        .and_then(BpfProgram::try_from)
        .map_err(|e| format!("seccomp: building the filter: {e}"))?;
        let clone3 = SeccompFilter::new(
            clone3_numbers()
                .into_iter()
                .map(|n| (n, Vec::new()))
                .collect(),
            SeccompAction::Allow,
            SeccompAction::Errno(libc::ENOSYS as u32),
            ARCH,
        )
        .and_then(BpfProgram::try_from)
        .map_err(|e| format!("seccomp: building the clone3 filter: {e}"))?;
        Ok((eperm, clone3))
    }

    /// Installs both filters on every thread of the process.
    pub(super) fn apply(allow_exec: bool) -> Result<Status, String> {
        let (eperm, clone3) = programs(allow_exec)?;
        let count = REFUSED.len() + if allow_exec { 0 } else { EXEC.len() };
        for program in [&eperm, &clone3] {
            match seccompiler::apply_filter_all_threads(program) {
                Ok(()) => {}
                Err(seccompiler::Error::Seccomp(e))
                    if matches!(e.raw_os_error(), Some(libc::EINVAL | libc::ENOSYS)) =>
                {
                    return Ok(Status::Unsupported {
                        reason: format!(
                            "the kernel refuses seccomp filters ({e}); it is built without \
                             CONFIG_SECCOMP_FILTER"
                        ),
                    })
                }
                Err(seccompiler::Error::ThreadSync(tid)) => {
                    return Err(format!(
                        "seccomp: thread {tid} could not take the filter (it has seccomp \
                         filters of its own)"
                    ))
                }
                Err(e) => return Err(format!("seccomp: installing the filter: {e}")),
            }
        }
        Ok(Status::Enforced {
            detail: format!(
                "{count} system calls answer EPERM on every thread (tracing, mounts, \
                 namespaces, kernel modules, keys, BPF, perf, io_uring{}{}), clone with a \
                 namespace flag answers EPERM, clone3 answers ENOSYS",
                if allow_exec {
                    "; programs may be started"
                } else {
                    ", execve"
                },
                if cfg!(target_arch = "x86_64") {
                    "; their x32 numbers too"
                } else {
                    ""
                }
            ),
        })
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
mod seccomp {
    //! No seccomp filter on architectures other than x86_64 and aarch64.

    use super::Status;

    /// Reports that no filter is installed here.
    pub(super) fn apply(_allow_exec: bool) -> Result<Status, String> {
        Ok(Status::Unsupported {
            reason: format!(
                "the service's seccomp filter is built for x86_64 and aarch64 only; this is {}",
                std::env::consts::ARCH
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_is_one_line_per_mechanism() {
        let r = Report {
            landlock: Status::Partial {
                detail: "Landlock ABI 3".into(),
            },
            seccomp: Status::Unsupported {
                reason: "no filter here".into(),
            },
        };
        assert_eq!(
            r.to_string(),
            "landlock: partial: Landlock ABI 3\nseccomp: unsupported: no filter here"
        );
        assert!(r.landlock.is_active());
        assert!(!r.seccomp.is_active());
    }

    #[test]
    fn file_rules_carry_file_rights_only() {
        let rw = AccessFs::from_all(WANTED_ABI) & !AccessFs::Execute;
        let f = fit(rw, false);
        assert!(!f.contains(AccessFs::ReadDir));
        assert!(!f.contains(AccessFs::MakeReg));
        assert!(f.contains(AccessFs::ReadFile | AccessFs::WriteFile));
        assert_eq!(fit(rw, true), rw);
    }

    #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
    #[test]
    fn exec_is_refused_only_without_allow_exec() {
        let without = seccomp::refused(false);
        let with = seccomp::refused(true);
        assert!(without.contains(&libc::SYS_execve) && without.contains(&libc::SYS_execveat));
        assert!(!with.contains(&libc::SYS_execve) && !with.contains(&libc::SYS_execveat));
        assert!(with.contains(&libc::SYS_ptrace) && with.contains(&libc::SYS_mount));
    }
}
