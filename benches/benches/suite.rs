//! Caplet's benchmark suite: every group holds Caplet and its baselines, so each ratio
//! compares figures of the same run on the same machine.
//!
//! Groups (criterion ids `group/function[/parameter]`):
//! * `echo/{caplet,raw_wasmi,extism}/{64,4096,65536}` — one call of an echo entry with
//!   an input of that many bytes, output copied out to a `Vec<u8>`;
//!   `echo/{caplet_floor,caplet_floor_entry,raw_wasmi_floor}/64` — the same on the
//!   floor plugin (`FLOOR_ECHO_WAT`, almost no guest work), Caplet by name and through
//!   an `Entry` looked up once; `echo/{caplet_floor_into,raw_wasmi_floor_into}/64` —
//!   the floor with the output written into a buffer kept across calls;
//! * `cold_start/*` — read the module file, SHA-256 it, compile, instantiate, first
//!   call, for the ~40 KB `compute` plugin and its Extism twin;
//! * `instantiate/*` — a new instance from an already compiled module;
//! * `compute/*` — counting primes below 20,000 in the guest, Caplet with fuel on vs
//!   raw wasmi with fuel off (and on) vs the same Rust function compiled natively;
//! * `host_calls/*` — one call making 10,000 `kv_get` host calls;
//! * `app_calls/{bytes_builtin,bytes_app,numbers_builtin,numbers_app}` — one call
//!   making 10,000 host calls: `config_get` vs an application bytes function of the
//!   same shape, `clock_now` vs an application numbers function (`APP_CALLS_WAT`);
//! * `extism_plugin/*` — one unmodified Extism plugin (the `extism_kit` fixture,
//!   extism-pdk from crates.io), the same `.wasm` on Caplet's Extism profile and on
//!   Extism: `count_vowels/{13,4096}`, `echo/{64,65536}`, `instantiate`,
//!   `cold_start`;
//! * `exec/{caplet,native}` — running `/bin/true`: a guest call of `caplet.exec`
//!   (JSON request, checks, fork/exec, poll loop, JSON response) vs
//!   `std::process::Command` in this process.
//!
//! Every bench checks its output once before timing, so a broken bench fails instead
//! of measuring nothing.
//!
//! Besides criterion's arguments, `--measure` prints one JSON object of measurements
//! that are not timings: resident memory per idle instance (1,000 instances of Caplet,
//! raw wasmi and Extism, each in a child process of this binary) and the fuel (about
//! one unit per wasm instruction) the guest code of the timed calls consumes. It
//! lives in this binary so that wasmtime is linked (and LTO-optimised) once.

use std::sync::Arc;

