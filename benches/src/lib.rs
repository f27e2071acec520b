//! Baselines and helpers of Caplet's benchmarks.
//!
//! Every Caplet figure is reported as a ratio against a baseline measured in the same
//! run: the same module driven directly on wasmi without the Caplet layer (no fuel, no
//! limiter, no capability checks), the same Rust function compiled natively, or the
//! same plugin written for Extism (the `extism` crate, on wasmtime).
//!
//! The dispatcher is the one the `caplet` binary ships on this machine: caplet-core's
//! default `auto-dispatch` (the tail-call dispatcher in an optimised x86_64/aarch64
//! build). Cargo unifies features, so the raw-wasmi baselines in this crate run with
//! the same dispatcher as Caplet; the report states which (`caplet_core::DISPATCH`).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use caplet_core::platform::{MemoryKv, Platform};
use caplet_core::{Compiled, Digest, Error, Grants, Limits, ModuleCache, PluginConfig, Runtime};
use wasmi::{Caller, Config, Engine, Linker, Memory, Module, Store, TypedFunc};

/// The floor echo plugin, in the WebAssembly text format: a bump `caplet_alloc`
/// reset by each call and an `echo` entry that returns its input buffer, about 26
/// fuel per call. With almost no guest work, Caplet's own per-call cost against raw
/// wasmi on the same module shows (`echo/caplet_floor/64` vs
/// `echo/raw_wasmi_floor/64`).
pub const FLOOR_ECHO_WAT: &str = r#"(module
  (memory (export "memory") 2)
  (global $next (mut i32) (i32.const 1024))
  (func (export "caplet_alloc") (param $len i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $next))
    (global.set $next (i32.add (local.get $p) (local.get $len)))
    (local.get $p))
  (func (export "echo") (param $ptr i32) (param $len i32) (result i64)
    (global.set $next (i32.const 1024))
    (i64.or
      (i64.shl (i64.extend_i32_u (local.get $ptr)) (i64.const 32))
      (i64.extend_i32_u (local.get $len)))))"#;

pub mod native;
pub mod rss;

/// Directory holding the bench-only plugins (`kv_loop`, `extism_echo`,
/// `extism_compute`), built by this crate's build script.
pub fn bench_plugin_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CAPLET_BENCH_PLUGIN_DIR")).join(format!("{name}.wasm"))
}

/// Bytes of bench-only plugin `name`.
pub fn bench_plugin(name: &str) -> Vec<u8> {
    let p = bench_plugin_path(name);
    std::fs::read(&p).unwrap_or_else(|e| panic!("bench plugin {}: {e}", p.display()))
}

/// A raw wasmi engine: fuel metering as asked, eager compilation like Caplet's.
fn raw_engine(fuel: bool) -> Engine {
    let mut config = Config::default();
    config
        .consume_fuel(fuel)
        .compilation_mode(wasmi::CompilationMode::Eager);
    Engine::new(&config)
}

/// The echo entry of a module driven directly through wasmi: `caplet_alloc`, a copy
/// in, a typed call, a copy out — the same memory traffic as a Caplet call.
pub struct RawEcho {
    store: Store<()>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    entry: TypedFunc<(i32, i32), i64>,
    fuel: bool,
}

/// Fuel given to a raw-wasmi store before each call when metering is on: more than
/// any call of the benches uses.
const RAW_FUEL: u64 = u64::MAX / 2;

impl RawEcho {
    /// Compiles and instantiates `wasm` (fuel metering off) and looks up `entry`.
    pub fn new(wasm: &[u8], entry: &str) -> Self {
        Self::with_fuel(wasm, entry, false)
    }

    /// Like [`RawEcho::new`]; `fuel` turns wasmi's fuel metering on (a plain
    /// `set_fuel` before each call, no slices): separates the cost of metering the
    /// guest's code from the rest of Caplet's call path.
    pub fn with_fuel(wasm: &[u8], entry: &str, fuel: bool) -> Self {
        let engine = raw_engine(fuel);
        let module = Module::new(&engine, wasm).expect("module compiles");
        let mut store = Store::new(&engine, ());
        if fuel {
            store.set_fuel(RAW_FUEL).expect("fuel is on");
        }
        let linker = raw_linker(&engine);
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .expect("instantiates");
        let memory = instance.get_memory(&store, "memory").expect("memory");
        let alloc = instance
            .get_typed_func(&store, "caplet_alloc")
            .expect("caplet_alloc");
        let entry = instance.get_typed_func(&store, entry).expect("entry");
        RawEcho {
            store,
            memory,
            alloc,
            entry,
            fuel,
        }
    }

    /// One call: returns the output bytes.
    pub fn call(&mut self, input: &[u8]) -> Vec<u8> {
        if self.fuel {
            self.store.set_fuel(RAW_FUEL).expect("fuel is on");
        }
        let packed = entry_call(&mut self.store, self.memory, self.alloc, self.entry, input);
        output(&self.store, self.memory, packed)
    }

