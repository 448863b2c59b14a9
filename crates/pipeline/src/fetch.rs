//! The fetch job: every article of the set over N connections, yEnc-decoded
//! into place (a missing or damaged article leaves a hole), each volume
//! verified and, where needed, repaired from its own PAR2 set, then the
//! archive opened with the derived password and extracted.

use std::collections::VecDeque;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ap_archive::{Archive, ExtractOptions, Password};
use ap_nntp_post::{Connection, ServerConfig};
use ap_parity::{RecoverySet, repair, verify};
use ap_secret_codec::Descriptor;

use crate::error::{Error, Result};
use crate::layout::{Group, groups};
use crate::post::random_label;
use crate::progress::{Progress, ProgressSink, emit};
use crate::target::{Running, Target};

/// Settings of a fetch job.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Where downloaded volumes are kept until extracted (removed after).
    pub work_dir: PathBuf,
    /// Memory for rebuilt PAR2 slices.
    pub repair_memory: usize,
    /// Replace files that already exist in the output folder.
    pub overwrite: bool,
}

/// What a fetch job did.
#[derive(Debug, Clone, Default)]
pub struct Fetched {
    pub articles: u64,
    /// Articles the server did not have (430).
    pub missing_articles: u64,
    /// Articles that came back damaged (failed yEnc checks).
    pub damaged_articles: u64,
    pub volumes: usize,
    /// Volumes rebuilt from PAR2 and the slices rebuilt in them.
    pub repaired_volumes: usize,
    pub repaired_slices: u64,
    pub files: u64,
    pub bytes: u64,
    pub elapsed: Duration,
}

/// One article to fetch.
struct Want {
    message_id: String,
    path: Arc<PathBuf>,
    offset: u64,
    len: usize,
}

#[derive(Default)]
struct Counts {
    articles: u64,
    missing: u64,
    damaged: u64,
}

/// Fetches the set `descriptor` from `target` and extracts it into `out`.
pub fn fetch(
    descriptor: &Descriptor,
    target: &Target,
    out: &Path,
    options: &FetchOptions,
    progress: Option<ProgressSink>,
) -> Result<Fetched> {
    let started = Instant::now();
    let groups = groups(&descriptor.files)?;
    let names = ap_secret_codec::file_names(descriptor);
    let work = options
        .work_dir
        .join(format!("fetch-{}", random_label(12)?));
    let result = (|| -> Result<Fetched> {
        let runtime = crate::target::runtime()?;
        let running = Running::start(&runtime, target, &progress)?;
        let downloaded = download_all(
            descriptor, &names, &groups, &work, &runtime, &running, &progress,
        );
        running.stop(&runtime);
        let counts = downloaded?;
        let mut fetched = restore(descriptor, &names, &groups, &work, out, options, &progress)?;
        fetched.articles = counts.articles;
        fetched.missing_articles = counts.missing;
        fetched.damaged_articles = counts.damaged;
        Ok(fetched)
    })();
    let _ = std::fs::remove_dir_all(&work);
    let mut fetched = result?;
    fetched.elapsed = started.elapsed();
    Ok(fetched)
}

/// Where file `index` of group `g` is downloaded: the group's folder, under
/// the name the NZB gives it ([`ap_secret_codec::file_names`]): the volume
/// as its PAR2 set names it, the set as `VOLUME.par2` and
/// `VOLUME.volA+B.par2`, which the set reader takes as one set.
fn file_path(work: &Path, names: &[String], g: usize, index: u32) -> PathBuf {
    work.join(format!("g{g:05}")).join(&names[index as usize])
}

