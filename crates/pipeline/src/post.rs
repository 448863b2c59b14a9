//! The post job: walk, archive into staged volumes, one PAR2 set per volume
//! made while the volume's articles go out, post check, re-posts under
//! attempt + 1, and the finished descriptor.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ap_archive::{Method, Password, WriteOptions, scan, write_archive};
use ap_nntp_post::{CheckConfig, ConnState, Event, EventSink, PostConfig, PostReport};
use ap_secret_codec::{Descriptor, SetKey, SubjectStyle, to_nzb};

use crate::error::{Error, Result};
use crate::journal::{Journal, State, fingerprint};
use crate::parts::split_tree;
use crate::progress::{Progress, ProgressSink, emit};
use crate::regen::{Want, regenerate};
use crate::sink::{PostSink, SinkConfig};
use crate::target::{Running, Target};
use crate::upload::{Confirmations, Source, Uploader};

/// Settings of a post job.
#[derive(Debug, Clone)]
pub struct PostOptions {
    pub title: String,
    pub groups: Vec<String>,
    /// Domain of Message-IDs and of the From address; random when `None`.
    pub domain: Option<String>,
    pub article_size: u32,
    pub line_length: u16,
    /// PAR2 recovery, percent of each volume.
    pub redundancy: f64,
    /// Bytes per 7z volume; each volume has its own PAR2 set. PAR2's work
    /// is the volume's bytes times its recovery slices, so it grows with
    /// the square of the volume size: at one article per slice and 10%, a
    /// 1 GiB volume costs about 0.7 CPU s per GB (AVX-512 GFNI), a 20 GiB
    /// one 14, which would make PAR2, not the network, the limit of a
    /// terabyte post. 1 GiB (1498 slices, 150 recovery) keeps repair
    /// within a volume robust and its recovery data (100 MiB) in memory.
    pub volume_size: u64,
    /// Sets with more data than this are split into parts ([`crate::parts`]).
    pub split_above: u64,
    /// The data of each part of a split set, roughly.
    pub part_size: u64,
    pub method: Method,
    /// 7zAES key stretching (2^power SHA-256 rounds).
    pub kdf_power: u8,
    /// Compressible data up to this size is compressed in memory first, so
    /// the volumes still stream with no staging on disk
    /// ([`ap_archive::WriteOptions::compress_in_memory`]).
    pub compress_in_memory: u64,
    /// Staging folder for volumes and PAR2 files (removed after the job).
    pub work_dir: PathBuf,
    /// Memory for each volume's PAR2 recovery data; beyond it, a spill file.
    pub par2_memory: usize,
    /// Time between an article's post and its STAT check: the time the
    /// server needs before a new article shows. A server usually shows its
    /// own posts at once; another provider (`check_server`) may need
    /// seconds to minutes.
    pub check_delay: Duration,
    /// STAT on this server rather than on the posting ones: to see the set
    /// as another provider's readers will.
    pub check_server: Option<ap_nntp_post::ServerConfig>,
    /// Upload limit in bytes per second, over all connections together.
    pub rate_limit: Option<u64>,
    /// How often missing articles are posted again before giving up.
    pub repost_rounds: u32,
    /// Where resume journals live; `None` posts without one.
    pub journal_dir: Option<PathBuf>,
}

impl Default for PostOptions {
    fn default() -> Self {
        PostOptions {
            title: String::new(),
            groups: vec!["alt.binaries.test".into()],
            domain: None,
            article_size: 716_800,
            line_length: 128,
            redundancy: 10.0,
            volume_size: 1 << 30,
            split_above: 200 << 30,
            part_size: 20 << 30,
            method: Method::Auto,
            kdf_power: ap_archive::DEFAULT_KDF_POWER,
            compress_in_memory: ap_archive::COMPRESS_IN_MEMORY,
            work_dir: std::env::temp_dir(),
            par2_memory: 1 << 30,
            check_delay: Duration::from_millis(200),
            check_server: None,
            rate_limit: None,
            repost_rounds: 3,
            journal_dir: None,
        }
    }
}

