//! The calling convention of entry points, used by the export macros.

use std::cell::Cell;
use std::mem::ManuallyDrop;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::abi;
use crate::error::Error;
use crate::json;
use crate::output::Output;
use crate::sys::{self, CallInput};

// `ManuallyDrop` keeps these thread-locals free of destructors, and with them
// of the registration and state checks a destructor costs on every access (a
// wasm instance never runs thread-local destructors anyway).
thread_local! {
    /// The output of the previous entry call of the `Vec` form. The host has
    /// copied it by the time it makes the next call, so it is freed then.
    static LAST_OUTPUT: Cell<ManuallyDrop<Vec<u8>>> = const { Cell::new(ManuallyDrop::new(Vec::new())) };

    /// The kit-owned output buffer of the [`Output`] form: cleared by each call,
    /// its capacity kept for the next one (up to [`MAX_KEPT_OUTPUT`]).
    static OUTPUT: Cell<ManuallyDrop<Vec<u8>>> = const { Cell::new(ManuallyDrop::new(Vec::new())) };
}

/// The largest output buffer kept for the next call.
const MAX_KEPT_OUTPUT: usize = 1 << 20;

/// The two forms of an entry-point function, told apart by their signature.
/// Implemented for:
///
/// * `fn(&[u8]) -> Result<O, Error>` with `O: Into<Vec<u8>>` — the easy form;
/// * `fn(&[u8], &mut Output) -> Result<(), Error>` — the form without an
///   allocation per call: the output is written into a buffer the kit owns
///   and reuses.
///
/// The `Form` parameter only keeps the two implementations apart.
pub trait Entry<Form> {
    /// Runs the function on the call's input and returns the call's result
    /// under the contract.
    #[doc(hidden)]
    fn run(self, input: CallInput) -> i64;
}

/// Marker of the `fn(&[u8]) -> Result<O, Error>` form.
#[doc(hidden)]
pub enum Returns {}

/// Marker of the `fn(&[u8], &mut Output) -> Result<(), Error>` form.
#[doc(hidden)]
pub enum Writes {}

impl<F, O> Entry<Returns> for F
where
    F: FnOnce(&[u8]) -> Result<O, Error>,
    O: Into<Vec<u8>>,
{
    #[inline]
    fn run(self, input: CallInput) -> i64 {
        let result = self(input.bytes());
        sys::end_call(input);
        match result {
            Ok(output) => finish_returned(output.into()),
            Err(e) => fail(e),
        }
    }
}

impl<F> Entry<Writes> for F
where
    F: FnOnce(&[u8], &mut Output) -> Result<(), Error>,
{
    #[inline]
    fn run(self, input: CallInput) -> i64 {
        let mut out = take_output();
        let result = self(input.bytes(), &mut out);
        sys::end_call(input);
        match result {
            Ok(()) => finish_written(out),
            Err(e) => fail_written(out, e),
        }
    }
}

/// Runs an entry point under the contract: takes the input buffer, runs `f`,
/// and packs its output (kept until the next call) or reports its error. This
/// is what [`entrypoint!`](crate::entrypoint) expands to.
///
/// Under an interpreter every guest instruction is paid for, and wasmi charges
/// a function's fuel on entry for all its code outside loops and `if`s, taken
/// or not: the work is split into small shared functions whose error paths are
/// cold functions of their own.
#[inline]
pub fn run_entry<F, Form>(ptr: i32, len: i32, f: F) -> i64
where
    F: Entry<Form>,
{
    match sys::begin_call(ptr as u32 as usize, len) {
        Some(input) => f.run(input),
        None => refused_input(len),
    }
}

/// The kit's output buffer, empty, for the [`Output`] form.
#[inline]
fn take_output() -> Output {
    let mut buf = ManuallyDrop::into_inner(OUTPUT.with(Cell::take));
    if buf.capacity() > MAX_KEPT_OUTPUT {
        buf = shrink(buf);
    }
    buf.clear();
    Output::new(buf)
}

#[cold]
#[inline(never)]
fn shrink(buf: Vec<u8>) -> Vec<u8> {
    drop(buf);
    Vec::new()
}

/// Keeps the written output until the next call and returns it packed.
#[inline]
fn finish_written(out: Output) -> i64 {
    let buf = out.into_inner();
    let packed = pack(&buf);
    OUTPUT.with(|o| o.set(ManuallyDrop::new(buf)));
    match packed {
        Some(packed) => packed,
        None => too_large(),
    }
}

/// Keeps the returned output until the next call (freeing the previous one,
/// which the host has copied) and returns it packed.
#[inline(never)]
fn finish_returned(output: Vec<u8>) -> i64 {
    let packed = pack(&output);
    drop(ManuallyDrop::into_inner(
        LAST_OUTPUT.with(|o| o.replace(ManuallyDrop::new(output))),
    ));
    match packed {
        Some(packed) => packed,
        None => too_large(),
    }
}

/// Packs `bytes` as the call's result; `None` when they do not fit the
/// contract's 32-bit `(ptr, len)`.
#[inline]
fn pack(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() {
        return Some(0);
    }
    let ptr = u32::try_from(bytes.as_ptr() as usize).ok()?;
    abi::pack(ptr, u32::try_from(bytes.len()).ok()?)
}

