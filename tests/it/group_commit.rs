//! Group commit: many writes share one database transaction; a failing write fails alone (its
//! batch is redone write by write), and every caller hears back only after the commit.

use crate::helpers::spawn_app;
use chrono::Utc;
use csms::domain::ids::ChargerId;
use csms::store::{StatusRecord, StoreError, Write, WriteQueue, Writes};

fn status(connector_id: i32) -> StatusRecord {
    StatusRecord {
        evse_id: 0,
        connector_id,
        status: csms::domain::chargers::ReportedStatus::Available,
        error_code: Some("NoError".into()),
        info: None,
        vendor_id: None,
        vendor_error_code: None,
        at: Utc::now(),
    }
}

#[tokio::test]
async fn a_failing_write_fails_alone_and_the_rest_of_its_batch_is_committed() {
    let app = spawn_app().await;
    app.register("CP-GC", None).await;
    let (writes, writer) = Writes::start(&app.store, &app.database_url).await.expect("the writers start");
    // Queued together, so they share batches: a status for a charger that does not exist
    // (a foreign key violation) among fifty good ones.
    let mut pending = Vec::new();
    for n in 0..50 {
        let good = writes.clone();
        pending.push(tokio::spawn(async move {
            good.write(Write::Status { charger_id: ChargerId::parse("CP-GC").unwrap(), record: status(n) }).await
        }));
        if n == 25 {
            let bad = writes.clone();
            pending.push(tokio::spawn(async move {
                bad.write(Write::Status { charger_id: ChargerId::parse("NO-SUCH-CHARGER").unwrap(), record: status(1) })
                    .await
            }));
        }
    }
    let outcomes: Vec<Result<(), StoreError>> =
        futures_util::future::join_all(pending).await.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(outcomes.iter().filter(|o| o.is_err()).count(), 1, "{outcomes:?}");
    assert_eq!(app.store.connectors("CP-GC").await.unwrap().len(), 50);
    writer.finish().await;
    app.stop().await;
}
