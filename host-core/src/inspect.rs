//! A pre-compile scan of a module: imports, exports with their types, memory,
//! declared counts and the embedded manifest, read with `wasmparser` without
//! compiling or instantiating anything.
//!
//! The scan is also the first line of defence against hostile modules: counts and
//! sizes are checked against [`Limits`] from the section headers before wasmi gets
//! the bytes, because wasmi's compile-time allocations are infallible (an oversized
//! module would abort a board instead of failing).

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;
use wasmparser::{ExternalKind, Parser, Payload, TypeRef, ValType as WpValType};

use crate::error::Error;
use crate::limits::Limits;
use crate::manifest::MANIFEST_SECTION;

/// Wasm page size.
pub const PAGE: u64 = 65_536;

/// A value type that may cross the boundary of a typed call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ValType {
    /// `i32`
    I32,
    /// `i64`
    I64,
    /// `f32`
    F32,
    /// `f64`
    F64,
    /// Anything else (`v128`, references).
    Other,
}

impl fmt::Display for ValType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValType::I32 => "i32",
            ValType::I64 => "i64",
            ValType::F32 => "f32",
            ValType::F64 => "f64",
            ValType::Other => "other",
        })
    }
}

fn val(v: &WpValType) -> ValType {
    match v {
        WpValType::I32 => ValType::I32,
        WpValType::I64 => ValType::I64,
        WpValType::F32 => ValType::F32,
        WpValType::F64 => ValType::F64,
        _ => ValType::Other,
    }
}

/// A function signature.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signature {
    /// Parameter types.
    pub params: Vec<ValType>,
    /// Result types.
    pub results: Vec<ValType>,
}

impl Signature {
    /// Whether this is the entry-point signature `(i32, i32) -> i64`.
    pub fn is_entry(&self) -> bool {
        self.params == [ValType::I32, ValType::I32] && self.results == [ValType::I64]
    }

    /// Whether only numbers cross (callable as a typed export).
    pub fn is_numeric(&self) -> bool {
        !self
            .params
            .iter()
            .chain(&self.results)
            .any(|t| *t == ValType::Other)
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("(")?;
        for (i, p) in self.params.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{p}")?;
        }
        f.write_str(") -> (")?;
        for (i, r) in self.results.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{r}")?;
        }
        f.write_str(")")
    }
}

/// What an import or export is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    /// A function with its signature.
    Func(Signature),
    /// A linear memory.
    Memory,
    /// A table.
    Table,
    /// A global.
    Global,
    /// Something else (tags).
    Other,
}

/// One import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// Import module (`caplet` for the contract's host functions).
    pub module: String,
    /// Import name.
    pub name: String,
    /// What is imported.
    pub kind: ItemKind,
}

/// One export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Export {
    /// Export name.
    pub name: String,
    /// What is exported.
    pub kind: ItemKind,
}

/// What the scan found.
#[derive(Debug, Clone, Default)]
pub struct ModuleInfo {
    /// Module size in bytes.
    pub size: usize,
    /// Imports, in order.
    pub imports: Vec<Import>,
    /// Exports, in order.
    pub exports: Vec<Export>,
    /// Minimum pages of the (first) memory, defined or imported.
    pub memory_min_pages: Option<u64>,
    /// Maximum pages of that memory, if declared.
    pub memory_max_pages: Option<u64>,
    /// Log2 of that memory's page size when the module declares one (the
    /// custom-page-sizes proposal: `0` for 1-byte pages); `None` for the
    /// default 64 KiB pages. See [`ModuleInfo::memory_page_size`].
    pub memory_page_size_log2: Option<u32>,
    /// Functions, imported and defined.
    pub functions: u32,
    /// Types.
    pub types: u32,
    /// Globals.
    pub globals: u32,
    /// Tables.
    pub tables: u32,
    /// Data segments.
    pub data_segments: u32,
    /// Element segments.
    pub element_segments: u32,
    /// Bytes of all function bodies.
    pub code_bytes: u64,
    /// Bytes of all data segments.
    pub data_bytes: u64,
    /// Initial elements of all tables.
    pub table_min_elements: u64,
    /// Byte range of the `caplet.manifest` section's payload within the module.
    pub manifest_range: Option<Range<usize>>,
    /// Whether a start function is declared.
    pub has_start: bool,
}

/// `a + b`, or a refusal naming what overflowed (a module cannot declare more than
/// 2^32 of anything without lying).
fn add32(a: u32, b: u32, what: &str) -> Result<u32, Error> {
    a.checked_add(b)
        .ok_or_else(|| Error::too_large(msg!("module declares more than 2^32 {what}")))
}

/// `a + b` for 64-bit totals, or a refusal naming what overflowed.
fn add64(a: u64, b: u64, what: &str) -> Result<u64, Error> {
    a.checked_add(b)
        .ok_or_else(|| Error::too_large(msg!("module declares more than 2^64 {what}")))
}

