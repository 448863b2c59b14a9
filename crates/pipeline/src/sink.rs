//! The archive's volume sink in the post job.
//!
//! When every size is known up front (copy folders: method copy, or auto on
//! media), the 7z start header arrives first and names the archive's length,
//! so every volume's length, PAR2 plan and descriptor index are known before
//! the first article: the bytes go straight from the archive writer into
//! articles and the volume's PAR2 encoder, and nothing of the volume touches
//! the disk. With LZMA2 folders the start header comes last; then each
//! volume is staged as a file, posted when complete and deleted, and the
//! first one, which waits for its start header, goes last.

use std::io;
use std::path::PathBuf;

use ap_archive::{DirSink, VolumeSink, volume_file_name};
use ap_secret_codec::{PostedFile, Role};
use bytes::Bytes;

use crate::error::{Error, Result};
use crate::layout::{Par2Plan, data_file_index, par2_plan};
use crate::progress::{Progress, ProgressSink, emit};
use crate::upload::{ParityWorker, Source, Uploader};

/// Length of the 7z start header, which names the end header's place.
const START_HEADER: usize = 32;

/// Settings the sink needs from the job.
pub(crate) struct SinkConfig {
    pub volume_size: u64,
    pub redundancy: f64,
    pub par2_memory: usize,
    pub par2_dir: PathBuf,
    pub stage_dir: PathBuf,
    pub archive_name: String,
    pub progress: Option<ProgressSink>,
    /// Which part of a split set this archive is (0 for an unsplit set).
    pub part: u32,
    /// Descriptor index of this archive's first volume.
    pub first_file: u32,
}

impl SinkConfig {
    /// Descriptor entry of volume `volume` of this archive: the first volume
    /// of a later part says that a new archive begins there.
    fn volume_entry(&self, volume: u32, size: u64) -> (PostedFile, Source) {
        let role = if volume == 0 && self.part > 0 {
            Role::PartStart
        } else {
            Role::Data
        };
        (
            PostedFile { role, size },
            Source::Volume {
                part: self.part,
                volume,
            },
        )
    }
}

/// The volume being streamed.
struct Current {
    volume: u32,
    file: u32,
    part: u32,
    buf: Vec<u8>,
    parity: Option<ParityWorker>,
}

enum Mode {
    /// Not decided: volume 0 has not begun.
    Unknown,
    /// Streaming; `head` collects volume 0's first bytes until the start
    /// header is complete.
    Stream {
        head: Vec<u8>,
        plans: Vec<Par2Plan>,
        lengths: Vec<u64>,
        current: Option<Current>,
    },
    /// Staging volumes as files (start header held back): each volume but
    /// the first is posted from its file as soon as it is complete, then
    /// deleted; the first waits for its start header.
    Stage { dir: DirSink, plans: Vec<Par2Plan> },
}

pub(crate) struct PostSink<'a> {
    up: &'a mut Uploader,
    config: SinkConfig,
    mode: Mode,
    /// The first error, kept whole (the writer only sees an io::Error).
    pub failed: Option<Error>,
    /// Volumes posted.
    pub posted: usize,
}

impl<'a> PostSink<'a> {
    pub(crate) fn new(up: &'a mut Uploader, config: SinkConfig) -> Self {
        PostSink {
            up,
            config,
            mode: Mode::Unknown,
            failed: None,
            posted: 0,
        }
    }

    fn fail(&mut self, e: Error) -> io::Error {
        let text = e.to_string();
        self.failed.get_or_insert(e);
        io::Error::other(text)
    }

    /// Whether the volumes were staged (and still need posting).
    pub(crate) fn is_staged(&self) -> bool {
        matches!(self.mode, Mode::Stage { .. })
    }

    /// Descriptor index just after this archive's files (volumes and PAR2
    /// files): where the next part begins.
    pub(crate) fn end_file(&self) -> u32 {
        let plans = match &self.mode {
            Mode::Stream { plans, .. } | Mode::Stage { plans, .. } => plans.as_slice(),
            Mode::Unknown => &[],
        };
        self.config.first_file + data_file_index(plans)
    }

    /// Posts staged volume 0, complete now that the writer has returned.
    pub(crate) fn finish_staged(&mut self) -> Result<()> {
        if let Mode::Stage { plans, .. } = &self.mode {
            let plans = plans.clone();
            post_staged_volume(self.up, &self.config, &plans, 0)?;
            self.posted += 1;
        }
        Ok(())
    }

