//! Runs a module on wasmi configured like Caplet's runtime (`host-core/src/runtime.rs`,
//! `Runtime::new` with the default `EngineLimits`): fuel metering on, eager
//! compilation, `EnforcedLimits::strict()`, a 512-frame recursion limit and a 256 KiB
//! value stack; store limits on memory and table growth.

use crate::transcript::{
    args, hash_bytes, hash_nulls, trap_category, Event, Outcome, Refusal, Snapshot, Transcript, Ty,
    Value, PATTERNS, STORE_MEMORY_BYTES, STORE_TABLE_ELEMENTS, WASMI_FUEL,
};
use wasmi::errors::ErrorKind;
use wasmi::{
    CompilationMode, Config, EnforcedLimits, Engine, Error, ExternType, Linker, Module, Nullable,
    Store, StoreLimits, StoreLimitsBuilder, Val, ValType, F32, F64,
};

/// Caplet's `EngineLimits::default()`.
const MAX_RECURSION_DEPTH: usize = 512;
const MAX_STACK_BYTES: usize = 256 * 1024;

/// An engine configured as `caplet_core::Runtime::new` configures its own.
pub fn engine() -> Engine {
    let mut config = Config::default();
    config
        .consume_fuel(true)
        .compilation_mode(CompilationMode::Eager)
        .set_max_recursion_depth(MAX_RECURSION_DEPTH)
        .set_max_stack_height(MAX_STACK_BYTES)
        .set_max_cached_stacks(2)
        .enforced_limits(EnforcedLimits::strict());
    Engine::new(&config)
}

fn ty(t: ValType) -> Ty {
    match t {
        ValType::I32 => Ty::I32,
        ValType::I64 => Ty::I64,
        ValType::F32 => Ty::F32,
        ValType::F64 => Ty::F64,
        ValType::FuncRef => Ty::FuncRef,
        ValType::ExternRef => Ty::ExternRef,
        _ => Ty::Other,
    }
}

fn to_val(v: Value) -> Val {
    match v {
        Value::I32(x) => Val::I32(x),
        Value::I64(x) => Val::I64(x),
        Value::F32(x) => Val::F32(F32::from_bits(x)),
        Value::F64(x) => Val::F64(F64::from_bits(x)),
        Value::Ref { .. } | Value::Other => Val::FuncRef(Nullable::Null),
    }
}

fn ref_val(t: Ty) -> Val {
    match t {
        Ty::ExternRef => Val::ExternRef(Nullable::Null),
        _ => Val::FuncRef(Nullable::Null),
    }
}

/// A value of type `t` (a result slot must have the result's type).
fn zero(t: Ty) -> Val {
    match t {
        Ty::I64 => Val::I64(0),
        Ty::F32 => Val::F32(F32::from_bits(0)),
        Ty::F64 => Val::F64(F64::from_bits(0)),
        Ty::FuncRef | Ty::ExternRef => ref_val(t),
        _ => Val::I32(0),
    }
}

fn from_val(v: &Val) -> Value {
    match v {
        Val::I32(x) => Value::I32(*x),
        Val::I64(x) => Value::I64(*x),
        Val::F32(x) => Value::F32(x.to_bits()),
        Val::F64(x) => Value::F64(x.to_bits()),
        Val::FuncRef(r) => Value::Ref {
            null: matches!(r, Nullable::Null),
        },
        Val::ExternRef(r) => Value::Ref {
            null: matches!(r, Nullable::Null),
        },
        _ => Value::Other,
    }
}

