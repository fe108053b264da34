//! Orders' commands reach a pile however it talks: through the hub for an OCPP pile (held by
//! this node or another), through the broker for an MQTT pile. The MQTT link is set up here when
//! `mqtt.url` is set.

use super::StartupError;
use crate::cluster::Cluster;
use crate::config::MqttSettings;
use crate::config::ReservationSettings;
use crate::domain::chargers::{Chargers, PileProtocol};
use crate::domain::charging::Charging;
use crate::domain::events::DomainEvents;
use crate::domain::ids::ChargerId;
use crate::domain::nodes::Nodes;
use crate::domain::orders::Orders;
use crate::domain::orders::{ChargerCommands, CommandError, PileCapabilities, RemoteStart, RemoteStop};
use crate::domain::reservations::{HoldError, PileHold, PileHolds, Reservations};
use crate::domain::stations::Stations;
use crate::hub::{Hub, HubCommands};
use crate::kv::Kv;
use crate::mqtt::{LinkServices, MqttCommands, Publisher};
use crate::store::Store;
use futures_util::future::BoxFuture;
use rust_decimal::Decimal;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// Commands to piles, by the pile's protocol.
#[derive(Debug)]
pub(super) struct PileCommands {
    hub: Hub,
    ocpp: HubCommands,
    mqtt: Option<MqttCommands>,
    chargers: Chargers,
}

/// The commands, and the MQTT link's publisher when `mqtt.url` is set.
pub(super) fn pile_commands(
    settings: &MqttSettings,
    hub: &Hub,
    chargers: &Chargers,
    nodes: &Nodes,
    stop: &CancellationToken,
) -> Result<(std::sync::Arc<PileCommands>, Option<Publisher>), StartupError> {
    let node = hub.node().to_owned();
    let publisher = if settings.enabled() {
        let publisher = Publisher::start(settings, &node, stop.clone()).map_err(StartupError::Mqtt)?;
        tracing::info!(url = %settings.url, "mqtt: the pile link is on");
        Some(publisher)
    } else {
        None
    };
    let mqtt = publisher.clone().map(|p| MqttCommands::new(p, chargers.clone(), nodes.clone(), node));
    let commands =
        PileCommands { hub: hub.clone(), ocpp: HubCommands::new(hub.clone()), mqtt, chargers: chargers.clone() };
    Ok((std::sync::Arc::new(commands), publisher))
}

impl PileCommands {
    /// The MQTT pile `id` with its record, when it is one (an OCPP pile connected here is not
    /// read: the hub holds it).
    async fn mqtt_pile(
        &self,
        id: &ChargerId,
    ) -> Result<Option<(&MqttCommands, crate::domain::chargers::Charger)>, CommandError> {
        if self.hub.registry().is_connected(id.as_str()) {
            return Ok(None);
        }
        let found = self.chargers.find(id).await.map_err(|e| CommandError::NoAnswer(e.to_string()))?;
        match found {
            Some(pile) if pile.protocol == PileProtocol::Mqtt => match &self.mqtt {
                Some(mqtt) => Ok(Some((mqtt, pile))),
                // mqtt.url is empty: nothing can reach it.
                None => Err(CommandError::Offline),
            },
            _ => Ok(None),
        }
    }
}

impl ChargerCommands for PileCommands {
    fn capabilities(&self, charger_id: ChargerId) -> BoxFuture<'_, Result<PileCapabilities, CommandError>> {
        Box::pin(async move {
            match self.mqtt_pile(&charger_id).await? {
                // The link limits the session through the start command; every status carries
                // the state of charge.
                Some(_) => Ok(PileCapabilities { smart_charging: false, reports_soc: true }),
                None => self.ocpp.capabilities(charger_id).await,
            }
        })
    }

    fn remote_start(&self, start: RemoteStart) -> BoxFuture<'_, Result<bool, CommandError>> {
        Box::pin(async move {
            match self.mqtt_pile(&start.charger_id).await? {
                Some((mqtt, pile)) => mqtt.start(&pile, &start).await,
                None => self.ocpp.remote_start(start).await,
            }
        })
    }

    fn remote_stop(&self, stop: RemoteStop) -> BoxFuture<'_, Result<bool, CommandError>> {
        Box::pin(async move {
            match self.mqtt_pile(&stop.charger_id).await? {
                Some((mqtt, pile)) => mqtt.stop(&pile, &stop).await,
                None => self.ocpp.remote_stop(stop).await,
            }
        })
    }

    fn cost_updated(
        &self,
        charger_id: ChargerId,
        charger_transaction_id: String,
        total_cost: Decimal,
    ) -> BoxFuture<'_, Result<bool, CommandError>> {
        Box::pin(async move {
            // An MQTT pile has no display for it.
            if self.mqtt_pile(&charger_id).await?.is_some() {
                return Ok(false);
            }
            self.ocpp.cost_updated(charger_id, charger_transaction_id, total_cost).await
        })
    }
}

impl PileHolds for PileCommands {
    fn hold(&self, hold: PileHold) -> BoxFuture<'_, Result<bool, HoldError>> {
        Box::pin(async move {
            match self.mqtt_pile(&hold.charger_id).await? {
                // Held in csms: the pile is not told.
                Some(_) => Ok(true),
                None => self.ocpp.hold(hold).await,
            }
        })
    }

    fn release_hold(
        &self,
        charger_id: ChargerId,
        reservation_id: i64,
        actor: String,
    ) -> BoxFuture<'_, Result<bool, HoldError>> {
        Box::pin(async move {
            match self.mqtt_pile(&charger_id).await? {
                Some(_) => Ok(true),
                None => self.ocpp.release_hold(charger_id, reservation_id, actor).await,
            }
        })
    }
}

/// The reservations service: piles held through `commands` (ReserveNow to an OCPP pile; an MQTT
/// pile is held in csms), connectors by the orders' keys in `kv`.
pub(super) fn reservations(
    store: &Store,
    kv: &Kv,
    stations: &Stations,
    commands: &Arc<PileCommands>,
    settings: &ReservationSettings,
    events: &DomainEvents,
) -> Reservations {
    let holds: Arc<dyn PileHolds> = commands.clone();
    Reservations::new(store.clone(), kv.clone(), stations.clone(), holds, settings.clone(), events.clone())
}

/// Starts the MQTT link's consumer when `mqtt.url` is set (`publisher`).
pub(super) fn consume(
    publisher: Option<Publisher>,
    settings: &crate::config::Settings,
    (chargers, charging, orders, cluster): (&Chargers, &Charging, &Orders, &Cluster),
    stop: &CancellationToken,
) {
    let Some(publisher) = publisher else { return };
    let services = LinkServices {
        chargers: chargers.clone(),
        charging: charging.clone(),
        orders: orders.clone(),
        cluster: cluster.clone(),
        offline_after: std::time::Duration::from_secs(settings.chargers.offline_after_s),
        stop_timeout: settings.orders.stop_timeout(),
        liveness_flush: settings.ocpp.liveness_flush(),
    };
    crate::mqtt::consume(&settings.mqtt, services, publisher, stop.clone());
}