impl ModuleInfo {
    /// Bytes per page of the module's memory: 65,536, or 1 for a module built
    /// with 1-byte pages (custom-page-sizes proposal).
    pub fn memory_page_size(&self) -> u64 {
        self.memory_page_size_log2
            .map_or(PAGE, |log2| 1u64.checked_shl(log2).unwrap_or(u64::MAX))
    }

    /// The module's minimum memory in bytes, if it has a memory.
    pub fn memory_min_bytes(&self) -> Option<u64> {
        self.memory_min_pages
            .map(|min| min.saturating_mul(self.memory_page_size()))
    }

    /// Scans `wasm`, refusing it when it exceeds `limits` (size, counts, memory minimum,
    /// compile estimate). Only section headers and signatures are read.
    pub fn scan(wasm: &[u8], limits: &Limits) -> Result<Self, Error> {
        if wasm.len() > limits.max_module_bytes as usize {
            return Err(Error::too_large(msg!(
                "module is {} bytes, more than the {}-byte limit",
                wasm.len(),
                limits.max_module_bytes
            )));
        }
        let info = Self::scan_unchecked(wasm, limits)?;
        info.check(limits)?;
        Ok(info)
    }

    fn scan_unchecked(wasm: &[u8], limits: &Limits) -> Result<Self, Error> {
        let bad = |e: wasmparser::BinaryReaderError| {
            Error::bad_module(msg!("{} (at byte {})", e.message(), e.offset()))
        };
        let count = |what: &str, n: u32, max: u32| -> Result<(), Error> {
            if n > max {
                Err(Error::too_large(msg!(
                    "module declares {n} {what}, more than the limit of {max}"
                )))
            } else {
                Ok(())
            }
        };
        let mut info = ModuleInfo {
            size: wasm.len(),
            ..Default::default()
        };
        let mut types: Vec<Signature> = Vec::new();
        let mut func_types: Vec<u32> = Vec::new();
        let mut manifests = 0;
        for payload in Parser::new(0).parse_all(wasm) {
            match payload.map_err(bad)? {
                Payload::TypeSection(r) => {
                    count("types", r.count(), limits.max_types)?;
                    info.types = r.count();
                    for ty in r.into_iter_err_on_gc_types() {
                        let ty = ty.map_err(bad)?;
                        types.push(Signature {
                            params: ty.params().iter().map(val).collect(),
                            results: ty.results().iter().map(val).collect(),
                        });
                    }
                }
                Payload::ImportSection(r) => {
                    count("imports", r.count(), limits.max_imports)?;
                    for imp in r {
                        let imp = imp.map_err(bad)?;
                        let kind = match imp.ty {
                            TypeRef::Func(t) => {
                                func_types.push(t);
                                ItemKind::Func(types.get(t as usize).cloned().unwrap_or_default())
                            }
                            TypeRef::Memory(m) => {
                                if info.memory_min_pages.is_none() {
                                    info.memory_min_pages = Some(m.initial);
                                    info.memory_max_pages = m.maximum;
                                    info.memory_page_size_log2 = m.page_size_log2;
                                }
                                ItemKind::Memory
                            }
                            TypeRef::Table(t) => {
                                info.tables = add32(info.tables, 1, "tables")?;
                                info.table_min_elements =
                                    add64(info.table_min_elements, t.initial, "table elements")?;
                                ItemKind::Table
                            }
                            TypeRef::Global(_) => {
                                info.globals = add32(info.globals, 1, "globals")?;
                                ItemKind::Global
                            }
                            _ => ItemKind::Other,
                        };
                        info.imports.push(Import {
                            module: imp.module.to_string(),
                            name: imp.name.to_string(),
                            kind,
                        });
                    }
                }
                Payload::FunctionSection(r) => {
                    count(
                        "functions",
                        r.count().saturating_add(func_types.len() as u32),
                        limits.max_functions,
                    )?;
                    for t in r {
                        func_types.push(t.map_err(bad)?);
                    }
                }
                Payload::TableSection(r) => {
                    for t in r {
                        let t = t.map_err(bad)?;
                        info.tables = add32(info.tables, 1, "tables")?;
                        info.table_min_elements =
                            add64(info.table_min_elements, t.ty.initial, "table elements")?;
                    }
                }
                Payload::MemorySection(r) => {
                    for m in r {
                        let m = m.map_err(bad)?;
                        if info.memory_min_pages.is_none() {
                            info.memory_min_pages = Some(m.initial);
                            info.memory_max_pages = m.maximum;
                            info.memory_page_size_log2 = m.page_size_log2;
                        }
                    }
                }
                Payload::GlobalSection(r) => {
                    info.globals = add32(info.globals, r.count(), "globals")?;
                    count("globals", info.globals, limits.max_globals)?;
                }
                Payload::ExportSection(r) => {
                    count("exports", r.count(), limits.max_exports)?;
                    for e in r {
                        let e = e.map_err(bad)?;
                        let kind = match e.kind {
                            ExternalKind::Func => ItemKind::Func(
                                func_types
                                    .get(e.index as usize)
                                    .and_then(|t| types.get(*t as usize))
                                    .cloned()
                                    .unwrap_or_default(),
                            ),
                            ExternalKind::Memory => ItemKind::Memory,
                            ExternalKind::Table => ItemKind::Table,
                            ExternalKind::Global => ItemKind::Global,
                            _ => ItemKind::Other,
                        };
                        info.exports.push(Export {
                            name: e.name.to_string(),
                            kind,
                        });
                    }
                }
                Payload::StartSection { .. } => info.has_start = true,
                Payload::ElementSection(r) => {
                    count("element segments", r.count(), limits.max_element_segments)?;
                    info.element_segments = r.count();
                }
                Payload::DataSection(r) => {
                    count("data segments", r.count(), limits.max_data_segments)?;
                    info.data_segments = r.count();
                    for d in r {
                        let len = d.map_err(bad)?.data.len() as u64;
                        info.data_bytes = add64(info.data_bytes, len, "data bytes")?;
                    }
                }
                Payload::CodeSectionStart { size, count: n, .. } => {
                    count("function bodies", n, limits.max_functions)?;
                    info.code_bytes = u64::from(size);
                }
                Payload::CustomSection(c) if c.name() == MANIFEST_SECTION => {
                    manifests += 1;
                    if manifests > 1 {
                        return Err(Error::manifest(
                            "module has more than one caplet.manifest section",
                        ));
                    }
                    info.manifest_range = Some(c.data_offset()..c.data_offset() + c.data().len());
                }
                _ => {}
            }
        }
        info.functions = func_types.len() as u32;
        Ok(info)
    }

