//! Decoding: the body kernels and the tolerant article state machine.

mod article;
pub(crate) mod scalar;
#[cfg(target_arch = "x86_64")]
mod x86;

pub use article::{Decoded, Decoder, Issue, Progress, Report, decode_part, decode_part_into};

use crate::Kernel;

/// Where the body decoder is between calls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BodyState {
    /// The previous byte was an active `=`.
    pub esc: bool,
    /// The previous byte was an unescaped LF.
    pub line_start: bool,
}

/// Why a body kernel returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// All input consumed.
    Done,
    /// Stopped in front of a line starting `=y`.
    Keyword,
    /// The last input byte is a line-start `=`: needs the next byte.
    NeedMore,
}

/// Runs the chosen kernel, then the scalar one on the tail.
/// `out` must be at least as long as `input`.
pub(crate) fn decode_body(
    kernel: Kernel,
    input: &[u8],
    out: &mut [u8],
    st: &mut BodyState,
    strip: bool,
) -> (usize, usize, Stop) {
    #[cfg(target_arch = "x86_64")]
    let (ip, op) = {
        // SAFETY: `or_best` only returns kernels the CPU supports.
        let (ip, op, stop) = unsafe {
            match kernel.or_best() {
                Kernel::Avx512 => x86::decode_avx512(input, out, st, strip),
                Kernel::Avx2 => x86::decode_avx2(input, out, st, strip),
                Kernel::Ssse3 => x86::decode_ssse3(input, out, st, strip),
                Kernel::Sse2 => x86::decode_sse2(input, out, st, strip),
                Kernel::Scalar => (0, 0, Stop::Done),
            }
        };
        if stop != Stop::Done {
            return (ip, op, stop);
        }
        (ip, op)
    };
    #[cfg(not(target_arch = "x86_64"))]
    let (ip, op) = {
        let _ = kernel;
        (0, 0)
    };
    let (ci, co, stop) = scalar::decode(&input[ip..], &mut out[op..], st, strip);
    (ip + ci, op + co, stop)
}

/// Decodes a raw body (no keyword lines expected), as node-yencode's
/// `decodeTo` does; stops early at a line starting `=y`. Returns
/// `(consumed, written)`. `out` must be at least as long as `input`.
pub fn decode_raw(
    input: &[u8],
    out: &mut [u8],
    strip_dots: bool,
) -> Result<(usize, usize), crate::DecodeError> {
    decode_raw_with(Kernel::best(), input, out, strip_dots)
}

/// [`decode_raw`] with a chosen kernel; for tests and benchmarks.
pub fn decode_raw_with(
    kernel: Kernel,
    input: &[u8],
    out: &mut [u8],
    strip_dots: bool,
) -> Result<(usize, usize), crate::DecodeError> {
    if out.len() < input.len() {
        return Err(crate::DecodeError::BufferTooSmall {
            need: input.len(),
            have: out.len(),
        });
    }
    let mut st = BodyState {
        esc: false,
        line_start: true,
    };
    let (ci, co, _) = decode_body(kernel, input, out, &mut st, strip_dots);
    Ok((ci, co))
}

#[cfg(test)]
pub(crate) fn decode_body_for_test(
    kernel: Kernel,
    input: &[u8],
    esc: bool,
    line_start: bool,
    strip: bool,
) -> (usize, Vec<u8>, Stop, bool, bool) {
    let mut out = vec![0u8; input.len()];
    let mut st = BodyState { esc, line_start };
    let (ci, co, stop) = decode_body(kernel, input, &mut out, &mut st, strip);
    out.truncate(co);
    (ci, out, stop, st.esc, st.line_start)
}
