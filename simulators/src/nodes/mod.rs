//! Fleets for several csms nodes: `hold` keeps chargers connected and follows them from node to
//! node (a failover's time, a rebalancing's spread); `commands` measures operator commands sent
//! through the node holding a charger and through the others.

pub mod commands;
pub mod hold;

use crate::SimError;
use std::net::SocketAddr;

/// Registers chargers `<prefix>0 ..` over `api` (`concurrency` at a time), each with `password`
/// when one is given; chargers already there are kept.
pub async fn register(
    api: SocketAddr,
    token: &str,
    prefix: &str,
    count: usize,
    password: Option<&str>,
    concurrency: usize,
) -> Result<(), SimError> {
    use futures_util::{StreamExt, TryStreamExt};
    futures_util::stream::iter(0..count)
        .map(|n| async move {
            let id = format!("{prefix}{n}");
            let mut body = serde_json::json!({"id": id});
            if let Some(password) = password {
                body["password"] = password.into();
            }
            let (status, answer) = crate::http::request(api, "POST", "/api/v1/chargers", Some(token), Some(&body))
                .await
                .map_err(|e| SimError::Protocol(format!("registering {id}: {e}")))?;
            match status {
                201 | 409 => Ok(()),
                _ => Err(SimError::Protocol(format!("registering {id}: HTTP {status} {answer}"))),
            }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect::<Vec<()>>()
        .await
        .map(drop)
}
