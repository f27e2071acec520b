//! The one module of caplet-core with `unsafe` code: compiling a module without
//! validating it, for builds without the `validate` feature.
//!
//! Such a build accepts only modules whose origin the load checked first
//! ([`crate::Trust::Required`]): a digest the operator pinned, or a signature by
//! a key the operator trusts. `caplet sign` validates a module before it signs it,
//! and pinning a digest is the operator's statement that the module was validated
//! on a host (`caplet verify`, `caplet inspect`, or a load by a validating build).
//! Skipping validation on the device then drops wasmparser's validator from the
//! firmware.

use wasmi::{Engine, Module};

use crate::signature::Verified;

/// Compiles `wasm` without validating it. `proof` is how the load verified the
/// module's origin; [`Verified::NotRequired`] is refused (never compiled).
pub(crate) fn compile(
    engine: &Engine,
    wasm: &[u8],
    proof: Verified,
) -> Result<Module, wasmi::Error> {
    if matches!(proof, Verified::NotRequired) {
        return Err(wasmi::Error::new(
            "refusing to compile an unverified module without validation",
        ));
    }
    // SAFETY: `Module::new_unchecked` requires `wasm` to be a valid module. The
    // load checked `wasm`'s origin before anything read it (`proof` is a pinned
    // digest or a trusted signature, never `NotRequired`, checked just above):
    // these are the bytes a host validated when it signed them or when the
    // operator pinned their digest. The only change since is Caplet's own
    // `start::detach`, which moves a start function to an export and keeps a
    // valid module valid. wasmi's unchecked compile still bounds-checks what it
    // decodes; validation is what it skips.
    unsafe { Module::new_unchecked(engine, wasm) }
}

#[cfg(test)]
mod tests {
    use alloc::string::ToString;
    use alloc::vec;

    use crate::{Digest, Error, PluginConfig, Runtime, Trust, Value, Verified};

    const ADD: &str = r#"(module (memory (export "memory") 1)
        (func (export "add") (param i32 i32) (result i32)
            (i32.add (local.get 0) (local.get 1))))"#;

    fn pinned(wasm: &[u8]) -> PluginConfig {
        PluginConfig {
            trust: Trust::Required {
                keys: vec![],
                digests: vec![Digest::of(wasm)],
            },
            ..Default::default()
        }
    }

    #[test]
    fn without_validation_only_pinned_modules_load() {
        let wasm = wat::parse_str(ADD).unwrap();
        let e = Runtime::default()
            .load(&wasm, PluginConfig::default())
            .unwrap_err();
        assert!(matches!(e, Error::Untrusted { .. }), "{e}");
        assert!(e.to_string().contains("`validate` feature"), "{e}");
        let p = Runtime::default().load(&wasm, pinned(&wasm)).unwrap();
        assert_eq!(p.verified(), Verified::Pinned);
        let mut i = p.instantiate().unwrap();
        assert_eq!(
            i.call_typed("add", &[Value::I32(2), Value::I32(3)])
                .unwrap(),
            [Value::I32(5)]
        );
    }

    #[test]
    fn an_unpinned_module_is_refused_before_anything_reads_it() {
        // Garbage after the header: a build that parsed it would say so.
        let garbage = b"\0asm\x01\0\0\0\xff\xff\xff".to_vec();
        let e = Runtime::default()
            .load(&garbage, PluginConfig::default())
            .unwrap_err();
        assert!(matches!(e, Error::Untrusted { .. }), "{e}");
        // Pinned to other bytes: refused as well.
        let wasm = wat::parse_str(ADD).unwrap();
        let e = Runtime::default()
            .load(&garbage, pinned(&wasm))
            .unwrap_err();
        assert!(matches!(e, Error::Untrusted { .. }), "{e}");
    }

    #[test]
    fn the_unchecked_compile_refuses_an_unverified_module() {
        let wasm = wat::parse_str(ADD).unwrap();
        let engine = wasmi::Engine::default();
        assert!(super::compile(&engine, &wasm, Verified::NotRequired).is_err());
        assert!(super::compile(&engine, &wasm, Verified::Pinned).is_ok());
    }
}
