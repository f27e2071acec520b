//! Moves a module's `start` function out of instantiation, so it runs like any
//! other guest call: in fuel slices under the call's whole budget, with the slice
//! hook between slices (a deadline or a cancel stops it), and with host functions
//! that may run guest code.
//!
//! wasmi runs a `start` function inside `instantiate_and_start`, which is not
//! resumable and does not expose the function. So before compiling, the core
//! rewrites the module: the start section is dropped and the start function is
//! exported under a reserved name ([`START_EXPORT`], made unique against the
//! module's own exports); after instantiation the runtime calls that export first.
//! The digest, the scan, the manifest and `caplet inspect` all see the original
//! bytes; only the compiled module differs, and its reserved export cannot be
//! called by name (calls are checked against the original module's exports).

use alloc::string::String;
use alloc::vec::Vec;

use wasmparser::BinaryReader;

/// The name the start function is exported under (a suffix is added if the module
/// already exports this name).
pub const START_EXPORT: &str = "caplet:start";

const EXPORT_SECTION: u8 = 7;
const START_SECTION: u8 = 8;

/// Appends the unsigned LEB128 encoding of `v`.
pub(crate) fn leb(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// One top-level section: its id, where it starts (at the id byte), and its
/// contents.
pub(crate) struct Section<'a> {
    pub(crate) id: u8,
    pub(crate) start: usize,
    pub(crate) end: usize,
    pub(crate) contents: &'a [u8],
}

/// The module's top-level sections after the 8-byte header, or `None` when one
/// cannot be read (a size past the end, a truncated header).
pub(crate) fn sections(wasm: &[u8]) -> Option<Vec<Section<'_>>> {
    let mut out = Vec::new();
    let mut r = BinaryReader::new(wasm.get(8..)?, 8);
    while !r.eof() {
        let start = r.original_position();
        let id = r.read_u8().ok()?;
        let size = r.read_var_u32().ok()? as usize;
        let contents = r.read_bytes(size).ok()?;
        out.push(Section {
            id,
            start,
            end: r.original_position(),
            contents,
        });
    }
    Some(out)
}

/// The module without its start section and with the start function exported,
/// and the export's name; `None` when the module has no start section (or is too
/// malformed to rewrite, in which case compiling the original reports why).
pub(crate) fn detach(wasm: &[u8]) -> Option<(Vec<u8>, String)> {
    let sections = sections(wasm)?;
    let start = sections.iter().find(|s| s.id == START_SECTION)?;
    let func = BinaryReader::new(start.contents, 0).read_var_u32().ok()?;
    let exports = sections.iter().find(|s| s.id == EXPORT_SECTION);

    // The existing export names, to pick a name the module does not use.
    let mut names: Vec<&str> = Vec::new();
    let (count, entries) = match exports {
        Some(s) => {
            let mut r = BinaryReader::new(s.contents, 0);
            let count = r.read_var_u32().ok()?;
            let entries_at = r.current_position();
            for _ in 0..count {
                names.push(r.read_string().ok()?);
                r.read_u8().ok()?;
                r.read_var_u32().ok()?;
            }
            (count, &s.contents[entries_at..])
        }
        None => (0, &[][..]),
    };
    let mut name = String::from(START_EXPORT);
    let mut n = 0u32;
    while names.contains(&name.as_str()) {
        n += 1;
        name = alloc::format!("{START_EXPORT}{n}");
    }

    let mut contents = Vec::with_capacity(entries.len() + name.len() + 12);
    leb(&mut contents, count.checked_add(1)?);
    contents.extend_from_slice(entries);
    leb(&mut contents, name.len() as u32);
    contents.extend_from_slice(name.as_bytes());
    contents.push(0x00); // a function
    leb(&mut contents, func);
    let mut section = Vec::with_capacity(contents.len() + 6);
    section.push(EXPORT_SECTION);
    leb(&mut section, u32::try_from(contents.len()).ok()?);
    section.extend_from_slice(&contents);

    let mut out = Vec::with_capacity(wasm.len() + name.len() + 16);
    out.extend_from_slice(&wasm[..8]);
    for s in &sections {
        match s.id {
            EXPORT_SECTION => out.extend_from_slice(&section),
            // Without an export section, the new one takes the start section's
            // place, which is where section order puts it.
            START_SECTION if exports.is_none() => out.extend_from_slice(&section),
            START_SECTION => {}
            _ => out.extend_from_slice(&wasm[s.start..s.end]),
        }
    }
    Some((out, name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exports_of(wasm: &[u8]) -> Vec<String> {
        let mut out = Vec::new();
        for payload in wasmparser::Parser::new(0).parse_all(wasm) {
            if let Ok(wasmparser::Payload::ExportSection(r)) = payload {
                for e in r {
                    out.push(String::from(e.unwrap().name));
                }
            }
        }
        out
    }

    fn has_start(wasm: &[u8]) -> bool {
        wasmparser::Parser::new(0)
            .parse_all(wasm)
            .any(|p| matches!(p, Ok(wasmparser::Payload::StartSection { .. })))
    }

    #[test]
    fn a_module_without_start_is_left_alone() {
        let wasm = wat::parse_str("(module (func (export \"f\")))").unwrap();
        assert!(detach(&wasm).is_none());
    }

    #[test]
    fn start_becomes_an_export_with_or_without_an_export_section() {
        for text in [
            "(module (func $s) (start $s))",
            "(module (memory (export \"memory\") 1) (func $s) (func (export \"f\")) (start $s))",
            "(module (func $s) (func (export \"caplet:start\")) (start $s))",
        ] {
            let wasm = wat::parse_str(text).unwrap();
            let (out, name) = detach(&wasm).unwrap();
            assert!(!has_start(&out), "{text}");
            assert!(exports_of(&out).contains(&name), "{text}");
            #[cfg(feature = "validate")]
            wasmparser::Validator::new().validate_all(&out).unwrap();
        }
        let wasm = wat::parse_str("(module (func $s) (func (export \"caplet:start\")) (start $s))")
            .unwrap();
        assert_eq!(detach(&wasm).unwrap().1, "caplet:start1");
    }
}
