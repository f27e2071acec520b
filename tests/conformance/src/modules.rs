// Included by `lib.rs` and by `targets/board/build.rs`: one list for both.

/// The fixture modules a host must supply, by name. Rust plugins are built from
/// `tests/plugins/<name>`; names ending in `.wat` are the fixtures of `tests/fixtures/`.
pub const MODULES: &[&str] = &[
    "echo",
    "json_transform",
    "compute",
    "kv_counter",
    "logger",
    "host_tour",
    "hostile",
    "http_fetch",
    "grow_bomb.wat",
    "spin.wat",
    "deep_recursion.wat",
    "big_memory.wat",
    "wasi_command.wat",
    "board_app",
    "small_echo",
    "small_json",
    "extism_board",
];
