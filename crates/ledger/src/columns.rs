//! Building and reading Arrow columns by name, with errors that name the
//! column instead of panicking on an unexpected type.

use std::sync::Arc;

use deltalake::arrow::array::{
    Array, ArrayRef, BinaryArray, Int32Array, Int64Array, ListArray, ListBuilder, StringArray,
    StringBuilder, TimestampMicrosecondArray,
};
use deltalake::arrow::datatypes::{DataType, SchemaRef};
use deltalake::arrow::record_batch::RecordBatch;

use crate::error::{Error, Result};

pub(crate) fn schema_err(location: &str, reason: String) -> Error {
    Error::Schema {
        location: location.to_owned(),
        reason,
    }
}

/// Typed access to one batch's columns.
pub(crate) struct Cols<'a> {
    pub batch: &'a RecordBatch,
    pub location: &'a str,
}

impl<'a> Cols<'a> {
    fn get<T: 'static>(&self, name: &str) -> Result<&'a T> {
        let col = self
            .batch
            .column_by_name(name)
            .ok_or_else(|| schema_err(self.location, format!("column `{name}` is missing")))?;
        col.as_any().downcast_ref::<T>().ok_or_else(|| {
            schema_err(
                self.location,
                format!("column `{name}` has type {}", col.data_type()),
            )
        })
    }
    pub fn str(&self, name: &str) -> Result<&'a StringArray> {
        self.get(name)
    }
    pub fn i64(&self, name: &str) -> Result<&'a Int64Array> {
        self.get(name)
    }
    pub fn i32(&self, name: &str) -> Result<&'a Int32Array> {
        self.get(name)
    }
    pub fn bin(&self, name: &str) -> Result<&'a BinaryArray> {
        self.get(name)
    }
    pub fn ts(&self, name: &str) -> Result<&'a TimestampMicrosecondArray> {
        self.get(name)
    }
    pub fn list(&self, name: &str) -> Result<&'a ListArray> {
        self.get(name)
    }
}

pub(crate) fn opt_str(a: &StringArray, i: usize) -> Option<String> {
    (!a.is_null(i)).then(|| a.value(i).to_owned())
}

pub(crate) fn opt_ts(a: &TimestampMicrosecondArray, i: usize) -> Option<i64> {
    (!a.is_null(i)).then(|| a.value(i))
}

pub(crate) fn strings(list: &ListArray, i: usize, location: &str) -> Result<Vec<String>> {
    let values = list.value(i);
    let strs = values
        .as_any()
        .downcast_ref::<StringArray>()
        .ok_or_else(|| schema_err(location, "a list column holds non-strings".into()))?;
    Ok(strs.iter().flatten().map(str::to_owned).collect())
}

pub(crate) fn utf8<'s>(v: impl IntoIterator<Item = Option<&'s str>>) -> ArrayRef {
    Arc::new(v.into_iter().collect::<StringArray>())
}

pub(crate) fn ts(v: impl IntoIterator<Item = Option<i64>>) -> ArrayRef {
    Arc::new(
        v.into_iter()
            .collect::<TimestampMicrosecondArray>()
            .with_timezone("UTC"),
    )
}

pub(crate) fn list_of_strings(
    schema: &SchemaRef,
    name: &str,
    rows: impl IntoIterator<Item = Vec<String>>,
) -> Result<ArrayRef> {
    let field = schema
        .field_with_name(name)
        .map_err(|e| schema_err(name, e.to_string()))?;
    let DataType::List(item) = field.data_type() else {
        return Err(schema_err(name, format!("`{name}` is not a list")));
    };
    let mut b = ListBuilder::new(StringBuilder::new()).with_field(Arc::clone(item));
    for row in rows {
        for s in row {
            b.values().append_value(s);
        }
        b.append(true);
    }
    Ok(Arc::new(b.finish()))
}

/// Assembles a batch in the table's column order.
pub(crate) fn batch(schema: &SchemaRef, columns: Vec<ArrayRef>) -> Result<RecordBatch> {
    RecordBatch::try_new(Arc::clone(schema), columns)
        .map_err(|e| schema_err("(batch being written)", e.to_string()))
}

/// Micros since the epoch from seconds, as the table stores times.
pub(crate) fn micros(secs: i64) -> i64 {
    secs.saturating_mul(1_000_000)
}

pub(crate) fn i64s(v: impl IntoIterator<Item = i64>) -> ArrayRef {
    Arc::new(v.into_iter().collect::<Int64Array>())
}
pub(crate) fn i32s(v: impl IntoIterator<Item = i32>) -> ArrayRef {
    Arc::new(v.into_iter().collect::<Int32Array>())
}
pub(crate) fn bins<'s>(v: impl IntoIterator<Item = &'s [u8]>) -> ArrayRef {
    Arc::new(v.into_iter().map(Some).collect::<BinaryArray>())
}
