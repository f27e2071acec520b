//! Extism: the `extism:host/env` import module, so that plugins built with an
//! Extism PDK run unmodified.
//!
//! An Extism plugin exchanges every buffer with its host through *Extism memory*:
//! blocks addressed by u64 handles, outside its own linear memory. Here that
//! memory belongs to a small wasm module of this crate, the **kernel**
//! (`extism/kernel.wat`), instantiated beside the plugin in the same store. The
//! plugin's block functions are the kernel's exports, so the PDKs' byte-wise
//! loads and stores are wasm-to-wasm calls, metered by fuel, not host calls:
//!
//! | functions | provided by | capability |
//! | --- | --- | --- |
//! | `alloc`, `free`, `length`, `length_unsafe`, `load_*`, `store_*`, `input_*`, `output_set`, `error_set`, `reset` | the kernel (wasm) | none |
//! | `config_get` | config | none |
//! | `var_get`, `var_set` | the instance (capped by [`Limits::max_var_bytes`](crate::Limits)) | none |
//! | `log_*`, `get_log_level` | log | `log` (ungranted: the level is "off" and lines are dropped) |
//! | `http_request`, `http_status_code`, `http_headers` | http | `net:outbound:<host>` |
//!
//! A call of export `name` (signature `() -> i32`) resets the kernel, places the
//! input in a block, runs the export and then reads, in this order: the message
//! of `error_set` (an error even when the export returned 0), a non-zero return
//! (an error), and the output block of `output_set`.
//!
//! A denied HTTP request ends the call with a capability error: the Rust PDK
//! turns a 0 handle into an empty, successful response, which would hide the
//! denial from the plugin's author and its operator.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

#[cfg(feature = "http")]
use serde::Deserialize;
use wasmi::{AsContext, AsContextMut, Caller, Global, Linker, Memory, Val};

use super::{ImportSpec, Profile};
use crate::capability::Kind;
use crate::error::{Code, Error};
use crate::inspect::ValType::{self, I32, I64};
use crate::platform::Level;
#[cfg(feature = "http")]
use crate::services::http::{HttpCall, HttpFailure};
use crate::state::{fatal, HostState};

pub use super::{EXTISM_INITIALIZERS as INITIALIZERS, EXTISM_MODULE as MODULE};

/// The kernel: Caplet's own wasm module holding Extism memory
/// (`extism/kernel.wat`, assembled to `extism/kernel.wasm`; a test checks that
/// the two agree).
pub(crate) const KERNEL: &[u8] = include_bytes!("extism/kernel.wasm");

/// The functions of [`MODULE`] that the kernel provides (the rest are host
/// functions).
pub(crate) const KERNEL_FUNCTIONS: [&str; 17] = [
    "alloc",
    "free",
    "length",
    "length_unsafe",
    "load_u8",
    "load_u64",
    "store_u8",
    "store_u64",
    "input_length",
    "input_offset",
    "input_load_u8",
    "input_load_u64",
    "output_set",
    "error_set",
    "reset",
    // Not in Extism's list of guest imports, but exported by its kernel; listed
    // so a plugin importing them links.
    "output_length",
    "output_offset",
];

const fn spec(
    name: &'static str,
    params: &'static [ValType],
    results: &'static [ValType],
    service: Option<&'static str>,
    capabilities: &'static [Kind],
) -> ImportSpec {
    ImportSpec::new(
        Profile::Extism,
        name,
        params,
        results,
        service,
        capabilities,
    )
}

