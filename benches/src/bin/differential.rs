//! Differential check of Caplet's wasmi build against wasmtime 43.
//!
//! Generates modules with wasm-smith from seeds (`src/differential/smith.rs`), runs
//! each on wasmi configured like Caplet's runtime and on wasmtime with the same Wasm
//! features and store limits, and compares: whether each engine accepts the module,
//! then per argument pattern a fresh instance of each, its instantiation (start
//! function included), and every exported function called in export order with the
//! same arguments: results (NaN-canonical), trap or not and the trap's category, and
//! the exported memories, globals and tables after each call.
//!
//! An engine limit is inconclusive, not a mismatch: wasmi out of fuel, stack
//! exhaustion on either side (wasmi's 512-frame limit is far below wasmtime's), the
//! rest of that instance is not compared. A module wasmi refuses for
//! `EnforcedLimits::strict()` (Caplet's policy) while wasmtime accepts it is counted
//! apart.
//!
//!     differential [--start SEED] [--count N] [--out DIR]   # default 0, 1000, differential-out
//!     differential --seed SEED [--verbose]                  # one module, transcripts printed
//!     differential ... --fuel-log FILE                      # also wasmi's fuel per call and
//!                                                           # out-of-fuel stops, to FILE
//!     differential check FILE...                            # .wasm or .wat: Caplet's
//!                                                           # load, then both engines
//!
//! Mismatching modules are written to DIR as `<seed>.wasm`; the exit code is 1 when
//! there was a mismatch. With `--fuel-log`, each valid module's calls are run again on
//! wasmi alone to log their fuel and where they run out of it
//! (`on_wasmi::fuel_log`): two wasmi builds must write the same log. See
//! docs/wasmi-differential.md and scripts/differential.sh.

#[path = "../differential/on_wasmi.rs"]
mod on_wasmi;
// The invalid-body generator is the debug-assertion harness's.
#[allow(dead_code)]
#[path = "../differential/smith.rs"]
mod smith;
#[path = "../differential/transcript.rs"]
mod transcript;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use transcript::{
    args, hash_bytes, hash_nulls, trap_category, Event, Outcome, Refusal, Snapshot, Transcript, Ty,
    Value, PATTERNS, STORE_MEMORY_BYTES, STORE_TABLE_ELEMENTS,
};

/// wasmtime fuel per call: only a guard against a hang of the harness (the modules
/// bound themselves); running out is inconclusive.
const WASMTIME_FUEL: u64 = 10_000_000_000;

mod on_wasmtime {
    use super::*;
    use wasmtime::{
        Config, Engine, ExternType, HeapType, Linker, Module, Store, StoreLimits,
        StoreLimitsBuilder, Trap, Val, ValType,
    };

    /// The Wasm features of Caplet's wasmi build (wasmi 2.0's defaults without
    /// `simd` and `memory64`); everything else off.
    pub fn engine() -> Engine {
        let mut config = Config::new();
        config
            .consume_fuel(true)
            .parallel_compilation(false)
            .wasm_bulk_memory(true)
            .wasm_reference_types(true)
            .wasm_multi_value(true)
            .wasm_multi_memory(true)
            .wasm_tail_call(true)
            .wasm_extended_const(true)
            .wasm_simd(false)
            .wasm_relaxed_simd(false)
            .wasm_shared_everything_threads(false)
            .wasm_function_references(false)
            .wasm_gc(false)
            .wasm_memory64(false)
            .wasm_custom_page_sizes(false)
            .wasm_wide_arithmetic(false)
            .wasm_exceptions(false)
            .wasm_stack_switching(false)
            .wasm_component_model(false);
        Engine::new(&config).expect("wasmtime engine")
    }

    fn ty(t: &ValType) -> Ty {
        match t {
            ValType::I32 => Ty::I32,
            ValType::I64 => Ty::I64,
            ValType::F32 => Ty::F32,
            ValType::F64 => Ty::F64,
            ValType::Ref(r) => match r.heap_type() {
                HeapType::Func => Ty::FuncRef,
                HeapType::Extern => Ty::ExternRef,
                _ => Ty::Other,
            },
            _ => Ty::Other,
        }
    }

