//! Descriptor to NZB: the single definition of what a set's NZB contains.
//! The poster writes the NZB of a post with this function and ap-client
//! rebuilds it with the same function, so the two are identical byte for byte.

use ap_nzb::{Meta, Nzb, NzbFile, Segment};

use crate::{Descriptor, SubjectStyle};

/// Builds the set's NZB.
///
/// - head: `title` (when not empty), then `password` (the derived archive
///   password);
/// - one `<file>` per posted file in descriptor order, poster = the derived
///   From header, date = the descriptor date, subject = the subject of the
///   file's part 1, all the descriptor's groups;
/// - segments numbered from 1 with the derived Message-IDs (using each
///   re-post's attempt) and `bytes` = the decoded size of the part. The
///   decoded size, not the encoded article size, because it follows from the
///   descriptor alone; downloaders use it only for progress.
pub fn to_nzb(d: &Descriptor) -> Nzb {
    let mut meta = Vec::new();
    if !d.title.is_empty() {
        meta.push(Meta::new("title", d.title.clone()));
    }
    meta.push(Meta::new("password", d.key.archive_password()));
    let poster = d.key.from_header(&d.domain);
    let files = (0..d.files.len())
        .map(|i| {
            let index = i as u32;
            let parts = d.parts(i);
            let segments = (1..=parts)
                .map(|part| Segment {
                    bytes: d.part_size(i, part),
                    number: part,
                    message_id: d
                        .key
                        .message_id(index, part, d.attempt(index, part), &d.domain),
                })
                .collect();
            NzbFile {
                poster: poster.clone(),
                date: d.date,
                subject: subject(d, index, 1),
                groups: d.groups.clone(),
                segments,
            }
        })
        .collect();
    Nzb { meta, files }
}

/// The Subject header of an article (`part` from 1).
pub fn subject(d: &Descriptor, file: u32, part: u32) -> String {
    match d.subjects {
        SubjectStyle::Random => d.key.random_subject(file, part),
        SubjectStyle::Yenc => format!(
            "\"{}\" yEnc ({part}/{})",
            d.key.file_name(file),
            d.parts(file as usize)
        ),
    }
}
