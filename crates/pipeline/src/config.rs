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
//! rate_limit = "40M"                    # bytes per second, all connections
//! check_delay = "30s"                   # post to STAT: 500ms, 5s, 2m, ...
//! [[servers]]
//! url = "nntps://me@news.example.com"   # nntp://, nntps:// or nntp+starttls://
//! connections = 8
//! password = "..."                      # or AP_NNTP_PASSWORD
//! [check_server]                        # STAT on another provider
//! url = "nntps://me@reader.example.net"
//! connections = 2
//! password = "..."                      # or AP_NNTP_CHECK_PASSWORD
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

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
    /// Article size, as text (`700K`).
    pub article_size: Option<String>,
    /// Upload limit in bytes per second, as text (`40M`).
    pub rate_limit: Option<String>,
    /// Time from post to STAT, as text (`30s`).
    pub check_delay: Option<String>,
    /// Address of a server to STAT on instead of the posting ones.
    pub check_server: Option<String>,
}

/// The environment variable holding the news server password.
pub const PASSWORD_ENV: &str = "AP_NNTP_PASSWORD";

/// The environment variable holding the check server's password. The
/// posting server's password is never sent to the check server, which may
/// be another provider.
pub const CHECK_PASSWORD_ENV: &str = "AP_NNTP_CHECK_PASSWORD";

