//! wasmi 2.0 with its debug assertions on (this crate's dev profile), on the
//! differential check's wasm-smith modules or on given files. A failed assertion is
//! caught per module and reported with its message and source location.
//!
//!     caplet-wasmi-assert gen [--invalid] [--start SEED] [--count N] [--out DIR]
//!     caplet-wasmi-assert check [--default-config] FILE...   # .wasm or .wat
//!     caplet-wasmi-assert print FILE        # the module as WAT
//!
//! `gen` builds the module of each seed as the differential check does (same
//! generator, `../src/differential/smith.rs`), compiles it like Caplet, and runs it
//! (every export, three argument patterns). `--invalid` lets wasm-smith take raw
//! bytes as function bodies, so modules may be invalid anywhere in a body: those are
//! only compiled. Modules whose compilation or run failed an assertion are written
//! to DIR (default `wasmi-assert-out`) as `<seed>.wasm`.

#[path = "../../src/differential/on_wasmi.rs"]
mod on_wasmi;
#[path = "../../src/differential/smith.rs"]
mod smith;
#[path = "../../src/differential/transcript.rs"]
#[allow(dead_code)]
mod transcript;

use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);

/// Runs `f`, turning a panic into `Err("message at file:line")`.
fn catch<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|_| {
        LAST_PANIC
            .lock()
            .unwrap()
            .take()
            .unwrap_or_else(|| "panic".into())
    })
}

fn install_hook() {
    panic::set_hook(Box::new(|info| {
        let message = if let Some(s) = info.payload().downcast_ref::<&str>() {
            s.to_string()
        } else if let Some(s) = info.payload().downcast_ref::<String>() {
            s.clone()
        } else {
            "panic".to_string()
        };
        let location = info
            .location()
            .map(|l| {
                // From `.../wasmi-2.0.0/src/...`: keep the crate-relative part.
                let file = l.file();
                let short = file.rfind("/src/").map_or(file, |i| {
                    let crate_start = file[..i].rfind('/').map_or(0, |j| j + 1);
                    &file[crate_start..]
                });
                format!("{short}:{}", l.line())
            })
            .unwrap_or_default();
        if std::env::var_os("WASMI_ASSERT_BACKTRACE").is_some() {
            eprintln!("{}", std::backtrace::Backtrace::force_capture());
        }
        *LAST_PANIC.lock().unwrap() = Some(format!("{message} at {location}"));
    }));
}

/// What happened to one module.
enum Verdict {
    Refused(String),
    /// Compiled and ran (or, with `compile_only`, compiled): calls made, of which
    /// returned, trapped and inconclusive.
    Ran([u64; 4]),
    CompilePanic(String),
    RunPanic(String),
}

