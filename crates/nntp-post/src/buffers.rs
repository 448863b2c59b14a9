//! Recycled article-body buffers for [`ArticleBuilder::yenc_part`]: a body
//! encoded into a [`PooledBuffer`] goes back to its [`BufferPool`] when the
//! poster drops the last clone of the article, so a long job encodes every
//! article into memory that is already allocated and mapped instead of
//! faulting in fresh pages (or copying) for each one.
//!
//! [`ArticleBuilder::yenc_part`]: crate::ArticleBuilder::yenc_part

use std::sync::{Arc, Mutex};

/// Free buffers kept at most; more in flight than this are freed on return.
/// The poster's queue bounds how many articles are alive at once, so in
/// practice the pool holds that many and no more.
const MAX_FREE: usize = 64;

/// A shared free list of body buffers. Cloning shares the list.
#[derive(Clone, Default)]
pub struct BufferPool {
    free: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl BufferPool {
    /// An empty pool.
    pub fn new() -> BufferPool {
        BufferPool::default()
    }

    /// A buffer of exactly `len` bytes (contents unspecified), recycled when
    /// one is free.
    pub fn take(&self, len: usize) -> PooledBuffer {
        let mut buf = self
            .free
            .lock()
            .ok()
            .and_then(|mut free| free.pop())
            .unwrap_or_default();
        buf.resize(len, 0);
        PooledBuffer {
            buf,
            pool: self.clone(),
        }
    }

    /// Buffers waiting in the pool.
    pub fn free(&self) -> usize {
        self.free.lock().map(|f| f.len()).unwrap_or(0)
    }
}

/// A buffer on loan from a [`BufferPool`]; it goes back on drop.
pub struct PooledBuffer {
    buf: Vec<u8>,
    pool: BufferPool,
}

impl AsRef<[u8]> for PooledBuffer {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl AsMut<[u8]> for PooledBuffer {
    fn as_mut(&mut self) -> &mut [u8] {
        &mut self.buf
    }
}

impl Drop for PooledBuffer {
    fn drop(&mut self) {
        if let Ok(mut free) = self.pool.free.lock()
            && free.len() < MAX_FREE
        {
            free.push(std::mem::take(&mut self.buf));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_come_back_and_are_reused() {
        let pool = BufferPool::new();
        let mut a = pool.take(100);
        a.as_mut()[0] = 7;
        let ptr = a.as_ref().as_ptr();
        assert_eq!(pool.free(), 0);
        drop(a);
        assert_eq!(pool.free(), 1);
        let b = pool.take(50);
        assert_eq!((b.as_ref().len(), b.as_ref().as_ptr()), (50, ptr));
        assert_eq!(pool.free(), 0);
    }

    #[test]
    fn the_free_list_is_bounded() {
        let pool = BufferPool::new();
        let loans: Vec<_> = (0..MAX_FREE + 10).map(|_| pool.take(8)).collect();
        drop(loans);
        assert_eq!(pool.free(), MAX_FREE);
    }
}
