//! Contract v1: the `caplet` import module, guest-memory marshalling and the
//! per-instance host state.
//!
//! Every import reads guest memory through [`guest_range`] (bounds-checked, capped),
//! checks its capability scope through [`HostState::check`] (audited on denial) and
//! only then calls a platform service. A future ABI profile (WASI preview 1, Extism)
//! maps its imports onto the same `services` functions below, never a second copy of
//! the checks.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::sync::Arc;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use wasmi::{Caller, Engine, Linker, Memory, ResourceLimiter, TypedFunc};

use crate::capability::Kind;
use crate::error::{Code, Error};
use crate::inspect::{Signature, ValType};
use crate::platform::{ClockId, Denial, HttpRequest, Level, NetPolicy};
use crate::runtime::Shared;

/// The import module of contract v1.
pub const MODULE: &str = "caplet";

/// Packs a guest buffer as the contract's `i64`.
pub fn pack(ptr: u32, len: u32) -> i64 {
    ((u64::from(ptr) << 32) | u64::from(len)) as i64
}

/// Unpacks a non-negative packed `i64` into `(ptr, len)`.
pub fn unpack(v: i64) -> (u32, u32) {
    ((v as u64 >> 32) as u32, v as u64 as u32)
}

/// The byte range `ptr..ptr+len` (both read as u32) if it lies inside a memory of
/// `mem_len` bytes.
pub fn guest_range(mem_len: usize, ptr: i32, len: i32) -> Option<Range<usize>> {
    let start = ptr as u32 as usize;
    let end = start.checked_add(len as u32 as usize)?;
    (end <= mem_len).then_some(start..end)
}

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

/// A fatal host-side condition that must stop the guest (carried through wasmi as a
/// host error and turned back into an [`Error`]).
#[derive(Debug)]
pub(crate) struct Fatal(pub(crate) Error);

impl fmt::Display for Fatal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl wasmi::errors::HostError for Fatal {}

fn fatal(e: Error) -> wasmi::Error {
    wasmi::Error::host(Fatal(e))
}

/// Memory, table and instance budget of one store; tracks the peak.
pub(crate) struct BudgetLimiter {
    memory_bytes: u64,
    table_elements: u64,
    tables: usize,
    pub(crate) peak_memory: u64,
}

impl ResourceLimiter for BudgetLimiter {
    fn memory_growing(
        &mut self,
        _current: usize,
        desired: usize,
        maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        let desired = desired as u64;
        if desired > self.memory_bytes || maximum.is_some_and(|m| desired > m as u64) {
            return Ok(false);
        }
        self.peak_memory = self.peak_memory.max(desired);
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> Result<bool, wasmi_core::LimiterError> {
        Ok(desired as u64 <= self.table_elements)
    }

    fn instances(&self) -> usize {
        1
    }

    fn tables(&self) -> usize {
        self.tables
    }

    fn memories(&self) -> usize {
        1
    }
}

/// Per-instance state kept in the wasmi store.
pub(crate) struct HostState {
    pub(crate) shared: Arc<Shared>,
    pub(crate) limiter: BudgetLimiter,
    pub(crate) memory: Option<Memory>,
    pub(crate) alloc: Option<TypedFunc<i32, i32>>,
    pub(crate) host_calls: u64,
    pub(crate) error_message: Option<String>,
    pub(crate) fuel_reserve: u64,
    /// Fuel budget of the current call.
    pub(crate) budget: u64,
    in_alloc: bool,
}

impl HostState {
    pub(crate) fn new(shared: Arc<Shared>) -> Self {
        let l = shared.limits;
        HostState {
            limiter: BudgetLimiter {
                memory_bytes: l.memory_bytes,
                table_elements: u64::from(l.table_elements),
                tables: l.max_tables as usize,
                peak_memory: 0,
            },
            shared,
            memory: None,
            alloc: None,
            host_calls: 0,
            error_message: None,
            fuel_reserve: 0,
            budget: 0,
            in_alloc: false,
        }
    }

