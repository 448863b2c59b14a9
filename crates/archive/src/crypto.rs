//! 7zAES: AES-256-CBC with a key stretched from the password by SHA-256,
//! exactly as 7-Zip derives it, so 7-Zip opens what we write.

use std::io::{self, Write};

use sha2::{Digest, Sha256};

use crate::cbc_kernel::CbcEncryptor;

use crate::error::{Error, Result};

/// 7-Zip's own work factor: 2^19 SHA-256 rounds per key.
pub const DEFAULT_KDF_POWER: u8 = 19;

/// An archive password. Its `Debug` never shows the secret.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    /// Wraps a password. It must not be empty: an archive without a password
    /// is not what this crate makes.
    pub fn new(secret: impl Into<String>) -> Result<Self> {
        let secret = secret.into();
        if secret.is_empty() {
            return Err(Error::InvalidOption("the password is empty".into()));
        }
        Ok(Password(secret))
    }

    /// Reads a password file: its contents up to the first line break.
    pub fn from_file_contents(text: &str) -> Result<Self> {
        Password::new(text.lines().next().unwrap_or_default())
    }

    /// A fresh random password of 32 letters and digits (about 190 bits).
    pub fn random() -> Result<Self> {
        const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        let mut out = String::with_capacity(32);
        let mut buf = [0u8; 64];
        while out.len() < 32 {
            getrandom::getrandom(&mut buf)
                .map_err(|e| Error::io("random password", io::Error::other(e.to_string())))?;
            // Rejection sampling keeps every character equally likely.
            let limit = 256 - (256 % ALPHABET.len());
            for &b in &buf {
                if (b as usize) < limit && out.len() < 32 {
                    out.push(char::from(ALPHABET[b as usize % ALPHABET.len()]));
                }
            }
        }
        Ok(Password(out))
    }

    /// The secret itself, for writing it to a protected file.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// 7-Zip hashes the password as UTF-16LE.
    fn utf16le(&self) -> Vec<u8> {
        self.0.encode_utf16().flat_map(u16::to_le_bytes).collect()
    }

    /// For sevenz-rust2's reader, which wants the same UTF-16LE bytes.
    pub(crate) fn to_reader_password(&self) -> sevenz_rust2::Password {
        sevenz_rust2::Password::from_raw(&self.utf16le())
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// The derived 256-bit key: computed once per archive (2^19 rounds take tens
/// of milliseconds) and shared by every folder, each with its own IV.
#[derive(Clone)]
pub(crate) struct Key {
    key: [u8; 32],
    power: u8,
}

impl Key {
    /// 7-Zip's derivation with no salt: SHA-256 over `2^power` repetitions of
    /// (password UTF-16LE, 64-bit little-endian counter).
    pub(crate) fn derive(password: &Password, power: u8) -> Result<Self> {
        if !(1..=24).contains(&power) {
            return Err(Error::InvalidOption(format!(
                "key stretching power {power} is outside 1..=24"
            )));
        }
        let pw = password.utf16le();
        let mut sha = Sha256::new();
        let mut buf = Vec::with_capacity(pw.len() + 8);
        for round in 0u64..(1u64 << power) {
            buf.clear();
            buf.extend_from_slice(&pw);
            buf.extend_from_slice(&round.to_le_bytes());
            sha.update(&buf);
        }
        Ok(Key {
            key: sha.finalize().into(),
            power,
        })
    }

    /// A fresh random IV for one folder.
    pub(crate) fn new_iv() -> Result<[u8; 16]> {
        let mut iv = [0u8; 16];
        getrandom::getrandom(&mut iv)
            .map_err(|e| Error::io("random IV", io::Error::other(e.to_string())))?;
        Ok(iv)
    }

    /// The IV of folder `index` (`u64::MAX`: the header) under a seed.
    pub(crate) fn derived_iv(seed: &[u8; 32], index: u64) -> [u8; 16] {
        let mut sha = Sha256::new();
        sha.update(b"ap-archive folder iv");
        sha.update(seed);
        sha.update(index.to_le_bytes());
        let digest: [u8; 32] = sha.finalize().into();
        let mut iv = [0u8; 16];
        iv.copy_from_slice(&digest[..16]);
        iv
    }

    /// The coder properties 7-Zip reads: power, "IV present", IV size 16.
    pub(crate) fn properties(&self, iv: &[u8; 16]) -> Vec<u8> {
        let mut p = Vec::with_capacity(18);
        p.push(self.power | 0x40);
        p.push(0x0F);
        p.extend_from_slice(iv);
        p
    }
}

/// Encrypts everything written through it; [`AesWriter::finish`] pads the
/// last block with zeros as 7-Zip does and reports (plain, encrypted) sizes.
pub(crate) struct AesWriter<W: Write> {
    inner: W,
    enc: CbcEncryptor,
    pending: Vec<u8>,
    buf: Vec<u8>,
    plain: u64,
}

impl<W: Write> AesWriter<W> {
    pub(crate) fn new(inner: W, key: &Key, iv: &[u8; 16]) -> Self {
        AesWriter {
            inner,
            enc: CbcEncryptor::new(&key.key, iv),
            pending: Vec::with_capacity(16),
            buf: Vec::new(),
            plain: 0,
        }
    }

    /// Encrypts whole blocks of `data` in place and writes them: the copy
    /// path's fast lane, no extra copy. `data.len()` must be a multiple of 16
    /// and nothing may be pending.
    pub(crate) fn write_blocks_in_place(&mut self, data: &mut [u8]) -> io::Result<()> {
        if !self.pending.is_empty() || !data.len().is_multiple_of(16) {
            return self.write_all(data);
        }
        self.enc.encrypt(data);
        self.plain += data.len() as u64;
        self.inner.write_all(data)
    }

    /// Pads and writes the last block; returns the inner writer, the plain
    /// size and the encrypted (packed) size.
    pub(crate) fn finish(mut self) -> io::Result<(W, u64, u64)> {
        if !self.pending.is_empty() {
            let mut block = [0u8; 16];
            block[..self.pending.len()].copy_from_slice(&self.pending);
            self.enc.encrypt(&mut block);
            self.inner.write_all(&block)?;
        }
        let packed = self.plain.div_ceil(16) * 16;
        Ok((self.inner, self.plain, packed))
    }
}

impl<W: Write> Write for AesWriter<W> {
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        let mut rest = data;
        if !self.pending.is_empty() {
            let take = (16 - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == 16 {
                let mut block = [0u8; 16];
                block.copy_from_slice(&self.pending);
                self.enc.encrypt(&mut block);
                self.inner.write_all(&block)?;
                self.pending.clear();
            }
        }
        let whole = rest.len() / 16 * 16;
        if whole > 0 {
            self.buf.clear();
            self.buf.extend_from_slice(&rest[..whole]);
            self.enc.encrypt(&mut self.buf);
            self.inner.write_all(&self.buf)?;
        }
        self.pending.extend_from_slice(&rest[whole..]);
        self.plain += data.len() as u64;
        Ok(data.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_the_secret() {
        let p = Password::new("hunter2").unwrap();
        assert!(!format!("{p:?}").contains("hunter2"));
    }

    #[test]
    fn random_passwords_differ_and_are_long() {
        let a = Password::random().unwrap();
        let b = Password::random().unwrap();
        assert_eq!(a.expose().len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn key_matches_the_reference_loop() {
        // The loop as 7-Zip writes it: update with password then counter.
        let pw = Password::new("pässword").unwrap();
        let k = Key::derive(&pw, 4).unwrap();
        let mut sha = Sha256::new();
        let utf16: Vec<u8> = "pässword"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        for i in 0u64..16 {
            sha.update(&utf16);
            sha.update(i.to_le_bytes());
        }
        let want: [u8; 32] = sha.finalize().into();
        assert_eq!(k.key, want);
    }

    #[test]
    fn split_writes_equal_one_write() {
        let key = Key::derive(&Password::new("x").unwrap(), 2).unwrap();
        let iv = [7u8; 16];
        let data: Vec<u8> = (0..1000u32).map(|i| (i * 7) as u8).collect();
        let mut a = AesWriter::new(Vec::new(), &key, &iv);
        a.write_all(&data).unwrap();
        let (a, plain, packed) = a.finish().unwrap();
        assert_eq!((plain, packed), (1000, 1008));
        let mut b = AesWriter::new(Vec::new(), &key, &iv);
        for chunk in data.chunks(37) {
            b.write_all(chunk).unwrap();
        }
        let (b, _, _) = b.finish().unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 1008);
    }
}
