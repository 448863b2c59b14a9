//! Byte-level helpers of the descriptor and envelope encodings: LEB128
//! varints, length-prefixed strings, and a reader that names what ran out.

use crate::Error;

pub(crate) fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

pub(crate) fn put_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    put_varint(out, bytes.len() as u64);
    out.extend_from_slice(bytes);
}

pub(crate) struct Reader<'a> {
    pub(crate) rest: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        Reader { rest: bytes }
    }

    pub(crate) fn take(&mut self, n: usize, what: &'static str) -> Result<&'a [u8], Error> {
        if self.rest.len() < n {
            return Err(Error::Invalid(format!("the {what} is cut short")));
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    pub(crate) fn array<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Error> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    pub(crate) fn u8(&mut self, what: &'static str) -> Result<u8, Error> {
        Ok(self.take(1, what)?[0])
    }

    /// A minimal LEB128 varint of at most 64 bits (overlong forms are refused
    /// so that every value has one encoding).
    pub(crate) fn varint(&mut self, what: &'static str) -> Result<u64, Error> {
        let mut value = 0u64;
        for i in 0..10 {
            let byte = self.u8(what)?;
            let bits = u64::from(byte & 0x7f);
            if i == 9 && bits > 1 {
                return Err(Error::Invalid(format!("the {what} overflows 64 bits")));
            }
            value |= bits << (7 * i);
            if byte & 0x80 == 0 {
                if i > 0 && byte == 0 {
                    return Err(Error::Invalid(format!(
                        "the {what} is not minimally encoded"
                    )));
                }
                return Ok(value);
            }
        }
        Err(Error::Invalid(format!("the {what} overflows 64 bits")))
    }

    pub(crate) fn varint_max(&mut self, max: u64, what: &'static str) -> Result<u64, Error> {
        let v = self.varint(what)?;
        if v > max {
            return Err(Error::Invalid(format!("the {what} ({v}) exceeds {max}")));
        }
        Ok(v)
    }

    pub(crate) fn bytes(&mut self, max: usize, what: &'static str) -> Result<&'a [u8], Error> {
        let len = self.varint_max(max as u64, what)? as usize;
        self.take(len, what)
    }

    pub(crate) fn string(&mut self, max: usize, what: &'static str) -> Result<String, Error> {
        let bytes = self.bytes(max, what)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| Error::Invalid(format!("the {what} is not UTF-8")))
    }

    pub(crate) fn finish(&self, what: &'static str) -> Result<(), Error> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(Error::Invalid(format!(
                "{} stray bytes follow the {what}",
                self.rest.len()
            )))
        }
    }
}
