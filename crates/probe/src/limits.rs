//! Global request-rate limit and per-host connection limit.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

/// A global pacing limiter: at most `rate` acquisitions per second, evenly spaced (no bursts).
pub struct RateLimiter {
    interval: Option<Duration>,
    next: Mutex<Instant>,
}

impl RateLimiter {
    /// `rate` per second; `0` or less means unlimited.
    pub fn new(rate: f64) -> Self {
        let interval =
            (rate > 0.0 && rate.is_finite()).then(|| Duration::from_secs_f64(1.0 / rate));
        Self {
            interval,
            next: Mutex::new(Instant::now()),
        }
    }

    /// Wait for the next slot.
    pub async fn acquire(&self) {
        let Some(iv) = self.interval else { return };
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let slot = if *next > now { *next } else { now };
            *next = slot + iv;
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

/// Limits simultaneous connections per IP address. Entries are dropped when unused, so memory
/// stays bounded by the number of hosts being probed at once.
pub struct PerHostLimiter {
    per_host: usize,
    map: Mutex<HashMap<IpAddr, Arc<Semaphore>>>,
}

/// Held while a connection to a host is open.
pub struct HostPermit<'a> {
    limiter: &'a PerHostLimiter,
    ip: IpAddr,
    sem: Arc<Semaphore>,
    permit: Option<OwnedSemaphorePermit>,
}

impl PerHostLimiter {
    /// At most `per_host` (minimum 1) connections per address.
    pub fn new(per_host: usize) -> Self {
        Self {
            per_host: per_host.max(1),
            map: Mutex::new(HashMap::new()),
        }
    }

    /// Wait for a connection slot on `ip`.
    pub async fn acquire(&self, ip: IpAddr) -> HostPermit<'_> {
        let sem = {
            let mut m = self.map.lock().unwrap_or_else(|p| p.into_inner());
            m.entry(ip)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        let permit = sem.clone().acquire_owned().await.ok();
        HostPermit {
            limiter: self,
            ip,
            sem,
            permit,
        }
    }

    /// Hosts currently tracked (for tests).
    pub fn tracked(&self) -> usize {
        self.map.lock().map(|m| m.len()).unwrap_or(0)
    }
}

impl Drop for HostPermit<'_> {
    fn drop(&mut self) {
        self.permit.take();
        let mut m = self.limiter.map.lock().unwrap_or_else(|p| p.into_inner());
        // The map and this permit hold the only references: nobody else is using or waiting on it.
        if Arc::strong_count(&self.sem) == 2 {
            m.remove(&self.ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn per_host_entries_are_released() {
        let l = PerHostLimiter::new(2);
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        {
            let _a = l.acquire(ip).await;
            let _b = l.acquire(ip).await;
            assert_eq!(l.tracked(), 1);
            assert!(
                tokio::time::timeout(Duration::from_millis(50), l.acquire(ip))
                    .await
                    .is_err()
            );
        }
        assert_eq!(l.tracked(), 0);
    }

    #[tokio::test]
    async fn rate_limiter_paces() {
        let r = RateLimiter::new(100.0);
        let t = Instant::now();
        for _ in 0..11 {
            r.acquire().await;
        }
        assert!(t.elapsed() >= Duration::from_millis(95));
    }
}
