//! Several processes on one ledger: appends are never lost nor doubled, and
//! two workers never take the same job.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::process::Command;

use ap_ledger::{JobState, Ledger};
use common::*;

#[test]
fn two_processes_append_200_sets_each_and_none_is_lost_or_doubled() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Owner::new();
    new_ledger(dir.path(), &owner);
    let append = example("ledger-append");
    let children: Vec<_> = ["a", "b"]
        .iter()
        .map(|p| {
            Command::new(&append)
                .args([loc(dir.path()), p, "200"])
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let ledger = Ledger::open(loc(dir.path())).unwrap();
    let rows = ledger.sets(None).unwrap();
    assert_eq!(rows.len(), 400);
    let ids: BTreeSet<String> = rows.iter().map(|r| r.info.set_id.clone()).collect();
    assert_eq!(ids.len(), 400, "a row was doubled");
    for p in ["a", "b"] {
        for i in 0..200 {
            assert!(ids.contains(&format!("{p}-{i:04}")), "{p}-{i:04} was lost");
        }
    }
    // One commit per row after the table's creation.
    assert_eq!(ledger.version().unwrap(), 400);
}

#[test]
fn two_workers_never_take_the_same_job() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Owner::new();
    let ledger = new_ledger(dir.path(), &owner);
    let mut queued = BTreeSet::new();
    for i in 0..30 {
        let job = ledger
            .queue_add(&dir.path().join(format!("src-{i}")))
            .unwrap();
        queued.insert(job.job_id);
    }
    let take = example("ledger-take");
    let children: Vec<_> = ["w1", "w2"]
        .iter()
        .map(|w| {
            Command::new(&take)
                .args([loc(dir.path()), w])
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut taken = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success());
        taken.extend(
            String::from_utf8(out.stdout)
                .unwrap()
                .lines()
                .map(str::to_owned),
        );
    }
    let unique: BTreeSet<String> = taken.iter().cloned().collect();
    assert_eq!(
        taken.len(),
        unique.len(),
        "a job was taken twice: {taken:?}"
    );
    assert_eq!(unique, queued);
    // Every job went queued -> archiving -> done, with one worker named.
    for job in ledger.jobs().unwrap() {
        assert_eq!(job.state, JobState::Done);
        assert_eq!(job.step, 2);
        assert!(job.worker.is_some());
    }
    assert!(ledger.take_next("w3").unwrap().is_none());
}

#[test]
fn jobs_are_taken_in_queue_order_and_finished_jobs_take_no_more_events() {
    let dir = tempfile::tempdir().unwrap();
    let owner = Owner::new();
    let ledger = new_ledger(dir.path(), &owner);
    let a = ledger.queue_add(&dir.path().join("a")).unwrap();
    let b = ledger.queue_add(&dir.path().join("b")).unwrap();
    assert_eq!(ledger.take_next("w").unwrap().unwrap().job_id, a.job_id);
    let job = ledger
        .record_posted(&a.job_id, "w", set(1), &key(1))
        .unwrap();
    assert_eq!(job.state, JobState::Done);
    assert_eq!(job.set_id.as_deref(), Some("set-001"));
    assert_eq!(ledger.sets(None).unwrap()[0].info, set(1));
    let err = ledger
        .advance(&a.job_id, "w", JobState::Posting, None, None)
        .unwrap_err();
    assert!(err.to_string().contains("is done already"), "{err}");
    let listed: Vec<_> = ledger
        .jobs()
        .unwrap()
        .into_iter()
        .map(|j| (j.job_id, j.state))
        .collect();
    assert_eq!(
        listed,
        [(a.job_id, JobState::Done), (b.job_id, JobState::Queued)]
    );
}
