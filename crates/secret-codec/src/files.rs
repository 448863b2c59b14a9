//! The file list of a descriptor, collapsed: a set is mostly volumes of one
//! size followed by PAR2 files whose sizes repeat volume after volume, so the
//! list is written as runs of equal files and repeats of the previous span.

use crate::Error;
use crate::descriptor::{MAX_FILES, PostedFile, Role};
use crate::wire::{Reader, put_varint};

const OP_RUN: u8 = 0;
const OP_REPEAT: u8 = 1;
/// The longest span a repeat may copy; bounds the encoder's search.
const MAX_SPAN: usize = 64;

pub(crate) fn encode(out: &mut Vec<u8>, files: &[PostedFile]) {
    let mut ops: Vec<(u8, u64, u64, u64)> = Vec::new();
    let mut i = 0;
    while i < files.len() {
        let run = files[i..].iter().take_while(|f| **f == files[i]).count();
        let mut best = (0usize, 0usize); // (span, covered)
        for span in 1..=i.min(MAX_SPAN) {
            let matching = (i..files.len())
                .take_while(|&j| files[j] == files[j - span])
                .count();
            let covered = matching / span * span;
            if covered > best.1 {
                best = (span, covered);
            }
        }
        if best.1 > run {
            ops.push((OP_REPEAT, best.0 as u64, (best.1 / best.0) as u64, 0));
            i += best.1;
        } else {
            let role = match files[i].role {
                Role::Data => 0,
                Role::Par2 => 1,
                Role::PartStart => 2,
            };
            ops.push((OP_RUN, role, run as u64, files[i].size));
            i += run;
        }
    }
    put_varint(out, ops.len() as u64);
    for (op, a, b, c) in ops {
        out.push(op);
        put_varint(out, a);
        put_varint(out, b);
        if op == OP_RUN {
            put_varint(out, c);
        }
    }
}

pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Vec<PostedFile>, Error> {
    let n_ops = r.varint_max(MAX_FILES, "file list length")?;
    let mut files: Vec<PostedFile> = Vec::new();
    for _ in 0..n_ops {
        match r.u8("file list entry")? {
            OP_RUN => {
                let role = match r.varint("file role")? {
                    0 => Role::Data,
                    1 => Role::Par2,
                    2 => Role::PartStart,
                    other => return Err(Error::Invalid(format!("unknown file role {other}"))),
                };
                let count = r.varint_max(MAX_FILES, "run length")?;
                let size = r.varint("file size")?;
                if count == 0 || files.len() as u64 + count > MAX_FILES {
                    return Err(Error::Invalid("a run of files is empty or too long".into()));
                }
                files.extend((0..count).map(|_| PostedFile { role, size }));
            }
            OP_REPEAT => {
                let span = r.varint_max(MAX_SPAN as u64, "repeat span")? as usize;
                let times = r.varint_max(MAX_FILES, "repeat count")?;
                if span == 0 || span > files.len() || times == 0 {
                    return Err(Error::Invalid(
                        "a repeat copies files that do not exist".into(),
                    ));
                }
                if files.len() as u64 + span as u64 * times > MAX_FILES {
                    return Err(Error::Invalid(format!("more than {MAX_FILES} files")));
                }
                let start = files.len() - span;
                for _ in 0..times {
                    files.extend_from_within(start..start + span);
                }
            }
            other => return Err(Error::Invalid(format!("unknown file list entry {other}"))),
        }
    }
    Ok(files)
}
