//! Benchmark inputs, generated from fixed seeds so every run and every machine
//! measures the same bytes. Each input is written once under
//! `target/bench/inputs/` and reused while its completion marker exists.

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

/// xoshiro256**: fast, and its output is as good as random to a compressor.
pub struct Rng([u64; 4]);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // SplitMix64 spreads a small seed over the whole state.
        let mut x = seed;
        let mut next = || {
            x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = x;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        };
        Rng([next(), next(), next(), next()])
    }

    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.0;
        let out = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        out
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

pub fn inputs_dir() -> PathBuf {
    crate::sh::repo_root().join("target/bench/inputs")
}

/// Runs `make` into a fresh `path` unless a finished copy is already there.
fn cached(path: &Path, make: impl FnOnce(&Path) -> Result<()>) -> Result<PathBuf> {
    let marker = path.with_extension("done");
    if marker.is_file() && path.exists() {
        warm(path)?;
        return Ok(path.to_path_buf());
    }
    if path.is_dir() {
        fs::remove_dir_all(path)?;
    } else if path.exists() {
        fs::remove_file(path)?;
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    eprintln!("generating {}", path.display());
    make(path).with_context(|| format!("generating {}", path.display()))?;
    fs::write(marker, b"")?;
    Ok(path.to_path_buf())
}

/// Reads an input once so it sits in the page cache before the first timed
/// run: otherwise whichever tool runs first also pays for the disk (3.5 s
/// instead of 1.0 s for 2 GiB here), and with three runs that is one
/// sample in three. A freshly generated input is already cached.
fn warm(path: &Path) -> Result<()> {
    let mut buf = vec![0u8; 1 << 20];
    for file in files_under(path)
        .into_iter()
        .chain(path.is_file().then(|| path.to_path_buf()))
    {
        let mut f = File::open(&file).with_context(|| format!("reading {}", file.display()))?;
        while f.read(&mut buf)? > 0 {}
    }
    Ok(())
}

fn write_random(path: &Path, size: u64, rng: &mut Rng) -> Result<()> {
    let mut out = BufWriter::new(File::create(path)?);
    let mut buf = vec![0u8; 1 << 20];
    let mut left = size;
    while left > 0 {
        let n = left.min(buf.len() as u64) as usize;
        rng.fill(&mut buf[..n]);
        out.write_all(&buf[..n])?;
        left -= n as u64;
    }
    out.flush()?;
    Ok(())
}

/// Text with a Zipf-like word distribution: compresses about as well as logs
/// and prose do (LZMA2 reaches roughly 3 to 4x on it).
fn write_text(path: &Path, size: u64, rng: &mut Rng) -> Result<()> {
    let vocabulary: Vec<String> = (0..4000)
        .map(|_| {
            let len = 2 + rng.below(9) as usize;
            (0..len)
                .map(|_| (b'a' + rng.below(26) as u8) as char)
                .collect()
        })
        .collect();
    let mut out = BufWriter::new(File::create(path)?);
    let mut written = 0u64;
    let mut line = 0usize;
    while written < size {
        // Squaring a uniform index favours the first words, as in real text.
        let r = rng.below(1 << 16) as usize;
        let word = &vocabulary[(r * r * vocabulary.len()) >> 32];
        let sep: &[u8] = if line > 70 { b"\n" } else { b" " };
        line = if sep == b"\n" {
            0
        } else {
            line + word.len() + 1
        };
        let take = (size - written).min(word.len() as u64 + 1) as usize;
        let mut piece = Vec::with_capacity(word.len() + 1);
        piece.extend_from_slice(word.as_bytes());
        piece.extend_from_slice(sep);
        out.write_all(&piece[..take])?;
        written += take as u64;
    }
    out.flush()?;
    Ok(())
}

/// One file of `size` random bytes.
pub fn random_file(size: u64, seed: u64) -> Result<PathBuf> {
    let path = inputs_dir().join(format!("random-{size}-{seed}.bin"));
    cached(&path, |p| write_random(p, size, &mut Rng::new(seed)))
}

/// One file of `size` bytes of generated text.
pub fn text_file(size: u64, seed: u64) -> Result<PathBuf> {
    let path = inputs_dir().join(format!("text-{size}-{seed}.txt"));
    cached(&path, |p| write_text(p, size, &mut Rng::new(seed)))
}

/// A folder of `count` random files of `size / count` bytes each, like a set of
/// archive volumes.
pub fn volumes(size: u64, count: u64, seed: u64) -> Result<PathBuf> {
    let path = inputs_dir().join(format!("volumes-{size}-{count}-{seed}"));
    cached(&path, |dir| {
        fs::create_dir_all(dir)?;
        let mut rng = Rng::new(seed);
        for i in 0..count {
            write_random(
                &dir.join(format!("set.7z.{:03}", i + 1)),
                size / count,
                &mut rng,
            )?;
        }
        Ok(())
    })
}

/// A tree of `count` small files (0 to 16 KiB, text and binary) in nested folders.
pub fn small_files(count: u64, seed: u64) -> Result<PathBuf> {
    let path = inputs_dir().join(format!("small-{count}-{seed}"));
    cached(&path, |dir| {
        let mut rng = Rng::new(seed);
        for i in 0..count {
            let sub = dir.join(format!("d{:02}/e{:02}", i % 37, (i / 37) % 23));
            fs::create_dir_all(&sub)?;
            // Sizes spread over orders of magnitude, most of them small.
            let magnitude = 4 + rng.below(11);
            let size = rng.below(1 << magnitude);
            let file = sub.join(format!(
                "f{i:05}.{}",
                if i % 3 == 0 { "bin" } else { "txt" }
            ));
            if i % 3 == 0 {
                write_random(&file, size, &mut rng)?;
            } else {
                write_text(&file, size, &mut rng)?;
            }
        }
        Ok(())
    })
}

/// A folder shaped like a media release: one big incompressible video, a
/// sample, subtitles and an .nfo; `size` is the whole folder's size.
pub fn media_release(size: u64, seed: u64) -> Result<PathBuf> {
    let path = inputs_dir().join(format!("media-{size}-{seed}"));
    cached(&path, |dir| {
        let mut rng = Rng::new(seed);
        let main = dir.join("Show.Name.S01E01.1080p.WEB.x264");
        let sample = main.join("Sample");
        let subs = main.join("Subs");
        fs::create_dir_all(&sample)?;
        fs::create_dir_all(&subs)?;
        let sample_size = size / 50;
        let text_size = (size / 1000).max(4096);
        let video = size.saturating_sub(sample_size + 3 * text_size);
        write_random(
            &main.join("show.name.s01e01.1080p.web.x264.mkv"),
            video,
            &mut rng,
        )?;
        write_random(&sample.join("sample.mkv"), sample_size, &mut rng)?;
        write_text(&subs.join("English.srt"), text_size, &mut rng)?;
        write_text(&subs.join("Français.srt"), text_size, &mut rng)?;
        write_text(&main.join("show.name.s01e01.nfo"), text_size, &mut rng)?;
        Ok(())
    })
}

/// A folder holding only `file` (hard-linked), for tools that take a folder.
pub fn in_folder(name: &str, file: PathBuf) -> Result<PathBuf> {
    let stem = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let path = inputs_dir().join(format!("{name}-{stem}"));
    cached(&path, |dir| {
        fs::create_dir_all(dir)?;
        let target = dir.join(&stem);
        fs::hard_link(&file, &target).or_else(|_| fs::copy(&file, &target).map(|_| ()))?;
        Ok(())
    })
}

/// Total size of the files under `path` (or of `path` itself).
pub fn size_of(path: &Path) -> u64 {
    let Ok(meta) = fs::symlink_metadata(path) else {
        return 0;
    };
    if !meta.is_dir() {
        return meta.len();
    }
    fs::read_dir(path)
        .map(|entries| entries.flatten().map(|e| size_of(&e.path())).sum())
        .unwrap_or(0)
}

/// Every file under `path`, sorted, for tools that take a file list.
pub fn files_under(path: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = fs::read_dir(path) {
        for entry in entries.flatten() {
            let p = entry.path();
            if p.is_dir() {
                out.extend(files_under(&p));
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn rng_is_deterministic_and_spread() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        let xs: Vec<u64> = (0..100).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..100).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(Rng::new(8).next_u64(), xs[0]);
        let mut buf = [0u8; 4096];
        Rng::new(1).fill(&mut buf);
        let ones: u32 = buf.iter().map(|b| b.count_ones()).sum();
        // Half the bits set, give or take a few standard deviations.
        assert!((15_800..17_000).contains(&ones), "{ones}");
    }
}
