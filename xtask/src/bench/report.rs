//! Benchmark results: a table on the terminal per case, and docs/BENCHMARKS.md
//! rendered from docs/benchmarks.json. A run of one stage replaces that stage's
//! cases in the JSON and keeps the others, so the page always shows the latest
//! measurement of every stage, each with the machine and commit it came from.

use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result};
use serde_json::{Value, json};

use super::measure::{median_of, spread};
use super::{CaseResult, RowResult};
use crate::sh::{cmd, output, repo_root};

const MIB: f64 = (1 << 20) as f64;

/// A row's figures, or None when it has no samples.
fn figures(row: &RowResult, bytes: u64) -> Option<Value> {
    if row.samples.is_empty() {
        return None;
    }
    let (median, min, max) = spread(&row.samples);
    let cpu = median_of(row.samples.iter().map(|s| s.cpu_seconds));
    Some(json!({
        "median_s": median,
        "min_s": min,
        "max_s": max,
        "mib_per_s": bytes as f64 / MIB / median.max(1e-9),
        "cpu_s": cpu,
        "cpu_s_per_gb": cpu / (bytes as f64 / 1e9).max(1e-12),
        "max_rss_mib": row.samples.iter().map(|s| s.max_rss_kib).max().unwrap_or(0) as f64 / 1024.0,
        "peak_disk_mib": row.samples.iter().map(|s| s.peak_disk).max().unwrap_or(0) as f64 / MIB,
        "runs": row.samples.len(),
    }))
}

fn case_json(case: &CaseResult, machine: &Value) -> Value {
    let rows: Vec<Value> = case
        .rows
        .iter()
        .map(|row| {
            json!({
                "tool": row.tool,
                "ours": row.ours,
                "command": row.command,
                "figures": figures(row, case.bytes),
                "unavailable": row.unavailable,
                "error": row.error,
                "crashes": row.crashes,
            })
        })
        .collect();
    json!({
        "stage": case.stage,
        "title": case.title,
        "bytes": case.bytes,
        "machine": machine,
        "rows": rows,
    })
}

pub fn print_case(case: &CaseResult) {
    let machine = json!({});
    let rendered = render_case(&case_json(case, &machine));
    eprintln!("{rendered}");
}

fn machine() -> Value {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let field = |name: &str| {
        cpuinfo
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_once(':'))
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let flags = field("flags");
    let simd: Vec<&str> = flags
        .split_whitespace()
        .filter(|f| {
            [
                "sse4_2",
                "avx2",
                "avx512f",
                "avx512bw",
                "avx512_vbmi2",
                "gfni",
                "vaes",
                "vpclmulqdq",
                "sha_ni",
                "pclmulqdq",
            ]
            .contains(f)
        })
        .collect();
    let memory = fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("MemTotal"))
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| format!("{:.1} GiB", kb as f64 / 1024.0 / 1024.0))
        .unwrap_or_default();
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let commit = output(
        cmd("git")
            .current_dir(repo_root())
            .args(["rev-parse", "--short", "HEAD"]),
    )
    .unwrap_or_default();
    let date = output(cmd("date").args(["-u", "+%Y-%m-%d %H:%M UTC"])).unwrap_or_default();
    json!({
        "cpu": field("model name"),
        "simd": simd.join(" "),
        "cores": cores,
        "memory": memory,
        "commit": commit.trim(),
        "date": date.trim(),
    })
}

fn num(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(0.0)
}

/// A rendered row's measured figures; none for a row that did not run.
fn row_figures(row: &Value) -> Option<&Value> {
    row.get("figures").filter(|f| !f.is_null())
}

