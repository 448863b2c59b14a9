//! Handing a set's NZB to a downloader over its API, so the user's own
//! NZBGet fetches, repairs and unpacks it. NZBGet's JSON-RPC `append` takes
//! the NZB as base64; the archive password travels in the NZB's
//! `<meta type="password">` and as the `*Unpack:Password` parameter.
//! Plain HTTP only: the control port of a downloader is a local service.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use crate::error::{Error, Result};

/// Where NZBGet listens and how to log in.
#[derive(Clone)]
pub struct NzbgetApi {
    /// `http://HOST:PORT` (a path, if any, is ignored: the API is `/jsonrpc`).
    pub url: String,
    pub user: String,
    pub password: Option<String>,
}

impl std::fmt::Debug for NzbgetApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NzbgetApi")
            .field("url", &self.url)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Queues `nzb` in NZBGet under `name`; returns NZBGet's id of the job.
pub fn send_nzbget(api: &NzbgetApi, name: &str, nzb: &str, password: &str) -> Result<i64> {
    let bad = |reason: String| Error::Send {
        to: api.url.clone(),
        reason,
    };
    let rest = api
        .url
        .strip_prefix("http://")
        .ok_or_else(|| bad("only http:// addresses are supported".into()))?;
    let hostport = rest.split('/').next().unwrap_or(rest);
    if hostport.contains('@') {
        return Err(bad(
            "put the login in AP_NZBGET_USER and AP_NZBGET_PASSWORD, not in the address".into(),
        ));
    }
    let hostport = if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:6789")
    };
    let body = format!(
        "{{\"method\":\"append\",\"params\":[{},\"{}\",\"\",0,false,false,\"\",0,\"SCORE\",[{{\"*Unpack:Password\":{}}}]],\"id\":1}}",
        json_string(&format!("{name}.nzb")),
        base64(nzb.as_bytes()),
        json_string(password)
    );
    let auth = match &api.password {
        Some(p) => format!(
            "Authorization: Basic {}\r\n",
            base64(format!("{}:{p}", api.user).as_bytes())
        ),
        None => String::new(),
    };
    let request = format!(
        "POST /jsonrpc HTTP/1.0\r\nHost: {hostport}\r\nContent-Type: application/json\r\n{auth}Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let addr = hostport
        .to_socket_addrs()
        .map_err(|e| bad(e.to_string()))?
        .next()
        .ok_or_else(|| bad("the host has no address".into()))?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .map_err(|e| bad(format!("cannot connect: {e}")))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| bad(e.to_string()))?;
    stream
        .write_all(request.as_bytes())
        .map_err(|e| bad(e.to_string()))?;
    let mut reply = String::new();
    stream
        .read_to_string(&mut reply)
        .map_err(|e| bad(e.to_string()))?;
    let status = reply.split_whitespace().nth(1).unwrap_or("");
    if status == "401" {
        return Err(bad(
            "NZBGet refused the login: set AP_NZBGET_USER and AP_NZBGET_PASSWORD to its ControlUsername and ControlPassword".into(),
        ));
    }
    if status != "200" {
        let line = reply.lines().next().unwrap_or("no reply");
        return Err(bad(format!("NZBGet answered {line}")));
    }
    let json = reply.split("\r\n\r\n").nth(1).unwrap_or("");
    let value: serde_json::Value =
        serde_json::from_str(json).map_err(|e| bad(format!("unreadable reply: {e}")))?;
    match value.get("result").and_then(serde_json::Value::as_i64) {
        Some(id) if id > 0 => Ok(id),
        _ => Err(bad(format!(
            "NZBGet did not queue the NZB: {}",
            value.get("error").unwrap_or(&value)
        ))),
    }
}

fn json_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ABC[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (plain, coded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(super::base64(plain.as_bytes()), coded);
        }
    }
}