    /// One call writing the output into `out` (its contents replaced), as
    /// Caplet's `Instance::call_entry_into` does: no allocation per call once
    /// `out` is large enough.
    pub fn call_into(&mut self, input: &[u8], out: &mut Vec<u8>) {
        if self.fuel {
            self.store.set_fuel(RAW_FUEL).expect("fuel is on");
        }
        let packed = entry_call(&mut self.store, self.memory, self.alloc, self.entry, input);
        let (ptr, len) = ((packed as u64 >> 32) as usize, packed as u32 as usize);
        out.clear();
        out.extend_from_slice(&self.memory.data(&self.store)[ptr..ptr + len]);
    }
}

/// The contract's call sequence on raw wasmi, the same memory traffic as a Caplet
/// call: `caplet_alloc`, copy the input in, call the entry. Returns the packed result.
fn entry_call<T>(
    store: &mut Store<T>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    entry: TypedFunc<(i32, i32), i64>,
    input: &[u8],
) -> i64 {
    let len = input.len() as i32;
    let ptr = alloc.call(&mut *store, len).expect("alloc");
    memory
        .write(&mut *store, ptr as u32 as usize, input)
        .expect("write");
    entry.call(&mut *store, (ptr, len)).expect("call")
}

/// Copies out the output a packed `(ptr, len)` names.
fn output<T>(store: &Store<T>, memory: Memory, packed: i64) -> Vec<u8> {
    let (ptr, len) = ((packed as u64 >> 32) as usize, packed as u32 as usize);
    memory.data(store)[ptr..ptr + len].to_vec()
}

/// A linker defining the one import the echo and compute fixtures have
/// (`caplet.set_error`, a no-op here: the benches never fail).
fn raw_linker<T: 'static>(engine: &Engine) -> Linker<T> {
    let mut linker = Linker::<T>::new(engine);
    linker
        .func_wrap("caplet", "set_error", |_: Caller<'_, T>, _: i32, _: i32| {})
        .expect("define set_error");
    linker
}

/// Compiles `wasm` on a raw wasmi engine and instantiates it with the `set_error`
/// stub: the floor of [`caplet_core::Plugin::instantiate`] (which also runs
/// `_initialize`, absent from the Rust fixtures).
pub struct RawModule {
    engine: Engine,
    module: Module,
    linker: Linker<()>,
}

impl RawModule {
    /// Compiles `wasm` (fuel metering off).
    pub fn new(wasm: &[u8]) -> Self {
        let engine = raw_engine(false);
        let module = Module::new(&engine, wasm).expect("module compiles");
        let linker = raw_linker(&engine);
        RawModule {
            engine,
            module,
            linker,
        }
    }

    /// A new store holding a new instance of the module.
    pub fn instantiate(&self) -> (Store<()>, wasmi::Instance) {
        let mut store = Store::new(&self.engine, ());
        let instance = self
            .linker
            .instantiate_and_start(&mut store, &self.module)
            .expect("instantiates");
        (store, instance)
    }
}

/// The typed `count_primes(n: i32) -> i32` export of the `compute` fixture on raw
/// wasmi, with or without fuel metering.
pub struct RawPrimes {
    store: Store<()>,
    func: TypedFunc<i32, i32>,
    fuel: bool,
}

impl RawPrimes {
    /// Compiles and instantiates `wasm`; `fuel` turns wasmi's fuel metering on (the
    /// store then gets enough fuel for any call of the benches before each call).
    pub fn new(wasm: &[u8], fuel: bool) -> Self {
        let engine = raw_engine(fuel);
        let module = Module::new(&engine, wasm).expect("module compiles");
        let mut store = Store::new(&engine, ());
        if fuel {
            store.set_fuel(RAW_FUEL).expect("fuel is on");
        }
        let instance = raw_linker(&engine)
            .instantiate_and_start(&mut store, &module)
            .expect("instantiates");
        let func = instance
            .get_typed_func(&store, "count_primes")
            .expect("count_primes");
        RawPrimes { store, func, fuel }
    }

    /// `count_primes(n)`.
    pub fn call(&mut self, n: i32) -> i32 {
        if self.fuel {
            self.store.set_fuel(RAW_FUEL).expect("fuel is on");
        }
        self.func
            .call(&mut self.store, n)
            .expect("count_primes runs")
    }
}

/// State of [`RawKv`]'s store: a map and what the host function needs to hand a
/// value back through the guest's allocator.
struct KvState {
    map: HashMap<String, Vec<u8>>,
    memory: Option<Memory>,
    alloc: Option<TypedFunc<i32, i32>>,
}