    /// Checks the scanned module against `limits` (memory minimum, tables, compile
    /// estimate) without reading it again.
    pub(crate) fn check(&self, limits: &Limits) -> Result<(), Error> {
        if let Some(log2) = self.memory_page_size_log2 {
            // The proposal allows 1-byte and 64 KiB pages; wasmi refuses the
            // rest too, but say so before anything is compiled.
            if log2 != 0 && log2 != 16 {
                return Err(Error::bad_module(msg!(
                    "memory page size 2^{log2} bytes: only 1-byte and 65536-byte pages exist"
                )));
            }
        }
        if let Some(min) = self.memory_min_pages {
            let page = self.memory_page_size();
            let bytes = min.saturating_mul(page);
            if bytes > limits.memory_bytes {
                return Err(Error::too_large(msg!(
                    "module's minimum memory is {min} pages of {page} bytes ({bytes} bytes), more than the memory budget of {} bytes",
                    limits.memory_bytes
                )));
            }
        }
        if self.table_min_elements > u64::from(limits.table_elements) {
            return Err(Error::too_large(msg!(
                "module's tables start with {} elements, more than the limit of {}",
                self.table_min_elements,
                limits.table_elements
            )));
        }
        if self.tables > limits.max_tables {
            return Err(Error::too_large(msg!(
                "module declares {} tables, more than the limit of {}",
                self.tables,
                limits.max_tables
            )));
        }
        let need = self.compile_estimate();
        if need > limits.compile_memory_bytes {
            return Err(Error::too_large(msg!(
                "compiling this module needs about {need} bytes of host memory, more than the compile budget of {} bytes",
                limits.compile_memory_bytes
            )));
        }
        Ok(())
    }

    /// Estimated peak host heap to compile the module and translate all its
    /// functions, in bytes: a conservative linear bound (wasmi's register-based code
    /// takes a few bytes per wasm code byte; metadata is per function, type and
    /// global).
    ///
    /// Calibrated on a Cortex-M4 (32-bit) against the arena peak measured while
    /// compiling every conformance plugin: the estimate is 1.2–1.6× the measured
    /// peak, and the firmware's conformance run fails if any
    /// measured peak exceeds it (`targets/qemu-test.sh`). Import and export names
    /// are kept by the compiled module, so their bytes count; the fixed part (9 KiB)
    /// is what a tiny module needs (a WASI command of 7 imports and no data took
    /// 12.6 KiB, above the 8 KiB-based estimate of 12.1 KiB, before names counted).
    pub fn compile_estimate(&self) -> u64 {
        // Saturating throughout: a module whose numbers would overflow needs more
        // than any budget, and is refused for it.
        let names = self
            .imports
            .iter()
            .map(|i| (i.module.len() + i.name.len()) as u64)
            .chain(self.exports.iter().map(|e| e.name.len() as u64))
            .fold(0u64, u64::saturating_add);
        let items = (self.imports.len() as u64).saturating_add(self.exports.len() as u64);
        let segments =
            u64::from(self.data_segments).saturating_add(u64::from(self.element_segments));
        [
            9 * 1024,
            names,
            self.size as u64,
            self.code_bytes.saturating_mul(4),
            u64::from(self.functions).saturating_mul(128),
            u64::from(self.types).saturating_mul(64),
            u64::from(self.globals).saturating_mul(32),
            items.saturating_mul(96),
            self.data_bytes,
            segments.saturating_mul(64),
        ]
        .into_iter()
        .fold(0u64, u64::saturating_add)
    }