/// What a finished post job made.
#[derive(Debug, Clone)]
pub struct Posted {
    /// The set: seal it to get the secret string.
    pub descriptor: Descriptor,
    /// The NZB, exactly as `to_nzb(descriptor)` writes it.
    pub nzb: String,
    /// The server posted to (`host:port`), or the spool's address.
    pub server: String,
    pub embedded_spool: bool,
    pub files: usize,
    pub volumes: usize,
    pub data_bytes: u64,
    pub archive_bytes: u64,
    pub articles: u64,
    pub wire_bytes: u64,
    pub reposted: usize,
    /// Failed attempts (resets, timeouts, refusals) that were tried again.
    pub retries: u64,
    /// True when the volumes went from the archive writer to the sockets
    /// without being staged on disk (copy folders).
    pub streamed: bool,
    /// This job continued an interrupted one; `skipped` articles the server
    /// already had were not sent again.
    pub resumed: bool,
    pub skipped: u64,
    pub elapsed: Duration,
}

/// Posts the folder `source` to `target`.
///
/// Nothing is posted when the source cannot be read completely or the
/// server refuses the connection or the login: both are checked first.
pub fn post(
    source: &Path,
    options: &PostOptions,
    target: &Target,
    progress: Option<ProgressSink>,
) -> Result<Posted> {
    let started = Instant::now();
    let tree = scan(source).map_err(Error::Source)?;
    let runtime = crate::target::runtime()?;
    let running = Running::start(&runtime, target, &progress)?;
    running.preflight(&runtime, options.check_server.as_ref())?;

    let key = SetKey::generate()?;
    let domain = match &options.domain {
        Some(d) => d.clone(),
        None => random_domain()?,
    };
    let fresh = State {
        source: std::fs::canonicalize(source).unwrap_or_else(|_| source.to_path_buf()),
        fingerprint: fingerprint(&tree),
        key: key.as_bytes().iter().map(|b| format!("{b:02x}")).collect(),
        domain,
        date: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        title: options.title.clone(),
        groups: options.groups.clone(),
        article_size: options.article_size,
        line_length: options.line_length,
        redundancy: options.redundancy,
        volume_size: options.volume_size,
        split_above: options.split_above,
        part_size: options.part_size,
        compress_in_memory: options.compress_in_memory,
        method: method_name(options.method).into(),
    };
    let (journal, resumed) = match &options.journal_dir {
        Some(root) => {
            let (j, resumed) = Journal::open(root, fresh.clone())?;
            (Some(Arc::new(j)), resumed)
        }
        None => (None, false),
    };
    let state = journal.as_ref().map_or(fresh, |j| j.state.clone());
    // A resumed job makes the set the first run began, with its settings.
    let mut options = options.clone();
    options.title = state.title.clone();
    options.groups = state.groups.clone();
    options.article_size = state.article_size;
    options.line_length = state.line_length;
    options.redundancy = state.redundancy;
    options.volume_size = state.volume_size;
    options.split_above = state.split_above;
    options.part_size = state.part_size;
    options.compress_in_memory = state.compress_in_memory;
    options.method = state.method.parse()?;
    let mut descriptor = Descriptor {
        key: state.set_key()?,
        title: state.title.clone(),
        groups: state.groups.clone(),
        domain: state.domain.clone(),
        subjects: SubjectStyle::Yenc,
        article_size: state.article_size,
        line_length: state.line_length,
        date: state.date,
        files: Vec::new(),
        reposts: Vec::new(),
    };
    if let Some(j) = &journal {
        for r in &j.reposts {
            descriptor.add_repost(r.file, r.part, r.attempt);
        }
        if resumed {
            emit(
                &progress,
                Progress::Note(format!(
                    "resuming the interrupted post of {}: the same set, {} articles already on the server are not sent again",
                    source.display(),
                    j.confirmed.len()
                )),
            );
        }
    }
    let work = match &journal {
        Some(j) => options.work_dir.join(j.work_name()),
        None => options.work_dir.join(format!("post-{}", random_label(12)?)),
    };
    // A killed run may have left its work folder.
    let _ = std::fs::remove_dir_all(&work);
    let ctx = Ctx {
        runtime: &runtime,
        running: &running,
        progress: &progress,
        journal: journal.clone(),
    };
    let result = post_staged(&tree, &options, ctx, descriptor, &work);
    let _ = std::fs::remove_dir_all(&work);
    if let (Ok(_), Some(j)) = (&result, &journal) {
        j.remove();
    }
    let server = running.display_name();
    let embedded = running.is_embedded();
    running.stop(&runtime);
    let mut posted = result?;
    posted.server = server;
    posted.embedded_spool = embedded;
    posted.resumed = resumed;
    posted.elapsed = started.elapsed();
    Ok(posted)
}

