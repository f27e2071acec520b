//! Contract v1: the `caplet` import module. Each import reads its arguments from
//! guest memory (bounds-checked, capped), calls one [service](crate::services)
//! and encodes the result the contract's way: `0` or a packed `(ptr, len)` on
//! success, `-code` on failure. Buffers for results come from the guest's
//! `caplet_alloc`, which the call driver runs (under the call's fuel slices and
//! slice hook) on the import's behalf.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use base64::Engine as _;
use serde::Deserialize;
#[cfg(any(feature = "fs", feature = "http", feature = "exec"))]
use serde::Serialize;
use wasmi::{Caller, Linker};

use super::{bytes_at, guest_range, str_at, ImportSpec, Profile};
use crate::capability::Kind;
use crate::error::{Code, Error};
use crate::inspect::ValType::{self, I32, I64};
use crate::platform::{ClockId, Level};
use crate::services::http::HttpCall;
use crate::state::{fatal, GuestRequest, HostState};

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

const fn spec(
    name: &'static str,
    params: &'static [ValType],
    results: &'static [ValType],
    service: Option<&'static str>,
    capabilities: &'static [Kind],
) -> ImportSpec {
    ImportSpec::new(
        Profile::Caplet,
        name,
        params,
        results,
        service,
        capabilities,
    )
}

/// The import table of contract v1.
pub const IMPORTS: &[ImportSpec] = &[
    spec("log", &[I32, I32, I32], &[], Some("log"), &[Kind::Log]),
    spec("set_error", &[I32, I32], &[], None, &[]),
    spec("config_get", &[I32, I32], &[I64], Some("config"), &[]),
    spec("clock_now", &[I32], &[I64], Some("clock"), &[Kind::Clock]),
    spec(
        "random_fill",
        &[I32, I32],
        &[I32],
        Some("random"),
        &[Kind::Random],
    ),
    spec("kv_get", &[I32, I32], &[I64], Some("kv"), &[Kind::Kv]),
    spec(
        "kv_set",
        &[I32, I32, I32, I32],
        &[I32],
        Some("kv"),
        &[Kind::Kv],
    ),
    spec("kv_delete", &[I32, I32], &[I32], Some("kv"), &[Kind::Kv]),
    spec(
        "emit",
        &[I32, I32, I32, I32],
        &[I32],
        Some("emit"),
        &[Kind::Emit],
    ),
    spec("fs_read", &[I32, I32], &[I64], Some("fs"), &[Kind::FsRead]),
    spec(
        "fs_write",
        &[I32, I32, I32, I32],
        &[I32],
        Some("fs"),
        &[Kind::FsWrite],
    ),
    spec("fs_list", &[I32, I32], &[I64], Some("fs"), &[Kind::FsRead]),
    spec(
        "http_request",
        &[I32, I32],
        &[I64],
        Some("http"),
        &[Kind::NetOutbound],
    ),
    spec("env_get", &[I32, I32], &[I64], Some("env"), &[Kind::Env]),
    spec(
        "secret_get",
        &[I32, I32],
        &[I64],
        Some("secrets"),
        &[Kind::SecretsRead],
    ),
    spec("exec", &[I32, I32], &[I64], Some("exec"), &[Kind::Exec]),
];

/// The capability an import of contract v1 belongs to: `None` if the import does
/// not exist, `Some(None)` if it needs no capability.
pub fn import_capability(module: &str, name: &str) -> Option<Option<Kind>> {
    if module != MODULE {
        return None;
    }
    IMPORTS
        .iter()
        .find(|s| s.name == name)
        .map(|s| s.capabilities.first().copied())
}

/// Whether an import of contract v1 hands a buffer back through `caplet_alloc`.
pub(crate) fn returns_buffer(module: &str, name: &str) -> bool {
    module == MODULE
        && IMPORTS
            .iter()
            .any(|s| s.name == name && s.results == [I64] && s.name != "clock_now")
}

type C<'a> = Caller<'a, HostState>;
type R<T> = Result<T, wasmi::Error>;

