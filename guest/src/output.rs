//! [`Output`]: the kit-owned buffer an entry point of the zero-allocation form
//! writes its result into.

use std::ops::{Deref, DerefMut};

/// The output of an entry call of the form
/// `fn(&[u8], &mut Output) -> Result<(), Error>`.
///
/// A buffer the kit owns: each call starts with it empty and its capacity kept
/// from earlier calls, so a call whose output is no larger than a previous one
/// allocates nothing. It dereferences to `Vec<u8>` and implements
/// [`std::io::Write`] and [`std::fmt::Write`]. Whatever it holds when the
/// function returns `Ok` is the call's output; on `Err` it is discarded.
///
/// ```
/// use caplet_guest::{Error, Output};
///
/// fn upper(input: &[u8], out: &mut Output) -> Result<(), Error> {
///     out.extend(input.iter().map(u8::to_ascii_uppercase));
///     Ok(())
/// }
/// fn greet(input: &[u8], out: &mut Output) -> Result<(), Error> {
///     use std::fmt::Write;
///     write!(out, "hello, {}", std::str::from_utf8(input)?)?;
///     Ok(())
/// }
/// caplet_guest::entrypoint!(upper, greet);
/// ```
#[derive(Debug, Default)]
pub struct Output {
    buf: Vec<u8>,
}

impl Output {
    pub(crate) fn new(buf: Vec<u8>) -> Output {
        Output { buf }
    }

    pub(crate) fn into_inner(self) -> Vec<u8> {
        self.buf
    }

    /// Appends `bytes`. Never fails here; the same call in the small-plugin
    /// mode fails with `LIMIT` when memory cannot grow, so code written with
    /// it builds in both modes.
    pub fn try_extend_from_slice(&mut self, bytes: &[u8]) -> Result<(), crate::Error> {
        self.buf.extend_from_slice(bytes);
        Ok(())
    }

    /// Appends one byte (see [`Output::try_extend_from_slice`]).
    pub fn push(&mut self, byte: u8) -> Result<(), crate::Error> {
        self.buf.push(byte);
        Ok(())
    }
}

impl Deref for Output {
    type Target = Vec<u8>;
    fn deref(&self) -> &Vec<u8> {
        &self.buf
    }
}

impl DerefMut for Output {
    fn deref_mut(&mut self) -> &mut Vec<u8> {
        &mut self.buf
    }
}

impl std::io::Write for Output {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(bytes);
        Ok(())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl std::fmt::Write for Output {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.buf.extend_from_slice(s.as_bytes());
        Ok(())
    }
}

impl Extend<u8> for Output {
    fn extend<I: IntoIterator<Item = u8>>(&mut self, iter: I) {
        self.buf.extend(iter);
    }
}

impl<'a> Extend<&'a u8> for Output {
    fn extend<I: IntoIterator<Item = &'a u8>>(&mut self, iter: I) {
        self.buf.extend(iter);
    }
}