    /// The call-time scope check; denials are audited and never reach the platform.
    fn check(&self, kind: Kind, subject: &str) -> Result<(), Code> {
        if self.shared.grants.allows(kind, subject) {
            Ok(())
        } else {
            self.deny(kind, subject)
        }
    }

    fn deny(&self, kind: Kind, subject: &str) -> Result<(), Code> {
        self.shared.platform.audit(&Denial {
            plugin: &self.shared.name,
            kind,
            subject,
            at_load: false,
        });
        Err(Code::PermissionDenied)
    }
}

struct Policy<'a>(&'a HostState);

impl NetPolicy for Policy<'_> {
    fn allows(&self, host: &str, port: u16) -> bool {
        if self.0.shared.grants.allows_net(host, port) {
            return true;
        }
        let subject = format!("{host}:{port}");
        let _ = self.0.deny(Kind::NetOutbound, &subject);
        false
    }

    fn private_allowed(&self) -> bool {
        self.0.shared.grants.has_kind(Kind::NetPrivate)
    }
}

/// One import of the contract.
pub(crate) struct ImportSpec {
    pub(crate) name: &'static str,
    params: &'static [ValType],
    results: &'static [ValType],
    /// The capability kind the import belongs to (`None`: always available).
    pub(crate) capability: Option<Kind>,
}

impl ImportSpec {
    pub(crate) fn signature(&self) -> Signature {
        Signature {
            params: self.params.to_vec(),
            results: self.results.to_vec(),
        }
    }
}

use ValType::{I32, I64};

/// The import table of contract v1.
pub(crate) const IMPORTS: &[ImportSpec] = &[
    ImportSpec {
        name: "log",
        params: &[I32, I32, I32],
        results: &[],
        capability: Some(Kind::Log),
    },
    ImportSpec {
        name: "set_error",
        params: &[I32, I32],
        results: &[],
        capability: None,
    },
    ImportSpec {
        name: "config_get",
        params: &[I32, I32],
        results: &[I64],
        capability: None,
    },
    ImportSpec {
        name: "clock_now",
        params: &[I32],
        results: &[I64],
        capability: Some(Kind::Clock),
    },
    ImportSpec {
        name: "random_fill",
        params: &[I32, I32],
        results: &[I32],
        capability: Some(Kind::Random),
    },
    ImportSpec {
        name: "kv_get",
        params: &[I32, I32],
        results: &[I64],
        capability: Some(Kind::Kv),
    },
    ImportSpec {
        name: "kv_set",
        params: &[I32, I32, I32, I32],
        results: &[I32],
        capability: Some(Kind::Kv),
    },
    ImportSpec {
        name: "kv_delete",
        params: &[I32, I32],
        results: &[I32],
        capability: Some(Kind::Kv),
    },
    ImportSpec {
        name: "emit",
        params: &[I32, I32, I32, I32],
        results: &[I32],
        capability: Some(Kind::Emit),
    },
    ImportSpec {
        name: "fs_read",
        params: &[I32, I32],
        results: &[I64],
        capability: Some(Kind::FsRead),
    },
    ImportSpec {
        name: "fs_write",
        params: &[I32, I32, I32, I32],
        results: &[I32],
        capability: Some(Kind::FsWrite),
    },
    ImportSpec {
        name: "fs_list",
        params: &[I32, I32],
        results: &[I64],
        capability: Some(Kind::FsRead),
    },
    ImportSpec {
        name: "http_request",
        params: &[I32, I32],
        results: &[I64],
        capability: Some(Kind::NetOutbound),
    },
    ImportSpec {
        name: "env_get",
        params: &[I32, I32],
        results: &[I64],
        capability: Some(Kind::Env),
    },
    ImportSpec {
        name: "secret_get",
        params: &[I32, I32],
        results: &[I64],
        capability: Some(Kind::SecretsRead),
    },
];

