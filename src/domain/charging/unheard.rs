//! A session whose end csms will not hear: its pile went offline while charging, or did not
//! answer a stop with its end in time (an MQTT pile's `charging/finished`). It is closed as stale
//! at its last energy reading, the anomaly is noted for the operator, and its order completes
//! from it; an end that comes later still replaces the guess, and the order is billed again.

use super::Charging;
use super::events::ChargingEvent;
use super::lifecycle::{self, TransactionState};
use super::recording::energy_wh;
use super::transactions::ACTIVE;
use crate::domain::ids::ChargerId;
use crate::domain::storage::StoreError;
use chrono::Utc;

impl Charging {
    /// Closes `charger_id`'s open transaction called `charger_transaction_id` as stale, at its
    /// last energy reading (`why` is noted with it); answers its id, or none when it is not open.
    pub async fn close_unheard(
        &self,
        charger_id: &ChargerId,
        charger_transaction_id: &str,
        why: &str,
    ) -> Result<Option<i64>, StoreError> {
        let mut work = self.store.begin_recording().await?;
        let Some(open) = work.transaction_called(charger_id, charger_transaction_id).await? else {
            work.commit().await?;
            return Ok(None);
        };
        if open.status != ACTIVE {
            work.commit().await?;
            return Ok(None);
        }
        let reading = work.reading(open.id, true, energy_wh).await?;
        let closed = lifecycle::close_stale(&TransactionState::from(&open), reading, Utc::now());
        work.save(open.id, &closed).await?;
        let payload = serde_json::json!({
            "transactionId": charger_transaction_id,
            "why": why,
            "closedAt": closed.stopped_at,
            "meterStopWh": closed.meter_stop_wh.map(|wh| wh.get()),
        });
        work.note(charger_id, "SessionClosedUnheard", payload).await?;
        work.commit().await?;
        tracing::warn!(charger = %charger_id, transaction = charger_transaction_id, why, "a session was closed without its end");
        self.live.ended(charger_id, open.id);
        self.live.idle(charger_id, (open.evse_id, open.connector_id), Utc::now());
        self.monitor.ended(charger_id, (open.evse_id, open.connector_id), Utc::now());
        self.events.publish(ChargingEvent::Ended { transaction_id: open.id, charger_id: charger_id.clone() });
        Ok(Some(open.id))
    }
}
