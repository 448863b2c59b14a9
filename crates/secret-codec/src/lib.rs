//! The set descriptor and the secret string that carries it.
//!
//! The principal type is [`Descriptor`]: a set's key K ([`SetKey`]), its
//! groups, article size, dates and the sizes of its posted files. From it:
//! - [`SetKey`] derives the archive password, every Message-ID, file name,
//!   subject and the From header ([`derive`]);
//! - [`to_nzb`] rebuilds the set's NZB, the one function the poster also
//!   uses, so the NZB is the same byte for byte;
//! - [`seal`] encrypts it with age to recipients ([`recipients`]) and writes
//!   the one-line secret string; [`open`] reads it back with identities,
//!   and [`to_age`] gives the plain age file inside for the age CLI.
//!
//! The formats are specified in docs/FORMAT.md.
//!
//! ```
//! use ap_secret_codec::{Descriptor, PostedFile, Role, SetKey, SubjectStyle, open, seal, to_nzb};
//! use ap_secret_codec::recipients::{Identities, Recipients};
//!
//! let set = Descriptor {
//!     key: SetKey::generate()?,
//!     title: "photos".into(),
//!     groups: vec!["alt.binaries.test".into()],
//!     domain: "news.example".into(),
//!     subjects: SubjectStyle::Yenc,
//!     article_size: 716_800,
//!     line_length: 128,
//!     date: 1_795_500_000,
//!     files: vec![PostedFile { role: Role::Data, size: 5_000_000 }],
//!     reposts: vec![],
//! };
//! let me = age::x25519::Identity::generate();
//! let recipients: Recipients = vec![Box::new(me.to_public())];
//! let secret = seal(&set, &recipients)?;
//!
//! let identities: Identities = vec![Box::new(me)];
//! let opened = open(secret.expose(), &identities)?;
//! assert_eq!(to_nzb(&opened).to_xml()?, to_nzb(&set).to_xml()?);
//! # Ok::<(), ap_secret_codec::Error>(())
//! ```

mod b64;
pub mod derive;
mod descriptor;
pub mod envelope;
mod error;
mod files;
mod nzb;
mod pack;
pub mod recipients;
mod secret;
pub mod text;
mod wire;

pub use derive::SetKey;
pub use descriptor::{Descriptor, FORMAT_VERSION, PostedFile, Repost, Role, SubjectStyle};
pub use error::Error;
pub use nzb::{file_names, subject, to_nzb};
pub use recipients::{
    PACKAGED_RECIPIENT, parse_recipient, read_identity_file, recipients_for_post,
};
pub use secret::{SecretString, open, seal, to_age};
