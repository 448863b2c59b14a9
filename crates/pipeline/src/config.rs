//! The user's settings: `$XDG_CONFIG_HOME/ap/config.toml` (servers with
//! connections and TLS, groups, recipients, article size, redundancy, data
//! directory), where the data directory is, and which news server a job
//! uses. Passwords come from `AP_NNTP_PASSWORD` or this file, never from
//! arguments.
//!
//! ```toml
//! data_dir = "/srv/ap"
//! groups = ["alt.binaries.test"]
//! recipients = ["age1..."]
//! redundancy = 10
//! [[servers]]
//! url = "nntps://me@news.example.com"   # nntp://, nntps:// or nntp+starttls://
//! connections = 8
//! password = "..."                      # or AP_NNTP_PASSWORD
//! ```

use std::path::{Path, PathBuf};

use ap_nntp_post::{Password, ServerConfig};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::post::PostOptions;
use crate::target::Target;

/// What a command line may set for a post job; what it leaves unset comes
/// from the configuration file, then from [`PostOptions::default`].
#[derive(Debug, Clone, Default)]
pub struct PostSettings {
    pub title: Option<String>,
    pub groups: Vec<String>,
    pub redundancy: Option<f64>,
    /// Sizes as text (`700M`, `20G`, bytes).
    pub volume_size: Option<String>,
    pub split_above: Option<String>,
    pub part_size: Option<String>,
    pub method: Option<ap_archive::Method>,
}

/// The environment variable holding the news server password.
pub const PASSWORD_ENV: &str = "AP_NNTP_PASSWORD";

/// Connections per server when neither the flag nor the file says.
pub const DEFAULT_CONNECTIONS: usize = 4;

/// Contents of `config.toml`; every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub data_dir: Option<PathBuf>,
    #[serde(default)]
    pub servers: Vec<ServerEntry>,
    /// Connections per server unless the server says otherwise.
    pub connections: Option<usize>,
    #[serde(default)]
    pub groups: Vec<String>,
    /// Recipients every post is sealed to (age or SSH public keys).
    #[serde(default)]
    pub recipients: Vec<String>,
    #[serde(default)]
    pub recipients_files: Vec<PathBuf>,
    pub article_size: Option<u32>,
    /// Percent of PAR2 recovery per volume.
    pub redundancy: Option<f64>,
    /// Volume size such as `1G` (each volume has its own PAR2 set).
    pub volume_size: Option<String>,
    /// Sets with more data than this (such as `200G`) are split into parts.
    pub split_above: Option<String>,
    /// Data per part of a split set, such as `20G`.
    pub part_size: Option<String>,
    /// Domain of Message-IDs and From; random per set when absent.
    pub domain: Option<String>,
}

/// One `[[servers]]` table.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerEntry {
    /// `nntp://[user@]host[:port]`, `nntps://...` or `nntp+starttls://...`.
    pub url: String,
    pub connections: Option<usize>,
    pub password: Option<String>,
    /// Extra trust anchors (PEM) for a private server.
    pub ca_file: Option<PathBuf>,
}

impl std::fmt::Debug for ServerEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerEntry")
            .field("url", &self.url)
            .field("connections", &self.connections)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("ca_file", &self.ca_file)
            .finish()
    }
}

fn env_dir(var: &str, home_rel: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(home_rel)))
}

/// `$XDG_CONFIG_HOME/ap/config.toml` (or `~/.config/ap/config.toml`).
pub fn config_path() -> Option<PathBuf> {
    Some(
        env_dir("XDG_CONFIG_HOME", ".config")?
            .join("ap")
            .join("config.toml"),
    )
}

