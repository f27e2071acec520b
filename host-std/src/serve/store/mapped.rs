//! A run journal segment: a file of fixed size, its disk blocks reserved up
//! front, mapped into memory and appended to without a system call.
//!
//! Why: an append by `write` took ext4's buffered append path on every run
//! (block reservation, the inode's size and times, dirty-page throttling), about
//! 4.7 µs of the worker's time per run under load (benches/notes.md, "The journal
//! append without a system call"). A store into a shared mapping lands in the
//! same page cache, so it survives a killed process just as a written line does;
//! the kernel takes a fault once per page instead of a call per line.
//!
//! How a segment reads back (see `journal::read_segment`):
//! - a line is complete once its final `\n` is stored, and that byte is stored
//!   after the rest of the line (below, with a fence between), so a process
//!   killed in the middle of a copy leaves at most one incomplete line, after the
//!   last `\n`;
//! - JSON as serde_json writes it has no raw `\n` or zero byte inside a line, and
//!   the file's unused tail is zeros.
//!
//! This is the only module of the crate with `unsafe` code: the mapping itself.

#![allow(unsafe_code)]

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;
use std::sync::atomic::{compiler_fence, Ordering};

use memmap2::MmapMut;

/// A segment file mapped for appending.
pub struct Mapped {
    map: MmapMut,
    /// Bytes appended (the start of the zero tail).
    used: usize,
    /// Whether the file's filesystem writes a block it has in place (see
    /// [`Mapped::reusable`]).
    in_place: bool,
}

/// Filesystems that write an allocated block in place, so that a file whose
/// blocks are reserved can be written over and over without asking for new ones:
/// ext2/3/4, XFS and tmpfs. Copy-on-write filesystems (btrfs, bcachefs, ZFS, f2fs)
/// need a new block for each rewrite.
const IN_PLACE: [u32; 3] = [0xEF53, 0x5846_5342, 0x0102_1994];

impl Mapped {
    /// Creates the file at `path` (it must not exist) with `size` bytes, reserves
    /// its disk blocks and maps it.
    ///
    /// The reservation is what makes a later store safe from a full disk: without
    /// it, a page the filesystem cannot find a block for would stop the process
    /// with `SIGBUS` on the store, instead of failing here with an error.
    pub fn create(path: &Path, size: usize) -> io::Result<Mapped> {
        if size == 0 {
            return Err(io::Error::other("a segment needs at least one byte"));
        }
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(path)?;
        let made = reserve(&file, size).and_then(|()| map(&file));
        if made.is_err() {
            // Do not leave a file the next start would have to read.
            let _ = std::fs::remove_file(path);
        }
        let map = made?;
        // The cast keeps the magic's 32 bits, whatever the C type of `f_type`.
        let in_place =
            rustix::fs::fstatfs(&file).is_ok_and(|fs| IN_PLACE.contains(&(fs.f_type as u32)));
        Ok(Mapped {
            map,
            used: 0,
            in_place,
        })
    }

    /// Whether the segment may be zeroed and appended to again with its blocks
    /// still reserved: only where the filesystem writes in place. Elsewhere a
    /// rewrite asks for new blocks at the store, and a full disk would stop the
    /// process there (`SIGBUS`) rather than fail a call.
    pub fn reusable(&self) -> bool {
        self.in_place
    }

    /// Bytes that still fit.
    pub fn room(&self) -> usize {
        self.map.len() - self.used
    }

    /// The segment's size.
    pub fn size(&self) -> usize {
        self.map.len()
    }

    /// Zeroes what was appended, for appending again from the start.
    pub fn clear(&mut self) {
        self.map[..self.used].fill(0);
        self.used = 0;
    }

