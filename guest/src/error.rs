//! Errors that cross the plugin boundary.

use std::fmt;

/// The stable error codes of the Caplet contract (ABI v1).
///
/// An entry point that fails returns `-(code)`; a host call that fails returns
/// `-(code)` to the guest. The numbers never change between releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
#[repr(i32)]
pub enum ErrorCode {
    /// `1` — a key, file, config value, variable, secret or export does not exist.
    NotFound = 1,
    /// `2` — the capability is not granted, or the call is outside the granted scope.
    PermissionDenied = 2,
    /// `3` — bad pointer or length, bad UTF-8 or JSON, bad argument.
    InvalidInput = 3,
    /// `4` — the platform failed (file system, network).
    Io = 4,
    /// `5` — a deadline passed.
    Timeout = 5,
    /// `6` — a size, count, rate or memory cap was hit.
    Limit = 6,
    /// `7` — this host cannot do it.
    Unsupported = 7,
    /// `8` — a bug (in the host, or bad data where none was expected).
    Internal = 8,
}

impl ErrorCode {
    /// Every code, in numeric order.
    pub const ALL: [ErrorCode; 8] = [
        ErrorCode::NotFound,
        ErrorCode::PermissionDenied,
        ErrorCode::InvalidInput,
        ErrorCode::Io,
        ErrorCode::Timeout,
        ErrorCode::Limit,
        ErrorCode::Unsupported,
        ErrorCode::Internal,
    ];

    /// The positive number of this code (`1..=8`).
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The code for a positive number, or `None` if the number is not in the table.
    pub const fn from_code(code: i64) -> Option<ErrorCode> {
        Some(match code {
            1 => ErrorCode::NotFound,
            2 => ErrorCode::PermissionDenied,
            3 => ErrorCode::InvalidInput,
            4 => ErrorCode::Io,
            5 => ErrorCode::Timeout,
            6 => ErrorCode::Limit,
            7 => ErrorCode::Unsupported,
            8 => ErrorCode::Internal,
            _ => return None,
        })
    }

    /// The name used in the contract, e.g. `"NOT_FOUND"`.
    pub const fn name(self) -> &'static str {
        match self {
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::PermissionDenied => "PERMISSION_DENIED",
            ErrorCode::InvalidInput => "INVALID_INPUT",
            ErrorCode::Io => "IO",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::Limit => "LIMIT",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::Internal => "INTERNAL",
        }
    }

    /// The value an entry point returns for this code: `-(code)`.
    pub const fn to_return_value(self) -> i64 {
        -(self as i64)
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An error with a contract [`ErrorCode`] and a human-readable message.
///
/// Returning `Err(error)` from an entry point makes the kit pass `message` to
/// the host (`caplet.set_error`) and return `-(code)`. Every host-call wrapper
/// in this crate returns this type, so `?` composes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The contract error code.
    pub code: ErrorCode,
    /// A UTF-8 message for the operator; may be empty.
    pub message: String,
}