fn render_case(case: &Value) -> String {
    let title = case["title"].as_str().unwrap_or("");
    let rows = case["rows"].as_array().cloned().unwrap_or_default();
    let ours_rate = rows
        .iter()
        .find(|r| r["ours"].as_bool() == Some(true))
        .and_then(row_figures)
        .map(|f| num(f, "mib_per_s"));
    let mut out = format!(
        "#### {title}\n\n| tool | median s | spread s | MiB/s | CPU s | CPU s/GB | peak RSS MiB | peak disk MiB | ours vs this |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n"
    );
    for row in &rows {
        let name = row["tool"].as_str().unwrap_or("");
        let mut name = if row["ours"].as_bool() == Some(true) {
            format!("**{name}**")
        } else {
            name.to_owned()
        };
        let crashes = row["crashes"].as_array().map_or(0, Vec::len);
        if crashes > 0 {
            name.push_str(&format!(" ({crashes} crashed run(s), each repeated once)"));
        }
        if let Some(reason) = row["unavailable"].as_str() {
            out.push_str(&format!("| {name} | not run: {reason} | | | | | | | |\n"));
            continue;
        }
        if let Some(err) = row["error"].as_str() {
            let short: String = err.chars().take(160).collect();
            out.push_str(&format!(
                "| {name} | FAILED: {} | | | | | | | |\n",
                short.replace('|', "/").replace('\n', " ")
            ));
            continue;
        }
        let Some(f) = row_figures(row) else {
            continue;
        };
        let ratio = match (row["ours"].as_bool(), ours_rate) {
            (Some(true), _) => "—".to_owned(),
            // It moves no bytes anywhere: its rate is not a poster's.
            _ if name.starts_with(super::servers::ENCODE_ONLY_ROW) => "n/a".to_owned(),
            (_, Some(ours)) if num(f, "mib_per_s") > 0.0 => {
                format!("{:.2}×", ours / num(f, "mib_per_s"))
            }
            _ => "n/a".to_owned(),
        };
        out.push_str(&format!(
            "| {name} | {} | {}–{} | {:.1} | {:.2} | {:.2} | {:.0} | {:.1} | {ratio} |\n",
            secs(num(f, "median_s")),
            secs(num(f, "min_s")),
            secs(num(f, "max_s")),
            num(f, "mib_per_s"),
            num(f, "cpu_s"),
            num(f, "cpu_s_per_gb"),
            num(f, "max_rss_mib"),
            num(f, "peak_disk_mib"),
        ));
    }
    out
}

/// Under a post table: the least any poster can spend on these files (the
/// read + wire floor plus the encoding alone, both measured in this run),
/// against each peer's CPU, next to ours, so the gap that is the kernel's and
/// the one that is ours can be read off one line.
fn post_floor_line(case: &Value) -> Option<String> {
    use super::servers::{ENCODE_ONLY_ROW, READ_AND_WIRE_ROW, is_floor_row};
    let rows = case["rows"].as_array()?;
    let cpu = |row: &Value| row_figures(row).map(|f| num(f, "cpu_s"));
    let named = |prefix: &str| {
        rows.iter()
            .find(|r| r["tool"].as_str().is_some_and(|t| t.starts_with(prefix)))
            .and_then(cpu)
    };
    let floor = named(READ_AND_WIRE_ROW)? + named(ENCODE_ONLY_ROW)?;
    let ours = rows
        .iter()
        .find(|r| r["ours"].as_bool() == Some(true))
        .and_then(cpu)?;
    let peers: Vec<(String, f64)> = rows
        .iter()
        .filter(|r| r["ours"].as_bool() != Some(true))
        .filter_map(|r| {
            let name = r["tool"].as_str().filter(|n| !is_floor_row(n))?;
            let short = name.split(" → ").next().unwrap_or(name).to_owned();
            Some((short, cpu(r).filter(|c| *c > 0.0)?))
        })
        .collect();
    if peers.is_empty() {
        return None;
    }
    let against = |x: f64| {
        peers
            .iter()
            .map(|(name, c)| format!("{:.2}× {name}'s", x / c))
            .collect::<Vec<_>>()
            .join(", ")
    };
    Some(format!(
        "Floor under any poster here (read + wire floor plus encode alone): {floor:.2} CPU s, {}. Ours: {ours:.2} CPU s, {}.",
        against(floor),
        against(ours)
    ))
}

/// Seconds with three significant digits at least, so in-memory loops of a
/// few milliseconds do not print as 0.000.
fn secs(s: f64) -> String {
    if s >= 0.1 {
        format!("{s:.3}")
    } else {
        format!("{s:.6}")
    }
}

