//! The secret string, end to end: descriptor bytes, sealed with age, the
//! age header packed, written as text.

use crate::recipients::{Identities, Recipients};
use crate::{Descriptor, Error, envelope, pack, text};

/// A secret string. Its Debug output is redacted; read it with
/// [`SecretString::expose`] only to hand it to the user.
#[derive(Clone, PartialEq, Eq)]
pub struct SecretString(String);

impl std::fmt::Debug for SecretString {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SecretString(<{} characters>)", self.0.len())
    }
}

impl SecretString {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Seals a descriptor to recipients and writes its secret string.
pub fn seal(d: &Descriptor, recipients: &Recipients) -> Result<SecretString, Error> {
    let age = envelope::seal(&d.encode()?, recipients)?;
    Ok(SecretString(text::encode(&pack::pack(&age)?)))
}

/// The plain age file inside a secret string (no key needed).
pub fn to_age(secret: &str) -> Result<Vec<u8>, Error> {
    pack::unpack(&text::decode(secret)?)
}

/// Opens a secret string with the first identity that fits.
pub fn open(secret: &str, identities: &Identities) -> Result<Descriptor, Error> {
    Descriptor::decode(&envelope::open(&to_age(secret)?, identities)?)
}