/// The `kv_loop` plugin on raw wasmi with a trivial `caplet.kv_get`: read the key
/// from guest memory, look it up in a `HashMap`, hand the value back through
/// `caplet_alloc` — what Caplet's `kv_get` does, without counting, capability and
/// size checks, fuel bookkeeping around the nested `caplet_alloc`, the platform's
/// namespace and lock, or the copy out of the store. The floor of a host call.
pub struct RawKv {
    store: Store<KvState>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    entry: TypedFunc<(i32, i32), i64>,
}

impl RawKv {
    /// Compiles and instantiates `wasm` (fuel off) with `key` set to `value`.
    pub fn new(wasm: &[u8], key: &str, value: &[u8]) -> Self {
        let engine = raw_engine(false);
        let module = Module::new(&engine, wasm).expect("module compiles");
        let mut map = HashMap::new();
        map.insert(key.to_string(), value.to_vec());
        let mut store = Store::new(
            &engine,
            KvState {
                map,
                memory: None,
                alloc: None,
            },
        );
        let mut linker = raw_linker::<KvState>(&engine);
        linker
            .func_wrap(
                "caplet",
                "kv_get",
                |mut c: Caller<'_, KvState>, ptr: i32, len: i32| -> Result<i64, wasmi::Error> {
                    let memory = c.data().memory.expect("memory is set");
                    let alloc = c.data().alloc.expect("caplet_alloc is set");
                    let (mem, state) = memory.data_and_store_mut(&mut c);
                    let key = std::str::from_utf8(&mem[ptr as usize..(ptr + len) as usize])
                        .expect("utf-8 key");
                    let Some(value) = state.map.get(key) else {
                        return Ok(-1);
                    };
                    // Cloned so the nested call into the guest can borrow the store.
                    let value = value.clone();
                    let out = alloc.call(&mut c, value.len() as i32)?;
                    memory.write(&mut c, out as u32 as usize, &value)?;
                    Ok(((out as u32 as i64) << 32) | value.len() as i64)
                },
            )
            .expect("define kv_get");
        let instance = linker
            .instantiate_and_start(&mut store, &module)
            .expect("instantiates");
        let memory = instance.get_memory(&store, "memory").expect("memory");
        let alloc: TypedFunc<i32, i32> = instance
            .get_typed_func(&store, "caplet_alloc")
            .expect("caplet_alloc");
        let entry = instance
            .get_typed_func(&store, "get_many")
            .expect("get_many");
        store.data_mut().memory = Some(memory);
        store.data_mut().alloc = Some(alloc);
        RawKv {
            store,
            memory,
            alloc,
            entry,
        }
    }

    /// One `get_many` call with `input` (`KEY:N`); returns the output bytes.
    pub fn call(&mut self, input: &[u8]) -> Vec<u8> {
        let packed = entry_call(&mut self.store, self.memory, self.alloc, self.entry, input);
        assert!(packed >= 0, "get_many failed with code {}", -packed);
        output(&self.store, self.memory, packed)
    }
}

/// A minimal [`ModuleCache`]: compiled modules in a map by digest. The hit path of
/// the std adapter's `CompileCache` is the same lookup plus an LRU tick; this one
/// keeps the bench crate free of the std adapter's dependencies (SQLite, TLS).
#[derive(Default)]
pub struct MapCache {
    slots: Mutex<HashMap<Digest, Compiled>>,
}

impl ModuleCache for MapCache {
    fn get_or_compile(
        &self,
        digest: &Digest,
        compile: &mut dyn FnMut() -> Result<Compiled, Error>,
    ) -> Result<Compiled, Error> {
        let mut slots = self.slots.lock().expect("cache lock");
        if let Some(hit) = slots.get(digest) {
            return Ok(hit.clone());
        }
        let compiled = compile()?;
        slots.insert(*digest, compiled.clone());
        Ok(compiled)
    }
}

/// A plugin configuration with the given grants, limits, platform and cache.
pub fn config(
    caps: &[&str],
    limits: Limits,
    platform: Platform,
    cache: Option<Arc<dyn ModuleCache>>,
) -> PluginConfig {
    PluginConfig {
        grants: Grants::from_strs(caps.iter().copied()).expect("valid grants"),
        limits,
        platform,
        cache,
        ..Default::default()
    }
}

/// A platform with only an in-memory KV store holding `key = value` in the namespace
/// of plugin `plugin`.
pub fn kv_platform(plugin: &str, key: &str, value: &[u8]) -> Platform {
    use caplet_core::platform::KvStore;
    let kv = Arc::new(MemoryKv::default());
    kv.set(plugin, key, value, 16).expect("kv set");
    let mut platform = caplet_core::platform::testing::full();
    platform.kv = Some(kv);
    platform
}

