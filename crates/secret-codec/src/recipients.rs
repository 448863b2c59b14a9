//! Who a secret is sealed to, and who can open it: age X25519 keys and SSH
//! keys (ssh-ed25519, ssh-rsa), from arguments or files in age's formats.

use std::path::Path;

use crate::Error;

/// The recipient of the key pair packaged with ap. Its identity ships inside
/// `ap-client` and is public by design: a set sealed to it (`--public`)
/// keeps its secret string meaningless to search engines and scrapers, not
/// to people, since anyone with ap-client can open it.
pub const PACKAGED_RECIPIENT: &str =
    "age12l8g0xur30ran6pgq0epj3dfxgea8q3p7m0nvsupyvfupzhaa4lsalzehx";

pub type Recipients = Vec<Box<dyn age::Recipient + Send>>;
pub type Identities = Vec<Box<dyn age::Identity + Send + Sync>>;

/// Parses one recipient: `age1...` or an SSH public key line.
pub fn parse_recipient(text: &str) -> Result<Box<dyn age::Recipient + Send>, Error> {
    let text = text.trim();
    let bad = |reason: String| Error::Recipient {
        what: shorten(text),
        reason,
    };
    if text.starts_with("age1") {
        return text
            .parse::<age::x25519::Recipient>()
            .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
            .map_err(|e| bad(e.to_string()));
    }
    if text.starts_with("ssh-") {
        return text
            .parse::<age::ssh::Recipient>()
            .map(|r| Box::new(r) as Box<dyn age::Recipient + Send>)
            .map_err(|e| bad(format!("{e:?}")));
    }
    Err(bad(
        "expected an age X25519 recipient (age1...) or an SSH public key (ssh-ed25519, ssh-rsa)"
            .into(),
    ))
}

fn shorten(text: &str) -> String {
    let short: String = text.chars().take(24).collect();
    if short.len() < text.len() {
        format!("`{short}...`")
    } else {
        format!("`{short}`")
    }
}

/// Reads a recipients file in age's format: one recipient a line, `#`
/// comments and blank lines ignored.
pub fn read_recipients_file(path: &Path) -> Result<Recipients, Error> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(parse_recipient)
        .collect()
}

/// The recipients of `ap-server post`: each `--recipient`, each line of each
/// `--recipients-file`, and the packaged key when `--public`. At least one
/// is required.
pub fn recipients_for_post(
    recipients: &[String],
    files: &[impl AsRef<Path>],
    public: bool,
) -> Result<Recipients, Error> {
    let mut out: Recipients = Vec::new();
    for r in recipients {
        out.push(parse_recipient(r)?);
    }
    for f in files {
        out.extend(read_recipients_file(f.as_ref())?);
    }
    if public {
        out.push(parse_recipient(PACKAGED_RECIPIENT)?);
    }
    if out.is_empty() {
        return Err(Error::NoRecipients);
    }
    Ok(out)
}

/// Reads identities from a file: an age identity file (`AGE-SECRET-KEY-1...`
/// lines) or an unencrypted OpenSSH private key.
pub fn read_identity_file(path: &Path) -> Result<Identities, Error> {
    let bytes = std::fs::read(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    identities_from_bytes(&bytes, &path.display().to_string())
}

/// Identities from the contents of an identity file; `name` is used in errors.
pub fn identities_from_bytes(bytes: &[u8], name: &str) -> Result<Identities, Error> {
    let bad = |reason: String| Error::Identity {
        path: name.to_owned(),
        reason,
    };
    if bytes.starts_with(b"-----BEGIN") {
        let id = age::ssh::Identity::from_buffer(bytes, Some(name.to_owned()))
            .map_err(|e| bad(e.to_string()))?;
        return match id {
            age::ssh::Identity::Unencrypted(_) => Ok(vec![Box::new(id)]),
            age::ssh::Identity::Encrypted(_) => Err(bad(
                "encrypted SSH keys are not supported yet; use an age identity (`ap-client keygen`)".into(),
            )),
            age::ssh::Identity::Unsupported(_) => Err(bad("this SSH key type is not supported (use ed25519 or RSA)".into())),
        };
    }
    let file = age::IdentityFile::from_buffer(bytes).map_err(|e| bad(e.to_string()))?;
    let ids = file.into_identities().map_err(|e| bad(e.to_string()))?;
    if ids.is_empty() {
        return Err(bad("it holds no identity".into()));
    }
    Ok(ids)
}
