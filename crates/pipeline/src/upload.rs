//! From posted files to articles: each file is read once, in article-sized
//! parts, yEnc-encoded with the names, subjects and Message-IDs the set key
//! derives, and queued to the posting pool; a tap hands the same bytes to
//! the volume's PAR2 encoder on its own thread.

use std::collections::HashMap;
use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use ap_nntp_post::{ArticleBuilder, ArticleSender};
use ap_parity::{Created, DEFAULT_CREATOR, Encoder, EncoderConfig, FileHasher, InputFile};
use ap_secret_codec::{Descriptor, PostedFile, Role};
use bytes::Bytes;

use crate::error::{Error, Result};
use crate::layout::{PAR2_LAYOUT, Par2Plan};
use crate::progress::{Progress, ProgressSink, emit};

/// Builds and queues the articles of a set whose descriptor grows as files
/// become known.
pub(crate) struct Uploader {
    pub descriptor: Descriptor,
    /// `<Message-ID>` of every article queued, to its (file, part).
    pub ids: HashMap<String, (u32, u32)>,
    /// Where each posted file's bytes can be read again (for re-posts).
    pub paths: HashMap<u32, PathBuf>,
    queue: Option<ArticleSender>,
    handle: tokio::runtime::Handle,
    from: String,
    encoded: Vec<u8>,
}

impl Uploader {
    pub(crate) fn new(descriptor: Descriptor, handle: tokio::runtime::Handle) -> Self {
        let from = descriptor.key.from_header(&descriptor.domain);
        Uploader {
            descriptor,
            ids: HashMap::new(),
            paths: HashMap::new(),
            queue: None,
            handle,
            from,
            encoded: Vec::new(),
        }
    }

    /// Articles go to this job's queue from now on.
    pub(crate) fn set_queue(&mut self, queue: Option<ArticleSender>) {
        self.queue = queue;
    }

    /// Records file `index` (placeholders fill any gap before it).
    pub(crate) fn set_file(&mut self, index: u32, file: PostedFile, path: &Path) {
        let i = index as usize;
        if self.descriptor.files.len() <= i {
            let filler = PostedFile {
                role: Role::Data,
                size: 0,
            };
            self.descriptor.files.resize(i + 1, filler);
        }
        self.descriptor.files[i] = file;
        self.paths.insert(index, path.to_path_buf());
    }

    /// Posts every part of file `index` from `path`, handing each part's
    /// bytes to `tap` first.
    pub(crate) fn post_file(
        &mut self,
        index: u32,
        path: &Path,
        mut tap: impl FnMut(Bytes) -> Result<()>,
    ) -> Result<()> {
        let size = self.file_size(index)?;
        let per = u64::from(self.descriptor.article_size);
        let parts = self.descriptor.parts(index as usize);
        let mut f = File::open(path).map_err(|e| Error::io(path.display(), e))?;
        for part in 1..=parts {
            let start = u64::from(part - 1) * per;
            let n = (size - start.min(size)).min(per) as usize;
            let mut buf = vec![0u8; n];
            f.read_exact(&mut buf)
                .map_err(|e| Error::io(path.display(), e))?;
            let bytes = Bytes::from(buf);
            tap(bytes.clone())?;
            self.post_part(index, part, 0, &bytes)?;
        }
        Ok(())
    }

    /// Posts part `part` of file `index` again under `attempt`, reading its
    /// bytes back from the file it was posted from.
    pub(crate) fn repost_part(&mut self, index: u32, part: u32, attempt: u32) -> Result<()> {
        let path = self
            .paths
            .get(&index)
            .cloned()
            .ok_or_else(|| Error::Internal(format!("no source for file {index}")))?;
        let size = self.file_size(index)?;
        let per = u64::from(self.descriptor.article_size);
        let start = u64::from(part.saturating_sub(1)) * per;
        let n = (size - start.min(size)).min(per) as usize;
        let mut buf = vec![0u8; n];
        let f = File::open(&path).map_err(|e| Error::io(path.display(), e))?;
        f.read_exact_at(&mut buf, start)
            .map_err(|e| Error::io(path.display(), e))?;
        self.descriptor.add_repost(index, part, attempt);
        self.post_part(index, part, attempt, &buf)
    }

    fn file_size(&self, index: u32) -> Result<u64> {
        self.descriptor
            .files
            .get(index as usize)
            .map(|f| f.size)
            .ok_or_else(|| Error::Internal(format!("file {index} was never planned")))
    }

