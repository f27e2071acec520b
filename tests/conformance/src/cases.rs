//! The table. Expected outputs are literal: a host passes only if it produces
//! these exact bytes and values.

use caplet_core::{Code, Error, Value};

use crate::{guest_code, Call, Case, Expect, Pin, Source, Step};

const fn entry(name: &'static str, input: &'static [u8], expect: Expect) -> Step {
    Step {
        call: Call::Entry(name, input),
        expect,
    }
}

const fn typed(name: &'static str, args: &'static [Value], expect: Expect) -> Step {
    Step {
        call: Call::Typed(name, args),
        expect,
    }
}

const fn bytes(b: &'static [u8]) -> Expect {
    Expect::Bytes(b)
}

const fn values(v: &'static [Value]) -> Expect {
    Expect::Values(v)
}

/// Every byte value once: binary data must cross the boundary untouched.
const ALL_BYTES: [u8; 256] = {
    let mut b = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        b[i] = i as u8;
        i += 1;
    }
    b
};

/// 4 KiB of text: the largest input the echo case sends (a quarter of the cap).
const FOUR_KIB: [u8; 4096] = [b'x'; 4096];

/// The steps of `json_transform` and of `small_json`, its small-plugin twin: the
/// same contract, the same outputs.
const JSON_TRANSFORM_STEPS: &[Step] = &[
    entry(
        "transform",
        br#"{"name":"Ada","values":[1,2,39]}"#,
        bytes(br#"{"greeting":"hello, Ada","sum":42,"count":3}"#),
    ),
    entry(
        "transform",
        b"{not json",
        Expect::Fails(
            |e| guest_code(e, Code::InvalidInput),
            "a guest INVALID_INPUT error",
        ),
    ),
];

fn is_hex(out: &[u8], len: usize) -> bool {
    out.len() == len
        && out
            .iter()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(b))
}

fn is_now_json(out: &[u8]) -> bool {
    // {"wall":N,"mono":N}: both clocks answered with numbers.
    let Ok(text) = core::str::from_utf8(out) else {
        return false;
    };
    let Some(rest) = text.strip_prefix("{\"wall\":") else {
        return false;
    };
    let Some((wall, rest)) = rest.split_once(",\"mono\":") else {
        return false;
    };
    let Some(mono) = rest.strip_suffix('}') else {
        return false;
    };
    wall.parse::<u64>().is_ok_and(|w| w > 0) && mono.parse::<u64>().is_ok()
}

fn is_trap(e: &Error) -> bool {
    matches!(e, Error::Trap { .. })
}

fn is_stack_overflow(e: &Error) -> bool {
    matches!(e, Error::Trap { message, .. } if message.contains("call stack exhausted"))
}

fn is_out_of_fuel(e: &Error) -> bool {
    matches!(e, Error::OutOfFuel { .. })
}

fn is_bad_module(e: &Error) -> bool {
    matches!(e, Error::BadModule { .. })
}

fn is_too_large(e: &Error) -> bool {
    matches!(e, Error::ModuleTooLarge { .. })
}

fn is_compile_budget(e: &Error) -> bool {
    matches!(e, Error::ModuleTooLarge { reason } if reason.contains("compile budget"))
}

fn is_digest_mismatch(e: &Error) -> bool {
    matches!(e, Error::DigestMismatch { .. })
}

fn is_kv_denied(e: &Error) -> bool {
    matches!(e, Error::CapabilityDenied { capability, .. } if capability == "kv")
}

fn is_fs_unsupported(e: &Error) -> bool {
    matches!(e, Error::CapabilityUnsupported { capability } if capability.starts_with("fs:read"))
}

fn is_contract_violation(e: &Error) -> bool {
    matches!(e, Error::ContractViolation { .. })
}

fn is_not_found(e: &Error) -> bool {
    guest_code(e, Code::NotFound)
}

fn is_app_host_failure(e: &Error) -> bool {
    matches!(e, Error::Host { .. })
}

fn is_sensors_denied(e: &Error) -> bool {
    matches!(e, Error::CapabilityDenied { capability, .. } if capability == "app:sensors.read")
}

#[cfg(feature = "extism")]
fn is_extism_failure(e: &Error) -> bool {
    matches!(e, Error::Guest { code: None, raw: -1, message: Some(m), .. }
        if m == "failed on purpose: x")
}

#[cfg(feature = "wasi")]
fn is_exit_2(e: &Error) -> bool {
    matches!(e, Error::Exit { code: 2 })
}

