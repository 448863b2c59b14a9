//! The posting stages, which need news servers: our embedded spool (a sink
//! fast enough that the posters' own CPU cost shows) and INN2 (a real server,
//! which tops out near 90 MiB/s on loopback). Every poster gets the same
//! files, connection count, article size and post-check setting.

use std::fs;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::inputs::{self, files_under};
use super::measure::json_number;
use super::stages::{ARTICLE, SLICE, mib, node_bin, par2_turbo};
use super::{Case, Ctx, Stage, Tool};
use crate::inn;
use crate::peers::peers_dir;

const CONNECTIONS: u32 = 4;
const SPOOL_ADDR: &str = "127.0.0.1:18119";

/// Servers a stage needs, stopped when the stage ends.
pub struct StageEnv {
    spool: Option<Child>,
    spool_dir: PathBuf,
}

impl StageEnv {
    pub fn start(stage: Stage, ctx: &Ctx) -> Result<Self> {
        // The spool keeps its articles in memory when it can: on this disk
        // every durable store costs an inode allocation and a flush, the
        // same for every poster, which would make the post and end-to-end
        // stages compare the disk (about 250 MB/s of article stores here)
        // instead of the posters. Each run starts with the spool emptied
        // (`empty_spool`), so memory holds one run's articles at most (about
        // 2.3 GB for the end-to-end stage). The chain's own volumes and PAR2
        // files still go to disk: that temp space is its real cost.
        let shm = Path::new("/dev/shm");
        let spool_dir = if matches!(stage, Stage::Post | Stage::E2e) && shm.is_dir() {
            shm.join(format!("ap-bench-spool-{}", std::process::id()))
        } else {
            inputs::inputs_dir().with_file_name("spool")
        };
        let mut env = StageEnv {
            spool: None,
            spool_dir,
        };
        if matches!(stage, Stage::Post | Stage::E2e) {
            inn::start()?;
            if ctx.ours.server_has("spool") {
                let _ = fs::remove_dir_all(&env.spool_dir);
                fs::create_dir_all(&env.spool_dir)?;
                let child = Command::new(&ctx.ours.server)
                    .arg("spool")
                    .arg("--listen")
                    .arg(SPOOL_ADDR)
                    .arg("--dir")
                    .arg(&env.spool_dir)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit())
                    .spawn()
                    .context("starting `ap-server spool`")?;
                env.spool = Some(child);
                let deadline = Instant::now() + Duration::from_secs(10);
                while TcpStream::connect(SPOOL_ADDR).is_err() {
                    if Instant::now() > deadline {
                        bail!("`ap-server spool` did not listen on {SPOOL_ADDR} within 10 s");
                    }
                    sleep(Duration::from_millis(100));
                }
            }
        }
        Ok(env)
    }

    pub fn stop(&mut self) {
        if let Some(mut child) = self.spool.take() {
            let _ = child.kill();
            let _ = child.wait();
            let _ = fs::remove_dir_all(&self.spool_dir);
        }
    }
}

