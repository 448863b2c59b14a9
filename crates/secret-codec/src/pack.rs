//! Packing an age v1 header into binary and back. The header is text with a
//! fixed structure (base64 of fixed-size keys), so the secret string stores
//! the decoded bytes and restores the exact age file on the way out. Only
//! headers that round-trip exactly are packed; [`pack`] checks that.

use crate::wire::{Reader, put_bytes, put_varint};
use crate::{Error, b64};

const INTRO: &str = "age-encryption.org/v1\n";
const KIND_GENERIC: u8 = 0;
const KIND_X25519: u8 = 1;
const KIND_SSH_ED25519: u8 = 2;
const KIND_SSH_RSA: u8 = 3;
const MAX_STANZAS: u64 = 4096;
const MAX_BODY: usize = 1 << 16;

/// One recipient stanza: `-> TAG ARGS...` and its body.
pub(crate) struct Stanza {
    tag: String,
    args: Vec<String>,
    body: Vec<u8>,
}

/// Turns an age file into the packed binary envelope.
pub(crate) fn pack(age: &[u8]) -> Result<Vec<u8>, Error> {
    let (stanzas, mac, payload) = parse(age)
        .ok_or_else(|| Error::Envelope("the age header has an unexpected layout".into()))?;
    let mut out = Vec::with_capacity(age.len());
    put_varint(&mut out, stanzas.len() as u64);
    for s in &stanzas {
        pack_stanza(&mut out, s);
    }
    out.extend_from_slice(&mac);
    out.extend_from_slice(payload);
    if unpack(&out)? != age {
        return Err(Error::Envelope(
            "the age header does not pack losslessly".into(),
        ));
    }
    Ok(out)
}

fn fixed(arg: &str, len: usize) -> Option<Vec<u8>> {
    b64::decode(arg).filter(|b| b.len() == len)
}

fn pack_stanza(out: &mut Vec<u8>, s: &Stanza) {
    let args: Vec<&str> = s.args.iter().map(String::as_str).collect();
    match (s.tag.as_str(), args.as_slice()) {
        ("X25519", [share]) => {
            if let (Some(share), 32) = (fixed(share, 32), s.body.len()) {
                out.push(KIND_X25519);
                out.extend_from_slice(&share);
                out.extend_from_slice(&s.body);
                return;
            }
        }
        ("ssh-ed25519", [tag, share]) => {
            if let (Some(tag), Some(share), 32) = (fixed(tag, 4), fixed(share, 32), s.body.len()) {
                out.push(KIND_SSH_ED25519);
                out.extend_from_slice(&tag);
                out.extend_from_slice(&share);
                out.extend_from_slice(&s.body);
                return;
            }
        }
        ("ssh-rsa", [tag]) => {
            if let Some(tag) = fixed(tag, 4) {
                out.push(KIND_SSH_RSA);
                out.extend_from_slice(&tag);
                put_bytes(out, &s.body);
                return;
            }
        }
        _ => {}
    }
    out.push(KIND_GENERIC);
    put_bytes(out, s.tag.as_bytes());
    put_varint(out, s.args.len() as u64);
    for a in &s.args {
        put_bytes(out, a.as_bytes());
    }
    put_bytes(out, &s.body);
}

/// Restores the exact age file from the packed envelope.
pub(crate) fn unpack(packed: &[u8]) -> Result<Vec<u8>, Error> {
    let mut r = Reader::new(packed);
    let n = r.varint_max(MAX_STANZAS, "recipient count")?;
    let mut header = String::from(INTRO);
    for _ in 0..n {
        let s = match r.u8("recipient kind")? {
            KIND_X25519 => {
                let share = r.take(32, "X25519 share")?;
                Stanza {
                    tag: "X25519".into(),
                    args: vec![b64::encode(share)],
                    body: r.take(32, "X25519 body")?.to_vec(),
                }
            }
            KIND_SSH_ED25519 => {
                let tag = r.take(4, "ssh-ed25519 tag")?;
                let share = r.take(32, "ssh-ed25519 share")?;
                Stanza {
                    tag: "ssh-ed25519".into(),
                    args: vec![b64::encode(tag), b64::encode(share)],
                    body: r.take(32, "ssh-ed25519 body")?.to_vec(),
                }
            }
            KIND_SSH_RSA => {
                let tag = r.take(4, "ssh-rsa tag")?;
                Stanza {
                    tag: "ssh-rsa".into(),
                    args: vec![b64::encode(tag)],
                    body: r.bytes(MAX_BODY, "ssh-rsa body")?.to_vec(),
                }
            }
            KIND_GENERIC => {
                let tag = r.string(256, "stanza tag")?;
                let n_args = r.varint_max(64, "stanza argument count")?;
                let args = (0..n_args)
                    .map(|_| r.string(1024, "stanza argument"))
                    .collect::<Result<Vec<_>, _>>()?;
                Stanza {
                    tag,
                    args,
                    body: r.bytes(MAX_BODY, "stanza body")?.to_vec(),
                }
            }
            other => return Err(Error::Invalid(format!("unknown recipient kind {other}"))),
        };
        write_stanza(&mut header, &s);
    }
    let mac = r.take(32, "header MAC")?;
    header.push_str("--- ");
    header.push_str(&b64::encode(mac));
    header.push('\n');
    let mut out = header.into_bytes();
    out.extend_from_slice(r.rest);
    Ok(out)
}

pub(crate) fn write_stanza(out: &mut String, s: &Stanza) {
    out.push_str("->");
    for part in std::iter::once(&s.tag).chain(&s.args) {
        out.push(' ');
        out.push_str(part);
    }
    out.push('\n');
    let body = b64::encode(&s.body);
    let mut rest = body.as_str();
    // Full 64-column lines, then always one shorter line (maybe empty).
    while rest.len() >= 64 {
        out.push_str(&rest[..64]);
        out.push('\n');
        rest = &rest[64..];
    }
    out.push_str(rest);
    out.push('\n');
}

/// Splits an age file into its stanzas, header MAC and payload.
fn parse(age: &[u8]) -> Option<(Vec<Stanza>, Vec<u8>, &[u8])> {
    let mut rest = age.strip_prefix(INTRO.as_bytes())?;
    let line = |rest: &mut &[u8]| -> Option<String> {
        let end = rest.iter().position(|&b| b == b'\n')?;
        let text = std::str::from_utf8(&rest[..end]).ok()?.to_owned();
        *rest = &rest[end + 1..];
        Some(text)
    };
    let mut stanzas = Vec::new();
    loop {
        let l = line(&mut rest)?;
        if let Some(mac) = l.strip_prefix("--- ") {
            return Some((stanzas, fixed(mac, 32)?, rest));
        }
        let mut parts = l.strip_prefix("-> ")?.split(' ').map(str::to_owned);
        let tag = parts.next()?;
        let args = parts.collect();
        let mut body_text = String::new();
        loop {
            let b = line(&mut rest)?;
            let last = b.len() < 64;
            body_text.push_str(&b);
            if last {
                break;
            }
        }
        stanzas.push(Stanza {
            tag,
            args,
            body: b64::decode(&body_text)?,
        });
    }
}

/// A stanza from age's own type, for the writer in `envelope`.
pub(crate) fn from_age(s: &age_core::format::Stanza) -> Stanza {
    Stanza {
        tag: s.tag.clone(),
        args: s.args.clone(),
        body: s.body.clone(),
    }
}