fn outcome_of(error: &Error) -> Outcome {
    match error.as_trap_code() {
        Some(code) => {
            let name = format!("{code:?}");
            match trap_category(&name) {
                Some(category) => Outcome::Trapped(category),
                None => Outcome::Inconclusive(name),
            }
        }
        None => Outcome::Failed(error.to_string()),
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

/// Compiles `wasm` (validation and translation, as Caplet's `Module::new`).
pub fn compile(engine: &Engine, wasm: &[u8]) -> Result<Module, Refusal> {
    Module::new(engine, wasm).map_err(|e| Refusal {
        message: e.to_string(),
        limits: matches!(e.kind(), ErrorKind::UserLimits(_)),
    })
}

/// Compiles and runs `wasm`: a fresh instance per argument pattern, every exported
/// function called in export order.
pub fn run(engine: &Engine, wasm: &[u8], seed: u64) -> Transcript {
    let module = match compile(engine, wasm) {
        Ok(m) => m,
        Err(refusal) => {
            return Transcript {
                compiled: Err(refusal),
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
    // Fails only with fuel metering off (the harness's `--default-config`).
    let _ = store.set_fuel(WASMI_FUEL);
    let linker = Linker::<StoreLimits>::new(engine);
    let instance = match linker.instantiate_and_start(&mut store, module) {
        Ok(instance) => instance,
        Err(e) => {
            events.push(Event::Instantiate(outcome_of(&e)));
            return events;
        }
    };
    events.push(Event::Instantiate(Outcome::Returned(Vec::new())));
    let funcs = func_exports(&module);
    for (call, (name, params, results)) in funcs.iter().enumerate() {
        let func = instance.get_func(&store, name).unwrap();
        let values = args(seed, pattern, call, params);
        let inputs: Vec<Val> = values
            .iter()
            .zip(params)
            .map(|(v, t)| match t {
                Ty::FuncRef | Ty::ExternRef => ref_val(*t),
                _ => to_val(*v),
            })
            .collect();
        let mut outputs: Vec<Val> = results.iter().map(|t| zero(*t)).collect();
        let _ = store.set_fuel(WASMI_FUEL);
        let outcome = match func.call(&mut store, &inputs, &mut outputs) {
            Ok(()) => Outcome::Returned(outputs.iter().map(from_val).collect()),
            Err(e) => outcome_of(&e),
        };
        let stop = outcome.is_inconclusive();
        let after = snapshot(&store, module, &instance);
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

fn snapshot(store: &Store<StoreLimits>, module: &Module, instance: &wasmi::Instance) -> Snapshot {
    let mut snap = Snapshot::default();
    for export in module.exports() {
        let name = export.name();
        match export.ty() {
            ExternType::Memory(_) => {
                let data = instance.get_memory(store, name).unwrap().data(store);
                snap.memories
                    .push((name.to_string(), data.len(), hash_bytes(data)));
            }
            ExternType::Global(_) => {
                let value = instance.get_global(store, name).unwrap().get(store);
                snap.globals.push((name.to_string(), from_val(&value)));
            }
            ExternType::Table(_) => {
                let table = instance.get_table(store, name).unwrap();
                let size = table.size(store);
                let nulls = (0..size).map(|i| match table.get(store, i) {
                    Some(wasmi::Ref::Func(r)) => r.is_null(),
                    Some(wasmi::Ref::Extern(r)) => r.is_null(),
                    None => true,
                });
                snap.tables
                    .push((name.to_string(), size, hash_nulls(nulls)));
            }
            ExternType::Func(_) => {}
        }
    }
    snap.sort();
    snap
}

/// The fuel of wasmi's calls, for the differential check's `--fuel-log`: the
/// module's exported functions called in export order (the first argument pattern)
/// on a fresh instance with the fuel of a call, then on a second fresh instance
/// each again with half the fuel it used, resumed when it runs out. One line per
/// call: the fuel it used and its outcome, then where the second run stopped
/// (`required_fuel` and the fuel left) and the fuel it used in all with its
/// outcome. A change to how much fuel a call is charged, or to where, in what
/// state and how it runs out of fuel and resumes, changes the lines; runs of two
/// wasmi builds over the same seeds must write the same log.
#[allow(dead_code)] // the debug-assertion harness shares this file without it
pub fn fuel_log(engine: &Engine, wasm: &[u8], seed: u64, log: &mut String) {
    use std::fmt::Write as _;
    let Ok(module) = compile(engine, wasm) else {
        return;
    };
    let instantiate = |store: &mut Store<StoreLimits>| {
        store.limiter(|l| l);
        let _ = store.set_fuel(WASMI_FUEL);
        Linker::<StoreLimits>::new(engine)
            .instantiate_and_start(&mut *store, &module)
            .ok()
    };
    let funcs = func_exports(&module);
    let inputs = |call: usize, params: &[Ty]| -> Vec<Val> {
        args(seed, 0, call, params)
            .iter()
            .zip(params)
            .map(|(v, t)| match t {
                Ty::FuncRef | Ty::ExternRef => ref_val(*t),
                _ => to_val(*v),
            })
            .collect()
    };
    let outcome = |result: Result<(), Error>, outputs: &[Val]| match result {
        Ok(()) => Outcome::Returned(outputs.iter().map(from_val).collect()),
        Err(e) => outcome_of(&e),
    };
    // The fuel each call uses with the fuel of a call.
    let mut store = Store::new(engine, limits());
    let Some(instance) = instantiate(&mut store) else {
        return;
    };
    let mut used = Vec::new();
    for (call, (name, params, results)) in funcs.iter().enumerate() {
        let func = instance.get_func(&store, name).unwrap();
        let mut outputs: Vec<Val> = results.iter().map(|t| zero(*t)).collect();
        let _ = store.set_fuel(WASMI_FUEL);
        let result = func.call(&mut store, &inputs(call, params), &mut outputs);
        let fuel = WASMI_FUEL - store.get_fuel().unwrap_or(0);
        let outcome = outcome(result, &outputs);
        let _ = writeln!(log, "{seed} {name}: used {fuel}, {outcome}");
        used.push(fuel);
        if outcome.is_inconclusive() {
            break;
        }
    }
    // The same calls with half that fuel each, resumed where they stop.
    let mut store = Store::new(engine, limits());
    let Some(instance) = instantiate(&mut store) else {
        return;
    };
    for (call, ((name, params, results), fuel)) in funcs.iter().zip(used).enumerate() {
        let func = instance.get_func(&store, name).unwrap();
        let mut outputs: Vec<Val> = results.iter().map(|t| zero(*t)).collect();
        let budget = fuel / 2;
        let mut given = budget;
        let _ = store.set_fuel(given);
        let mut spent = 0;
        let mut stops = String::new();
        let mut resumable = func.call_resumable(&mut store, &inputs(call, params), &mut outputs);
        let result = loop {
            match resumable {
                Ok(wasmi::ResumableCall::Finished) => break Ok(()),
                Ok(wasmi::ResumableCall::OutOfFuel(pending)) => {
                    let left = store.get_fuel().unwrap_or(0);
                    let _ = write!(stops, " stop {} {left};", pending.required_fuel());
                    spent += given - left;
                    given = WASMI_FUEL;
                    let _ = store.set_fuel(given);
                    resumable = pending.resume(&mut store, &mut outputs);
                }
                Ok(wasmi::ResumableCall::HostTrap(_)) => unreachable!("no imports"),
                Err(e) => break Err(e),
            }
        };
        spent += given - store.get_fuel().unwrap_or(0);
        let outcome = outcome(result, &outputs);
        let _ = writeln!(
            log,
            "{seed} {name}: half {budget};{stops} used {spent}, {outcome}"
        );
        if outcome.is_inconclusive() {
            break;
        }
    }
}

/// The module's exported functions with their parameter and result types, by
/// name (wasmi lists exports sorted, wasmtime in module order).
fn func_exports(module: &Module) -> Vec<(String, Vec<Ty>, Vec<Ty>)> {
    let mut funcs: Vec<(String, Vec<Ty>, Vec<Ty>)> = module
        .exports()
        .filter_map(|e| match e.ty() {
            ExternType::Func(f) => Some((
                e.name().to_string(),
                f.params().iter().copied().map(ty).collect(),
                f.results().iter().copied().map(ty).collect(),
            )),
            _ => None,
        })
        .collect();
    funcs.sort_by(|x, y| x.0.cmp(&y.0));
    funcs
}
