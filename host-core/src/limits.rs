//! Limits: fuel, memory, sizes and counts. Every default is documented here and in
//! `docs/plugin-authoring.md`; the defaults are sized for a microcontroller-class host (the
//! "default embedded settings"), a server raises them explicitly.

/// Per-plugin limits. Build with [`Limits::default()`] and the `with_*` setters or
/// by setting fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Limits {
    /// Fuel budget of one call (entry, typed export, `_initialize`). Default 10,000,000.
    pub fuel_per_call: u64,
    /// Fuel of one slice; the [`SliceHook`](crate::SliceHook) runs between slices.
    /// Default 1,000,000.
    pub fuel_slice: u64,
    /// Linear-memory bytes one instance may hold (initial + grown). Default 1 MiB.
    pub memory_bytes: u64,
    /// Table elements one instance may hold. Default 10,000.
    pub table_elements: u32,
    /// Tables one instance may define. Default 4.
    pub max_tables: u32,
    /// Module size in bytes. Default 1 MiB.
    pub max_module_bytes: u32,
    /// Heap bytes the host may spend compiling the module (estimated before compiling,
    /// see [`compile_estimate`](crate::inspect::ModuleInfo::compile_estimate)). Default 8 MiB.
    pub compile_memory_bytes: u64,
    /// Functions (imported + defined) a module may declare. Default 10,000.
    pub max_functions: u32,
    /// Types a module may declare. Default 2,000.
    pub max_types: u32,
    /// Globals a module may declare. Default 1,000.
    pub max_globals: u32,
    /// Data segments a module may declare. Default 1,000.
    pub max_data_segments: u32,
    /// Element segments a module may declare. Default 1,000.
    pub max_element_segments: u32,
    /// Imports a module may declare. Default 100.
    pub max_imports: u32,
    /// Exports a module may declare. Default 1,000.
    pub max_exports: u32,
    /// Call input bytes. Default 1 MiB.
    pub max_input_bytes: u32,
    /// Call output bytes. Default 1 MiB.
    pub max_output_bytes: u32,
    /// Bytes of one log line; longer lines are refused with `LIMIT`. Default 4 KiB.
    pub max_log_line_bytes: u32,
    /// Bytes of a `set_error` message; longer messages are truncated. Default 1 KiB.
    pub max_error_message_bytes: u32,
    /// Bytes of a config key or value. Default 4 KiB.
    pub max_config_bytes: u32,
    /// Bytes of a KV key. Default 256.
    pub max_kv_key_bytes: u32,
    /// Bytes of a KV value. Default 64 KiB.
    pub max_kv_value_bytes: u32,
    /// Keys in one plugin's KV namespace. Default 1,024.
    pub max_kv_keys: u32,
    /// Bytes of an emitted topic. Default 256.
    pub max_topic_bytes: u32,
    /// Bytes of emitted data. Default 64 KiB.
    pub max_emit_bytes: u32,
    /// Bytes one `random_fill` may ask for. Default 64 KiB.
    pub max_random_bytes: u32,
    /// Bytes of a guest path, env or secret name. Default 4 KiB.
    pub max_name_bytes: u32,
    /// Bytes of a file read, HTTP request/response body, env or secret value returned
    /// to the guest. Default 1 MiB.
    pub max_host_result_bytes: u32,
    /// Bytes of the Extism vars of one instance (keys and values); `var_set` past
    /// it fails the call, as Extism's `max_var_bytes`. Default 64 KiB.
    pub max_var_bytes: u32,
    /// Host calls one guest call may make. Default 1,000,000.
    pub max_host_calls: u64,
    /// Bytes a plugin may write beneath its mapped directories, over the life of
    /// the loaded plugin (all its instances and calls): file writes, WASI writes and
    /// growth by `set_size`. Past it a write fails with `LIMIT` (WASI: `dquot`).
    /// Default 64 MiB.
    pub write_quota_bytes: u64,
    /// Files, directories and links a plugin may create beneath its mapped
    /// directories, over the life of the loaded plugin. Default 1,000.
    pub write_quota_files: u32,
    /// Bytes of each of stdout and stderr captured from a program run by `exec`;
    /// past it the program's process group is killed. Default 1 MiB.
    pub max_exec_output_bytes: u32,
    /// Wall-clock limit of one `exec` in milliseconds (a request may ask for
    /// less). Default 10,000.
    pub exec_timeout_ms: u64,
}

