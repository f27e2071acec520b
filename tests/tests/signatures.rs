//! Signed and pinned plugins: with `Trust::Required` a module loads only when its
//! digest is pinned or a trusted key signed it, and it is refused before it is
//! scanned or compiled otherwise.

use caplet_core::signature::{self, Signature};
use caplet_core::{Digest, Error, Limits, PluginConfig, PublicKey, Runtime, Trust, Verified};
use caplet_tests::{plugin, wat_str};
use ed25519_dalek::{Signer, SigningKey};

fn key(n: u8) -> SigningKey {
    SigningKey::from_bytes(&[n; 32])
}

fn public(k: &SigningKey) -> PublicKey {
    PublicKey(k.verifying_key().to_bytes())
}

fn sign(k: &SigningKey, signed: &[u8]) -> Signature {
    Signature {
        key: public(k),
        bytes: k.sign(&signature::message(&Digest::of(signed))).to_bytes(),
    }
}

fn embedded(k: &SigningKey, wasm: &[u8]) -> Vec<u8> {
    signature::embed(wasm, &sign(k, wasm))
}

fn trusting(keys: &[&SigningKey], digests: &[Digest]) -> Trust {
    Trust::Required {
        keys: keys.iter().map(|k| public(k)).collect(),
        digests: digests.to_vec(),
    }
}

fn load(wasm: &[u8], trust: Trust, sidecar: Option<Vec<u8>>) -> Result<caplet_core::Plugin, Error> {
    Runtime::default().load(
        wasm,
        PluginConfig {
            trust,
            signature: sidecar,
            ..Default::default()
        },
    )
}

#[test]
fn a_module_signed_by_a_trusted_key_loads_and_runs() {
    let k = key(7);
    let wasm = embedded(&k, &plugin("echo"));
    let p = load(&wasm, trusting(&[&key(1), &k], &[]), None).unwrap();
    assert_eq!(p.verified(), Verified::SignedBy(public(&k)));
    let mut i = p.instantiate().unwrap();
    assert_eq!(i.call("echo", b"signed").unwrap(), b"signed");
    // The manifest is still read from the module (the signature is the last section).
    assert_eq!(p.manifest().name, "echo");
}

#[test]
fn unsigned_and_unpinned_modules_are_refused_before_compiling() {
    // Not a loadable module at all past its header: a check that ran the scan or
    // the compiler first would report that instead.
    let broken = b"\0asm\x01\0\0\0\x01\xff\xff\xff\xff\x0f".to_vec();
    let e = load(&broken, trusting(&[&key(1)], &[]), None).unwrap_err();
    assert!(matches!(e, Error::Untrusted { .. }), "{e}");
    let wasm = plugin("echo");
    let e = load(&wasm, trusting(&[&key(1)], &[]), None).unwrap_err();
    assert!(matches!(e, Error::Untrusted { .. }), "{e}");
    assert!(e.to_string().contains("neither pinned nor signed"), "{e}");
    assert_eq!(e.kind(), caplet_core::ErrorKind::Module);
    // A module whose minimum memory exceeds the budget: still refused for trust.
    let big = wat_str(r#"(module (memory (export "memory") 60000))"#);
    let e = Runtime::default()
        .load(
            &big,
            PluginConfig {
                trust: trusting(&[&key(1)], &[]),
                limits: Limits::default(),
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(matches!(e, Error::Untrusted { .. }), "{e}");
}

#[test]
fn a_signed_but_invalid_module_passes_trust_and_fails_validation() {
    let k = key(2);
    // Valid sections, then a function body that does not validate.
    let bad = wat::parse_str(
        r#"(module (memory (export "memory") 1) (func (export "f") (result i32) (i32.const 1)))"#,
    )
    .unwrap();
    let mut bad = bad;
    // Flip the i32.const opcode (0x41) in the body to an unknown one.
    let pos = bad.iter().rposition(|&b| b == 0x41).unwrap();
    bad[pos] = 0xff;
    let signed = embedded(&k, &bad);
    let e = load(&signed, trusting(&[&k], &[]), None).unwrap_err();
    assert!(matches!(e, Error::BadModule { .. }), "{e}");
}

#[test]
fn tampering_with_a_signed_module_is_detected() {
    let k = key(3);
    let wasm = embedded(&k, &plugin("echo"));
    let mut tampered = wasm.clone();
    tampered[100] ^= 0x01;
    let e = load(&tampered, trusting(&[&k], &[]), None).unwrap_err();
    assert!(e.to_string().contains("does not match the module"), "{e}");
    // A section appended after the signature moves it off the end: refused.
    let mut appended = wasm.clone();
    appended.extend_from_slice(&[0, 4, 3, b'x', b'y', b'z']);
    let e = load(&appended, trusting(&[&k], &[]), None).unwrap_err();
    assert!(e.to_string().contains("last section"), "{e}");
    // Signed by a key nobody trusts.
    let e = load(&wasm, trusting(&[&key(4)], &[]), None).unwrap_err();
    assert!(e.to_string().contains("not a trusted key"), "{e}");
}

#[test]
fn sidecar_signatures_and_pinned_digests_are_accepted() {
    let k = key(5);
    let wasm = plugin("echo");
    let sidecar = sign(&k, &wasm).encode().to_vec();
    let p = load(&wasm, trusting(&[&k], &[]), Some(sidecar.clone())).unwrap();
    assert_eq!(p.verified(), Verified::SignedBy(public(&k)));
    // A sidecar for other bytes does not verify.
    let other = plugin("small_echo");
    assert!(load(&other, trusting(&[&k], &[]), Some(sidecar)).is_err());
    // A pinned digest needs no signature.
    let p = load(&other, trusting(&[], &[Digest::of(&other)]), None).unwrap();
    assert_eq!(p.verified(), Verified::Pinned);
    // Without a trust requirement nothing is checked, signed or not.
    let p = load(&embedded(&k, &wasm), Trust::Any, None).unwrap();
    assert_eq!(p.verified(), Verified::NotRequired);
}

#[test]
fn malformed_signatures_are_refused_with_a_reason() {
    let k = key(6);
    let wasm = plugin("echo");
    let mut sig = sign(&k, &wasm).encode();
    sig[0] = 9;
    let e = load(&wasm, trusting(&[&k], &[]), Some(sig.to_vec())).unwrap_err();
    assert!(e.to_string().contains("version 9"), "{e}");
    let e = load(&wasm, trusting(&[&k], &[]), Some(vec![1; 5])).unwrap_err();
    assert!(e.to_string().contains("97 bytes"), "{e}");
    // A trusted key that is not a valid curve point verifies nothing.
    let bogus = PublicKey([0xff; 32]);
    let mut forged = sign(&k, &wasm);
    forged.key = bogus;
    let e = load(
        &wasm,
        Trust::Required {
            keys: vec![bogus],
            digests: vec![],
        },
        Some(forged.encode().to_vec()),
    )
    .unwrap_err();
    assert!(e.to_string().contains("does not match"), "{e}");
}
