//! Posts files as yEnc articles and prints one JSON summary line: the
//! command-line face of `ap-nntp-post` for `cargo xtask bench post`.
//!
//! ```text
//! post-files [--server nntp://[user@]host:port] [--connections N]
//!            [--article-size BYTES] [--group GROUP] [--check-delay-ms MS]
//!            [--check-connections N] [--rate BYTES_PER_SEC]
//!            [--wire-only | --read-and-wire | --encode-only] FILE...
//! ```
//! The password, when the server needs one, comes from `AP_NNTP_PASSWORD`.
//! `--wire-only` encodes each file's first part once and posts that body
//! for every part, reading nothing more: the CPU the network stack alone
//! costs to put those bytes on the wire, a floor under any poster's figure.
//! `--read-and-wire` does the same but still reads every part from its file
//! first: reading plus sending with no encoding, the floor under any poster
//! that reads its input through the page cache.
//! `--encode-only` contacts no server: it reads each file's first part
//! once and yEnc-encodes it (with CRC32, into a recycled buffer, as a real
//! post does) once per part of the file: what encoding costs on input
//! already in cache. Added to the read + wire floor, it bounds from below
//! what any poster of these files can spend.
//! Headers carry random-looking names only; no file name leaves the machine.

use std::fs::File;
use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ap_nntp_post::{ArticleBuilder, CheckConfig, Password, PostConfig, Poster, ServerConfig};

/// What a run does: post for real, or one of the floors with work left out.
#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Post,
    WireOnly,
    ReadAndWire,
    EncodeOnly,
}

struct Args {
    server: String,
    connections: usize,
    article_size: usize,
    group: String,
    check_delay: Option<Duration>,
    check_connections: usize,
    rate: Option<u64>,
    mode: Mode,
    files: Vec<PathBuf>,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        server: "127.0.0.1:8119".into(),
        connections: 4,
        article_size: 716_800,
        group: "alt.binaries.test".into(),
        check_delay: None,
        check_connections: 1,
        rate: None,
        mode: Mode::Post,
        files: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut val = |name: &str| it.next().ok_or(format!("{name} needs a value"));
        let num = |v: String, name: &str| {
            v.parse::<u64>()
                .map_err(|_| format!("{name}: {v:?} is not a number"))
        };
        match arg.as_str() {
            "--server" => a.server = val("--server")?,
            "--connections" => {
                a.connections = num(val("--connections")?, "--connections")? as usize
            }
            "--article-size" => {
                a.article_size = num(val("--article-size")?, "--article-size")? as usize
            }
            "--group" => a.group = val("--group")?,
            "--check-delay-ms" => {
                a.check_delay = Some(Duration::from_millis(num(
                    val("--check-delay-ms")?,
                    "--check-delay-ms",
                )?))
            }
            "--check-connections" => {
                a.check_connections =
                    num(val("--check-connections")?, "--check-connections")? as usize
            }
            "--rate" => a.rate = Some(num(val("--rate")?, "--rate")?),
            "--wire-only" | "--read-and-wire" | "--encode-only" => {
                if a.mode != Mode::Post {
                    return Err(
                        "--wire-only, --read-and-wire and --encode-only exclude each other".into(),
                    );
                }
                a.mode = match arg.as_str() {
                    "--wire-only" => Mode::WireOnly,
                    "--read-and-wire" => Mode::ReadAndWire,
                    _ => Mode::EncodeOnly,
                };
            }
            s if s.starts_with("--") => return Err(format!("unknown option {s}")),
            _ => a.files.push(PathBuf::from(arg)),
        }
    }
    if a.files.is_empty() {
        return Err("no files given".into());
    }
    Ok(a)
}

/// A SplitMix64 stream for random-looking names and Message-IDs.
struct Ids(u64);

impl Ids {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn hex(&mut self) -> String {
        format!("{:016x}{:016x}", self.next(), self.next())
    }
}

/// One part as [`Parts::each`] hands it over: headers chosen, data read.
struct Part<'a> {
    /// Zero for a file's first part.
    number: u64,
    builder: ArticleBuilder,
    info: ap_yenc::PartInfo,
    data: &'a [u8],
}

/// Splits files into parts under random-looking names and Message-IDs.
struct Parts {
    ids: Ids,
    size: usize,
    group: String,
    buf: Vec<u8>,
}

impl Part<'_> {
    /// Encodes the part straight into a recycled buffer, which is the
    /// article body without a copy and goes back to `pool` when the poster
    /// drops the article.
    fn encode(self, pool: &ap_nntp_post::BufferPool) -> Result<ap_nntp_post::Article, String> {
        let enc = pool.take(self.info.max_encoded_len());
        self.builder
            .yenc_part(&self.info, self.data, enc)
            .map(|(article, _)| article)
            .map_err(|e| e.to_string())
    }
}

impl Parts {
    fn new(seed: u64, size: usize, group: String) -> Parts {
        Parts {
            ids: Ids(seed),
            size,
            group,
            buf: vec![0u8; size],
        }
    }