/// What a stage's tables need said once, above them: rows that are not
/// tools a user would run.
fn stage_note(stage: &str) -> Option<&'static str> {
    match stage {
        "post" => Some(
            "The three floor rows are our own poster with work left out, to show what every poster pays \
             before its own code counts. *wire floor* encodes one part per file and sends that body for \
             every part: the kernel's socket copy and TCP path alone. *read + wire floor* does the same \
             but first reads every part from its file, as any poster must: reading through the page \
             cache plus sending. What our poster spends above the second is yEnc encoding, CRC32 and \
             its own bookkeeping; what a peer spends above it is the peer's. *encode alone* sends \
             nothing: it encodes every part (with CRC32) from its file's first part, already in cache, \
             which is as cheap as encoding gets. The line under each table adds it to the read + wire \
             floor: about the least CPU any poster of these files can spend on this machine (a sum of \
             two medians, so a poster's median can come in a little under it).",
        ),
        _ => None,
    }
}

fn render_page(cases: &[Value]) -> String {
    let mut page = String::from(
        "# Benchmarks\n\n\
         Generated by `cargo xtask bench` from docs/benchmarks.json; do not edit by hand.\n\n\
         Every table is one run: ours and each peer on the same input, alternating, on the machine named above it. \
         Only ratios from the same table mean anything (these machines are shared and noisy). \
         *ours vs this* is our throughput divided by that tool's: above 1 means we are faster. \
         CPU s is user+sys of the tool's process tree (median); peak RSS the largest of its runs; \
         peak disk the most the run's work folder held (its output, and any temp files). \
         Regenerate one stage with `cargo xtask bench STAGE`; `cargo xtask bench all --quick` only checks that every tool runs.\n",
    );
    let mut stage = "";
    let mut last_machine = Value::Null;
    for case in cases {
        let this = case["stage"].as_str().unwrap_or("");
        if this != stage {
            stage = this;
            page.push_str(&format!("\n## {stage}\n\n"));
            if let Some(note) = stage_note(stage) {
                page.push_str(note);
                page.push_str("\n\n");
            }
            last_machine = Value::Null;
        }
        if case["machine"] != last_machine {
            let m = &case["machine"];
            page.push_str(&format!(
                "Measured {} at commit {} on {} ({} cores, {}; SIMD: {}).\n\n",
                m["date"].as_str().unwrap_or("?"),
                m["commit"].as_str().unwrap_or("?"),
                m["cpu"].as_str().unwrap_or("?"),
                m["cores"],
                m["memory"].as_str().unwrap_or("?"),
                m["simd"].as_str().unwrap_or("?"),
            ));
            last_machine = m.clone();
        }
        page.push_str(&render_case(case));
        if let Some(line) = post_floor_line(case) {
            page.push_str(&format!("\n{line}\n"));
        }
        page.push_str("\n<details><summary>commands</summary>\n\n");
        for row in case["rows"].as_array().into_iter().flatten() {
            if let Some(command) = row["command"].as_str().filter(|c| !c.is_empty()) {
                page.push_str(&format!(
                    "- {}: `{}`\n",
                    row["tool"].as_str().unwrap_or(""),
                    relative(command)
                ));
            }
        }
        page.push_str("\n</details>\n\n");
    }
    page
}

/// Commands with this checkout's path shortened, so the page is the same on
/// every machine.
fn relative(command: &str) -> String {
    let root = repo_root().display().to_string();
    command.replace(&format!("{root}/"), "").replace(&root, ".")
}