#[cfg(feature = "signatures")]
fn is_altered(e: &Error) -> bool {
    matches!(e, Error::Untrusted { reason } if reason.contains("does not match the module"))
}

#[cfg(feature = "signatures")]
fn is_signer_untrusted(e: &Error) -> bool {
    matches!(e, Error::Untrusted { reason } if reason.contains("not a trusted key"))
}

#[cfg(feature = "signatures")]
fn is_unsigned(e: &Error) -> bool {
    matches!(e, Error::Untrusted { reason } if reason.contains("neither pinned nor signed"))
}

/// A 55-byte module with `memory` and `add(i32, i32) -> i32`, signed (sidecar)
/// by [`SIGNER`]; made with `caplet keygen` and `caplet sign --sidecar`, whose
/// secret key is not kept. [`ADD_ALTERED`] is the same module with `i32.sub` in
/// place of `i32.add`.
#[cfg(feature = "signatures")]
const ADD: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01,
    0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x10, 0x02, 0x06, 0x6d, 0x65,
    0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07,
    0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b,
];
#[cfg(feature = "signatures")]
const ADD_ALTERED: &[u8] = &[
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01,
    0x7f, 0x03, 0x02, 0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x10, 0x02, 0x06, 0x6d, 0x65,
    0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00, 0x03, 0x61, 0x64, 0x64, 0x00, 0x00, 0x0a, 0x09, 0x01, 0x07,
    0x00, 0x20, 0x00, 0x20, 0x01, 0x6b, 0x0b,
];
#[cfg(feature = "signatures")]
const SIGNER: &str = "ed25519:efe8125890b624940e6356c8538268007920cb440d259b653ea1ccd5ff169315";
#[cfg(feature = "signatures")]
const NOT_THE_SIGNER: &str =
    "ed25519:3fbb6cdae55804e4e9f911fc44b50c15cab32d6dcb80c9a3e88bbc963d60d00b";
#[cfg(feature = "signatures")]
const ADD_SIGNATURE: &[u8] = &[
    0x01, 0xef, 0xe8, 0x12, 0x58, 0x90, 0xb6, 0x24, 0x94, 0x0e, 0x63, 0x56, 0xc8, 0x53, 0x82, 0x68,
    0x00, 0x79, 0x20, 0xcb, 0x44, 0x0d, 0x25, 0x9b, 0x65, 0x3e, 0xa1, 0xcc, 0xd5, 0xff, 0x16, 0x93,
    0x15, 0x81, 0xbf, 0xba, 0x37, 0xc9, 0x63, 0xea, 0xe2, 0xc8, 0xf3, 0xac, 0x39, 0xd9, 0xbc, 0x55,
    0xdf, 0x37, 0x68, 0x9b, 0x8a, 0x6b, 0x10, 0x94, 0x2c, 0xa6, 0xae, 0xa6, 0x69, 0xe2, 0x70, 0x1c,
    0xe9, 0xf4, 0x9a, 0x09, 0x1a, 0x1a, 0xef, 0x3d, 0x0c, 0x5d, 0xd1, 0xf9, 0x66, 0x8d, 0x0c, 0x0e,
    0xc0, 0xbb, 0xa9, 0xad, 0x07, 0x42, 0xe5, 0x70, 0x4a, 0x94, 0xe1, 0x3a, 0x07, 0x47, 0x43, 0x55,
    0x05,
];

