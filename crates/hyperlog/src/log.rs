//! The owner's disk-backed Hypercore log: publishing into it and reading it.
//!
//! Hypercore keeps a writer's secret key in the log's own header. To keep
//! the key out of the log folder, the folder holds a log that only knows
//! the public key, and a publish extends it the way a follower would: an
//! in-memory twin that holds the signing key takes the folder's signed tree
//! (an upgrade proof: roots and signature, no block data), appends the new
//! blocks and signs them, and the folder then verifies and applies the
//! twin's proofs, exactly as it would a peer's.

use std::fs::File;
use std::path::{Path, PathBuf};

use hypercore::{Hypercore, HypercoreBuilder, PartialKeypair, Storage, VerifyingKey};
use hypercore_schema::{RequestBlock, RequestUpgrade};

use crate::record::{IndexRecord, sha256, split};
use crate::{Error, PublicKey, Signer};

/// The file publishers and seeders lock around reading or changing the log.
const LOCK_FILE: &str = "ap-lock";

/// Opens the log in `dir`: `None` when the folder holds no log yet.
pub(crate) async fn open_disk(dir: &Path) -> Result<Option<Hypercore>, Error> {
    let has_log = std::fs::metadata(dir.join("oplog"))
        .map(|m| m.len() > 0)
        .unwrap_or(false);
    if !has_log {
        return Ok(None);
    }
    let storage = Storage::new_disk(&dir.to_path_buf(), false)
        .await
        .map_err(|e| Error::log(format!("cannot open the log in {}", dir.display()), e))?;
    let core = HypercoreBuilder::new(storage)
        .open(true)
        .build()
        .await
        .map_err(|e| Error::log(format!("cannot open the log in {}", dir.display()), e))?;
    Ok(Some(core))
}

async fn create_disk(dir: &Path, public: VerifyingKey) -> Result<Hypercore, Error> {
    let storage = Storage::new_disk(&dir.to_path_buf(), false)
        .await
        .map_err(|e| Error::log(format!("cannot create a log in {}", dir.display()), e))?;
    HypercoreBuilder::new(storage)
        .key_pair(PartialKeypair {
            public,
            secret: None,
        })
        .build()
        .await
        .map_err(|e| Error::log(format!("cannot create a log in {}", dir.display()), e))
}

/// Locks the log folder: exclusively to publish, shared to read.
pub(crate) fn lock(dir: &Path, exclusive: bool) -> Result<File, Error> {
    let path = dir.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    let locked = if exclusive {
        file.lock()
    } else {
        file.lock_shared()
    };
    locked.map_err(|e| Error::io(format!("cannot lock {}", path.display()), e))?;
    Ok(file)
}

/// The latest index record of a log, `None` while it is empty.
pub(crate) async fn latest(core: &Hypercore) -> Result<Option<IndexRecord>, Error> {
    let length = core.info().length;
    if length == 0 {
        return Ok(None);
    }
    let at = length - 1;
    let block = core
        .get(at)
        .await
        .map_err(|e| Error::log(format!("cannot read block {at} of the log"), e))?
        .ok_or_else(|| Error::BadIndex {
            index: at,
            why: "the block is missing from the log folder".into(),
        })?;
    IndexRecord::decode(&block, at).map(Some)
}

/// The last index record, looking past the blocks of a publish that was
/// cut short (its record never written).
async fn last_complete(core: &Hypercore) -> Result<Option<IndexRecord>, Error> {
    let mut at = core.info().length;
    let mut first_error = None;
    while at > 0 {
        at -= 1;
        let block = core
            .get(at)
            .await
            .map_err(|e| Error::log(format!("cannot read block {at} of the log"), e))?;
        match block.map(|b| IndexRecord::decode(&b, at)) {
            Some(Ok(r)) => return Ok(Some(r)),
            Some(Err(e)) => {
                first_error.get_or_insert(e);
            }
            None => {}
        }
    }
    // Blocks but no record at all: not a ledger log.
    first_error.map_or(Ok(None), Err)
}

/// The owner's log in a folder, extended by the signing key kept elsewhere.
#[derive(Debug)]
pub struct DiskLog {
    dir: PathBuf,
    signer: Signer,
}

