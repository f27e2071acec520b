//! `echo`: the smallest useful plugin. No capabilities.
//!
//! Entry points: `echo` (input unchanged, written into the kit's output
//! buffer: no allocation per call), `echo_vec` (the same in the easy form that
//! returns a `Vec`), `upper` (ASCII-uppercased), `fail` (always
//! `INVALID_INPUT`), `empty` (empty output).
//! Typed export: `add(a: i32, b: i32) -> i32`.

use caplet_guest::{Error, Output};

caplet_guest::manifest!(
    r#"{
  "name": "echo",
  "version": "1.0.0",
  "description": "Echoes, uppercases, fails on request; typed add",
  "entrypoints": ["echo", "echo_vec", "upper", "fail", "empty"],
  "capabilities": []
}"#
);

fn echo(input: &[u8], out: &mut Output) -> Result<(), Error> {
    out.extend_from_slice(input);
    Ok(())
}

fn echo_vec(input: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(input.to_vec())
}

fn upper(input: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(input.to_ascii_uppercase())
}

fn fail(_input: &[u8]) -> Result<Vec<u8>, Error> {
    Err(Error::invalid_input("fail was asked to fail"))
}

fn empty(_input: &[u8]) -> Result<Vec<u8>, Error> {
    Ok(Vec::new())
}

caplet_guest::entrypoint!(echo, echo_vec, upper, fail, empty);

/// Typed export: `caplet run echo.wasm --call add --i32 2 --i32 3` prints `5`.
#[no_mangle]
pub extern "C" fn add(a: i32, b: i32) -> i32 {
    a.wrapping_add(b)
}
