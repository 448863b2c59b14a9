//! [`Ledger`]: the two tables under one location, behind a blocking API.

use std::path::{Path, PathBuf};

use ap_secret_codec::SetKey;
use ap_secret_codec::recipients::Recipients;
use deltalake::kernel::Version;
use url::Url;

use crate::error::{Error, Result, io};
use crate::jobs::{self, Job, JobEvent, JobState};
use crate::sets::{self, SetInfo, SetRow};
use crate::snapshot::{self, SnapshotSummary};
use crate::table::{Kind, Table};

/// Table property of `sets` listing the ledger's age recipients, one a line.
pub const RECIPIENTS_KEY: &str = "ap.recipients";

const SETS: Kind = Kind {
    name: "sets",
    columns: sets::columns,
};
const JOBS: Kind = Kind {
    name: "jobs",
    columns: jobs::columns,
};

/// How many times taking a job or moving it on is retried after losing a
/// commit race before giving up.
const CLAIM_ATTEMPTS: u32 = 100;

/// The ledger at one location: a local directory or, with the `s3`
/// feature, an `s3://bucket/prefix` URL. Holds its own small Tokio runtime,
/// so its methods block; do not call them from inside an async task.
pub struct Ledger {
    sets: Table,
    jobs: Table,
    /// The recipients, read once: they are fixed at creation.
    recipients: std::sync::OnceLock<Vec<String>>,
    rt: tokio::runtime::Runtime,
}

impl std::fmt::Debug for Ledger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ledger")
            .field("sets", &self.sets.location())
            .finish()
    }
}

/// `$XDG_DATA_HOME/ap/ledger`, or `~/.local/share/ap/ledger`.
pub fn default_location() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".local/share")))?;
    Some(base.join("ap").join("ledger"))
}

fn base_url(location: &str) -> Result<Url> {
    let bad = |reason: String| Error::Location {
        location: location.to_owned(),
        reason,
    };
    let mut url = if location.contains("://") {
        Url::parse(location).map_err(|e| bad(e.to_string()))?
    } else {
        let abs = std::path::absolute(location).map_err(|e| bad(e.to_string()))?;
        Url::from_directory_path(&abs).map_err(|()| bad("not an absolute path".into()))?
    };
    if !url.path().ends_with('/') {
        let p = format!("{}/", url.path());
        url.set_path(&p);
    }
    if url.scheme() == "s3" || url.scheme() == "s3a" {
        #[cfg(feature = "s3")]
        deltalake::aws::register_handlers(None);
        #[cfg(not(feature = "s3"))]
        return Err(bad(
            "this build has no S3 support: build with `--features s3` (ap-server, ap-client or ap-ledger)".into(),
        ));
    }
    Ok(url)
}

