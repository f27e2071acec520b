//! Caplet's fuzz targets. Each function takes the fuzzer's bytes and must never
//! panic, hang or crash, whatever they are; the ones with a property to hold (a
//! round trip, a normal form) assert it. `fuzz_targets/*.rs` hand them to
//! libFuzzer (`cargo +nightly fuzz run <target>`); `run.sh` runs every target for a
//! fixed time (CI), `long-run.sh` for a fixed number of executions.
//!
//! | target | what |
//! | --- | --- |
//! | `manifest` | the manifest, as a sidecar and as an embedded section |
//! | `capability` | capability strings: parse, and display → parse is the identity |
//! | `policy` | the policy file |
//! | `sizes_and_mounts` | `--memory` sizes and `--dir` mounts |
//! | `oci` | OCI references, digests, layout references, manifests and indexes |
//! | `http_request` | the JSON request of `http_request` and URL parsing |
//! | `guest_path` | guest path normalisation (normal form, no escape) |
//! | `module` | scan, load, instantiate and call any module under small limits |
//! | `guest_boundary` | a hostile guest calling every import of every profile with fuzzer-chosen pointers, lengths and numbers |

use std::path::Path;
use std::sync::OnceLock;

use caplet_core::inspect::{ModuleInfo, ValType};
use std::sync::Arc;

use caplet_core::platform::{
    testing, Audit, Denial, EventSink, Exec, ExecOutput, ExecRequest, Http, HttpRequest,
    HttpResponse, Level, LogSink, NetPolicy, Platform,
};
use caplet_core::profiles;
use caplet_core::profiles::wasi::{Preopen, WasiConfig};
use caplet_core::{
    AppFunctions, Capability, Code, EngineLimits, Grants, Limits, Manifest, PluginConfig, Runtime,
    Value,
};

/// The manifest parsers.
pub fn manifest(data: &[u8]) {
    let _ = Manifest::parse(data);
    if let Ok(m) = Manifest::parse_embedded(data) {
        // A parsed manifest names a valid plugin.
        assert!(caplet_core::manifest::validate_name(&m.name).is_ok());
    }
}

/// Capability strings: whatever parses displays as text that parses back to it.
pub fn capability(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(cap) = Capability::parse(text) {
        let shown = cap.to_string();
        let again = Capability::parse(&shown).unwrap_or_else(|e| {
            panic!("{text:?} displays as {shown:?}, which does not parse: {e}")
        });
        assert_eq!(again, cap, "{text:?} -> {shown:?}");
        assert_eq!(again.to_string(), shown);
    }
    let _ = Grants::from_strs(text.split(','));
}

/// The policy file.
pub fn policy(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(p) = caplet::policy::Policy::parse(text, Path::new("/base")) {
            let _ = p.for_plugin("echo");
        }
    }
}

/// Sizes and mount specifications.
pub fn sizes_and_mounts(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = caplet_core::parse_size(text);
    if let Ok(m) = caplet::fs::Mount::parse(text) {
        // The guest side of a mount is always a normal absolute path.
        assert_eq!(
            caplet_core::abi::normalize_guest_path(&m.guest).as_deref(),
            Ok(m.guest.as_str())
        );
    }
    let _ = caplet::policy::parse_rate(text);
    let _ = caplet::policy::parse_level(text);
}

/// OCI references, digests, layout references, manifests and indexes.
pub fn oci(data: &[u8]) {
    use caplet::oci;
    let _ = oci::check_manifest(data, &oci::OciLimits::default());
    let _ = oci::parse_index(data);
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(r) = oci::Reference::parse(text) {
            // A parsed reference prints as text that parses to the same.
            let shown = r.to_string();
            let again = oci::Reference::parse(&shown)
                .unwrap_or_else(|e| panic!("{text:?} -> {shown:?} does not parse: {e}"));
            assert_eq!(again.to_string(), shown);
        }
        let _ = oci::parse_digest(text);
        let _ = oci::parse_layout_ref(text);
    }
}