use caplet_benches::{
    bench_plugin, bench_plugin_path, config, extism_host, kv_platform, load, native, rss, MapCache,
    RawEcho, RawKv, RawModule, RawPrimes,
};
use caplet_core::platform::testing::full;
use caplet_core::{Limits, ModuleCache, Runtime, Value};
use criterion::{
    black_box, criterion_group, BatchSize, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use sha2::{Digest as _, Sha256};

/// Echo: Caplet's call path vs the same module on raw wasmi vs Extism's call path,
/// at 64 B (per-call overhead) and 4 KiB / 64 KiB (copies dominate).
fn echo(c: &mut Criterion) {
    let wasm = caplet_tests::plugin("echo");
    let extism_wasm = bench_plugin("extism_echo");
    let mut group = c.benchmark_group("echo");
    for size in [64usize, 4096, 65536] {
        let input: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
        group.throughput(Throughput::Bytes(size as u64));

        // Caplet: input-cap check, fuel set-up, caplet_alloc under fuel, bounds-checked
        // copy in, entry call under fuel, output-cap and bounds checks, copy out.
        let plugin = load(&wasm, config(&[], Limits::default(), full(), None));
        let mut instance = plugin.instantiate().expect("instantiates");
        assert_eq!(instance.call("echo", &input).unwrap(), input);
        group.bench_with_input(BenchmarkId::new("caplet", size), &input, |b, input| {
            b.iter(|| instance.call("echo", black_box(input)).unwrap())
        });

        // Floor: caplet_alloc, copy in, typed call, copy out on raw wasmi, fuel off.
        let mut raw = RawEcho::new(&wasm, "echo");
        assert_eq!(raw.call(&input), input);
        group.bench_with_input(BenchmarkId::new("raw_wasmi", size), &input, |b, input| {
            b.iter(|| raw.call(black_box(input)))
        });
        if size == 64 {
            // The floor plugin: almost no guest work, so the ratio is Caplet's layer.
            let floor = caplet_tests::wat_str(caplet_benches::FLOOR_ECHO_WAT);
            let plugin = load(&floor, config(&[], Limits::default(), full(), None));
            let mut floor_caplet = plugin.instantiate().expect("instantiates");
            assert_eq!(floor_caplet.call("echo", &input).unwrap(), input);
            group.bench_with_input(
                BenchmarkId::new("caplet_floor", size),
                &input,
                |b, input| b.iter(|| floor_caplet.call("echo", black_box(input)).unwrap()),
            );
            // The same call through an `Entry` looked up once, as raw wasmi's
            // `TypedFunc` is: no lookup by name per call.
            let entry = floor_caplet.entry("echo").expect("echo is an entry");
            assert_eq!(floor_caplet.call_entry(&entry, &input).unwrap(), input);
            group.bench_with_input(
                BenchmarkId::new("caplet_floor_entry", size),
                &input,
                |b, input| b.iter(|| floor_caplet.call_entry(&entry, black_box(input)).unwrap()),
            );
            let mut floor_raw = RawEcho::new(&floor, "echo");
            assert_eq!(floor_raw.call(&input), input);
            group.bench_with_input(
                BenchmarkId::new("raw_wasmi_floor", size),
                &input,
                |b, input| b.iter(|| floor_raw.call(black_box(input))),
            );
            // Both with the output written into a buffer kept across calls
            // (`call_entry_into`): no allocation per call on either side.
            let mut out = Vec::new();
            floor_caplet
                .call_entry_into(&entry, &input, &mut out)
                .unwrap();
            assert_eq!(out, input);
            group.bench_with_input(
                BenchmarkId::new("caplet_floor_into", size),
                &input,
                |b, input| {
                    b.iter(|| {
                        floor_caplet
                            .call_entry_into(&entry, black_box(input), &mut out)
                            .unwrap()
                    })
                },
            );
            let mut raw_out = Vec::new();
            floor_raw.call_into(&input, &mut raw_out);
            assert_eq!(raw_out, input);
            group.bench_with_input(
                BenchmarkId::new("raw_wasmi_floor_into", size),
                &input,
                |b, input| b.iter(|| floor_raw.call_into(black_box(input), &mut raw_out)),
            );
            // The kit's two forms and its small-plugin mode on the same call: the
            // easy form (`echo_vec`: a Vec per call) and `small_echo` (no_std,
            // 1-byte pages); `caplet` above is the `Output` form.
            let mut vec_form = load(&wasm, config(&[], Limits::default(), full(), None))
                .instantiate()
                .expect("instantiates");
            assert_eq!(vec_form.call("echo_vec", &input).unwrap(), input);
            group.bench_with_input(BenchmarkId::new("caplet_vec", size), &input, |b, input| {
                b.iter(|| vec_form.call("echo_vec", black_box(input)).unwrap())
            });
            let small = caplet_tests::plugin("small_echo");
            let mut small = load(&small, config(&[], Limits::default(), full(), None))
                .instantiate()
                .expect("instantiates");
            assert_eq!(small.call("echo", &input).unwrap(), input);
            group.bench_with_input(
                BenchmarkId::new("caplet_small", size),
                &input,
                |b, input| b.iter(|| small.call("echo", black_box(input)).unwrap()),
            );
            // Diagnostic: the floor with fuel metering on, to split Caplet's overhead
            // into metering and the rest of its call path.
            let mut raw_fuel = RawEcho::with_fuel(&wasm, "echo", true);
            assert_eq!(raw_fuel.call(&input), input);
            group.bench_with_input(
                BenchmarkId::new("raw_wasmi_fuel", size),
                &input,
                |b, input| b.iter(|| raw_fuel.call(black_box(input))),
            );
        }

        // Extism: `Plugin::call` of the extism-pdk twin, output copied to a Vec.
        let mut ext = extism_host::plugin(&extism_wasm);
        let out: Vec<u8> = ext.call("echo", input.as_slice()).unwrap();
        assert_eq!(out, input);
        group.bench_with_input(BenchmarkId::new("extism", size), &input, |b, input| {
            b.iter(|| -> Vec<u8> { ext.call("echo", black_box(input.as_slice())).unwrap() })
        });
    }
    group.finish();
}

/// Cold start of the ~40 KB `compute` plugin: read the file, SHA-256 it, validate and
/// compile, instantiate, first call (`primes` of 1000 = 168).
fn cold_start(c: &mut Criterion) {
    let path = caplet_tests::plugin_path("compute");
    let extism_path = bench_plugin_path("extism_compute");
    let mut group = c.benchmark_group("cold_start");
    group.sampling_mode(SamplingMode::Flat).sample_size(10);

    // Caplet: a new runtime (engine + linker) too, as in a fresh process; `load`
    // computes the digest, scans the module, checks capabilities and compiles eagerly.
    let caplet_cold = |path: &std::path::Path| {
        let wasm = std::fs::read(path).expect("read module");
        let plugin = Runtime::default()
            .load(&wasm, config(&[], Limits::default(), full(), None))
            .expect("loads");
        let mut instance = plugin.instantiate().expect("instantiates");
        instance.call("primes", b"1000").expect("primes runs")
    };
    assert_eq!(caplet_cold(&path), b"168");
    group.bench_function("caplet", |b| b.iter(|| caplet_cold(black_box(&path))));

    // Caplet with a warm compile cache: everything above except compilation (the
    // cache hands out the module compiled by an earlier load of the same runtime).
    let runtime = Runtime::default();
    let cache: Arc<dyn ModuleCache> = Arc::new(MapCache::default());
    let caplet_cached = |path: &std::path::Path| {
        let wasm = std::fs::read(path).expect("read module");
        let cfg = config(&[], Limits::default(), full(), Some(cache.clone()));
        let plugin = runtime.load(&wasm, cfg).expect("loads");
        let mut instance = plugin.instantiate().expect("instantiates");
        instance.call("primes", b"1000").expect("primes runs")
    };
    assert_eq!(caplet_cached(&path), b"168");
    group.bench_function("caplet_warm_cache", |b| {
        b.iter(|| caplet_cached(black_box(&path)))
    });

    // Caplet on a module of about the Extism twin's size (the extism-pdk pulls in
    // serde and serde_json, so `extism_compute` is larger than `compute`): the
    // `json_transform` fixture, first call one small JSON transform.
    let json_path = caplet_tests::plugin_path("json_transform");
    let json_input = br#"{"name":"a","values":[1,2]}"#;
    let json_expected = br#"{"greeting":"hello, a","sum":3,"count":2}"#;
    let caplet_json = |path: &std::path::Path| {
        let wasm = std::fs::read(path).expect("read module");
        let plugin = Runtime::default()
            .load(&wasm, config(&[], Limits::default(), full(), None))
            .expect("loads");
        let mut instance = plugin.instantiate().expect("instantiates");
        instance
            .call("transform", json_input)
            .expect("transform runs")
    };
    assert_eq!(caplet_json(&json_path), json_expected);
    group.bench_function("caplet_json_transform", |b| {
        b.iter(|| caplet_json(black_box(&json_path)))
    });

    // Extism: the digest computed by the host (Extism only checks one given in a
    // manifest), then `Plugin` from the bytes (a new wasmtime engine, Cranelift
    // compilation of the plugin and of Extism's kernel module, linking), first call.
    // wasmtime's on-disk compilation cache is off, so every iteration compiles.
    let extism_cold = |path: &std::path::Path| -> String {
        let wasm = std::fs::read(path).expect("read module");
        black_box(Sha256::digest(&wasm));
        let mut plugin = extism_host::plugin(&wasm);
        plugin
            .call::<&str, String>("primes", "1000")
            .expect("primes runs")
    };
    assert_eq!(extism_cold(&extism_path), "168");
    group.bench_function("extism", |b| {
        b.iter(|| extism_cold(black_box(&extism_path)))
    });
    group.finish();
}

/// A new instance from an already compiled module (instance dropped outside the
/// timing): Caplet's `Plugin::instantiate` (store, limiter, linking, start, export
/// lookups) vs raw wasmi's `instantiate_and_start` vs Extism's
/// `Plugin::new_from_compiled`.
fn instantiate(c: &mut Criterion) {
    let wasm = caplet_tests::plugin("echo");
    let extism_wasm = bench_plugin("extism_echo");
    let mut group = c.benchmark_group("instantiate");
    let batch = BatchSize::NumIterations(16);

    let plugin = load(&wasm, config(&[], Limits::default(), full(), None));
    assert_eq!(
        plugin.instantiate().unwrap().call("echo", b"hi").unwrap(),
        b"hi"
    );
    group.bench_function("caplet", |b| {
        b.iter_batched(|| (), |()| plugin.instantiate().unwrap(), batch)
    });

    let raw = RawModule::new(&wasm);
    let (store, instance) = raw.instantiate();
    assert!(instance.get_memory(&store, "memory").is_some());
    group.bench_function("raw_wasmi", |b| {
        b.iter_batched(|| (), |()| raw.instantiate(), batch)
    });

    let compiled = extism_host::compile(&extism_wasm);
    let mut first = extism::Plugin::new_from_compiled(&compiled).unwrap();
    let out: Vec<u8> = first.call("echo", "hi").unwrap();
    assert_eq!(out, b"hi");
    group.bench_function("extism", |b| {
        b.iter_batched(
            || (),
            |()| extism::Plugin::new_from_compiled(&compiled).unwrap(),
            batch,
        )
    });
    group.finish();
}

/// Primes below 20,000 by trial division in the guest: Caplet (fuel metering on, the
/// default slice of 1,000,000 units, typed export and entry point) vs raw wasmi with
/// fuel off and on vs the same function compiled natively.
fn compute(c: &mut Criterion) {
    const N: i32 = 20_000;
    let expected = native::count_primes_below(N as u32);
    let wasm = caplet_tests::plugin("compute");
    let mut group = c.benchmark_group("compute");
    group.sampling_mode(SamplingMode::Flat).sample_size(20);

    let limits = Limits::default().with_fuel(100_000_000_000);
    let plugin = load(&wasm, config(&[], limits, full(), None));
    let mut instance = plugin.instantiate().unwrap();
    let typed = |instance: &mut caplet_core::Instance, n: i32| match instance
        .call_typed("count_primes", &[Value::I32(n)])
        .unwrap()[..]
    {
        [Value::I32(count)] => count,
        ref other => panic!("count_primes returned {other:?}"),
    };
    assert_eq!(typed(&mut instance, N) as u32, expected);
    group.bench_function("caplet_fuel", |b| {
        b.iter(|| typed(&mut instance, black_box(N)))
    });

    let input = N.to_string().into_bytes();
    assert_eq!(
        instance.call("primes", &input).unwrap(),
        expected.to_string().as_bytes()
    );
    group.bench_function("caplet_fuel_entry", |b| {
        b.iter(|| instance.call("primes", black_box(&input)).unwrap())
    });

    let mut raw = RawPrimes::new(&wasm, false);
    assert_eq!(raw.call(N) as u32, expected);
    group.bench_function("raw_wasmi", |b| b.iter(|| raw.call(black_box(N))));

    let mut raw_fuel = RawPrimes::new(&wasm, true);
    assert_eq!(raw_fuel.call(N) as u32, expected);
    group.bench_function("raw_wasmi_fuel", |b| b.iter(|| raw_fuel.call(black_box(N))));

    group.bench_function("native", |b| {
        b.iter(|| native::count_primes_below(black_box(N as u32)))
    });
    group.finish();
}

/// One guest call making 10,000 `kv_get` host calls (16-byte value handed back
/// through `caplet_alloc` each time): Caplet with the in-memory KV store vs raw
/// wasmi with a trivial `kv_get` doing a `HashMap` lookup (the floor).
fn host_calls(c: &mut Criterion) {
    const CALLS: u64 = 10_000;
    const VALUE: &[u8] = b"0123456789abcdef";
    let wasm = bench_plugin("kv_loop");
    let input = format!("k:{CALLS}").into_bytes();
    let expected = (CALLS * VALUE.len() as u64).to_string().into_bytes();
    let mut group = c.benchmark_group("host_calls");
    group.throughput(Throughput::Elements(CALLS));
    group.sampling_mode(SamplingMode::Flat).sample_size(20);

    let limits = Limits::default().with_fuel(10_000_000_000);
    let plugin = load(
        &wasm,
        config(&["kv"], limits, kv_platform("kv_loop", "k", VALUE), None),
    );
    let mut instance = plugin.instantiate().unwrap();
    assert_eq!(instance.call("get_many", &input).unwrap(), expected);
    assert_eq!(instance.last_usage().host_calls, CALLS);
    group.bench_function("caplet", |b| {
        b.iter(|| instance.call("get_many", black_box(&input)).unwrap())
    });

    let mut raw = RawKv::new(&wasm, "k", VALUE);
    assert_eq!(raw.call(&input), expected);
    group.bench_function("raw_wasmi", |b| b.iter(|| raw.call(black_box(&input))));
    group.finish();
}

/// An instance of `APP_CALLS_WAT` on a runtime offering the bench's application
/// functions, with `clock`, `app:bench.*` and the config key `temp` granted.
fn app_calls_instance() -> caplet_core::Instance {
    let wasm = caplet_tests::wat_str(caplet_benches::APP_CALLS_WAT);
    let runtime = Runtime::with_functions(
        caplet_core::EngineLimits::default(),
        [caplet_benches::bench_app_functions()],
    )
    .unwrap();
    let mut cfg = config(
        &["clock", "app:bench.*"],
        Limits::default().with_fuel(10_000_000_000),
        full(),
        None,
    );
    cfg.config.insert("temp".into(), "21.5".into());
    runtime.load(&wasm, cfg).unwrap().instantiate().unwrap()
}

/// 10,000 host calls per guest call: an application function against the
/// built-in import of the same shape, in the same run.
fn app_calls(c: &mut Criterion) {
    const CALLS: i32 = 10_000;
    let mut instance = app_calls_instance();
    let mut group = c.benchmark_group("app_calls");
    group.throughput(Throughput::Elements(CALLS as u64));
    group.sampling_mode(SamplingMode::Flat).sample_size(20);
    for (name, per_call) in [
        ("bytes_builtin", 4),
        ("bytes_app", 4),
        ("numbers_builtin", 1),
        ("numbers_app", 1),
    ] {
        let args = [Value::I32(CALLS)];
        assert_eq!(
            instance.call_typed(name, &args).unwrap(),
            [Value::I64(i64::from(CALLS) * per_call)],
            "{name}"
        );
        assert_eq!(instance.last_usage().host_calls, CALLS as u64);
        group.bench_function(name, |b| {
            b.iter(|| instance.call_typed(name, black_box(&args)).unwrap())
        });
    }
    group.finish();
}

/// `/bin/true` through `caplet.exec` vs spawned directly.
fn exec(c: &mut Criterion) {
    let wasm = caplet_tests::wat_str(caplet_benches::EXEC_TRUE_WAT);
    let platform = caplet::platform::StdPlatform::default().build().unwrap();
    let plugin = load(
        &wasm,
        config(
            &["exec:/bin/true", "fs:temp"],
            Limits::default(),
            platform,
            None,
        ),
    );
    let mut instance = plugin.instantiate().unwrap();
    let mut group = c.benchmark_group("exec");
    group.sampling_mode(SamplingMode::Flat).sample_size(20);
    let check = |out: &[Value], instance: &caplet_core::Instance| {
        let [Value::I64(packed)] = out else {
            panic!("exec returned {out:?}")
        };
        assert!(*packed > 0, "exec failed with {packed}");
        assert_eq!(instance.last_usage().host_calls, 1);
    };
    let out = instance.call_typed("run", &[]).unwrap();
    check(&out, &instance);
    group.bench_function("caplet", |b| {
        b.iter(|| instance.call_typed("run", &[]).unwrap())
    });
    group.bench_function("native", |b| {
        b.iter(|| {
            let status = std::process::Command::new("/bin/true")
                .env_clear()
                .status()
                .unwrap();
            assert!(status.success());
        })
    });
    group.finish();
}

/// One Extism plugin, the same bytes on both hosts: Caplet runs it on its
/// `extism:host/env` profile (wasmi, fuel on, Extism memory in Caplet's wasm
/// kernel), Extism on wasmtime with its own kernel.
fn extism_plugin(c: &mut Criterion) {
    let path = caplet_tests::plugin_path("extism_kit");
    let wasm = std::fs::read(&path).expect("extism_kit fixture");
    // Room for the PDK's memory and the kernel's.
    let limits = || Limits::default().with_memory(4 << 20);
    let plugin = load(&wasm, config(&[], limits(), full(), None));
    let mut caplet = plugin.instantiate().expect("instantiates");
    let mut ext = extism_host::plugin(&wasm);
    let mut group = c.benchmark_group("extism_plugin");

    let text = "Hello, World!";
    let long: String = text.chars().cycle().take(4096).collect();
    for input in [text, long.as_str()] {
        let expected = caplet.call("count_vowels", input.as_bytes()).unwrap();
        let theirs: Vec<u8> = ext.call("count_vowels", input).unwrap();
        assert_eq!(expected, theirs, "both hosts count alike");
        let size = input.len();
        group.bench_with_input(
            BenchmarkId::new("count_vowels/caplet", size),
            &input,
            |b, input| {
                b.iter(|| {
                    caplet
                        .call("count_vowels", black_box(input.as_bytes()))
                        .unwrap()
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("count_vowels/extism", size),
            &input,
            |b, input| {
                b.iter(|| -> Vec<u8> { ext.call("count_vowels", black_box(*input)).unwrap() })
            },
        );
    }
    for size in [64usize, 65536] {
        let input: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
        assert_eq!(caplet.call("echo", &input).unwrap(), input);
        let theirs: Vec<u8> = ext.call("echo", input.as_slice()).unwrap();
        assert_eq!(theirs, input);
        group.bench_with_input(BenchmarkId::new("echo/caplet", size), &input, |b, input| {
            b.iter(|| caplet.call("echo", black_box(input)).unwrap())
        });
        group.bench_with_input(BenchmarkId::new("echo/extism", size), &input, |b, input| {
            b.iter(|| -> Vec<u8> { ext.call("echo", black_box(input.as_slice())).unwrap() })
        });
    }

    let batch = BatchSize::NumIterations(16);
    group.bench_function("instantiate/caplet", |b| {
        b.iter_batched(|| (), |()| plugin.instantiate().unwrap(), batch)
    });
    let compiled = extism_host::compile(&wasm);
    group.bench_function("instantiate/extism", |b| {
        b.iter_batched(
            || (),
            |()| extism::Plugin::new_from_compiled(&compiled).unwrap(),
            batch,
        )
    });

    // Cold start: read the file, load (digest, scan, compile; Caplet also a new
    // runtime, Extism a new engine), instantiate, first call.
    group.sampling_mode(SamplingMode::Flat).sample_size(10);
    let caplet_cold = |path: &std::path::Path| {
        let wasm = std::fs::read(path).expect("read module");
        let plugin = Runtime::default()
            .load(&wasm, config(&[], limits(), full(), None))
            .expect("loads");
        let mut instance = plugin.instantiate().expect("instantiates");
        instance
            .call("count_vowels", text.as_bytes())
            .expect("runs")
    };
    assert_eq!(caplet_cold(&path), br#"{"count":3}"#);
    group.bench_function("cold_start/caplet", |b| {
        b.iter(|| caplet_cold(black_box(&path)))
    });
    let extism_cold = |path: &std::path::Path| -> Vec<u8> {
        let wasm = std::fs::read(path).expect("read module");
        black_box(Sha256::digest(&wasm));
        let mut plugin = extism_host::plugin(&wasm);
        plugin.call("count_vowels", text).expect("runs")
    };
    assert_eq!(extism_cold(&path), br#"{"count":3}"#);
    group.bench_function("cold_start/extism", |b| {
        b.iter(|| extism_cold(black_box(&path)))
    });
    group.finish();
}

criterion_group!(
    benches,
    echo,
    extism_plugin,
    cold_start,
    instantiate,
    compute,
    host_calls,
    app_calls,
    exec
);

/// Resident memory of idle instances, measured in child processes of this binary.
mod idle_memory {
    use super::*;

    pub const INSTANCES: usize = 1_000;

    /// Runs one child per runtime and returns `{"caplet": {...}, ...}`.
    pub fn parent() -> String {
        let exe = std::env::current_exe().expect("own path");
        let mut parts = Vec::new();
        for runtime in ["caplet", "caplet_small", "raw_wasmi", "extism"] {
            let out = std::process::Command::new(&exe)
                .args(["--idle-memory-child", runtime])
                .output()
                .expect("child runs");
            assert!(
                out.status.success(),
                "idle-memory child {runtime} failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let line = String::from_utf8(out.stdout).expect("utf-8");
            parts.push(format!("\"{runtime}\": {}", line.trim()));
        }
        format!("{{{}}}", parts.join(", "))
    }

    /// RSS before and after `INSTANCES` idle instances of fixture `name` on
    /// Caplet (one instance made, used and dropped first: lazy set-up is not
    /// counted).
    fn caplet_instances(name: &str) -> (u64, u64) {
        let rss = || rss::resident_bytes().expect("/proc/self/statm");
        let plugin = load(
            &caplet_tests::plugin(name),
            config(&[], Limits::default(), full(), None),
        );
        drop(plugin.instantiate().unwrap().call("echo", b"warm").unwrap());
        let before = rss();
        let mut all = Vec::with_capacity(INSTANCES);
        for _ in 0..INSTANCES {
            all.push(plugin.instantiate().unwrap());
        }
        let after = rss();
        assert_eq!(all[INSTANCES - 1].call("echo", b"hi").unwrap(), b"hi");
        (before, after)
    }

    /// Instantiates the echo plugin (or its Extism twin) `INSTANCES` times, keeps
    /// every instance alive and idle, and prints the growth of resident memory.
    pub fn child(runtime: &str) {
        let rss = || rss::resident_bytes().expect("/proc/self/statm");
        let (before, after) = match runtime {
            // The full kit's echo, and the small-plugin mode's (1-byte pages,
            // 4,416 bytes of memory).
            "caplet" => caplet_instances("echo"),
            "caplet_small" => caplet_instances("small_echo"),
            "raw_wasmi" => {
                // The floor: the same module instantiated on raw wasmi (a store each).
                let raw = RawModule::new(&caplet_tests::plugin("echo"));
                drop(raw.instantiate());
                let before = rss();
                let mut all = Vec::with_capacity(INSTANCES);
                for _ in 0..INSTANCES {
                    all.push(raw.instantiate());
                }
                let after = rss();
                let (store, instance) = &all[INSTANCES - 1];
                assert!(instance.get_memory(store, "memory").is_some());
                (before, after)
            }
            "extism" => {
                let compiled = extism_host::compile(&bench_plugin("extism_echo"));
                let mut warm = extism::Plugin::new_from_compiled(&compiled).unwrap();
                let out: Vec<u8> = warm.call("echo", "warm").unwrap();
                assert_eq!(out, b"warm");
                drop(warm);
                let before = rss();
                let mut all = Vec::with_capacity(INSTANCES);
                for _ in 0..INSTANCES {
                    all.push(extism::Plugin::new_from_compiled(&compiled).unwrap());
                }
                let after = rss();
                let out: Vec<u8> = all[INSTANCES - 1].call("echo", "hi").unwrap();
                assert_eq!(out, b"hi");
                (before, after)
            }
            other => panic!("unknown runtime {other}"),
        };
        let growth = after.saturating_sub(before);
        println!(
            "{{\"instances\": {INSTANCES}, \"rss_before\": {before}, \"rss_after\": {after}, \
             \"bytes_per_instance\": {}}}",
            growth / INSTANCES as u64
        );
    }
}

/// Fuel consumed by the guest code of the timed Caplet calls, as a JSON object.
fn fuel_counts() -> String {
    let fuel = |wasm: &[u8], caps: &[&str], platform, entry: &str, input: &[u8]| {
        let limits = Limits::default().with_fuel(100_000_000_000);
        let plugin = load(wasm, config(caps, limits, platform, None));
        let mut instance = plugin.instantiate().unwrap();
        instance.call(entry, input).unwrap();
        instance.call(entry, input).unwrap();
        instance.last_usage()
    };
    let echo = caplet_tests::plugin("echo");
    let echo_64 = fuel(&echo, &[], full(), "echo", &[b'a'; 64]);
    let echo_vec_64 = fuel(&echo, &[], full(), "echo_vec", &[b'a'; 64]);
    let small_64 = fuel(
        &caplet_tests::plugin("small_echo"),
        &[],
        full(),
        "echo",
        &[b'a'; 64],
    );
    let floor_64 = fuel(
        &caplet_tests::wat_str(caplet_benches::FLOOR_ECHO_WAT),
        &[],
        full(),
        "echo",
        &[b'a'; 64],
    );
    let echo_64k = fuel(&echo, &[], full(), "echo", &[b'a'; 65536]);
    let compute = fuel(
        &caplet_tests::plugin("compute"),
        &[],
        full(),
        "primes",
        b"20000",
    );
    let kv = fuel(
        &bench_plugin("kv_loop"),
        &["kv"],
        kv_platform("kv_loop", "k", b"0123456789abcdef"),
        "get_many",
        b"k:10000",
    );
    format!(
        "{{\"echo_64\": {}, \"echo_vec_64\": {}, \"small_echo_64\": {}, \"floor_64\": {}, \
         \"echo_65536\": {}, \"primes_20000\": {}, \
         \"kv_get_10000\": {}, \"kv_get_10000_host_calls\": {}}}",
        echo_64.fuel_used,
        echo_vec_64.fuel_used,
        small_64.fuel_used,
        floor_64.fuel_used,
        echo_64k.fuel_used,
        compute.fuel_used,
        kv.fuel_used,
        kv.host_calls
    )
}

/// `--floor-calls <caplet|caplet_entry|caplet_into|raw_wasmi|raw_wasmi_fuel|raw_wasmi_into|raw_wasmi_fuel_into> N`:
/// N calls of the floor echo
/// (64 B) and nothing else, for `benches/instructions.sh`, which runs this under
/// callgrind with N = 0 and N = 100,000 and reports the difference per call: an
/// instruction count, unmoved by the machine's load.
fn floor_calls(runtime: &str, n: u64) {
    let wasm = caplet_tests::wat_str(caplet_benches::FLOOR_ECHO_WAT);
    let input = [7u8; 64];
    match runtime {
        "caplet" => {
            let plugin = load(&wasm, config(&[], Limits::default(), full(), None));
            let mut i = plugin.instantiate().unwrap();
            assert_eq!(i.call("echo", &input).unwrap(), input);
            for _ in 0..n {
                black_box(i.call("echo", black_box(&input)).unwrap());
            }
        }
        "caplet_entry" => {
            let plugin = load(&wasm, config(&[], Limits::default(), full(), None));
            let mut i = plugin.instantiate().unwrap();
            let entry = i.entry("echo").unwrap();
            assert_eq!(i.call_entry(&entry, &input).unwrap(), input);
            for _ in 0..n {
                black_box(i.call_entry(&entry, black_box(&input)).unwrap());
            }
        }
        "caplet_into" => {
            let plugin = load(&wasm, config(&[], Limits::default(), full(), None));
            let mut i = plugin.instantiate().unwrap();
            let entry = i.entry("echo").unwrap();
            let mut out = Vec::new();
            i.call_entry_into(&entry, &input, &mut out).unwrap();
            assert_eq!(out, input);
            for _ in 0..n {
                i.call_entry_into(&entry, black_box(&input), &mut out)
                    .unwrap();
                black_box(&out);
            }
        }
        "raw_wasmi" | "raw_wasmi_fuel" => {
            let mut raw = RawEcho::with_fuel(&wasm, "echo", runtime == "raw_wasmi_fuel");
            assert_eq!(raw.call(&input), input);
            for _ in 0..n {
                black_box(raw.call(black_box(&input)));
            }
        }
        "raw_wasmi_into" | "raw_wasmi_fuel_into" => {
            let mut raw = RawEcho::with_fuel(&wasm, "echo", runtime == "raw_wasmi_fuel_into");
            let mut out = Vec::new();
            raw.call_into(&input, &mut out);
            assert_eq!(out, input);
            for _ in 0..n {
                raw.call_into(black_box(&input), &mut out);
                black_box(&out);
            }
        }
        other => panic!("--floor-calls: unknown runtime {other}"),
    }
}

/// `--instantiations <caplet|raw_wasmi> N`: N instances of the echo plugin, each
/// dropped at once, and nothing else: the `instantiate` group's work, for counting
/// instructions, page faults or cache misses per instance (`perf stat`, callgrind)
/// with N = 0 and N = 10,000.
fn instantiations(runtime: &str, n: u64) {
    let wasm = caplet_tests::plugin("echo");
    match runtime {
        "caplet" => {
            let plugin = load(&wasm, config(&[], Limits::default(), full(), None));
            for _ in 0..n {
                black_box(plugin.instantiate().unwrap());
            }
        }
        "raw_wasmi" => {
            let raw = RawModule::new(&wasm);
            for _ in 0..n {
                black_box(raw.instantiate());
            }
        }
        other => panic!("--instantiations: unknown runtime {other}"),
    }
}

/// `--compute-calls <caplet_fuel|raw_wasmi|raw_wasmi_fuel> N`: N calls of
/// `count_primes(20000)` as the `compute` group makes them, after one not
/// counted, for `benches/instructions.sh` (callgrind with N = 0 and N = 3).
fn compute_calls(runtime: &str, n: u64) {
    const N: i32 = 20_000;
    let wasm = caplet_tests::plugin("compute");
    let expected = native::count_primes_below(N as u32) as i32;
    match runtime {
        "caplet_fuel" => {
            let limits = Limits::default().with_fuel(100_000_000_000);
            let plugin = load(&wasm, config(&[], limits, full(), None));
            let mut instance = plugin.instantiate().unwrap();
            // One call more than counted (also with N = 0, so it is subtracted), as
            // criterion warms up: memory growth and first allocations are not per call.
            for _ in 0..=n {
                let out = instance
                    .call_typed("count_primes", &[Value::I32(black_box(N))])
                    .unwrap();
                assert!(matches!(out[..], [Value::I32(c)] if c == expected));
            }
        }
        "raw_wasmi" | "raw_wasmi_fuel" => {
            let mut raw = RawPrimes::new(&wasm, runtime == "raw_wasmi_fuel");
            for _ in 0..=n {
                assert_eq!(raw.call(black_box(N)), expected);
            }
        }
        other => panic!("--compute-calls: unknown runtime {other}"),
    }
}

/// `--kv-calls <caplet|raw_wasmi> N`: N calls of `get_many` making 10,000
/// `kv_get` each, as the `host_calls` group makes them, after one not counted,
/// for `benches/instructions.sh`.
fn kv_calls(runtime: &str, n: u64) {
    const VALUE: &[u8] = b"0123456789abcdef";
    let wasm = bench_plugin("kv_loop");
    let input = b"k:10000".to_vec();
    let expected = (10_000 * VALUE.len()).to_string().into_bytes();
    match runtime {
        "caplet" => {
            let limits = Limits::default().with_fuel(10_000_000_000);
            let platform = kv_platform("kv_loop", "k", VALUE);
            let plugin = load(&wasm, config(&["kv"], limits, platform, None));
            let mut instance = plugin.instantiate().unwrap();
            // One call more than counted, as in `compute_calls`.
            for _ in 0..=n {
                assert_eq!(
                    instance.call("get_many", black_box(&input)).unwrap(),
                    expected
                );
            }
        }
        "raw_wasmi" => {
            let mut raw = RawKv::new(&wasm, "k", VALUE);
            for _ in 0..=n {
                assert_eq!(raw.call(black_box(&input)), expected);
            }
        }
        other => panic!("--kv-calls: unknown runtime {other}"),
    }
}

/// `--app-calls <bytes_builtin|bytes_app|numbers_builtin|numbers_app> N`: one
/// guest call making N host calls of that kind (see `app_calls`), for
/// `benches/instructions.sh`.
fn app_host_calls(export: &str, n: i32) {
    let mut instance = app_calls_instance();
    instance.call_typed(export, &[Value::I32(1)]).unwrap();
    black_box(instance.call_typed(export, &[Value::I32(n)]).unwrap());
}

/// The counting modes (`--floor-calls caplet 1000`, …): the mode's runner, its
/// variant and the count, for `benches/instructions.sh`.
type Counting = (&'static str, fn(&str, u64));

const COUNTING: [Counting; 5] = [
    ("--app-calls", |kind, n| {
        app_host_calls(
            kind,
            i32::try_from(n).expect("--app-calls: a count up to i32::MAX"),
        )
    }),
    ("--compute-calls", compute_calls),
    ("--kv-calls", kv_calls),
    ("--instantiations", instantiations),
    ("--floor-calls", floor_calls),
];

fn main() {
    let args: Vec<String> = std::env::args().collect();
    for (flag, run) in COUNTING {
        if let Some(i) = args.iter().position(|a| a == flag) {
            let n = args.get(i + 2).and_then(|n| n.parse().ok()).unwrap_or(0);
            run(args.get(i + 1).map(String::as_str).unwrap_or(""), n);
            return;
        }
    }
    if let Some(i) = args.iter().position(|a| a == "--idle-memory-child") {
        idle_memory::child(args.get(i + 1).map(String::as_str).unwrap_or(""));
        return;
    }
    if args.iter().any(|a| a == "--measure") {
        println!(
            "{{\"idle_memory\": {}, \"fuel\": {}}}",
            idle_memory::parent(),
            fuel_counts()
        );
        return;
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
