//! The listener: accepts connections and runs a session for each, until
//! shut down.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::store::{Spool, SpoolError};

/// A running spool server.
#[derive(Debug)]
pub struct SpoolServer {
    addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
    spool: Spool,
}

impl SpoolServer {
    /// Binds `addr` (port 0 picks a free one) and starts serving on the
    /// current tokio runtime.
    pub async fn bind(addr: SocketAddr, spool: Spool) -> Result<SpoolServer, SpoolError> {
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|source| SpoolError::Bind { addr, source })?;
        let local = listener
            .local_addr()
            .map_err(|source| SpoolError::Bind { addr, source })?;
        let (stop, mut stopped) = watch::channel(false);
        let sessions_spool = spool.clone();
        let task = tokio::spawn(async move {
            let mut sessions = JoinSet::new();
            loop {
                tokio::select! {
                    accepted = listener.accept() => {
                        // A failed accept (out of descriptors) is not fatal.
                        if let Ok((sock, _)) = accepted {
                            let _ = sock.set_nodelay(true);
                            sessions.spawn(crate::session::serve(sock, sessions_spool.clone()));
                        }
                    }
                    Some(_) = sessions.join_next(), if !sessions.is_empty() => {}
                    _ = stopped.wait_for(|s| *s) => break,
                }
            }
            sessions.shutdown().await;
        });
        Ok(SpoolServer {
            addr: local,
            stop,
            task,
            spool,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn spool(&self) -> &Spool {
        &self.spool
    }

    /// Stops accepting and closes every session. Stores already under way
    /// finish; an interrupted one leaves nothing visible.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}
