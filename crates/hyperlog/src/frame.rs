//! uint24le frames: each message of the Noise stream is preceded by its
//! length as three little-endian bytes, as `@hyperswarm/secret-stream` does.
//!
//! Written here because `uint24le_framing` 0.2 stalls on a frame that fills
//! its 64 KiB read buffer exactly, and a 64 KiB block with its proof is such
//! a frame.

use bytes::{Buf, BufMut, BytesMut};
use futures::StreamExt;
use tokio::net::TcpStream;
use tokio_util::codec::{Decoder, Encoder, Framed};

/// The largest frame the length prefix can describe.
const MAX_FRAME: usize = (1 << 24) - 1;

#[derive(Debug, Default)]
pub(crate) struct Uint24Le;

impl Decoder for Uint24Le {
    type Item = Vec<u8>;
    type Error = std::io::Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Vec<u8>>, std::io::Error> {
        if src.len() < 3 {
            return Ok(None);
        }
        let len = usize::from(src[0]) | usize::from(src[1]) << 8 | usize::from(src[2]) << 16;
        if src.len() < 3 + len {
            src.reserve(3 + len - src.len());
            return Ok(None);
        }
        src.advance(3);
        Ok(Some(src.split_to(len).to_vec()))
    }
}

impl Encoder<Vec<u8>> for Uint24Le {
    type Error = std::io::Error;

    fn encode(&mut self, item: Vec<u8>, dst: &mut BytesMut) -> Result<(), std::io::Error> {
        if item.len() > MAX_FRAME {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!(
                    "a frame of {} bytes does not fit a uint24 length",
                    item.len()
                ),
            ));
        }
        let len = item.len();
        dst.reserve(3 + len);
        dst.put_slice(&[len as u8, (len >> 8) as u8, (len >> 16) as u8]);
        dst.put_slice(&item);
        Ok(())
    }
}

type Frames = futures::stream::Map<
    Framed<TcpStream, Uint24Le>,
    fn(Result<Vec<u8>, std::io::Error>) -> Result<Vec<u8>, std::io::Error>,
>;

/// `tcp` as a stream and sink of frames.
pub(crate) fn frames(tcp: TcpStream) -> Frames {
    Framed::new(tcp, Uint24Le).map(std::convert::identity as fn(_) -> _)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip_across_partial_reads() {
        let mut codec = Uint24Le;
        let mut buf = BytesMut::new();
        let big = vec![5u8; 65_536 + 1_200];
        codec.encode(big.clone(), &mut buf).unwrap();
        codec.encode(b"x".to_vec(), &mut buf).unwrap();
        assert_eq!(&buf[..3], &[0xb0, 0x04, 0x01]);
        let mut partial = buf.split_to(40_000);
        assert!(codec.decode(&mut partial).unwrap().is_none());
        partial.unsplit(buf);
        assert_eq!(codec.decode(&mut partial).unwrap().unwrap(), big);
        assert_eq!(codec.decode(&mut partial).unwrap().unwrap(), b"x");
        assert!(codec.decode(&mut partial).unwrap().is_none());
    }
}
