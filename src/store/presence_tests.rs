//! Presence against a real SQLite file: a connection with a newer epoch holds a charger, and the
//! node it left — writing its older presence late, or its disconnection — changes nothing.
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use super::*;
use crate::store::test_store::store;

fn on(node: &str, token: &str, epoch: i64) -> Presence {
    Presence { token: token.into(), node: node.into(), epoch, version: "1.6".into() }
}

async fn holder(store: &Store) -> (Option<String>, Option<String>, i64) {
    let row = store.charger("CP-1").await.unwrap().unwrap();
    (row.online_node, row.online_session, row.online_epoch)
}

#[tokio::test]
async fn a_stale_owner_never_overwrites_a_newer_epoch_nor_clears_it() {
    let (_dir, store) = store().await;
    let now = Utc::now();
    record_online_on(store.db(), "CP-1", &on("a", "old", 5), now).await.unwrap();
    // The charger reconnects to node b: a newer epoch takes over.
    record_online_on(store.db(), "CP-1", &on("b", "new", 9), now).await.unwrap();
    assert_eq!(holder(&store).await, (Some("b".into()), Some("new".into()), 9));
    // Node a, late, writes its connection again and then ends it: b still holds the charger.
    record_online_on(store.db(), "CP-1", &on("a", "old", 5), now).await.unwrap();
    record_offline_on(store.db(), "CP-1", "old").await.unwrap();
    assert_eq!(holder(&store).await, (Some("b".into()), Some("new".into()), 9));
    // The same connection may write itself again; its own end clears it.
    record_online_on(store.db(), "CP-1", &on("b", "new", 9), now).await.unwrap();
    record_offline_on(store.db(), "CP-1", "new").await.unwrap();
    assert_eq!(holder(&store).await, (None, None, 9));
}
