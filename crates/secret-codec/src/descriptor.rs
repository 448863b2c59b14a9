//! The set descriptor: everything needed to rebuild a set's NZB, and the key
//! that opens its archive. Its binary form is specified in docs/FORMAT.md.

use crate::Error;
use crate::derive::SetKey;
use crate::files;
use crate::wire::{Reader, put_bytes, put_varint};

/// The newest descriptor format this program reads. It writes version 1
/// unless the set is split into parts ([`Role::PartStart`]), which only
/// version 2 can say; a set that needs no parts stays readable by every
/// ap-client.
pub const FORMAT_VERSION: u64 = 2;

/// Limits that keep a hostile descriptor from allocating without bound.
const MAX_TEXT: usize = 4096;
const MAX_GROUPS: u64 = 256;
pub(crate) const MAX_FILES: u64 = 1 << 20;
const MAX_REPOSTS: u64 = 1 << 20;

/// What a posted file is for; downloaders treat data and PAR2 differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// A volume of the archive begun by the last [`Role::PartStart`] (or of
    /// the set's first archive).
    Data,
    Par2,
    /// The first volume of another archive: a very large set is split into
    /// parts, each its own archive with its own volumes and PAR2 sets.
    /// Format version 2.
    PartStart,
}

/// One posted file, in posting (and NZB) order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PostedFile {
    pub role: Role,
    pub size: u64,
}

/// An article posted again after a check found it missing: its Message-ID
/// comes from `attempt` instead of 0. `file` counts from 0, `part` from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Repost {
    pub file: u32,
    pub part: u32,
    pub attempt: u32,
}

/// How article subjects look (see [`crate::derive`]). Both keep NZBGet
/// working: it must never see a size after `yEnc (x/y)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectStyle {
    /// A random string per article, nothing else.
    Random,
    /// `"NAME" yEnc (PART/TOTAL)` with the obfuscated NAME.
    Yenc,
}

/// A posted set, as the secret string carries it.
#[derive(Clone, PartialEq, Eq)]
pub struct Descriptor {
    pub key: SetKey,
    pub title: String,
    pub groups: Vec<String>,
    /// The domain of Message-IDs and of the From address.
    pub domain: String,
    pub subjects: SubjectStyle,
    /// Decoded bytes per article.
    pub article_size: u32,
    pub line_length: u16,
    /// Seconds since the Unix epoch; the NZB's file dates.
    pub date: u64,
    pub files: Vec<PostedFile>,
    /// Sorted by (file, part), at most one per article.
    pub reposts: Vec<Repost>,
}

impl std::fmt::Debug for Descriptor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Descriptor")
            .field("key", &"<redacted>")
            .field("title", &self.title)
            .field("groups", &self.groups)
            .field("domain", &self.domain)
            .field("subjects", &self.subjects)
            .field("article_size", &self.article_size)
            .field("line_length", &self.line_length)
            .field("date", &self.date)
            .field("files", &self.files.len())
            .field("reposts", &self.reposts.len())
            .finish()
    }
}

impl Descriptor {
    /// Number of articles of file `index`: its size over the article size,
    /// rounded up, and at least one (an empty file is still one article).
    pub fn parts(&self, index: usize) -> u32 {
        let size = self.files.get(index).map_or(0, |f| f.size);
        let per = u64::from(self.article_size.max(1));
        u32::try_from(size.div_ceil(per).max(1)).unwrap_or(u32::MAX)
    }

    /// Decoded bytes carried by `part` (1-based) of file `index`.
    pub fn part_size(&self, index: usize, part: u32) -> u64 {
        let size = self.files.get(index).map_or(0, |f| f.size);
        let per = u64::from(self.article_size.max(1));
        let start = u64::from(part.saturating_sub(1)) * per;
        size.saturating_sub(start).min(per)
    }

    /// The attempt number of an article: 0 unless it was re-posted.
    pub fn attempt(&self, file: u32, part: u32) -> u32 {
        self.reposts
            .binary_search_by(|r| (r.file, r.part).cmp(&(file, part)))
            .map_or(0, |i| self.reposts[i].attempt)
    }

    /// The Message-ID (without angle brackets) article `part` of `file`
    /// carries now: that of its last re-post's attempt, else attempt 0. What
    /// the NZB lists and a download asks for.
    pub fn message_id(&self, file: u32, part: u32) -> String {
        self.key
            .message_id(file, part, self.attempt(file, part), &self.domain)
    }

    /// [`Descriptor::message_id`] in angle brackets, the form NNTP commands
    /// (STAT, BODY) and the pool's reports use.
    pub fn bracketed_message_id(&self, file: u32, part: u32) -> String {
        format!("<{}>", self.message_id(file, part))
    }

    /// Records a re-post of an article, keeping the list sorted.
    pub fn add_repost(&mut self, file: u32, part: u32, attempt: u32) {
        match self
            .reposts
            .binary_search_by(|r| (r.file, r.part).cmp(&(file, part)))
        {
            Ok(i) => self.reposts[i].attempt = attempt,
            Err(i) => self.reposts.insert(
                i,
                Repost {
                    file,
                    part,
                    attempt,
                },
            ),
        }
    }