/// Every import of the profile.
pub static IMPORTS: &[ImportSpec] = &[
    spec("alloc", &[I64], &[I64], None, &[]),
    spec("free", &[I64], &[], None, &[]),
    spec("length", &[I64], &[I64], None, &[]),
    spec("length_unsafe", &[I64], &[I64], None, &[]),
    spec("load_u8", &[I64], &[I32], None, &[]),
    spec("load_u64", &[I64], &[I64], None, &[]),
    spec("store_u8", &[I64, I32], &[], None, &[]),
    spec("store_u64", &[I64, I64], &[], None, &[]),
    spec("input_length", &[], &[I64], None, &[]),
    spec("input_offset", &[], &[I64], None, &[]),
    spec("input_load_u8", &[I64], &[I32], None, &[]),
    spec("input_load_u64", &[I64], &[I64], None, &[]),
    spec("output_set", &[I64, I64], &[], None, &[]),
    spec("error_set", &[I64], &[], None, &[]),
    spec("reset", &[], &[], None, &[]),
    spec("output_length", &[], &[I64], None, &[]),
    spec("output_offset", &[], &[I64], None, &[]),
    spec("config_get", &[I64], &[I64], Some("config"), &[]),
    spec("var_get", &[I64], &[I64], None, &[]),
    spec("var_set", &[I64, I64], &[], None, &[]),
    spec("log_trace", &[I64], &[], Some("log"), &[Kind::Log]),
    spec("log_debug", &[I64], &[], Some("log"), &[Kind::Log]),
    spec("log_info", &[I64], &[], Some("log"), &[Kind::Log]),
    spec("log_warn", &[I64], &[], Some("log"), &[Kind::Log]),
    spec("log_error", &[I64], &[], Some("log"), &[Kind::Log]),
    spec("get_log_level", &[], &[I32], Some("log"), &[]),
    spec(
        "http_request",
        &[I64, I64],
        &[I64],
        Some("http"),
        &[Kind::NetOutbound],
    ),
    spec("http_status_code", &[], &[I32], Some("http"), &[]),
    spec("http_headers", &[], &[I64], Some("http"), &[]),
];

/// The first block header; handles start 16 bytes later.
const BASE: u64 = 16;
/// Header bytes before each block: capacity, then used length.
const HEADER: u64 = 16;
/// The used length of a freed block.
const FREE: u64 = u64::MAX;
/// `get_log_level` when logging is off (Extism's value).
const LEVEL_OFF: i32 = i32::MAX;

/// The kernel instance of one Extism plugin instance: its memory and the globals
/// the host reads and writes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kernel {
    memory: Memory,
    top: Global,
    nfree: Global,
    in_off: Global,
    in_len: Global,
    out_off: Global,
    out_len: Global,
    err: Global,
}

/// Per-instance state of the profile.
#[derive(Debug)]
pub(crate) struct ExtismState {
    pub(crate) kernel: Kernel,
    /// Vars: persist across calls on one instance, gone with it.
    vars: BTreeMap<String, Vec<u8>>,
    /// The status and headers of the last HTTP response.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    http_status: i32,
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    http_headers: Option<Vec<(String, String)>>,
}

impl Kernel {
    /// Finds the kernel's memory and globals in its instance.
    pub(crate) fn new(store: impl AsContext, instance: &wasmi::Instance) -> Result<Self, Error> {
        let global = |name: &str| {
            instance
                .get_global(&store, name)
                .ok_or_else(|| Error::Host {
                    reason: format!("the Extism kernel exports no global `{name}`"),
                })
        };
        Ok(Kernel {
            memory: instance
                .get_memory(&store, "memory")
                .ok_or_else(|| Error::Host {
                    reason: "the Extism kernel exports no memory".into(),
                })?,
            top: global("top")?,
            nfree: global("nfree")?,
            in_off: global("input_offset_g")?,
            in_len: global("input_length_g")?,
            out_off: global("output_offset_g")?,
            out_len: global("output_length_g")?,
            err: global("error_g")?,
        })
    }

    fn get(&self, ctx: &impl AsContext, g: Global) -> u64 {
        match g.get(ctx) {
            Val::I64(v) => v as u64,
            Val::I32(v) => v as u32 as u64,
            _ => 0,
        }
    }

    /// Sets one of the kernel's i64 globals (all but `nfree`).
    fn set(&self, ctx: &mut impl AsContextMut, g: Global, v: u64) -> Result<(), Code> {
        g.set(ctx, Val::I64(v as i64)).map_err(|_| Code::Internal)
    }

