use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

use age::secrecy::ExposeSecret;
use anyhow::Context;
use ap_client::cli::KeygenArgs;

pub fn run(args: &KeygenArgs) -> anyhow::Result<()> {
    let path = match &args.output {
        Some(p) => p.clone(),
        None => super::nzb::default_identity()
            .context("neither XDG_CONFIG_HOME nor HOME is set; pass -o FILE")?,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let identity = age::x25519::Identity::generate();
    let recipient = identity.to_public().to_string();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .with_context(|| {
            format!(
                "cannot create {} (an existing identity is never overwritten)",
                path.display()
            )
        })?;
    let text = format!(
        "# public key: {recipient}\n{}\n",
        identity.to_string().expose_secret()
    );
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .with_context(|| format!("cannot write {}", path.display()))?;
    eprintln!(
        "ap-client: wrote the identity to {}; its recipient:",
        path.display()
    );
    println!("{recipient}");
    Ok(())
}