/// The `http_request` JSON and the URL parser behind every hop.
pub fn http_request(data: &[u8]) {
    if let Ok(call) = caplet_core::profiles::caplet::decode_http_request(data) {
        if let Ok((scheme, host, port, path)) = caplet_core::abi::parse_url(&call.url) {
            assert!(scheme == "http" || scheme == "https");
            assert!(!host.is_empty() && port != 0 && path.starts_with('/'));
            assert!(!host.contains('@'));
        }
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = caplet_core::abi::parse_url(text);
    }
}

/// Guest paths: the normal form is absolute, has no `.`/`..`/empty components and
/// is a fixed point.
pub fn guest_path(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(p) = caplet_core::abi::normalize_guest_path(text) {
        assert!(p.starts_with('/'));
        assert!(p == "/" || !p.ends_with('/'));
        assert!(p
            .split('/')
            .skip(1)
            .all(|c| p == "/" || (!c.is_empty() && c != "." && c != "..")));
        assert_eq!(
            caplet_core::abi::normalize_guest_path(&p).as_deref(),
            Ok(p.as_str())
        );
    }
}

fn small_limits() -> Limits {
    Limits {
        fuel_per_call: 200_000,
        fuel_slice: 50_000,
        memory_bytes: 4 << 20,
        compile_memory_bytes: 64 << 20,
        ..Limits::default()
    }
}

fn runtime() -> &'static Runtime {
    static RT: OnceLock<Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        Runtime::with_functions(
            EngineLimits {
                max_recursion_depth: 256,
                max_stack_bytes: 256 * 1024,
            },
            [app_functions()],
        )
        .expect("one application module")
    })
}

/// Application functions for the fuzzed guests: `fuzzapp.echo` (bytes: its input
/// back, `NOT_FOUND` when empty) and `fuzzapp.div` (numbers: `i64` division that
/// fails on a zero divisor, which ends the call).
fn app_functions() -> AppFunctions {
    AppFunctions::new("fuzzapp")
        .and_then(|a| {
            a.bytes("echo", "app:fuzz.echo", |_, input| {
                if input.is_empty() {
                    Err(Code::NotFound)
                } else {
                    Ok(input.to_vec())
                }
            })
        })
        .and_then(|a| {
            a.numbers(
                "div",
                "app:fuzz.div",
                &[ValType::I64, ValType::I64],
                &[ValType::I64],
                |_, args, results| {
                    let (Value::I64(a), Value::I64(b)) = (args[0], args[1]) else {
                        return Err(Code::InvalidInput);
                    };
                    results[0] = Value::I64(a.checked_div(b).ok_or(Code::InvalidInput)?);
                    Ok(())
                },
            )
        })
        .expect("valid application functions")
}

/// Every import a fuzzed guest can have: each profile's, then the application's,
/// as (module, name, params, results).
type ImportSig = (String, String, Vec<ValType>, Vec<ValType>);

fn all_imports() -> &'static [ImportSig] {
    static ALL: OnceLock<Vec<ImportSig>> = OnceLock::new();
    ALL.get_or_init(list_imports)
}

fn list_imports() -> Vec<ImportSig> {
    let mut all: Vec<_> = profiles::imports()
        .map(|s| {
            (
                s.profile.module().to_string(),
                s.name.to_string(),
                s.params.to_vec(),
                s.results.to_vec(),
            )
        })
        .collect();
    let app = app_functions();
    for f in app.functions() {
        let sig = f.signature();
        all.push((
            app.module().to_string(),
            f.name().to_string(),
            sig.params,
            sig.results,
        ));
    }
    all
}

/// Every capability, widely scoped, on the test platform: a loaded module can
/// reach every service.
fn everything() -> Grants {
    Grants::from_strs([
        "log",
        "clock",
        "random",
        "kv",
        "stdio",
        "emit:*",
        "fs:read:/**",
        "fs:write:/**",
        "net:outbound:*",
        "env:*",
        "secrets:read:*",
        "exec:/**",
        "fs:temp",
        "app:*",
    ])
    .expect("valid grants")
}

/// Sinks that keep nothing, so millions of runs do not grow memory.
struct Null;

impl LogSink for Null {
    fn log(&self, _: &str, _: Level, _: &str) {}
}

impl EventSink for Null {
    fn emit(&self, _: &str, _: &str, _: &[u8]) -> Result<(), Code> {
        Ok(())
    }
}

