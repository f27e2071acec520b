//! ABI profiles: each translates one import module's calling convention (guest
//! memory in, its own error encoding out) to calls of the host
//! [`services`](crate::services). A profile never checks a capability, a cap or a
//! scope itself and never calls the platform: the services do.
//!
//! | profile | import module | denial |
//! | --- | --- | --- |
//! | [`caplet`] | `caplet` (contract v1) | `-PERMISSION_DENIED` |
//! | [`wasi`] | `wasi_snapshot_preview1` | errno `notcapable` |
//! | [`extism`] | `extism:host/env` (Extism's PDKs) | the call fails |
//!
//! A module may import from several profiles at once (a `wasm32-wasip1` plugin
//! built with the guest kit imports both). [`IMPORTS`] lists every import of every
//! profile with the service and capabilities it reaches.

pub(crate) mod app;
pub mod caplet;
#[cfg(feature = "extism")]
pub mod extism;
pub mod wasi;

/// The import module of Extism plugins (the [`Profile::Extism`] profile; its
/// functions are in `extism` with caplet-core's `extism` feature).
pub const EXTISM_MODULE: &str = "extism:host/env";

/// The initialisers an Extism host runs once per instance, as Extism does: the
/// first of `__wasm_call_ctors` and `_initialize` a plugin exports; for a Haskell
/// plugin (it exports `hs_init`), `_initialize` and then `hs_init(0, 0)`.
pub const EXTISM_INITIALIZERS: [&str; 3] = ["__wasm_call_ctors", "_initialize", "hs_init"];

/// Whether a module importing from `modules` is an Extism plugin.
pub fn is_extism<'a>(mut modules: impl Iterator<Item = &'a str>) -> bool {
    modules.any(|m| m == EXTISM_MODULE)
}

/// Every import of the Extism profile (none in a build without it).
fn extism_imports() -> &'static [ImportSpec] {
    #[cfg(feature = "extism")]
    return extism::IMPORTS;
    #[cfg(not(feature = "extism"))]
    return &[];
}

use core::ops::Range;

use wasmi::{Engine, Linker};

use crate::capability::Kind;
use crate::error::Code;
use crate::inspect::{Signature, ValType};
use crate::state::HostState;

/// An ABI profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Profile {
    /// Contract v1, import module `caplet`.
    Caplet,
    /// WASI preview 1, import module `wasi_snapshot_preview1`.
    Wasi,
    /// Extism's host ABI, import module `extism:host/env`.
    Extism,
}

impl Profile {
    /// Every profile.
    pub const ALL: [Profile; 3] = [Profile::Caplet, Profile::Wasi, Profile::Extism];

    /// The import module the profile defines.
    pub const fn module(self) -> &'static str {
        match self {
            Profile::Caplet => caplet::MODULE,
            Profile::Wasi => wasi::MODULE,
            Profile::Extism => EXTISM_MODULE,
        }
    }

    /// Whether importing a function whose capability is not granted fails the load
    /// (contract v1), rather than only each call (WASI, where a default-built
    /// program imports functions it may never call).
    pub const fn checks_imports_at_load(self) -> bool {
        matches!(self, Profile::Caplet)
    }
}

/// One import of a profile.
#[derive(Debug)]
pub struct ImportSpec {
    /// The profile.
    pub profile: Profile,
    /// The function's name.
    pub name: &'static str,
    /// Parameter types.
    pub params: &'static [ValType],
    /// Result types.
    pub results: &'static [ValType],
    /// The service the import calls (`None`: it only touches the instance's own
    /// state, such as `set_error` or WASI's `args_get`).
    pub service: Option<&'static str>,
    /// The capabilities a call may need (empty: none). An import of the `caplet`
    /// profile has at most one, which its load check requires.
    pub capabilities: &'static [Kind],
}

impl ImportSpec {
    /// An entry of a profile's import table.
    pub(crate) const fn new(
        profile: Profile,
        name: &'static str,
        params: &'static [ValType],
        results: &'static [ValType],
        service: Option<&'static str>,
        capabilities: &'static [Kind],
    ) -> Self {
        ImportSpec {
            profile,
            name,
            params,
            results,
            service,
            capabilities,
        }
    }

    /// The wasm signature.
    pub fn signature(&self) -> Signature {
        Signature {
            params: self.params.to_vec(),
            results: self.results.to_vec(),
        }
    }
}

/// Every import of every profile.
pub fn imports() -> impl Iterator<Item = &'static ImportSpec> {
    caplet::IMPORTS
        .iter()
        .chain(wasi::IMPORTS.iter())
        .chain(extism_imports().iter())
}

/// The import `module.name`, if a profile defines it.
pub fn resolve(module: &str, name: &str) -> Option<&'static ImportSpec> {
    let table = match module {
        caplet::MODULE => caplet::IMPORTS,
        wasi::MODULE => wasi::IMPORTS,
        EXTISM_MODULE => extism_imports(),
        _ => return None,
    };
    table.iter().find(|s| s.name == name)
}

/// The caplet-core feature this build lacks for import `spec`: its profile's (WASI)
/// or its service's (`fs`, `http`, `env`, `secrets`, `exec`). Such an import is
/// refused at load, naming the feature; its code is not in the build.
pub fn missing_feature(spec: &ImportSpec) -> Option<&'static str> {
    if spec.profile == Profile::Wasi && !cfg!(feature = "wasi") {
        return Some("wasi");
    }
    let built = match spec.service? {
        "fs" => cfg!(feature = "fs"),
        "http" => cfg!(feature = "http"),
        "env" => cfg!(feature = "env"),
        "secrets" => cfg!(feature = "secrets"),
        "exec" => cfg!(feature = "exec"),
        _ => true,
    };
    (!built).then_some(spec.service?)
}

