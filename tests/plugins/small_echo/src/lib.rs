//! `small_echo`: a plugin in the kit's small-plugin mode (`no_std`, no
//! allocator, 1-byte memory pages): a module of a few hundred bytes that runs
//! in a few KiB of memory, for boards.
//!
//! Entry points: `echo` (input unchanged), `upper` (ASCII-uppercased), `fail`
//! (always `INVALID_INPUT`).
#![no_std]

use caplet_guest::{Error, Output};

caplet_guest::manifest!(
    r#"{
  "name": "small_echo",
  "version": "1.0.0",
  "description": "Echo in the small-plugin mode",
  "entrypoints": ["echo", "upper", "fail"],
  "capabilities": []
}"#
);

fn echo(input: &[u8], out: &mut Output) -> Result<(), Error> {
    out.try_extend_from_slice(input)
}

fn upper(input: &[u8], out: &mut Output) -> Result<(), Error> {
    for b in input {
        out.push(b.to_ascii_uppercase())?;
    }
    Ok(())
}

fn fail(_input: &[u8], _out: &mut Output) -> Result<(), Error> {
    Err(Error::invalid_input("fail was asked to fail"))
}

caplet_guest::entrypoint!(echo, upper, fail);
