//! Small file helpers shared by the std adapter: capped reads and temporary names.

use std::io::{self, Read};
use std::path::Path;

/// Reads at most `max` bytes from `source`; more is an error (`FileTooLarge`), never
/// a silent truncation. One byte past the cap is read to tell the two apart.
pub(crate) fn read_capped_from(source: impl Read, max: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    source.take(max.saturating_add(1)).read_to_end(&mut buf)?;
    if buf.len() as u64 > max {
        return Err(io::Error::new(
            io::ErrorKind::FileTooLarge,
            format!("larger than the {max}-byte limit"),
        ));
    }
    Ok(buf)
}

/// Opens `path` for reading only if it is a regular file, without ever blocking:
/// the open is non-blocking (a FIFO without a writer would otherwise block it
/// forever) and the type is checked on the opened handle, so a FIFO, socket or
/// device is refused (`InvalidInput`) even if the path changes in between. The one
/// reader of every operator- and directory-supplied file: modules, manifests,
/// sidecars, policy and secrets files, the local store.
pub(crate) fn open_regular(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file (a FIFO, socket, device or directory)",
        ));
    }
    Ok(file)
}

/// Opens `path` with [`open_regular`] and reads it with [`read_capped_from`].
pub(crate) fn read_capped(path: &Path, max: u64) -> io::Result<Vec<u8>> {
    read_capped_from(open_regular(path)?, max)
}

/// Like [`read_capped_from`], as UTF-8 text.
pub(crate) fn read_text_capped_from(source: impl Read, max: u64) -> io::Result<String> {
    String::from_utf8(read_capped_from(source, max)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8"))
}

/// A hidden temporary name next to `name`, unique enough for `create_new`: a
/// collision (or an entropy failure, which leaves the tag zero) makes the create fail
/// with `AlreadyExists` rather than touch another file.
pub(crate) fn temp_name(name: &str) -> String {
    let mut r = [0u8; 8];
    let _ = getrandom::fill(&mut r);
    let tag: String = r.iter().map(|b| format!("{b:02x}")).collect();
    // Keep within NAME_MAX for long names.
    let short: String = name.chars().take(160).collect();
    format!(".{short}.caplet-tmp-{tag}")
}

/// Replaces `path` with `bytes` atomically: a temporary file in the same
/// directory, synced, then renamed over it. A reader never sees half a file.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::io::Write;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    // Keep the permissions of the file being replaced (a new file: 0644 less
    // the umask's usual bits, not the temporary file's 0600).
    let mode = std::fs::metadata(path)
        .map(|m| m.permissions())
        .unwrap_or_else(|_| std::os::unix::fs::PermissionsExt::from_mode(0o644));
    tmp.as_file().set_permissions(mode)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_are_capped_not_truncated() {
        assert_eq!(read_capped_from(&b"abcd"[..], 4).unwrap(), b"abcd");
        let e = read_capped_from(&b"abcde"[..], 4).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::FileTooLarge);
        assert!(e.to_string().contains("4-byte limit"), "{e}");
        assert!(read_text_capped_from(&[0xffu8][..], 4).is_err());
        assert_ne!(temp_name("a"), temp_name("a"));
    }

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe");
        let status = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(status.success());
        let e = read_capped(&fifo, 10).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::InvalidInput);
        assert!(read_capped(dir.path(), 10).is_err());
    }
}
