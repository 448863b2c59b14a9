//! The reference encoder: one byte at a time, the rules written out plainly.
//! Every SIMD kernel must produce exactly these bytes.

/// Encodes `input` into `out`, continuing a line at column `*col`.
///
/// Escapes NUL, LF, CR and `=` always; TAB and SPACE at the start and at the
/// end of a line; `.` at the start of a line. A line ends (CRLF) as soon as
/// its column reaches `line`. When `ends_part` is set, the last byte of
/// `input` is treated as ending a line (it is the last byte of the part).
/// `out` must hold [`super::max_encoded_len`] bytes; returns bytes written.
pub(crate) fn encode(
    line: usize,
    col: &mut usize,
    input: &[u8],
    out: &mut [u8],
    ends_part: bool,
) -> usize {
    let mut o = 0;
    let mut c = *col;
    let last = input.len().wrapping_sub(1);
    for (i, &b) in input.iter().enumerate() {
        let v = b.wrapping_add(42);
        let escape = match v {
            0 | b'\n' | b'\r' | b'=' => true,
            b'\t' | b' ' => c == 0 || c + 1 >= line || (ends_part && i == last),
            b'.' => c == 0,
            _ => false,
        };
        if escape {
            out[o] = b'=';
            out[o + 1] = v.wrapping_add(64);
            o += 2;
            c += 2;
        } else {
            out[o] = v;
            o += 1;
            c += 1;
        }
        if c >= line {
            out[o] = b'\r';
            out[o + 1] = b'\n';
            o += 2;
            c = 0;
        }
    }
    *col = c;
    o
}