impl Audit for Null {
    fn denied(&self, _: &Denial<'_>) {}
}

/// Runs nothing: answers as if the program printed its own path.
impl Exec for Null {
    fn run(&self, request: &ExecRequest) -> Result<ExecOutput, Code> {
        Ok(ExecOutput {
            exit_code: Some(0),
            stdout: request.program.as_bytes().to_vec(),
            ..ExecOutput::default()
        })
    }
}

impl Http for Null {
    fn request(
        &self,
        _: &HttpRequest,
        policy: &dyn NetPolicy,
        max_body: usize,
    ) -> Result<HttpResponse, Code> {
        // Walk one redirect hop through the policy like a real client would.
        if !policy.allows("redirect.example", 443) {
            return Err(Code::PermissionDenied);
        }
        Ok(HttpResponse {
            status: 200,
            headers: vec![("content-type".into(), "text/plain".into())],
            body: b"ok"
                .iter()
                .copied()
                .cycle()
                .take(max_body.min(64))
                .collect(),
        })
    }
}

/// The test platform with sinks that keep nothing.
fn platform() -> Platform {
    let null = Arc::new(Null);
    Platform {
        log: Some(null.clone()),
        events: Some(null.clone()),
        audit: Some(null.clone()),
        exec: Some(null.clone()),
        http: Some(null),
        ..testing::full()
    }
}

fn config(grants: Grants) -> PluginConfig {
    PluginConfig {
        grants,
        limits: small_limits(),
        platform: platform(),
        wasi: WasiConfig {
            args: vec!["fuzz".into()],
            preopens: vec![Preopen::new("/data")],
        },
        ..Default::default()
    }
}

fn zero(t: &ValType) -> Value {
    match t {
        ValType::I64 => Value::I64(0),
        ValType::F32 => Value::F32(0.0),
        ValType::F64 => Value::F64(0.0),
        _ => Value::I32(0),
    }
}

/// Any module: scanned, loaded (all grants, small limits), instantiated, and every
/// numeric export called with zeros and every entry point with the input.
pub fn module(data: &[u8]) {
    let limits = small_limits();
    let Ok(info) = ModuleInfo::scan(data, &limits) else {
        return;
    };
    let Ok(plugin) = runtime().load(data, config(everything())) else {
        return;
    };
    let Ok(mut instance) = plugin.instantiate() else {
        return;
    };
    for export in &info.exports {
        let Some(sig) = info.export_signature(&export.name) else {
            continue;
        };
        if sig.is_entry() {
            let _ = instance.call(&export.name, b"fuzz");
        } else if sig.is_numeric() {
            let args: Vec<Value> = sig.params.iter().map(zero).collect();
            let _ = instance.call_typed(&export.name, &args);
        }
    }
}

fn wat_type(t: &ValType) -> &'static str {
    match t {
        ValType::I64 => "i64",
        ValType::F32 => "f32",
        ValType::F64 => "f64",
        _ => "i32",
    }
}

/// A module importing every function of every profile and of the application;
/// export `f<i>` takes nine
/// i64 and calls import `i` with them (wrapped to its parameter types), returning
/// its result as i64 (0 when it has none). `caplet_alloc` returns whatever the
/// fuzzer last stored with `set_alloc`, so the host meets hostile allocators too.
fn boundary_module() -> &'static [u8] {
    static WASM: OnceLock<Vec<u8>> = OnceLock::new();
    WASM.get_or_init(|| {
        let mut text = String::from("(module\n");
        let imports = all_imports();
        for (i, (module, name, params, results)) in imports.iter().enumerate() {
            let params: Vec<&str> = params.iter().map(wat_type).collect();
            let results: Vec<&str> = results.iter().map(wat_type).collect();
            text += &format!(
                "(import \"{module}\" \"{name}\" (func $i{i} (param {}) (result {})))\n",
                params.join(" "),
                results.join(" ")
            );
        }
        text += "(memory (export \"memory\") 1 4)\n(global $alloc (mut i32) (i32.const 1024))\n";
        text += "(func (export \"caplet_alloc\") (param i32) (result i32) global.get $alloc)\n";
        text += "(func (export \"set_alloc\") (param i32) local.get 0 global.set $alloc)\n";
        for (i, (_, _, params, results)) in imports.iter().enumerate() {
            // Padding: wasmi's strict limits refuse a code section of 1,000 bytes
            // or more whose functions average under 40 bytes, and these wrappers
            // of imports with few parameters are a few bytes each.
            let mut body = "i64.const 0x7fffffffffffffff drop ".repeat(4);
            for (a, t) in params.iter().enumerate() {
                body += &format!("local.get {a} ");
                match t {
                    ValType::I64 => {}
                    ValType::F32 => body += "f32.convert_i64_s ",
                    ValType::F64 => body += "f64.convert_i64_s ",
                    _ => body += "i32.wrap_i64 ",
                }
            }
            body += &format!("call $i{i} ");
            body += match results[..] {
                [] => "i64.const 0",
                [ValType::I64] => "",
                _ => "i64.extend_i32_s",
            };
            text += &format!(
                "(func (export \"f{i}\") (param i64 i64 i64 i64 i64 i64 i64 i64 i64) (result i64) {body})\n"
            );
        }
        text += ")";
        wat::parse_str(&text).expect("the boundary module assembles")
    })
}

