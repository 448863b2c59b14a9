//! `cargo xtask bench`: ours and the peers on the same inputs, in one run.
//!
//! Machines here are shared and noisy, so only ratios measured in the same run
//! mean anything. Each case runs every tool `runs` times, rotating the order on
//! every round so no tool always runs first (warm caches, a busy neighbour);
//! the report gives the median and spread of each tool's time, its throughput,
//! CPU seconds, peak RSS and peak disk, and ours as a multiple of each peer.
//! `--quick` runs each case once on small inputs and checks every tool's output
//! (round trips, par2 verify): it proves the harness works, not who is faster.

mod inputs;
mod measure;
mod report;
mod servers;
mod stages;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use crate::sh::{cmd, repo_root, run};
pub use inputs::size_of;
use measure::{Sample, describe, measure};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Stage {
    Yenc,
    Post,
    Archive,
    Par2,
    E2e,
    All,
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// Which stage to measure.
    #[arg(value_enum, default_value = "all")]
    stage: Stage,
    /// One run of each case on small inputs, checking every tool's output.
    #[arg(long)]
    quick: bool,
    /// Main input size (e.g. 256M, 1G); each stage has its own default.
    #[arg(long, value_parser = parse_size)]
    size: Option<u64>,
    /// Runs of each tool per case.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Measure nothing: write docs/BENCHMARKS.md again from
    /// docs/benchmarks.json (after a change to the page's layout or notes).
    #[arg(long, conflicts_with_all = ["quick", "size"])]
    render: bool,
}

pub fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(
        text.find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(text.len()),
    );
    let n: f64 = digits
        .trim()
        .parse()
        .map_err(|_| format!("{text:?} is not a size like 256M or 1G"))?;
    let scale = match unit
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 1u64,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        _ => return Err(format!("unknown unit in {text:?}: use K, M or G")),
    };
    Ok((n * scale as f64) as u64)
}

/// Checks what a run left in its work folder, given the tool's stdout.
pub type Check = Box<dyn Fn(&Path, &str) -> Result<()>>;
/// Fills a run's work folder before the tool starts.
pub type Prepare = Box<dyn Fn(&Path) -> Result<()>>;

/// One program measured in a case.
pub struct Tool {
    pub name: String,
    pub ours: bool,
    /// Why it cannot run here; its row says so instead of a time.
    pub unavailable: Option<String>,
    /// The tool times its own in-memory loop and prints `"seconds"` (per pass).
    pub self_timed: bool,
    /// Builds the command of one run; the argument is an empty work folder.
    pub command: Box<dyn Fn(&Path) -> Command>,
    /// Checks what a run produced in its work folder.
    pub validate: Option<Check>,
    /// At most this many runs, for a reference tool so slow that one run
    /// places it and more would blow the bench's time budget.
    pub max_runs: Option<usize>,
    /// A peer known to crash now and then for reasons of its own (Nyuu 0.4.0's
    /// "Timer already set" against fast local servers): a failed run is
    /// repeated once, and the crash is reported.
    pub flaky: bool,
}

impl Tool {
    pub fn new(name: impl Into<String>, command: impl Fn(&Path) -> Command + 'static) -> Self {
        Tool {
            name: name.into(),
            ours: false,
            unavailable: None,
            self_timed: false,
            command: Box::new(command),
            validate: None,
            max_runs: None,
            flaky: false,
        }
    }

    pub fn flaky(mut self) -> Self {
        self.flaky = true;
        self
    }

    pub fn max_runs(mut self, runs: usize) -> Self {
        self.max_runs = Some(runs);
        self
    }

    pub fn ours(mut self) -> Self {
        self.ours = true;
        self
    }

    pub fn self_timed(mut self) -> Self {
        self.self_timed = true;
        self
    }

    pub fn unavailable_if(mut self, reason: Option<String>) -> Self {
        self.unavailable = reason;
        self
    }

    pub fn validate(mut self, check: impl Fn(&Path, &str) -> Result<()> + 'static) -> Self {
        self.validate = Some(Box::new(check));
        self
    }
}

/// One comparison: the same input through every tool.
pub struct Case {
    pub stage: &'static str,
    pub title: String,
    /// Input bytes, for throughput.
    pub bytes: u64,
    pub tools: Vec<Tool>,
    /// Prepares a run's work folder (copies of damaged files, say).
    pub prepare: Option<Prepare>,
}