    fn to_val(v: Value, t: Ty) -> Val {
        match (v, t) {
            (Value::I32(x), _) => Val::I32(x),
            (Value::I64(x), _) => Val::I64(x),
            (Value::F32(x), _) => Val::F32(x),
            (Value::F64(x), _) => Val::F64(x),
            (_, Ty::ExternRef) => Val::ExternRef(None),
            _ => Val::FuncRef(None),
        }
    }

    fn zero(t: Ty) -> Val {
        match t {
            Ty::I64 => Val::I64(0),
            Ty::F32 => Val::F32(0),
            Ty::F64 => Val::F64(0),
            Ty::FuncRef => Val::FuncRef(None),
            Ty::ExternRef => Val::ExternRef(None),
            _ => Val::I32(0),
        }
    }

    fn from_val(v: &Val) -> Value {
        match v {
            Val::I32(x) => Value::I32(*x),
            Val::I64(x) => Value::I64(*x),
            Val::F32(x) => Value::F32(*x),
            Val::F64(x) => Value::F64(*x),
            Val::FuncRef(r) => Value::Ref { null: r.is_none() },
            Val::ExternRef(r) => Value::Ref { null: r.is_none() },
            _ => Value::Other,
        }
    }

    fn outcome_of(error: &wasmtime::Error) -> Outcome {
        match error.downcast_ref::<Trap>() {
            Some(trap) => {
                let name = format!("{trap:?}");
                match trap_category(&name) {
                    Some(category) => Outcome::Trapped(category),
                    None => Outcome::Inconclusive(name),
                }
            }
            None => Outcome::Failed(format!("{error:#}")),
        }
    }

    fn limits() -> StoreLimits {
        StoreLimitsBuilder::new()
            .memory_size(STORE_MEMORY_BYTES)
            .table_elements(STORE_TABLE_ELEMENTS)
            .instances(1)
            .memories(1)
            .tables(100)
            .trap_on_grow_failure(false)
            .build()
    }

    pub fn run(engine: &Engine, wasm: &[u8], seed: u64) -> Transcript {
        let module = match Module::new(engine, wasm) {
            Ok(m) => m,
            Err(e) => {
                return Transcript {
                    compiled: Err(Refusal {
                        message: format!("{e:#}"),
                        limits: false,
                    }),
                    instances: Vec::new(),
                }
            }
        };
        let instances = (0..PATTERNS)
            .map(|pattern| run_instance(engine, &module, seed, pattern))
            .collect();
        Transcript {
            compiled: Ok(()),
            instances,
        }
    }

    fn run_instance(engine: &Engine, module: &Module, seed: u64, pattern: usize) -> Vec<Event> {
        let mut events = Vec::new();
        let mut store = Store::new(engine, limits());
        store.limiter(|l| l);
        store.set_fuel(WASMTIME_FUEL).unwrap();
        let linker = Linker::<StoreLimits>::new(engine);
        let instance = match linker.instantiate(&mut store, module) {
            Ok(instance) => instance,
            Err(e) => {
                events.push(Event::Instantiate(outcome_of(&e)));
                return events;
            }
        };
        events.push(Event::Instantiate(Outcome::Returned(Vec::new())));
        let mut funcs: Vec<(String, Vec<Ty>, Vec<Ty>)> = module
            .exports()
            .filter_map(|e| match e.ty() {
                ExternType::Func(f) => Some((
                    e.name().to_string(),
                    f.params().map(|t| ty(&t)).collect(),
                    f.results().map(|t| ty(&t)).collect(),
                )),
                _ => None,
            })
            .collect();
        // Export order: by name (wasmi lists exports sorted, wasmtime in module order).
        funcs.sort_by(|x, y| x.0.cmp(&y.0));
        for (call, (name, params, results)) in funcs.iter().enumerate() {
            let func = instance.get_func(&mut store, name).unwrap();
            let values = args(seed, pattern, call, params);
            let inputs: Vec<Val> = values
                .iter()
                .zip(params)
                .map(|(v, t)| to_val(*v, *t))
                .collect();
            let mut outputs: Vec<Val> = results.iter().map(|t| zero(*t)).collect();
            store.set_fuel(WASMTIME_FUEL).unwrap();
            let outcome = match func.call(&mut store, &inputs, &mut outputs) {
                Ok(()) => Outcome::Returned(outputs.iter().map(from_val).collect()),
                Err(e) => outcome_of(&e),
            };
            let stop = outcome.is_inconclusive();
            let after = snapshot(&mut store, module, &instance);
            events.push(Event::Call {
                export: name.clone(),
                args: values,
                outcome,
                after,
            });
            if stop {
                break;
            }
        }
        events
    }

