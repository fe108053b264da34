//! Short-lived shared state — codes, locks, counters — in Redis when `REDIS_URL` is set, so that
//! every csms node sees the same, or in this process otherwise. Every key expires.

mod memory;

use fred::prelude::{
    Builder, ClientLike, Config, Expiration, KeysInterface, LuaInterface, Pool, ReconnectPolicy, SetOptions,
};
use memory::Memory;
use std::sync::Arc;
use std::time::Duration;

/// Connections to Redis.
const REDIS_POOL: usize = 4;
/// How long a command may wait for Redis.
const REDIS_TIMEOUT: Duration = Duration::from_secs(2);

/// Deletes a key only while it holds the given value (a lock released by its holder only).
const DELETE_IF: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

/// Counts in a window that starts with the first count, atomically.
const COUNT: &str =
    "local n = redis.call('INCR', KEYS[1]) if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return n";

/// A failure of the shared store (Redis unreachable, or a reply not understood).
#[derive(Debug, thiserror::Error)]
#[error("redis: {0}")]
pub struct KvError(#[from] fred::error::Error);

/// The shared store.
#[derive(Clone)]
pub enum Kv {
    Memory(Arc<Memory>),
    /// Redis, every key under a prefix (`redis.key_prefix`), so that one Redis can serve
    /// several deployments (or tests) apart.
    Redis(Pool, Arc<str>),
}

impl std::fmt::Debug for Kv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Kv::Memory(_) => "Kv::Memory",
            Kv::Redis(..) => "Kv::Redis",
        })
    }
}

impl Kv {
    /// In this process.
    pub fn memory() -> Self {
        Kv::Memory(Arc::new(Memory::default()))
    }

    /// Redis at `url` (`redis://host:port/db`), every key under `prefix`, connected before
    /// this returns. Reconnected by itself when Redis comes back; while it is away a command
    /// fails within `REDIS_TIMEOUT` rather than waiting for it.
    pub async fn redis(url: &str, prefix: &str) -> Result<Self, KvError> {
        let pool = Builder::from_config(Config::from_url(url)?)
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 2_000, 2))
            .with_performance_config(|p| p.default_command_timeout = REDIS_TIMEOUT)
            .build_pool(REDIS_POOL)?;
        pool.init().await?;
        Ok(Kv::Redis(pool, prefix.into()))
    }

    /// Sets `key` to `value` for `ttl` unless it is set; whether it was.
    pub async fn set_new(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, KvError> {
        match self {
            Kv::Memory(m) => Ok(m.set_new(key, value, ttl)),
            Kv::Redis(r, prefix) => {
                let key = format!("{prefix}{key}");
                let set: Option<String> = r.set(key, value, Some(px(ttl)), Some(SetOptions::NX), false).await?;
                Ok(set.is_some())
            }
        }
    }

    /// Sets `key` to `value` for `ttl`, whatever it held.
    pub async fn set(&self, key: &str, value: &str, ttl: Duration) -> Result<(), KvError> {
        match self {
            Kv::Memory(m) => {
                m.set(key, value, ttl);
                Ok(())
            }
            Kv::Redis(r, prefix) => {
                Ok(r.set::<(), _, _>(format!("{prefix}{key}"), value, Some(px(ttl)), None, false).await?)
            }
        }
    }

    /// Whether the store answers: Redis's `PING` (in process: always). `None` in process.
    pub async fn ping(&self) -> Option<Result<(), KvError>> {
        match self {
            Kv::Memory(_) => None,
            Kv::Redis(r, _) => Some(r.ping::<String>(None).await.map(drop).map_err(KvError::from)),
        }
    }

    pub async fn get(&self, key: &str) -> Result<Option<String>, KvError> {
        match self {
            Kv::Memory(m) => Ok(m.get(key)),
            Kv::Redis(r, prefix) => Ok(r.get(format!("{prefix}{key}")).await?),
        }
    }

    /// Removes `key`; whether it was there.
    pub async fn delete(&self, key: &str) -> Result<bool, KvError> {
        match self {
            Kv::Memory(m) => Ok(m.delete(key, None)),
            Kv::Redis(r, prefix) => Ok(r.del::<i64, _>(format!("{prefix}{key}")).await? > 0),
        }
    }

    /// Removes `key` if it holds `value`; whether it did.
    pub async fn delete_if(&self, key: &str, value: &str) -> Result<bool, KvError> {
        match self {
            Kv::Memory(m) => Ok(m.delete(key, Some(value))),
            Kv::Redis(r, prefix) => {
                Ok(r.eval::<i64, _, _, _>(DELETE_IF, vec![format!("{prefix}{key}")], vec![value]).await? > 0)
            }
        }
    }

    /// Adds one to the counter `key`, which starts at 0 and lasts `window` from its first
    /// count; the new count.
    pub async fn count(&self, key: &str, window: Duration) -> Result<i64, KvError> {
        match self {
            Kv::Memory(m) => Ok(m.count(key, window)),
            Kv::Redis(r, prefix) => {
                Ok(r.eval::<i64, _, _, _>(COUNT, vec![format!("{prefix}{key}")], vec![millis(window)]).await?)
            }
        }
    }
}

fn millis(ttl: Duration) -> i64 {
    i64::try_from(ttl.as_millis()).unwrap_or(i64::MAX).max(1)
}

fn px(ttl: Duration) -> Expiration {
    Expiration::PX(millis(ttl))
}

#[cfg(test)]
mod tests;