/// Reads fuzzer bytes as a stream of numbers biased towards interesting ones.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn byte(&mut self) -> Option<u8> {
        let (b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(*b)
    }

    fn number(&mut self) -> i64 {
        match self.byte().unwrap_or(0) {
            // Small values: lengths, fds, flags, offsets near the data.
            b @ 0..=127 => i64::from(b),
            128..=159 => i64::from(self.byte().unwrap_or(0)) * 64,
            160..=175 => -1,
            176..=191 => i64::from(i32::MAX),
            192..=207 => 65_536 - i64::from(self.byte().unwrap_or(0)),
            _ => {
                let mut v = [0u8; 8];
                for b in &mut v {
                    *b = self.byte().unwrap_or(0);
                }
                i64::from_le_bytes(v)
            }
        }
    }
}

/// A hostile guest: the fuzzer's bytes choose which import of which profile to call
/// and with what pointers, lengths and numbers, and what `caplet_alloc` returns.
/// Whatever it does, the host answers with codes, errnos or a clean trap, and a
/// trapped instance is replaced.
pub fn guest_boundary(data: &[u8]) {
    static PLUGIN: OnceLock<caplet_core::Plugin> = OnceLock::new();
    let plugin = PLUGIN.get_or_init(|| {
        runtime()
            .load(boundary_module(), config(everything()))
            .expect("the boundary module loads")
    });
    let count = all_imports().len();
    let mut input = Bytes(data);
    let Ok(mut instance) = plugin.instantiate() else {
        return;
    };
    while let Some(choice) = input.byte() {
        if choice == 255 {
            let to = input.number() as i32;
            let _ = instance.call_typed("set_alloc", &[Value::I32(to)]);
            continue;
        }
        let i = usize::from(choice) % count;
        let args: Vec<Value> = (0..9).map(|_| Value::I64(input.number())).collect();
        // proc_exit ends the instance; a trap poisons it: both are fine.
        let _ = instance.call_typed(&format!("f{i}"), &args);
    }
    // Instances can still be made after everything above.
    assert!(plugin.instantiate().is_ok());
}

#[cfg(test)]
mod tests {
    /// Every target takes the empty input and each of its seeds without a panic:
    /// run by `fuzz/run.sh` before fuzzing, so a broken harness (a module that no
    /// longer loads, a grant a new import needs) fails in seconds, with its message.
    #[test]
    fn every_target_takes_the_empty_input_and_its_seeds() {
        let targets: [(&str, fn(&[u8])); 9] = [
            ("manifest", super::manifest),
            ("capability", super::capability),
            ("policy", super::policy),
            ("sizes_and_mounts", super::sizes_and_mounts),
            ("oci", super::oci),
            ("http_request", super::http_request),
            ("guest_path", super::guest_path),
            ("module", super::module),
            ("guest_boundary", super::guest_boundary),
        ];
        for (name, target) in targets {
            target(b"");
            let seeds = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("seeds")
                .join(name);
            if let Ok(dir) = std::fs::read_dir(&seeds) {
                for entry in dir.flatten() {
                    target(&std::fs::read(entry.path()).unwrap());
                }
            }
        }
    }
}
