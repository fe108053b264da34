//! Real orders for a status load: each load pile is registered at a station over csms's REST
//! API, brought online by its heartbeat, and a driver of its own (signed up by SMS code, money
//! on the balance) creates, pays and starts an order on it; the pile takes the order number
//! from csms's start command, and its status messages are then ones csms stores, as a charging
//! pile's are.

use super::MqttPile;
use super::payload::{ChargingStatus, Command, Heartbeat, PileStatus, Timestamp, kwh3};
use crate::drivers::setup::{Waiters, credit, expect, gateway, sign_up};
use crate::http::Pool;
use serde_json::json;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio::time::Instant;

/// Where the orders come from: csms's REST API, with an operator's token.
#[derive(Debug, Clone)]
pub struct LoadOrders {
    /// The REST API (host:port).
    pub api: SocketAddr,
    /// The operator token.
    pub token: String,
    /// Where the simulator serves the SMS gateway csms texts sign-up codes to.
    pub sms_listen: SocketAddr,
    /// The station the piles are registered at.
    pub station: String,
    /// Drivers' phones are `phone_base + n`.
    pub phone_base: u64,
    /// Pile setups under way at once.
    pub concurrency: usize,
}

/// What every pile's setup shares: the API's connections, the SMS gateway's waiters, the pace.
pub(super) struct Setup {
    orders: LoadOrders,
    api: Pool,
    waiters: Waiters,
    permits: Semaphore,
}

impl Setup {
    /// Serves the SMS gateway and makes the station with its tariff.
    pub(super) async fn prepare(orders: &LoadOrders) -> Result<Arc<Setup>, String> {
        let (waiters, _) = gateway(orders.sms_listen).await.map_err(|e| e.to_string())?;
        let api = Pool::new(orders.api, orders.concurrency.max(1) * 2);
        let station = json!({
            "code": orders.station, "name": format!("Station {}", orders.station), "province": "Shanghai",
            "city": "Shanghai", "district": "Huangpu", "address": "Renmin Avenue", "lng": 121.4737, "lat": 31.2304,
        });
        let token = Some(orders.token.as_str());
        expect(&api, "station", "POST", "/api/v1/stations", token, Some(&station), &[201, 409])
            .await
            .map_err(|e| e.to_string())?;
        let tariff = json!({"periods": [
            {"start": "00:00", "end": "11:00", "energyPrice": "0.50", "serviceFee": "0.30", "name": "flat"},
            {"start": "11:00", "end": "00:00", "energyPrice": "1.00", "serviceFee": "0.50", "name": "peak"}]});
        let path = format!("/api/v1/stations/{}/tariff", orders.station);
        expect(&api, "tariff", "PUT", &path, token, Some(&tariff), &[200]).await.map_err(|e| e.to_string())?;
        let permits = Semaphore::new(orders.concurrency.max(1));
        Ok(Arc::new(Setup { orders: orders.clone(), api, waiters, permits }))
    }

    /// Registers pile `n`, brings it online, and starts an order of its driver's on it: the
    /// order's number, as the pile's start command gave it.
    pub(super) async fn order_on(&self, pile: &mut MqttPile, n: usize) -> Result<String, String> {
        let _permit = self.permits.acquire().await.map_err(|e| e.to_string())?;
        let (api, token, code) = (&self.api, Some(self.orders.token.as_str()), pile.code().to_owned());
        let fail = |e: crate::drivers::SetupError| format!("{code}: {e}");
        let body = json!({"code": code, "name": format!("Load pile {n}"), "stationCode": self.orders.station,
            "type": "AC", "maxPowerKw": 7, "protocol": "mqtt"});
        expect(api, "pile", "POST", "/api/v1/piles", token, Some(&body), &[201, 409]).await.map_err(fail)?;
        self.online(pile).await?;
        let phone = (self.orders.phone_base + n as u64).to_string();
        let driver = sign_up(api, &self.waiters, &phone).await.map_err(fail)?;
        credit(api, &self.orders.token, driver.user_id, "1000.00").await.map_err(fail)?;
        let me = Some(driver.token.as_str());
        let ask = json!({"pileCode": code, "connectorId": 1, "payMode": "prepaid", "prepayAmount": "500.00"});
        let created = expect(api, "order", "POST", "/api/v1/orders", me, Some(&ask), &[201]).await.map_err(fail)?;
        let no = created["orderNo"].as_str().ok_or_else(|| format!("{code}: no order number in {created}"))?;
        let pay = json!({"orderNo": no, "method": "balance"});
        expect(api, "pay", "POST", "/api/v1/payments", me, Some(&pay), &[201]).await.map_err(fail)?;
        let path = format!("/api/v1/orders/{no}/start");
        expect(api, "start", "POST", &path, me, None, &[200]).await.map_err(fail)?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while let Some(left) = deadline.checked_duration_since(Instant::now()) {
            let Some(command) = pile.next_command(left).await else { break };
            if let Ok(Command::Start(start)) = command.parsed
                && start.order_no == no
            {
                // Charging at once, as a pile says: the order is not left starting.
                let first = pile.publish_status(&first_status(&code, no)).await;
                first.map_err(|e| format!("{code}: {e}"))?;
                return Ok(start.order_no);
            }
        }
        Err(format!("{code}: no start command for {no} within 10 s"))
    }

    /// Heartbeats (idle) until csms shows the pile online and free.
    async fn online(&self, pile: &MqttPile) -> Result<(), String> {
        let (code, token) = (pile.code().to_owned(), Some(self.orders.token.as_str()));
        let path = format!("/api/v1/piles/{code}");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            pile.publish_heartbeat(&idle(&code)).await.map_err(|e| format!("{code}: {e}"))?;
            tokio::time::sleep(Duration::from_millis(200)).await;
            let found = expect(&self.api, "pile online", "GET", &path, token, None, &[200]).await;
            let found = found.map_err(|e| format!("{code}: {e}"))?;
            if found["online"] == true && found["connectors"][0]["status"] == "Available" {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{code}: not online and free within 10 s: {found}"));
            }
        }
    }
}

/// The heartbeat of an idle pile.
fn idle(code: &str) -> Heartbeat {
    Heartbeat {
        pile_code: code.to_owned(),
        connector_id: 1,
        status: PileStatus::Idle.into(),
        voltage: 220.0,
        current: 0.0,
        power: 0.0,
        temperature: 30.0,
        timestamp: Timestamp::now(),
    }
}

/// The first status of order `order_no`: nothing delivered yet, from 20 %.
fn first_status(code: &str, order_no: &str) -> ChargingStatus {
    ChargingStatus {
        pile_code: code.to_owned(),
        connector_id: 1,
        order_no: order_no.to_owned(),
        current_power: 7.0,
        total_power: kwh3(0.0),
        total_time: 0,
        soc: 20,
        timestamp: Timestamp::now(),
    }
}
