//! The same behaviour from both stores: in process always, and Redis when `REDIS_URL` names one
//! (with `CSMS_REQUIRE_SERVICES=1`, a run on PostgreSQL without it fails instead of skipping).

use super::*;

/// The stores to test, each with a key prefix of its own (tests share one Redis).
async fn stores() -> Vec<(Kv, String)> {
    let prefix = format!("test:{}:{}:", std::process::id(), rand_suffix());
    let mut stores = vec![(Kv::memory(), prefix.clone())];
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => match Kv::redis(&url, "csms-test:").await {
            Ok(redis) => stores.push((redis, prefix)),
            Err(e) => panic!("REDIS_URL is set but Redis is not reachable: {e}"),
        },
        // CI's SQLite run tests the in-process store alone; its PostgreSQL run must test Redis too.
        _ if std::env::var("CSMS_REQUIRE_SERVICES").as_deref() == Ok("1")
            && std::env::var("DATABASE_URL").is_ok_and(|u| u.starts_with("postgres")) =>
        {
            panic!("CSMS_REQUIRE_SERVICES=1 on PostgreSQL, but REDIS_URL is not set")
        }
        _ => {}
    }
    stores
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos())
}

#[tokio::test]
async fn a_key_is_set_once_until_it_expires() {
    for (kv, p) in stores().await {
        let key = format!("{p}lock");
        assert!(kv.set_new(&key, "a", Duration::from_millis(300)).await.unwrap(), "{kv:?}");
        assert!(!kv.set_new(&key, "b", Duration::from_millis(300)).await.unwrap(), "{kv:?}");
        assert_eq!(kv.get(&key).await.unwrap().as_deref(), Some("a"), "{kv:?}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(kv.get(&key).await.unwrap(), None, "{kv:?}");
        assert!(kv.set_new(&key, "c", Duration::from_secs(5)).await.unwrap(), "{kv:?}");
        assert!(kv.delete(&key).await.unwrap(), "{kv:?}");
        assert!(!kv.delete(&key).await.unwrap(), "{kv:?}");
    }
}

#[tokio::test]
async fn a_lock_is_released_only_by_its_holder() {
    for (kv, p) in stores().await {
        let key = format!("{p}pile");
        assert!(kv.set_new(&key, "order-1", Duration::from_secs(5)).await.unwrap());
        assert!(!kv.delete_if(&key, "order-2").await.unwrap(), "{kv:?}");
        assert!(kv.delete_if(&key, "order-1").await.unwrap(), "{kv:?}");
        assert_eq!(kv.get(&key).await.unwrap(), None);
    }
}

#[tokio::test]
async fn a_counter_counts_within_its_window_and_starts_again_after() {
    for (kv, p) in stores().await {
        let key = format!("{p}count");
        for n in 1..=3 {
            assert_eq!(kv.count(&key, Duration::from_millis(300)).await.unwrap(), n, "{kv:?}");
        }
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(kv.count(&key, Duration::from_millis(300)).await.unwrap(), 1, "{kv:?}");
    }
}

#[tokio::test]
async fn a_hundred_racing_to_set_one_key_make_one_winner() {
    for (kv, p) in stores().await {
        let key = format!("{p}race");
        let racers = (0..100).map(|n| {
            let (kv, key) = (kv.clone(), key.clone());
            tokio::spawn(async move { kv.set_new(&key, &n.to_string(), Duration::from_secs(5)).await.unwrap() })
        });
        let won = futures_util::future::join_all(racers).await.into_iter().filter(|r| matches!(r, Ok(true))).count();
        assert_eq!(won, 1, "{kv:?}");
    }
}
