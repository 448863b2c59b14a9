//! Descriptor to NZB: the single definition of what a set's NZB contains.
//! The poster writes the NZB of a post with this function and ap-client
//! rebuilds it with the same function, so the two are identical byte for byte.

use ap_nzb::{Meta, Nzb, NzbFile, Segment};

use crate::{Descriptor, Role, SubjectStyle};

/// Builds the set's NZB.
///
/// - head: `title` (when not empty), then `password` (the derived archive
///   password);
/// - one `<file>` per posted file in descriptor order, poster = the derived
///   From header, date = the descriptor date, subject = `"NAME" yEnc
///   (1/PARTS)` with the file's real name ([`file_names`]), all the
///   descriptor's groups;
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
    let names = file_names(d);
    let files = (0..d.files.len())
        .map(|i| {
            let index = i as u32;
            let parts = d.parts(i);
            let segments = (1..=parts)
                .map(|part| Segment {
                    bytes: d.part_size(i, part),
                    number: part,
                    message_id: d.message_id(index, part),
                })
                .collect();
            NzbFile {
                poster: poster.clone(),
                date: d.date,
                subject: format!("\"{}\" yEnc (1/{parts})", names[i]),
                groups: d.groups.clone(),
                segments,
            }
        })
        .collect();
    Nzb { meta, files }
}

/// The names the set's files have on the poster's side and in their PAR2
/// data, in descriptor order: volume `N` (from 1) of an archive is
/// `BASE.7z.NNN`, where BASE is the obfuscated name of the archive's first
/// volume; its PAR2 index is `VOLUME.par2` and its recovery files
/// `VOLUME.volA+B.par2` (A the first exponent, B the slice count).
///
/// The NZB carries these rather than the articles' obfuscated names, so a
/// downloader sees which files are volumes and which PAR2 set each belongs
/// to before a byte arrives. SABnzbd needs that: it pairs a PAR2 set with
/// the files named after it, and renames an obfuscated file from its PAR2
/// data only if that data arrived before the file's first article was
/// written; a damaged volume it could not pair was "missing" whole.
///
/// Slice counts follow from the sizes: an index holds one copy of the
/// critical packets, a recovery file B packets of (68 + slice size) bytes
/// plus that copy. Sizes that do not fit (a set not written by ap) give
/// `+00` counts: downloaders then fetch the whole PAR2 set when repairing.
pub fn file_names(d: &Descriptor) -> Vec<String> {
    let mut names = vec![String::new(); d.files.len()];
    let mut archive = String::new();
    let mut volume = 0u32;
    let mut i = 0;
    while i < d.files.len() {
        if d.files[i].role == Role::PartStart || archive.is_empty() {
            archive = d.key.file_name(i as u32);
            volume = 0;
        }
        volume += 1;
        let name = format!("{archive}.7z.{volume:03}");
        let par2 = d.files[i + 1..]
            .iter()
            .take_while(|f| f.role == Role::Par2)
            .count();
        for (k, n) in par2_names(d, i + 1, par2, &name).into_iter().enumerate() {
            names[i + 1 + k] = n;
        }
        names[i] = name;
        i += 1 + par2;
    }
    names
}

/// Names of the `count` PAR2 files from `first` that belong to `volume`.
fn par2_names(d: &Descriptor, first: usize, count: usize, volume: &str) -> Vec<String> {
    if count == 0 {
        return Vec::new();
    }
    let sizes: Vec<u64> = d.files[first..first + count]
        .iter()
        .map(|f| f.size)
        .collect();
    let critical = sizes[0];
    let extra: Vec<u64> = sizes[1..]
        .iter()
        .map(|s| s.saturating_sub(critical))
        .collect();
    // The smallest recovery file holds one slice (doubling layout), so the
    // greatest common divisor of the packet bytes is one packet.
    let packet = extra.iter().copied().fold(0, gcd);
    let counts: Vec<u64> = extra
        .iter()
        .map(|&e| e.checked_div(packet).unwrap_or(0))
        .collect();
    let fits = packet > 68 && sizes[1..].iter().all(|&s| s > critical);
    let total: u64 = if fits { counts.iter().sum() } else { 0 };
    let width = total.to_string().len().max(2);
    let mut out = vec![format!("{volume}.par2")];
    let mut exponent = 0u64;
    for &n in &counts {
        let n = if fits { n } else { 0 };
        out.push(format!("{volume}.vol{exponent:0width$}+{n:0width$}.par2"));
        exponent += if fits { n } else { 1 };
    }
    out
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{PostedFile, SetKey};

    fn descriptor(files: &[(Role, u64)]) -> Descriptor {
        Descriptor {
            key: SetKey::from_bytes([7; 32]),
            title: String::new(),
            groups: vec!["alt.binaries.test".into()],
            domain: "example.invalid".into(),
            subjects: SubjectStyle::Random,
            article_size: 1000,
            line_length: 128,
            date: 0,
            files: files
                .iter()
                .map(|&(role, size)| PostedFile { role, size })
                .collect(),
            reposts: Vec::new(),
        }
    }

    #[test]
    fn names_pair_each_volume_with_its_par2_set() {
        // Index 500 bytes, recovery packets of 68 + 1000 bytes: 1, 2, 3 slices.
        let p = 1068;
        let d = descriptor(&[
            (Role::Data, 5000),
            (Role::Par2, 500),
            (Role::Par2, 500 + p),
            (Role::Par2, 500 + 2 * p),
            (Role::Par2, 500 + 3 * p),
            (Role::Data, 10),
            (Role::PartStart, 5000),
            (Role::Par2, 500),
        ]);
        let a = d.key.file_name(0);
        let b = d.key.file_name(6);
        assert_eq!(
            file_names(&d),
            vec![
                format!("{a}.7z.001"),
                format!("{a}.7z.001.par2"),
                format!("{a}.7z.001.vol00+01.par2"),
                format!("{a}.7z.001.vol01+02.par2"),
                format!("{a}.7z.001.vol03+03.par2"),
                format!("{a}.7z.002"),
                format!("{b}.7z.001"),
                format!("{b}.7z.001.par2"),
            ]
        );
        let nzb = to_nzb(&d);
        assert_eq!(
            nzb.files[1].subject,
            format!("\"{a}.7z.001.par2\" yEnc (1/1)")
        );
    }

    #[test]
    fn sizes_ap_did_not_write_still_give_distinct_names() {
        let d = descriptor(&[(Role::Data, 5000), (Role::Par2, 900), (Role::Par2, 800)]);
        let names = file_names(&d);
        assert!(names[2].ends_with(".7z.001.vol00+00.par2"), "{names:?}");
    }
}
