//! The NZB 1.1 file: the index a downloader reads to find a set's articles.
//!
//! The principal type is [`Nzb`]: a head of [`Meta`] entries (title,
//! password, tag, category) and a list of [`NzbFile`]s, each with its poster,
//! date, subject, groups and [`Segment`]s (size, part number, Message-ID).
//!
//! - [`Nzb::to_xml`] writes it deterministically: the same value always gives
//!   the same bytes, which is what lets ap rebuild the NZB of a post exactly
//!   from its secret string. The layout (XML declaration, the NZB 1.1
//!   DOCTYPE, the `http://www.newzbin.com/DTD/2003/nzb` namespace, tab
//!   indentation) follows what Nyuu writes and NZBGet and SABnzbd read.
//! - [`Nzb::parse`] reads NZBs from the wild (Nyuu, NZBGet, indexers;
//!   gzip-compressed too) and reports a malformed file as
//!   [`NzbError::Malformed`] with its line and column.
//!
//! ```
//! use ap_nzb::{Meta, Nzb, NzbFile, Segment};
//!
//! let nzb = Nzb {
//!     meta: vec![Meta::new("title", "holiday & more")],
//!     files: vec![NzbFile {
//!         poster: "someone <someone@example.invalid>".into(),
//!         date: 1_700_000_000,
//!         subject: "\"a.bin\" yEnc (1/1)".into(),
//!         groups: vec!["alt.binaries.test".into()],
//!         segments: vec![Segment { bytes: 1000, number: 1, message_id: "x@y".into() }],
//!     }],
//! };
//! let xml = nzb.to_xml()?;
//! assert!(xml.contains("holiday &amp; more"));
//! assert_eq!(Nzb::parse(xml.as_bytes())?, nzb);
//! # Ok::<(), ap_nzb::NzbError>(())
//! ```

mod error;
mod parse;
mod write;

pub use error::NzbError;

/// One `<meta type="...">` entry of the head. Kept as an ordered list, not
/// a map, because NZBs repeat types (several passwords) and the writer must
/// reproduce the order it was given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub kind: String,
    pub value: String,
}

impl Meta {
    pub fn new(kind: impl Into<String>, value: impl Into<String>) -> Self {
        Meta {
            kind: kind.into(),
            value: value.into(),
        }
    }
}

/// A whole NZB document.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Nzb {
    pub meta: Vec<Meta>,
    pub files: Vec<NzbFile>,
}

/// One posted file: the articles that carry it, in the order listed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NzbFile {
    /// The From header of the articles.
    pub poster: String,
    /// Seconds since the Unix epoch.
    pub date: u64,
    pub subject: String,
    pub groups: Vec<String>,
    pub segments: Vec<Segment>,
}

/// One article. `bytes` is advisory: downloaders use it for progress and
/// size estimates only.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Segment {
    pub bytes: u64,
    pub number: u32,
    /// Without the angle brackets, as NZBs carry it.
    pub message_id: String,
}

impl Nzb {
    /// The first meta value of `kind` (`title`, `password`, `tag`, `category`).
    pub fn meta_value(&self, kind: &str) -> Option<&str> {
        self.meta
            .iter()
            .find(|m| m.kind == kind)
            .map(|m| m.value.as_str())
    }

    /// Total of the segments' `bytes` over all files.
    pub fn total_bytes(&self) -> u64 {
        self.files
            .iter()
            .flat_map(|f| &f.segments)
            .map(|s| s.bytes)
            .sum()
    }
}
