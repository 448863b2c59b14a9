//! Handing a set's NZB to a downloader over its API, so the user's own
//! NZBGet or SABnzbd fetches, repairs and unpacks it. NZBGet's JSON-RPC
//! `append` takes the NZB as base64, SABnzbd's `mode=addfile` as a
//! multipart upload; the archive password travels in the NZB's
//! `<meta type="password">` and as the downloader's own password parameter
//! (`*Unpack:Password`, `password`).
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
    let hostport =
        control_address(&api.url, 6789, "AP_NZBGET_USER and AP_NZBGET_PASSWORD").map_err(bad)?;
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
    let (status, reply) = http_post(
        &hostport,
        "/jsonrpc",
        &format!("Content-Type: application/json\r\n{auth}"),
        body.as_bytes(),
    )
    .map_err(bad)?;
    if status == "401" {
        return Err(bad(
            "NZBGet refused the login: set AP_NZBGET_USER and AP_NZBGET_PASSWORD to its ControlUsername and ControlPassword".into(),
        ));
    }
    if status != "200" {
        return Err(bad(format!("NZBGet answered HTTP {status}")));
    }
    let value: serde_json::Value =
        serde_json::from_str(&reply).map_err(|e| bad(format!("unreadable reply: {e}")))?;
    match value.get("result").and_then(serde_json::Value::as_i64) {
        Some(id) if id > 0 => Ok(id),
        _ => Err(bad(format!(
            "NZBGet did not queue the NZB: {}",
            value.get("error").unwrap_or(&value)
        ))),
    }
}

/// Where SABnzbd listens and its API key.
#[derive(Clone)]
pub struct SabnzbdApi {
    /// `http://HOST:PORT` (a path, if any, is ignored: the API is `/api`).
    pub url: String,
    pub api_key: String,
}

impl std::fmt::Debug for SabnzbdApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SabnzbdApi")
            .field("url", &self.url)
            .field("api_key", &"<redacted>")
            .finish()
    }
}

/// Queues `nzb` in SABnzbd under `name` (API `mode=addfile`); returns
/// SABnzbd's job id (`SABnzbd_nzo_...`). The API key and the password go in
/// the request body, not the URL, so they stay out of access logs.
pub fn send_sabnzbd(api: &SabnzbdApi, name: &str, nzb: &str, password: &str) -> Result<String> {
    let bad = |reason: String| Error::Send {
        to: api.url.clone(),
        reason,
    };
    let hostport = control_address(&api.url, 8080, "AP_SABNZBD_API_KEY").map_err(bad)?;
    let boundary = format!(
        "ap-{}",
        crate::post::random_label(24).map_err(|e| bad(e.to_string()))?
    );
    let mut body = Vec::with_capacity(nzb.len() + 1024);
    for (field, value) in [
        ("mode", "addfile"),
        ("output", "json"),
        ("apikey", api.api_key.as_str()),
        ("nzbname", name),
        ("password", password),
    ] {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"name\"; filename={}\r\nContent-Type: application/x-nzb\r\n\r\n",
            json_string(&format!("{name}.nzb"))
        )
        .as_bytes(),
    );
    body.extend_from_slice(nzb.as_bytes());
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let (status, reply) = http_post(
        &hostport,
        "/api",
        &format!("Content-Type: multipart/form-data; boundary={boundary}\r\n"),
        &body,
    )
    .map_err(bad)?;
    // A refused key comes back as plain text (with 403), not JSON.
    if reply.contains("API Key") {
        return Err(bad(
            "SABnzbd refused the API key: set AP_SABNZBD_API_KEY to the key under Config > General"
                .into(),
        ));
    }
    if status != "200" {
        return Err(bad(format!("SABnzbd answered HTTP {status}")));
    }
    let value: serde_json::Value = serde_json::from_str(&reply)
        .map_err(|_| bad(format!("unreadable reply: {}", reply.trim())))?;
    let id = value
        .get("nzo_ids")
        .and_then(|ids| ids.get(0))
        .and_then(serde_json::Value::as_str);
    match (value.get("status").and_then(serde_json::Value::as_bool), id) {
        (Some(true), Some(id)) => Ok(id.to_owned()),
        _ => Err(bad(format!(
            "SABnzbd did not queue the NZB: {}",
            value.get("error").unwrap_or(&value)
        ))),
    }
}

/// `HOST:PORT` of a downloader's `http://` control address; a login in the
/// address is refused (it would show in process lists and shell history).
fn control_address(url: &str, default_port: u16, env: &str) -> std::result::Result<String, String> {
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| "only http:// addresses are supported".to_owned())?;
    let hostport = rest.split('/').next().unwrap_or(rest);
    if hostport.contains('@') {
        return Err(format!("put the login in {env}, not in the address"));
    }
    Ok(if hostport.contains(':') {
        hostport.to_owned()
    } else {
        format!("{hostport}:{default_port}")
    })
}

/// One HTTP/1.0 POST; returns the status code and the body of the reply.
fn http_post(
    hostport: &str,
    path: &str,
    headers: &str,
    body: &[u8],
) -> std::result::Result<(String, String), String> {
    let head = format!(
        "POST {path} HTTP/1.0\r\nHost: {hostport}\r\n{headers}Content-Length: {}\r\n\r\n",
        body.len()
    );
    let addr = hostport
        .to_socket_addrs()
        .map_err(|e| e.to_string())?
        .next()
        .ok_or_else(|| "the host has no address".to_owned())?;
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(10))
        .map_err(|e| format!("cannot connect: {e}"))?;
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .map_err(|e| e.to_string())?;
    stream
        .write_all(head.as_bytes())
        .and_then(|()| stream.write_all(body))
        .map_err(|e| e.to_string())?;
    let mut reply = Vec::new();
    stream.read_to_end(&mut reply).map_err(|e| e.to_string())?;
    let reply = String::from_utf8_lossy(&reply);
    let status = reply
        .split_whitespace()
        .nth(1)
        .unwrap_or("no reply")
        .to_owned();
    let body = reply
        .split_once("\r\n\r\n")
        .map_or("", |(_, b)| b)
        .to_owned();
    Ok((status, body))
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
