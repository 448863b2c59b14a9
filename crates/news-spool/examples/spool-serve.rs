//! Runs the spool standalone, as `ap-server spool --listen ADDR --dir DIR`
//! does, without building the whole server: for profiling the receive path.
//!
//! ```text
//! spool-serve ADDR DIR
//! ```
//! Stops on SIGINT or SIGTERM and prints how many articles it stored.

use std::net::SocketAddr;
use std::path::PathBuf;

use ap_news_spool::{Spool, SpoolConfig, SpoolServer};

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spool-serve: error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(addr), Some(dir)) = (args.next(), args.next()) else {
        return Err("usage: spool-serve ADDR DIR".into());
    };
    let addr: SocketAddr = addr.parse()?;
    let spool = Spool::open(&PathBuf::from(dir), SpoolConfig::default())?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        let server = SpoolServer::bind(addr, spool).await?;
        println!("listening on {}", server.local_addr());
        use tokio::signal::unix::{SignalKind, signal};
        let mut term = signal(SignalKind::terminate())?;
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
        let stats = server.spool().stats();
        server.shutdown().await;
        eprintln!(
            "spool-serve: {} stored, {} duplicates",
            stats.stored, stats.duplicates
        );
        Ok::<_, Box<dyn std::error::Error>>(())
    })
}
