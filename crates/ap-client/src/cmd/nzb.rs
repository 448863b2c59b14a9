use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use ap_client::cli::NzbArgs;
use ap_secret_codec::recipients::Identities;

use crate::packaged;

pub fn run(args: &NzbArgs) -> anyhow::Result<()> {
    let secret = super::secret::read_secret(&args.source)?;
    let mut identities: Identities = Vec::new();
    for path in &args.identities {
        identities.extend(ap_secret_codec::read_identity_file(path)?);
    }
    if let Some(path) = default_identity().filter(|p| p.is_file()) {
        identities.extend(ap_secret_codec::read_identity_file(&path)?);
    }
    identities.push(Box::new(packaged::identity()?));
    let descriptor = ap_secret_codec::open(&secret, &identities)?;
    let xml = ap_secret_codec::to_nzb(&descriptor).to_xml()?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, xml).with_context(|| format!("cannot write {}", path.display()))
        }
        None => std::io::stdout()
            .write_all(xml.as_bytes())
            .context("cannot write to standard output"),
    }
}

/// `$XDG_CONFIG_HOME/ap/identity.txt`, or `~/.config/ap/identity.txt`.
pub fn default_identity() -> Option<PathBuf> {
    let config = std::env::var_os("XDG_CONFIG_HOME")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
    Some(config.join("ap").join("identity.txt"))
}