    fn set_nfree(&self, ctx: &mut impl AsContextMut, n: u32) -> Result<(), Code> {
        self.nfree
            .set(ctx, Val::I32(n as i32))
            .map_err(|_| Code::Internal)
    }

    /// Frees every block and forgets the input, output and error (the kernel's
    /// `reset`).
    pub(crate) fn reset(&self, ctx: &mut impl AsContextMut) -> Result<(), Code> {
        self.set(ctx, self.top, BASE)?;
        self.set_nfree(ctx, 0)?;
        for g in [
            self.in_off,
            self.in_len,
            self.out_off,
            self.out_len,
            self.err,
        ] {
            self.set(ctx, g, 0)?;
        }
        Ok(())
    }

    /// A new block holding `bytes` (handle 0 for no bytes), at the end of the
    /// allocated region like the kernel's bump path; the memory grows through
    /// the store's limiter (`LIMIT` when the budget refuses).
    pub(crate) fn alloc(&self, ctx: &mut impl AsContextMut, bytes: &[u8]) -> Result<u64, Code> {
        if bytes.is_empty() {
            return Ok(0);
        }
        let n = bytes.len() as u64;
        let cap = (n + 7) & !7;
        let p = self.get(ctx, self.top);
        let end = p + HEADER + cap;
        let have = self.memory.data(&*ctx).len() as u64;
        if end > have {
            let pages = (end - have).div_ceil(65536);
            self.memory
                .grow(&mut *ctx, pages)
                .map_err(|_| Code::Limit)?;
        }
        let mem = self.memory.data_mut(&mut *ctx);
        let (p, h) = (p as usize, (p + HEADER) as usize);
        mem[p..p + 8].copy_from_slice(&cap.to_le_bytes());
        mem[p + 8..h].copy_from_slice(&n.to_le_bytes());
        mem[h..h + bytes.len()].copy_from_slice(bytes);
        self.set(ctx, self.top, end)?;
        Ok(h as u64)
    }