/// What a post job runs on.
struct Ctx<'a> {
    runtime: &'a tokio::runtime::Runtime,
    running: &'a Running,
    progress: &'a Option<ProgressSink>,
    journal: Option<Arc<Journal>>,
}

fn post_staged(
    tree: &ap_archive::Tree,
    options: &PostOptions,
    ctx: Ctx<'_>,
    descriptor: Descriptor,
    work: &Path,
) -> Result<Posted> {
    let Ctx {
        runtime,
        running,
        progress,
        journal,
    } = ctx;
    let stage_dir = work.join("volumes");
    let par2_dir = work.join("par2");
    for d in [&stage_dir, &par2_dir] {
        std::fs::create_dir_all(d).map_err(|e| Error::io(d.display(), e))?;
    }
    let data_bytes = tree.data_len();
    let r = options.redundancy / 100.0;
    emit(
        progress,
        Progress::Totals {
            read: data_bytes,
            par2: data_bytes,
            transfer: (data_bytes as f64 * (1.0 + r) * 1.03) as u64,
        },
    );
    let password = Password::new(descriptor.key.archive_password())?;
    let parts = split_tree(tree, options.split_above, options.part_size);
    if parts.len() > 1 {
        emit(
            progress,
            Progress::Note(format!(
                "{data_bytes} bytes is above the split threshold of {} bytes: posting {} parts of about {} bytes, each its own archive with its own PAR2 sets",
                options.split_above,
                parts.len(),
                options.part_size
            )),
        );
    }
    let key = descriptor.key.clone();
    let write_options = |part: usize| WriteOptions {
        method: options.method,
        volume_size: options.volume_size,
        kdf_power: options.kdf_power,
        // Byte-repeatable: a re-post can produce a volume's bytes again.
        iv_seed: Some(iv_seed(&key, part)),
        compress_in_memory: options.compress_in_memory,
        ..WriteOptions::default()
    };

    let mut up = Uploader::new(descriptor, runtime.handle().clone());
    if let Some(j) = &journal {
        up.skip = j.confirmed.clone();
    }
    // A posting round: a fresh pool whose queue the uploader feeds.
    let start_round = |up: &mut Uploader| -> Result<ap_nntp_post::PostJob> {
        let (queue, job) =
            running.start_job(runtime, options, progress, &journal, &up.confirmations)?;
        up.set_queue(Some(queue))?;
        Ok(job)
    };
    let job = start_round(&mut up)?;
    let (mut volumes, mut archive_bytes, mut first_file, mut streamed) = (0, 0, 0, true);
    for (p, part) in parts.iter().enumerate() {
        let config = SinkConfig {
            volume_size: options.volume_size,
            redundancy: options.redundancy,
            par2_memory: options.par2_memory,
            par2_dir: par2_dir.clone(),
            stage_dir: stage_dir.clone(),
            archive_name: key.file_name(first_file),
            progress: progress.clone(),
            part: p as u32,
            first_file,
        };
        let mut sink = PostSink::new(&mut up, config);
        let written = write_archive(part, &password, &write_options(p), &mut sink).map(|(_, s)| s);
        // Staged: volume 0 is complete only now that its start header came.
        let last = match &written {
            Ok(_) => sink.finish_staged(),
            Err(_) => Ok(()),
        };
        let (posted, is_staged, failed) = (sink.posted, sink.is_staged(), sink.failed.take());
        first_file = sink.end_file();
        drop(sink);
        let summary = match (written, last) {
            (Ok(summary), Ok(())) => summary,
            (written, last) => {
                // The first cause wins: the pool's fatal error (a refused
                // post, a lost server), then the encoder's, then the sink's.
                let encoder = up.set_queue(None).err();
                let pool = runtime.block_on(job.finish()).err().map(Error::Post);
                let own = last.err().or(failed);
                let archive = written.err().map(Error::Archive);
                return Err(pool
                    .or(encoder)
                    .or(own)
                    .or(archive)
                    .unwrap_or_else(|| Error::Internal("the archive failed".into())));
            }
        };
        if summary.volumes.len() != posted {
            return Err(Error::Internal(format!(
                "{} volumes written, {posted} posted",
                summary.volumes.len()
            )));
        }
        volumes += posted;
        archive_bytes += summary.archive_len;
        streamed &= !is_staged;
    }
    up.set_queue(None)?;
    let mut report = runtime.block_on(job.finish())?;
    let mut totals = (report.articles, report.bytes);
    let mut retries = report.retries;
    check_failed(&report)?;

    let mut round = 0;
    let mut reposted = 0;
    while !report.missing.is_empty() {
        if round == options.repost_rounds {
            return Err(Error::StillMissing {
                missing: report.missing.len(),
                rounds: round,
            });
        }
        round += 1;
        let job = start_round(&mut up)?;
        let mut missing: Vec<(u32, u32)> = report
            .missing
            .iter()
            .filter_map(|id| up.ids.get(id).copied())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        // Streamed volumes give their bytes again by writing the archive
        // again (it is byte-repeatable); everything else is on disk.
        let mut again = std::collections::BTreeMap::new();
        for &(file, part) in &missing {
            let attempt = up.descriptor.attempt(file, part) + 1;
            match up.sources.get(&file).cloned() {
                Some(Source::File(path)) => {
                    up.repost_from_file(file, part, attempt, &path)?;
                    if let Some(j) = &journal {
                        j.reposted(file, part, attempt);
                    }
                }
                Some(Source::Volume { part: p, volume }) => {
                    let (start, len) = up.part_range(file, part)?;
                    again.entry(p as usize).or_insert_with(Vec::new).push(Want {
                        volume,
                        start,
                        len,
                        key: (file, part),
                    });
                }
                None => return Err(Error::Internal(format!("no source for file {file}"))),
            }
        }
        for (p, wants) in again {
            let part = parts
                .get(p)
                .ok_or_else(|| Error::Internal(format!("no part {p}")))?;
            for ((file, part), bytes) in regenerate(part, &password, &write_options(p), wants)? {
                let attempt = up.descriptor.attempt(file, part) + 1;
                up.repost_bytes(file, part, attempt, &bytes)?;
                if let Some(j) = &journal {
                    j.reposted(file, part, attempt);
                }
            }
        }
        reposted += missing.len();
        up.set_queue(None)?;
        report = runtime.block_on(job.finish())?;
        check_failed(&report)?;
        totals.0 += report.articles;
        totals.1 += report.bytes;
        retries += report.retries;
    }

    let descriptor = up.descriptor;
    descriptor.validate()?;
    let nzb = to_nzb(&descriptor)
        .to_xml()
        .map_err(|e| Error::Internal(format!("writing the NZB: {e}")))?;
    Ok(Posted {
        files: descriptor.files.len(),
        descriptor,
        nzb,
        server: String::new(),
        embedded_spool: false,
        volumes,
        data_bytes,
        archive_bytes,
        articles: totals.0,
        wire_bytes: totals.1,
        reposted,
        retries,
        streamed,
        resumed: false,
        skipped: up.skipped,
        elapsed: Duration::ZERO,
    })
}

