//! The `jobs` table: the posting queue as an append-only log of events, one
//! row per state change of a job. A job's state is its event with the
//! highest `step`; a state change is committed strictly on top of the
//! version it was decided on, so two workers never take the same job.

use std::collections::BTreeMap;

use deltalake::arrow::datatypes::SchemaRef;
use deltalake::arrow::record_batch::RecordBatch;
use deltalake::kernel::{DataType, StructField};

use crate::columns::{self as c, Cols};
use crate::error::{Error, Result};

pub(crate) fn columns() -> Vec<StructField> {
    vec![
        StructField::new("job_id", DataType::STRING, false),
        StructField::new("step", DataType::INTEGER, false),
        StructField::new("event_at", DataType::TIMESTAMP, false),
        StructField::new("state", DataType::STRING, false),
        StructField::new("source_dir", DataType::STRING, true),
        StructField::new("set_id", DataType::STRING, true),
        StructField::new("worker", DataType::STRING, true),
        StructField::new("reason", DataType::STRING, true),
    ]
}

/// Where a job is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum JobState {
    Queued,
    Archiving,
    Posting,
    Checking,
    Done,
    Failed,
}

impl JobState {
    pub const ALL: [JobState; 6] = [
        JobState::Queued,
        JobState::Archiving,
        JobState::Posting,
        JobState::Checking,
        JobState::Done,
        JobState::Failed,
    ];

    /// The name stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Archiving => "archiving",
            JobState::Posting => "posting",
            JobState::Checking => "checking",
            JobState::Done => "done",
            JobState::Failed => "failed",
        }
    }

    /// Done and failed jobs take no more events.
    pub fn is_final(self) -> bool {
        matches!(self, JobState::Done | JobState::Failed)
    }
}

impl std::fmt::Display for JobState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for JobState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        JobState::ALL
            .into_iter()
            .find(|j| j.as_str() == s)
            .ok_or_else(|| format!("unknown job state {s:?}"))
    }
}

/// One row of `jobs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobEvent {
    pub job_id: String,
    /// 0 for `queued`, then one more per event of the job.
    pub step: i32,
    /// Unix microseconds.
    pub at: i64,
    pub state: JobState,
    pub source_dir: Option<String>,
    pub set_id: Option<String>,
    pub worker: Option<String>,
    pub reason: Option<String>,
}

/// A job as its events add up to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    pub job_id: String,
    pub source_dir: String,
    pub state: JobState,
    /// Step of the latest event.
    pub step: i32,
    /// Unix microseconds of the `queued` event and of the latest one.
    pub queued_at: i64,
    pub updated_at: i64,
    pub worker: Option<String>,
    pub set_id: Option<String>,
    pub reason: Option<String>,
}

/// Folds events into jobs, in queue order (queued time, then id).
pub fn fold(events: &[JobEvent]) -> Vec<Job> {
    let mut by_id: BTreeMap<&str, Vec<&JobEvent>> = BTreeMap::new();
    for e in events {
        by_id.entry(e.job_id.as_str()).or_default().push(e);
    }
    let mut jobs: Vec<Job> = by_id
        .into_values()
        .filter_map(|mut evs| {
            evs.sort_by_key(|e| e.step);
            let first = evs.iter().find(|e| e.state == JobState::Queued)?;
            let last = evs.last()?;
            Some(Job {
                job_id: last.job_id.clone(),
                source_dir: first.source_dir.clone().unwrap_or_default(),
                state: last.state,
                step: last.step,
                queued_at: first.at,
                updated_at: last.at,
                worker: evs.iter().rev().find_map(|e| e.worker.clone()),
                set_id: evs.iter().rev().find_map(|e| e.set_id.clone()),
                reason: last.reason.clone(),
            })
        })
        .collect();
    jobs.sort_by(|a, b| (a.queued_at, &a.job_id).cmp(&(b.queued_at, &b.job_id)));
    jobs
}

pub(crate) fn to_batch(schema: &SchemaRef, events: &[JobEvent]) -> Result<RecordBatch> {
    c::batch(
        schema,
        vec![
            c::utf8(events.iter().map(|e| Some(e.job_id.as_str()))),
            c::i32s(events.iter().map(|e| e.step)),
            c::ts(events.iter().map(|e| Some(e.at))),
            c::utf8(events.iter().map(|e| Some(e.state.as_str()))),
            c::utf8(events.iter().map(|e| e.source_dir.as_deref())),
            c::utf8(events.iter().map(|e| e.set_id.as_deref())),
            c::utf8(events.iter().map(|e| e.worker.as_deref())),
            c::utf8(events.iter().map(|e| e.reason.as_deref())),
        ],
    )
}

pub(crate) fn from_batches(batches: &[RecordBatch], location: &str) -> Result<Vec<JobEvent>> {
    let mut out = Vec::new();
    for batch in batches {
        let cols = Cols { batch, location };
        let (id, step, at, state) = (
            cols.str("job_id")?,
            cols.i32("step")?,
            cols.ts("event_at")?,
            cols.str("state")?,
        );
        let (dir, set, worker, reason) = (
            cols.str("source_dir")?,
            cols.str("set_id")?,
            cols.str("worker")?,
            cols.str("reason")?,
        );
        for i in 0..batch.num_rows() {
            out.push(JobEvent {
                job_id: id.value(i).to_owned(),
                step: step.value(i),
                at: at.value(i),
                state: state.value(i).parse().map_err(|reason| Error::Schema {
                    location: location.to_owned(),
                    reason,
                })?,
                source_dir: c::opt_str(dir, i),
                set_id: c::opt_str(set, i),
                worker: c::opt_str(worker, i),
                reason: c::opt_str(reason, i),
            });
        }
    }
    Ok(out)
}