    fn write_stream(&mut self, bytes: &[u8]) -> Result<()> {
        let Mode::Stream {
            head,
            plans,
            lengths,
            current,
        } = &mut self.mode
        else {
            return Err(Error::Internal("not streaming".into()));
        };
        if !lengths.is_empty() {
            let cur = current
                .as_mut()
                .ok_or_else(|| Error::Internal("bytes outside a volume".into()))?;
            return feed(self.up, cur, bytes);
        }
        head.extend_from_slice(bytes);
        if head.len() < START_HEADER {
            return Ok(());
        }
        let total = archive_len(head)?;
        let vs = self.config.volume_size;
        for i in 0..total.div_ceil(vs) {
            let len = (total - i * vs).min(vs);
            lengths.push(len);
            plans.push(par2_plan(
                len,
                self.config.redundancy,
                self.up.descriptor.article_size,
            )?);
        }
        let mut first = begin(self.up, &self.config, plans, lengths, 0)?;
        let held = std::mem::take(head);
        feed(self.up, &mut first, &held)?;
        *current = Some(first);
        Ok(())
    }

    fn end_stream(&mut self, len: u64) -> Result<()> {
        let Mode::Stream {
            lengths, current, ..
        } = &mut self.mode
        else {
            return Err(Error::Internal("not streaming".into()));
        };
        let Some(mut cur) = current.take() else {
            return Err(Error::Internal("end of a volume that never began".into()));
        };
        if lengths.get(cur.volume as usize) != Some(&len) {
            return Err(Error::Internal(format!(
                "volume {} is {len} bytes, the start header promised {:?}",
                cur.volume,
                lengths.get(cur.volume as usize)
            )));
        }
        if !cur.buf.is_empty() {
            post_part(self.up, &mut cur)?;
        }
        let plan = par2_plan(len, self.config.redundancy, self.up.descriptor.article_size)?;
        let parity = cur
            .parity
            .take()
            .ok_or_else(|| Error::Internal("no PAR2 encoder".into()))?;
        post_par2(self.up, parity, plan, cur.file)?;
        self.posted += 1;
        Ok(())
    }
}

/// Starts volume `volume`: its descriptor entry and its PAR2 encoder.
fn begin(
    up: &mut Uploader,
    config: &SinkConfig,
    plans: &[Par2Plan],
    lengths: &[u64],
    volume: u32,
) -> Result<Current> {
    let i = volume as usize;
    let (len, plan) = match (lengths.get(i), plans.get(i)) {
        (Some(l), Some(p)) => (*l, *p),
        _ => {
            return Err(Error::Internal(format!(
                "volume {volume} lies beyond the archive's length"
            )));
        }
    };
    let file = config.first_file + data_file_index(&plans[..i]);
    let (entry, source) = config.volume_entry(volume, len);
    up.set_file(file, entry, source);
    let parity = ParityWorker::start(
        plan,
        volume_file_name(&config.archive_name, volume),
        len,
        config.par2_dir.clone(),
        config.par2_memory,
        config.progress.clone(),
    )?;
    Ok(Current {
        volume,
        file,
        part: 1,
        buf: Vec::with_capacity(up.descriptor.article_size as usize),
        parity: Some(parity),
    })
}

/// Cuts the volume's bytes into articles as they come.
fn feed(up: &mut Uploader, cur: &mut Current, bytes: &[u8]) -> Result<()> {
    let per = up.descriptor.article_size as usize;
    let mut rest = bytes;
    while !rest.is_empty() {
        let take = (per - cur.buf.len()).min(rest.len());
        cur.buf.extend_from_slice(&rest[..take]);
        rest = &rest[take..];
        if cur.buf.len() == per {
            post_part(up, cur)?;
        }
    }
    Ok(())
}

fn post_part(up: &mut Uploader, cur: &mut Current) -> Result<()> {
    let bytes = Bytes::from(std::mem::replace(
        &mut cur.buf,
        Vec::with_capacity(up.descriptor.article_size as usize),
    ));
    if let Some(p) = &cur.parity {
        p.feed(bytes.clone())?;
    }
    up.post_part(cur.file, cur.part, 0, &bytes)?;
    cur.part += 1;
    Ok(())
}

/// Posts a complete staged volume from its file, with its PAR2 set, and
/// deletes the file: a re-post writes the archive again for its bytes.
fn post_staged_volume(
    up: &mut Uploader,
    config: &SinkConfig,
    plans: &[Par2Plan],
    volume: u32,
) -> Result<()> {
    let i = volume as usize;
    let plan = *plans
        .get(i)
        .ok_or_else(|| Error::Internal(format!("volume {volume} was never planned")))?;
    let name = volume_file_name(&config.archive_name, volume);
    let path = config.stage_dir.join(&name);
    let len = std::fs::metadata(&path)
        .map_err(|e| Error::io(path.display(), e))?
        .len();
    let first = config.first_file + data_file_index(&plans[..i]);
    let (entry, source) = config.volume_entry(volume, len);
    up.set_file(first, entry, source);
    let parity = ParityWorker::start(
        plan,
        name,
        len,
        config.par2_dir.clone(),
        config.par2_memory,
        config.progress.clone(),
    )?;
    up.post_file(first, &path, |bytes| parity.feed(bytes))?;
    post_par2(up, parity, plan, first)?;
    std::fs::remove_file(&path).map_err(|e| Error::io(path.display(), e))
}

