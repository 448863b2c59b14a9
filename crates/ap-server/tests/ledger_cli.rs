#![allow(clippy::unwrap_used, clippy::expect_used)]
//! `ap-server ledger` and `ap-server queue` as users run them: a ledger is
//! created for the owner, folders are queued and posted in order to the
//! embedded spool, every posted set is recorded, and the exported snapshot
//! opens with the owner's identity only.

use ap_tests::succeeded as ok;

mod common;

use common::ap_server;

#[test]
fn queue_posts_folders_in_order_and_the_ledger_records_and_exports_them() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let owner = age::x25519::Identity::generate();
    let recipient = owner.to_public().to_string();

    // Nothing works before `ledger init`, and the error says so.
    let out = ap_server(h).args(["queue", "list"]).output().unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ap-server ledger init"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");

    ok(ap_server(h)
        .args(["ledger", "init", "--recipient", &recipient])
        .output()
        .unwrap());
    assert!(h.join("data/ap/ledger/sets/_delta_log").is_dir());

    let mut dirs = Vec::new();
    for name in ["first", "second"] {
        let d = h.join(name);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join("a.txt"), format!("{name}\n").repeat(5000)).unwrap();
        dirs.push(d);
    }
    let mut ids = Vec::new();
    for d in &dirs {
        let id = ok(ap_server(h)
            .arg("queue")
            .arg("add")
            .arg(d)
            .output()
            .unwrap());
        ids.push(id.trim().to_owned());
    }
    let listed = ok(ap_server(h).args(["queue", "list"]).output().unwrap());
    let lines: Vec<&str> = listed.lines().collect();
    assert_eq!(lines.len(), 2, "{listed}");
    assert!(
        lines[0].starts_with(&ids[0]) && lines[0].contains("queued"),
        "{listed}"
    );

    let run = ok(ap_server(h)
        .args(["queue", "run", "--recipient", &recipient])
        .output()
        .unwrap());
    let posted: Vec<(&str, &str)> = run.lines().map(|l| l.split_once(' ').unwrap()).collect();
    assert_eq!(posted.iter().map(|p| p.0).collect::<Vec<_>>(), ids);

    let listed = ok(ap_server(h).args(["queue", "list"]).output().unwrap());
    assert_eq!(listed.matches(" done ").count(), 2, "{listed}");

    // Each secret opens with the owner's identity into the posted set, and
    // the ledger keeps the same secret and K.
    let ids_for_open: ap_secret_codec::recipients::Identities = vec![Box::new(owner.clone())];
    let ledger_dir = h.join("data/ap/ledger");
    let ledger = ap_ledger::Ledger::open(ledger_dir.to_str().unwrap()).unwrap();
    let rows = ledger.sets(None).unwrap();
    assert_eq!(rows.len(), 2);
    for (job, secret) in &posted {
        let row = rows.iter().find(|r| r.info.set_id == *job).unwrap();
        assert_eq!(row.info.secret, *secret);
        let d = ap_secret_codec::open(secret, &ids_for_open).unwrap();
        assert_eq!(
            row.open_key(&ids_for_open).unwrap().as_bytes(),
            d.key.as_bytes()
        );
        assert_eq!(
            row.info.source_bytes,
            5000 * 6 + if *job == ids[1] { 5000 } else { 0 }
        );
        assert_eq!(row.info.status, "posted");
        assert!(row.info.article_count > 0);
    }

    // `ap-server post` records its set in the ledger too.
    let third = h.join("third");
    std::fs::create_dir_all(&third).unwrap();
    std::fs::write(third.join("b.txt"), "third\n".repeat(100)).unwrap();
    let out = ap_server(h)
        .args(["post", "--recipient", &recipient])
        .arg(&third)
        .output()
        .unwrap();
    let secret3 = ok(out);
    let rows = ledger.sets(None).unwrap();
    assert_eq!(rows.len(), 3);
    let row3 = rows.iter().find(|r| r.info.title == "third").unwrap();
    assert_eq!(row3.info.secret, secret3.trim());
    let d3 = ap_secret_codec::open(secret3.trim(), &ids_for_open).unwrap();
    assert_eq!(
        row3.open_key(&ids_for_open).unwrap().as_bytes(),
        d3.key.as_bytes()
    );

    let table = ok(ap_server(h).args(["ledger", "list"]).output().unwrap());
    assert_eq!(table.lines().count(), 3, "{table}");
    assert!(
        table.contains(&ids[0]) && table.contains("first"),
        "{table}"
    );
    assert!(!table.contains(posted[0].1), "the listing shows a secret");
    let json = ok(ap_server(h)
        .args(["ledger", "list", "--json"])
        .output()
        .unwrap());
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    assert_eq!(first["status"], "posted");

    // Export at the version after the first set, then import it back.
    let snap = h.join("ledger.age");
    let err = ap_server(h)
        .args(["ledger", "export", "--version", "99", "--out"])
        .arg(&snap)
        .output()
        .unwrap();
    assert!(!err.status.success());
    let out = ap_server(h)
        .args(["ledger", "export", "--version", "1", "--out"])
        .arg(&snap)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stderr).into_owned();
    ok(out);
    assert!(said.contains("sets version 1, jobs version "), "{said}");
    let into = h.join("restored");
    let back = ap_ledger::import(&snap, &ids_for_open, &into).unwrap();
    assert_eq!(back.version, 1);
    let restored = ap_ledger::Ledger::open(into.to_str().unwrap()).unwrap();
    let restored_rows = restored.sets(None).unwrap();
    assert_eq!(restored_rows.len(), 1);
    assert_eq!(restored_rows[0].info.set_id, ids[0]);
    // The queue as it stood when the first set was recorded: both jobs
    // queued, the second not yet posted (it was only taken after the first
    // was done).
    let jobs = restored.jobs().unwrap();
    let job_ids: Vec<&str> = jobs.iter().map(|j| j.job_id.as_str()).collect();
    assert_eq!(job_ids, ids, "{jobs:?}");
    assert_ne!(jobs[1].state, ap_ledger::JobState::Done, "{jobs:?}");
}