pub(crate) fn import_spec(module: &str, name: &str) -> Option<&'static ImportSpec> {
    if module != MODULE {
        return None;
    }
    IMPORTS.iter().find(|s| s.name == name)
}

/// The capability an import of contract v1 belongs to: `None` if the import does
/// not exist, `Some(None)` if it needs no capability.
pub fn import_capability(module: &str, name: &str) -> Option<Option<Kind>> {
    import_spec(module, name).map(|s| s.capability)
}

/// Whether an import hands a buffer back through `caplet_alloc`.
pub(crate) fn returns_buffer(name: &str) -> bool {
    IMPORTS
        .iter()
        .any(|s| s.name == name && s.results == [I64] && s.name != "clock_now")
}

type C<'a> = Caller<'a, HostState>;
type R<T> = Result<T, wasmi::Error>;

fn memory(caller: &C<'_>) -> R<Memory> {
    caller.data().memory.ok_or_else(|| {
        fatal(Error::contract(
            "host function called before the instance exported its memory",
        ))
    })
}

/// Counts a host call; `Err(LIMIT)` past the cap.
fn enter(caller: &mut C<'_>) -> Result<(), Code> {
    let s = caller.data_mut();
    s.host_calls += 1;
    if s.host_calls > s.shared.limits.max_host_calls {
        return Err(Code::Limit);
    }
    Ok(())
}

fn bytes_at(mem: &[u8], ptr: i32, len: i32, cap: u32) -> Result<&[u8], Code> {
    if len as u32 > cap {
        return Err(Code::Limit);
    }
    guest_range(mem.len(), ptr, len)
        .map(|r| &mem[r])
        .ok_or(Code::InvalidInput)
}

fn str_at(mem: &[u8], ptr: i32, len: i32, cap: u32) -> Result<&str, Code> {
    core::str::from_utf8(bytes_at(mem, ptr, len, cap)?).map_err(|_| Code::InvalidInput)
}

/// Hands `data` to the guest in a buffer from its `caplet_alloc`; returns it packed.
/// Empty data is returned as `(0, 0)` without calling `caplet_alloc`.
fn give(caller: &mut C<'_>, data: &[u8], import: &str) -> R<i64> {
    if data.is_empty() {
        return Ok(0);
    }
    let Ok(len) = i32::try_from(data.len()) else {
        return Ok(Code::Limit.as_neg_i64());
    };
    let state = caller.data();
    let alloc = state.alloc.ok_or_else(|| {
        fatal(Error::MissingExport {
            name: "caplet_alloc".into(),
            expected: "a function (i32) -> (i32)".into(),
        })
    })?;
    if state.in_alloc {
        return Err(fatal(Error::contract(format!(
            "caplet_alloc called `{import}`, which needs caplet_alloc again (re-entrancy is refused)"
        ))));
    }
    // The nested call may use the whole remaining budget of the call, not only the
    // current slice; the slice position is restored afterwards.
    let before = caller.get_fuel().unwrap_or(0);
    let reserve = caller.data().fuel_reserve;
    caller
        .set_fuel(before.saturating_add(reserve))
        .map_err(|e| {
            fatal(Error::Host {
                reason: format!("{e}"),
            })
        })?;
    caller.data_mut().fuel_reserve = 0;
    caller.data_mut().in_alloc = true;
    let result = alloc.call(&mut *caller, len);
    caller.data_mut().in_alloc = false;
    let after = caller.get_fuel().unwrap_or(0);
    let consumed = before.saturating_add(reserve).saturating_sub(after);
    let slice = before.saturating_sub(consumed);
    caller.set_fuel(slice).map_err(|e| {
        fatal(Error::Host {
            reason: format!("{e}"),
        })
    })?;
    caller.data_mut().fuel_reserve = after - slice;
    let ptr = match result {
        Ok(p) => p,
        Err(e) => {
            let during = format!("caplet_alloc (called by the host for `{import}`)");
            if let Some(f) = e.downcast_ref::<Fatal>() {
                return Err(fatal(f.0.clone()));
            }
            let err = match e.as_trap_code() {
                Some(wasmi::TrapCode::OutOfFuel) => Error::OutOfFuel {
                    used: caller.data().budget,
                },
                Some(code) => Error::Trap {
                    during,
                    message: format!("{code}"),
                },
                None => Error::Trap {
                    during,
                    message: format!("{e}"),
                },
            };
            return Err(fatal(err));
        }
    };
    if ptr == 0 {
        return Ok(Code::Limit.as_neg_i64());
    }
    let mem = memory(caller)?.data_mut(&mut *caller);
    let Some(range) = guest_range(mem.len(), ptr, len) else {
        return Err(fatal(Error::contract(format!(
            "caplet_alloc({len}) returned {} for `{import}`, outside the {}-byte memory",
            ptr as u32,
            mem.len()
        ))));
    };
    mem[range].copy_from_slice(data);
    Ok(pack(ptr as u32, len as u32))
}

