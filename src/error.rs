//! The one error type for everything that touches the outside world.
use std::fmt;
use std::path::PathBuf;

/// What went wrong reading, writing or parsing something outside the program.
///
/// Programming mistakes (shape or dtype mismatches) panic instead; see the design.
///
/// ```
/// let e = firelight::Error::format("data/x.idx", "wrong magic number 0x00000999");
/// assert!(e.to_string().contains("data/x.idx"));
/// ```
#[derive(Debug)]
pub enum Error {
    /// An I/O error, with the path it happened on.
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A file whose bytes are not what its format requires.
    Format { path: PathBuf, message: String },
    /// Anything else, described in words.
    Msg(String),
}

impl Error {
    /// A format error naming the file and what was wrong.
    pub fn format(path: impl Into<PathBuf>, message: impl Into<String>) -> Error {
        Error::Format {
            path: path.into(),
            message: message.into(),
        }
    }
    /// An I/O error on `path`.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Error {
        Error::Io {
            path: path.into(),
            source,
        }
    }
    /// An error described by a message.
    pub fn msg(message: impl Into<String>) -> Error {
        Error::Msg(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io { path, source } => write!(f, "{}: {}", path.display(), source),
            Error::Format { path, message } => write!(f, "{}: {}", path.display(), message),
            Error::Msg(m) => f.write_str(m),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// `Result` with firelight's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