fn download_all(
    d: &Descriptor,
    names: &[String],
    groups: &[Group],
    work: &Path,
    runtime: &tokio::runtime::Runtime,
    running: &Running,
    progress: &Option<ProgressSink>,
) -> Result<Counts> {
    let mut wants = VecDeque::new();
    let mut total = 0u64;
    for (g, group) in groups.iter().enumerate() {
        let dir = work.join(format!("g{g:05}"));
        std::fs::create_dir_all(&dir).map_err(|e| Error::io(dir.display(), e))?;
        for index in std::iter::once(group.data).chain(group.par2.iter().copied()) {
            let path = file_path(work, names, g, index);
            let size = d.files[index as usize].size;
            let f = File::create(&path).map_err(|e| Error::io(path.display(), e))?;
            f.set_len(size).map_err(|e| Error::io(path.display(), e))?;
            total += size;
            let path = Arc::new(path);
            for part in 1..=d.parts(index as usize) {
                wants.push_back(Want {
                    message_id: d.bracketed_message_id(index, part),
                    path: path.clone(),
                    offset: u64::from(part - 1) * u64::from(d.article_size),
                    len: d.part_size(index as usize, part) as usize,
                });
            }
        }
    }
    let volumes: u64 = groups.iter().map(|g| d.files[g.data as usize].size).sum();
    emit(
        progress,
        Progress::Totals {
            read: 0,
            par2: volumes,
            transfer: total,
        },
    );
    let queue = Arc::new(Mutex::new(wants));
    let counts = Arc::new(Mutex::new(Counts::default()));
    let fatal: Arc<Mutex<Option<Error>>> = Arc::new(Mutex::new(None));
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for server in running.servers() {
            for _ in 0..server.connections.max(1) {
                let (server, queue, counts, fatal, progress) = (
                    server.clone(),
                    queue.clone(),
                    counts.clone(),
                    fatal.clone(),
                    progress.clone(),
                );
                tasks.push(tokio::spawn(async move {
                    if let Err(e) = worker(&server, &queue, &counts, &progress).await
                        && let Ok(mut f) = fatal.lock()
                    {
                        f.get_or_insert(e);
                    }
                }));
            }
        }
        for t in tasks {
            let _ = t.await;
        }
    });
    if let Some(e) = fatal.lock().ok().and_then(|mut f| f.take()) {
        return Err(e);
    }
    let c = counts
        .lock()
        .map_err(|_| Error::Internal("download counters poisoned".into()))?;
    Ok(Counts {
        articles: c.articles,
        missing: c.missing,
        damaged: c.damaged,
    })
}

/// One connection's loop: take the next article, fetch, decode, write.
async fn worker(
    server: &ServerConfig,
    queue: &Mutex<VecDeque<Want>>,
    counts: &Mutex<Counts>,
    progress: &Option<ProgressSink>,
) -> Result<()> {
    let mut conn: Option<Connection> = None;
    loop {
        let next = queue.lock().ok().and_then(|mut q| q.pop_front());
        let Some(want) = next else { break };
        let mut body = None;
        let mut last_err = None;
        for _ in 0..3 {
            if conn.is_none() {
                match Connection::connect(server).await {
                    Ok(c) => conn = Some(c),
                    Err(e) if e.is_fatal() => {
                        return Err(Error::FetchConnect {
                            host: server.display_name(),
                            error: e,
                        });
                    }
                    Err(e) => {
                        last_err = Some(e);
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        continue;
                    }
                }
            }
            let Some(c) = conn.as_mut() else { continue };
            match c.body(&want.message_id).await {
                Ok(b) => {
                    body = Some(b);
                    break;
                }
                Err(e) => {
                    conn = None;
                    last_err = Some(e);
                }
            }
        }
        let body = match (body, last_err) {
            (Some(b), _) => b,
            (None, Some(e)) => return Err(Error::Post(e)),
            (None, None) => None,
        };
        let outcome = match body {
            None => Outcome::Missing,
            Some(b) => store(&b, &want),
        };
        if let Ok(mut c) = counts.lock() {
            match outcome {
                Outcome::Good => c.articles += 1,
                Outcome::Damaged => {
                    c.articles += 1;
                    c.damaged += 1
                }
                Outcome::Missing => c.missing += 1,
            }
        }
        emit(progress, Progress::Transfer(want.len as u64));
    }
    if let Some(c) = conn {
        c.quit().await;
    }
    Ok(())
}