/// Hands `data` to the guest in a buffer from its `caplet_alloc` and returns it
/// packed; empty data is `(0, 0)` without a call to `caplet_alloc`.
///
/// `caplet_alloc` runs inline, on what is left of the current fuel slice: the
/// common case costs one nested call. When it needs more than the slice, it is
/// suspended and the call driver finishes it ([`GuestRequest::FinishAlloc`]) with
/// refills under the slice hook, so a looping allocator still meets the deadline.
fn give(caller: &mut C<'_>, data: Vec<u8>, import: &'static str) -> R<i64> {
    use wasmi::TypedResumableCall as Call;
    if data.is_empty() {
        return Ok(0);
    }
    let Ok(len) = i32::try_from(data.len()) else {
        return Ok(Code::Limit.as_neg_i64());
    };
    let state = caller.data();
    let Some(alloc) = state.alloc else {
        return Err(fatal(Error::MissingExport {
            name: "caplet_alloc".into(),
            expected: "a function (i32) -> (i32)".into(),
        }));
    };
    if state.in_alloc {
        return Err(fatal(Error::contract(msg!(
            "caplet_alloc called `{import}`, which needs caplet_alloc again (re-entrancy is refused)"
        ))));
    }
    caller.data_mut().in_alloc = true;
    if !caller.data().sliced {
        // The whole budget is in the store: a plain call, and running out of fuel
        // in it ends the call (no slice to resume in).
        let ptr = alloc.call(&mut *caller, len);
        caller.data_mut().in_alloc = false;
        return match ptr {
            Ok(ptr) => {
                let memory = caller.data().memory()?;
                place(memory.data_mut(&mut *caller), ptr, &data, import).map_err(fatal)
            }
            Err(e) => Err(nested_failure(caller, e, import)),
        };
    }
    let call = alloc.call_resumable(&mut *caller, len);
    match call {
        Ok(Call::Finished(ptr)) => {
            caller.data_mut().in_alloc = false;
            let memory = caller.data().memory()?;
            place(memory.data_mut(&mut *caller), ptr, &data, import).map_err(fatal)
        }
        Ok(Call::OutOfFuel(pending)) => {
            // Still in caplet_alloc: `in_alloc` stays set until the driver finishes.
            let state = caller.data_mut();
            state.pending = data;
            state.pending_alloc = Some(pending);
            Err(wasmi::Error::host(GuestRequest::FinishAlloc { import }))
        }
        Ok(Call::HostTrap(pending)) => {
            // A host function called by caplet_alloc failed fatally (or the
            // program exited): the whole call ends the same way.
            caller.data_mut().in_alloc = false;
            let e = pending.host_error();
            Err(
                match (
                    e.downcast_ref::<crate::state::Fatal>(),
                    e.downcast_ref::<GuestRequest>(),
                ) {
                    (Some(f), _) => fatal(f.0.clone()),
                    (None, Some(GuestRequest::Exit(code))) => {
                        wasmi::Error::host(GuestRequest::Exit(*code))
                    }
                    _ => fatal(Error::contract(
                        [
                            "caplet_alloc (called by the host for `",
                            import,
                            "`) failed: ",
                            &crate::error::wasmi_message(&e),
                        ]
                        .concat(),
                    )),
                },
            )
        }
        Err(e) => {
            caller.data_mut().in_alloc = false;
            Err(nested_failure(caller, e, import))
        }
    }
}

/// The error that ends the whole call when `caplet_alloc`, run by the host for
/// `import`, failed: out of fuel (unsliced calls only: a sliced call suspends
/// instead), a trap, a fatal host error, or the program's exit.
#[cold]
#[inline(never)]
fn nested_failure(caller: &C<'_>, e: wasmi::Error, import: &str) -> wasmi::Error {
    if let Some(GuestRequest::Exit(code)) = e.downcast_ref::<GuestRequest>() {
        return wasmi::Error::host(GuestRequest::Exit(*code));
    }
    let during = ["caplet_alloc (called by the host for `", import, "`)"].concat();
    fatal(match e.as_trap_code() {
        Some(wasmi::TrapCode::OutOfFuel) => Error::OutOfFuel {
            used: caller.data().budget,
        },
        Some(code) => Error::Trap {
            during,
            message: code.trap_message().into(),
        },
        None => match e.downcast_ref::<crate::state::Fatal>() {
            Some(f) => f.0.clone(),
            None => Error::Trap {
                during,
                message: crate::error::wasmi_message(&e),
            },
        },
    })
}

