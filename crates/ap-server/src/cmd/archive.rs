//! `ap-server archive`: pack a directory into encrypted 7z volumes on disk.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use anyhow::{Context, Result, bail};
use ap_archive::{DirSink, Method, Password, WriteOptions, parse_size, scan, write_archive};
use ap_server::cli::ArchiveArgs;

pub fn run(args: &ArchiveArgs) -> Result<()> {
    let method: Method = args.method.parse()?;
    let volume_size = parse_size(&args.volume_size).context("--volume-size")?;
    let name = match &args.name {
        Some(n) => n.clone(),
        None => {
            let canonical =
                fs::canonicalize(&args.dir).with_context(|| format!("{}", args.dir.display()))?;
            match canonical.file_name().and_then(|n| n.to_str()) {
                Some(n) => n.to_string(),
                None => bail!("{} has no usable name: pass --name", args.dir.display()),
            }
        }
    };
    // Walk (and preflight) before creating anything.
    let tree = scan(&args.dir)?;
    for warning in &tree.warnings {
        eprintln!("ap-server: warning: {warning}");
    }
    fs::create_dir_all(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let password = match &args.password_file {
        Some(path) => {
            let text = fs::read_to_string(path)
                .with_context(|| format!("reading the password file {}", path.display()))?;
            Password::from_file_contents(&text)
                .with_context(|| format!("password file {}", path.display()))?
        }
        None => {
            let password = Password::random()?;
            let path = args.out.join("password");
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
                .with_context(|| format!("writing the new password to {}", path.display()))?;
            writeln!(f, "{}", password.expose())?;
            eprintln!("ap-server: generated a password in {}", path.display());
            password
        }
    };
    let options = WriteOptions {
        method,
        level: args.level,
        threads: args.threads,
        volume_size,
        ..WriteOptions::default()
    };
    let (sink, summary) = write_archive(&tree, &password, &options, DirSink::new(&args.out, &name))
        .with_context(|| format!("archiving {}", args.dir.display()))?;
    for path in sink.paths() {
        println!("{}", path.display());
    }
    eprintln!(
        "ap-server: {} entries, {} bytes of data in {} bytes ({} volume(s); {} file(s) compressed, {} stored)",
        tree.entries.len(),
        summary.data_len,
        summary.archive_len,
        summary.volumes.len(),
        summary.compressed_files,
        summary.stored_files
    );
    Ok(())
}
