//! Where articles go and come from: configured news servers, or the
//! embedded news spool under the data directory, run in-process for the
//! length of the job.

use std::path::PathBuf;

use ap_news_spool::{Spool, SpoolConfig, SpoolServer};
use ap_nntp_post::{ArticleSender, Connection, PostJob, Poster, ServerConfig};

use crate::error::{Error, Result};
use crate::post::{pool_events, post_config};
use crate::progress::{Progress, ProgressSink, emit};

/// The news servers of a job.
#[derive(Debug, Clone)]
pub enum Target {
    /// Real servers, in failover order, each with its connections.
    Servers(Vec<ServerConfig>),
    /// The embedded spool storing articles under `dir`, served on a
    /// loopback port for the length of the job.
    Spool { dir: PathBuf, connections: usize },
}

/// A target made ready: the spool, when embedded, is listening.
pub(crate) struct Running {
    servers: Vec<ServerConfig>,
    spool: Option<SpoolServer>,
}

/// The runtime the jobs run their sockets on.
pub(crate) fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("ap-net")
        .enable_all()
        .build()
        .map_err(|e| Error::io("starting the network runtime", e))
}

impl Running {
    pub(crate) fn start(
        runtime: &tokio::runtime::Runtime,
        target: &Target,
        progress: &Option<ProgressSink>,
    ) -> Result<Running> {
        match target {
            Target::Servers(servers) => {
                if servers.is_empty() {
                    return Err(Error::Internal("no news server given".into()));
                }
                Ok(Running {
                    servers: servers.clone(),
                    spool: None,
                })
            }
            Target::Spool { dir, connections } => {
                std::fs::create_dir_all(dir).map_err(|e| Error::io(dir.display(), e))?;
                let spool = Spool::open(dir, SpoolConfig::default())?;
                let addr = "127.0.0.1:0"
                    .parse()
                    .map_err(|_| Error::Internal("loopback address".into()))?;
                let server = runtime.block_on(SpoolServer::bind(addr, spool))?;
                let local = server.local_addr();
                emit(
                    progress,
                    Progress::Note(format!(
                        "no news server configured: using the embedded news spool in {} (serving on {local} for this job)",
                        dir.display()
                    )),
                );
                let config = ServerConfig::new(local.ip().to_string(), local.port())
                    .connections(*connections);
                Ok(Running {
                    servers: vec![config],
                    spool: Some(server),
                })
            }
        }
    }

    /// Connects and logs in to every server once, the check server too, so
    /// a refused login or an unreachable host stops the job before anything
    /// is posted.
    pub(crate) fn preflight(
        &self,
        runtime: &tokio::runtime::Runtime,
        check: Option<&ServerConfig>,
    ) -> Result<()> {
        if check.is_some() && self.spool.is_some() {
            return Err(Error::Setting(
                "a check server needs a news server to post to (--server, or [[servers]] in the \
                 config file): articles in the embedded spool are on no other server"
                    .into(),
            ));
        }
        let login = |s: &ServerConfig| {
            let conn = runtime.block_on(Connection::connect(s))?;
            runtime.block_on(conn.quit());
            Ok::<_, ap_nntp_post::Error>(())
        };
        for s in &self.servers {
            login(s).map_err(|error| Error::Preflight {
                host: s.display_name(),
                error,
            })?;
        }
        if let Some(s) = check {
            login(s).map_err(|error| Error::CheckPreflight {
                host: s.display_name(),
                error,
            })?;
        }
        Ok(())
    }

    pub(crate) fn servers(&self) -> &[ServerConfig] {
        &self.servers
    }

    pub(crate) fn start_job(
        &self,
        runtime: &tokio::runtime::Runtime,
        options: &crate::post::PostOptions,
        progress: &Option<ProgressSink>,
        journal: &Option<std::sync::Arc<crate::journal::Journal>>,
        confirmations: &std::sync::Arc<crate::upload::Confirmations>,
    ) -> Result<(ArticleSender, PostJob)> {
        let config = post_config(self.servers.clone(), options);
        let posting = self.servers.iter().map(|s| s.connections).sum();
        let events = pool_events(posting, progress, journal, confirmations);
        let _guard = runtime.enter();
        Ok(Poster::start(config, events)?)
    }

    pub(crate) fn display_name(&self) -> String {
        self.servers
            .first()
            .map(ServerConfig::display_name)
            .unwrap_or_default()
    }

    pub(crate) fn is_embedded(&self) -> bool {
        self.spool.is_some()
    }

    pub(crate) fn stop(self, runtime: &tokio::runtime::Runtime) {
        if let Some(s) = self.spool {
            runtime.block_on(s.shutdown());
        }
    }
}