fn code64(r: Result<i64, Code>) -> i64 {
    r.unwrap_or_else(Code::as_neg_i64)
}

fn code32(r: Result<(), Code>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(c) => c.as_neg_i32(),
    }
}

/// Runs `f`, then hands its bytes to the guest.
fn with_result(
    caller: &mut C<'_>,
    import: &str,
    f: impl FnOnce(&mut C<'_>) -> Result<Vec<u8>, Code>,
) -> R<i64> {
    if let Err(c) = enter(caller) {
        return Ok(c.as_neg_i64());
    }
    match f(caller) {
        Ok(data) => give(caller, &data, import),
        Err(c) => Ok(c.as_neg_i64()),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HttpRequestJson {
    method: String,
    url: String,
    #[serde(default)]
    headers: BTreeMap<crate::manifest::StrKey, String>,
    #[serde(default)]
    body: Option<String>,
}

#[derive(Serialize)]
struct HttpResponseJson<'a> {
    status: u16,
    headers: BTreeMap<&'a str, String>,
    body: String,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// Parses `scheme://host[:port]/path?query` into `(scheme, host, port, path)`, the
/// way the `http_request` import does: scheme `http`/`https` only, host lower-cased
/// without brackets or a trailing dot, port defaulted from the scheme, fragment
/// dropped. Userinfo and percent-encoded hosts are refused (classic ways to smuggle a
/// different host past a naive check). A platform following a redirect parses the
/// `Location` with this too, so every hop is checked the same way.
pub fn parse_url(url: &str) -> Result<(String, String, u16, String), Code> {
    let (scheme, rest) = url.split_once("://").ok_or(Code::InvalidInput)?;
    let scheme = scheme.to_ascii_lowercase();
    let default_port = match scheme.as_str() {
        "http" => 80,
        "https" => 443,
        _ => return Err(Code::InvalidInput),
    };
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, path) = rest.split_at(end);
    if authority.contains('@') || authority.is_empty() || authority.contains(['\\', ' ', '%']) {
        return Err(Code::InvalidInput);
    }
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or(Code::InvalidInput)?;
        match after {
            "" => (h, default_port),
            p => (
                h,
                p.strip_prefix(':')
                    .ok_or(Code::InvalidInput)?
                    .parse()
                    .map_err(|_| Code::InvalidInput)?,
            ),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, p.parse().map_err(|_| Code::InvalidInput)?),
            None => (authority, default_port),
        }
    };
    if host.is_empty() || port == 0 {
        return Err(Code::InvalidInput);
    }
    let path = path.split('#').next().unwrap_or("");
    let path = if path.is_empty() {
        "/".to_string()
    } else if path.starts_with('?') {
        format!("/{path}")
    } else {
        path.to_string()
    };
    Ok((
        scheme,
        host.trim_end_matches('.').to_ascii_lowercase(),
        port,
        path,
    ))
}