pub fn write(results: &[CaseResult], quick: bool) -> Result<()> {
    let machine = machine();
    let fresh: Vec<Value> = results.iter().map(|c| case_json(c, &machine)).collect();
    let (json_path, md_path): (PathBuf, PathBuf) = if quick {
        let dir = repo_root().join("target/bench");
        (
            dir.join("benchmarks-quick.json"),
            dir.join("BENCHMARKS-quick.md"),
        )
    } else {
        (
            repo_root().join("docs/benchmarks.json"),
            repo_root().join("docs/BENCHMARKS.md"),
        )
    };
    // Keep earlier results of the stages this run did not measure.
    let stages: Vec<&str> = results.iter().map(|c| c.stage).collect();
    let mut cases: Vec<Value> = if quick {
        Vec::new()
    } else {
        fs::read_to_string(&json_path)
            .ok()
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .and_then(|v| v["cases"].as_array().cloned())
            .unwrap_or_default()
            .into_iter()
            .filter(|c| !stages.contains(&c["stage"].as_str().unwrap_or("")))
            .collect()
    };
    cases.extend(fresh);
    let order = ["yenc", "par2", "archive", "post", "e2e"];
    cases.sort_by_key(|c| {
        order
            .iter()
            .position(|s| Some(*s) == c["stage"].as_str())
            .unwrap_or(order.len())
    });
    // Nothing measured (`--render`): the JSON stays byte for byte as it was.
    if !results.is_empty() {
        if let Some(dir) = json_path.parent() {
            fs::create_dir_all(dir)?;
        }
        fs::write(
            &json_path,
            serde_json::to_string_pretty(&json!({ "cases": cases }))? + "\n",
        )
        .with_context(|| format!("writing {}", json_path.display()))?;
    }
    fs::write(&md_path, render_page(&cases))
        .with_context(|| format!("writing {}", md_path.display()))?;
    eprintln!("wrote {} from {}", md_path.display(), json_path.display());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn case(stage: &str, title: &str, tool: &str, ours: bool, mib_per_s: f64) -> Value {
        json!({
            "stage": stage,
            "title": title,
            "machine": { "date": "d", "commit": "c", "cpu": "cpu", "cores": 2, "memory": "m", "simd": "s" },
            "rows": [{
                "tool": tool,
                "ours": ours,
                "command": "",
                "figures": {
                    "median_s": 1.0, "min_s": 1.0, "max_s": 1.0, "mib_per_s": mib_per_s,
                    "cpu_s": 0.5, "cpu_s_per_gb": 0.25, "max_rss_mib": 7.0, "peak_disk_mib": 0.0
                }
            }]
        })
    }

    #[test]
    fn a_stage_note_comes_once_above_its_tables() {
        let page = render_page(&[
            case("yenc", "encode", "ybench", true, 100.0),
            case("post", "post to the spool", "post-files", true, 200.0),
            case("post", "post to INN2", "post-files", true, 100.0),
        ]);
        let note = stage_note("post").unwrap();
        assert_eq!(page.matches(note).count(), 1, "{page}");
        let (heading, note_at, first_table) = (
            page.find("## post\n").unwrap(),
            page.find(note).unwrap(),
            page.find("#### post to the spool").unwrap(),
        );
        assert!(heading < note_at && note_at < first_table, "{page}");
        assert!(stage_note("yenc").is_none());
        assert!(page.contains("| **post-files** | 1.000 | 1.000–1.000 | 200.0 | 0.50 | 0.25 |"));
    }

    #[test]
    fn a_post_table_adds_up_its_floor_against_each_peer() {
        let row = |tool: &str, ours: bool, cpu: f64| {
            json!({ "tool": tool, "ours": ours, "command": "", "figures": {
                "median_s": 1.0, "min_s": 1.0, "max_s": 1.0, "mib_per_s": 100.0,
                "cpu_s": cpu, "cpu_s_per_gb": cpu, "max_rss_mib": 7.0, "peak_disk_mib": 0.0 } })
        };
        let mut post = case("post", "to the spool", "ours → spool", true, 100.0);
        post["rows"] = json!([
            row("ours → spool", true, 0.6),
            row("wire floor (x) → spool", false, 0.2),
            row("read + wire floor (y) → spool", false, 0.35),
            row("encode alone, no I/O (z)", false, 0.2),
            row("Nyuu 0.4.0 → spool", false, 1.0),
            row("pesto 0.10.5 → spool", false, 1.5),
        ]);
        let line = post_floor_line(&post).unwrap();
        assert_eq!(
            line,
            "Floor under any poster here (read + wire floor plus encode alone): 0.55 CPU s, \
             0.55× Nyuu 0.4.0's, 0.37× pesto 0.10.5's. Ours: 0.60 CPU s, 0.60× Nyuu 0.4.0's, 0.40× pesto 0.10.5's."
        );
        let page = render_page(&[post]);
        assert!(page.contains(&line));
        assert!(page.contains("| encode alone, no I/O (z) | 1.000 |"));
        assert!(page.contains(" | n/a |\n| Nyuu 0.4.0 → spool |"), "{page}");
        // Without both floors measured there is nothing to add up.
        let yenc = case("yenc", "encode", "ybench", true, 100.0);
        assert!(post_floor_line(&yenc).is_none());
    }
}
