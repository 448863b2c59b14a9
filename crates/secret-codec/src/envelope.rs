//! The age envelope. Sealing writes the age v1 format directly from age's
//! recipient stanzas, because the `age` crate's encryptor adds a random
//! "grease" stanza of up to ~150 bytes to every file, which would make the
//! secret string long and its length unpredictable. The result is plain age
//! (the age CLI and the `age` crate open it); opening goes through the `age`
//! crate's decryptor.

use std::io::Read;

use age_core::format::FileKey;
use age_core::primitives::hkdf;
use age_core::secrecy::ExposeSecret;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Error;

const CHUNK: usize = 64 * 1024;

/// Encrypts `plaintext` to `recipients` as an age v1 file.
pub fn seal(
    plaintext: &[u8],
    recipients: &[Box<dyn age::Recipient + Send>],
) -> Result<Vec<u8>, Error> {
    if recipients.is_empty() {
        return Err(Error::NoRecipients);
    }
    let file_key = FileKey::try_init_with_mut(|k| getrandom::getrandom(k))
        .map_err(|e| Error::Envelope(format!("no randomness: {e}")))?;
    let mut header = String::from("age-encryption.org/v1\n");
    for r in recipients {
        let (stanzas, _labels) = r.wrap_file_key(&file_key).map_err(|e| Error::Recipient {
            what: "in the list".into(),
            reason: e.to_string(),
        })?;
        for s in &stanzas {
            crate::pack::write_stanza(&mut header, &crate::pack::from_age(s));
        }
    }
    header.push_str("---");
    let mac_key = hkdf(&[], b"header", file_key.expose_secret());
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&mac_key)
        .map_err(|_| Error::Envelope("HMAC key".into()))?;
    mac.update(header.as_bytes());
    header.push(' ');
    header.push_str(&crate::b64::encode(&mac.finalize().into_bytes()));
    header.push('\n');

    let mut nonce = [0u8; 16];
    getrandom::getrandom(&mut nonce).map_err(|e| Error::Envelope(format!("no randomness: {e}")))?;
    let payload_key = hkdf(&nonce, b"payload", file_key.expose_secret());
    let aead = ChaCha20Poly1305::new(&payload_key.into());
    let mut out = header.into_bytes();
    out.extend_from_slice(&nonce);
    let chunks: Vec<&[u8]> = if plaintext.is_empty() {
        vec![&[][..]]
    } else {
        plaintext.chunks(CHUNK).collect()
    };
    for (i, chunk) in chunks.iter().enumerate() {
        let mut n = [0u8; 12];
        n[3..11].copy_from_slice(&(i as u64).to_be_bytes());
        n[11] = u8::from(i + 1 == chunks.len());
        let sealed = aead
            .encrypt(Nonce::from_slice(&n), *chunk)
            .map_err(|_| Error::Envelope("ChaCha20-Poly1305 failed".into()))?;
        out.extend_from_slice(&sealed);
    }
    Ok(out)
}

/// Decrypts an age file with the first identity that opens it.
pub fn open(
    age_file: &[u8],
    identities: &[Box<dyn age::Identity + Send + Sync>],
) -> Result<Vec<u8>, Error> {
    let decryptor = age::Decryptor::new(age_file).map_err(|e| Error::Envelope(e.to_string()))?;
    let mut reader = decryptor
        .decrypt(identities.iter().map(|i| i.as_ref() as &dyn age::Identity))
        .map_err(|e| match e {
            age::DecryptError::NoMatchingKeys => Error::NoMatchingIdentity,
            other => Error::Envelope(other.to_string()),
        })?;
    let mut out = Vec::new();
    reader
        .read_to_end(&mut out)
        .map_err(|e| Error::Envelope(e.to_string()))?;
    Ok(out)
}
