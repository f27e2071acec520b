//! The contract's error codes, shared by the kit's two modes.

use core::fmt;

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
}
