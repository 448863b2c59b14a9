//! A byte-rate limiter shared by every connection of a pool, so the limit
//! holds for the job as a whole.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Paces writes to at most `bytes_per_sec` (a virtual-time scheduler: each
/// chunk books the next free slot and sleeps until it starts).
#[derive(Debug)]
pub struct RateLimiter {
    bytes_per_sec: u64,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    pub fn new(bytes_per_sec: u64) -> Self {
        RateLimiter {
            bytes_per_sec: bytes_per_sec.max(1),
            next: Mutex::new(None),
        }
    }

    /// Waits until `bytes` may be sent.
    pub async fn acquire(&self, bytes: u64) {
        let cost = Duration::from_secs_f64(bytes as f64 / self.bytes_per_sec as f64);
        let start = {
            let now = Instant::now();
            let mut next = match self.next.lock() {
                Ok(g) => g,
                Err(poisoned) => poisoned.into_inner(),
            };
            // Idle time banks at most one second of credit.
            let floor = now.checked_sub(Duration::from_secs(1)).unwrap_or(now);
            let start = next.map_or(now, |n| n.max(floor));
            *next = Some(start + cost);
            start
        };
        tokio::time::sleep_until(start).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn paces_bytes() {
        let l = RateLimiter::new(1_000_000);
        let t = Instant::now();
        for _ in 0..10 {
            l.acquire(100_000).await;
        }
        // 1 MB at 1 MB/s: the last chunk starts 0.9 s in.
        assert!(
            t.elapsed() >= Duration::from_millis(850),
            "{:?}",
            t.elapsed()
        );
    }
}