    fn snapshot(
        store: &mut Store<StoreLimits>,
        module: &Module,
        instance: &wasmtime::Instance,
    ) -> Snapshot {
        let mut snap = Snapshot::default();
        for export in module.exports() {
            let name = export.name();
            match export.ty() {
                ExternType::Memory(_) => {
                    let memory = instance.get_memory(&mut *store, name).unwrap();
                    let data = memory.data(&*store);
                    snap.memories
                        .push((name.to_string(), data.len(), hash_bytes(data)));
                }
                ExternType::Global(_) => {
                    let value = instance
                        .get_global(&mut *store, name)
                        .unwrap()
                        .get(&mut *store);
                    snap.globals.push((name.to_string(), from_val(&value)));
                }
                ExternType::Table(_) => {
                    let table = instance.get_table(&mut *store, name).unwrap();
                    let size = table.size(&*store);
                    let nulls: Vec<bool> = (0..size)
                        .map(|i| table.get(&mut *store, i).is_none_or(|r| r.is_null()))
                        .collect();
                    snap.tables
                        .push((name.to_string(), size, hash_nulls(nulls.into_iter())));
                }
                _ => {}
            }
        }
        snap.sort();
        snap
    }
}

/// The tallies of a run.
#[derive(Default)]
struct Tally {
    generated: u64,
    /// wasm-smith could not build a module from the seed's bytes.
    not_generated: u64,
    /// Accepted by both engines.
    valid: u64,
    /// Refused by wasmi's `EnforcedLimits::strict()` (Caplet's policy), accepted by wasmtime.
    refused_by_limits: u64,
    /// Refused by both.
    refused_by_both: u64,
    instances: u64,
    calls_compared: u64,
    calls_inconclusive: u64,
    instantiations_inconclusive: u64,
    mismatches: Vec<(u64, String)>,
    /// Mismatching modules with the select pattern wasmi 2.0.0 miscompiles.
    eqz_select: u64,
}

/// Compares the two transcripts; returns the first mismatch, if any.
fn compare(tally: &mut Tally, wasmi: &Transcript, wasmtime: &Transcript) -> Option<String> {
    match (&wasmi.compiled, &wasmtime.compiled) {
        (Ok(()), Ok(())) => tally.valid += 1,
        (Err(r), Ok(())) if r.limits => {
            tally.refused_by_limits += 1;
            return None;
        }
        (Err(_), Err(_)) => {
            tally.refused_by_both += 1;
            return None;
        }
        (Err(r), Ok(())) => {
            return Some(format!("wasmi refused, wasmtime accepted: {}", r.message))
        }
        (Ok(()), Err(r)) => {
            return Some(format!("wasmi accepted, wasmtime refused: {}", r.message))
        }
    }
    for (pattern, (a, b)) in wasmi.instances.iter().zip(&wasmtime.instances).enumerate() {
        tally.instances += 1;
        for (a, b) in a.iter().zip(b) {
            match (a, b) {
                (Event::Instantiate(x), Event::Instantiate(y)) => {
                    if x.is_inconclusive() || y.is_inconclusive() {
                        tally.instantiations_inconclusive += 1;
                        break;
                    }
                    if !x.same(y) {
                        return Some(format!(
                            "pattern {pattern}: instantiation: wasmi {x}, wasmtime {y}"
                        ));
                    }
                }
                (
                    Event::Call {
                        export: ea,
                        args,
                        outcome: x,
                        after: sa,
                    },
                    Event::Call {
                        export: eb,
                        outcome: y,
                        after: sb,
                        ..
                    },
                ) => {
                    if ea != eb {
                        return Some(format!("pattern {pattern}: export order {ea:?} vs {eb:?}"));
                    }
                    if x.is_inconclusive() || y.is_inconclusive() {
                        tally.calls_inconclusive += 1;
                        break;
                    }
                    tally.calls_compared += 1;
                    let shown: Vec<String> = args.iter().map(Value::to_string).collect();
                    if !x.same(y) {
                        return Some(format!(
                            "pattern {pattern}: call {ea:?}({}): wasmi {x}, wasmtime {y}",
                            shown.join(", ")
                        ));
                    }
                    if let Some(diff) = sa.diff(sb) {
                        return Some(format!(
                            "pattern {pattern}: after call {ea:?}({}): {diff}",
                            shown.join(", ")
                        ));
                    }
                }
                _ => return Some(format!("pattern {pattern}: event kinds differ")),
            }
        }
    }
    None
}