    /// The bytes of the block at handle `h`: `None` for 0, a freed block or a
    /// handle whose header does not describe bytes below the allocated end. The
    /// check is by bounds only: a plugin that forges a header reads its own
    /// kernel memory, nothing else.
    pub(crate) fn bytes<'a>(&self, ctx: &'a impl AsContext, h: u64) -> Option<&'a [u8]> {
        let top = self.get(ctx, self.top);
        if h < BASE + HEADER || h > top {
            return None;
        }
        let mem = self.memory.data(ctx);
        let used = u64::from_le_bytes(mem[(h - 8) as usize..h as usize].try_into().ok()?);
        if used == FREE || used > top - h {
            return None;
        }
        Some(&mem[h as usize..(h + used) as usize])
    }

    /// The header address of the block at `h`, by walking the blocks like the
    /// kernel's `free` and `length`.
    fn find(&self, mem: &[u8], top: u64, h: u64) -> Option<usize> {
        let mut p = BASE;
        while p + HEADER < top {
            let at = p as usize;
            let cap = u64::from_le_bytes(mem[at..at + 8].try_into().ok()?);
            if p + HEADER == h {
                return Some(at);
            }
            if cap > top - (p + HEADER) {
                return None;
            }
            p += HEADER + cap;
        }
        None
    }

    /// Frees the block at `h` like the kernel's `free` (host functions take
    /// ownership of the handles passed to them, as in Extism).
    pub(crate) fn free(&self, ctx: &mut impl AsContextMut, h: u64) -> Result<(), Code> {
        let top = self.get(ctx, self.top);
        let mem = self.memory.data_mut(&mut *ctx);
        let Some(at) = self.find(mem, top, h) else {
            return Ok(());
        };
        let cap = u64::from_le_bytes(mem[at..at + 8].try_into().map_err(|_| Code::Internal)?);
        let used = u64::from_le_bytes(
            mem[at + 8..at + 16]
                .try_into()
                .map_err(|_| Code::Internal)?,
        );
        if used == FREE {
            return Ok(());
        }
        if h + cap == top {
            return self.set(ctx, self.top, at as u64);
        }
        mem[at + 8..at + 16].copy_from_slice(&FREE.to_le_bytes());
        let nfree = self.get(ctx, self.nfree) as u32;
        self.set_nfree(ctx, nfree.wrapping_add(1))
    }

    /// Resets the kernel and places the call's input.
    pub(crate) fn begin_call(&self, ctx: &mut impl AsContextMut, input: &[u8]) -> Result<(), Code> {
        self.reset(ctx)?;
        let h = self.alloc(ctx, input)?;
        self.set(ctx, self.in_off, h)?;
        self.set(ctx, self.in_len, input.len() as u64)
    }

    /// The message of `error_set`, if the plugin set one (cut to `cap` bytes).
    pub(crate) fn error(&self, ctx: &impl AsContext, cap: u32) -> Option<String> {
        let h = self.get(ctx, self.err);
        if h == 0 {
            return None;
        }
        let Some(bytes) = self.bytes(ctx, h) else {
            return Some(format!(
                "(the plugin set an error whose handle {h} is not a block of its Extism memory)"
            ));
        };
        let cut = &bytes[..bytes.len().min(cap as usize)];
        Some(String::from_utf8_lossy(cut).into_owned())
    }

    /// The output of `output_set`: empty when none was set; an error naming the
    /// range when it is not inside Extism memory or over `max`.
    pub(crate) fn output<'a>(
        &self,
        ctx: &'a impl AsContext,
        name: &str,
        max: u32,
    ) -> Result<&'a [u8], Error> {
        let (off, len) = (self.get(ctx, self.out_off), self.get(ctx, self.out_len));
        if len == 0 {
            return Ok(&[]);
        }
        if len > u64::from(max) {
            return Err(Error::contract(format!(
                "`{name}` set {len} bytes of output, more than the {max}-byte output cap"
            )));
        }
        let top = self.get(ctx, self.top);
        match off.checked_add(len) {
            Some(end) if off >= BASE + HEADER && end <= top => {
                Ok(&self.memory.data(ctx)[off as usize..end as usize])
            }
            _ => Err(Error::contract(format!(
                "`{name}` set output {off}..{} outside its {top}-byte Extism memory",
                off.saturating_add(len)
            ))),
        }
    }
}

impl ExtismState {
    pub(crate) fn new(kernel: Kernel) -> Self {
        ExtismState {
            kernel,
            vars: BTreeMap::new(),
            http_status: 0,
            http_headers: None,
        }
    }
}

type C<'a> = Caller<'a, HostState>;
type R<T> = Result<T, wasmi::Error>;

fn kernel(c: &C<'_>) -> R<Kernel> {
    c.data().extism.as_ref().map(|e| e.kernel).ok_or_else(|| {
        fatal(Error::contract(
            "an Extism host function ran without Extism memory",
        ))
    })
}

/// The bytes of block `h` (copied: the services need the store too), or a fatal
/// error naming `what` when `h` is not a block.
fn take(c: &mut C<'_>, k: &Kernel, h: u64, what: &str, cap: u32) -> R<Vec<u8>> {
    let bytes = match k.bytes(&*c, h) {
        Some(b) if b.len() <= cap as usize => b.to_vec(),
        Some(b) => {
            return Err(fatal(Error::contract(format!(
                "{what} is {} bytes, more than the {cap}-byte cap",
                b.len()
            ))))
        }
        None => {
            return Err(fatal(Error::contract(format!(
                "{what}: handle {h} is not a block of Extism memory"
            ))))
        }
    };
    k.free(c, h).map_err(|code| host_failed(what, code))?;
    Ok(bytes)
}

fn host_failed(what: &str, code: Code) -> wasmi::Error {
    fatal(Error::Host {
        reason: format!("{what}: {}", code.name()),
    })
}