/// Paths of our programs, built for this run.
pub struct Ours {
    pub server: PathBuf,
    pub client: PathBuf,
    /// Example binaries built for this run, by name.
    examples: Vec<(String, PathBuf)>,
    /// Subcommands each binary has, to tell which of our stages exist yet.
    server_help: String,
    client_help: String,
}

impl Ours {
    /// An example binary, when its crate has it.
    pub fn example(&self, name: &str) -> Option<PathBuf> {
        self.examples
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, p)| p.clone())
    }

    pub fn server_has(&self, sub: &str) -> bool {
        has_subcommand(&self.server_help, sub)
    }

    pub fn client_has(&self, sub: &str) -> bool {
        has_subcommand(&self.client_help, sub)
    }
}

fn has_subcommand(help: &str, sub: &str) -> bool {
    help.lines()
        .any(|l| l.starts_with("  ") && l.split_whitespace().next() == Some(sub))
}

pub struct Ctx {
    pub quick: bool,
    pub size: Option<u64>,
    pub runs: usize,
    pub ours: Ours,
}

fn build_ours(quick: bool) -> Result<Ours> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let profile = if quick { "dev" } else { "release" };
    let mut build = cmd(&cargo);
    build
        .current_dir(repo_root())
        .args(["build", "--locked", "--profile", profile]);
    // With `--example` given, cargo builds only the named targets: `--bins`
    // keeps the binaries in.
    build.args(["-p", "ap-server", "-p", "ap-client", "--bins"]);
    // Examples that stand in for a CLI subcommand until one exists.
    let examples: Vec<(&str, &str)> = [("ap-yenc", "ybench"), ("ap-nntp-post", "post-files")]
        .into_iter()
        .filter(|(package, example)| {
            let krate = package.trim_start_matches("ap-");
            repo_root()
                .join(format!("crates/{krate}/examples/{example}.rs"))
                .is_file()
        })
        .collect();
    for (package, example) in &examples {
        build.args(["-p", package, "--example", example]);
    }
    run(&mut build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    let dir = target.join(if quick { "debug" } else { "release" });
    let examples: Vec<(String, PathBuf)> = examples
        .into_iter()
        .map(|(_, example)| (example.to_owned(), dir.join("examples").join(example)))
        .collect();
    let server = dir.join("ap-server");
    let client = dir.join("ap-client");
    let help = |bin: &Path| -> Result<String> {
        let out = Command::new(bin)
            .arg("--help")
            .output()
            .with_context(|| format!("running {}", bin.display()))?;
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    };
    Ok(Ours {
        server_help: help(&server)?,
        client_help: help(&client)?,
        server,
        client,
        examples,
    })
}

pub fn bench(args: &BenchArgs) -> Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    if args.render {
        return report::write(&[], false);
    }
    crate::peers::require_all()?;
    let ctx = Ctx {
        quick: args.quick,
        size: args.size,
        runs: if args.quick { 1 } else { args.runs },
        ours: build_ours(args.quick)?,
    };
    let stages: Vec<Stage> = match args.stage {
        Stage::All => vec![
            Stage::Yenc,
            Stage::Par2,
            Stage::Archive,
            Stage::Post,
            Stage::E2e,
        ],
        one => vec![one],
    };
    let work_root = repo_root().join("target/bench/work");
    let mut results = Vec::new();
    let mut failures = Vec::new();
    for stage in stages {
        let mut stage_env = stages::StageEnv::start(stage, &ctx)?;
        for case in stages::cases(stage, &ctx, &mut stage_env)? {
            let result = run_case(&case, &ctx, &work_root)?;
            failures.extend(result.rows.iter().filter_map(|r| {
                r.error
                    .as_ref()
                    .map(|e| format!("{} / {} / {}: {e}", case.stage, case.title, r.tool))
            }));
            report::print_case(&result);
            results.push(result);
        }
        stage_env.stop();
    }
    let _ = fs::remove_dir_all(&work_root);
    report::write(&results, args.quick)?;
    if !failures.is_empty() {
        bail!(
            "{} tool run(s) failed:\n  {}",
            failures.len(),
            failures.join("\n  ")
        );
    }
    Ok(())
}

