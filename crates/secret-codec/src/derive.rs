//! Everything a set shows the world is derived from its key K, so the
//! descriptor stays small and nobody without K can link the articles to each
//! other. Labels and layouts are specified in docs/FORMAT.md ("Derivations").

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// HKDF-Extract salt: binds every derivation to this format.
pub const SALT: &[u8] = b"ap/v1 set key";
pub const LABEL_PASSWORD: &str = "ap/v1 archive-password";
pub const LABEL_ARCHIVE_IV: &str = "ap/v1 archive-iv";
pub const LABEL_MESSAGE_ID: &str = "ap/v1 message-id";
pub const LABEL_FILE_NAME: &str = "ap/v1 file-name";
pub const LABEL_SUBJECT: &str = "ap/v1 subject";
pub const LABEL_FROM: &str = "ap/v1 from";

/// The 32-byte random key of one set. Its Debug output is redacted.
#[derive(Clone, PartialEq, Eq)]
pub struct SetKey([u8; 32]);

impl std::fmt::Debug for SetKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SetKey(<redacted>)")
    }
}

impl SetKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<SetKey, crate::Error> {
        let mut k = [0u8; 32];
        getrandom::getrandom(&mut k)
            .map_err(|e| crate::Error::Envelope(format!("no randomness: {e}")))?;
        Ok(SetKey(k))
    }

    pub fn from_bytes(bytes: [u8; 32]) -> SetKey {
        SetKey(bytes)
    }

    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn hkdf(&self) -> Hkdf<Sha256> {
        Hkdf::<Sha256>::new(Some(SALT), &self.0)
    }

    /// HKDF-Expand of the key under `label`, `N` bytes.
    fn expand<const N: usize>(&self, label: &str) -> [u8; N] {
        let mut out = [0u8; N];
        // N is at most 32 here, far below HKDF-SHA256's 8160-byte limit.
        if self.hkdf().expand(label.as_bytes(), &mut out).is_err() {
            unreachable!("HKDF output of {N} bytes is within limits");
        }
        out
    }

    /// HMAC-SHA256 under the subkey of `label`, over `msg`.
    fn mac(&self, label: &str, msg: &[u8]) -> [u8; 32] {
        let subkey: [u8; 32] = self.expand(label);
        let mut mac = match <Hmac<Sha256> as Mac>::new_from_slice(&subkey) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        mac.update(msg);
        mac.finalize().into_bytes().into()
    }

    /// The 7z password: 32 lowercase base32 characters (160 bits).
    pub fn archive_password(&self) -> String {
        base32(&self.expand::<20>(LABEL_PASSWORD))
    }

    /// 16 bytes for the archive's AES IV, so a copy-mode header can be
    /// computed before the first byte is written.
    pub fn archive_iv(&self) -> [u8; 16] {
        self.expand(LABEL_ARCHIVE_IV)
    }

    /// The Message-ID of an article, without angle brackets: 24 base32
    /// characters `@domain`, like the random ids ordinary posters use.
    pub fn message_id(&self, file: u32, part: u32, attempt: u32, domain: &str) -> String {
        let mut msg = [0u8; 12];
        msg[..4].copy_from_slice(&file.to_be_bytes());
        msg[4..8].copy_from_slice(&part.to_be_bytes());
        msg[8..].copy_from_slice(&attempt.to_be_bytes());
        format!(
            "{}@{domain}",
            base32(&self.mac(LABEL_MESSAGE_ID, &msg)[..15])
        )
    }

    /// The obfuscated name of file `file` (16 base32 characters, no
    /// extension: downloaders recover real names from the PAR2 data).
    pub fn file_name(&self, file: u32) -> String {
        base32(&self.mac(LABEL_FILE_NAME, &file.to_be_bytes())[..10])
    }

    /// The random subject of an article (32 base32 characters).
    pub fn random_subject(&self, file: u32, part: u32) -> String {
        let mut msg = [0u8; 8];
        msg[..4].copy_from_slice(&file.to_be_bytes());
        msg[4..].copy_from_slice(&part.to_be_bytes());
        base32(&self.mac(LABEL_SUBJECT, &msg)[..20])
    }

    /// The From header: `NAME <NAME@domain>` with a 16-character NAME.
    pub fn from_header(&self, domain: &str) -> String {
        let name = base32(&self.expand::<10>(LABEL_FROM));
        format!("{name} <{name}@{domain}>")
    }
}

/// RFC 4648 base32, lowercase, no padding.
pub(crate) fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::with_capacity(bytes.len() * 8 / 5 + 1);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &b in bytes {
        acc = (acc << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((acc >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((acc << (5 - bits)) & 31) as usize]));
    }
    out
}
