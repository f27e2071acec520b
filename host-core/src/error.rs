//! Error codes of the contract and the host's own error type.
//!
//! Two layers:
//! - [`Code`] is the stable, numeric table of ABI v1: what a guest sees as a negative
//!   return value of a host import or returns itself from an entry point.
//! - [`Error`] is what the host API returns to the embedder: richer, each variant
//!   carrying a message that names what was wrong.

use alloc::string::String;
use core::fmt;

/// The stable error codes of the contract (ABI v1). Never renumbered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(i32)]
pub enum Code {
    /// Key, file, config value or export not found.
    NotFound = 1,
    /// Capability not granted, or the call is out of the grant's scope.
    PermissionDenied = 2,
    /// Bad pointer or length, bad UTF-8 or JSON, bad argument.
    InvalidInput = 3,
    /// The platform failed (file, network).
    Io = 4,
    /// A deadline passed.
    Timeout = 5,
    /// A size, count, rate or memory cap was hit.
    Limit = 6,
    /// This host cannot do it.
    Unsupported = 7,
    /// A host bug; logged.
    Internal = 8,
}

impl Code {
    /// Every code, in table order.
    pub const ALL: [Code; 8] = [
        Code::NotFound,
        Code::PermissionDenied,
        Code::InvalidInput,
        Code::Io,
        Code::Timeout,
        Code::Limit,
        Code::Unsupported,
        Code::Internal,
    ];

    /// The positive number of the code.
    pub const fn number(self) -> i32 {
        self as i32
    }

    /// The code as a guest sees it in an `i32` return: `-code`.
    pub const fn as_neg_i32(self) -> i32 {
        -(self as i32)
    }

    /// The code as a guest sees it in an `i64` return: `-code`.
    pub const fn as_neg_i64(self) -> i64 {
        -(self as i64)
    }

    /// The code with this number, if it is in the table.
    pub const fn from_number(n: i64) -> Option<Code> {
        Some(match n {
            1 => Code::NotFound,
            2 => Code::PermissionDenied,
            3 => Code::InvalidInput,
            4 => Code::Io,
            5 => Code::Timeout,
            6 => Code::Limit,
            7 => Code::Unsupported,
            8 => Code::Internal,
            _ => return None,
        })
    }

    /// The upper-case name used in the design and the docs (`NOT_FOUND`, …).
    pub const fn name(self) -> &'static str {
        match self {
            Code::NotFound => "NOT_FOUND",
            Code::PermissionDenied => "PERMISSION_DENIED",
            Code::InvalidInput => "INVALID_INPUT",
            Code::Io => "IO",
            Code::Timeout => "TIMEOUT",
            Code::Limit => "LIMIT",
            Code::Unsupported => "UNSUPPORTED",
            Code::Internal => "INTERNAL",
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The broad class of an [`Error`]; a CLI maps it to its exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum ErrorKind {
    /// The plugin returned an error code from an entry point.
    Guest,
    /// The embedder asked for something invalid (unknown entry, wrong argument types…).
    Usage,
    /// The module, manifest or digest is bad, or the module does not fit the limits.
    Module,
    /// Fuel ran out or a deadline passed.
    Budget,
    /// The guest trapped or broke the contract at run time (including memory caps).
    Trap,
    /// A capability was refused at load time.
    Capability,
    /// The host itself failed.
    Host,
    /// A WASI program ended with `proc_exit`.
    Exit,
}

impl ErrorKind {
    /// A short lower-case name (`guest`, `module`, …) for `error: <kind>: <message>` lines.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorKind::Guest => "guest",
            ErrorKind::Usage => "usage",
            ErrorKind::Module => "module",
            ErrorKind::Budget => "budget",
            ErrorKind::Trap => "trap",
            ErrorKind::Capability => "capability",
            ErrorKind::Host => "host",
            ErrorKind::Exit => "exit",
        }
    }
}

/// Why a call was stopped between fuel slices by the embedder's [`SliceHook`](crate::SliceHook).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum Interrupt {
    /// The wall-clock deadline passed; carries the milliseconds the call had run.
    Deadline {
        /// Elapsed time when the call was stopped, in milliseconds.
        elapsed_ms: u64,
    },
    /// Someone cancelled the call.
    Cancelled,
}

