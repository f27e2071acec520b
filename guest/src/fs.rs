//! Files under the guest paths the operator mapped (`caplet.fs_read`,
//! `fs_write`, `fs_list`; capabilities `fs:read:<path-glob>` and
//! `fs:write:<path-glob>`).
//!
//! Paths are guest paths such as `/data/notes.txt`: only what the operator
//! mapped exists, and only inside the granted globs.

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::sys;

/// What a directory entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntryKind {
    /// `"file"`
    File,
    /// `"dir"`
    Dir,
    /// `"symlink"`
    Symlink,
    /// `"other"`, and any kind this kit does not know.
    #[serde(other)]
    Other,
}

/// One entry of a directory listing.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct DirEntry {
    /// The entry's file name (not a full path).
    pub name: String,
    /// What the entry is.
    pub kind: EntryKind,
    /// Size in bytes (`0` when the host does not say).
    #[serde(default)]
    pub size: u64,
}

/// The whole contents of the file at `path`.
pub fn read(path: &str) -> Result<Vec<u8>, Error> {
    sys::fs_read(path.as_bytes())
}

/// The contents of the file at `path` as text; not UTF-8 is `INVALID_INPUT`.
pub fn read_to_string(path: &str) -> Result<String, Error> {
    Ok(String::from_utf8(read(path)?)?)
}

/// Creates or replaces the file at `path` with `data`.
pub fn write(path: &str, data: &[u8]) -> Result<(), Error> {
    sys::fs_write(path.as_bytes(), data)
}

/// The entries of the directory at `path`.
pub fn list(path: &str) -> Result<Vec<DirEntry>, Error> {
    parse_listing(&sys::fs_list(path.as_bytes())?)
}

/// Decodes the host's JSON listing; malformed data is `INTERNAL`.
fn parse_listing(bytes: &[u8]) -> Result<Vec<DirEntry>, Error> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::internal(format!("fs_list: malformed listing from host: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[test]
    fn listing_decodes() {
        let json = br#"[{"name":"a.txt","kind":"file","size":5},
                        {"name":"sub","kind":"dir","size":0},
                        {"name":"l","kind":"symlink"},
                        {"name":"p","kind":"fifo","size":1}]"#;
        let entries = parse_listing(json).unwrap();
        assert_eq!(entries.len(), 4);
        assert_eq!(
            entries[0],
            DirEntry {
                name: "a.txt".into(),
                kind: EntryKind::File,
                size: 5
            }
        );
        assert_eq!(entries[1].kind, EntryKind::Dir);
        assert_eq!((entries[2].kind, entries[2].size), (EntryKind::Symlink, 0));
        assert_eq!(entries[3].kind, EntryKind::Other);
        assert_eq!(
            serde_json::to_string(&entries[1]).unwrap(),
            r#"{"name":"sub","kind":"dir","size":0}"#
        );
    }

    #[test]
    fn bad_listing_is_internal() {
        assert_eq!(parse_listing(b"{").unwrap_err().code, ErrorCode::Internal);
        assert_eq!(
            parse_listing(b"[{}]").unwrap_err().code,
            ErrorCode::Internal
        );
    }

    #[test]
    fn stubs() {
        assert_eq!(read("/data/x").unwrap_err().code, ErrorCode::Unsupported);
        assert_eq!(
            write("/data/x", b"y").unwrap_err().code,
            ErrorCode::Unsupported
        );
        assert_eq!(list("/data").unwrap_err().code, ErrorCode::Unsupported);
    }
}