    /// Appends `line`, which must end with `\n`, hold no other `\n` and no zero
    /// byte, and fit ([`Mapped::room`]). Its `\n` is stored last.
    pub fn append(&mut self, line: &[u8]) {
        let Some((body, b"\n")) = line.split_last_chunk::<1>() else {
            unreachable!("a journal line ends with a newline")
        };
        debug_assert!(!body.contains(&b'\n') && !body.contains(&0));
        let end = self.used + line.len();
        let out = &mut self.map[self.used..end];
        out[..body.len()].copy_from_slice(body);
        // The copy above may store its bytes in any order (vector copies often
        // store the tail first); the newline that completes the line must come
        // after all of them in the program's instructions: a killed thread's
        // stores are complete up to the instruction it stopped at, and the page
        // cache sees them all. The only reader is another process after this
        // one is gone, so the compiler's order is the one that matters.
        compiler_fence(Ordering::SeqCst);
        out[body.len()] = b'\n';
        self.used = end;
    }
}

/// Reserves the file's blocks and sets its length to `size`, with the
/// filesystem's own `fallocate`. There is no fallback (glibc's
/// `posix_fallocate` writes a byte per block where the filesystem has no
/// `fallocate`, which reserves nothing on a copy-on-write one): a filesystem that
/// cannot reserve is an error naming the way out.
fn reserve(file: &File, size: usize) -> io::Result<()> {
    use rustix::fs::{fallocate, FallocateFlags};
    match fallocate(file, FallocateFlags::empty(), 0, size as u64) {
        Ok(()) => Ok(()),
        Err(e) if e == rustix::io::Errno::OPNOTSUPP => Err(io::Error::other(
            "this filesystem cannot reserve a file's blocks (no fallocate); \
             run `caplet serve` with `--journal-ms 0` here",
        )),
        Err(e) => Err(e.into()),
    }
}

fn map(file: &File) -> io::Result<MmapMut> {
    // SAFETY: the mapping is sound while no one else changes or shortens the file
    // under it. This process just created the file with `create_new`, under the
    // service's data directory, which belongs to the service alone (docs/serving.md;
    // SQLite's `runs.sqlite-shm` beside it is mapped the same way, with the same
    // condition), and never resizes it while mapped. Renaming or removing the file
    // leaves the mapping valid (a removed file's pages live until it is unmapped).
    // Its blocks are reserved (`reserve`), so a first store into it does not fault
    // for want of disk space; a store after zeroing does not either where the
    // filesystem writes in place, the only place a segment is used again
    // (`Mapped::reusable`).
    unsafe { MmapMut::map_mut(file) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_lines_are_in_the_file_before_its_zero_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seg");
        let mut m = Mapped::create(&path, 64).unwrap();
        assert_eq!(m.room(), 64);
        m.append(b"{\"a\":1}\n");
        m.append(b"{\"b\":2}\n");
        assert_eq!(m.room(), 48);
        // Read through the file, not the mapping: what another process sees.
        let text = std::fs::read(&path).unwrap();
        assert_eq!(text.len(), 64);
        assert_eq!(&text[..16], b"{\"a\":1}\n{\"b\":2}\n");
        assert!(text[16..].iter().all(|b| *b == 0));
        m.clear();
        assert_eq!(m.room(), 64);
        assert!(std::fs::read(&path).unwrap().iter().all(|b| *b == 0));
        m.append(b"{\"c\":3}\n");
        drop(m);
        let text = std::fs::read(&path).unwrap();
        assert_eq!(&text[..8], b"{\"c\":3}\n", "the file outlives the map");
        assert!(text[8..].iter().all(|b| *b == 0));
    }

    #[test]
    fn an_existing_file_is_not_taken_over_and_a_failed_one_is_not_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("seg");
        std::fs::write(&path, b"kept").unwrap();
        let e = Mapped::create(&path, 64).err().unwrap();
        assert_eq!(e.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read(&path).unwrap(), b"kept");
        assert!(Mapped::create(&dir.path().join("none"), 0).is_err());
        assert!(!dir.path().join("none").exists());
        // A reservation the filesystem refuses: an error, and no file left.
        let huge = dir.path().join("huge");
        let e = Mapped::create(&huge, 1 << 62).err().unwrap();
        assert!(!huge.exists(), "{e}");
    }
}