/// The profile whose import module is `module`.
pub fn profile_of(module: &str) -> Option<Profile> {
    Profile::ALL.into_iter().find(|p| p.module() == module)
}

/// Builds the linker holding every import of every profile, and the
/// application's functions (whose modules [`AppFunctions::new`] keeps apart from
/// the profiles' and the runtime keeps apart from each other).
pub(crate) fn linker(
    engine: &Engine,
    apps: &[crate::services::app::AppFunctions],
) -> Linker<HostState> {
    let mut l = Linker::<HostState>::new(engine);
    // Every definition is unique and well-typed: these cannot fail, and a failure
    // would be a bug caught by every test that loads a plugin (and by
    // the test that instantiates a module importing every import).
    let _ = caplet::define(&mut l);
    #[cfg(feature = "wasi")]
    let _ = wasi::define(&mut l);
    #[cfg(feature = "extism")]
    let _ = extism::define(&mut l);
    for set in apps {
        let _ = app::define(&mut l, set);
    }
    l
}

/// The byte range `ptr..ptr+len` (both read as u32) if it lies inside a memory of
/// `mem_len` bytes.
pub fn guest_range(mem_len: usize, ptr: i32, len: i32) -> Option<Range<usize>> {
    let start = ptr as u32 as usize;
    let end = start.checked_add(len as u32 as usize)?;
    (end <= mem_len).then_some(start..end)
}

/// The guest bytes `ptr..ptr+len`: `LIMIT` when `len` is over `cap`, then
/// `INVALID_INPUT` when outside the memory.
pub(crate) fn bytes_at(mem: &[u8], ptr: i32, len: i32, cap: u32) -> Result<&[u8], Code> {
    if len as u32 > cap {
        return Err(Code::Limit);
    }
    guest_range(mem.len(), ptr, len)
        .map(|r| &mem[r])
        .ok_or(Code::InvalidInput)
}

/// [`bytes_at`] as UTF-8 (`INVALID_INPUT` otherwise).
pub(crate) fn str_at(mem: &[u8], ptr: i32, len: i32, cap: u32) -> Result<&str, Code> {
    core::str::from_utf8(bytes_at(mem, ptr, len, cap)?).map_err(|_| Code::InvalidInput)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guest_ranges_are_checked_in_both_directions() {
        assert_eq!(guest_range(100, 10, 20), Some(10..30));
        assert_eq!(guest_range(100, 90, 10), Some(90..100));
        assert_eq!(guest_range(100, 90, 11), None);
        assert_eq!(guest_range(100, -1, 1), None);
        assert_eq!(guest_range(100, 0, -1), None);
        assert_eq!(guest_range(100, i32::MAX, i32::MAX), None);
        assert_eq!(guest_range(100, 100, 0), Some(100..100));
    }

    #[test]
    fn every_import_is_listed_once() {
        let mut seen = alloc::vec::Vec::new();
        for spec in imports() {
            let key = (spec.profile.module(), spec.name);
            assert!(!seen.contains(&key), "{key:?} listed twice");
            seen.push(key);
            assert_eq!(resolve(key.0, key.1).map(|s| s.name), Some(spec.name));
            if spec.profile == Profile::Caplet {
                assert!(spec.capabilities.len() <= 1);
            }
        }
    }

    /// A build without a service's (or WASI's) feature refuses a module importing
    /// its functions at load, naming the feature. Runs in the test command's build
    /// of caplet-core without default features (`compiled_out` filter).
    #[cfg(not(all(feature = "fs", feature = "wasi")))]
    #[test]
    fn compiled_out_imports_are_refused_at_load_naming_the_feature() {
        use crate::{Digest, Error, PluginConfig, Runtime, Trust};
        use alloc::{string::ToString, vec};
        let load = |wat: &str| {
            let wasm = wat::parse_str(wat).unwrap();
            // Pinned, so that a build without validation loads it too.
            let cfg = PluginConfig {
                trust: Trust::Required {
                    keys: vec![],
                    digests: vec![Digest::of(&wasm)],
                },
                ..Default::default()
            };
            Runtime::default().load(&wasm, cfg)
        };
        #[cfg(not(feature = "fs"))]
        {
            let e = load(
                r#"(module (import "caplet" "fs_read" (func (param i32 i32) (result i64)))
                    (memory (export "memory") 1))"#,
            )
            .err()
            .expect("refused");
            assert!(
                matches!(&e, Error::UnknownImport { import, reason }
                    if import == "caplet.fs_read"
                        && reason.contains("no `fs` service (caplet-core's `fs` feature)")),
                "{e}"
            );
        }
        #[cfg(not(feature = "wasi"))]
        {
            let e = load(
                r#"(module (import "wasi_snapshot_preview1" "fd_write"
                        (func (param i32 i32 i32 i32) (result i32)))
                    (memory (export "memory") 1))"#,
            )
            .err()
            .expect("refused");
            assert!(
                matches!(&e, Error::UnknownImport { import, reason }
                    if import == "wasi_snapshot_preview1.fd_write"
                        && reason.contains("no WASI profile (caplet-core's `wasi` feature)")),
                "{e}"
            );
        }
        // The functions the build has still load.
        let ok = load(
            r#"(module (import "caplet" "set_error" (func (param i32 i32)))
                (memory (export "memory") 1))"#,
        );
        assert!(
            ok.is_ok(),
            "{}",
            ok.err().map(|e| e.to_string()).unwrap_or_default()
        );
    }
}