fn to_json<T: Serialize>(value: &T, estimate: usize) -> Result<Vec<u8>, Code> {
    let mut buf = vec![0u8; estimate.max(64)];
    loop {
        match serde_json_core::to_slice(value, &mut buf) {
            Ok(n) => {
                buf.truncate(n);
                return Ok(buf);
            }
            Err(serde_json_core::ser::Error::BufferFull) if buf.len() < 64 << 20 => {
                let n = buf.len() * 2;
                buf.resize(n, 0);
            }
            Err(_) => return Err(Code::Internal),
        }
    }
}

/// Builds the linker holding every import of contract v1.
pub(crate) fn linker(engine: &Engine) -> Linker<HostState> {
    let mut l = Linker::<HostState>::new(engine);
    // Every definition is unique and well-typed: these cannot fail, and a failure
    // would be a bug caught by every test that loads a plugin.
    let _ = define(&mut l);
    l
}

fn define(l: &mut Linker<HostState>) -> Result<(), wasmi::errors::LinkerError> {
    l.func_wrap(
        MODULE,
        "log",
        |mut c: C<'_>, level: i32, ptr: i32, len: i32| -> R<()> {
            let _ = enter(&mut c);
            let level = Level::from_i32(level)
                .ok_or_else(|| fatal(Error::contract(format!("log: level {level} is not 0-4"))))?;
            let mem = memory(&c)?.data(&c);
            let range = guest_range(mem.len(), ptr, len).ok_or_else(|| {
                fatal(Error::contract(format!(
                    "log: ({}, {}) is outside the {}-byte memory",
                    ptr as u32,
                    len as u32,
                    mem.len()
                )))
            })?;
            let s = c.data();
            let cap = s.shared.limits.max_log_line_bytes as usize;
            let bytes = &mem[range];
            let (bytes, cut) = if bytes.len() > cap {
                (&bytes[..cap], true)
            } else {
                (bytes, false)
            };
            let text = String::from_utf8_lossy(bytes);
            if let Some(log) = &s.shared.platform.log {
                if cut {
                    let line = format!("{text}… [truncated {} bytes]", len as u32 as usize - cap);
                    log.log(&s.shared.name, level, &line);
                } else {
                    log.log(&s.shared.name, level, &text);
                }
            }
            Ok(())
        },
    )?;
    l.func_wrap(
        MODULE,
        "set_error",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<()> {
            let _ = enter(&mut c);
            let mem = memory(&c)?.data(&c);
            let range = guest_range(mem.len(), ptr, len).ok_or_else(|| {
                fatal(Error::contract(format!(
                    "set_error: ({}, {}) is outside the {}-byte memory",
                    ptr as u32,
                    len as u32,
                    mem.len()
                )))
            })?;
            let cap = c.data().shared.limits.max_error_message_bytes as usize;
            let bytes = &mem[range];
            let bytes = &bytes[..bytes.len().min(cap)];
            let msg = String::from_utf8_lossy(bytes).into_owned();
            c.data_mut().error_message = Some(msg);
            Ok(())
        },
    )?;
    l.func_wrap(
        MODULE,
        "config_get",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "config_get", |c| {
                let shared = c.data().shared.clone();
                let mem = memory(c).map_err(|_| Code::Internal)?.data(&*c);
                let key = str_at(mem, ptr, len, shared.limits.max_config_bytes)?;
                shared
                    .config
                    .get(key)
                    .map(|v| v.as_bytes().to_vec())
                    .ok_or(Code::NotFound)
            })
        },
    )?;
    l.func_wrap(MODULE, "clock_now", |mut c: C<'_>, clock: i32| -> R<i64> {
        if let Err(code) = enter(&mut c) {
            return Ok(code.as_neg_i64());
        }
        let id = match clock {
            0 => ClockId::Wall,
            1 => ClockId::Monotonic,
            _ => return Ok(Code::InvalidInput.as_neg_i64()),
        };
        let Some(clk) = &c.data().shared.platform.clock else {
            return Ok(Code::Unsupported.as_neg_i64());
        };
        Ok(code64(
            clk.now_ns(id).map(|ns| ns.min(i64::MAX as u64) as i64),
        ))
    })?;
    l.func_wrap(
        MODULE,
        "random_fill",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i32> {
            if let Err(code) = enter(&mut c) {
                return Ok(code.as_neg_i32());
            }
            let (mem, s) = memory(&c)?.data_and_store_mut(&mut c);
            let r = (|| {
                if len as u32 > s.shared.limits.max_random_bytes {
                    return Err(Code::Limit);
                }
                let range = guest_range(mem.len(), ptr, len).ok_or(Code::InvalidInput)?;
                s.shared
                    .platform
                    .entropy
                    .as_ref()
                    .ok_or(Code::Unsupported)?
                    .fill(&mut mem[range])
            })();
            Ok(code32(r))
        },
    )?;
    l.func_wrap(
        MODULE,
        "kv_get",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "kv_get", |c| {
                let (mem, s) = memory(c).map_err(|_| Code::Internal)?.data_and_store_mut(c);
                let key = str_at(mem, ptr, len, s.shared.limits.max_kv_key_bytes)?;
                let kv = s.shared.platform.kv.as_ref().ok_or(Code::Unsupported)?;
                kv.get(&s.shared.name, key)?.ok_or(Code::NotFound)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "kv_set",
        |mut c: C<'_>, kp: i32, kl: i32, vp: i32, vl: i32| -> R<i32> {
            if let Err(code) = enter(&mut c) {
                return Ok(code.as_neg_i32());
            }
            let (mem, s) = memory(&c)?.data_and_store_mut(&mut c);
            let l = &s.shared.limits;
            let r = (|| {
                let key = str_at(mem, kp, kl, l.max_kv_key_bytes)?;
                let value = bytes_at(mem, vp, vl, l.max_kv_value_bytes)?;
                let kv = s.shared.platform.kv.as_ref().ok_or(Code::Unsupported)?;
                kv.set(&s.shared.name, key, value, l.max_kv_keys as usize)
            })();
            Ok(code32(r))
        },
    )?;
    l.func_wrap(
        MODULE,
        "kv_delete",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i32> {
            if let Err(code) = enter(&mut c) {
                return Ok(code.as_neg_i32());
            }
            let (mem, s) = memory(&c)?.data_and_store_mut(&mut c);
            let r = (|| {
                let key = str_at(mem, ptr, len, s.shared.limits.max_kv_key_bytes)?;
                s.shared
                    .platform
                    .kv
                    .as_ref()
                    .ok_or(Code::Unsupported)?
                    .delete(&s.shared.name, key)
            })();
            Ok(code32(r))
        },
    )?;
    l.func_wrap(
        MODULE,
        "emit",
        |mut c: C<'_>, tp: i32, tl: i32, dp: i32, dl: i32| -> R<i32> {
            if let Err(code) = enter(&mut c) {
                return Ok(code.as_neg_i32());
            }
            let (mem, s) = memory(&c)?.data_and_store_mut(&mut c);
            let l = &s.shared.limits;
            let r = (|| {
                let topic = str_at(mem, tp, tl, l.max_topic_bytes)?;
                let data = bytes_at(mem, dp, dl, l.max_emit_bytes)?;
                s.check(Kind::Emit, topic)?;
                s.shared
                    .platform
                    .events
                    .as_ref()
                    .ok_or(Code::Unsupported)?
                    .emit(&s.shared.name, topic, data)
            })();
            Ok(code32(r))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fs_read",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "fs_read", |c| {
                let (mem, s) = memory(c).map_err(|_| Code::Internal)?.data_and_store_mut(c);
                let path =
                    normalize_guest_path(str_at(mem, ptr, len, s.shared.limits.max_name_bytes)?)?;
                s.check(Kind::FsRead, &path)?;
                let fs = s.shared.platform.fs.as_ref().ok_or(Code::Unsupported)?;
                fs.read(&path, s.shared.limits.max_host_result_bytes as usize)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "fs_write",
        |mut c: C<'_>, pp: i32, pl: i32, dp: i32, dl: i32| -> R<i32> {
            if let Err(code) = enter(&mut c) {
                return Ok(code.as_neg_i32());
            }
            let (mem, s) = memory(&c)?.data_and_store_mut(&mut c);
            let l = &s.shared.limits;
            let r = (|| {
                let path = normalize_guest_path(str_at(mem, pp, pl, l.max_name_bytes)?)?;
                let data = bytes_at(mem, dp, dl, l.max_host_result_bytes)?;
                s.check(Kind::FsWrite, &path)?;
                s.shared
                    .platform
                    .fs
                    .as_ref()
                    .ok_or(Code::Unsupported)?
                    .write(&path, data)
            })();
            Ok(code32(r))
        },
    )?;
    l.func_wrap(
        MODULE,
        "fs_list",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "fs_list", |c| {
                let (mem, s) = memory(c).map_err(|_| Code::Internal)?.data_and_store_mut(c);
                let path =
                    normalize_guest_path(str_at(mem, ptr, len, s.shared.limits.max_name_bytes)?)?;
                s.check(Kind::FsRead, &path)?;
                let fs = s.shared.platform.fs.as_ref().ok_or(Code::Unsupported)?;
                let entries = fs.list(&path, 10_000)?;
                let estimate = entries.iter().map(|e| e.name.len() * 6 + 48).sum::<usize>() + 2;
                let json = to_json(&entries, estimate)?;
                if json.len() > s.shared.limits.max_host_result_bytes as usize {
                    return Err(Code::Limit);
                }
                Ok(json)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "http_request",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "http_request", |c| {
                let (mem, s) = memory(c).map_err(|_| Code::Internal)?.data_and_store_mut(c);
                let max = s.shared.limits.max_host_result_bytes;
                // The request carries its body in base64: allow for the 4/3 expansion.
                let raw = bytes_at(mem, ptr, len, max.saturating_mul(4) / 3 + 64 * 1024)?;
                let mut scratch = vec![0u8; raw.len()];
                let (req, _): (HttpRequestJson, usize) =
                    serde_json_core::from_slice_escaped(raw, &mut scratch)
                        .map_err(|_| Code::InvalidInput)?;
                let (scheme, host, port, path) = parse_url(&req.url)?;
                if !s.shared.grants.allows_net(&host, port) {
                    return Err(s
                        .deny(Kind::NetOutbound, &format!("{host}:{port}"))
                        .unwrap_err());
                }
                let method = req.method.to_ascii_uppercase();
                if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
                    return Err(Code::InvalidInput);
                }
                let body = match &req.body {
                    None => Vec::new(),
                    Some(b) => b64().decode(b).map_err(|_| Code::InvalidInput)?,
                };
                let request = HttpRequest {
                    method,
                    url: req.url.clone(),
                    scheme,
                    host,
                    port,
                    path,
                    headers: req.headers.into_iter().map(|(k, v)| (k.0, v)).collect(),
                    body,
                };
                let http = s.shared.platform.http.as_ref().ok_or(Code::Unsupported)?;
                let resp = http.request(&request, &Policy(s), max as usize)?;
                if resp.body.len() > max as usize {
                    return Err(Code::Limit);
                }
                let mut headers: BTreeMap<&str, String> = BTreeMap::new();
                for (k, v) in &resp.headers {
                    headers
                        .entry(k.as_str())
                        .and_modify(|old| {
                            old.push_str(", ");
                            old.push_str(v);
                        })
                        .or_insert_with(|| v.clone());
                }
                let json = HttpResponseJson {
                    status: resp.status,
                    headers,
                    body: b64().encode(&resp.body),
                };
                let estimate = json.body.len()
                    + resp
                        .headers
                        .iter()
                        .map(|(k, v)| (k.len() + v.len()) * 6 + 8)
                        .sum::<usize>()
                    + 64;
                to_json(&json, estimate)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "env_get",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "env_get", |c| {
                let (mem, s) = memory(c).map_err(|_| Code::Internal)?.data_and_store_mut(c);
                let name = str_at(mem, ptr, len, s.shared.limits.max_name_bytes)?;
                s.check(Kind::Env, name)?;
                let env = s.shared.platform.env.as_ref().ok_or(Code::Unsupported)?;
                let v = env.get(name)?.ok_or(Code::NotFound)?;
                if v.len() > s.shared.limits.max_host_result_bytes as usize {
                    return Err(Code::Limit);
                }
                Ok(v.into_bytes())
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "secret_get",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "secret_get", |c| {
                let (mem, s) = memory(c).map_err(|_| Code::Internal)?.data_and_store_mut(c);
                let name = str_at(mem, ptr, len, s.shared.limits.max_name_bytes)?;
                s.check(Kind::SecretsRead, name)?;
                let secrets = s
                    .shared
                    .platform
                    .secrets
                    .as_ref()
                    .ok_or(Code::Unsupported)?;
                let v = secrets.get(name)?.ok_or(Code::NotFound)?;
                if v.len() > s.shared.limits.max_host_result_bytes as usize {
                    return Err(Code::Limit);
                }
                Ok(v)
            })
        },
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_round_trips() {
        assert_eq!(unpack(pack(0x1234, 0x10)), (0x1234, 0x10));
        assert_eq!(unpack(pack(0x7fff_ffff, u32::MAX)), (0x7fff_ffff, u32::MAX));
        assert!(pack(0x7fff_ffff, u32::MAX) >= 0);
    }

    #[test]
    fn guest_ranges_are_checked_in_both_directions() {
        assert_eq!(guest_range(100, 10, 20), Some(10..30));
        assert_eq!(guest_range(100, 90, 10), Some(90..100));
        assert_eq!(guest_range(100, 90, 11), None);
        assert_eq!(guest_range(100, -1, 1), None);
        assert_eq!(guest_range(100, 0, -1), None);
        assert_eq!(guest_range(100, i32::MAX, i32::MAX), None);
        assert_eq!(guest_range(100, 100, 0), Some(100..100));
    }

    #[test]
    fn guest_paths_normalise_and_refuse_escapes() {
        assert_eq!(
            normalize_guest_path("/data/./a//b/../c").unwrap(),
            "/data/a/c"
        );
        assert_eq!(normalize_guest_path("/").unwrap(), "/");
        assert_eq!(normalize_guest_path("/data/..").unwrap(), "/");
        assert_eq!(
            normalize_guest_path("/data/../../etc"),
            Err(Code::PermissionDenied)
        );
        assert_eq!(normalize_guest_path("data/a"), Err(Code::InvalidInput));
        assert_eq!(normalize_guest_path("/a\0b"), Err(Code::InvalidInput));
    }

    #[test]
    fn urls_parse_strictly() {
        assert_eq!(
            parse_url("http://Example.com:8080/a?b=1#frag").unwrap(),
            ("http".into(), "example.com".into(), 8080, "/a?b=1".into())
        );
        assert_eq!(parse_url("https://[::1]/").unwrap().1, "::1");
        assert_eq!(
            parse_url("https://x.org").unwrap(),
            ("https".into(), "x.org".into(), 443, "/".into())
        );
        for bad in [
            "ftp://x",
            "http://user@evil.com/",
            "http://",
            "http://h:0/",
            "http://h:99999/",
            "nohost",
            "http://a%2eb/",
        ] {
            assert_eq!(parse_url(bad), Err(Code::InvalidInput), "{bad}");
        }
    }

    #[test]
    fn every_import_has_a_unique_name() {
        for (i, a) in IMPORTS.iter().enumerate() {
            assert!(IMPORTS[i + 1..].iter().all(|b| b.name != a.name));
        }
        assert!(
            returns_buffer("kv_get") && !returns_buffer("clock_now") && !returns_buffer("kv_set")
        );
    }
}