const KIB: u32 = 1024;
const MIB: u32 = 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            fuel_per_call: 10_000_000,
            fuel_slice: 1_000_000,
            memory_bytes: MIB as u64,
            table_elements: 10_000,
            max_tables: 4,
            max_module_bytes: MIB,
            compile_memory_bytes: 8 * MIB as u64,
            max_functions: 10_000,
            max_types: 2_000,
            max_globals: 1_000,
            max_data_segments: 1_000,
            max_element_segments: 1_000,
            max_imports: 100,
            max_exports: 1_000,
            max_input_bytes: MIB,
            max_output_bytes: MIB,
            max_log_line_bytes: 4 * KIB,
            max_error_message_bytes: KIB,
            max_config_bytes: 4 * KIB,
            max_kv_key_bytes: 256,
            max_kv_value_bytes: 64 * KIB,
            max_kv_keys: 1_024,
            max_topic_bytes: 256,
            max_emit_bytes: 64 * KIB,
            max_random_bytes: 64 * KIB,
            max_name_bytes: 4 * KIB,
            max_host_result_bytes: MIB,
            max_var_bytes: 64 * KIB,
            max_host_calls: 1_000_000,
            write_quota_bytes: 64 * MIB as u64,
            write_quota_files: 1_000,
            max_exec_output_bytes: MIB,
            exec_timeout_ms: 10_000,
        }
    }
}

impl Limits {
    /// Sets the fuel budget of one call.
    pub fn with_fuel(mut self, fuel: u64) -> Self {
        self.fuel_per_call = fuel;
        self
    }

    /// Sets the linear-memory budget of one instance, in bytes.
    pub fn with_memory(mut self, bytes: u64) -> Self {
        self.memory_bytes = bytes;
        self
    }

    /// Sets the fuel slice (clamped to at least 1).
    pub fn with_fuel_slice(mut self, fuel: u64) -> Self {
        self.fuel_slice = fuel.max(1);
        self
    }
}

/// Limits of the interpreter itself, fixed per [`Runtime`](crate::Runtime).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct EngineLimits {
    /// Nested wasm calls before a call traps with a stack overflow. Default 512.
    pub max_recursion_depth: u32,
    /// Bytes of the interpreter's value stack (heap-allocated, grown on demand).
    /// Default 256 KiB.
    pub max_stack_bytes: u32,
}

impl Default for EngineLimits {
    fn default() -> Self {
        EngineLimits {
            max_recursion_depth: 512,
            max_stack_bytes: 256 * KIB,
        }
    }
}

/// Parses a size: plain bytes or with a `KiB`/`MiB`/`GiB` (or `K`/`M`/`G`) suffix.
pub fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: u64 = num.parse().ok()?;
    let mult: u64 = match unit.trim() {
        "" | "B" => 1,
        "K" | "KiB" | "k" | "kib" => 1 << 10,
        "M" | "MiB" | "mib" => 1 << 20,
        "G" | "GiB" | "gib" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_suffixes() {
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("16MiB"), Some(16 << 20));
        assert_eq!(parse_size("64KiB"), Some(64 << 10));
        assert_eq!(parse_size("1GiB"), Some(1 << 30));
        assert_eq!(parse_size("2 M"), Some(2 << 20));
        assert_eq!(parse_size("12XB"), None);
        assert_eq!(parse_size("MiB"), None);
        assert_eq!(parse_size("99999999999999999999GiB"), None);
    }
}
