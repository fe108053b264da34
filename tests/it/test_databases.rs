//! The suite cleans up after itself: a test that fails while its server runs leaves no
//! database behind (on PostgreSQL a database per test would pile up on every red run).

use crate::helpers::spawn_app;
use sea_orm::{ConnectionTrait, Database, DbBackend, Statement};

#[tokio::test]
async fn a_failing_test_leaves_no_database_behind() {
    let (named, name) = tokio::sync::oneshot::channel();
    let failing = tokio::spawn(async move {
        let app = spawn_app().await;
        let _ = named.send(app.database_name());
        panic!("a test fails while its server runs (this panic is expected)");
    });
    assert!(failing.await.unwrap_err().is_panic());
    let name = name.await.unwrap();
    match std::env::var("DATABASE_URL") {
        Ok(url) if url.starts_with("postgres") => {
            let admin = Database::connect(&url).await.unwrap();
            let found = admin
                .query_one_raw(Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT count(*) AS n FROM pg_database WHERE datname = $1",
                    [name.clone().into()],
                ))
                .await
                .unwrap()
                .unwrap()
                .try_get::<i64>("", "n")
                .unwrap();
            assert_eq!(found, 0, "database {name} is left behind");
        }
        _ => assert!(!std::path::Path::new(&name).exists(), "{name} is left behind"),
    }
}