/// Everything that can go wrong when loading or calling a plugin.
///
/// Each variant names what was wrong; [`Error::kind`] classifies it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// The module bytes are not a valid WebAssembly module (or fail validation).
    BadModule {
        /// What the parser or validator said.
        reason: String,
    },
    /// The module exceeds a static limit (size, declared counts, memory minimum,
    /// or the memory its compilation would need).
    ModuleTooLarge {
        /// Which limit and by how much.
        reason: String,
    },
    /// The module's SHA-256 is not the one the manifest (or the embedder) expects.
    DigestMismatch {
        /// Expected digest, lower-case hex.
        expected: String,
        /// Actual digest of the bytes, lower-case hex.
        actual: String,
    },
    /// The load requires a pinned digest or a trusted signature
    /// ([`crate::Trust::Required`]) and the module has neither, or its
    /// signature does not verify. Checked before anything else reads the module.
    Untrusted {
        /// What was missing or wrong.
        reason: String,
    },
    /// The manifest is missing, malformed or invalid.
    Manifest {
        /// What was wrong with it.
        reason: String,
    },
    /// The module imports something the contract does not provide.
    UnknownImport {
        /// `module.name` of the import.
        import: String,
        /// Why it cannot be linked.
        reason: String,
    },
    /// A required export is missing or has the wrong type.
    MissingExport {
        /// The export's name.
        name: String,
        /// What was expected.
        expected: String,
    },
    /// A capability the plugin imports or requires was not granted by the operator.
    CapabilityDenied {
        /// The capability that was needed (`kv`, `fs:read:/data/**`, …).
        capability: String,
        /// What needed it (an import, or the manifest).
        needed_by: String,
    },
    /// The operator granted a capability this host cannot provide.
    CapabilityUnsupported {
        /// The capability.
        capability: String,
    },
    /// A capability string could not be parsed.
    BadCapability {
        /// The text given.
        text: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The capability table is full.
    CapabilityTableFull {
        /// Its fixed capacity.
        capacity: usize,
    },
    /// The plugin returned an error code from an entry point.
    Guest {
        /// The entry point.
        entry: String,
        /// The code it returned (`-code`), if known to the table.
        code: Option<Code>,
        /// The raw number the guest returned (positive).
        raw: i64,
        /// The message set with `set_error` during the call, if any.
        message: Option<String>,
    },
    /// The call ran out of fuel.
    OutOfFuel {
        /// Fuel consumed by the call (its whole budget).
        used: u64,
    },
    /// The embedder's slice hook stopped the call.
    Interrupted {
        /// Why.
        reason: Interrupt,
        /// Fuel consumed until then.
        fuel_used: u64,
    },
    /// The guest trapped (unreachable, out-of-bounds access, stack overflow, …).
    Trap {
        /// Where: the entry point or phase (`_initialize`, `caplet_alloc`).
        during: String,
        /// What the interpreter reported.
        message: String,
    },
    /// The guest broke the contract at run time: bad pointer or length, oversized
    /// output, `caplet_alloc` failure.
    ContractViolation {
        /// What it did.
        reason: String,
    },
    /// A memory, table or instance cap was hit outside of `memory.grow`.
    MemoryLimit {
        /// What was refused.
        reason: String,
    },
    /// The embedder asked for something invalid.
    Usage {
        /// What.
        reason: String,
    },
    /// The host failed (a bug or a platform failure outside a guest call).
    Host {
        /// What failed.
        reason: String,
    },
    /// A WASI program called `proc_exit`; the instance is finished.
    Exit {
        /// The exit status it gave.
        code: u32,
    },
}

