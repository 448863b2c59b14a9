use std::io::IsTerminal;
use std::sync::Arc;

use ap_client::cli::FetchArgs;
use ap_pipeline::{Config, FetchOptions, Progress, ProgressSink};
use ap_secret_codec::recipients::Identities;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::packaged;

pub fn run(args: &FetchArgs) -> anyhow::Result<()> {
    let secret = super::secret::read_secret(&args.source)?;
    let mut identities: Identities = Vec::new();
    for path in &args.identities {
        identities.extend(ap_secret_codec::read_identity_file(path)?);
    }
    if let Some(path) = super::nzb::default_identity().filter(|p| p.is_file()) {
        identities.extend(ap_secret_codec::read_identity_file(&path)?);
    }
    identities.push(Box::new(packaged::identity()?));
    let descriptor = ap_secret_codec::open(&secret, &identities)?;

    let config = Config::load_default()?;
    let target = config.target(args.server.as_deref(), args.connections)?;
    let work_dir = config.data_dir().join("work");
    std::fs::create_dir_all(&work_dir)?;
    let options = FetchOptions {
        work_dir,
        repair_memory: 1 << 30,
        overwrite: args.overwrite,
    };
    let bars = (!args.json).then(Bars::new);
    let progress: Option<ProgressSink> = match &bars {
        Some(b) => Some(b.sink()),
        None => None,
    };
    let fetched = ap_pipeline::fetch(&descriptor, &target, &args.out, &options, progress)?;
    if let Some(b) = bars {
        b.finish();
    }
    let secs = fetched.elapsed.as_secs_f64().max(1e-9);
    if args.json {
        let summary = serde_json::json!({
            "articles": fetched.articles,
            "missing_articles": fetched.missing_articles,
            "damaged_articles": fetched.damaged_articles,
            "volumes": fetched.volumes,
            "repaired_volumes": fetched.repaired_volumes,
            "repaired_slices": fetched.repaired_slices,
            "files": fetched.files,
            "bytes": fetched.bytes,
            "seconds": secs,
        });
        eprintln!("{summary}");
    } else {
        eprintln!(
            "ap-client: {} {} ({} bytes) extracted into {} in {:.1} s",
            fetched.files,
            if fetched.files == 1 { "file" } else { "files" },
            fetched.bytes,
            args.out.display(),
            secs
        );
        if fetched.missing_articles + fetched.damaged_articles > 0 {
            eprintln!(
                "ap-client: {} articles missing and {} damaged; {} slices rebuilt from PAR2 in {} volumes",
                fetched.missing_articles,
                fetched.damaged_articles,
                fetched.repaired_slices,
                fetched.repaired_volumes
            );
        }
    }
    Ok(())
}

/// Download and verify bars on standard error; drawn only on a terminal.
struct Bars {
    multi: MultiProgress,
    download: ProgressBar,
    verify: ProgressBar,
}

impl Bars {
    fn new() -> Bars {
        let target = if std::io::stderr().is_terminal() {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let multi = MultiProgress::with_draw_target(target);
        let style = ProgressStyle::with_template(
            "{prefix:>8} [{bar:30}] {bytes}/{total_bytes} {binary_bytes_per_sec} ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        let bar = |name: &'static str| {
            let b = multi.add(ProgressBar::new(0));
            b.set_style(style.clone());
            b.set_prefix(name);
            b
        };
        let (download, verify) = (bar("download"), bar("PAR2"));
        Bars {
            multi,
            download,
            verify,
        }
    }

    fn sink(&self) -> ProgressSink {
        let (multi, download, verify) = (
            self.multi.clone(),
            self.download.clone(),
            self.verify.clone(),
        );
        Arc::new(move |p: &Progress| match p {
            Progress::Totals { par2, transfer, .. } => {
                download.set_length(*transfer);
                verify.set_length(*par2);
            }
            Progress::Transfer(n) => download.inc(*n),
            Progress::Par2(n) => verify.inc(*n),
            Progress::Note(text) => {
                if multi.is_hidden() {
                    eprintln!("ap-client: {text}");
                } else {
                    let _ = multi.println(format!("ap-client: {text}"));
                }
            }
            _ => {}
        })
    }

    fn finish(self) {
        self.download.finish();
        self.verify.finish();
    }
}