/// Copies `data` into the guest's buffer at `ptr` from `caplet_alloc` and returns
/// it packed; `-LIMIT` when the guest could not allocate (`ptr == 0`), a contract
/// violation when the buffer lies outside memory.
pub(crate) fn place(mem: &mut [u8], ptr: i32, data: &[u8], import: &str) -> Result<i64, Error> {
    if ptr == 0 {
        return Ok(Code::Limit.as_neg_i64());
    }
    let len = data.len() as i32;
    let Some(range) = guest_range(mem.len(), ptr, len) else {
        return Err(Error::contract(msg!(
            "caplet_alloc({len}) returned {} for `{import}`, outside the {}-byte memory",
            ptr as u32,
            mem.len()
        )));
    };
    mem[range].copy_from_slice(data);
    Ok(pack(ptr as u32, len as u32))
}

fn code32(r: Result<(), Code>) -> i32 {
    match r {
        Ok(()) => 0,
        Err(c) => c.as_neg_i32(),
    }
}

/// Counts the call, runs `f` on the guest memory and the services, then hands
/// its bytes to the guest.
pub(crate) fn with_result(
    caller: &mut C<'_>,
    import: &'static str,
    f: impl FnOnce(&[u8], &crate::services::Services) -> Result<Vec<u8>, Code>,
) -> R<i64> {
    if let Err(c) = caller.data_mut().enter() {
        return Ok(c.as_neg_i64());
    }
    let memory = caller.data().memory()?;
    let (mem, state) = memory.data_and_store_mut(&mut *caller);
    match f(mem, &state.services) {
        Ok(data) => give(caller, data, import),
        Err(c) => Ok(c.as_neg_i64()),
    }
}

/// Counts the call and runs `f`, which returns `0` or `-code`.
fn with_status(
    caller: &mut C<'_>,
    f: impl FnOnce(&mut [u8], &crate::services::Services) -> Result<(), Code>,
) -> R<i32> {
    if let Err(c) = caller.data_mut().enter() {
        return Ok(c.as_neg_i32());
    }
    let memory = caller.data().memory()?;
    let (mem, state) = memory.data_and_store_mut(&mut *caller);
    Ok(code32(f(mem, &state.services)))
}

/// A contract violation naming the import and the bad buffer.
fn outside(import: &str, ptr: i32, len: i32, mem_len: usize) -> wasmi::Error {
    fatal(Error::contract(msg!(
        "{import}: ({}, {}) is outside the {mem_len}-byte memory",
        ptr as u32,
        len as u32
    )))
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

#[cfg(feature = "http")]
#[derive(Serialize)]
struct HttpResponseJson<'a> {
    status: u16,
    headers: BTreeMap<&'a str, String>,
    body: String,
}

fn b64() -> base64::engine::GeneralPurpose {
    base64::engine::general_purpose::STANDARD
}

/// A JSON request of the contract (strings may be escaped); `INVALID_INPUT` for
/// anything that does not parse as `T`.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(raw: &[u8]) -> Result<T, Code> {
    let mut scratch = vec![0u8; raw.len()];
    serde_json_core::from_slice_escaped(raw, &mut scratch)
        .map(|(value, _)| value)
        .map_err(|_| Code::InvalidInput)
}

/// Optional base64 bytes of a request (missing: empty); `INVALID_INPUT` otherwise.
fn from_b64(text: Option<&str>) -> Result<Vec<u8>, Code> {
    text.map_or(Ok(Vec::new()), |t| {
        b64().decode(t).map_err(|_| Code::InvalidInput)
    })
}

