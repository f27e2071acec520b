//! The calling convention of entry points, used by the export macros.

use std::cell::RefCell;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::abi;
use crate::error::Error;
use crate::{json, sys};

thread_local! {
    /// The output of the previous entry call. The host has copied it by the
    /// time it makes the next call, so it is freed then.
    static LAST_OUTPUT: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

/// Frees the previous call's output.
fn release_previous_output() {
    let previous = LAST_OUTPUT.with(|o| o.try_borrow_mut().ok().and_then(|mut o| o.take()));
    if let Some(previous) = previous {
        sys::recycle(previous);
    }
}

/// Takes ownership of the input buffer `(ptr, len)` written by the host.
fn take_input(ptr: i32, len: i32) -> Result<Vec<u8>, Error> {
    let result = match (ptr, len) {
        (_, 0) => Ok(Vec::new()),
        (_, l) if l < 0 => Err(Error::invalid_input(format!("negative input length {l}"))),
        (p, l) => sys::claim(p as u32 as usize, l as usize).ok_or_else(|| {
            Error::invalid_input("input buffer was not allocated with caplet_alloc")
        }),
    };
    // Anything else still pending was abandoned by the host.
    sys::sweep();
    result
}

/// Keeps `output` alive until the next call and returns it packed.
fn finish(output: Vec<u8>) -> i64 {
    if output.is_empty() {
        return 0;
    }
    let packed = u32::try_from(output.as_ptr() as usize)
        .ok()
        .zip(u32::try_from(output.len()).ok())
        .and_then(|(p, l)| abi::pack(p, l));
    let Some(packed) = packed else {
        return fail(Error::limit(
            "output does not fit the contract's 32-bit (ptr, len)",
        ));
    };
    let stored = LAST_OUTPUT.with(|o| match o.try_borrow_mut() {
        Ok(mut o) => {
            *o = Some(output);
            true
        }
        Err(_) => false,
    });
    if stored {
        packed
    } else {
        fail(Error::internal("output slot busy"))
    }
}

/// Reports `error` to the host and returns `-(code)`.
fn fail(error: Error) -> i64 {
    if !error.message.is_empty() {
        sys::set_error(error.message.as_bytes());
    }
    error.to_return_value()
}

/// Runs a bytes-in, bytes-out entry point under the contract: takes the input
/// buffer, frees the previous output, calls `f`, and packs its output or
/// reports its error. This is what [`entrypoint!`](crate::entrypoint) expands to.
pub fn run_entry<F, O>(ptr: i32, len: i32, f: F) -> i64
where
    F: FnOnce(&[u8]) -> Result<O, Error>,
    O: Into<Vec<u8>>,
{
    release_previous_output();
    let input = match take_input(ptr, len) {
        Ok(input) => input,
        Err(e) => return fail(e),
    };
    let result = f(&input);
    // The next call's input is likely the same size: keep the buffer.
    sys::recycle(input);
    match result {
        Ok(output) => finish(output.into()),
        Err(e) => fail(e),
    }
}

/// Like [`run_entry`] for a JSON-in, JSON-out function. Input that does not
/// parse as `I` fails with `INVALID_INPUT` and serde's message; an empty input
/// is read as JSON `null`. This is what
/// [`json_entrypoint!`](crate::json_entrypoint) expands to.
pub fn run_json_entry<F, I, O>(ptr: i32, len: i32, f: F) -> i64
where
    F: FnOnce(I) -> Result<O, Error>,
    I: DeserializeOwned,
    O: Serialize,
{
    run_entry(ptr, len, |bytes| {
        let input: I = json::parse(bytes)?;
        let output = f(input)?;
        json::to_vec(&output)
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
        assert_eq!(run_entry(0, -5, shout), -3);
        assert_eq!(run_entry(0x1000, 4, shout), -3, "unknown input buffer");
        let code = run_entry(0, 0, |_| -> Result<Vec<u8>, Error> {
            Err(ErrorCode::Timeout.into())
        });
        assert_eq!(code, -5);
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
