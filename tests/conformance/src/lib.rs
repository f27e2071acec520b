//! # caplet-conformance
//!
//! One table of cases — module, grants, limits, calls, expected results — that every
//! Caplet host must pass the same way. The Linux test suite runs it against the fixture
//! plugins read from disk (`tests/tests/conformance.rs`); the firmware under `targets/`
//! runs it on the board against the same modules embedded in flash. Same inputs, same
//! expected values, decided by the same code: a host that differs is wrong.
//!
//! The table assumes a platform with exactly the services a small board offers — log,
//! clock, randomness, events and an in-RAM KV store, and **no** filesystem, HTTP,
//! environment or secrets — and the limits of [`limits`] and [`engine_limits`].
//!
//! `no_std` + `alloc`; nothing here formats text, so firmware that reports through
//! `defmt` keeps `core::fmt` out of its image for this crate's sake.
#![no_std]
#![deny(unsafe_code)]
#![deny(missing_docs)]

extern crate alloc;

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use core::sync::atomic::{AtomicU32, Ordering};

use caplet_core::profiles::wasi::WasiConfig;
use caplet_core::{
    AppFunctions, Code, Digest, EngineLimits, Error, Grants, Limits, Platform, Plugin,
    PluginConfig, Runtime, Trust, ValType, Value,
};

mod cases;
pub use cases::CASES;

// The module list lives in its own file so the firmware's build script can
// `include!` the very same list to know what to embed.
include!("modules.rs");

/// Per-plugin limits of the conformance profile: what a board with a few hundred KiB
/// of heap can honour. Linear memory is capped at 256 KiB; sizes that a host call can
/// copy into host memory are capped at a few KiB, so no guest can make the host
/// allocate more than the arena holds.
pub fn limits() -> Limits {
    Limits {
        fuel_per_call: 5_000_000,
        fuel_slice: 1_000_000,
        memory_bytes: 256 * 1024,
        max_module_bytes: 128 * 1024,
        compile_memory_bytes: 1024 * 1024,
        max_input_bytes: 16 * 1024,
        max_output_bytes: 16 * 1024,
        max_log_line_bytes: 256,
        max_error_message_bytes: 256,
        max_config_bytes: 256,
        max_kv_key_bytes: 64,
        max_kv_value_bytes: 1024,
        max_kv_keys: 64,
        max_topic_bytes: 64,
        max_emit_bytes: 1024,
        max_random_bytes: 256,
        max_name_bytes: 256,
        max_host_result_bytes: 16 * 1024,
        ..Limits::default()
    }
}

/// Interpreter limits of the conformance profile: 256 nested calls, a 64 KiB value
/// stack (heap-allocated by wasmi, grown on demand).
pub fn engine_limits() -> EngineLimits {
    EngineLimits {
        max_recursion_depth: 256,
        max_stack_bytes: 64 * 1024,
    }
}

/// The application functions every conformance host offers, as a board would
/// offer its own: import module `board` with
///
/// - `read_sensor(bytes) -> bytes` (capability `app:sensors.read`): `temp` reads
///   `21.5`, `humidity` reads `40`, any other name is `NOT_FOUND`;
/// - `gpio_set(pin: i32, level: i32) -> i32` (capability `app:gpio.write`): sets
///   pin 0-31 of a register that starts at 0 and returns its previous level; any
///   other pin fails the call.
pub fn app_functions() -> AppFunctions {
    let pins = alloc::sync::Arc::new(AtomicU32::new(0));
    // A fixed module name and capability names: registration cannot fail.
    let set = AppFunctions::new("board").and_then(|set| {
        set.bytes(
            "read_sensor",
            "app:sensors.read",
            |_call, name| match name {
                b"temp" => Ok(b"21.5".to_vec()),
                b"humidity" => Ok(b"40".to_vec()),
                _ => Err(Code::NotFound),
            },
        )
    });
    let set = set.and_then(|set| {
        set.numbers(
            "gpio_set",
            "app:gpio.write",
            &[ValType::I32, ValType::I32],
            &[ValType::I32],
            move |_call, args, results| {
                let (Value::I32(pin @ 0..=31), Value::I32(level)) = (args[0], args[1]) else {
                    return Err(Code::InvalidInput);
                };
                let bit = 1u32 << pin;
                let old = if level != 0 {
                    pins.fetch_or(bit, Ordering::SeqCst)
                } else {
                    pins.fetch_and(!bit, Ordering::SeqCst)
                };
                results[0] = Value::I32(i32::from(old & bit != 0));
                Ok(())
            },
        )
    });
    match set {
        Ok(set) => set,
        Err(_) => panic!("the conformance application functions are valid"),
    }
}

