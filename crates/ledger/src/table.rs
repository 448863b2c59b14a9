//! One Delta table of the ledger: where it lives, its schema version check,
//! reading the rows of a snapshot from its Parquet files, and appending rows
//! through `RecordBatchWriter` with commits that retry on conflicts.

use std::sync::Arc;

use deltalake::arrow::datatypes::SchemaRef;
use deltalake::arrow::record_batch::RecordBatch;
use deltalake::kernel::transaction::{CommitProperties, TransactionError};
use deltalake::kernel::{StructField, Version};
use deltalake::logstore::object_store::ObjectStoreExt;
use deltalake::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use deltalake::protocol::SaveMode;
use deltalake::writer::{DeltaWriter, RecordBatchWriter};
use deltalake::{DeltaTable, DeltaTableBuilder, DeltaTableError, ObjectMeta};
use url::Url;

use crate::error::{Error, Result};

/// Table property holding the schema version (see docs/LEDGER.md).
pub const SCHEMA_VERSION_KEY: &str = "ap.schemaVersion";
/// Table property naming which ledger table this is (`sets` or `jobs`).
pub const TABLE_KEY: &str = "ap.table";
/// The schema version this program writes and the newest it reads.
pub const SCHEMA_VERSION: u32 = 1;

/// How many times an append is tried before giving up: each try re-reads
/// the log, so this only matters under heavy contention.
const APPEND_ATTEMPTS: u32 = 200;

/// What a table is: its name and its columns.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Kind {
    pub name: &'static str,
    pub columns: fn() -> Vec<StructField>,
}

/// A table of the ledger, by location. The latest loaded state is kept and
/// brought up to date (reading only newer commits) before every operation,
/// so other writers' commits are always seen without replaying the log.
#[derive(Debug)]
pub(crate) struct Table {
    pub url: Url,
    pub kind: Kind,
    pub cache: std::sync::Mutex<Option<DeltaTable>>,
}

/// A commit lost to another writer (only reported for strict commits).
pub(crate) struct Conflict;

impl Table {
    pub fn location(&self) -> String {
        self.url.to_string()
    }