impl Error {
    /// The broad class of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Guest { .. } => ErrorKind::Guest,
            Error::Usage { .. } => ErrorKind::Usage,
            Error::BadModule { .. }
            | Error::ModuleTooLarge { .. }
            | Error::DigestMismatch { .. }
            | Error::Untrusted { .. }
            | Error::Manifest { .. }
            | Error::UnknownImport { .. }
            | Error::MissingExport { .. }
            | Error::BadCapability { .. } => ErrorKind::Module,
            Error::OutOfFuel { .. } | Error::Interrupted { .. } => ErrorKind::Budget,
            Error::Trap { .. } | Error::ContractViolation { .. } | Error::MemoryLimit { .. } => {
                ErrorKind::Trap
            }
            Error::CapabilityDenied { .. }
            | Error::CapabilityUnsupported { .. }
            | Error::CapabilityTableFull { .. } => ErrorKind::Capability,
            Error::Host { .. } => ErrorKind::Host,
            Error::Exit { .. } => ErrorKind::Exit,
        }
    }

    pub(crate) fn bad_module(reason: impl Into<String>) -> Self {
        Error::BadModule {
            reason: reason.into(),
        }
    }

    pub(crate) fn too_large(reason: impl Into<String>) -> Self {
        Error::ModuleTooLarge {
            reason: reason.into(),
        }
    }

    pub(crate) fn manifest(reason: impl Into<String>) -> Self {
        Error::Manifest {
            reason: reason.into(),
        }
    }

    pub(crate) fn contract(reason: impl Into<String>) -> Self {
        Error::ContractViolation {
            reason: reason.into(),
        }
    }

    /// A [`Error::Usage`]: the embedder asked for something invalid.
    pub fn usage(reason: impl Into<String>) -> Self {
        Error::Usage {
            reason: reason.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::BadModule { reason } => write!(f, "invalid wasm module: {reason}"),
            Error::ModuleTooLarge { reason } => write!(f, "module refused: {reason}"),
            Error::Untrusted { reason } => write!(f, "module not trusted: {reason}"),
            Error::DigestMismatch { expected, actual } => write!(
                f,
                "module digest mismatch: expected sha256:{expected}, got sha256:{actual}"
            ),
            Error::Manifest { reason } => write!(f, "bad manifest: {reason}"),
            Error::UnknownImport { import, reason } => {
                write!(f, "cannot link import `{import}`: {reason}")
            }
            Error::MissingExport { name, expected } => {
                write!(f, "missing export `{name}`: expected {expected}")
            }
            Error::CapabilityDenied {
                capability,
                needed_by,
            } => write!(
                f,
                "capability `{capability}` is not granted (needed by {needed_by})"
            ),
            Error::CapabilityUnsupported { capability } => {
                write!(f, "this host cannot provide capability `{capability}`")
            }
            Error::BadCapability { text, reason } => {
                write!(f, "bad capability `{text}`: {reason}")
            }
            Error::CapabilityTableFull { capacity } => {
                write!(f, "capability table is full ({capacity} grants at most)")
            }
            Error::Guest {
                entry,
                code,
                raw,
                message,
            } => {
                match code {
                    Some(code) => write!(f, "`{entry}` returned {code} ({raw})")?,
                    // An Extism plugin that set an error and returned 0.
                    None if *raw == 0 => write!(f, "`{entry}` failed")?,
                    None => write!(f, "`{entry}` returned error code {raw}")?,
                }
                if let Some(message) = message {
                    write!(f, ": {message}")?;
                }
                Ok(())
            }
            Error::OutOfFuel { used } => write!(f, "out of fuel after {used} units"),
            Error::Interrupted { reason, fuel_used } => match reason {
                Interrupt::Deadline { elapsed_ms } => write!(
                    f,
                    "deadline passed after {elapsed_ms} ms ({fuel_used} fuel used)"
                ),
                Interrupt::Cancelled => write!(f, "call cancelled ({fuel_used} fuel used)"),
            },
            Error::Trap { during, message } => write!(f, "guest trapped in `{during}`: {message}"),
            Error::ContractViolation { reason } => write!(f, "guest broke the contract: {reason}"),
            Error::MemoryLimit { reason } => write!(f, "memory limit: {reason}"),
            Error::Usage { reason } => f.write_str(reason),
            Error::Host { reason } => write!(f, "host failure: {reason}"),
            Error::Exit { code } => write!(f, "the program exited with status {code}"),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(feature = "defmt")]
impl defmt::Format for Error {
    fn format(&self, f: defmt::Formatter<'_>) {
        // defmt cannot format `String`s without `core::fmt`; we send the variant and
        // the strings as `str` so the firmware keeps `core::fmt` out of the image.
        match self {
            Error::BadModule { reason } => defmt::write!(f, "invalid wasm module: {=str}", reason),
            Error::ModuleTooLarge { reason } => defmt::write!(f, "module refused: {=str}", reason),
            Error::Untrusted { reason } => defmt::write!(f, "module not trusted: {=str}", reason),
            Error::DigestMismatch { expected, actual } => defmt::write!(
                f,
                "module digest mismatch: expected {=str}, got {=str}",
                expected,
                actual
            ),
            Error::Manifest { reason } => defmt::write!(f, "bad manifest: {=str}", reason),
            Error::UnknownImport { import, reason } => {
                defmt::write!(f, "cannot link import {=str}: {=str}", import, reason)
            }
            Error::MissingExport { name, expected } => {
                defmt::write!(f, "missing export {=str}: expected {=str}", name, expected)
            }
            Error::CapabilityDenied {
                capability,
                needed_by,
            } => defmt::write!(
                f,
                "capability {=str} is not granted (needed by {=str})",
                capability,
                needed_by
            ),
            Error::CapabilityUnsupported { capability } => {
                defmt::write!(f, "this host cannot provide capability {=str}", capability)
            }
            Error::BadCapability { text, reason } => {
                defmt::write!(f, "bad capability {=str}: {=str}", text, reason)
            }
            Error::CapabilityTableFull { capacity } => {
                defmt::write!(f, "capability table is full ({=usize} at most)", capacity)
            }
            Error::Guest { entry, raw, .. } => {
                defmt::write!(f, "{=str} returned error code {=i64}", entry, raw)
            }
            Error::OutOfFuel { used } => defmt::write!(f, "out of fuel after {=u64} units", used),
            Error::Interrupted { reason, fuel_used } => {
                defmt::write!(f, "interrupted: {} ({=u64} fuel used)", reason, fuel_used)
            }
            Error::Trap { during, message } => {
                defmt::write!(f, "guest trapped in {=str}: {=str}", during, message)
            }
            Error::ContractViolation { reason } => {
                defmt::write!(f, "guest broke the contract: {=str}", reason)
            }
            Error::MemoryLimit { reason } => defmt::write!(f, "memory limit: {=str}", reason),
            Error::Usage { reason } => defmt::write!(f, "{=str}", reason),
            Error::Host { reason } => defmt::write!(f, "host failure: {=str}", reason),
            Error::Exit { code } => defmt::write!(f, "the program exited with status {=u32}", code),
        }
    }
}

/// A message template with its values left out, for builds with the
/// `static-messages` feature (the `msg!` macro): each `{…}` placeholder becomes `…`,
/// `{{` and `}}` become braces.
#[cfg(any(feature = "static-messages", test))]
pub(crate) fn static_message(template: &'static str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find(['{', '}']) {
        out.push_str(&rest[..i]);
        let brace = rest.as_bytes()[i];
        if rest.as_bytes().get(i + 1) == Some(&brace) {
            out.push(brace as char);
            rest = &rest[i + 2..];
        } else if brace == b'{' {
            out.push('…');
            rest = rest[i..].find('}').map_or("", |end| &rest[i + end + 1..]);
        } else {
            rest = &rest[i + 1..];
        }
    }
    out.push_str(rest);
    out
}

