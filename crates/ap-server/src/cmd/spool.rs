//! `ap-server spool`: the embedded news server on its own, until SIGINT or
//! SIGTERM. Prints one line with the bound address, so a caller that asked
//! for port 0 learns the port.

use std::io::Write;

use anyhow::{Context, Result, bail};
use ap_news_spool::{Spool, SpoolConfig, SpoolServer};
use ap_server::cli::SpoolArgs;

pub fn run(args: &SpoolArgs) -> Result<()> {
    let login = match &args.user {
        None => None,
        Some(user) => Some((user.clone(), password(args)?)),
    };
    let config = SpoolConfig {
        login,
        max_article_size: args.max_article_size,
    };
    let spool = Spool::open(&args.dir, config)
        .with_context(|| format!("cannot open the spool in {}", args.dir.display()))?;
    let runtime = tokio::runtime::Runtime::new().context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = SpoolServer::bind(args.listen, spool).await?;
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", server.local_addr())?;
        out.flush()?;
        drop(out);
        wait_for_stop().await?;
        let stats = server.spool().stats();
        server.shutdown().await;
        eprintln!(
            "ap-server: spool stopped: {} articles stored, {} duplicates refused",
            stats.stored, stats.duplicates
        );
        Ok(())
    })
}

fn password(args: &SpoolArgs) -> Result<String> {
    let pass = match &args.password_file {
        Some(path) => std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the password file {}", path.display()))?
            .lines()
            .next()
            .unwrap_or_default()
            .to_string(),
        None => std::env::var("AP_SPOOL_PASSWORD")
            .context("--user needs a password: set AP_SPOOL_PASSWORD or pass --password-file")?,
    };
    if pass.is_empty() {
        bail!("the spool password is empty");
    }
    Ok(pass)
}

async fn wait_for_stop() -> Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
    tokio::select! {
        r = tokio::signal::ctrl_c() => r.context("cannot watch SIGINT")?,
        _ = term.recv() => {}
    }
    Ok(())
}