/// Places `bytes` in a new block for the guest (0 for none).
fn give(c: &mut C<'_>, k: &Kernel, bytes: &[u8], what: &str) -> R<i64> {
    match k.alloc(c, bytes) {
        Ok(h) => Ok(h as i64),
        Err(Code::Limit) => Err(fatal(Error::MemoryLimit {
            reason: format!(
                "{what}: Extism memory cannot grow by {} bytes within the budget",
                bytes.len()
            ),
        })),
        Err(code) => Err(host_failed(what, code)),
    }
}

/// Counts one host call; past `max_host_calls` the call ends (an Extism host
/// function has no error code to return).
fn count(c: &mut C<'_>) -> R<()> {
    c.data_mut().enter().map_err(|_| {
        fatal(Error::Trap {
            during: MODULE.into(),
            message: format!(
                "more than {} host calls in one call (max_host_calls)",
                c.data().services.limits.max_host_calls
            ),
        })
    })
}

#[cfg(feature = "http")]
#[derive(Deserialize)]
struct HttpRequestJson {
    url: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    headers: BTreeMap<crate::manifest::StrKey, String>,
}

fn log(c: &mut C<'_>, level: Level, h: i64) -> R<()> {
    count(c)?;
    let k = kernel(c)?;
    // Any length: the service cuts a line over its cap and marks the cut.
    let line = take(c, &k, h as u64, "log message", u32::MAX)?;
    // Ungranted: dropped (and audited by the service); the level said "off".
    let _ = c.data().services.log(level, &line);
    Ok(())
}