    /// Checks the rules the encoding relies on.
    pub fn validate(&self) -> Result<(), Error> {
        if self.article_size == 0 {
            return Err(Error::Invalid("the article size is 0".into()));
        }
        if self.line_length == 0 {
            return Err(Error::Invalid("the yEnc line length is 0".into()));
        }
        if self.files.len() as u64 > MAX_FILES {
            return Err(Error::Invalid(format!("more than {MAX_FILES} files")));
        }
        if self.groups.len() as u64 > MAX_GROUPS {
            return Err(Error::Invalid(format!("more than {MAX_GROUPS} groups")));
        }
        for text in [&self.title, &self.domain].into_iter().chain(&self.groups) {
            if text.len() > MAX_TEXT {
                return Err(Error::Invalid(format!(
                    "a text field is longer than {MAX_TEXT} bytes"
                )));
            }
        }
        let mut last: Option<(u32, u32)> = None;
        for r in &self.reposts {
            let file = r.file as usize;
            if file >= self.files.len()
                || r.part == 0
                || r.part > self.parts(file)
                || r.attempt == 0
            {
                return Err(Error::Invalid(format!(
                    "re-post (file {}, part {}, attempt {}) names no article of the set",
                    r.file, r.part, r.attempt
                )));
            }
            if last.is_some_and(|l| l >= (r.file, r.part)) {
                return Err(Error::Invalid(
                    "re-posts are not sorted by file and part".into(),
                ));
            }
            last = Some((r.file, r.part));
        }
        Ok(())
    }

    /// The compact binary form (docs/FORMAT.md, "Descriptor").
    pub fn encode(&self) -> Result<Vec<u8>, Error> {
        self.validate()?;
        let mut out = Vec::with_capacity(128 + self.files.len());
        let split = self.files.iter().any(|f| f.role == Role::PartStart);
        put_varint(&mut out, if split { 2 } else { 1 });
        out.extend_from_slice(self.key.as_bytes());
        put_varint(&mut out, self.date);
        put_varint(&mut out, u64::from(self.article_size));
        put_varint(&mut out, u64::from(self.line_length));
        out.push(match self.subjects {
            SubjectStyle::Random => 0,
            SubjectStyle::Yenc => 1,
        });
        put_bytes(&mut out, self.title.as_bytes());
        put_bytes(&mut out, self.domain.as_bytes());
        put_varint(&mut out, self.groups.len() as u64);
        for g in &self.groups {
            put_bytes(&mut out, g.as_bytes());
        }
        files::encode(&mut out, &self.files);
        put_varint(&mut out, self.reposts.len() as u64);
        let mut prev = 0u32;
        for r in &self.reposts {
            put_varint(&mut out, u64::from(r.file - prev));
            put_varint(&mut out, u64::from(r.part));
            put_varint(&mut out, u64::from(r.attempt));
            prev = r.file;
        }
        Ok(out)
    }

    /// Reads the binary form; refuses newer versions, trailing bytes and
    /// anything [`Descriptor::validate`] refuses.
    pub fn decode(bytes: &[u8]) -> Result<Descriptor, Error> {
        let mut r = Reader::new(bytes);
        let version = r.varint("format version")?;
        if version > FORMAT_VERSION {
            return Err(Error::NewerVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version == 0 {
            return Err(Error::Invalid("format version 0 does not exist".into()));
        }
        let key = SetKey::from_bytes(r.array("set key")?);
        let date = r.varint("date")?;
        let article_size = r.varint_max(u64::from(u32::MAX), "article size")? as u32;
        let line_length = r.varint_max(u64::from(u16::MAX), "line length")? as u16;
        let subjects = match r.u8("subject style")? {
            0 => SubjectStyle::Random,
            1 => SubjectStyle::Yenc,
            other => return Err(Error::Invalid(format!("unknown subject style {other}"))),
        };
        let title = r.string(MAX_TEXT, "title")?;
        let domain = r.string(MAX_TEXT, "domain")?;
        let n_groups = r.varint_max(MAX_GROUPS, "group count")?;
        let groups = (0..n_groups)
            .map(|_| r.string(MAX_TEXT, "group"))
            .collect::<Result<Vec<_>, _>>()?;
        let files = files::decode(&mut r)?;
        if version < 2 && files.iter().any(|f| f.role == Role::PartStart) {
            return Err(Error::Invalid(
                "a version 1 descriptor names a part of a split set".into(),
            ));
        }
        let n_reposts = r.varint_max(MAX_REPOSTS, "re-post count")?;
        let mut reposts = Vec::new();
        let mut prev = 0u64;
        for _ in 0..n_reposts {
            let file = prev + r.varint_max(MAX_FILES, "re-post file")?;
            let part = r.varint_max(u64::from(u32::MAX), "re-post part")?;
            let attempt = r.varint_max(u64::from(u32::MAX), "re-post attempt")?;
            reposts.push(Repost {
                file: u32::try_from(file)
                    .map_err(|_| Error::Invalid("re-post file overflows".into()))?,
                part: part as u32,
                attempt: attempt as u32,
            });
            prev = file;
        }
        r.finish("descriptor")?;
        let d = Descriptor {
            key,
            title,
            groups,
            domain,
            subjects,
            article_size,
            line_length,
            date,
            files,
            reposts,
        };
        d.validate()?;
        Ok(d)
    }
}