impl Drop for StageEnv {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Removes the stored articles, keeping the spool's directories, so a run
/// starts with an empty store and a tmpfs spool holds one run at most.
fn empty_spool(dir: &Path) -> Result<()> {
    let articles = dir.join("articles");
    for shard in
        fs::read_dir(&articles).with_context(|| format!("reading {}", articles.display()))?
    {
        let shard = shard?.path();
        if !shard.is_dir() {
            continue;
        }
        for entry in fs::read_dir(&shard)? {
            let path = entry?.path();
            if path.is_dir() {
                fs::remove_dir_all(&path)?;
            } else {
                fs::remove_file(&path)?;
            }
        }
    }
    Ok(())
}

/// Before each run: an empty spool, or an INN2 whose article store has not
/// grown past what the disk can hold for another run.
fn prepare_for(target: &Target, env: &StageEnv) -> super::Prepare {
    if target.name == "ap spool" {
        let dir = env.spool_dir.clone();
        Box::new(move |_: &Path| empty_spool(&dir))
    } else {
        Box::new(|_: &Path| inn::keep_small())
    }
}

/// A server the posters target: address and whether it wants AUTHINFO.
#[derive(Clone)]
struct Target {
    name: &'static str,
    host: &'static str,
    port: &'static str,
    auth: bool,
}

fn targets(env: &StageEnv) -> Vec<Target> {
    let mut out = Vec::new();
    if env.spool.is_some() {
        let port = SPOOL_ADDR.rsplit(':').next().unwrap_or("18119");
        out.push(Target {
            name: "ap spool",
            host: "127.0.0.1",
            port,
            auth: false,
        });
    }
    let port = inn::ADDR.rsplit(':').next().unwrap_or("1119");
    out.push(Target {
        name: "INN2",
        host: "127.0.0.1",
        port,
        auth: true,
    });
    out
}

/// Segments in the NZB a poster wrote into `work`.
fn nzb_segments(work: &Path) -> Result<usize> {
    let nzb = files_under(work)
        .into_iter()
        .find(|p| p.extension().is_some_and(|e| e == "nzb"))
        .context("no NZB written")?;
    Ok(fs::read_to_string(&nzb)?.matches("<segment ").count())
}

fn expect_segments(work: &Path, expected: usize) -> Result<()> {
    let found = nzb_segments(work)?;
    if found != expected {
        bail!("the NZB lists {found} segments, expected {expected}");
    }
    Ok(())
}

fn articles_for(files: &[PathBuf]) -> usize {
    files
        .iter()
        .map(|f| inputs::size_of(f).div_ceil(ARTICLE).max(1) as usize)
        .sum()
}

fn nyuu(target: &Target, files: Vec<PathBuf>, out: impl Fn(&Path) -> PathBuf + 'static) -> Tool {
    let t = target.clone();
    Tool::new(format!("Nyuu 0.4.0 → {}", target.name), move |work| {
        let mut c = Command::new(node_bin("nyuu"));
        c.args(["-h", t.host, "-P", t.port]);
        if t.auth {
            c.args(["-u", inn::USER, "-p", "testpass"]);
        }
        c.args([
            "-n",
            &CONNECTIONS.to_string(),
            "-a",
            &ARTICLE.to_string(),
            "-g",
            inn::GROUP,
        ]);
        // `--post-chunk-size 0` writes each article in one piece. In its
        // default chunked upload (192 KiB at a time) Nyuu 0.4.0 throws
        // "Timer already set" when the server answers fast, which a local
        // spool does in nearly every run; unchunked it finishes, and spends
        // less CPU, so this is its best showing, not a handicap.
        c.args(["--check-tries", "0", "--post-chunk-size", "0", "-O", "-o"])
            .arg(out(work))
            .args(&files);
        c
    })
    .flaky()
}

fn pesto(target: &Target, files: Vec<PathBuf>) -> Tool {
    let bin = peers_dir().join("pesto/bin/pesto");
    let t = target.clone();
    let b = bin.clone();
    Tool::new(format!("pesto 0.10.5 → {}", target.name), move |work| {
        let mut c = Command::new(&b);
        c.args(["-s", t.host, "-P", t.port, "--no-ssl"]);
        if t.auth {
            c.args(["-u", inn::USER, "--auth-password", "testpass"]);
        }
        // Same work as the others: no PAR2 of its own, no post check.
        c.args([
            "-n",
            &CONNECTIONS.to_string(),
            "--article-size",
            &ARTICLE.to_string(),
        ]);
        c.args(["-g", inn::GROUP, "--par2", "0", "--no-check", "-o"]);
        c.arg(work.join("pesto.nzb")).args(&files);
        c
    })
    .unavailable_if((!bin.is_file()).then(|| format!("pesto not found at {}", bin.display())))
}

pub fn post(ctx: &Ctx, env: &mut StageEnv) -> Result<Vec<Case>> {
    let bytes = if ctx.quick {
        8 << 20
    } else {
        ctx.size.unwrap_or(512 << 20)
    };
    let folder = inputs::volumes(bytes, 4, 7)?;
    let files = files_under(&folder);
    let expected = articles_for(&files);
    let ours_bin = ctx.ours.example("post-files");
    let mut cases = Vec::new();
    for target in targets(env) {
        let ours = post_files(&target, &files, &ours_bin, expected, Floor::No);
        // The same program posting one encoded part per file over and over:
        // what the kernel's TCP path alone costs, which every poster pays;
        // then the same again reading every part from its file first, which
        // every poster that reads through the page cache pays on top.
        let wire = post_files(&target, &files, &ours_bin, expected, Floor::Wire);
        let read = post_files(&target, &files, &ours_bin, expected, Floor::ReadAndWire);
        // And the encoding alone, on input already in cache and with no
        // I/O: with the row above, the least any poster can spend here.
        let encode = post_files(&target, &files, &ours_bin, expected, Floor::EncodeOnly);
        let mut tools = vec![ours, wire, read, encode];
        for mut peer in [
            nyuu(&target, files.clone(), |work| work.join("nyuu.nzb")),
            pesto(&target, files.clone()),
        ] {
            peer.validate = Some(Box::new(move |work, _| expect_segments(work, expected)));
            tools.push(peer);
        }
        cases.push(Case {
            stage: "post",
            title: format!(
                "post {} in 4 files to {}, {CONNECTIONS} connections, {ARTICLE}-byte articles, no post check",
                mib(bytes),
                target.name
            ),
            bytes,
            tools,
            prepare: Some(prepare_for(&target, env)),
        });
    }
    Ok(cases)
}

/// What a `post-files` row leaves out, to show the floor under every poster.
#[derive(Clone, Copy, PartialEq)]
enum Floor {
    /// The real post: read, encode, send.
    No,
    /// One encoded part per file, sent for every part: the network stack.
    Wire,
    /// As `Wire`, but every part is still read from its file.
    ReadAndWire,
    /// Every part yEnc-encoded from its file's first part, nothing sent.
    EncodeOnly,
}

/// How the floor rows' names begin: the report adds two of them up to the
/// least any poster can spend, and keeps all three out of the peers.
pub const WIRE_ROW: &str = "wire floor";
pub const READ_AND_WIRE_ROW: &str = "read + wire floor";
pub const ENCODE_ONLY_ROW: &str = "encode alone";

/// Whether a post row is one of our floors rather than a poster.
pub fn is_floor_row(name: &str) -> bool {
    [WIRE_ROW, READ_AND_WIRE_ROW, ENCODE_ONLY_ROW]
        .iter()
        .any(|p| name.starts_with(p))
}

/// `post-files` (the nntp-post crate's example) posting `files` to `target`,
/// whole or as one of the floors.
fn post_files(
    target: &Target,
    files: &[PathBuf],
    bin: &Option<PathBuf>,
    expected: usize,
    floor: Floor,
) -> Tool {
    let flag = match floor {
        Floor::No => None,
        Floor::Wire => Some("--wire-only"),
        Floor::ReadAndWire => Some("--read-and-wire"),
        Floor::EncodeOnly => Some("--encode-only"),
    };
    let name = match floor {
        Floor::No => format!("ap nntp-post (post-files) → {}", target.name),
        Floor::Wire => format!("{WIRE_ROW} (post-files --wire-only) → {}", target.name),
        Floor::ReadAndWire => format!(
            "{READ_AND_WIRE_ROW} (post-files --read-and-wire) → {}",
            target.name
        ),
        Floor::EncodeOnly => format!("{ENCODE_ONLY_ROW}, no I/O (post-files --encode-only)"),
    };
    let (t, f, b) = (target.clone(), files.to_vec(), bin.clone());
    let tool = Tool::new(name, move |_| {
        let mut c = Command::new(b.clone().unwrap_or_default());
        if floor == Floor::EncodeOnly {
            c.args(flag).args(["--article-size", &ARTICLE.to_string()]);
            c.args(&f);
            return c;
        }
        let user = if t.auth {
            format!("{}@", inn::USER)
        } else {
            String::new()
        };
        c.arg("--server")
            .arg(format!("nntp://{user}{}:{}", t.host, t.port));
        if t.auth {
            c.env("AP_NNTP_PASSWORD", "testpass");
        }
        c.args([
            "--connections",
            &CONNECTIONS.to_string(),
            "--article-size",
            &ARTICLE.to_string(),
        ]);
        c.args(flag);
        c.args(["--group", inn::GROUP]).args(&f);
        c
    })
    .unavailable_if(
        bin.is_none()
            .then(|| "crates/nntp-post/examples/post-files.rs not built yet".into()),
    )
    .validate(move |_, stdout| {
        // post-files writes no NZB; its summary counts what the server took.
        let posted = json_number(stdout, "articles").unwrap_or(-1.0) as i64;
        let lost = json_number(stdout, "failed").unwrap_or(0.0)
            + json_number(stdout, "missing").unwrap_or(0.0);
        if posted != expected as i64 || lost > 0.0 {
            bail!("posted {posted} articles ({lost} lost), expected {expected}");
        }
        Ok(())
    });
    if floor == Floor::No {
        tool.ours()
    } else {
        tool
    }
}

/// The whole job: a media-shaped folder to posted articles and an NZB, by
/// `ap-server post` and by the chain users run today (7-Zip, then
/// par2cmdline-turbo, then Nyuu), which needs temp space for the whole set.
pub fn e2e(ctx: &Ctx, env: &mut StageEnv) -> Result<Vec<Case>> {
    let bytes = if ctx.quick {
        16 << 20
    } else {
        ctx.size.unwrap_or(2 << 30)
    };
    let folder = inputs::media_release(bytes, 8)?;
    let target = targets(env)
        .into_iter()
        .next()
        .context("no news server for e2e")?;
    let volume = if ctx.quick { "4m" } else { "256m" };

    let (t, dir, server) = (target.clone(), folder.clone(), ctx.ours.server.clone());
    let ours = Tool::new(format!("ap-server post → {}", target.name), move |work| {
        let mut c = Command::new(&server);
        c.arg("post")
            .arg(&dir)
            .arg("--server")
            .arg(format!("nntp://{}:{}", t.host, t.port));
        c.args([
            "--connections",
            &CONNECTIONS.to_string(),
            "--redundancy",
            "10",
            "--nzb-out",
        ]);
        c.arg(work.join("ours.nzb"));
        // Its data directory (staging, journal, set record) inside the work
        // folder, where the disk sampler sees it, and no user config.
        c.env("XDG_DATA_HOME", work.join("data"))
            .env("XDG_CONFIG_HOME", work.join("config"));
        c
    })
    .ours()
    .unavailable_if(
        (!ctx.ours.server_has("post"))
            .then(|| "`ap-server post` does not exist yet (pipeline issue)".into()),
    );

    let t = target.clone();
    let dir = folder.clone();
    let chain = Tool::new(format!("7zz -mx=0 + par2cmdline-turbo + Nyuu → {}", target.name), move |work| {
        let auth = if t.auth { format!("-u {} -p testpass", inn::USER) } else { String::new() };
        // Nyuu writes each article in one piece, as in the post stage: its
        // chunked writes crash against a fast local server.
        let script = format!(
            "set -e; cd '{dir}'; 7zz a -bd -mx=0 -mhe=on -pbench -v{volume} '{w}/vol/set.7z' . >/dev/null; \
             '{par2}' c -q -s{SLICE} -r10 '{w}/vol/set.par2' '{w}'/vol/set.7z.*; \
             '{nyuu}' -h {host} -P {port} {auth} -n {CONNECTIONS} -a {ARTICLE} -g {group} --post-chunk-size 0 --check-tries 0 -O -o '{w}/chain.nzb' '{w}'/vol/*",
            dir = dir.display(),
            w = work.display(),
            par2 = par2_turbo().display(),
            nyuu = node_bin("nyuu").display(),
            host = t.host,
            port = t.port,
            group = inn::GROUP,
        );
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    })
    // Nyuu inside it crashes now and then.
    .flaky()
    .validate(|work, _| {
        if nzb_segments(work)? == 0 {
            bail!("the chain's NZB lists no segments");
        }
        Ok(())
    });
    Ok(vec![Case {
        stage: "e2e",
        title: format!(
            "post a {} media-shaped folder to {}, {CONNECTIONS} connections, 10% PAR2",
            mib(bytes),
            target.name
        ),
        bytes,
        tools: vec![ours, chain],
        prepare: Some(prepare_for(&target, env)),
    }])
}
