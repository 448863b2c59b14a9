//! The `sets` table: one row per posted set. K, the set key, is stored only
//! sealed with age to the ledger's recipients, so a copied ledger opens
//! nothing without the owner's identity.

use deltalake::arrow::datatypes::SchemaRef;
use deltalake::arrow::record_batch::RecordBatch;
use deltalake::kernel::{ArrayType, DataType, StructField};

use ap_secret_codec::SetKey;
use ap_secret_codec::recipients::{Identities, Recipients};

use crate::columns::{self as c, Cols};
use crate::error::{Error, Result};

pub(crate) fn columns() -> Vec<StructField> {
    let strings = DataType::Array(Box::new(ArrayType::new(DataType::STRING, false)));
    vec![
        StructField::new("set_id", DataType::STRING, false),
        StructField::new("title", DataType::STRING, false),
        StructField::new("created_at", DataType::TIMESTAMP, false),
        StructField::new("posted_at", DataType::TIMESTAMP, true),
        StructField::new("source_bytes", DataType::LONG, false),
        StructField::new("posted_bytes", DataType::LONG, false),
        StructField::new("file_count", DataType::INTEGER, false),
        StructField::new("article_count", DataType::LONG, false),
        StructField::new("groups", strings, false),
        StructField::new("server_host", DataType::STRING, false),
        StructField::new("status", DataType::STRING, false),
        StructField::new("secret", DataType::STRING, false),
        StructField::new("key_sealed", DataType::BINARY, false),
    ]
}

/// What the ledger records about a set (all but its key).
#[derive(Clone, PartialEq, Eq)]
pub struct SetInfo {
    /// Stable id of the set (the pipeline's job id or a random id).
    pub set_id: String,
    pub title: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; `None` while not (completely) posted.
    pub posted_at: Option<i64>,
    pub source_bytes: u64,
    pub posted_bytes: u64,
    pub file_count: u32,
    pub article_count: u64,
    pub groups: Vec<String>,
    pub server_host: String,
    /// `posted`, `checked`, `failed`, ... (free text for auditing).
    pub status: String,
    /// The secret string that gets the set back (sealed to its own
    /// recipients by the secret codec).
    pub secret: String,
}

impl std::fmt::Debug for SetInfo {
    // The secret string stays out of logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetInfo")
            .field("set_id", &self.set_id)
            .field("title", &self.title)
            .field("created_at", &self.created_at)
            .field("posted_at", &self.posted_at)
            .field("source_bytes", &self.source_bytes)
            .field("posted_bytes", &self.posted_bytes)
            .field("file_count", &self.file_count)
            .field("article_count", &self.article_count)
            .field("groups", &self.groups)
            .field("server_host", &self.server_host)
            .field("status", &self.status)
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A row of `sets` as read back: the record and K still sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetRow {
    pub info: SetInfo,
    /// K as an age file to the ledger's recipients.
    pub key_sealed: Vec<u8>,
}

impl SetRow {
    /// K, if one of `identities` is among the ledger's recipients.
    pub fn open_key(&self, identities: &Identities) -> Result<SetKey> {
        let plain =
            ap_secret_codec::envelope::open(&self.key_sealed, identities).map_err(|e| match e {
                ap_secret_codec::Error::NoMatchingIdentity => Error::WrongIdentity {
                    what: format!("the key of set {}", self.info.set_id),
                },
                other => Error::Codec(other),
            })?;
        let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| Error::Schema {
            location: "sets".into(),
            reason: format!("the sealed key of set {} is not 32 bytes", self.info.set_id),
        })?;
        Ok(SetKey::from_bytes(bytes))
    }
}

pub(crate) fn to_batch(
    schema: &SchemaRef,
    sets: &[(SetInfo, &SetKey)],
    recipients: &Recipients,
) -> Result<RecordBatch> {
    let sealed = sets
        .iter()
        .map(|(_, k)| ap_secret_codec::envelope::seal(k.as_bytes(), recipients))
        .collect::<Result<Vec<_>, _>>()?;
    let info: Vec<&SetInfo> = sets.iter().map(|(i, _)| i).collect();
    let clamp = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    c::batch(
        schema,
        vec![
            c::utf8(info.iter().map(|s| Some(s.set_id.as_str()))),
            c::utf8(info.iter().map(|s| Some(s.title.as_str()))),
            c::ts(info.iter().map(|s| Some(c::micros(s.created_at)))),
            c::ts(info.iter().map(|s| s.posted_at.map(c::micros))),
            c::i64s(info.iter().map(|s| clamp(s.source_bytes))),
            c::i64s(info.iter().map(|s| clamp(s.posted_bytes))),
            c::i32s(
                info.iter()
                    .map(|s| i32::try_from(s.file_count).unwrap_or(i32::MAX)),
            ),
            c::i64s(info.iter().map(|s| clamp(s.article_count))),
            c::list_of_strings(schema, "groups", info.iter().map(|s| s.groups.clone()))?,
            c::utf8(info.iter().map(|s| Some(s.server_host.as_str()))),
            c::utf8(info.iter().map(|s| Some(s.status.as_str()))),
            c::utf8(info.iter().map(|s| Some(s.secret.as_str()))),
            c::bins(sealed.iter().map(Vec::as_slice)),
        ],
    )
}

pub(crate) fn from_batches(batches: &[RecordBatch], location: &str) -> Result<Vec<SetRow>> {
    let mut out = Vec::new();
    for batch in batches {
        let cols = Cols { batch, location };
        let (id, title, created, posted) = (
            cols.str("set_id")?,
            cols.str("title")?,
            cols.ts("created_at")?,
            cols.ts("posted_at")?,
        );
        let (src, post, files, arts) = (
            cols.i64("source_bytes")?,
            cols.i64("posted_bytes")?,
            cols.i32("file_count")?,
            cols.i64("article_count")?,
        );
        let (groups, host, status, secret, key) = (
            cols.list("groups")?,
            cols.str("server_host")?,
            cols.str("status")?,
            cols.str("secret")?,
            cols.bin("key_sealed")?,
        );
        for i in 0..batch.num_rows() {
            out.push(SetRow {
                info: SetInfo {
                    set_id: id.value(i).to_owned(),
                    title: title.value(i).to_owned(),
                    created_at: created.value(i).div_euclid(1_000_000),
                    posted_at: c::opt_ts(posted, i).map(|v| v.div_euclid(1_000_000)),
                    source_bytes: src.value(i).max(0) as u64,
                    posted_bytes: post.value(i).max(0) as u64,
                    file_count: files.value(i).max(0) as u32,
                    article_count: arts.value(i).max(0) as u64,
                    groups: c::strings(groups, i, location)?,
                    server_host: host.value(i).to_owned(),
                    status: status.value(i).to_owned(),
                    secret: secret.value(i).to_owned(),
                },
                key_sealed: key.value(i).to_vec(),
            });
        }
    }
    Ok(out)
}
