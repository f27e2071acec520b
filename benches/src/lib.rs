//! Baselines for Caplet's benchmarks: the same work done on raw wasmi, without the
//! Caplet layer (no fuel, no limiter, no capability checks), so each Caplet figure is
//! reported as a ratio against its floor measured in the same run.

use wasmi::{Engine, Linker, Memory, Module, Store, TypedFunc};

/// The echo entry of a module driven directly through wasmi: `caplet_alloc`, a copy
/// in, a typed call, a copy out — the same memory traffic as a Caplet call.
pub struct RawEcho {
    store: Store<()>,
    memory: Memory,
    alloc: TypedFunc<i32, i32>,
    entry: TypedFunc<(i32, i32), i64>,
}

impl RawEcho {
    /// Compiles and instantiates `wasm` (fuel metering off) and looks up `entry`.
    pub fn new(wasm: &[u8], entry: &str) -> Self {
        let engine = Engine::default();
        let module = Module::new(&engine, wasm).expect("module compiles");
        let mut store = Store::new(&engine, ());
        let mut linker = Linker::<()>::new(&engine);
        linker
            .func_wrap(
                "caplet",
                "set_error",
                |_: wasmi::Caller<'_, ()>, _: i32, _: i32| {},
            )
            .expect("define set_error");
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
        }
    }

    /// One call: returns the output bytes.
    pub fn call(&mut self, input: &[u8]) -> Vec<u8> {
        let len = input.len() as i32;
        let ptr = self.alloc.call(&mut self.store, len).expect("alloc");
        self.memory
            .write(&mut self.store, ptr as u32 as usize, input)
            .expect("write");
        let packed = self.entry.call(&mut self.store, (ptr, len)).expect("call");
        let (out_ptr, out_len) = ((packed as u64 >> 32) as usize, packed as u32 as usize);
        self.memory.data(&self.store)[out_ptr..out_ptr + out_len].to_vec()
    }
}
