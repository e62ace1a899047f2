//! clql's status codes as a Rust error.

use std::ffi::CStr;
use std::fmt;
use std::os::raw::{c_char, c_int};

use clql_sys as sys;

/// A failed clql call: the status code, its symbolic name
/// (`"CLQL_ERR_INVALID_ARGUMENT"`, `"CL_OUT_OF_RESOURCES"`), its one-line
/// message, and the detail clql recorded for the failure (the offending
/// variable, the bytes needed and remaining; "" when there is none).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    status: i32,
    name: &'static str,
    message: &'static str,
    detail: String,
}

/// `Result` with clql's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

/// A static string clql returned (names and messages of its tables).
pub(crate) fn static_str_pub(p: *const c_char) -> &'static str {
    static_str(p)
}

pub(crate) fn static_str(p: *const c_char) -> &'static str {
    if p.is_null() {
        return "";
    }
    // SAFETY: clql documents these strings as static and NUL-terminated.
    unsafe { CStr::from_ptr(p) }.to_str().unwrap_or("")
}

/// Symbolic name of any status value ("CLQL_UNKNOWN_STATUS" for unknown ones).
pub fn status_name(status: i32) -> &'static str {
    static_str(unsafe { sys::clql_status_name(status) })
}

/// One-line message of any status value.
pub fn status_message(status: i32) -> &'static str {
    static_str(unsafe { sys::clql_status_message(status) })
}

impl Error {
    /// The error of `status`, with the detail clql recorded for it on this
    /// thread (read now, before any other clql call can replace it).
    pub(crate) fn from_status(status: c_int) -> Error {
        // SAFETY: clql_last_error_detail returns a NUL-terminated string
        // valid until the next clql call on this thread; it is copied here.
        let detail = unsafe { CStr::from_ptr(sys::clql_last_error_detail()) }
            .to_string_lossy()
            .into_owned();
        Error { status, name: status_name(status), message: status_message(status), detail }
    }

    /// An argument the binding refuses before calling clql (a slice of the
    /// wrong length, a string with a NUL byte), as CLQL_ERR_INVALID_ARGUMENT.
    pub(crate) fn invalid_argument(detail: impl Into<String>) -> Error {
        let status = sys::CLQL_ERR_INVALID_ARGUMENT;
        Error {
            status,
            name: status_name(status),
            message: status_message(status),
            detail: detail.into(),
        }
    }

    /// The clql_status value (0 never: that is success).
    pub fn status(&self) -> i32 {
        self.status
    }
    /// Symbolic name of the status, e.g. "CLQL_ERR_DOES_NOT_FIT".
    pub fn name(&self) -> &'static str {
        self.name
    }
    /// One-line message of the status.
    pub fn message(&self) -> &'static str {
        self.message
    }
    /// What clql said about this failure; "" when nothing more.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.detail.is_empty() {
            write!(f, "{}: {}", self.name, self.message)
        } else {
            write!(f, "{}: {}", self.name, self.detail)
        }
    }
}

impl std::error::Error for Error {}

/// Ok for CLQL_SUCCESS, else the error with its detail.
pub(crate) fn check(status: c_int) -> Result<()> {
    if status == sys::CLQL_SUCCESS {
        Ok(())
    } else {
        Err(Error::from_status(status))
    }
}