impl Ledger {
    fn at(location: &str) -> Result<Ledger> {
        let base = base_url(location)?;
        let join = |name: &str| {
            base.join(&format!("{name}/")).map_err(|e| Error::Location {
                location: location.to_owned(),
                reason: e.to_string(),
            })
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(io(location))?;
        Ok(Ledger {
            sets: Table::new(join(SETS.name)?, SETS),
            jobs: Table::new(join(JOBS.name)?, JOBS),
            recipients: std::sync::OnceLock::new(),
            rt,
        })
    }

    /// Creates both tables; `recipients` (age or SSH public keys) are who
    /// can open the set keys and the snapshots.
    pub fn create(location: &str, recipients: &[String]) -> Result<Ledger> {
        let parsed = recipients
            .iter()
            .map(|r| ap_secret_codec::parse_recipient(r))
            .collect::<Result<Vec<_>, _>>()?;
        if parsed.is_empty() {
            return Err(Error::Codec(ap_secret_codec::Error::NoRecipients));
        }
        let ledger = Ledger::at(location)?;
        let lines: Vec<&str> = recipients.iter().map(|r| r.trim()).collect();
        let props = [(RECIPIENTS_KEY.to_owned(), lines.join("\n"))];
        ledger.rt.block_on(async {
            ledger.sets.create(&props).await?;
            ledger.jobs.create(&[]).await
        })?;
        Ok(ledger)
    }

    /// Opens an existing ledger, checking that `sets` is one of ours and
    /// not newer than this program.
    pub fn open(location: &str) -> Result<Ledger> {
        let ledger = Ledger::at(location)?;
        let table = ledger.rt.block_on(ledger.sets.load(None))?;
        ledger.sets.keep(table);
        Ok(ledger)
    }

    /// The location of the `sets` table.
    pub fn sets_location(&self) -> String {
        self.sets.location()
    }

    /// The recipients the ledger seals to, as written at creation.
    pub fn recipient_lines(&self) -> Result<Vec<String>> {
        if let Some(lines) = self.recipients.get() {
            return Ok(lines.clone());
        }
        let table = self.rt.block_on(self.sets.latest())?;
        let text = self
            .sets
            .property(&table, RECIPIENTS_KEY)?
            .unwrap_or_default();
        self.sets.keep(table);
        let lines: Vec<String> = text
            .lines()
            .map(str::to_owned)
            .filter(|l| !l.is_empty())
            .collect();
        Ok(self.recipients.get_or_init(|| lines).clone())
    }

    /// The recipients, parsed.
    pub fn recipients(&self) -> Result<Recipients> {
        let lines = self.recipient_lines()?;
        if lines.is_empty() {
            return Err(Error::Schema {
                location: self.sets.location(),
                reason: format!("the table has no `{RECIPIENTS_KEY}` property"),
            });
        }
        Ok(lines
            .iter()
            .map(|l| ap_secret_codec::parse_recipient(l))
            .collect::<Result<Vec<_>, _>>()?)
    }

    /// Appends sets (one commit); K is sealed to the ledger's recipients.
    /// Returns the new table version.
    pub fn record_sets(&self, sets: &[(SetInfo, &SetKey)]) -> Result<Version> {
        let recipients = self.recipients()?;
        self.rt.block_on(
            self.sets
                .append(|schema| sets::to_batch(schema, sets, &recipients)),
        )
    }

    /// Appends one set.
    pub fn record_set(&self, info: SetInfo, key: &SetKey) -> Result<Version> {
        self.record_sets(&[(info, key)])
    }

    /// The current version of `sets`.
    pub fn version(&self) -> Result<Version> {
        let table = self.rt.block_on(self.sets.latest())?;
        let v = table.version().ok_or_else(|| Error::NotFound {
            location: self.sets.location(),
        });
        self.sets.keep(table);
        v
    }

    /// Every set, at `version` or the latest.
    pub fn sets(&self, version: Option<Version>) -> Result<Vec<SetRow>> {
        self.rt.block_on(async {
            let table = match version {
                Some(v) => self.sets.load(Some(v)).await?,
                None => self.sets.latest().await?,
            };
            let batches = self.sets.read(&table).await;
            if version.is_none() {
                self.sets.keep(table);
            }
            sets::from_batches(&batches?, &self.sets.location())
        })
    }

    /// Every event of the queue.
    pub fn job_events(&self) -> Result<Vec<JobEvent>> {
        self.rt.block_on(async {
            let table = self.jobs.latest().await?;
            let batches = self.jobs.read(&table).await;
            self.jobs.keep(table);
            jobs::from_batches(&batches?, &self.jobs.location())
        })
    }

    /// The jobs in queue order, each in its latest state.
    pub fn jobs(&self) -> Result<Vec<Job>> {
        Ok(jobs::fold(&self.job_events()?))
    }

    /// Queues a directory for posting.
    pub fn queue_add(&self, source_dir: &Path) -> Result<Job> {
        let event = JobEvent {
            job_id: new_id(),
            step: 0,
            at: now_micros(),
            state: JobState::Queued,
            source_dir: Some(source_dir.display().to_string()),
            set_id: None,
            worker: None,
            reason: None,
        };
        let events = [event];
        self.rt
            .block_on(self.jobs.append(|schema| jobs::to_batch(schema, &events)))?;
        let job = jobs::fold(&events).into_iter().next();
        job.ok_or_else(|| Error::Job {
            job: events[0].job_id.clone(),
            reason: "vanished after queueing".into(),
        })
    }

    /// Takes the first queued job for `worker` (moving it to `archiving`).
    /// Two workers never take the same job: the move commits strictly on
    /// the version it was chosen from, and the loser chooses again.
    pub fn take_next(&self, worker: &str) -> Result<Option<Job>> {
        self.transition(
            worker,
            |jobs| Ok(jobs.iter().find(|j| j.state == JobState::Queued).cloned()),
            JobState::Archiving,
            None,
            None,
        )
    }

    /// Moves a taken job on to `state` (with `reason` for failures).
    pub fn advance(
        &self,
        job_id: &str,
        worker: &str,
        state: JobState,
        reason: Option<&str>,
        set_id: Option<&str>,
    ) -> Result<Job> {
        let found = self.transition(
            worker,
            |jobs| {
                let job = jobs
                    .iter()
                    .find(|j| j.job_id == job_id)
                    .ok_or_else(|| Error::Job {
                        job: job_id.to_owned(),
                        reason: "no such job".into(),
                    })?;
                if job.state.is_final() {
                    return Err(Error::Job {
                        job: job_id.to_owned(),
                        reason: format!("is {} already", job.state),
                    });
                }
                Ok(Some(job.clone()))
            },
            state,
            reason,
            set_id,
        )?;
        found.ok_or_else(|| Error::Job {
            job: job_id.to_owned(),
            reason: "no such job".into(),
        })
    }

    /// Records a posted set and marks its job done.
    pub fn record_posted(
        &self,
        job_id: &str,
        worker: &str,
        info: SetInfo,
        key: &SetKey,
    ) -> Result<Job> {
        let set_id = info.set_id.clone();
        self.record_set(info, key)?;
        self.advance(job_id, worker, JobState::Done, None, Some(&set_id))
    }

    fn transition(
        &self,
        worker: &str,
        choose: impl Fn(&[Job]) -> Result<Option<Job>>,
        state: JobState,
        reason: Option<&str>,
        set_id: Option<&str>,
    ) -> Result<Option<Job>> {
        self.rt.block_on(async {
            for _ in 0..CLAIM_ATTEMPTS {
                let mut table = self.jobs.latest().await?;
                let batches = self.jobs.read(&table).await?;
                let jobs = jobs::fold(&jobs::from_batches(&batches, &self.jobs.location())?);
                let Some(job) = choose(&jobs)? else {
                    self.jobs.keep(table);
                    return Ok(None);
                };
                let event = JobEvent {
                    job_id: job.job_id.clone(),
                    step: job.step + 1,
                    at: now_micros(),
                    state,
                    source_dir: None,
                    set_id: set_id.map(str::to_owned),
                    worker: Some(worker.to_owned()),
                    reason: reason.map(str::to_owned),
                };
                let events = [event];
                let build = |schema: &_| jobs::to_batch(schema, &events);
                let won = self.jobs.commit(&mut table, &build, true).await?.is_ok();
                self.jobs.keep(table);
                if won {
                    let mut all = jobs::from_batches(&batches, &self.jobs.location())?;
                    all.extend(events);
                    return Ok(jobs::fold(&all)
                        .into_iter()
                        .find(|j| j.job_id == job.job_id));
                }
            }
            Err(Error::Contended {
                location: self.jobs.location(),
                attempts: CLAIM_ATTEMPTS,
            })
        })
    }

    /// Writes `sets` at `version` (or the latest), and `jobs` as it stood
    /// when that version was committed, to `out` as an age-encrypted 7z for
    /// the ledger's recipients.
    pub fn export(&self, out: &Path, version: Option<Version>) -> Result<SnapshotSummary> {
        let recipients = self.recipients()?;
        let work = tempfile::tempdir().map_err(io(std::env::temp_dir()))?;
        let (version, jobs_version, files) = self.rt.block_on(async {
            let table = self.sets.load(version).await?;
            let v = table.version().ok_or_else(|| Error::NotFound {
                location: self.sets.location(),
            })?;
            let mut files = snapshot::stage(&self.sets, &table, v, work.path()).await?;
            let jobs = match version {
                None => self.jobs.load(None).await,
                Some(_) => {
                    let commit = self.sets.committed_at(&table, v).await?;
                    self.jobs.load_as_of(&commit).await
                }
            };
            // A ledger restored from a snapshot that had no `jobs/`.
            let jobs = match jobs {
                Err(Error::NotFound { .. }) => None,
                other => Some(other?),
            };
            let mut jobs_version = None;
            if let Some(jobs) = jobs {
                let jv = jobs.version().ok_or_else(|| Error::NotFound {
                    location: self.jobs.location(),
                })?;
                files += snapshot::stage(&self.jobs, &jobs, jv, work.path()).await?;
                jobs_version = Some(jv);
            }
            snapshot::mark(work.path(), v, jobs_version)?;
            Ok::<_, Error>((v, jobs_version, files))
        })?;
        let bytes = snapshot::seal_dir(work.path(), &recipients, out)?;
        Ok(SnapshotSummary {
            version,
            jobs_version,
            files,
            bytes,
        })
    }
}

fn now_micros() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A job id: time-ordered and unique across processes and machines.
fn new_id() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_i64(now_micros());
    format!("{:013x}-{:016x}", now_micros(), h.finish())
}
