use thiserror::Error;

/// Why an NZB could not be written or read. Each variant displays as one line.
#[derive(Debug, Error)]
pub enum NzbError {
    /// The document is not an NZB we can read; `line` and `column` are 1-based
    /// and point at the offending place in the (decompressed) text.
    #[error("the NZB is malformed at line {line}, column {column}: {message}")]
    Malformed {
        line: usize,
        column: usize,
        message: String,
    },
    /// A `.nzb.gz` whose compressed stream is damaged.
    #[error("the NZB is gzip-compressed but does not decompress: {0}")]
    Gzip(#[source] std::io::Error),
    /// A value holds a character that XML 1.0 cannot carry at all (a control
    /// character other than tab, line feed or carriage return).
    #[error(
        "the NZB cannot carry {what}: it holds the control character U+{code:04X}, which XML 1.0 forbids"
    )]
    Unrepresentable { what: &'static str, code: u32 },
}