enum Outcome {
    Good,
    Damaged,
    Missing,
}

/// Decodes an article into its place. Whatever decodes is written, even
/// when a check fails: PAR2 finds the bad slices and only those are rebuilt.
fn store(body: &[u8], want: &Want) -> Outcome {
    let decoded = match ap_yenc::decode_part(body) {
        Ok(d) => d,
        Err(_) => return Outcome::Damaged,
    };
    let mut data = decoded.data;
    let damaged = !decoded.report.issues.is_empty() || data.len() != want.len;
    data.truncate(want.len);
    let written = OpenOptions::new()
        .write(true)
        .open(want.path.as_path())
        .and_then(|f| f.write_all_at(&data, want.offset));
    match (written, damaged) {
        (Err(_), _) | (Ok(()), true) => Outcome::Damaged,
        (Ok(()), false) => Outcome::Good,
    }
}

/// Verifies and repairs each volume from its PAR2 set, gathers the volumes
/// under their archive names and extracts.
fn restore(
    d: &Descriptor,
    names: &[String],
    groups: &[Group],
    work: &Path,
    out: &Path,
    options: &FetchOptions,
    progress: &Option<ProgressSink>,
) -> Result<Fetched> {
    let vols = work.join("volumes");
    std::fs::create_dir_all(&vols).map_err(|e| Error::io(vols.display(), e))?;
    let mut fetched = Fetched {
        volumes: groups.len(),
        ..Fetched::default()
    };
    // The first volume of each archive (one, or one per part of a split set).
    let mut archives: Vec<PathBuf> = Vec::new();
    for (g, group) in groups.iter().enumerate() {
        let data = file_path(work, names, g, group.data);
        let set = match group.par2.first() {
            Some(&index) => RecoverySet::open(&file_path(work, names, g, index)).ok(),
            None => None,
        };
        let name = match &set {
            Some(set) if set.files.len() == 1 => set.files[0].name.clone(),
            _ => names[group.data as usize].clone(),
        };
        if name.contains('/') || name.starts_with('.') {
            return Err(Error::Unrecoverable {
                volume: g,
                reason: format!("its PAR2 set names it {name:?}"),
            });
        }
        let named = data.with_file_name(&name);
        std::fs::rename(&data, &named).map_err(|e| Error::io(named.display(), e))?;
        if let Some(set) = &set {
            let v = verify(set)?;
            if !v.is_complete() {
                if !v.is_repairable() {
                    return Err(Error::Unrecoverable {
                        volume: g,
                        reason: format!(
                            "{} slices are damaged and only {} recovery slices arrived",
                            v.missing_slices(),
                            v.recovery_available
                        ),
                    });
                }
                let r = repair(set, &v, options.repair_memory)?;
                fetched.repaired_volumes += 1;
                fetched.repaired_slices += r.slices;
            }
        }
        emit(progress, Progress::Par2(d.files[group.data as usize].size));
        let target = vols.join(&name);
        std::fs::rename(&named, &target).map_err(|e| Error::io(target.display(), e))?;
        if group.starts_archive {
            archives.push(target);
        }
    }
    if archives.is_empty() {
        return Err(Error::Internal("the set has no volume".into()));
    }
    let password = Password::new(d.key.archive_password())?;
    std::fs::create_dir_all(out).map_err(|e| Error::io(out.display(), e))?;
    for first in &archives {
        let mut archive = Archive::open(first, Some(&password))?;
        let report = archive.extract(
            out,
            &ExtractOptions {
                overwrite: options.overwrite,
            },
        )?;
        fetched.files += report.files;
        fetched.bytes += report.bytes;
    }
    Ok(fetched)
}
