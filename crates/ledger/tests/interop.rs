//! Python deltalake and DuckDB read the `sets` and `jobs` tables we wrote and
//! see the same rows and types.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use ap_ledger::JobState;
use common::*;

const READER: &str = r#"
import sys, json, deltalake, duckdb
root = sys.argv[1]
out = {}
for name, key in (("sets", "set_id"), ("jobs", "job_id")):
    dt = deltalake.DeltaTable(root + "/" + name)
    t = dt.to_pyarrow_table()
    def norm(v):
        if isinstance(v, bytes):
            return v.hex()
        if hasattr(v, "timestamp"):
            return round(v.timestamp() * 1_000_000)
        return v
    rows = [{k: norm(v) for k, v in r.items()} for r in t.to_pylist()]
    rows.sort(key=lambda r: (r[key], r.get("step", 0)))
    con = duckdb.connect()
    files = dt.file_uris()
    desc = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [files]).fetchall()
    duck_types = {d[0]: d[1] for d in desc}
    cols = []
    for col, typ in duck_types.items():
        if typ.startswith("TIMESTAMP"):
            cols.append(f'epoch_us("{col}") AS "{col}"')
        elif typ == "BLOB":
            cols.append(f'lower(hex("{col}")) AS "{col}"')
        else:
            cols.append(f'"{col}"')
    order = key + (", step" if name == "jobs" else "")
    q = f"SELECT {', '.join(cols)} FROM read_parquet(?) ORDER BY {order}"
    cur = con.execute(q, [files])
    names = [d[0] for d in cur.description]
    duck_rows = [dict(zip(names, r)) for r in cur.fetchall()]
    out[name] = {
        "version": dt.version(),
        "delta_types": {f.name: str(f.type) for f in dt.schema().fields},
        "arrow_types": {f.name: str(f.type) for f in t.schema},
        "duck_types": duck_types,
        "rows": rows,
        "duck_rows": duck_rows,
        "config": dt.metadata().configuration,
    }
print(json.dumps(out), flush=True)
# Python deltalake 1.6.6 sometimes aborts in its thread-pool teardown at exit.
import os
os._exit(0)
"#;

#[test]
fn python_deltalake_and_duckdb_see_our_rows_and_types() {
    let python = ap_tests::python_module("deltalake");
    ap_tests::python_module("duckdb");
    let dir = tempfile::tempdir().unwrap();
    let owner = Owner::new();
    let ledger = new_ledger(dir.path(), &owner);
    let k0 = key(0);
    let k1 = key(1);
    let k2 = key(2);
    ledger.record_sets(&[(set(0), &k0), (set(1), &k1)]).unwrap();
    ledger.record_set(set(2), &k2).unwrap();
    let a = ledger
        .queue_add(std::path::Path::new("/data/photos"))
        .unwrap();
    let b = ledger
        .queue_add(std::path::Path::new("/data/music"))
        .unwrap();
    let taken = ledger.take_next("host-1").unwrap().unwrap();
    assert_eq!(taken.job_id, a.job_id);
    ledger
        .advance(
            &a.job_id,
            "host-1",
            JobState::Failed,
            Some("server said 441"),
            None,
        )
        .unwrap();

    let out = ap_tests::run_ok(Command::new(&python).args(["-c", READER, common::loc(dir.path())]));
    let v: serde_json::Value = serde_json::from_slice(&out).unwrap();

    // sets: same rows through both readers, the types we declared.
    let mut ours = ledger.sets(None).unwrap();
    ours.sort_by(|a, b| a.info.set_id.cmp(&b.info.set_id));
    let sets = &v["sets"];
    assert_eq!(sets["version"], ledger.version().unwrap());
    assert_eq!(sets["config"]["ap.schemaVersion"], "1");
    for rows in [&sets["rows"], &sets["duck_rows"]] {
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), 3);
        for (r, want) in rows.iter().zip(&ours) {
            let w = &want.info;
            assert_eq!(r["set_id"], w.set_id.as_str());
            assert_eq!(r["title"], w.title.as_str());
            assert_eq!(r["created_at"], w.created_at * 1_000_000);
            match w.posted_at {
                Some(t) => assert_eq!(r["posted_at"], t * 1_000_000),
                None => assert!(r["posted_at"].is_null()),
            }
            assert_eq!(r["source_bytes"], w.source_bytes);
            assert_eq!(r["posted_bytes"], w.posted_bytes);
            assert_eq!(r["file_count"], w.file_count);
            assert_eq!(r["article_count"], w.article_count);
            assert_eq!(r["groups"], serde_json::json!(w.groups));
            assert_eq!(r["server_host"], w.server_host.as_str());
            assert_eq!(r["status"], w.status.as_str());
            assert_eq!(r["secret"], w.secret.as_str());
            let hex: String = want.key_sealed.iter().map(|b| format!("{b:02x}")).collect();
            assert_eq!(r["key_sealed"], hex.as_str());
        }
    }
    let dt = &sets["delta_types"];
    for (col, ty) in [
        ("set_id", "string"),
        ("created_at", "timestamp"),
        ("source_bytes", "long"),
        ("file_count", "integer"),
        ("key_sealed", "binary"),
    ] {
        assert!(dt[col].as_str().unwrap().contains(ty), "{col}: {}", dt[col]);
    }
    assert!(
        dt["groups"].as_str().unwrap().contains("string"),
        "{}",
        dt["groups"]
    );
    let at = &sets["arrow_types"];
    assert_eq!(at["created_at"], "timestamp[us, tz=UTC]");
    assert_eq!(at["source_bytes"], "int64");
    assert_eq!(at["file_count"], "int32");
    assert_eq!(at["key_sealed"], "binary");
    let duck = &sets["duck_types"];
    assert_eq!(duck["created_at"], "TIMESTAMP WITH TIME ZONE");
    assert_eq!(duck["source_bytes"], "BIGINT");
    assert_eq!(duck["file_count"], "INTEGER");
    assert_eq!(duck["groups"], "VARCHAR[]");
    assert_eq!(duck["key_sealed"], "BLOB");

    // jobs: the events we committed, in both readers.
    let events = {
        let mut e = ledger.job_events().unwrap();
        e.sort_by(|x, y| (&x.job_id, x.step).cmp(&(&y.job_id, y.step)));
        e
    };
    assert_eq!(events.len(), 4);
    let jobs = &v["jobs"];
    for rows in [&jobs["rows"], &jobs["duck_rows"]] {
        let rows = rows.as_array().unwrap();
        assert_eq!(rows.len(), events.len());
        for (r, e) in rows.iter().zip(&events) {
            assert_eq!(r["job_id"], e.job_id.as_str());
            assert_eq!(r["step"], e.step);
            assert_eq!(r["event_at"], e.at);
            assert_eq!(r["state"], e.state.as_str());
            assert_eq!(r["source_dir"], serde_json::json!(e.source_dir));
            assert_eq!(r["worker"], serde_json::json!(e.worker));
            assert_eq!(r["reason"], serde_json::json!(e.reason));
        }
    }
    let states: Vec<&str> = jobs["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["job_id"] == a.job_id.as_str())
        .map(|r| r["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["queued", "archiving", "failed"]);
    assert!(
        jobs["rows"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["job_id"] == b.job_id.as_str() && r["state"] == "queued")
    );
    assert_eq!(jobs["arrow_types"]["step"], "int32");
    assert_eq!(jobs["duck_types"]["event_at"], "TIMESTAMP WITH TIME ZONE");
}
