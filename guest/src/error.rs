//! Errors that cross the plugin boundary.

use std::fmt;

pub use crate::code::ErrorCode;

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
