//! The Hypercore wire protocol over one TCP connection: Noise XX (as
//! JavaScript's `@hyperswarm/secret-stream`), uint24le frames, Protomux
//! channels, one channel per log.
//!
//! The per-channel exchange is written here rather than taken from
//! `hypercore`'s own replicator, which answers one request at a time and
//! drops the rest: JavaScript peers keep many requests in flight.

use futures::StreamExt;
use hypercore::Hypercore;
use hypercore_handshake::Cipher;
use hypercore_handshake::state_machine::SecStream;
use hypercore_handshake::state_machine::hc_specific::generate_keypair;
use hypercore_protocol::schema::{Data, NoData, Range, Request, Synchronize};
use hypercore_protocol::{Channel, Event, Message, Protocol, discovery_key};
use tokio::net::TcpStream;
use tokio::sync::watch;

use crate::Error;

/// A Hypercore protocol stream over `tcp`, after the Noise handshake starts.
pub(crate) fn protocol(tcp: TcpStream, initiator: bool, addr: &str) -> Result<Protocol, Error> {
    let _ = tcp.set_nodelay(true);
    let framed = crate::frame::frames(tcp);
    let noise = |e: hypercore_handshake::Error| Error::Protocol {
        addr: addr.to_owned(),
        why: format!("cannot start the Noise handshake: {e}"),
    };
    let cipher = if initiator {
        Cipher::new(
            Some(Box::new(framed)),
            SecStream::new_initiator_xx(&[]).map_err(noise)?.into(),
        )
    } else {
        let keypair = generate_keypair().map_err(noise)?;
        Cipher::new(
            Some(Box::new(framed)),
            SecStream::new_responder_xx(&keypair, &[])
                .map_err(noise)?
                .into(),
        )
    };
    Ok(Protocol::new(Box::new(cipher)))
}

pub(crate) fn wire_error(addr: &str, e: impl std::fmt::Display) -> Error {
    Error::Protocol {
        addr: addr.to_owned(),
        why: e.to_string(),
    }
}

/// Serves the log in `head` to the peer on `tcp` until it leaves. A peer
/// asking for another log is hung up on, so it learns at once that this
/// seeder does not have it.
pub(crate) async fn serve(
    tcp: TcpStream,
    addr: String,
    head: watch::Receiver<Hypercore>,
) -> Result<(), Error> {
    let key = head.borrow().key_pair().public.to_bytes();
    let ours = discovery_key(&key);
    let mut protocol = protocol(tcp, false, &addr)?;
    let mut channels = tokio::task::JoinSet::new();
    while let Some(event) = protocol.next().await {
        match event.map_err(|e| wire_error(&addr, e))? {
            Event::DiscoveryKey(dkey) if dkey == ours => {
                protocol.open(key).await.map_err(|e| wire_error(&addr, e))?;
            }
            Event::DiscoveryKey(_) => return Ok(()),
            Event::Channel(channel) if *channel.discovery_key() == ours => {
                channels.spawn(serve_channel(channel, head.clone(), addr.clone()));
            }
            Event::Close(_) if channels.is_empty() => return Ok(()),
            _ => {}
        }
        while let Some(done) = channels.try_join_next() {
            if let Ok(Err(e)) = done {
                return Err(e);
            }
        }
    }
    Ok(())
}

fn sync(core: &Hypercore, remote_length: u64) -> Message {
    let info = core.info();
    Message::Synchronize(Synchronize {
        fork: info.fork,
        length: info.length,
        remote_length,
        downloading: true,
        uploading: true,
        can_upgrade: true,
    })
}

fn have_all(core: &Hypercore) -> Message {
    Message::Range(Range {
        drop: false,
        start: 0,
        length: core.info().contiguous_length,
    })
}

async fn serve_channel(
    mut channel: Channel,
    mut head: watch::Receiver<Hypercore>,
    addr: String,
) -> Result<(), Error> {
    let send_err = |e| wire_error(&addr, e);
    let mut core = head.borrow_and_update().clone();
    // The remote's length as last told; echoing it acknowledges it, and a
    // JavaScript peer asks for an upgrade only once its length is acknowledged.
    let mut remote_length = 0;
    let mut remote_synced = false;
    channel
        .send_batch(&[sync(&core, 0), have_all(&core)])
        .await
        .map_err(send_err)?;
    loop {
        tokio::select! {
            message = channel.next() => {
                let Some(message) = message else { return Ok(()) };
                match message {
                    Message::Synchronize(s) if !remote_synced || s.length != remote_length => {
                        remote_synced = true;
                        remote_length = s.length;
                        channel.send(sync(&core, remote_length)).await.map_err(send_err)?;
                    }
                    Message::Request(r) => {
                        let reply = answer(&core, r).await;
                        channel.send(reply).await.map_err(send_err)?;
                    }
                    _ => {}
                }
            }
            changed = head.changed() => {
                if changed.is_err() {
                    return Ok(());
                }
                core = head.borrow_and_update().clone();
                channel
                    .send_batch(&[sync(&core, remote_length), have_all(&core)])
                    .await
                    .map_err(send_err)?;
            }
        }
    }
}

async fn answer(core: &Hypercore, r: Request) -> Message {
    match core.create_proof(r.block, r.hash, r.seek, r.upgrade).await {
        Ok(Some(p)) => Message::Data(Data {
            request: r.id,
            fork: p.fork,
            block: p.block,
            hash: p.hash,
            seek: p.seek,
            upgrade: p.upgrade,
        }),
        _ => Message::NoData(NoData { request: r.id }),
    }
}
