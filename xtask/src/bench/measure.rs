//! One timed run of one tool: wall time measured here, CPU seconds and peak
//! RSS from GNU time (the child's rusage, its own children included), peak disk
//! by sampling the run's work folder while it runs.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::inputs::size_of;

#[derive(Debug, Clone, Copy, Default)]
pub struct Sample {
    /// Seconds of the measured work: wall time, or the tool's own figure for
    /// tools that time an in-memory loop themselves.
    pub seconds: f64,
    pub cpu_seconds: f64,
    pub max_rss_kib: u64,
    pub peak_disk: u64,
}

/// Runs `cmd` under GNU time, sampling the size of `watch` every 50 ms.
/// Returns the sample and the command's stdout.
pub fn measure(cmd: &mut Command, watch: &Path, self_timed: bool) -> Result<(Sample, String)> {
    let time_file = watch.with_extension("time");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .arg("-f")
        .arg("%U %S %M")
        .arg("-o")
        .arg(&time_file)
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => timed.env(key, v),
            None => timed.env_remove(key),
        };
    }
    let line = describe(cmd);

    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let done = Arc::clone(&done);
        let watch = watch.to_path_buf();
        thread::spawn(move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(size_of(&watch));
                thread::sleep(Duration::from_millis(50));
            }
            peak.max(size_of(&watch))
        })
    };
    let start = Instant::now();
    let out = timed
        .output()
        .with_context(|| format!("could not start `{line}`"));
    let wall = start.elapsed().as_secs_f64();
    done.store(true, Ordering::Relaxed);
    let peak_disk = sampler.join().unwrap_or(0);
    let out = out?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    if !out.status.success() {
        bail!(
            "`{line}` failed ({}): {}",
            out.status,
            tail(&String::from_utf8_lossy(&out.stderr), 600)
        );
    }
    let times = fs::read_to_string(&time_file).unwrap_or_default();
    let _ = fs::remove_file(&time_file);
    // GNU time may prepend "Command exited..." lines; the figures are last.
    let fields: Vec<f64> = times
        .lines()
        .last()
        .unwrap_or("")
        .split_whitespace()
        .filter_map(|f| f.parse().ok())
        .collect();
    let [user, sys, rss] = fields[..] else {
        bail!("GNU time wrote {times:?} for `{line}`; is /usr/bin/time installed (package time)?");
    };
    let seconds = if self_timed {
        json_number(&stdout, "seconds").with_context(|| {
            format!(
                "`{line}` printed no \"seconds\" figure: {}",
                tail(&stdout, 300)
            )
        })?
    } else {
        wall
    };
    Ok((
        Sample {
            seconds,
            cpu_seconds: user + sys,
            max_rss_kib: rss as u64,
            peak_disk,
        },
        stdout,
    ))
}

pub fn describe(cmd: &Command) -> String {
    let mut line = String::new();
    for (key, value) in cmd.get_envs() {
        if let Some(v) = value {
            line.push_str(&format!(
                "{}={} ",
                key.to_string_lossy(),
                v.to_string_lossy()
            ));
        }
    }
    line.push_str(&cmd.get_program().to_string_lossy());
    for arg in cmd.get_args() {
        line.push(' ');
        line.push_str(&arg.to_string_lossy());
    }
    line
}

fn tail(text: &str, max: usize) -> &str {
    let text = text.trim();
    let mut start = text.len().saturating_sub(max);
    while !text.is_char_boundary(start) {
        start += 1;
    }
    &text[start..]
}

/// The number after `"key":` in the last JSON line that has it.
pub fn json_number(text: &str, key: &str) -> Option<f64> {
    let needle = format!("\"{key}\":");
    text.lines().rev().find_map(|line| {
        let at = line.find(&needle)? + needle.len();
        let rest = line[at..].trim_start();
        let end = rest
            .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | '-' | 'e' | 'E' | '+')))
            .unwrap_or(rest.len());
        rest[..end].parse().ok()
    })
}

/// Median, minimum and maximum of the samples' `seconds`.
pub fn spread(samples: &[Sample]) -> (f64, f64, f64) {
    let mut secs: Vec<f64> = samples.iter().map(|s| s.seconds).collect();
    secs.sort_by(f64::total_cmp);
    let median = median_sorted(&secs);
    (
        median,
        secs.first().copied().unwrap_or(0.0),
        secs.last().copied().unwrap_or(0.0),
    )
}

pub fn median_of(values: impl Iterator<Item = f64>) -> f64 {
    let mut v: Vec<f64> = values.collect();
    v.sort_by(f64::total_cmp);
    median_sorted(&v)
}

fn median_sorted(v: &[f64]) -> f64 {
    match v.len() {
        0 => 0.0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_number_reads_the_last_figure() {
        let out = "noise\n{\"op\":\"encode\",\"seconds\": 0.25,\"mb_per_s\":1000.0}\n";
        assert_eq!(json_number(out, "seconds"), Some(0.25));
        assert_eq!(json_number(out, "missing"), None);
        assert_eq!(json_number("{\"seconds\":1e-3}", "seconds"), Some(0.001));
    }

    #[test]
    fn spread_is_median_min_max() {
        let s = |seconds| Sample {
            seconds,
            ..Sample::default()
        };
        assert_eq!(spread(&[s(3.0), s(1.0), s(2.0)]), (2.0, 1.0, 3.0));
        assert_eq!(spread(&[s(4.0), s(1.0)]), (2.5, 1.0, 4.0));
    }
}