/// The conformance cases, in the order hosts run them.
pub static CASES: &[Case] = &[
    // ---- a WASI preview 1 command without a filesystem: args, environ, clocks,
    // random, stdout/stderr to the log sink, proc_exit ----
    #[cfg(feature = "wasi")]
    Case {
        name: "wasi_command",
        source: Source::Module("wasi_command.wat"),
        grants: &["clock", "random", "stdio"],
        wasi_args: &["wasi_command", "x"],
        steps: &[typed(
            "_start",
            &[],
            Expect::Fails(is_exit_2, "proc_exit(2): argc of [wasi_command, x]"),
        )],
        ..Case::BASE
    },
    // ---- the board's own functions (conformance `app_functions`), called by a
    // plugin built with the kit's `app_functions!` ----
    Case {
        name: "app_function",
        source: Source::Module("board_app"),
        grants: &["app:sensors.read", "app:gpio.write"],
        steps: &[
            entry("sensor", b"temp", bytes(b"21.5")),
            entry(
                "sensor",
                b"pressure",
                Expect::Fails(is_not_found, "NOT_FOUND for an unknown sensor"),
            ),
            entry("sensors_sum", b"temp,humidity", bytes(b"61.5")),
            entry("toggle", b"13", bytes(b"0")),
            entry("toggle", b"13", bytes(b"1")),
            entry(
                "toggle",
                b"40",
                Expect::Fails(is_app_host_failure, "a host error for pin 40"),
            ),
        ],
        ..Case::BASE
    },
    Case {
        name: "app_function_denied",
        source: Source::Module("board_app"),
        grants: &["app:gpio.write"],
        load_error: Some(Expect::Fails(
            is_sensors_denied,
            "app:sensors.read denied at load",
        )),
        ..Case::BASE
    },
    // ---- the contract on well-behaved plugins ----
    Case {
        name: "echo",
        source: Source::Module("echo"),
        steps: &[
            entry("echo", b"hello", bytes(b"hello")),
            entry("upper", b"hello, caplet", bytes(b"HELLO, CAPLET")),
            entry("echo", &ALL_BYTES, bytes(&ALL_BYTES)),
            entry("echo", &FOUR_KIB, bytes(&FOUR_KIB)),
            entry("echo", b"", bytes(b"")),
            entry("empty", b"ignored", bytes(b"")),
            typed(
                "add",
                &[Value::I32(2), Value::I32(3)],
                values(&[Value::I32(5)]),
            ),
        ],
        ..Case::BASE
    },
    // The kit's small-plugin mode: no_std, no allocator, 1-byte memory pages.
    // A board runs it (load, instantiation and calls) in at most 96 KiB.
    #[cfg(feature = "extism")]
    // ---- an unmodified Extism plugin (extism-pdk from crates.io) on the
    // `extism:host/env` profile: Extism memory in Caplet's kernel, config, vars
    // kept across calls on one instance, the plugin's error with its message ----
    Case {
        name: "extism_plugin",
        source: Source::Module("extism_board"),
        config: &[("name", "board")],
        steps: &[
            entry("count_vowels", b"Hello, World!", bytes(br#"{"count":3}"#)),
            entry("count_vowels", &FOUR_KIB, bytes(br#"{"count":0}"#)),
            entry("greet", b"", bytes(b"Hello, board!")),
            entry("count_calls", b"", bytes(b"1")),
            entry("count_calls", b"", bytes(b"2")),
            entry(
                "fail",
                b"x",
                Expect::Fails(is_extism_failure, "the plugin's error and message"),
            ),
            entry("count_calls", b"", bytes(b"3")),
            entry("echo", &ALL_BYTES, bytes(&ALL_BYTES)),
        ],
        ..Case::BASE
    },
    Case {
        name: "small_echo",
        source: Source::Module("small_echo"),
        steps: &[
            entry("echo", b"hello", bytes(b"hello")),
            entry("upper", b"hello, caplet", bytes(b"HELLO, CAPLET")),
            entry("echo", &ALL_BYTES, bytes(&ALL_BYTES)),
            entry("echo", &FOUR_KIB, bytes(&FOUR_KIB)),
            entry("echo", b"", bytes(b"")),
            entry(
                "fail",
                b"x",
                Expect::Fails(
                    |e| guest_code(e, Code::InvalidInput),
                    "a guest INVALID_INPUT error",
                ),
            ),
        ],
        max_arena: Some(96 * 1024),
        ..Case::BASE
    },
    Case {
        name: "json_transform",
        source: Source::Module("json_transform"),
        steps: JSON_TRANSFORM_STEPS,
        ..Case::BASE
    },
    // json_transform's steps, in the small-plugin mode (serde-json-core, no
    // allocator, 1-byte pages): the same outputs in at most 160 KiB of arena.
    Case {
        name: "small_json",
        source: Source::Module("small_json"),
        steps: JSON_TRANSFORM_STEPS,
        max_arena: Some(160 * 1024),
        ..Case::BASE
    },
    Case {
        name: "compute",
        source: Source::Module("compute"),
        steps: &[
            entry("primes", b"1000", bytes(b"168")),
            entry(
                "sha256",
                b"abc",
                bytes(b"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            ),
            entry(
                "primes",
                b"many",
                Expect::Fails(
                    |e| guest_code(e, Code::InvalidInput),
                    "a guest INVALID_INPUT error",
                ),
            ),
            typed(
                "count_primes",
                &[Value::I32(10_000)],
                values(&[Value::I32(1229)]),
            ),
            typed(
                "fib",
                &[Value::I32(50)],
                values(&[Value::I64(12_586_269_025)]),
            ),
        ],
        ..Case::BASE
    },
    Case {
        name: "kv_counter",
        source: Source::Module("kv_counter"),
        grants: &["kv"],
        steps: &[
            entry("incr", b"", bytes(b"1")),
            entry("incr", b"", bytes(b"2")),
            entry("incr", b"other", bytes(b"1")),
            entry("get", b"", bytes(b"2")),
            entry("reset", b"", bytes(b"ok")),
            entry("get", b"", bytes(b"0")),
            // One key ("other") exists; the profile allows 64.
            entry("fill", b"k:63", bytes(b"63")),
            entry(
                "incr",
                b"one-too-many",
                Expect::Fails(
                    |e| guest_code(e, Code::Limit),
                    "a guest LIMIT error (key cap)",
                ),
            ),
            entry("get", b"k-62", bytes(b"62")),
        ],
        ..Case::BASE
    },
    Case {
        name: "logger",
        source: Source::Module("logger"),
        grants: &["log"],
        config: &[("prefix", "conformance: ")],
        steps: &[entry("log", b"five levels", bytes(b"5"))],
        ..Case::BASE
    },
    Case {
        name: "host_tour",
        source: Source::Module("host_tour"),
        grants: &["clock", "random", "emit:events.*"],
        steps: &[
            entry(
                "now",
                b"",
                Expect::Check(is_now_json, "{\"wall\":N,\"mono\":N} with wall > 0"),
            ),
            entry(
                "random",
                b"",
                Expect::Check(|o| is_hex(o, 64), "64 lower-case hex digits"),
            ),
            entry(
                "emit",
                br#"{"topic":"events.conformance","data":"hi"}"#,
                bytes(b"ok"),
            ),
            entry(
                "emit",
                br#"{"topic":"audit.log","data":"hi"}"#,
                Expect::Fails(
                    |e| guest_code(e, Code::PermissionDenied),
                    "a guest PERMISSION_DENIED error (topic outside the grant)",
                ),
            ),
            entry("config", b"greeting", bytes(b"hello")),
            entry(
                "config",
                b"absent",
                Expect::Fails(|e| guest_code(e, Code::NotFound), "a guest NOT_FOUND error"),
            ),
        ],
        ..Case::BASE
    },
    // ---- hostile plugins: every limit holds, the host survives ----
    Case {
        name: "hostile",
        source: Source::Module("hostile"),
        fuel: Some(1_000_000),
        steps: &[
            entry("spin", b"", Expect::Fails(is_out_of_fuel, "out of fuel")),
            entry("recurse", b"", Expect::Fails(is_trap, "a trap")),
            // Growth by 16 pages (1 MiB) never fits the 256 KiB budget: the guest
            // sees -1 and reports the pages it started with.
            entry("grow", b"", bytes(b"2")),
            entry(
                "bad_output",
                b"",
                Expect::Fails(is_contract_violation, "a contract violation"),
            ),
            entry("panic", b"", Expect::Fails(is_trap, "a trap")),
            // A trapped instance is re-instantiated: the next call works.
            entry("grow", b"", bytes(b"2")),
        ],
        ..Case::BASE
    },
    Case {
        name: "grow_bomb",
        source: Source::Module("grow_bomb.wat"),
        steps: &[
            // One page at a time until memory.grow returns -1: 256 KiB = 4 pages.
            typed("bomb", &[], values(&[Value::I32(4)])),
            typed("grow_huge", &[], values(&[Value::I32(-1)])),
        ],
        ..Case::BASE
    },
    Case {
        name: "spin",
        source: Source::Module("spin.wat"),
        fuel: Some(2_000_000),
        steps: &[typed(
            "spin",
            &[],
            Expect::Fails(is_out_of_fuel, "out of fuel"),
        )],
        ..Case::BASE
    },
    Case {
        name: "deep_recursion",
        source: Source::Module("deep_recursion.wat"),
        steps: &[typed(
            "recurse",
            &[Value::I32(0)],
            Expect::Fails(is_stack_overflow, "a call-stack-exhausted trap"),
        )],
        ..Case::BASE
    },
    // ---- refused at load, before anything is compiled ----
    Case {
        name: "ungranted_capability",
        source: Source::Module("kv_counter"),
        load_error: Some(Expect::Fails(is_kv_denied, "kv denied at load")),
        ..Case::BASE
    },
    Case {
        name: "unsupported_capability",
        source: Source::Module("echo"),
        grants: &["fs:read:/data"],
        load_error: Some(Expect::Fails(
            is_fs_unsupported,
            "fs:read unsupported by this host",
        )),
        ..Case::BASE
    },
    Case {
        name: "unsupported_http",
        source: Source::Module("http_fetch"),
        grants: &["net:outbound:example.com:443"],
        // Far below what compiling it needs: the capability is refused first.
        compile_budget: Some(16 * 1024),
        load_error: Some(Expect::Fails(
            |e| matches!(e, Error::CapabilityUnsupported { capability } if capability.starts_with("net:outbound")),
            "net:outbound unsupported by this host",
        )),
        ..Case::BASE
    },
    Case {
        name: "unsupported_env_and_secrets",
        source: Source::Module("echo"),
        grants: &["env:HOME", "secrets:read:token"],
        load_error: Some(Expect::Fails(
            |e| matches!(e, Error::CapabilityUnsupported { capability } if capability.starts_with("env:")),
            "env unsupported by this host (the first grant it cannot serve)",
        )),
        ..Case::BASE
    },
    Case {
        name: "unsupported_secrets",
        source: Source::Module("echo"),
        grants: &["secrets:read:token"],
        load_error: Some(Expect::Fails(
            |e| matches!(e, Error::CapabilityUnsupported { capability } if capability.starts_with("secrets:read")),
            "secrets:read unsupported by this host",
        )),
        ..Case::BASE
    },
    Case {
        name: "malformed",
        source: Source::Bytes(b"\0asm\x01\0\0\0\x01\x05\x01\x60\x01"),
        load_error: Some(Expect::Fails(is_bad_module, "a bad-module error")),
        ..Case::BASE
    },
    Case {
        name: "not_wasm",
        source: Source::Bytes(b"#!/bin/sh\necho not a module\n"),
        load_error: Some(Expect::Fails(is_bad_module, "a bad-module error")),
        ..Case::BASE
    },
    Case {
        name: "truncated",
        source: Source::Truncated("echo", 1000),
        load_error: Some(Expect::Fails(is_bad_module, "a bad-module error")),
        ..Case::BASE
    },
    Case {
        name: "wrong_digest",
        source: Source::Module("echo"),
        pin: Pin::Wrong,
        load_error: Some(Expect::Fails(is_digest_mismatch, "a digest mismatch")),
        ..Case::BASE
    },
    // ---- signed modules (a host with signature verification): a module loads
    // when its signature by a trusted key verifies, and is refused before it is
    // compiled when it was altered after signing, signed by another key, or not
    // signed ----
    #[cfg(feature = "signatures")]
    Case {
        name: "signed",
        source: Source::Bytes(ADD),
        trusted_keys: &[SIGNER],
        signature: Some(ADD_SIGNATURE),
        steps: &[typed(
            "add",
            &[Value::I32(2), Value::I32(3)],
            values(&[Value::I32(5)]),
        )],
        ..Case::BASE
    },
    #[cfg(feature = "signatures")]
    Case {
        name: "signed_altered",
        source: Source::Bytes(ADD_ALTERED),
        trusted_keys: &[SIGNER],
        signature: Some(ADD_SIGNATURE),
        load_error: Some(Expect::Fails(is_altered, "refused: altered after signing")),
        ..Case::BASE
    },
    #[cfg(feature = "signatures")]
    Case {
        name: "signed_by_another_key",
        source: Source::Bytes(ADD),
        trusted_keys: &[NOT_THE_SIGNER],
        signature: Some(ADD_SIGNATURE),
        load_error: Some(Expect::Fails(
            is_signer_untrusted,
            "refused: signer not trusted",
        )),
        ..Case::BASE
    },
    #[cfg(feature = "signatures")]
    Case {
        name: "signature_missing",
        source: Source::Bytes(ADD),
        trusted_keys: &[SIGNER],
        load_error: Some(Expect::Fails(is_unsigned, "refused: not signed")),
        ..Case::BASE
    },
    Case {
        name: "memory_minimum_too_large",
        source: Source::Module("big_memory.wat"),
        load_error: Some(Expect::Fails(
            is_too_large,
            "refused: minimum memory over the budget",
        )),
        ..Case::BASE
    },
    Case {
        name: "compile_budget",
        source: Source::Module("json_transform"),
        compile_budget: Some(32 * 1024),
        load_error: Some(Expect::Fails(
            is_compile_budget,
            "refused: over the compile budget",
        )),
        ..Case::BASE
    },
];