impl Config {
    /// Reads the file; a missing file is an empty configuration.
    pub fn load(path: &Path) -> Result<Config> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Config::default()),
            Err(e) => return Err(Error::io(path.display(), e)),
        };
        toml::from_str(&text).map_err(|e| Error::Config {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })
    }

    /// Reads the default file, if there is one.
    pub fn load_default() -> Result<Config> {
        match config_path() {
            Some(p) => Config::load(&p),
            None => Ok(Config::default()),
        }
    }

    /// The data directory: the file's `data_dir`, else `$XDG_DATA_HOME/ap`
    /// (or `~/.local/share/ap`).
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .or_else(|| env_dir("XDG_DATA_HOME", ".local/share").map(|d| d.join("ap")))
            .unwrap_or_else(|| PathBuf::from(".ap"))
    }

    /// The options of a post job: `settings` over this file over the
    /// defaults, staging under DATA_DIR/work (created here) and the resume
    /// journal under DATA_DIR/journal.
    pub fn post_options(&self, settings: &PostSettings) -> Result<PostOptions> {
        let defaults = PostOptions::default();
        let size = |flag: &Option<String>, file: &Option<String>, default: u64| {
            flag.as_deref()
                .or(file.as_deref())
                .map_or(Ok(default), ap_archive::parse_size)
        };
        let groups = [&settings.groups, &self.groups]
            .into_iter()
            .find(|g| !g.is_empty())
            .cloned()
            .unwrap_or(defaults.groups.clone());
        let data_dir = self.data_dir();
        let work_dir = data_dir.join("work");
        std::fs::create_dir_all(&work_dir).map_err(|e| Error::io(work_dir.display(), e))?;
        Ok(PostOptions {
            title: settings.title.clone().unwrap_or_default(),
            groups,
            domain: self.domain.clone(),
            article_size: self.article_size.unwrap_or(defaults.article_size),
            redundancy: settings
                .redundancy
                .or(self.redundancy)
                .unwrap_or(defaults.redundancy),
            volume_size: size(
                &settings.volume_size,
                &self.volume_size,
                defaults.volume_size,
            )?,
            split_above: size(
                &settings.split_above,
                &self.split_above,
                defaults.split_above,
            )?,
            part_size: size(&settings.part_size, &self.part_size, defaults.part_size)?,
            method: settings.method.unwrap_or(defaults.method),
            work_dir,
            journal_dir: Some(data_dir.join("journal")),
            ..defaults
        })
    }

    /// Where the embedded news spool keeps its articles.
    pub fn spool_dir(&self) -> PathBuf {
        self.data_dir().join("spool")
    }

    /// The news servers of a job: `server` (a `--server` address) when
    /// given, else the file's servers, else the embedded spool. `connections`
    /// overrides every server's count.
    pub fn target(&self, server: Option<&str>, connections: Option<usize>) -> Result<Target> {
        let env_password = std::env::var(PASSWORD_ENV).ok().filter(|p| !p.is_empty());
        let per_server = |own: Option<usize>| {
            connections
                .or(own)
                .or(self.connections)
                .unwrap_or(DEFAULT_CONNECTIONS)
                .max(1)
        };
        let mut servers = Vec::new();
        if let Some(url) = server {
            // A server named on the command line takes the password of the
            // same address in the file, if any.
            let entry = self.servers.iter().find(|e| e.url == url);
            let mut s = ServerConfig::parse(url)?
                .connections(per_server(entry.and_then(|e| e.connections)));
            let pass = env_password
                .clone()
                .or(entry.and_then(|e| e.password.clone()));
            s.password = pass.map(Password::new);
            s.ca_file = entry.and_then(|e| e.ca_file.clone());
            servers.push(s);
        } else {
            for e in &self.servers {
                let mut s = ServerConfig::parse(&e.url)?.connections(per_server(e.connections));
                let pass = e.password.clone().or(env_password.clone());
                s.password = pass.map(Password::new);
                s.ca_file = e.ca_file.clone();
                servers.push(s);
            }
        }
        if servers.is_empty() {
            return Ok(Target::Spool {
                dir: self.spool_dir(),
                connections: per_server(None),
            });
        }
        Ok(Target::Servers(servers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_file_and_picks_targets() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            "data_dir = \"/tmp/apdata\"\ngroups = [\"a.b.c\"]\nredundancy = 5\n\
             [[servers]]\nurl = \"nntps://me@news.example.com\"\nconnections = 8\npassword = \"pw\"\n",
        )
        .unwrap();
        let c = Config::load(&path).unwrap();
        assert_eq!(c.data_dir(), PathBuf::from("/tmp/apdata"));
        assert_eq!(c.spool_dir(), PathBuf::from("/tmp/apdata/spool"));
        assert!(!format!("{c:?}").contains("pw\""));
        match c.target(None, None).unwrap() {
            Target::Servers(s) => {
                assert_eq!(s[0].host, "news.example.com");
                assert_eq!(s[0].port, 563);
                assert_eq!(s[0].connections, 8);
                assert!(s[0].password.is_some());
            }
            other => panic!("expected servers, got {other:?}"),
        }
        match c.target(Some("nntp://127.0.0.1:1119"), Some(2)).unwrap() {
            Target::Servers(s) => assert_eq!((s[0].port, s[0].connections), (1119, 2)),
            other => panic!("expected servers, got {other:?}"),
        }
        match Config::default().target(None, Some(3)).unwrap() {
            Target::Spool { connections, .. } => assert_eq!(connections, 3),
            other => panic!("expected the spool, got {other:?}"),
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(&path, "servr = 1\n").unwrap();
        let e = Config::load(&path).unwrap_err().to_string();
        assert!(e.contains("servr"), "{e}");
        assert!(Config::load(&dir.path().join("none.toml")).is_ok());
    }
}