    fn post_part(&mut self, index: u32, part: u32, attempt: u32, data: &[u8]) -> Result<()> {
        let d = &self.descriptor;
        let size = self.file_size(index)?;
        let offset = u64::from(part - 1) * u64::from(d.article_size);
        let mut info = ap_yenc::PartInfo::new(
            d.key.file_name(index),
            size,
            part,
            d.parts(index as usize),
            offset,
            data.len() as u64,
        );
        info.line = usize::from(d.line_length);
        self.encoded.resize(info.max_encoded_len(), 0);
        let (m, _) = ap_yenc::encode_part_into(&info, data, &mut self.encoded)
            .map_err(|e| Error::Yenc(e.to_string()))?;
        let mut builder = ArticleBuilder::new().from(self.from.clone());
        for g in &d.groups {
            builder = builder.newsgroup(g.clone());
        }
        let article = builder
            .subject(ap_secret_codec::subject(d, index, part))
            .message_id(d.key.message_id(index, part, attempt, &d.domain))
            .body(Bytes::copy_from_slice(&self.encoded[..m]))?;
        self.ids
            .insert(article.message_id().to_owned(), (index, part));
        let queue = self
            .queue
            .as_ref()
            .ok_or_else(|| Error::Internal("no posting job is running".into()))?;
        self.handle.block_on(queue.send(article))?;
        Ok(())
    }
}

/// A volume's PAR2 encoder on its own thread, fed the volume's bytes in
/// order through a bounded channel.
pub(crate) struct ParityWorker {
    tx: Option<SyncSender<Bytes>>,
    handle: JoinHandle<Result<Created>>,
}

impl ParityWorker {
    pub(crate) fn start(
        plan: Par2Plan,
        name: String,
        len: u64,
        dir: PathBuf,
        memory: usize,
        progress: Option<ProgressSink>,
    ) -> Result<ParityWorker> {
        let config = EncoderConfig {
            slice_size: plan.slice_size,
            recovery_slices: plan.recovery,
            memory,
            spill_dir: dir.clone(),
            creator: DEFAULT_CREATOR.into(),
        };
        let input = InputFile {
            name: name.clone(),
            length: len,
            md5_16k: None,
        };
        let encoder = Encoder::new(vec![input], config)?;
        let (tx, rx) = sync_channel(16);
        let slice = usize::try_from(plan.slice_size)
            .map_err(|_| Error::Internal("slice size too large".into()))?;
        let handle = std::thread::Builder::new()
            .name("par2".into())
            .spawn(move || run_parity(encoder, rx, slice, &dir, &name, progress))
            .map_err(|e| Error::io("starting the PAR2 thread", e))?;
        Ok(ParityWorker {
            tx: Some(tx),
            handle,
        })
    }

    /// Hands the next bytes of the volume over.
    pub(crate) fn feed(&self, bytes: Bytes) -> Result<()> {
        match &self.tx {
            Some(tx) if tx.send(bytes).is_ok() => Ok(()),
            // The thread ended early: its error comes out of finish.
            _ => Err(Error::Internal("the PAR2 thread stopped".into())),
        }
    }

    /// Waits for the set's files.
    pub(crate) fn finish(mut self) -> Result<Created> {
        self.tx.take();
        self.handle
            .join()
            .map_err(|_| Error::Internal("the PAR2 thread panicked".into()))?
    }
}

fn run_parity(
    mut encoder: Encoder,
    rx: Receiver<Bytes>,
    slice: usize,
    dir: &Path,
    name: &str,
    progress: Option<ProgressSink>,
) -> Result<Created> {
    let mut hasher = FileHasher::new(slice);
    let mut pending: Vec<u8> = Vec::with_capacity(slice);
    let mut index = 0u64;
    let mut add = |encoder: &mut Encoder, hasher: &mut FileHasher, data: &[u8]| -> Result<()> {
        let md5 = hasher.slice(data);
        encoder.add_slice_hashed(0, index, data, md5)?;
        index += 1;
        emit(&progress, Progress::Par2(data.len() as u64));
        Ok(())
    };
    for bytes in rx {
        let mut rest: &[u8] = &bytes;
        if !pending.is_empty() {
            let take = (slice - pending.len()).min(rest.len());
            pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if pending.len() == slice {
                add(&mut encoder, &mut hasher, &pending)?;
                pending.clear();
            }
        }
        while rest.len() >= slice {
            add(&mut encoder, &mut hasher, &rest[..slice])?;
            rest = &rest[slice..];
        }
        pending.extend_from_slice(rest);
    }
    if !pending.is_empty() {
        add(&mut encoder, &mut hasher, &pending)?;
    }
    let (md5, head) = hasher.finish();
    encoder.finish_file(0, md5, head)?;
    Ok(encoder.finish(dir, name, PAR2_LAYOUT)?)
}