/// The seed of the IVs of part `part`'s archive: from K, so the archive can
/// be written again byte for byte, and different for every part, so no two
/// archives under the one password share an IV.
fn iv_seed(key: &ap_secret_codec::SetKey, part: usize) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    h.update(b"ap/v1 archive-iv-seed");
    h.update(key.as_bytes());
    if part > 0 {
        h.update((part as u64).to_le_bytes());
    }
    h.finalize().into()
}

fn check_failed(report: &PostReport) -> Result<()> {
    if let Some((id, why)) = report.failed.first() {
        return Err(Error::PostFailed {
            count: report.failed.len(),
            first: format!("{id}: {why}"),
        });
    }
    Ok(())
}

/// Progress events of the pool, as [`Progress::Transfer`].
/// Turns the pool's events into progress, journal lines and check
/// confirmations. The pool numbers its `posting` connections first, then
/// the check's.
pub(crate) fn pool_events(
    posting: usize,
    progress: &Option<ProgressSink>,
    journal: &Option<Arc<Journal>>,
    confirmations: &Arc<Confirmations>,
) -> Option<EventSink> {
    let (sink, journal, confirmations) = (progress.clone(), journal.clone(), confirmations.clone());
    // The state of every posting connection, to report how many are at work.
    let states = std::sync::Mutex::new(vec![ConnState::Closed; posting]);
    Some(Arc::new(move |e: &Event| match e {
        Event::BytesSent { bytes, .. } => emit(&sink, Progress::Transfer(*bytes)),
        Event::Posted { message_id, .. } => {
            if let Some(j) = &journal {
                j.confirmed(message_id);
            }
            emit(&sink, Progress::Posted);
        }
        Event::Retry { reason, .. } => emit(&sink, Progress::Retry(reason.clone())),
        Event::Checked {
            message_id,
            present,
        } => {
            if *present {
                confirmations.found(message_id);
            }
            emit(&sink, Progress::Checked { present: *present });
        }
        Event::Connection { conn, state, .. } if *conn < posting => {
            let mut states = match states.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            states[*conn] = *state;
            let count = |f: fn(&ConnState) -> bool| states.iter().filter(|s| f(s)).count();
            let posting = count(|s| *s == ConnState::Posting);
            let open = count(|s| matches!(s, ConnState::Idle | ConnState::Posting));
            drop(states);
            emit(&sink, Progress::Connections { posting, open });
        }
        _ => {}
    }))
}

fn method_name(m: Method) -> &'static str {
    match m {
        Method::Auto => "auto",
        Method::Lzma2 => "lzma2",
        Method::Copy => "copy",
    }
}

/// The pool settings of one posting round.
pub(crate) fn post_config(
    servers: Vec<ap_nntp_post::ServerConfig>,
    options: &PostOptions,
) -> PostConfig {
    let connections = servers.iter().map(|s| s.connections).sum::<usize>();
    let mut config = PostConfig::new(servers);
    config.rate_limit = options.rate_limit;
    let mut check = CheckConfig::after(options.check_delay);
    check.connections = match &options.check_server {
        Some(s) => s.connections.max(1),
        None => connections.div_ceil(2).max(1),
    };
    check.server = options.check_server.clone();
    config.check = Some(check);
    config
}

pub(crate) fn random_label(n: usize) -> Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| Error::Internal(format!("no randomness from the system: {e}")))?;
    Ok(bytes.iter().map(|b| char::from(b'a' + b % 26)).collect())
}

/// A per-set Message-ID domain that says nothing about the tool or host.
fn random_domain() -> Result<String> {
    Ok(format!("{}.invalid", random_label(10)?))
}
