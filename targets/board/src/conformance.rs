//! The conformance run on the device: every case of `caplet-conformance` against the
//! modules in flash, with the arena measured around each load and each run. Results
//! are decided here, on the device; the chip crate turns them into the exit code.

use alloc::vec::Vec;

use caplet_conformance::{run_case, Probe, CASES};
use caplet_core::{Error, Grants, Platform, Plugin, PluginConfig, Runtime};

use crate::arena::ARENA;
use crate::modules::{Flash, JSON_TRANSFORM};
use crate::stack::Stack;

/// What a run found.
#[derive(Debug, Clone, Copy, Default, defmt::Format)]
pub struct Summary {
    /// Cases (and device checks) that passed.
    pub passed: u32,
    /// Cases (and device checks) that failed.
    pub failed: u32,
    /// Highest arena use during the run, in bytes.
    pub arena_peak: usize,
    /// Deepest stack use of any case, in bytes.
    pub stack_peak: usize,
}

impl Summary {
    /// Whether everything passed.
    pub fn ok(&self) -> bool {
        self.failed == 0 && self.passed > 0
    }
}

/// Measures the arena when a case's module has been compiled.
struct ArenaProbe {
    base: usize,
    compile_peak: Option<usize>,
    overall: usize,
}

impl Probe for ArenaProbe {
    fn loaded(&mut self, _plugin: &Plugin) {
        self.overall = self.overall.max(ARENA.peak());
        self.compile_peak = Some(ARENA.peak().saturating_sub(self.base));
        ARENA.reset_peak();
    }
}

/// Runs every conformance case on `platform`, then the device-only checks, printing
/// one line per case with what it cost.
pub fn run(platform: &Platform, stack: &Stack) -> Summary {
    let mut summary = Summary::default();
    for case in CASES {
        // A fresh runtime per case: wasmi keeps compiled code until its engine is
        // dropped, so this is how a board that swaps plugins gets its arena back
        // (see `caplet_core::Runtime`). It also makes each case's figures its own.
        stack.paint();
        let runtime = caplet_conformance::runtime();
        let base = ARENA.used();
        defmt::debug!("arena in use before {=str}: {=usize} B", case.name, base);
        ARENA.reset_peak();
        let mut probe = ArenaProbe {
            base,
            compile_peak: None,
            overall: 0,
        };
        // The compile budget is what the arena has left: a module that cannot be
        // compiled in it is refused before compiling, never aborts the board.
        let budget = ARENA.free() as u64;
        let result = run_case(case, &runtime, platform, &Flash, budget, &mut probe);
        let run_peak = ARENA.peak().saturating_sub(base);
        let stack_peak = stack.peak();
        summary.stack_peak = summary.stack_peak.max(stack_peak);
        summary.arena_peak = summary.arena_peak.max(probe.overall).max(ARENA.peak());
        let case_peak = probe.overall.max(ARENA.peak()).saturating_sub(base);
        match result {
            Ok(_) if case.max_arena.is_some_and(|max| case_peak as u64 > max) => {
                summary.failed += 1;
                defmt::error!(
                    "FAIL {=str}: took {=usize} B of arena, more than its ceiling of {=u64} B",
                    case.name,
                    case_peak,
                    case.max_arena.unwrap_or(0)
                );
            }
            Ok(report) => match probe.compile_peak {
                Some(compile) if compile as u64 > report.compile_estimate => {
                    summary.failed += 1;
                    defmt::error!(
                        "FAIL {=str}: compiling took {=usize} B of arena, more than the core's estimate of {=u64} B",
                        case.name,
                        compile,
                        report.compile_estimate
                    );
                }
                Some(compile) => {
                    summary.passed += 1;
                    defmt::info!(
                        "ok   {=str}: {=usize} calls, fuel {=u64}; arena: case {=usize} B, compile {=usize} B (estimate {=u64} B), run {=usize} B, linear memory {=u64} B; stack {=usize} B",
                        case.name,
                        report.steps,
                        report.fuel,
                        case_peak,
                        compile,
                        report.compile_estimate,
                        run_peak,
                        report.memory_peak_bytes,
                        stack_peak
                    );
                }
                None => {
                    summary.passed += 1;
                    defmt::info!(
                        "ok   {=str}: refused at load as expected; arena peak {=usize} B; stack {=usize} B",
                        case.name,
                        run_peak,
                        stack_peak
                    );
                }
            },
            Err(failure) => {
                summary.failed += 1;
                defmt::error!("FAIL {}", failure);
            }
        }
    }
    stack.paint();
    let runtime = caplet_conformance::runtime();
    let checks = [
        ("arena_exhausted", arena_exhausted(platform, &runtime)),
        ("kv_budgets", kv_budgets()),
    ];
    summary.stack_peak = summary.stack_peak.max(stack.peak());
    for (name, ok) in checks {
        if ok {
            summary.passed += 1;
            defmt::info!("ok   {=str}", name);
        } else {
            summary.failed += 1;
            defmt::error!("FAIL {=str}", name);
        }
    }
    summary
}