/// The runtime every conformance host runs the table on: [`engine_limits`] and
/// the [`app_functions`].
pub fn runtime() -> Runtime {
    match Runtime::with_functions(engine_limits(), [app_functions()]) {
        Ok(runtime) => runtime,
        Err(_) => panic!("one application module cannot clash"),
    }
}

/// Which module bytes a case loads.
#[derive(Debug, Clone, Copy)]
pub enum Source {
    /// A module of [`MODULES`], by name.
    Module(&'static str),
    /// The first `usize` bytes of a module of [`MODULES`] (a truncated download).
    Truncated(&'static str, usize),
    /// Literal bytes (malformed modules).
    Bytes(&'static [u8]),
}

/// Which digest the host pins when loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pin {
    /// The digest the host was given for the module (a firmware computes it at build
    /// time); none for [`Source::Bytes`].
    Expected,
    /// A digest that differs from the module's in one bit.
    Wrong,
}

/// One call of a case.
#[derive(Debug, Clone, Copy)]
pub enum Call {
    /// An entry point with input bytes.
    Entry(&'static str, &'static [u8]),
    /// A typed export with arguments.
    Typed(&'static str, &'static [Value]),
}

/// What a call (or a load) must produce.
#[derive(Clone, Copy)]
pub enum Expect {
    /// Exactly these output bytes.
    Bytes(&'static [u8]),
    /// Exactly these typed results.
    Values(&'static [Value]),
    /// Output bytes accepted by the check, described for reports.
    Check(fn(&[u8]) -> bool, &'static str),
    /// An error accepted by the check, described for reports.
    Fails(fn(&Error) -> bool, &'static str),
}

/// One step: a call and its expected result.
#[derive(Clone, Copy)]
pub struct Step {
    /// The call.
    pub call: Call,
    /// Its expected result.
    pub expect: Expect,
}

/// One conformance case.
#[derive(Clone, Copy)]
pub struct Case {
    /// Short name, unique in [`CASES`].
    pub name: &'static str,
    /// The module.
    pub source: Source,
    /// Digest pinned at load.
    pub pin: Pin,
    /// Capabilities granted.
    pub grants: &'static [&'static str],
    /// Config values.
    pub config: &'static [(&'static str, &'static str)],
    /// Fuel per call instead of the profile's.
    pub fuel: Option<u64>,
    /// Compile budget instead of the profile's.
    pub compile_budget: Option<u64>,
    /// `None`: the load must succeed; otherwise the load must fail this way.
    pub load_error: Option<Expect>,
    /// Calls made in order on one instance.
    pub steps: &'static [Step],
    /// `argv` of a WASI command (empty for other plugins).
    pub wasi_args: &'static [&'static str],
    /// The most heap the whole case (load, instantiation and calls) may take
    /// on a board, in bytes; a board's run fails the case above it. Hosts
    /// without a measured heap ignore it.
    pub max_arena: Option<u64>,
    /// Public keys (`ed25519:` and 64 hex digits) the load trusts: with any, the
    /// module must carry a valid signature by one of them.
    pub trusted_keys: &'static [&'static str],
    /// A sidecar signature (97 bytes) handed to the load with the module.
    pub signature: Option<&'static [u8]>,
}

impl Case {
    const BASE: Case = Case {
        name: "",
        source: Source::Bytes(&[]),
        pin: Pin::Expected,
        grants: &[],
        config: &[],
        fuel: None,
        compile_budget: None,
        load_error: None,
        steps: &[],
        wasi_args: &[],
        max_arena: None,
        trusted_keys: &[],
        signature: None,
    };
}

/// A module as the host supplies it.
#[derive(Debug, Clone, Copy)]
pub struct Module<'a> {
    /// The bytes (in flash on a board).
    pub bytes: &'a [u8],
    /// The digest the host expects for them.
    pub digest: Digest,
}

/// Where a host keeps the modules of [`MODULES`].
pub trait Modules {
    /// The module called `name`, if the host has it.
    fn module(&self, name: &str) -> Option<Module<'_>>;
}

/// Observes a case while it runs (a firmware measures its arena here).
pub trait Probe {
    /// Called right after a successful load, before the first instantiation.
    fn loaded(&mut self, _plugin: &Plugin) {}
}

/// A probe that observes nothing.
pub struct NoProbe;
impl Probe for NoProbe {}

/// Why a case failed.
#[derive(Debug)]
pub struct Failure {
    /// The case.
    pub case: &'static str,
    /// The step (0-based), or `None` for the load.
    pub step: Option<usize>,
    /// What was expected.
    pub expected: &'static str,
    /// The error the host returned, if that was the problem.
    pub error: Option<Error>,
    /// The output the host returned, if that was the problem.
    pub output: Option<Vec<u8>>,
}

#[cfg(feature = "defmt")]
impl defmt::Format for Failure {
    fn format(&self, f: defmt::Formatter<'_>) {
        defmt::write!(
            f,
            "case {=str}, step {}: expected {=str}",
            self.case,
            self.step,
            self.expected
        );
        if let Some(e) = &self.error {
            defmt::write!(f, ", got error {}", e);
        }
        if let Some(o) = &self.output {
            match core::str::from_utf8(o) {
                Ok(s) => defmt::write!(f, ", got output {=str:?}", s),
                Err(_) => defmt::write!(f, ", got output {=[u8]}", &o[..]),
            }
        }
    }
}

/// What a passing case measured.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Report {
    /// Calls made.
    pub steps: usize,
    /// Fuel used by all calls.
    pub fuel: u64,
    /// Highest linear-memory size of the instance, in bytes.
    pub memory_peak_bytes: u64,
    /// The core's estimate of the heap compiling the module needs (0 if not loaded).
    pub compile_estimate: u64,
}

/// Runs one case on `runtime` (which must be [`runtime`]'s) with `platform`.
/// `compile_budget` caps the heap compilation may use (a board passes its free arena);
/// a case's own budget, when smaller, wins.
// A failure ends the run of a case and is printed once: its size does not matter.
#[allow(clippy::result_large_err)]
pub fn run_case(
    case: &Case,
    runtime: &Runtime,
    platform: &Platform,
    modules: &dyn Modules,
    compile_budget: u64,
    probe: &mut dyn Probe,
) -> Result<Report, Failure> {
    let fail = |step: Option<usize>, expected, error, output| Failure {
        case: case.name,
        step,
        expected,
        error,
        output,
    };
    let missing = |name| fail(None, name, None, None);
    let (bytes, digest): (&[u8], Option<Digest>) = match case.source {
        Source::Module(name) => {
            let m = modules
                .module(name)
                .ok_or_else(|| missing("the host to supply this module"))?;
            (m.bytes, Some(m.digest))
        }
        Source::Truncated(name, len) => {
            let m = modules
                .module(name)
                .ok_or_else(|| missing("the host to supply this module"))?;
            (&m.bytes[..len.min(m.bytes.len())], None)
        }
        Source::Bytes(b) => (b, None),
    };
    let expected_digest = match (case.pin, digest) {
        (Pin::Expected, d) => d,
        (Pin::Wrong, Some(mut d)) => {
            d.0[0] ^= 1;
            Some(d)
        }
        (Pin::Wrong, None) => Some(Digest([0; 32])),
    };
    let mut limits = limits();
    limits.compile_memory_bytes = case
        .compile_budget
        .unwrap_or(compile_budget)
        .min(compile_budget);
    if let Some(fuel) = case.fuel {
        limits.fuel_per_call = fuel;
    }
    let grants = Grants::from_strs(case.grants.iter().copied())
        .map_err(|e| fail(None, "valid grants in the case table", Some(e), None))?;
    let config: BTreeMap<String, String> = case
        .config
        .iter()
        .map(|(k, v)| (String::from(*k), String::from(*v)))
        .collect();
    let keys = case
        .trusted_keys
        .iter()
        .map(|k| caplet_core::signature::PublicKey::from_hex(k))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(None, "valid keys in the case table", Some(e), None))?;
    let loaded = runtime.load(
        bytes,
        PluginConfig {
            trust: Trust::keys(keys),
            signature: case.signature.map(<[u8]>::to_vec),
            expected_digest,
            grants,
            limits,
            config,
            platform: platform.clone(),
            wasi: WasiConfig {
                args: case.wasi_args.iter().map(|a| String::from(*a)).collect(),
                preopens: Vec::new(),
            },
            ..Default::default()
        },
    );
    let plugin = match (loaded, case.load_error) {
        (Ok(p), None) => p,
        (Err(e), None) => return Err(fail(None, "the load to succeed", Some(e), None)),
        (Ok(_), Some(expect)) => return Err(fail(None, describe(&expect), None, None)),
        (Err(e), Some(Expect::Fails(check, what))) => {
            return if check(&e) {
                Ok(Report::default())
            } else {
                Err(fail(None, what, Some(e), None))
            }
        }
        (Err(e), Some(_)) => return Err(fail(None, "a load error in the table", Some(e), None)),
    };
    probe.loaded(&plugin);
    let mut report = Report {
        compile_estimate: plugin.info().compile_estimate(),
        ..Report::default()
    };
    let mut instance = plugin
        .instantiate()
        .map_err(|e| fail(None, "the instantiation to succeed", Some(e), None))?;
    for (i, step) in case.steps.iter().enumerate() {
        let step_fail = |expected, error, output| fail(Some(i), expected, error, output);
        let result = match step.call {
            Call::Entry(name, input) => instance.call(name, input).map(Outcome::Bytes),
            Call::Typed(name, args) => instance.call_typed(name, args).map(Outcome::Values),
        };
        let usage = instance.last_usage();
        report.steps += 1;
        report.fuel += usage.fuel_used;
        report.memory_peak_bytes = report.memory_peak_bytes.max(usage.memory_peak_bytes);
        match (result, step.expect) {
            (Ok(Outcome::Bytes(out)), Expect::Bytes(want)) if out == want => {}
            (Ok(Outcome::Bytes(out)), Expect::Check(check, _)) if check(&out) => {}
            (Ok(Outcome::Values(out)), Expect::Values(want)) if out == want => {}
            (Err(e), Expect::Fails(check, _)) if check(&e) => {}
            (Ok(Outcome::Bytes(out)), expect) => {
                return Err(step_fail(describe(&expect), None, Some(out)))
            }
            (Ok(Outcome::Values(_)), expect) => {
                return Err(step_fail(describe(&expect), None, None))
            }
            (Err(e), expect) => return Err(step_fail(describe(&expect), Some(e), None)),
        }
    }
    Ok(report)
}

enum Outcome {
    Bytes(Vec<u8>),
    Values(Vec<Value>),
}

fn describe(expect: &Expect) -> &'static str {
    match expect {
        Expect::Bytes(_) => "the output bytes in the table",
        Expect::Values(_) => "the typed results in the table",
        Expect::Check(_, what) | Expect::Fails(_, what) => what,
    }
}

/// Whether `e` is a guest error carrying `code`.
pub fn guest_code(e: &Error, code: Code) -> bool {
    matches!(e, Error::Guest { code: Some(c), .. } if *c == code)
}