/// The message of a wasmi error: its `Display` text, or with the
/// `static-messages` feature a fixed name of its kind (a trap keeps its trap
/// message, which is static text in wasmi), so that wasmi's messages and their
/// formatting are not linked.
pub(crate) fn wasmi_message(e: &wasmi::Error) -> String {
    #[cfg(not(feature = "static-messages"))]
    {
        alloc::format!("{e}")
    }
    #[cfg(feature = "static-messages")]
    {
        use wasmi::errors::ErrorKind as K;
        String::from(match e.kind() {
            K::TrapCode(code) => code.trap_message(),
            K::Message(message) => message,
            K::Memory(_) => "wasmi: linear memory error",
            K::Table(_) => "wasmi: table error",
            K::Global(_) => "wasmi: global variable error",
            K::Linker(_) => "wasmi: linking failed",
            K::Instantiation(_) => "wasmi: instantiation failed",
            K::Fuel(_) => "wasmi: fuel error",
            K::Func(_) => "wasmi: function error",
            K::Read(_) => "wasmi: reading the module failed",
            K::Wasm(_) => "wasmi: malformed or invalid module",
            K::Translation(_) => "wasmi: translating the module failed",
            K::UserLimits(_) => "the module exceeds the engine's enforced limits",
            K::ImplementationLimits(_) => "the module exceeds wasmi's implementation limits",
            K::Host(_) => "wasmi: host error",
            _ => "wasmi error",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_messages_keep_the_template_and_drop_the_values() {
        assert_eq!(
            static_message("linking module `{}`: {e}"),
            "linking module `…`: …"
        );
        assert_eq!(
            static_message("expected {expected:?}, found {sig} ({{raw}})"),
            "expected …, found … ({raw})"
        );
        assert_eq!(static_message("no placeholders"), "no placeholders");
        assert_eq!(static_message("open {"), "open …");
    }

    #[test]
    fn codes_round_trip_and_are_stable() {
        for (i, code) in Code::ALL.iter().enumerate() {
            assert_eq!(code.number(), i as i32 + 1);
            assert_eq!(Code::from_number(code.number() as i64), Some(*code));
            assert_eq!(code.as_neg_i64(), -(i as i64 + 1));
        }
        assert_eq!(Code::from_number(0), None);
        assert_eq!(Code::from_number(9), None);
        assert_eq!(Code::PermissionDenied.name(), "PERMISSION_DENIED");
    }

    #[test]
    fn messages_name_what_was_wrong() {
        let e = Error::CapabilityDenied {
            capability: "kv".into(),
            needed_by: "import `caplet.kv_get`".into(),
        };
        let text = alloc::format!("{e}");
        assert!(text.contains("`kv`") && text.contains("kv_get"), "{text}");
        assert_eq!(e.kind(), ErrorKind::Capability);
        let e = Error::Guest {
            entry: "upper".into(),
            code: Some(Code::InvalidInput),
            raw: 3,
            message: Some("bad".into()),
        };
        assert_eq!(
            alloc::format!("{e}"),
            "`upper` returned INVALID_INPUT (3): bad"
        );
    }
}