/// Loads `wasm` on a fresh runtime.
pub fn load(wasm: &[u8], cfg: PluginConfig) -> caplet_core::Plugin {
    Runtime::default().load(wasm, cfg).expect("plugin loads")
}

/// Extism plugins of the comparisons: no WASI, no host functions.
pub mod extism_host {
    use extism::{CompiledPlugin, Plugin, PluginBuilder};

    /// Compiles `wasm` with wasmtime's on-disk compilation cache off, so each
    /// compilation is a real one.
    pub fn compile(wasm: &[u8]) -> CompiledPlugin {
        PluginBuilder::new(wasm)
            .with_wasi(false)
            .with_cache_disabled()
            .compile()
            .expect("extism compiles")
    }

    /// Compiles and instantiates `wasm` (compilation cache off).
    pub fn plugin(wasm: &[u8]) -> Plugin {
        Plugin::new_from_compiled(&compile(wasm)).expect("extism instantiates")
    }
}

/// A module for the `app_calls` group: each export runs `n` host calls of one
/// kind in a loop, with a bump `caplet_alloc` reset per call, so the loop's own
/// guest work is a few instructions per host call:
///
/// * `bytes_builtin(n)` — `caplet.config_get("temp")` (a 4-byte key in, a 4-byte
///   value out through `caplet_alloc`);
/// * `bytes_app(n)` — `bench.read("temp")`, an application bytes function of the
///   same shape;
/// * `numbers_builtin(n)` — `caplet.clock_now(1)`;
/// * `numbers_app(n)` — `bench.counter() -> i64`, an application numbers function.
///
/// Each returns the sum of the low 32 bits of its results (lengths, or values), so
/// the bench checks every call returned what it should.
pub const APP_CALLS_WAT: &str = r#"(module
  (import "caplet" "config_get" (func $config_get (param i32 i32) (result i64)))
  (import "caplet" "clock_now" (func $clock_now (param i32) (result i64)))
  (import "bench" "read" (func $read (param i32 i32) (result i64)))
  (import "bench" "counter" (func $counter (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 16) "temp")
  (global $bump (mut i32) (i32.const 1024))
  (func (export "caplet_alloc") (param i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get 0)))
    (local.get $p))
  (func (export "bytes_builtin") (param $n i32) (result i64)
    (local $sum i64)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (global.set $bump (i32.const 1024))
      (local.set $sum (i64.add (local.get $sum)
        (i64.and (call $config_get (i32.const 16) (i32.const 4)) (i64.const 0xffffffff))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $sum))
  (func (export "bytes_app") (param $n i32) (result i64)
    (local $sum i64)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (global.set $bump (i32.const 1024))
      (local.set $sum (i64.add (local.get $sum)
        (i64.and (call $read (i32.const 16) (i32.const 4)) (i64.const 0xffffffff))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $sum))
  (func (export "numbers_builtin") (param $n i32) (result i64)
    (local $sum i64)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $sum (i64.add (local.get $sum)
        (i64.extend_i32_u (i64.ge_s (call $clock_now (i32.const 1)) (i64.const 0)))))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $sum))
  (func (export "numbers_app") (param $n i32) (result i64)
    (local $sum i64)
    (block $done (loop $next
      (br_if $done (i32.eqz (local.get $n)))
      (local.set $sum (i64.add (local.get $sum) (call $counter)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $next)))
    (local.get $sum)))"#;

/// The application functions of [`APP_CALLS_WAT`]: `bench.read` answers `21.5`
/// for `temp`; `bench.counter` returns 1.
pub fn bench_app_functions() -> caplet_core::AppFunctions {
    use caplet_core::{AppFunctions, Code, ValType, Value};
    AppFunctions::new("bench")
        .and_then(|a| {
            a.bytes("read", "app:bench.read", |_, name| match name {
                b"temp" => Ok(b"21.5".to_vec()),
                _ => Err(Code::NotFound),
            })
        })
        .and_then(|a| {
            a.numbers(
                "counter",
                "app:bench.counter",
                &[],
                &[ValType::I64],
                |_, _, r| {
                    r[0] = Value::I64(1);
                    Ok(())
                },
            )
        })
        .expect("valid application functions")
}

/// A module for `exec/caplet`: `run()` calls `caplet.exec` with
/// `{"argv":["/bin/true"]}` and returns the packed result.
pub const EXEC_TRUE_WAT: &str = r#"(module
  (import "caplet" "exec" (func $exec (param i32 i32) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 16) "{\"argv\":[\"/bin/true\"]}")
  (global $bump (mut i32) (i32.const 1024))
  (func (export "caplet_alloc") (param i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $bump))
    (global.set $bump (i32.add (global.get $bump) (local.get 0)))
    (local.get $p))
  (func (export "run") (result i64)
    (global.set $bump (i32.const 1024))
    (call $exec (i32.const 16) (i32.const 22))))"#;