#[cold]
#[inline(never)]
fn refused_input(len: i32) -> i64 {
    fail(if len < 0 {
        Error::invalid_input(format!("negative input length {len}"))
    } else {
        Error::invalid_input("input buffer was not allocated with caplet_alloc for this call")
    })
}

#[cold]
#[inline(never)]
fn too_large() -> i64 {
    fail(Error::limit(
        "output does not fit the contract's 32-bit (ptr, len)",
    ))
}

#[cold]
#[inline(never)]
fn fail_written(out: Output, error: Error) -> i64 {
    OUTPUT.with(|o| o.set(ManuallyDrop::new(out.into_inner())));
    fail(error)
}

/// Reports `error` to the host and returns `-(code)`.
#[cold]
#[inline(never)]
fn fail(error: Error) -> i64 {
    if !error.message.is_empty() {
        sys::set_error(error.message.as_bytes());
    }
    error.to_return_value()
}

/// Like [`run_entry`] for a JSON-in, JSON-out function. Input that does not
/// parse as `I` fails with `INVALID_INPUT` and serde's message; an empty input
/// is read as JSON `null`. The output is encoded into the kit's output buffer.
/// This is what [`json_entrypoint!`](crate::json_entrypoint) expands to.
pub fn run_json_entry<F, I, O>(ptr: i32, len: i32, f: F) -> i64
where
    F: FnOnce(I) -> Result<O, Error>,
    I: DeserializeOwned,
    O: Serialize,
{
    run_entry(ptr, len, |bytes: &[u8], out: &mut Output| {
        let input: I = json::parse(bytes)?;
        let output = f(input)?;
        json::to_writer(&mut *out, &output)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn shout(input: &[u8]) -> Result<Vec<u8>, Error> {
        if input.is_empty() {
            return Ok(Vec::new());
        }
        Err(Error::invalid_input("nope"))
    }

    #[test]
    fn empty_input_and_output() {
        assert_eq!(run_entry(0, 0, shout), 0);
    }

    #[test]
    fn errors_become_negative_codes() {
        // An input buffer from caplet_alloc; on 64-bit test machines its
        // address does not fit an i32, so the claim is refused either way
        // and the input is reported as invalid (code 3) and freed.
        let ptr = sys::alloc_tracked(1);
        assert_eq!(run_entry(ptr as usize as i32, 1, shout), -3);
        assert_eq!(sys::pending_count(), 0, "abandoned input is swept");
        // The arena's input, likewise above 4 GiB on a 64-bit test machine.
        let ptr = sys::alloc(4);
        assert_eq!(run_entry(ptr as usize as i32, 4, shout), -3);
        assert_eq!(run_entry(0, -5, shout), -3);
        assert_eq!(run_entry(0x1000, 4, shout), -3, "unknown input buffer");
        let code = run_entry(0, 0, |_: &[u8]| -> Result<Vec<u8>, Error> {
            Err(ErrorCode::Timeout.into())
        });
        assert_eq!(code, -5);
    }

    #[test]
    fn output_form_writes_into_the_kept_buffer() {
        fn hello(input: &[u8], out: &mut Output) -> Result<(), Error> {
            assert!(out.is_empty(), "each call starts with an empty output");
            out.extend_from_slice(b"hello");
            out.extend_from_slice(input);
            Ok(())
        }
        // Native addresses do not fit 32 bits: the output is refused as too
        // large for the contract, after `hello` ran.
        assert_eq!(run_entry(0, 0, hello), -6);
        let kept = OUTPUT.with(|o| {
            let b = o.take();
            let cap = b.capacity();
            o.set(b);
            cap
        });
        assert!(kept >= 5, "the output buffer's capacity is kept");
        fn nothing(_: &[u8], _: &mut Output) -> Result<(), Error> {
            Ok(())
        }
        assert_eq!(run_entry(0, 0, nothing), 0, "empty output packs as 0");
        fn refuse(_: &[u8], out: &mut Output) -> Result<(), Error> {
            out.extend_from_slice(b"partial");
            Err(Error::invalid_input("no"))
        }
        assert_eq!(run_entry(0, 0, refuse), -3);
    }

    #[test]
    fn an_output_buffer_over_the_cap_is_not_kept() {
        OUTPUT.with(|o| o.set(ManuallyDrop::new(Vec::with_capacity(MAX_KEPT_OUTPUT + 1))));
        let out = take_output();
        assert!(out.is_empty());
        assert_eq!(out.capacity(), 0, "the oversized buffer was freed");
        OUTPUT.with(|o| o.set(ManuallyDrop::new(Vec::with_capacity(64))));
        assert!(take_output().capacity() >= 64, "a small buffer is kept");
    }

    #[test]
    fn json_entry_rejects_bad_json() {
        #[derive(serde::Deserialize)]
        struct In {
            _n: u32,
        }
        let r = run_json_entry(0, 0, |_: In| -> Result<u32, Error> { Ok(1) });
        assert_eq!(r, -3);
        // Empty input reads as `null`, which `Option` accepts.
        let r = run_json_entry(0, 0, |v: Option<u32>| -> Result<Vec<u8>, Error> {
            assert_eq!(v, None);
            Ok(Vec::new())
        });
        assert_ne!(r, -3);
    }
}