fn judge(engine: &wasmi::Engine, wasm: &[u8], seed: u64, compile_only: bool) -> Verdict {
    match catch(|| on_wasmi::compile(engine, wasm)) {
        Err(panic) => Verdict::CompilePanic(panic),
        Ok(Err(refusal)) => Verdict::Refused(refusal.message),
        Ok(Ok(_)) if compile_only => Verdict::Ran([0; 4]),
        Ok(Ok(_)) => match catch(|| on_wasmi::run(engine, wasm, seed)) {
            Err(panic) => Verdict::RunPanic(panic),
            Ok(transcript) => {
                let mut counts = [0u64; 4];
                for event in transcript.instances.iter().flatten() {
                    if let transcript::Event::Call { outcome, .. } = event {
                        counts[0] += 1;
                        match outcome {
                            transcript::Outcome::Returned(_) => counts[1] += 1,
                            transcript::Outcome::Trapped(_) => counts[2] += 1,
                            _ => counts[3] += 1,
                        }
                    }
                }
                Verdict::Ran(counts)
            }
        },
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("gen") => gen(&args[1..]),
        Some("check") => check(&args[1..]),
        Some("dump") => {
            // The module of one seed, as the differential check and `gen` build it.
            let seed: u64 = args[1].parse().expect("dump SEED [--invalid] FILE");
            let invalid = args.iter().any(|a| a == "--invalid");
            let wasm = if invalid {
                smith::module_invalid_bodies(seed)
            } else {
                smith::module(seed)
            };
            let wasm = wasm.expect("a module");
            std::fs::write(args.last().unwrap(), wasm).unwrap();
            ExitCode::SUCCESS
        }
        Some("print") => {
            let wasm = read(&args[1]);
            println!(
                "{}",
                wasmprinter::print_bytes(&wasm).expect("printable module")
            );
            ExitCode::SUCCESS
        }
        _ => {
            eprintln!("usage: caplet-wasmi-assert gen [--invalid] [--start SEED] [--count N] [--out DIR] | check FILE... | print FILE");
            ExitCode::from(2)
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

fn gen(args: &[String]) -> ExitCode {
    let mut invalid = false;
    let mut start = 0u64;
    let mut count = 1000u64;
    let mut out = PathBuf::from("wasmi-assert-out");
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--invalid" => invalid = true,
            "--start" => {
                start = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .expect("--start SEED")
            }
            "--count" => count = it.next().and_then(|s| s.parse().ok()).expect("--count N"),
            "--out" => out = it.next().map(PathBuf::from).expect("--out DIR"),
            other => panic!("unknown argument {other}"),
        }
    }
    install_hook();
    let engine = on_wasmi::engine();
    let began = std::time::Instant::now();
    let (mut generated, mut accepted, mut refused) = (0u64, 0u64, 0u64);
    let mut calls = [0u64; 4];
    let mut panics: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for seed in start..start + count {
        let wasm = if invalid {
            smith::module_invalid_bodies(seed)
        } else {
            smith::module(seed)
        };
        let Some(wasm) = wasm else {
            continue;
        };
        generated += 1;
        let (panic, stage) = match judge(&engine, &wasm, seed, invalid) {
            Verdict::Refused(_) => {
                refused += 1;
                continue;
            }
            Verdict::Ran(counts) => {
                accepted += 1;
                for (total, n) in calls.iter_mut().zip(counts) {
                    *total += n;
                }
                continue;
            }
            Verdict::CompilePanic(p) => (p, "compile"),
            Verdict::RunPanic(p) => {
                accepted += 1;
                (p, "run")
            }
        };
        // Whether the validator alone refuses the module: an assertion on a module
        // validation refuses anyway is reached only because wasmi translates each
        // operator right after validating it, before the function's end is checked.
        let valid = wasmi::Module::validate(&engine, &wasm).is_ok();
        let key = format!(
            "{stage}: {panic} [module {}]",
            if valid { "valid" } else { "invalid" }
        );
        eprintln!("seed {seed}: {key}");
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join(format!("{seed}.wasm")), &wasm).unwrap();
        panics.entry(key).or_default().push(seed);
    }
    println!(
        "seeds {start}..{}: {generated} modules generated ({}), {accepted} accepted, {refused} refused, {} failed a debug assertion, in {:.1} s",
        start + count,
        if invalid { "raw-byte bodies allowed" } else { "valid" },
        panics.values().map(Vec::len).sum::<usize>(),
        began.elapsed().as_secs_f64()
    );
    println!(
        "  calls: {} ({} returned, {} trapped, {} inconclusive)",
        calls[0], calls[1], calls[2], calls[3]
    );
    for (key, seeds) in &panics {
        let shown: Vec<String> = seeds.iter().take(10).map(u64::to_string).collect();
        println!("  {} x {key}: seeds {}", seeds.len(), shown.join(", "));
    }
    if panics.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn check(args: &[String]) -> ExitCode {
    install_hook();
    // `--default-config`: wasmi's `Config::default()` (no fuel metering, lazy
    // translation after eager validation, no enforced limits) instead of Caplet's, to
    // tell which findings depend on Caplet's settings.
    let default_config = args.iter().any(|a| a == "--default-config");
    let engine = if default_config {
        wasmi::Engine::default()
    } else {
        on_wasmi::engine()
    };
    let mut failed = false;
    for file in args.iter().filter(|a| !a.starts_with("--")) {
        let wasm = read(file);
        let valid = wasmi::Module::validate(&engine, &wasm);
        let verdict = match judge(&engine, &wasm, 0, false) {
            Verdict::Refused(why) => format!("refused: {why}"),
            Verdict::Ran([calls, returned, trapped, inconclusive]) => format!(
                "accepted, ran {calls} calls ({returned} returned, {trapped} trapped, {inconclusive} inconclusive)"
            ),
            Verdict::CompilePanic(p) => {
                failed = true;
                format!("debug assertion while compiling: {p}")
            }
            Verdict::RunPanic(p) => {
                failed = true;
                format!("debug assertion while running: {p}")
            }
        };
        println!(
            "{file} ({} bytes; validator alone: {}): {verdict}",
            wasm.len(),
            match valid {
                Ok(()) => "valid".to_string(),
                Err(e) => format!("invalid, {e}"),
            }
        );
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
