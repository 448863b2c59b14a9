use std::io::{IsTerminal, Write};
use std::sync::Arc;

use anyhow::Context;
use ap_pipeline::{Config, PostOptions, PostSettings, Progress, ProgressSink, Target};
use ap_server::cli::{PostArgs, PostFlags};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// What a post job needs from its flags and the config file, resolved before
/// anything is read or posted (a bad recipient or size stops it here).
pub struct Prepared {
    pub config: Config,
    pub sealed_to: ap_secret_codec::recipients::Recipients,
    /// Sealed to the packaged key: anyone with ap-client opens the secret.
    pub public: bool,
    pub target: Target,
    pub options: PostOptions,
}

pub fn prepare(flags: &PostFlags, title: Option<String>) -> anyhow::Result<Prepared> {
    let config = Config::load_default()?;
    let mut recipients = flags.recipients.clone();
    recipients.extend(config.recipients.iter().cloned());
    let mut files = flags.recipients_files.clone();
    files.extend(config.recipients_files.iter().cloned());
    let public = flags.public || (recipients.is_empty() && files.is_empty());
    let sealed_to = ap_secret_codec::recipients_for_post(&recipients, &files, public)?;
    let target = config.target(flags.server.as_deref(), flags.connections)?;
    let settings = PostSettings {
        title,
        groups: flags.groups.clone(),
        redundancy: flags.redundancy,
        volume_size: flags.volume_size.clone(),
        split_above: flags.split_above.clone(),
        part_size: flags.part_size.clone(),
        method: Some(flags.method.parse()?),
        article_size: flags.article_size.clone(),
        rate_limit: flags.rate_limit.clone(),
        check_delay: flags.check_delay.clone(),
        check_server: flags.check_server.clone(),
    };
    let options = config.post_options(&settings)?;
    Ok(Prepared {
        config,
        sealed_to,
        public,
        target,
        options,
    })
}

