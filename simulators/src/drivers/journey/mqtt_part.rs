//! A driver's order on an MQTT pile: the pile charges by itself once csms's start command
//! reaches it (its statuses move the order to CHARGING) and reports `charging/finished` at the
//! stop (which completes and bills it); the driver only asks and waits, as in the app.

use super::{Call, DriverError, Driving, PileLink, Progress};
use tokio::time::{Instant, sleep_until};

impl Driving<'_> {
    /// One whole order: create, pay, start, charging, stop, completed.
    pub(super) async fn order_on_mqtt(&mut self, progress: &mut Progress) -> Result<(), DriverError> {
        if let PileLink::Mqtt(pile) = &self.rig.cp
            && !pile.is_ready()
        {
            // Cut from the broker (it reconnects by itself): csms sees it offline and refuses.
            return Err(DriverError::Answer("mqtt pile", format!("{} is not connected to the broker", pile.code())));
        }
        let no = self.create_and_pay(progress).await?;
        self.act(Call::Start, &format!("/api/v1/orders/{no}/start"), "start").await?;
        let begun = Instant::now();
        self.wait_for(&no, "CHARGING").await?;
        self.measure(Call::Charging, begun);
        sleep_until(begun + self.plan.charge_for).await;
        self.act(Call::Stop, &format!("/api/v1/orders/{no}/stop"), "stop").await?;
        let ended = Instant::now();
        self.wait_for(&no, "COMPLETED").await?;
        self.measure(Call::Completed, ended);
        Ok(())
    }

    /// After an error: cancels an order not yet started, stops one charging and waits until it
    /// completes (the pile reports its end by itself).
    pub(super) async fn free_mqtt_again(&mut self, progress: Progress) -> Result<(), DriverError> {
        let Some(no) = progress.order_no else { return Ok(()) };
        let Some(status) = self.cancelled_or_status(&no).await? else { return Ok(()) };
        match status.as_str() {
            "CHARGING" => {
                // Refused when a stop is on its way already: the wait is what matters.
                let _ = self.rest(Call::Stop, "POST", &format!("/api/v1/orders/{no}/stop"), None, 200).await;
                self.wait_for(&no, "COMPLETED").await.map(drop)
            }
            // A start unanswered fails the order by itself (orders.start_timeout_s).
            "STARTING" => self.wait_until_ended(&no).await,
            _ => Ok(()),
        }
    }

    /// Waits until the order is over, whichever way it ended.
    async fn wait_until_ended(&mut self, no: &str) -> Result<(), DriverError> {
        match self.wait_for(no, "COMPLETED").await {
            Err(DriverError::NeverReached(_, last)) if matches!(last.as_str(), "FAILED" | "CANCELLED") => Ok(()),
            other => other,
        }
    }
}