/// With most of the arena taken, a module that would fit the limits but not the
/// arena left is refused with an error before compiling, and once the memory is
/// back the same module loads.
fn arena_exhausted(platform: &Platform, runtime: &Runtime) -> bool {
    let load = || {
        let mut limits = caplet_conformance::limits();
        limits.compile_memory_bytes = ARENA.free() as u64;
        runtime.load(
            JSON_TRANSFORM.bytes,
            PluginConfig {
                expected_digest: Some(caplet_core::Digest(JSON_TRANSFORM.digest)),
                grants: Grants::new(),
                limits,
                platform: platform.clone(),
                ..Default::default()
            },
        )
    };
    // Take the arena in blocks until 24 KiB are left: far less than compiling
    // json_transform needs (the blocks list itself is allocated first).
    const LEFT: usize = 24 * 1024;
    let mut hog: Vec<Vec<u8>> = Vec::new();
    if hog.try_reserve_exact(256).is_err() {
        defmt::error!("arena_exhausted: cannot allocate the block list");
        return false;
    }
    let mut block = 256 * 1024;
    while ARENA.free() > LEFT + 64 && block >= 64 && hog.len() < hog.capacity() {
        let mut b: Vec<u8> = Vec::new();
        let size = block.min(ARENA.free() - LEFT);
        if b.try_reserve_exact(size).is_ok() {
            hog.push(b);
        } else {
            block /= 2;
        }
    }
    let refused = load();
    let free_then = ARENA.free();
    drop(hog);
    match refused {
        Err(Error::ModuleTooLarge { reason }) => {
            defmt::info!(
                "arena_exhausted: refused with {=usize} B free: {=str}",
                free_then,
                reason.as_str()
            );
        }
        Err(e) => {
            defmt::error!("arena_exhausted: wrong error {}", e);
            return false;
        }
        Ok(_) => {
            defmt::error!("arena_exhausted: loaded with {=usize} B free", free_then);
            return false;
        }
    }
    match load().and_then(|p| p.instantiate()) {
        Ok(mut i) => match i.call("transform", br#"{"name":"Ada","values":[1]}"#) {
            Ok(out) => out == br#"{"greeting":"hello, Ada","sum":1,"count":1}"#,
            Err(e) => {
                defmt::error!("arena_exhausted: call after recovery failed: {}", e);
                false
            }
        },
        Err(e) => {
            defmt::error!("arena_exhausted: load after recovery failed: {}", e);
            false
        }
    }
}

/// The board's KV store keeps its byte, namespace and key budgets, answers `LIMIT`
/// past them (never an abort), and gives bytes back on replace and delete.
fn kv_budgets() -> bool {
    use caplet_core::platform::KvStore;
    use caplet_core::Code;

    use crate::platform::BoardKv;

    // One namespace, 200 bytes; each entry is charged key + value + 48.
    let kv = BoardKv::new(1, 200);
    let value = [7u8; 100];
    let steps = [
        kv.set("a", "k1", &value, 64) == Ok(()),
        kv.bytes() == 150,
        kv.set("a", "k2", &value, 64) == Err(Code::Limit),
        kv.set("b", "k", b"x", 64) == Err(Code::Limit),
        kv.set("a", "k1", &[1u8; 140], 64) == Ok(()),
        kv.bytes() == 190,
        kv.get("a", "k1").map(|v| v.map(|v| v.len())) == Ok(Some(140)),
        kv.delete("a", "k1") == Ok(()),
        kv.delete("a", "k1") == Err(Code::NotFound),
        kv.bytes() == 0,
        kv.set("a", "k2", &value, 1) == Ok(()),
        kv.set("a", "k3", b"", 1) == Err(Code::Limit),
    ];
    match steps.iter().position(|ok| !ok) {
        None => true,
        Some(i) => {
            defmt::error!("kv_budgets: step {=usize} failed", i);
            false
        }
    }
}