pub fn run(args: &PostArgs) -> anyhow::Result<()> {
    let Prepared {
        config,
        sealed_to,
        public,
        target,
        options,
    } = prepare(&args.settings, args.title.clone())?;
    let data_dir = config.data_dir();

    let bars = (!args.json).then(Bars::new);
    let progress: Option<ProgressSink> = match &bars {
        Some(b) => Some(b.sink()),
        None => Some(Arc::new(|p: &Progress| {
            if let Progress::Note(n) = p {
                eprintln!("ap-server: {n}");
            }
        })),
    };
    if let (Target::Servers(s), false) = (&target, args.json) {
        eprintln!("ap-server: posting to {}", s[0].display_name());
    }
    let posted = ap_pipeline::post(&args.dir, &options, &target, progress)?;
    if let Some(b) = bars {
        b.finish();
    }
    let secret = ap_secret_codec::seal(&posted.descriptor, &sealed_to)?;
    if let Some(path) = &args.nzb_out {
        std::fs::write(path, &posted.nzb)
            .with_context(|| format!("cannot write the NZB to {}", path.display()))?;
    }
    let record = ap_pipeline::write_record(&data_dir, &posted, secret.expose())?;
    let ledger =
        super::ledger::record_post(&data_dir, &args.dir, &record, &posted, secret.expose())?;

    let secs = posted.elapsed.as_secs_f64().max(1e-9);
    if args.json {
        let summary = serde_json::json!({
            "server": posted.server,
            "embedded_spool": posted.embedded_spool,
            "data_bytes": posted.data_bytes,
            "archive_bytes": posted.archive_bytes,
            "volumes": posted.volumes,
            "files": posted.files,
            "articles": posted.articles,
            "wire_bytes": posted.wire_bytes,
            "reposted": posted.reposted,
            "retries": posted.retries,
            "resumed": posted.resumed,
            "skipped": posted.skipped,
            "seconds": secs,
            "nzb": args.nzb_out,
            "record": record,
            "public": public,
        });
        eprintln!("{summary}");
    } else {
        eprintln!(
            "ap-server: posted {} ({} bytes in {} {}, {} articles) to {} in {:.1} s, {:.1} MB/s{}",
            args.dir.display(),
            posted.data_bytes,
            posted.volumes,
            if posted.volumes == 1 {
                "volume"
            } else {
                "volumes"
            },
            posted.articles,
            if posted.embedded_spool {
                "the embedded news spool".to_string()
            } else {
                posted.server.clone()
            },
            secs,
            posted.wire_bytes as f64 / secs / 1e6,
            if posted.reposted > 0 {
                format!(", {} articles re-posted", posted.reposted)
            } else {
                String::new()
            }
        );
        if posted.retries > 0 {
            eprintln!(
                "ap-server: {} attempts failed on the way (resets, timeouts, refusals) and were tried again",
                posted.retries
            );
        }
        if public {
            eprintln!(
                "ap-server: sealed to the packaged key (a public set: anyone with ap-client can open it)"
            );
        }
        eprintln!("ap-server: set recorded in {}", record.display());
        if let Some(at) = &ledger {
            eprintln!("ap-server: set recorded in the ledger at {at}");
        }
        eprintln!(
            "ap-server: the secret string is on standard output; fetch with: ap-client fetch - --out DIR < secret.txt"
        );
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{}", secret.expose()).context("cannot write to standard output")?;
    Ok(())
}

/// Read, PAR2 and upload bars on standard error; drawn only on a terminal.
struct Bars {
    multi: MultiProgress,
    read: ProgressBar,
    par2: ProgressBar,
    upload: ProgressBar,
}

/// What the upload bar says besides bytes: the pool at work.
#[derive(Default)]
struct Upload {
    articles: u64,
    retries: u64,
    last_retry: String,
    checked: u64,
    missing: u64,
    posting: usize,
    open: usize,
}

impl Upload {
    fn message(&self) -> String {
        let mut m = format!(
            "{} articles, {}/{} connections posting",
            self.articles, self.posting, self.open
        );
        if self.checked > 0 {
            m += &format!(", {} checked", self.checked);
        }
        if self.missing > 0 {
            m += &format!(", {} missing", self.missing);
        }
        if self.retries > 0 {
            let why: String = self.last_retry.chars().take(60).collect();
            m += &format!(", {} retries (last: {why})", self.retries);
        }
        m
    }
}

impl Bars {
    fn new() -> Bars {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let template =
            "{prefix:>7} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}";
        let style = |t: &str| {
            ProgressStyle::with_template(t)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ")
        };
        let bar = |name: &'static str, style: ProgressStyle| {
            let b = multi.add(ProgressBar::new(0));
            b.set_style(style);
            b.set_prefix(name);
            b
        };
        let (read, par2) = (bar("read", style(template)), bar("PAR2", style(template)));
        let upload = bar("upload", style(&format!("{template}  {{msg}}")));
        Bars {
            multi,
            read,
            par2,
            upload,
        }
    }

    fn sink(&self) -> ProgressSink {
        let (multi, read, par2, upload, upload_msg) = (
            self.multi.clone(),
            self.read.clone(),
            self.par2.clone(),
            self.upload.clone(),
            self.upload.clone(),
        );
        let status = std::sync::Mutex::new(Upload::default());
        // Only the pool's events touch the status (byte counts, which come
        // far more often, do not take the lock); each redraws its message.
        let update = move |change: &dyn Fn(&mut Upload)| {
            let mut s = status
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            change(&mut s);
            upload_msg.set_message(s.message());
        };
        Arc::new(move |p: &Progress| match p {
            Progress::Totals {
                read: r,
                par2: p2,
                transfer,
            } => {
                read.set_length(*r);
                par2.set_length(*p2);
                upload.set_length(*transfer);
            }
            Progress::Read(n) => read.inc(*n),
            Progress::Par2(n) => par2.inc(*n),
            Progress::Transfer(n) => upload.inc(*n),
            Progress::Note(text) => {
                if multi.is_hidden() {
                    eprintln!("ap-server: {text}");
                } else {
                    let _ = multi.println(format!("ap-server: {text}"));
                }
            }
            Progress::Posted => update(&|s| s.articles += 1),
            Progress::Retry(why) => update(&|s| {
                s.retries += 1;
                s.last_retry.clone_from(why);
            }),
            Progress::Checked { present } => update(&|s| {
                s.checked += 1;
                s.missing += u64::from(!present);
            }),
            Progress::Connections { posting, open } => {
                update(&|s| (s.posting, s.open) = (*posting, *open))
            }
            _ => {}
        })
    }

    fn finish(self) {
        for b in [&self.read, &self.par2, &self.upload] {
            b.finish();
        }
    }
}
