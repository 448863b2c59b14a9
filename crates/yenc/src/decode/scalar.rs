//! The reference decoder: a byte-at-a-time state machine. Every SIMD kernel
//! must produce exactly its output, stop where it stops, and leave the same
//! state behind.

use super::{BodyState, Stop};

/// Decodes `input` into `out` (which must be at least as long as `input`).
///
/// Rules: the byte after an `=` is data (minus 106), whatever it is; CR and
/// LF are dropped; with `strip_dots`, a `.` that starts a line is dropped
/// (NNTP dot-stuffing); a line that starts with `=y` ends the body: the
/// decoder stops in front of it ([`Stop::Keyword`]). A line-start `=` as the
/// very last input byte cannot be told apart yet, so it is left unconsumed
/// ([`Stop::NeedMore`]).
pub(crate) fn decode(
    input: &[u8],
    out: &mut [u8],
    st: &mut BodyState,
    strip_dots: bool,
) -> (usize, usize, Stop) {
    let mut o = 0;
    let mut i = 0;
    while i < input.len() {
        let b = input[i];
        if st.esc {
            out[o] = b.wrapping_sub(106);
            o += 1;
            st.esc = false;
            st.line_start = false;
            i += 1;
            continue;
        }
        if st.line_start {
            if b == b'.' && strip_dots {
                st.line_start = false;
                i += 1;
                continue;
            }
            if b == b'=' {
                match input.get(i + 1) {
                    None => return (i, o, Stop::NeedMore),
                    Some(b'y') => return (i, o, Stop::Keyword),
                    Some(_) => {}
                }
            }
        }
        match b {
            b'\n' => st.line_start = true,
            b'\r' => st.line_start = false,
            b'=' => {
                st.esc = true;
                st.line_start = false;
            }
            _ => {
                out[o] = b.wrapping_sub(42);
                o += 1;
                st.line_start = false;
            }
        }
        i += 1;
    }
    (i, o, Stop::Done)
}