/// What one tool did in one case.
pub struct RowResult {
    pub tool: String,
    pub ours: bool,
    pub command: String,
    pub samples: Vec<Sample>,
    pub unavailable: Option<String>,
    pub error: Option<String>,
    /// Runs of a flaky peer that failed and were run again.
    pub crashes: Vec<String>,
}

pub struct CaseResult {
    pub stage: &'static str,
    pub title: String,
    pub bytes: u64,
    pub rows: Vec<RowResult>,
}

fn run_case(case: &Case, ctx: &Ctx, work_root: &Path) -> Result<CaseResult> {
    eprintln!("== {}: {}", case.stage, case.title);
    let mut rows: Vec<RowResult> = case
        .tools
        .iter()
        .map(|t| RowResult {
            tool: t.name.clone(),
            ours: t.ours,
            command: String::new(),
            samples: Vec::new(),
            unavailable: t.unavailable.clone(),
            error: None,
            crashes: Vec::new(),
        })
        .collect();
    let n = case.tools.len();
    for round in 0..ctx.runs {
        for k in 0..n {
            let i = (k + round) % n;
            let tool = &case.tools[i];
            if tool.unavailable.is_some()
                || rows[i].error.is_some()
                || tool.max_runs.is_some_and(|max| round >= max)
            {
                continue;
            }
            let work = work_root.join(format!("{}-{i}", case.stage));
            let mut outcome = attempt(case, tool, &work, round == 0, &mut rows[i]);
            // A flaky peer's crashed run is reported and run once more; its
            // good runs still count. Everything else, ours included, gets no
            // second chance.
            if tool.flaky
                && let Err(err) = &outcome
            {
                eprintln!("   {:40} crashed, running again: {err:#}", tool.name);
                rows[i].crashes.push(format!("{err:#}"));
                outcome = attempt(case, tool, &work, round == 0, &mut rows[i]);
            }
            match outcome {
                Ok(sample) => {
                    eprintln!("   {:40} {:8.3} s", tool.name, sample.seconds);
                    rows[i].samples.push(sample);
                }
                Err(err) if tool.flaky => {
                    eprintln!("   {:40} crashed again: {err:#}", tool.name);
                    rows[i].crashes.push(format!("{err:#}"));
                }
                Err(err) => {
                    eprintln!("   {:40} FAILED: {err:#}", tool.name);
                    rows[i].error = Some(format!("{err:#}"));
                }
            }
        }
    }
    for (row, tool) in rows.iter_mut().zip(&case.tools) {
        if tool.flaky && row.samples.is_empty() && row.error.is_none() {
            row.error = row.crashes.last().cloned();
        }
    }
    Ok(CaseResult {
        stage: case.stage,
        title: case.title.clone(),
        bytes: case.bytes,
        rows,
    })
}

/// One run of one tool in a fresh work folder, checked when `check` is set.
fn attempt(
    case: &Case,
    tool: &Tool,
    work: &Path,
    check: bool,
    row: &mut RowResult,
) -> Result<Sample> {
    let _ = fs::remove_dir_all(work);
    fs::create_dir_all(work)?;
    if let Some(prepare) = &case.prepare {
        prepare(work)?;
    }
    let mut command = (tool.command)(work);
    row.command = describe(&command);
    // Peak disk counts what the tool adds, not what `prepare` put there.
    let before = inputs::size_of(work);
    let result = measure(&mut command, work, tool.self_timed).and_then(|(mut sample, stdout)| {
        sample.peak_disk = sample.peak_disk.saturating_sub(before);
        if check && let Some(validate) = &tool.validate {
            validate(work, &stdout).context("its output did not check out")?;
        }
        Ok(sample)
    });
    let _ = fs::remove_dir_all(work);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("256M"), Ok(256 << 20));
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("1.5GiB"), Ok(3 << 29));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert!(parse_size("12Q").is_err());
        assert!(parse_size("big").is_err());
    }

    #[test]
    fn subcommands_are_read_from_help() {
        let help = "Usage: ap-server <COMMAND>\n\nCommands:\n  archive  Pack\n  par2     Make\n  help     Print\n";
        assert!(has_subcommand(help, "par2"));
        assert!(!has_subcommand(help, "post"));
    }
}