impl DiskLog {
    /// The log in `dir` (created on first publish), signed with `signer`.
    /// Refuses a signing key kept inside the log folder.
    pub fn new(dir: &Path, signer: Signer) -> Result<Self, Error> {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
        let canon = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_owned());
        let log = canon(dir);
        let key_dir = signer.path().parent().map(canon).unwrap_or_default();
        if key_dir.starts_with(&log) {
            return Err(Error::KeyInsideLog {
                key: signer.path().to_owned(),
                log: dir.to_owned(),
            });
        }
        Ok(Self {
            dir: dir.to_owned(),
            signer,
        })
    }

    /// The log folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Opens the folder's log and checks that it is ours.
    async fn open_ours(&self) -> Result<Hypercore, Error> {
        let ours = self.signer.key.verifying_key();
        let core = match open_disk(&self.dir).await? {
            Some(core) => core,
            None => create_disk(&self.dir, ours).await?,
        };
        let theirs = core.key_pair().public;
        if theirs != ours {
            return Err(Error::LogOfAnotherWriter {
                dir: self.dir.clone(),
                log_key: theirs.into(),
                our_key: ours.into(),
                key_file: self.signer.path().to_owned(),
            });
        }
        Ok(core)
    }

    /// Appends `snapshot` in blocks and its index record; returns the record.
    pub(crate) async fn append(
        &self,
        snapshot: &[u8],
        delta_version: u64,
    ) -> Result<IndexRecord, Error> {
        let _lock = lock(&self.dir, true)?;
        let disk = self.open_ours().await?;
        let length = disk.info().length;
        let sequence = match last_complete(&disk).await? {
            Some(r) => r.sequence + 1,
            None => 1,
        };
        let twin = self.twin(&disk).await?;

        let blocks = split(snapshot);
        let record = IndexRecord {
            sequence,
            delta_version,
            size: snapshot.len() as u64,
            first_block: length,
            block_count: blocks.len() as u64,
            sha256: sha256(snapshot),
        };
        let encoded = record.encode();
        let mut batch = blocks;
        batch.push(&encoded);
        // One signed append per block, each carried over as "block i and the
        // upgrade to i+1": hypercore 0.16/0.17 misread oplog entries that
        // hold a tree upgrade without a block or a block without an upgrade
        // (`Entry::decode` tests flag 2 where it means 4 and 8), so a log
        // folder written any other way does not reopen. Peers only ever see
        // the finished publish: seeders switch to a new head once the
        // folder's lock is released.
        let store = |e| Error::log(format!("cannot write the log in {}", self.dir.display()), e);
        for (index, block) in (length..).zip(batch) {
            twin.append(block)
                .await
                .map_err(|e| Error::log("cannot sign the new blocks", e))?;
            let nodes = disk.missing_nodes(index).await.map_err(store)?;
            let proof = twin
                .create_proof(
                    Some(RequestBlock { index, nodes }),
                    None,
                    None,
                    Some(RequestUpgrade {
                        start: index,
                        length: 1,
                    }),
                )
                .await
                .map_err(store)?;
            apply(&disk, proof, &self.dir).await?;
        }
        Ok(record)
    }

    /// An in-memory log with the signing key and the folder's signed tree.
    async fn twin(&self, disk: &Hypercore) -> Result<Hypercore, Error> {
        let memory = |e| Error::log("cannot make the in-memory signer", e);
        let twin = HypercoreBuilder::new(Storage::new_memory().await.map_err(memory)?)
            .key_pair(PartialKeypair {
                public: self.signer.key.verifying_key(),
                secret: Some(self.signer.key.clone()),
            })
            .build()
            .await
            .map_err(memory)?;
        let length = disk.info().length;
        if length > 0 {
            let proof = disk
                .create_proof(None, None, None, Some(RequestUpgrade { start: 0, length }))
                .await
                .map_err(|e| Error::log("cannot read the log's signed tree", e))?;
            let applied = match proof {
                Some(p) => twin.verify_and_apply_proof(p).await.map_err(memory)?,
                None => false,
            };
            if !applied || twin.info().length != length {
                return Err(Error::BadIndex {
                    index: length - 1,
                    why: format!(
                        "the signed tree of the log in {} does not carry over",
                        self.dir.display()
                    ),
                });
            }
        }
        Ok(twin)
    }

    /// The latest index record and the snapshot it names, read from the
    /// folder and hash-checked.
    pub async fn latest_snapshot(&self) -> Result<Option<(IndexRecord, Vec<u8>)>, Error> {
        let _lock = lock(&self.dir, false)?;
        let Some(core) = open_disk(&self.dir).await? else {
            return Ok(None);
        };
        let Some(record) = latest(&core).await? else {
            return Ok(None);
        };
        let mut snapshot = Vec::with_capacity(usize::try_from(record.size).unwrap_or(0));
        for index in record.blocks() {
            let block = core
                .get(index)
                .await
                .map_err(|e| Error::log(format!("cannot read block {index}"), e))?
                .ok_or_else(|| Error::BadIndex {
                    index,
                    why: "the block is missing from the log folder".into(),
                })?;
            snapshot.extend_from_slice(&block);
        }
        crate::pull::check_hash(&record, &snapshot)?;
        Ok(Some((record, snapshot)))
    }

    /// The log's public key.
    pub fn public_key(&self) -> PublicKey {
        self.signer.public()
    }
}

async fn apply(
    disk: &Hypercore,
    proof: Option<hypercore_schema::Proof>,
    dir: &Path,
) -> Result<(), Error> {
    let failed = || Error::Log {
        context: format!("cannot write the log in {}", dir.display()),
        source: hypercore::HypercoreError::InvalidOperation {
            context: "a proof from the signer did not apply".into(),
        },
    };
    let proof = proof.ok_or_else(failed)?;
    let applied = disk
        .verify_and_apply_proof(proof)
        .await
        .map_err(|e| Error::log(format!("cannot write the log in {}", dir.display()), e))?;
    if applied { Ok(()) } else { Err(failed()) }
}
