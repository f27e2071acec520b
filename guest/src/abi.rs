//! Pure helpers for the numeric side of the contract: packing `(ptr, len)`
//! pairs into an `i64`, and reading results back.
//!
//! These never touch memory, so they work (and are tested) on any target.

#[cfg(feature = "std")]
use crate::error::{Error, ErrorCode};

/// Packs a buffer address and length the way entry points and host calls
/// return them: `(ptr << 32) | len`.
///
/// Returns `None` when `ptr` is 2 GiB or more: the packed value would be
/// negative and read as an error code.
pub const fn pack(ptr: u32, len: u32) -> Option<i64> {
    if ptr > i32::MAX as u32 {
        return None;
    }
    Some((((ptr as u64) << 32) | len as u64) as i64)
}

/// Reads a packed `(ptr, len)` result. A negative value is an error: the
/// positive code (`-value`) is returned in `Err`.
pub const fn unpack(value: i64) -> Result<(u32, u32), u64> {
    if value < 0 {
        return Err(value.unsigned_abs());
    }
    let v = value as u64;
    Ok(((v >> 32) as u32, v as u32))
}

#[cfg(feature = "std")]
/// Reads an `i32` status result: `0` is success, `-(code)` is an error.
///
/// A positive status is not part of ABI v1; it is reported as
/// [`ErrorCode::Internal`].
pub fn status(import: &str, value: i32) -> Result<(), Error> {
    match value {
        0 => Ok(()),
        v if v < 0 => Err(Error::from_host(import, u64::from(v.unsigned_abs()))),
        v => Err(Error::new(
            ErrorCode::Internal,
            format!("{import}: unexpected status {v}"),
        )),
    }
}

#[cfg(feature = "std")]
/// Converts a slice length to the `i32` the contract uses, or a
/// [`ErrorCode::Limit`] error when it does not fit.
pub fn len_i32(len: usize) -> Result<i32, Error> {
    i32::try_from(len).map_err(|_| Error::limit(format!("buffer of {len} bytes is too large")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_round_trips() {
        for (p, l) in [(0, 0), (8, 5), (0x7fff_ffff, u32::MAX), (65536, 1), (1, 0)] {
            let packed = pack(p, l).unwrap();
            assert!(packed >= 0);
            assert_eq!(unpack(packed), Ok((p, l)));
        }
        assert_eq!(pack(0x10, 0x20), Some(0x0000_0010_0000_0020));
        assert_eq!(pack(0, 0), Some(0));
    }

    #[test]
    fn pack_refuses_negative_results() {
        assert_eq!(pack(0x8000_0000, 1), None);
        assert_eq!(pack(u32::MAX, 0), None);
    }

    #[test]
    fn unpack_reads_error_codes() {
        assert_eq!(unpack(-1), Err(1));
        assert_eq!(unpack(-8), Err(8));
        assert_eq!(unpack(i64::MIN), Err(1u64 << 63));
        assert_eq!(unpack(0), Ok((0, 0)));
    }

    #[cfg(feature = "std")]
    #[test]
    fn status_results() {
        assert_eq!(status("kv_set", 0), Ok(()));
        let e = status("kv_set", -6).unwrap_err();
        assert_eq!(e.code, ErrorCode::Limit);
        assert_eq!(
            status("kv_set", i32::MIN).unwrap_err().code,
            ErrorCode::Internal
        );
        assert_eq!(status("kv_set", 3).unwrap_err().code, ErrorCode::Internal);
    }

    #[cfg(feature = "std")]
    #[test]
    fn lengths() {
        assert_eq!(len_i32(0), Ok(0));
        assert_eq!(len_i32(i32::MAX as usize), Ok(i32::MAX));
        #[cfg(target_pointer_width = "64")]
        assert_eq!(len_i32(1 << 31).unwrap_err().code, ErrorCode::Limit);
    }
}