/// Defines the host functions of the profile (the kernel's are linked per
/// instance).
pub(crate) fn define(l: &mut Linker<HostState>) -> Result<(), wasmi::errors::LinkerError> {
    l.func_wrap(MODULE, "config_get", |mut c: C<'_>, h: i64| -> R<i64> {
        count(&mut c)?;
        let k = kernel(&c)?;
        let cap = c.data().services.limits.max_config_bytes;
        let key = take(&mut c, &k, h as u64, "config_get key", cap)?;
        let services = c.data().services.clone();
        let Ok(key) = core::str::from_utf8(&key) else {
            return Err(fatal(Error::contract("config_get: the key is not UTF-8")));
        };
        match services.config_get(key) {
            Ok(v) => give(&mut c, &k, v.as_bytes(), "config_get"),
            Err(_) => Ok(0),
        }
    })?;
    l.func_wrap(MODULE, "var_get", |mut c: C<'_>, h: i64| -> R<i64> {
        count(&mut c)?;
        let k = kernel(&c)?;
        let max = c.data().services.limits.max_host_result_bytes;
        let key = take(&mut c, &k, h as u64, "var_get key", max)?;
        let key = String::from_utf8_lossy(&key).into_owned();
        let value = c
            .data()
            .extism
            .as_ref()
            .and_then(|e| e.vars.get(&key).cloned());
        match value {
            Some(v) => give(&mut c, &k, &v, "var_get"),
            None => Ok(0),
        }
    })?;
    l.func_wrap(
        MODULE,
        "var_set",
        |mut c: C<'_>, kh: i64, vh: i64| -> R<()> {
            count(&mut c)?;
            let k = kernel(&c)?;
            let cap = c.data().services.limits.max_var_bytes;
            let max = c.data().services.limits.max_host_result_bytes;
            let key = take(&mut c, &k, kh as u64, "var_set key", max)?;
            let key = String::from_utf8_lossy(&key).into_owned();
            let value = if vh == 0 {
                None
            } else {
                Some(take(&mut c, &k, vh as u64, "var_set value", max)?)
            };
            let state = c.data_mut();
            let Some(e) = state.extism.as_mut() else {
                return Ok(());
            };
            let Some(value) = value else {
                e.vars.remove(&key);
                return Ok(());
            };
            let others: usize = e
                .vars
                .iter()
                .filter(|(k, _)| **k != key)
                .map(|(k, v)| k.len() + v.len())
                .sum();
            let total = others + key.len() + value.len();
            if total > cap as usize {
                return Err(fatal(Error::MemoryLimit {
                    reason: format!(
                        "var_set: the vars would hold {total} bytes, more than the {cap}-byte cap \
                     (max_var_bytes)"
                    ),
                }));
            }
            e.vars.insert(key, value);
            Ok(())
        },
    )?;
    l.func_wrap(MODULE, "log_trace", |mut c: C<'_>, h: i64| {
        log(&mut c, Level::Trace, h)
    })?;
    l.func_wrap(MODULE, "log_debug", |mut c: C<'_>, h: i64| {
        log(&mut c, Level::Debug, h)
    })?;
    l.func_wrap(MODULE, "log_info", |mut c: C<'_>, h: i64| {
        log(&mut c, Level::Info, h)
    })?;
    l.func_wrap(MODULE, "log_warn", |mut c: C<'_>, h: i64| {
        log(&mut c, Level::Warn, h)
    })?;
    l.func_wrap(MODULE, "log_error", |mut c: C<'_>, h: i64| {
        log(&mut c, Level::Error, h)
    })?;
    l.func_wrap(MODULE, "get_log_level", |c: C<'_>| -> i32 {
        let s = &c.data().services;
        match &s.platform.log {
            Some(sink) if s.grants.has_kind(Kind::Log) => sink.min_level() as i32,
            _ => LEVEL_OFF,
        }
    })?;
    #[cfg(feature = "http")]
    l.func_wrap(
        MODULE,
        "http_request",
        |mut c: C<'_>, rh: i64, bh: i64| -> R<i64> {
            count(&mut c)?;
            let k = kernel(&c)?;
            let max = c.data().services.limits.max_host_result_bytes;
            let raw = take(&mut c, &k, rh as u64, "http_request's request", max)?;
            let body = if bh == 0 {
                Vec::new()
            } else {
                take(&mut c, &k, bh as u64, "http_request's body", max)?
            };
            let req: HttpRequestJson = super::caplet::from_json(&raw).map_err(|_| {
                fatal(Error::contract(
                    "http_request: the request is not JSON of the form \
                     {\"url\", \"method\", \"headers\"}",
                ))
            })?;
            let call = HttpCall {
                method: req.method.unwrap_or_else(|| "GET".into()),
                url: req.url.clone(),
                headers: req.headers.into_iter().map(|(k, v)| (k.0, v)).collect(),
                body,
            };
            let services = c.data().services.clone();
            match services.http_request_explained(call) {
                Ok(resp) => {
                    let h = give(&mut c, &k, &resp.body, "http_request")?;
                    if let Some(e) = c.data_mut().extism.as_mut() {
                        e.http_status = i32::from(resp.status);
                        e.http_headers = Some(resp.headers);
                    }
                    Ok(h)
                }
                Err(HttpFailure {
                    code: Code::PermissionDenied,
                    lacked,
                }) => {
                    let target = lacked.unwrap_or_else(|| "net:outbound".into());
                    Err(fatal(Error::CapabilityDenied {
                        capability: target,
                        needed_by: format!(
                            "http_request to `{}`",
                            crate::capability::truncate(&req.url, 200)
                        ),
                    }))
                }
                Err(HttpFailure { code, .. }) => Err(fatal(Error::Host {
                    reason: format!(
                        "http_request to `{}` failed: {}",
                        crate::capability::truncate(&req.url, 200),
                        code.name()
                    ),
                })),
            }
        },
    )?;
    #[cfg(feature = "http")]
    l.func_wrap(MODULE, "http_status_code", |c: C<'_>| -> i32 {
        c.data().extism.as_ref().map_or(0, |e| e.http_status)
    })?;
    #[cfg(feature = "http")]
    l.func_wrap(MODULE, "http_headers", |mut c: C<'_>| -> R<i64> {
        count(&mut c)?;
        let k = kernel(&c)?;
        let Some(headers) = c
            .data()
            .extism
            .as_ref()
            .and_then(|e| e.http_headers.clone())
        else {
            return Ok(0);
        };
        let json = super::caplet::to_json(&super::caplet::joined_headers(&headers), 256)
            .map_err(|code| host_failed("http_headers", code))?;
        give(&mut c, &k, &json, "http_headers")
    })?;
    Ok(())
}