/// Check connections to a check server when the file does not say.
const DEFAULT_CHECK_CONNECTIONS: usize = 2;

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
    /// Upload limit in bytes per second over all connections (`40M`).
    pub rate_limit: Option<String>,
    /// Time from an article's post to its STAT check (`30s`).
    pub check_delay: Option<String>,
    /// A server to STAT on instead of the posting ones.
    pub check_server: Option<ServerEntry>,
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
            article_size: match (&settings.article_size, self.article_size) {
                (Some(text), _) => parse_article_size(text)?,
                (None, Some(n)) => parse_article_size(&n.to_string())?,
                (None, None) => defaults.article_size,
            },
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
            rate_limit: (settings.rate_limit.as_deref())
                .or(self.rate_limit.as_deref())
                .map(parse_rate)
                .transpose()?,
            check_delay: (settings.check_delay.as_deref())
                .or(self.check_delay.as_deref())
                .map_or(Ok(defaults.check_delay), parse_duration)?,
            check_server: self.check_server(settings.check_server.as_deref())?,
            work_dir,
            journal_dir: Some(data_dir.join("journal")),
            ..defaults
        })
    }

    /// The server the post check asks: `flag` (a `--check-server` address)
    /// when given, else the file's `[check_server]`, else none (the posting
    /// servers). Its password comes from [`CHECK_PASSWORD_ENV`], else from
    /// the file's entry for that address.
    fn check_server(&self, flag: Option<&str>) -> Result<Option<ServerConfig>> {
        let entry = match flag {
            Some(url) => self
                .check_server
                .iter()
                .chain(&self.servers)
                .find(|e| e.url == url),
            None => self.check_server.as_ref(),
        };
        let Some(url) = flag.or(entry.map(|e| e.url.as_str())) else {
            return Ok(None);
        };
        let connections = entry
            .and_then(|e| e.connections)
            .unwrap_or(DEFAULT_CHECK_CONNECTIONS)
            .max(1);
        let mut s = ServerConfig::parse(url)?.connections(connections);
        let pass = std::env::var(CHECK_PASSWORD_ENV)
            .ok()
            .filter(|p| !p.is_empty())
            .or(entry.and_then(|e| e.password.clone()));
        s.password = pass.map(Password::new);
        s.ca_file = entry.and_then(|e| e.ca_file.clone());
        Ok(Some(s))
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

/// Smallest and largest article size accepted.
const ARTICLE_SIZES: std::ops::RangeInclusive<u64> = 1024..=(16 << 20);

/// An article size: in range, and a multiple of 4 so that PAR2 slices (a
/// whole number of articles, PAR2 wants multiples of 4) end where articles
/// do and a lost article costs whole slices only.
fn parse_article_size(text: &str) -> Result<u32> {
    match ap_archive::parse_size(text) {
        Ok(n) if ARTICLE_SIZES.contains(&n) && n % 4 == 0 => Ok(n as u32),
        _ => Err(Error::Setting(format!(
            "article size {text:?} is not usable: give a multiple of 4 bytes from 1K to 16M, such as 700K (716800, the usual size)"
        ))),
    }
}

/// An upload limit: a size per second (`40M` is 40 MiB/s), not zero.
fn parse_rate(text: &str) -> Result<u64> {
    match ap_archive::parse_size(text.strip_suffix("/s").unwrap_or(text)) {
        Ok(0) | Err(_) => Err(Error::Setting(format!(
            "rate limit {text:?} is not a size per second: use e.g. 40M (40 MiB/s) or a number of bytes"
        ))),
        Ok(n) => Ok(n),
    }
}

/// A duration: a number with `ms`, `s`, `m` or `h`, or a number of seconds
/// (`500ms`, `30s`, `1.5m`, `2`).
fn parse_duration(text: &str) -> Result<Duration> {
    let t = text.trim();
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let scale = match unit.trim() {
        "ms" => 0.001,
        "" | "s" => 1.0,
        "m" | "min" => 60.0,
        "h" => 3600.0,
        _ => f64::NAN,
    };
    number
        .parse::<f64>()
        .ok()
        .map(|n| n * scale)
        .filter(|secs| secs.is_finite() && *secs <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            Error::Setting(format!(
                "duration {text:?} is not understood: use e.g. 500ms, 30s, 2m or 1h (at most 24h)"
            ))
        })
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
    fn rate_limit_check_delay_and_check_server_come_from_flags_over_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.toml");
        std::fs::write(
            &path,
            format!(
                "data_dir = {:?}\nrate_limit = \"40M\"\ncheck_delay = \"30s\"\n\
                 [[servers]]\nurl = \"nntps://me@news.example.com\"\npassword = \"post-pw\"\n\
                 [check_server]\nurl = \"nntps://me@reader.example.net\"\nconnections = 3\n\
                 password = \"check-pw\"\nca_file = \"/etc/ca.pem\"\n",
                dir.path()
            ),
        )
        .unwrap();
        let c = Config::load(&path).unwrap();
        assert!(!format!("{c:?}").contains("check-pw"));
        let o = c.post_options(&PostSettings::default()).unwrap();
        assert_eq!(o.rate_limit, Some(40 << 20));
        assert_eq!(o.check_delay, Duration::from_secs(30));
        let check = o.check_server.expect("the file's check server");
        assert_eq!(
            (check.host.as_str(), check.port),
            ("reader.example.net", 563)
        );
        assert_eq!(check.connections, 3);
        assert_eq!(check.ca_file, Some(PathBuf::from("/etc/ca.pem")));
        assert!(check.password.is_some());

        let flags = PostSettings {
            rate_limit: Some("500k".into()),
            check_delay: Some("1.5m".into()),
            check_server: Some("nntp://127.0.0.1:1119".into()),
            ..PostSettings::default()
        };
        let o = c.post_options(&flags).unwrap();
        assert_eq!(o.rate_limit, Some(500 << 10));
        assert_eq!(o.check_delay, Duration::from_secs(90));
        let check = o.check_server.expect("the flag's check server");
        assert_eq!((check.port, check.connections), (1119, 2));
        // Another address than the file's check server: no password of the
        // file goes to it.
        assert!(check.password.is_none() || std::env::var_os(CHECK_PASSWORD_ENV).is_some());

        // Without any: no limit, the default delay, the posting servers.
        let o = Config::default().post_options(&PostSettings::default());
        let o = o.unwrap();
        assert_eq!(o.rate_limit, None);
        assert_eq!(o.check_delay, PostOptions::default().check_delay);
        assert!(o.check_server.is_none());
    }

    #[test]
    fn bad_rates_and_durations_name_the_value_and_the_fix() {
        for (text, want) in [
            ("500ms", 0.5),
            ("30s", 30.0),
            ("2m", 120.0),
            ("1h", 3600.0),
            ("7", 7.0),
        ] {
            assert_eq!(
                parse_duration(text).unwrap(),
                Duration::from_secs_f64(want),
                "{text}"
            );
        }
        // Each refusal quotes the value and shows one that works.
        fn refuses<T: std::fmt::Debug>(parse: fn(&str) -> Result<T>, bad: &[&str], fix: &str) {
            for bad in bad {
                let e = parse(bad).unwrap_err().to_string();
                assert!(
                    e.contains(&format!("{bad:?}")) && e.contains(fix),
                    "{bad}: {e}"
                );
            }
        }
        refuses(
            parse_duration,
            &["", "-5s", "5 days", "soon", "25h", "1e9"],
            "30s",
        );
        assert_eq!(parse_rate("40M/s").unwrap(), 40 << 20);
        assert_eq!(parse_article_size("700K").unwrap(), 716_800);
        refuses(parse_article_size, &["700001", "512", "17M", "big"], "700K");
        refuses(parse_rate, &["0", "fast", "-1M"], "40M");
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