    /// The embedded manifest bytes, if any.
    pub fn manifest_bytes<'a>(&self, wasm: &'a [u8]) -> Option<&'a [u8]> {
        self.manifest_range.clone().and_then(|r| wasm.get(r))
    }

    /// The signature of the exported function `name`.
    pub fn export_signature(&self, name: &str) -> Option<&Signature> {
        self.exports.iter().find_map(|e| match &e.kind {
            ItemKind::Func(sig) if e.name == name => Some(sig),
            _ => None,
        })
    }

    /// Names of the exports an Extism host would call: `() -> i32`, without the
    /// initialisers.
    pub fn extism_entry_points(&self) -> impl Iterator<Item = &str> {
        self.exports.iter().filter_map(|e| match &e.kind {
            ItemKind::Func(sig)
                if sig.params.is_empty()
                    && sig.results == [ValType::I32]
                    && !crate::profiles::EXTISM_INITIALIZERS.contains(&e.name.as_str()) =>
            {
                Some(e.name.as_str())
            }
            _ => None,
        })
    }

    /// Whether the module imports Extism's `extism:host/env`: it runs under the
    /// Extism profile, and its entry points are [`Self::extism_entry_points`].
    pub fn is_extism(&self) -> bool {
        crate::profiles::is_extism(self.imports.iter().map(|i| i.module.as_str()))
    }

    /// Contract v1 entry points: exported functions `(i32, i32) -> i64`.
    pub fn entry_points(&self) -> impl Iterator<Item = &str> {
        self.exports.iter().filter_map(|e| match &e.kind {
            ItemKind::Func(sig) if sig.is_entry() && e.name != "caplet_alloc" => {
                Some(e.name.as_str())
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module of raw sections (id, contents), for counts no assembler writes.
    fn module(sections: &[(u8, &[u8])]) -> Vec<u8> {
        let mut m = b"\0asm\x01\0\0\0".to_vec();
        for (id, body) in sections {
            m.push(*id);
            let mut n = body.len();
            loop {
                let b = (n & 0x7f) as u8;
                n >>= 7;
                m.push(if n == 0 { b } else { b | 0x80 });
                if n == 0 {
                    break;
                }
            }
            m.extend_from_slice(body);
        }
        m
    }

    fn generous() -> Limits {
        Limits {
            max_globals: u32::MAX,
            max_tables: u32::MAX,
            table_elements: u32::MAX,
            ..Limits::default()
        }
    }

    #[test]
    fn an_imported_global_plus_a_global_count_of_u32_max_is_refused_not_wrapped() {
        let wasm = module(&[
            // one imported global `m.g: i32`
            (2, &[1, 1, b'm', 1, b'g', 3, 0x7f, 0]),
            // a global section claiming 0xFFFFFFFF globals
            (6, &[0xff, 0xff, 0xff, 0xff, 0x0f]),
        ]);
        let e = ModuleInfo::scan(&wasm, &generous()).unwrap_err();
        assert!(
            matches!(&e, Error::ModuleTooLarge { reason } if reason.contains("2^32 globals")),
            "{e}"
        );
    }

    #[test]
    fn two_table64_tables_with_huge_minimums_are_refused_not_wrapped() {
        let min = [0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]; // 2^63
        let mut tables = alloc::vec![2u8];
        for _ in 0..2 {
            tables.extend_from_slice(&[0x70, 0x04]);
            tables.extend_from_slice(&min);
        }
        let wasm = module(&[(4, &tables)]);
        let e = ModuleInfo::scan(&wasm, &generous()).unwrap_err();
        assert!(
            matches!(&e, Error::ModuleTooLarge { reason } if reason.contains("table elements")),
            "{e}"
        );
    }

    #[test]
    fn the_compile_estimate_saturates() {
        let info = ModuleInfo {
            code_bytes: u64::MAX,
            data_bytes: u64::MAX,
            functions: u32::MAX,
            ..Default::default()
        };
        assert_eq!(info.compile_estimate(), u64::MAX);
    }
}