    fn delta_err(&self) -> impl FnOnce(DeltaTableError) -> Error + '_ {
        move |source| Error::Delta {
            location: self.location(),
            source,
        }
    }

    /// Creates the table with its columns and our properties.
    pub async fn create(&self, extra: &[(String, String)]) -> Result<DeltaTable> {
        if let Ok(path) = self.url.to_file_path() {
            std::fs::create_dir_all(&path).map_err(crate::error::io(&path))?;
        }
        let table = DeltaTableBuilder::from_url(self.url.clone())
            .map_err(self.delta_err())?
            .build()
            .map_err(self.delta_err())?;
        let mut config: Vec<(String, Option<String>)> = vec![
            (SCHEMA_VERSION_KEY.into(), Some(SCHEMA_VERSION.to_string())),
            (TABLE_KEY.into(), Some(self.kind.name.into())),
        ];
        config.extend(extra.iter().map(|(k, v)| (k.clone(), Some(v.clone()))));
        table
            .create()
            .with_table_name(self.kind.name)
            .with_columns((self.kind.columns)())
            .with_configuration(config)
            .with_raise_if_key_not_exists(false)
            .with_save_mode(SaveMode::ErrorIfExists)
            .await
            .map_err(|e| match e {
                DeltaTableError::Generic(ref m) if m.contains("exists") => Error::Exists {
                    location: self.location(),
                },
                other => self.delta_err()(other),
            })
    }

    pub fn new(url: Url, kind: Kind) -> Table {
        Table {
            url,
            kind,
            cache: std::sync::Mutex::new(None),
        }
    }

    /// The latest state: the kept one brought up to date, or a fresh load.
    pub async fn latest(&self) -> Result<DeltaTable> {
        let kept = self.cache.lock().ok().and_then(|mut c| c.take());
        match kept {
            Some(mut table) => {
                table.update_state().await.map_err(|e| self.classify(e))?;
                self.check(&table)?;
                Ok(table)
            }
            None => self.load(None).await,
        }
    }

    /// Keeps `table` for the next [`Table::latest`].
    pub fn keep(&self, table: DeltaTable) {
        if let Ok(mut c) = self.cache.lock() {
            *c = Some(table);
        }
    }

    /// Loads the table (at `version`, or the latest) and checks that it is
    /// ours and not newer than we know.
    pub async fn load(&self, version: Option<Version>) -> Result<DeltaTable> {
        self.load_with(|b| match version {
            Some(v) => b.with_version(v),
            None => b,
        })
        .await
    }

    /// The table as it stood at the moment `commit` was written: its last
    /// version committed no later (or its first, if none was).
    pub async fn load_as_of(&self, commit: &ObjectMeta) -> Result<DeltaTable> {
        self.load_with(|b| b.with_timestamp(commit.last_modified))
            .await
    }

    async fn load_with(
        &self,
        pick: impl FnOnce(DeltaTableBuilder) -> DeltaTableBuilder,
    ) -> Result<DeltaTable> {
        let builder =
            pick(DeltaTableBuilder::from_url(self.url.clone()).map_err(self.delta_err())?);
        if let Ok(path) = self.url.to_file_path()
            && !path.join("_delta_log").is_dir()
        {
            return Err(Error::NotFound {
                location: self.location(),
            });
        }
        let table = builder.load().await.map_err(|e| self.classify(e))?;
        self.check(&table)?;
        Ok(table)
    }

    /// When `version` of `table` was committed, by the store's clock (the
    /// commit file's modification time), which is the clock Delta's time
    /// travel by date reads.
    pub async fn committed_at(&self, table: &DeltaTable, version: Version) -> Result<ObjectMeta> {
        let commit = deltalake::Path::from(format!("_delta_log/{version:020}.json"));
        table
            .object_store()
            .head(&commit)
            .await
            .map_err(|e| self.classify(e.into()))
    }

    fn classify(&self, e: DeltaTableError) -> Error {
        let location = self.location();
        match e {
            DeltaTableError::NotATable(_) => Error::NotFound { location },
            DeltaTableError::ObjectStore { .. } | DeltaTableError::Io { .. } => Error::Delta {
                location,
                source: e,
            },
            other => Error::Corrupt {
                location,
                reason: other.to_string(),
            },
        }
    }

    /// The schema-version rule of docs/LEDGER.md.
    pub fn check(&self, table: &DeltaTable) -> Result<()> {
        let location = self.location();
        let snapshot = table.snapshot().map_err(|e| self.classify(e))?;
        let config = snapshot.metadata().configuration();
        let foreign = |key| Error::Foreign {
            location: location.clone(),
            table: self.kind.name,
            key,
        };
        let version = config
            .get(SCHEMA_VERSION_KEY)
            .ok_or_else(|| foreign(SCHEMA_VERSION_KEY))?;
        if config.get(TABLE_KEY).map(String::as_str) != Some(self.kind.name) {
            return Err(foreign(TABLE_KEY));
        }
        let found: u32 = version.parse().map_err(|_| Error::Corrupt {
            location: location.clone(),
            reason: format!("{SCHEMA_VERSION_KEY} is {version:?}, not a number"),
        })?;
        if found > SCHEMA_VERSION {
            return Err(Error::NewerVersion {
                location,
                found,
                supported: SCHEMA_VERSION,
            });
        }
        Ok(())
    }

    /// A table property of the loaded snapshot.
    pub fn property(&self, table: &DeltaTable, key: &str) -> Result<Option<String>> {
        let snapshot = table.snapshot().map_err(|e| self.classify(e))?;
        Ok(snapshot.metadata().configuration().get(key).cloned())
    }

    /// The rows of the loaded snapshot, read from its Parquet files.
    pub async fn read(&self, table: &DeltaTable) -> Result<Vec<RecordBatch>> {
        let files = table
            .get_files_by_partitions(&[])
            .await
            .map_err(|e| self.classify(e))?;
        let store = table.object_store();
        let mut out = Vec::new();
        for file in files {
            let corrupt = |reason: String| Error::Corrupt {
                location: self.location(),
                reason: format!("data file {file}: {reason}"),
            };
            let bytes = store
                .get_opts(&file, Default::default())
                .await
                .map_err(|e| corrupt(e.to_string()))?
                .bytes()
                .await
                .map_err(|e| corrupt(e.to_string()))?;
            let reader = ParquetRecordBatchReaderBuilder::try_new(bytes)
                .and_then(|b| b.build())
                .map_err(|e| corrupt(e.to_string()))?;
            for batch in reader {
                out.push(batch.map_err(|e| corrupt(e.to_string()))?);
            }
        }
        Ok(out)
    }

    /// Appends the batch built for the table's Arrow schema, retrying when
    /// another writer committed first (appends never conflict logically).
    pub async fn append(
        &self,
        build: impl Fn(&SchemaRef) -> Result<RecordBatch>,
    ) -> Result<Version> {
        let mut table = self.latest().await?;
        for _ in 0..APPEND_ATTEMPTS {
            match self.commit(&mut table, &build, false).await? {
                Ok(version) => {
                    self.keep(table);
                    return Ok(version);
                }
                Err(Conflict) => table.update_state().await.map_err(|e| self.classify(e))?,
            }
        }
        Err(Error::Contended {
            location: self.location(),
            attempts: APPEND_ATTEMPTS,
        })
    }

    /// Writes one batch and commits it on top of `table`'s version. With
    /// `strict`, any commit by someone else since that version makes this
    /// one lose (`Conflict`): the caller's decision was made on stale rows.
    pub async fn commit(
        &self,
        table: &mut DeltaTable,
        build: &dyn Fn(&SchemaRef) -> Result<RecordBatch>,
        strict: bool,
    ) -> Result<Result<Version, Conflict>> {
        let props = if strict {
            CommitProperties::default().with_max_retries(0)
        } else {
            CommitProperties::default()
        };
        let mut writer = RecordBatchWriter::for_table(table)
            .map_err(self.delta_err())?
            .with_commit_properties(props);
        let schema: SchemaRef = Arc::clone(&writer.arrow_schema());
        let batch = build(&schema)?;
        writer.write(batch).await.map_err(self.delta_err())?;
        match writer.flush_and_commit(table).await {
            Ok(v) => Ok(Ok(v)),
            Err(e) if is_conflict(&e) => Ok(Err(Conflict)),
            Err(e) => Err(self.delta_err()(e)),
        }
    }
}

fn is_conflict(e: &DeltaTableError) -> bool {
    match e {
        DeltaTableError::VersionAlreadyExists(_) => true,
        DeltaTableError::Transaction { source } => matches!(
            source,
            TransactionError::VersionAlreadyExists(_)
                | TransactionError::CommitConflict(_)
                | TransactionError::MaxCommitAttempts(_)
        ),
        _ => false,
    }
}
