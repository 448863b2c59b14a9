use thiserror::Error;

/// Why a descriptor or secret string could not be made or opened. Each
/// variant displays as one line and never includes secret material.
#[derive(Debug, Error)]
pub enum Error {
    /// None of the identities tried can open the secret.
    #[error(
        "none of the identities tried opens this secret (it was sealed to other recipients); pass the right one with -i"
    )]
    NoMatchingIdentity,
    /// One character of the string is wrong; `position` counts characters
    /// from 1, the prefix included.
    #[error(
        "the secret string is damaged at position {position}; compare it with the original there"
    )]
    Damaged { position: usize },
    /// The checksum fails but no single position explains it (several
    /// characters changed, or some are missing or extra).
    #[error("the secret string is damaged ({0}); copy it again in full")]
    DamagedSomewhere(&'static str),
    /// The string or descriptor uses a format version this program predates.
    #[error(
        "the secret uses format version {found}, newer than this program understands (up to {supported}); upgrade ap"
    )]
    NewerVersion { found: u64, supported: u64 },
    /// The text does not start with the `ap` prefix at all.
    #[error(
        "this is not an ap secret string (it should start with `{}`)",
        crate::text::PREFIX
    )]
    NotASecret,
    /// A recipient could not be parsed or used.
    #[error("bad recipient {what}: {reason}")]
    Recipient { what: String, reason: String },
    /// An identity file could not be read or parsed.
    #[error("cannot use identity {path}: {reason}")]
    Identity { path: String, reason: String },
    /// Sealing needs at least one recipient.
    #[error("no recipients: give --recipient, --recipients-file or --public")]
    NoRecipients,
    /// The age layer failed for a reason other than a missing identity.
    #[error("the age envelope cannot be opened: {0}")]
    Envelope(String),
    /// The bytes parse but break a rule of the format (a descriptor that
    /// references a file that does not exist, a cut-short field, ...).
    #[error("the secret's content is invalid: {0}")]
    Invalid(String),
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    Nzb(#[from] ap_nzb::NzbError),
}