    /// Calls `f` for every part of every file, in order, and returns the
    /// data bytes covered. Reads each part from its file when `read_all`,
    /// else only each file's first part, whose bytes then stand in for the
    /// rest.
    fn each(
        &mut self,
        files: &[PathBuf],
        read_all: bool,
        mut f: impl FnMut(Part<'_>) -> Result<(), String>,
    ) -> Result<u64, String> {
        let mut total = 0u64;
        for path in files {
            let err = |e: std::io::Error| format!("{}: {e}", path.display());
            let mut file = File::open(path).map_err(err)?;
            let len = file.metadata().map_err(err)?.len();
            let parts = len.div_ceil(self.size as u64).max(1);
            let name = self.ids.hex();
            let from = format!(
                "{} <{}@{}.invalid>",
                &name[..8],
                &name[8..16],
                &name[16..24]
            );
            for part in 0..parts {
                let off = part * self.size as u64;
                let n = (len - off).min(self.size as u64) as usize;
                let id = self.ids.hex();
                let builder = ArticleBuilder::new()
                    .from(from.clone())
                    .newsgroup(self.group.clone())
                    .subject(format!("{name} yEnc ({}/{parts})", part + 1))
                    .message_id(format!("{}@{}.invalid", &id[..24], &id[24..]));
                if part == 0 || read_all {
                    file.read_exact(&mut self.buf[..n]).map_err(err)?;
                }
                let info = ap_yenc::PartInfo::new(
                    name.clone(),
                    len,
                    part as u32 + 1,
                    parts as u32,
                    off,
                    n as u64,
                );
                f(Part {
                    number: part,
                    builder,
                    info,
                    data: &self.buf[..n],
                })?;
                total += n as u64;
            }
        }
        Ok(total)
    }
}

/// `--encode-only`: every part encoded as a post would encode it, from its
/// file's first part already in cache, and nothing sent.
fn encode_only(args: &Args, seed: u64) -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let pool = ap_nntp_post::BufferPool::new();
    let (mut articles, mut bytes) = (0u64, 0u64);
    let data = Parts::new(seed, args.article_size, args.group.clone()).each(
        &args.files,
        false,
        |part| {
            let article = part.encode(&pool)?;
            articles += 1;
            bytes += article.wire_len();
            Ok(())
        },
    )?;
    println!(
        "{{\"tool\":\"ap-nntp-post\",\"encode_only\":true,\"data_bytes\":{data},\"bytes\":{bytes},\"articles\":{articles},\"seconds\":{:.3},\"cpu_seconds\":{:.2},\"retries\":0,\"failed\":0,\"missing\":0}}",
        started.elapsed().as_secs_f64(),
        cpu_seconds(),
    );
    Ok(())
}

/// User plus system CPU seconds of this process, from /proc.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (tick(11) + tick(12)) / 100.0
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("post-files: error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse()?;
    let seed = SystemTime::now().duration_since(UNIX_EPOCH)?.as_nanos() as u64;
    if args.mode == Mode::EncodeOnly {
        return encode_only(&args, seed);
    }
    let mut server = ServerConfig::parse(&args.server)?.connections(args.connections);
    if let Ok(pass) = std::env::var("AP_NNTP_PASSWORD") {
        server.password = Some(Password::new(pass));
    }
    let mut config = PostConfig::new(vec![server]);
    config.rate_limit = args.rate;
    // One article waiting per connection keeps every connection busy; a
    // deeper queue only lets encoded articles go cold in the cache before
    // the kernel copies them to the socket.
    config.queue_depth = args.connections.max(1);
    config.check = args.check_delay.map(|delay| CheckConfig {
        delay,
        server: None,
        connections: args.check_connections,
    });
    // One thread drives every connection and a second reads and encodes:
    // sends and replies need little CPU each, and a multi-thread runtime
    // only adds wake-ups between its workers.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let (data_bytes, report) = runtime.block_on(async {
        let (queue, job) = Poster::start(config, None)?;
        let handle = tokio::runtime::Handle::current();
        let (files, size, group) = (args.files.clone(), args.article_size, args.group.clone());
        let mode = args.mode;
        // The wire floors send each file's first body again for every part.
        let resend_first = matches!(mode, Mode::WireOnly | Mode::ReadAndWire);
        let producer = tokio::task::spawn_blocking(move || -> Result<u64, String> {
            let pool = ap_nntp_post::BufferPool::new();
            let mut first: Option<ap_nntp_post::Article> = None;
            let mut parts = Parts::new(seed, size, group);
            parts.each(&files, mode != Mode::WireOnly, |part| {
                if part.number == 0 {
                    first = None;
                }
                let article = match &first {
                    Some(first) => part.builder.body_of(first).map_err(|e| e.to_string())?,
                    None => part.encode(&pool)?,
                };
                if resend_first && first.is_none() {
                    first = Some(article.clone());
                }
                handle
                    .block_on(queue.send(article))
                    .map_err(|e| e.to_string())
            })
        });
        let data = producer.await.map_err(|e| e.to_string())?;
        let report = job.finish().await?;
        let data = data?;
        Ok::<_, Box<dyn std::error::Error>>((data, report))
    })?;
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{{\"tool\":\"ap-nntp-post\",\"server\":{:?},\"connections\":{},\"data_bytes\":{},\"bytes\":{},\"articles\":{},\"seconds\":{:.3},\"cpu_seconds\":{:.2},\"retries\":{},\"confirmed_by_stat\":{},\"checked\":{},\"missing\":{},\"failed\":{}}}",
        args.server,
        args.connections,
        data_bytes,
        report.bytes,
        report.articles,
        seconds,
        cpu_seconds(),
        report.retries,
        report.confirmed_by_stat,
        report.checked,
        report.missing.len(),
        report.failed.len()
    );
    if report.failed.is_empty() && report.missing.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} articles failed, {} missing after the check",
            report.failed.len(),
            report.missing.len()
        )
        .into())
    }
}