/// Whether a function body has the pattern wasmi 2.0.0 miscompiles (see
/// docs/wasmi-differential.md): a `select` (or typed `select`) whose condition is
/// computed by the operator just before it, `i32.eqz`, or `i32.eq`/`i32.ne` with a
/// constant 0. Used to sort the mismatches of a run.
fn has_eqz_select(wasm: &[u8]) -> bool {
    use wasmparser::{Operator, Parser, Payload};
    for payload in Parser::new(0).parse_all(wasm) {
        let Ok(Payload::CodeSectionEntry(body)) = payload else {
            continue;
        };
        let Ok(reader) = body.get_operators_reader() else {
            continue;
        };
        let (mut prev, mut prev2) = (None, None);
        for op in reader.into_iter().flatten() {
            if matches!(op, Operator::Select | Operator::TypedSelect { .. }) {
                let zero = matches!(prev2, Some(Operator::I32Const { value: 0 }));
                match prev {
                    Some(Operator::I32Eqz) => return true,
                    Some(Operator::I32Eq | Operator::I32Ne) if zero => return true,
                    _ => {}
                }
            }
            prev2 = prev.take();
            prev = Some(op);
        }
    }
    false
}

fn print_transcript(engine: &str, t: &Transcript) {
    match &t.compiled {
        Ok(()) => println!("{engine}: compiled"),
        Err(r) => println!(
            "{engine}: refused ({}): {}",
            if r.limits { "limits" } else { "invalid" },
            r.message
        ),
    }
    for (pattern, events) in t.instances.iter().enumerate() {
        for event in events {
            match event {
                Event::Instantiate(o) => println!("  [{pattern}] instantiate: {o}"),
                Event::Call {
                    export,
                    args,
                    outcome,
                    ..
                } => {
                    let shown: Vec<String> = args.iter().map(Value::to_string).collect();
                    println!("  [{pattern}] {export:?}({}): {outcome}", shown.join(", "));
                }
            }
        }
    }
}