/// Defines the kernel's functions of [`MODULE`] in `linker` (a per-instance clone
/// of the runtime's linker).
pub(crate) fn link_kernel(
    linker: &mut Linker<HostState>,
    store: &impl AsContext<Data = HostState>,
    kernel: &wasmi::Instance,
) -> Result<(), Error> {
    for name in KERNEL_FUNCTIONS {
        let func = kernel.get_func(store, name).ok_or_else(|| Error::Host {
            reason: format!("the Extism kernel exports no `{name}`"),
        })?;
        linker.define(MODULE, name, func).map_err(|e| Error::Host {
            reason: format!("linking the Extism kernel's `{name}`: {e}"),
        })?;
    }
    Ok(())
}

/// The signature of an Extism host function bound to a bytes application
/// function: the handle of its input in, the handle of its output out.
pub fn host_function_signature() -> crate::inspect::Signature {
    crate::inspect::Signature {
        params: alloc::vec![I64],
        results: alloc::vec![I64],
    }
}

/// Binds application bytes function `f` as the Extism host function
/// `module.name` of one instance: the input block is read (not freed: the PDKs
/// free a host function's input themselves), the function runs through the app
/// service (its grant, its caps), and its output goes to a new block. A failure
/// ends the call, naming the function.
pub(crate) fn link_host_function(
    linker: &mut Linker<HostState>,
    store: &mut wasmi::Store<HostState>,
    module: &str,
    f: alloc::sync::Arc<crate::services::app::AppFunction>,
) -> Result<(), Error> {
    let qualified = format!("{module}.{}", f.name());
    let name: String = f.name().into();
    let func = wasmi::Func::wrap(&mut *store, move |mut c: C<'_>, h: i64| -> R<i64> {
        count(&mut c)?;
        let k = kernel(&c)?;
        let max = c.data().services.limits.max_host_result_bytes;
        // Read, not taken: the PDKs free a host function's input themselves.
        let input = match k.bytes(&c, h as u64) {
            Some(b) if b.len() <= max as usize => b.to_vec(),
            _ => {
                return Err(fatal(Error::contract(format!(
                    "{qualified}: handle {h} is not a block of Extism memory of at most {max} bytes"
                ))))
            }
        };
        let services = c.data().services.clone();
        match services.app_bytes(&f, &input) {
            Ok(out) => give(&mut c, &k, &out, &qualified),
            Err(Code::PermissionDenied) => Err(fatal(Error::CapabilityDenied {
                capability: f.capability(),
                needed_by: format!("call of `{qualified}`"),
            })),
            Err(code) => Err(fatal(Error::Host {
                reason: format!("host function `{qualified}` failed with {}", code.name()),
            })),
        }
    });
    linker.allow_shadowing(true);
    let defined = linker.define(module, &name, func).map(|_| ());
    linker.allow_shadowing(false);
    defined.map_err(|e| Error::Host {
        reason: format!("linking host function `{module}.{name}`: {e}"),
    })
}

#[cfg(test)]
mod tests {
    extern crate std;

    use super::*;

    #[test]
    fn the_kernel_binary_is_the_assembled_source() {
        let source = include_str!("extism/kernel.wat");
        let assembled = wat::parse_str(source).expect("kernel.wat assembles");
        if std::env::var_os("CAPLET_UPDATE_KERNEL").is_some() {
            std::fs::write(
                concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/src/profiles/extism/kernel.wasm"
                ),
                &assembled,
            )
            .unwrap();
        }
        assert!(
            assembled == KERNEL,
            "extism/kernel.wasm is stale: run the tests with CAPLET_UPDATE_KERNEL=1"
        );
    }

    #[test]
    fn the_import_table_lists_every_kernel_function() {
        for name in KERNEL_FUNCTIONS {
            let spec = IMPORTS.iter().find(|s| s.name == name).expect(name);
            assert!(spec.service.is_none() && spec.capabilities.is_empty());
        }
    }
}