macro_rules! constructors {
    ($($(#[$doc:meta])* $fn_name:ident => $code:ident;)*) => {
        $(
            $(#[$doc])*
            pub fn $fn_name(message: impl Into<String>) -> Error {
                Error::new(ErrorCode::$code, message)
            }
        )*
    };
}

impl Error {
    /// An error with the given code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Error {
        Error {
            code,
            message: message.into(),
        }
    }

    constructors! {
        /// A [`ErrorCode::NotFound`] error.
        not_found => NotFound;
        /// A [`ErrorCode::PermissionDenied`] error.
        permission_denied => PermissionDenied;
        /// An [`ErrorCode::InvalidInput`] error.
        invalid_input => InvalidInput;
        /// An [`ErrorCode::Io`] error.
        io => Io;
        /// A [`ErrorCode::Timeout`] error.
        timeout => Timeout;
        /// A [`ErrorCode::Limit`] error.
        limit => Limit;
        /// An [`ErrorCode::Unsupported`] error.
        unsupported => Unsupported;
        /// An [`ErrorCode::Internal`] error.
        internal => Internal;
    }

    /// The error for a negative result `-(code)` of the host import `import`.
    ///
    /// A code outside the table (a host newer than this kit, or a broken one)
    /// becomes [`ErrorCode::Internal`] with the number in the message.
    pub fn from_host(import: &str, code: u64) -> Error {
        let known = i64::try_from(code).ok().and_then(ErrorCode::from_code);
        match known {
            Some(code) => Error::new(code, format!("{import}: {}", code.name())),
            None => Error::internal(format!("{import}: unknown error code {code}")),
        }
    }

    /// The value an entry point returns for this error: `-(code)`.
    pub fn to_return_value(&self) -> i64 {
        self.code.to_return_value()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.message.is_empty() {
            f.write_str(self.code.name())
        } else {
            write!(f, "{}: {}", self.code.name(), self.message)
        }
    }
}

impl std::error::Error for Error {}

impl From<ErrorCode> for Error {
    /// An error with the code's name as its message.
    fn from(code: ErrorCode) -> Error {
        Error::new(code, code.name())
    }
}

impl From<serde_json::Error> for Error {
    /// Bad JSON is bad input: [`ErrorCode::InvalidInput`] with serde's message.
    fn from(err: serde_json::Error) -> Error {
        Error::invalid_input(err.to_string())
    }
}

impl From<std::str::Utf8Error> for Error {
    /// [`ErrorCode::InvalidInput`].
    fn from(err: std::str::Utf8Error) -> Error {
        Error::invalid_input(format!("invalid UTF-8: {err}"))
    }
}

impl From<std::string::FromUtf8Error> for Error {
    /// [`ErrorCode::InvalidInput`].
    fn from(err: std::string::FromUtf8Error) -> Error {
        Error::invalid_input(format!("invalid UTF-8: {err}"))
    }
}

impl From<std::num::ParseIntError> for Error {
    /// [`ErrorCode::InvalidInput`].
    fn from(err: std::num::ParseIntError) -> Error {
        Error::invalid_input(format!("invalid integer: {err}"))
    }
}

impl From<std::num::ParseFloatError> for Error {
    /// [`ErrorCode::InvalidInput`].
    fn from(err: std::num::ParseFloatError) -> Error {
        Error::invalid_input(format!("invalid number: {err}"))
    }
}

impl From<base64::DecodeError> for Error {
    /// [`ErrorCode::InvalidInput`].
    fn from(err: base64::DecodeError) -> Error {
        Error::invalid_input(format!("invalid base64: {err}"))
    }
}

impl From<fmt::Error> for Error {
    /// [`ErrorCode::Internal`].
    fn from(_: fmt::Error) -> Error {
        Error::internal("formatting failed")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_contract_table() {
        let table = [
            (1, "NOT_FOUND"),
            (2, "PERMISSION_DENIED"),
            (3, "INVALID_INPUT"),
            (4, "IO"),
            (5, "TIMEOUT"),
            (6, "LIMIT"),
            (7, "UNSUPPORTED"),
            (8, "INTERNAL"),
        ];
        for (code, (n, name)) in ErrorCode::ALL.iter().zip(table) {
            assert_eq!(code.code(), n);
            assert_eq!(code.name(), name);
            assert_eq!(ErrorCode::from_code(n.into()), Some(*code));
            assert_eq!(code.to_return_value(), -i64::from(n));
        }
        assert_eq!(ErrorCode::from_code(0), None);
        assert_eq!(ErrorCode::from_code(9), None);
        assert_eq!(ErrorCode::from_code(-1), None);
    }

    #[test]
    fn constructors_set_codes() {
        assert_eq!(Error::not_found("x").code, ErrorCode::NotFound);
        assert_eq!(
            Error::permission_denied("x").code,
            ErrorCode::PermissionDenied
        );
        assert_eq!(Error::invalid_input("x").code, ErrorCode::InvalidInput);
        assert_eq!(Error::io("x").code, ErrorCode::Io);
        assert_eq!(Error::timeout("x").code, ErrorCode::Timeout);
        assert_eq!(Error::limit("x").code, ErrorCode::Limit);
        assert_eq!(Error::unsupported("x").code, ErrorCode::Unsupported);
        let e = Error::internal("boom");
        assert_eq!((e.code, e.message.as_str()), (ErrorCode::Internal, "boom"));
        assert_eq!(e.to_return_value(), -8);
        assert_eq!(e.to_string(), "INTERNAL: boom");
        assert_eq!(Error::from(ErrorCode::Limit).to_string(), "LIMIT: LIMIT");
    }

    #[test]
    fn host_codes_map_to_errors() {
        let e = Error::from_host("kv_get", 2);
        assert_eq!(e.code, ErrorCode::PermissionDenied);
        assert_eq!(e.message, "kv_get: PERMISSION_DENIED");
        let e = Error::from_host("emit", 42);
        assert_eq!(e.code, ErrorCode::Internal);
        assert!(e.message.contains("42"));
        let e = Error::from_host("emit", u64::MAX);
        assert_eq!(e.code, ErrorCode::Internal);
    }

    #[test]
    fn question_mark_conversions() {
        fn json() -> Result<u32, Error> {
            Ok(serde_json::from_str::<u32>("nope")?)
        }
        let e = json().unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidInput);
        assert!(e.message.contains("expected"), "{}", e.message);

        fn utf8() -> Result<String, Error> {
            Ok(String::from_utf8(vec![0xff])?)
        }
        assert_eq!(utf8().unwrap_err().code, ErrorCode::InvalidInput);

        fn int() -> Result<u32, Error> {
            Ok("x1".parse::<u32>()?)
        }
        assert_eq!(int().unwrap_err().code, ErrorCode::InvalidInput);
    }
}