/// Waits for a volume's PAR2 set and posts its files after the volume.
pub(crate) fn post_par2(
    up: &mut Uploader,
    parity: ParityWorker,
    plan: Par2Plan,
    data_file: u32,
) -> Result<()> {
    let created = parity.finish()?;
    let files: Vec<PathBuf> = std::iter::once(created.index)
        .chain(created.volumes)
        .collect();
    if files.len() as u32 != plan.files {
        return Err(Error::Internal(format!(
            "PAR2 made {} files, {} were planned",
            files.len(),
            plan.files
        )));
    }
    for (k, p) in files.iter().enumerate() {
        let size = std::fs::metadata(p)
            .map_err(|e| Error::io(p.display(), e))?
            .len();
        let index = data_file + 1 + k as u32;
        up.set_file(
            index,
            PostedFile {
                role: Role::Par2,
                size,
            },
            Source::File(p.clone()),
        );
        up.post_file_until_checked(index, p)?;
    }
    Ok(())
}

/// The archive's length from its 32-byte start header: the end header's
/// offset (after the start header) plus its size.
fn archive_len(head: &[u8]) -> Result<u64> {
    let word = |at: usize| -> Result<u64> {
        head.get(at..at + 8)
            .and_then(|b| <[u8; 8]>::try_from(b).ok())
            .map(u64::from_le_bytes)
            .ok_or_else(|| Error::Internal("short start header".into()))
    };
    if head.get(..6) != Some(&b"7z\xbc\xaf\x27\x1c"[..]) {
        return Err(Error::Internal(
            "the archive does not start with a 7z signature".into(),
        ));
    }
    let (offset, size) = (word(12)?, word(20)?);
    (START_HEADER as u64)
        .checked_add(offset)
        .and_then(|v| v.checked_add(size))
        .ok_or_else(|| Error::Internal("start header sizes overflow".into()))
}

impl VolumeSink for PostSink<'_> {
    fn begin_volume(&mut self, index: u32, held_back: u32) -> io::Result<()> {
        if index == 0 {
            self.mode = if held_back > 0 {
                Mode::Stage {
                    dir: DirSink::new(
                        self.config.stage_dir.clone(),
                        self.config.archive_name.clone(),
                    ),
                    plans: Vec::new(),
                }
            } else {
                Mode::Stream {
                    head: Vec::new(),
                    plans: Vec::new(),
                    lengths: Vec::new(),
                    current: None,
                }
            };
        }
        let result = match &mut self.mode {
            Mode::Stage { dir, .. } => return dir.begin_volume(index, held_back),
            Mode::Stream {
                plans,
                lengths,
                current,
                ..
            } => {
                if index == 0 {
                    return Ok(());
                }
                begin(self.up, &self.config, plans, lengths, index).map(|c| {
                    *current = Some(c);
                })
            }
            Mode::Unknown => Err(Error::Internal("volumes began out of order".into())),
        };
        result.map_err(|e| self.fail(e))
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        emit(&self.config.progress, Progress::Read(bytes.len() as u64));
        if let Mode::Stage { dir, .. } = &mut self.mode {
            return dir.write(bytes);
        }
        self.write_stream(bytes).map_err(|e| self.fail(e))
    }

    fn end_volume(&mut self, len: u64) -> io::Result<()> {
        if let Mode::Stage { dir, plans } = &mut self.mode {
            dir.end_volume(len)?;
            let index = plans.len() as u32;
            let planned = par2_plan(len, self.config.redundancy, self.up.descriptor.article_size)
                .map(|p| plans.push(p));
            let plans = plans.clone();
            return planned
                .and_then(|()| {
                    if index == 0 {
                        return Ok(());
                    }
                    self.posted += 1;
                    post_staged_volume(self.up, &self.config, &plans, index)
                })
                .map_err(|e| self.fail(e));
        }
        self.end_stream(len).map_err(|e| self.fail(e))
    }

    fn patch_start(&mut self, bytes: &[u8]) -> io::Result<()> {
        match &mut self.mode {
            Mode::Stage { dir, .. } => dir.patch_start(bytes),
            _ => Err(self.fail(Error::Internal(
                "a held-back start header while streaming".into(),
            ))),
        }
    }
}
