//! The log's public key (what followers are given) and the owner's signing
//! key file (what never leaves the data directory).

use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use hypercore::{SigningKey, VerifyingKey};

use crate::Error;
use crate::record::hex;

/// First line of a signing key file.
const KEY_FILE_HEADER: &str = "ap-hyperlog-signing-key 1";

/// A log's ed25519 public key: the name followers replicate by. Shown and
/// parsed as 64 hex digits, as JavaScript Hypercore's `core.key.toString('hex')`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(pub [u8; 32]);

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex(&self.0))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let s = s.trim();
        let bad = || Error::BadPublicKey {
            why: format!(
                "expected 64 hex digits (as `ap-server ledger publish` prints), got {} characters",
                s.len()
            ),
        };
        if s.len() != 64 {
            return Err(bad());
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(s.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16)
                .map_err(|_| bad())?;
        }
        VerifyingKey::from_bytes(&key).map_err(|_| Error::BadPublicKey {
            why: "64 hex digits, but not an ed25519 public key".into(),
        })?;
        Ok(Self(key))
    }
}

impl PublicKey {
    pub(crate) fn verifying(&self) -> Result<VerifyingKey, Error> {
        VerifyingKey::from_bytes(&self.0).map_err(|_| Error::BadPublicKey {
            why: "not an ed25519 public key".into(),
        })
    }
}

impl From<VerifyingKey> for PublicKey {
    fn from(k: VerifyingKey) -> Self {
        Self(k.to_bytes())
    }
}

/// The owner's ed25519 signing key, read from (or created in) a file of
/// mode 0600 outside the log folder: the log can be copied, backed up and
/// served without ever carrying the key that extends it.
pub struct Signer {
    pub(crate) key: SigningKey,
    pub(crate) path: PathBuf,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("path", &self.path)
            .field("public", &self.public())
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// Reads the key at `path`, or makes a new one there (mode 0600) when
    /// the file does not exist. Refuses a file that others can read.
    pub fn load_or_create(path: &Path) -> Result<Self, Error> {
        if path.exists() {
            return Self::load(path);
        }
        let mut seed = [0u8; 32];
        getrandom::getrandom(&mut seed).map_err(|e| Error::Io {
            context: "cannot get random bytes for a signing key".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| Error::io(format!("cannot create {}", parent.display()), e))?;
        }
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options
            .open(path)
            .map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
        let text = format!("{KEY_FILE_HEADER}\n{}\n", hex(&seed));
        file.write_all(text.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))?;
        Ok(Self {
            key: SigningKey::from_bytes(&seed),
            path: path.to_owned(),
        })
    }

    /// Reads an existing key file.
    pub fn load(path: &Path) -> Result<Self, Error> {
        let bad = |why: &str| Error::BadKeyFile {
            path: path.to_owned(),
            why: why.into(),
        };
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let meta = std::fs::metadata(path)
                .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
            let mode = meta.permissions().mode() & 0o777;
            if mode & 0o077 != 0 {
                return Err(Error::KeyPermissions {
                    path: path.to_owned(),
                    mode,
                });
            }
        }
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        let mut lines = text.lines();
        if lines.next() != Some(KEY_FILE_HEADER) {
            return Err(bad("its first line is not `ap-hyperlog-signing-key 1`"));
        }
        let digits = lines.next().unwrap_or_default().trim();
        // Parsing as a public key would check the curve; a seed is any 32 bytes.
        if digits.len() != 64 || !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad("its second line is not 64 hex digits"));
        }
        let mut seed = [0u8; 32];
        for (i, byte) in seed.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&digits[2 * i..2 * i + 2], 16)
                .map_err(|_| bad("its second line is not 64 hex digits"))?;
        }
        Ok(Self {
            key: SigningKey::from_bytes(&seed),
            path: path.to_owned(),
        })
    }

    /// The public key that followers need.
    pub fn public(&self) -> PublicKey {
        self.key.verifying_key().into()
    }

    /// Where the key is kept.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_private_and_reloads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/log.key");
        let a = Signer::load_or_create(&path).unwrap();
        let b = Signer::load_or_create(&path).unwrap();
        assert_eq!(a.public(), b.public());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = Signer::load(&path).unwrap_err().to_string();
            assert!(e.contains("chmod 600"), "{e}");
        }
        // Debug shows the public key and never the seed.
        let text = std::fs::read_to_string(&path).unwrap();
        let seed = text.lines().nth(1).unwrap();
        assert!(!format!("{a:?}").contains(seed));
    }

    #[test]
    fn public_key_parses_and_refuses() {
        let s = Signer::load_or_create(&tempfile::tempdir().unwrap().path().join("k")).unwrap();
        let shown = s.public().to_string();
        assert_eq!(shown.parse::<PublicKey>().unwrap(), s.public());
        let e = "abc".parse::<PublicKey>().unwrap_err().to_string();
        assert!(e.contains("64 hex digits"), "{e}");
        let e = "zz"
            .repeat(32)
            .parse::<PublicKey>()
            .unwrap_err()
            .to_string();
        assert!(e.contains("64 hex digits"), "{e}");
    }
}