#[cfg(any(feature = "fs", feature = "http", feature = "exec"))]
pub(crate) fn to_json<T: Serialize>(value: &T, estimate: usize) -> Result<Vec<u8>, Code> {
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

/// Decodes the JSON request of `http_request` (`{"method", "url", "headers",
/// "body"}` with a base64 body); `INVALID_INPUT` for anything else.
pub fn decode_http_request(raw: &[u8]) -> Result<HttpCall, Code> {
    let req: HttpRequestJson = from_json(raw)?;
    let body = from_b64(req.body.as_deref())?;
    Ok(HttpCall {
        method: req.method,
        url: req.url,
        headers: req.headers.into_iter().map(|(k, v)| (k.0, v)).collect(),
        body,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecRequestJson {
    argv: Vec<String>,
    #[serde(default)]
    env: Vec<String>,
    #[serde(default)]
    cwd: Option<String>,
    #[serde(default)]
    stdin: Option<String>,
    #[serde(default)]
    timeout_ms: Option<u64>,
}

#[cfg(feature = "exec")]
#[derive(Serialize)]
struct ExecResponseJson {
    exit_code: Option<i32>,
    signal: Option<i32>,
    timed_out: bool,
    output_capped: bool,
    duration_ms: u64,
    stdout: String,
    stderr: String,
}

/// Decodes the JSON request of `exec` (`{"argv", "env", "cwd", "stdin",
/// "timeout_ms"}` with a base64 `stdin`); `INVALID_INPUT` for anything else.
pub fn decode_exec_request(raw: &[u8]) -> Result<crate::services::exec::ExecCall, Code> {
    let req: ExecRequestJson = from_json(raw)?;
    let stdin = from_b64(req.stdin.as_deref())?;
    Ok(crate::services::exec::ExecCall {
        argv: req.argv,
        env: req.env,
        cwd: req.cwd,
        stdin,
        timeout_ms: req.timeout_ms,
    })
}

/// `exec`: the JSON request decoded, the service called, the outcome encoded as
/// JSON with base64 streams.
#[cfg(feature = "exec")]
fn exec(raw: &[u8], s: &crate::services::Services) -> Result<Vec<u8>, Code> {
    let out = s.exec(decode_exec_request(raw)?)?;
    let json = ExecResponseJson {
        exit_code: out.exit_code,
        signal: out.signal,
        timed_out: out.timed_out,
        output_capped: out.output_capped,
        duration_ms: out.duration_ms,
        stdout: b64().encode(&out.stdout),
        stderr: b64().encode(&out.stderr),
    };
    let json = to_json(&json, json.stdout.len() + json.stderr.len() + 160)?;
    crate::services::capped(json.len(), s.limits.max_host_result_bytes)?;
    Ok(json)
}

/// Response headers as a JSON object's map: a name given several times gets its
/// values joined with `, ` (as HTTP allows).
#[cfg(feature = "http")]
pub(crate) fn joined_headers(headers: &[(String, String)]) -> BTreeMap<&str, String> {
    let mut joined: BTreeMap<&str, String> = BTreeMap::new();
    for (k, v) in headers {
        joined
            .entry(k.as_str())
            .and_modify(|old| {
                old.push_str(", ");
                old.push_str(v);
            })
            .or_insert_with(|| v.clone());
    }
    joined
}

/// `http_request`: the JSON request decoded, the service called, the response
/// encoded as JSON with a base64 body.
#[cfg(feature = "http")]
fn http(raw: &[u8], s: &crate::services::Services) -> Result<Vec<u8>, Code> {
    let resp = s.http_request(decode_http_request(raw)?)?;
    let headers = joined_headers(&resp.headers);
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
}

pub(crate) fn define(l: &mut Linker<HostState>) -> Result<(), wasmi::errors::LinkerError> {
    l.func_wrap(
        MODULE,
        "log",
        |mut c: C<'_>, level: i32, ptr: i32, len: i32| -> R<()> {
            let _ = c.data_mut().enter();
            let level = Level::from_i32(level)
                .ok_or_else(|| fatal(Error::contract(msg!("log: level {level} is not 0-4"))))?;
            let memory = c.data().memory()?;
            let (mem, state) = memory.data_and_store_mut(&mut c);
            let range = guest_range(mem.len(), ptr, len)
                .ok_or_else(|| outside("log", ptr, len, mem.len()))?;
            // A log line that cannot be delivered is dropped: `log` has no result.
            let _ = state.services.log(level, &mem[range]);
            Ok(())
        },
    )?;
    l.func_wrap(
        MODULE,
        "set_error",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<()> {
            let _ = c.data_mut().enter();
            let memory = c.data().memory()?;
            let (mem, state) = memory.data_and_store_mut(&mut c);
            let range = guest_range(mem.len(), ptr, len)
                .ok_or_else(|| outside("set_error", ptr, len, mem.len()))?;
            let cap = state.services.limits.max_error_message_bytes as usize;
            let bytes = &mem[range];
            let bytes = &bytes[..bytes.len().min(cap)];
            state.error_message = Some(String::from_utf8_lossy(bytes).into_owned());
            Ok(())
        },
    )?;
    l.func_wrap(
        MODULE,
        "config_get",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "config_get", |mem, s| {
                let key = str_at(mem, ptr, len, s.limits.max_config_bytes)?;
                Ok(s.config_get(key)?.as_bytes().to_vec())
            })
        },
    )?;
    l.func_wrap(MODULE, "clock_now", |mut c: C<'_>, clock: i32| -> R<i64> {
        if let Err(code) = c.data_mut().enter() {
            return Ok(code.as_neg_i64());
        }
        let id = match clock {
            0 => ClockId::Wall,
            1 => ClockId::Monotonic,
            _ => return Ok(Code::InvalidInput.as_neg_i64()),
        };
        Ok(match c.data().services.clock_now(id) {
            Ok(ns) => ns.min(i64::MAX as u64) as i64,
            Err(code) => code.as_neg_i64(),
        })
    })?;
    l.func_wrap(
        MODULE,
        "random_fill",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i32> {
            with_status(&mut c, |mem, s| {
                if len as u32 > s.limits.max_random_bytes {
                    return Err(Code::Limit);
                }
                let range = guest_range(mem.len(), ptr, len).ok_or(Code::InvalidInput)?;
                s.random_fill(&mut mem[range])
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "kv_get",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "kv_get", |mem, s| {
                s.kv_get(str_at(mem, ptr, len, s.limits.max_kv_key_bytes)?)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "kv_set",
        |mut c: C<'_>, kp: i32, kl: i32, vp: i32, vl: i32| -> R<i32> {
            with_status(&mut c, |mem, s| {
                let key = str_at(mem, kp, kl, s.limits.max_kv_key_bytes)?;
                let value = bytes_at(mem, vp, vl, s.limits.max_kv_value_bytes)?;
                s.kv_set(key, value)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "kv_delete",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i32> {
            with_status(&mut c, |mem, s| {
                s.kv_delete(str_at(mem, ptr, len, s.limits.max_kv_key_bytes)?)
            })
        },
    )?;
    l.func_wrap(
        MODULE,
        "emit",
        |mut c: C<'_>, tp: i32, tl: i32, dp: i32, dl: i32| -> R<i32> {
            with_status(&mut c, |mem, s| {
                let topic = str_at(mem, tp, tl, s.limits.max_topic_bytes)?;
                let data = bytes_at(mem, dp, dl, s.limits.max_emit_bytes)?;
                s.emit(topic, data)
            })
        },
    )?;
    #[cfg(feature = "fs")]
    l.func_wrap(
        MODULE,
        "fs_read",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "fs_read", |mem, s| {
                s.fs_read(str_at(mem, ptr, len, s.limits.max_name_bytes)?)
            })
        },
    )?;
    #[cfg(feature = "fs")]
    l.func_wrap(
        MODULE,
        "fs_write",
        |mut c: C<'_>, pp: i32, pl: i32, dp: i32, dl: i32| -> R<i32> {
            with_status(&mut c, |mem, s| {
                let path = str_at(mem, pp, pl, s.limits.max_name_bytes)?;
                let data = bytes_at(mem, dp, dl, s.limits.max_host_result_bytes)?;
                s.fs_write(path, data)
            })
        },
    )?;
    #[cfg(feature = "fs")]
    l.func_wrap(
        MODULE,
        "fs_list",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "fs_list", |mem, s| {
                let entries = s.fs_list(str_at(mem, ptr, len, s.limits.max_name_bytes)?)?;
                let estimate = entries.iter().map(|e| e.name.len() * 6 + 48).sum::<usize>() + 2;
                let json = to_json(&entries, estimate)?;
                crate::services::capped(json.len(), s.limits.max_host_result_bytes)?;
                Ok(json)
            })
        },
    )?;
    #[cfg(feature = "http")]
    l.func_wrap(
        MODULE,
        "http_request",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "http_request", |mem, s| {
                let max = s.limits.max_host_result_bytes;
                // The request carries its body in base64: allow for the 4/3 expansion.
                let raw = bytes_at(mem, ptr, len, max.saturating_mul(4) / 3 + 64 * 1024)?;
                http(raw, s)
            })
        },
    )?;
    #[cfg(feature = "env")]
    l.func_wrap(
        MODULE,
        "env_get",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "env_get", |mem, s| {
                Ok(s.env_get(str_at(mem, ptr, len, s.limits.max_name_bytes)?)?
                    .into_bytes())
            })
        },
    )?;
    #[cfg(feature = "exec")]
    l.func_wrap(
        MODULE,
        "exec",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "exec", |mem, s| {
                let max = s.limits.max_host_result_bytes;
                // stdin travels in base64: allow for the 4/3 expansion.
                let raw = bytes_at(mem, ptr, len, max.saturating_mul(4) / 3 + 64 * 1024)?;
                exec(raw, s)
            })
        },
    )?;
    #[cfg(feature = "secrets")]
    l.func_wrap(
        MODULE,
        "secret_get",
        |mut c: C<'_>, ptr: i32, len: i32| -> R<i64> {
            with_result(&mut c, "secret_get", |mem, s| {
                s.secret_get(str_at(mem, ptr, len, s.limits.max_name_bytes)?)
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
    fn exec_requests_decode_strictly() {
        let call = decode_exec_request(
            br#"{"argv":["/bin/echo","hi"],"env":["LANG"],"cwd":"/data","stdin":"aGk=","timeout_ms":5}"#,
        )
        .unwrap();
        assert_eq!(call.argv, ["/bin/echo", "hi"]);
        assert_eq!(call.env, ["LANG"]);
        assert_eq!(call.cwd.as_deref(), Some("/data"));
        assert_eq!(call.stdin, b"hi");
        assert_eq!(call.timeout_ms, Some(5));
        let bare = decode_exec_request(br#"{"argv":["/bin/true"]}"#).unwrap();
        assert!(bare.env.is_empty() && bare.cwd.is_none() && bare.stdin.is_empty());
        for bad in [
            &br#"{"argv":["/bin/sh"],"shell":true}"#[..],
            br#"{"argv":"/bin/sh -c x"}"#,
            br#"{"env":["A"]}"#,
            br#"{"argv":["/bin/cat"],"stdin":"not base64!"}"#,
            br#"{"argv":["/bin/true"],"timeout_ms":-1}"#,
            b"not json",
        ] {
            assert_eq!(
                decode_exec_request(bad).unwrap_err(),
                Code::InvalidInput,
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn buffer_returning_imports_are_known() {
        assert!(returns_buffer(MODULE, "kv_get"));
        assert!(!returns_buffer(MODULE, "clock_now"));
        assert!(!returns_buffer(MODULE, "kv_set"));
        assert!(!returns_buffer("wasi_snapshot_preview1", "kv_get"));
    }
}
