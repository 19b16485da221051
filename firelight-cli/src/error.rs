//! One error type for the command: a single line for the user, and the exit status.
use std::fmt;

/// A user-facing failure. The message is printed as one line after `error: `.
#[derive(Debug)]
pub struct CliError(pub String);

pub type Result<T, E = CliError> = std::result::Result<T, E>;

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<firelight::Error> for CliError {
    fn from(e: firelight::Error) -> Self {
        CliError(e.to_string())
    }
}

/// Builds a `CliError` with `format!` syntax.
#[macro_export]
macro_rules! fail {
    ($($arg:tt)*) => { $crate::error::CliError(format!($($arg)*)) };
}

/// Wraps an I/O error with what was being done and to which path, so the line is actionable.
pub fn io_err(what: &str, path: &std::path::Path, e: std::io::Error) -> CliError {
    CliError(format!("cannot {what} {}: {e}", path.display()))
}

/// The message a user sees: errors may carry newlines (library lists); keep it one line.
pub fn one_line(msg: &str) -> String {
    msg.split_whitespace().collect::<Vec<_>>().join(" ")
}