fn read(path: &str) -> Vec<u8> {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{path}: {e}"));
    if bytes.starts_with(b"\0asm") {
        bytes
    } else {
        wat::parse_bytes(&bytes)
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .into_owned()
    }
}

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().skip(1).collect();
    let wasmi_engine = on_wasmi::engine();
    let wasmtime_engine = on_wasmtime::engine();

    if argv.first().map(String::as_str) == Some("check") {
        let mut failed = false;
        for file in &argv[1..] {
            let wasm = read(file);
            println!("== {file} ({} bytes)", wasm.len());
            // What Caplet itself does with the module (default limits, no grants).
            // A panic in wasmi's translator aborts here (release profile: panic = abort).
            print!("caplet-core Runtime::load: ");
            std::io::Write::flush(&mut std::io::stdout()).unwrap();
            match caplet_core::Runtime::default().load(&wasm, Default::default()) {
                Ok(_) => println!("loaded"),
                Err(e) => println!("refused: {e}"),
            }
            let a = on_wasmi::run(&wasmi_engine, &wasm, 0);
            let b = on_wasmtime::run(&wasmtime_engine, &wasm, 0);
            print_transcript("wasmi", &a);
            print_transcript("wasmtime", &b);
            let mut tally = Tally::default();
            match compare(&mut tally, &a, &b) {
                Some(m) => {
                    failed = true;
                    let tag = if has_eqz_select(&wasm) {
                        "[eqz-select] "
                    } else {
                        ""
                    };
                    println!("MISMATCH: {tag}{m}");
                }
                None => println!(
                    "same: {} calls compared, {} inconclusive",
                    tally.calls_compared, tally.calls_inconclusive
                ),
            }
        }
        return if failed {
            ExitCode::FAILURE
        } else {
            ExitCode::SUCCESS
        };
    }

    let mut start = 0u64;
    let mut count = 1000u64;
    let mut out = PathBuf::from("differential-out");
    let mut verbose = false;
    let mut fuel_log: Option<(PathBuf, String)> = None;
    let mut it = argv.iter();
    while let Some(arg) = it.next() {
        let mut num = || -> u64 {
            it.next()
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| panic!("{arg} needs a number"))
        };
        match arg.as_str() {
            "--start" => start = num(),
            "--count" => count = num(),
            "--seed" => {
                start = num();
                count = 1;
            }
            "--out" => out = it.next().map(PathBuf::from).expect("--out DIR"),
            "--verbose" => verbose = true,
            "--fuel-log" => {
                let path = it.next().map(PathBuf::from).expect("--fuel-log FILE");
                fuel_log = Some((path, String::new()));
            }
            other => {
                eprintln!("unknown argument {other}; see the header of src/bin/differential.rs");
                return ExitCode::from(2);
            }
        }
    }

    let began = Instant::now();
    let mut tally = Tally::default();
    for seed in start..start + count {
        let Some(wasm) = smith::module(seed) else {
            tally.not_generated += 1;
            continue;
        };
        tally.generated += 1;
        let a = on_wasmi::run(&wasmi_engine, &wasm, seed);
        let b = on_wasmtime::run(&wasmtime_engine, &wasm, seed);
        if let Some((_, log)) = &mut fuel_log {
            on_wasmi::fuel_log(&wasmi_engine, &wasm, seed, log);
        }
        if verbose {
            print_transcript("wasmi", &a);
            print_transcript("wasmtime", &b);
        }
        if let Some(mut mismatch) = compare(&mut tally, &a, &b) {
            if has_eqz_select(&wasm) {
                mismatch.insert_str(0, "[eqz-select] ");
                tally.eqz_select += 1;
            }
            eprintln!("MISMATCH seed {seed}: {mismatch}");
            std::fs::create_dir_all(&out).unwrap();
            std::fs::write(out.join(format!("{seed}.wasm")), &wasm).unwrap();
            tally.mismatches.push((seed, mismatch));
        }
        let done = seed - start + 1;
        if done.is_multiple_of(1000) {
            eprintln!(
                "  {done}/{count} seeds, {} calls compared, {} mismatches, {:.0} s",
                tally.calls_compared,
                tally.mismatches.len(),
                began.elapsed().as_secs_f64()
            );
        }
    }
    let t = &tally;
    println!(
        "differential (wasmi 2.0 as Caplet configures it vs wasmtime 43), seeds {start}..{}:",
        start + count
    );
    println!(
        "  modules: {} generated ({} seeds gave none), {} valid on both, {} refused by wasmi's strict limits only, {} refused by both",
        t.generated, t.not_generated, t.valid, t.refused_by_limits, t.refused_by_both
    );
    println!(
        "  instances: {}; calls compared: {}; inconclusive: {} calls, {} instantiations",
        t.instances, t.calls_compared, t.calls_inconclusive, t.instantiations_inconclusive
    );
    println!(
        "  mismatches: {} ({} in modules with `i32.eqz` or `i32.eq/ne 0` just before `select`, marked [eqz-select]){}",
        t.mismatches.len(),
        t.eqz_select,
        if t.mismatches.is_empty() {
            String::new()
        } else {
            format!(" (modules written to {})", out.display())
        }
    );
    for (seed, m) in &t.mismatches {
        println!("    seed {seed}: {m}");
    }
    if let Some((path, log)) = &fuel_log {
        std::fs::write(path, log).unwrap();
        println!("  fuel log written to {}", path.display());
    }
    println!("  time: {:.1} s", began.elapsed().as_secs_f64());
    if t.mismatches.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
