//! `MqttPile`: one simulated MQTT pile — connect (client id, credentials, last will, TLS), its
//! automatic behaviour running on its own, and the manual controls tests use to play field
//! faults (raw publishes, exact messages, a mute uplink, an abrupt death).

use super::brain::{self, PileState, lock};
use super::link::{self, Link};
use super::payload::{
    ChargingFinished, ChargingStatus, Heartbeat, ReceivedCommand, Will, command_topic, finished_topic, heartbeat_topic,
    status_topic,
};
use super::{BrokerUrl, MqttSimError, PileConfig, SessionView};
use rumqttc::{AsyncClient, LastWill, MqttOptions, QoS, TlsConfiguration, Transport};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Requests rumqttc holds before the event loop takes them.
const REQUEST_CAPACITY: usize = 256;
/// Commands kept for [`MqttPile::commands`] before new ones are dropped.
const COMMAND_CAPACITY: usize = 1024;

/// What a pile counted on its connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PileCounters {
    /// PUBLISH packets written to the broker.
    pub published: u64,
    /// PUBACKs received.
    pub acked: u64,
    /// Publishes lost with a connection, or refused because the queue was full.
    pub lost: u64,
    /// Messages received on the command topic.
    pub commands: u64,
    /// Connections established again after a loss.
    pub reconnects: u64,
}

/// A simulated MQTT pile, connected. Dropping it kills its connection abruptly (no DISCONNECT:
/// the broker publishes its will); [`MqttPile::close`] disconnects cleanly.
#[derive(Debug)]
pub struct MqttPile {
    code: String,
    link: Link,
    state: Arc<Mutex<PileState>>,
    wake: Arc<Notify>,
    commands: mpsc::Receiver<ReceivedCommand>,
    link_task: JoinHandle<()>,
    brain_task: JoinHandle<()>,
    ack_timeout: Duration,
}

impl MqttPile {
    /// Connects to the broker (client id `pile-{code}`, user name the code, clean session, its
    /// last will), subscribes to its command topic, and starts behaving: the first heartbeat
    /// goes at once. Fails if the first connection or subscription does.
    pub async fn connect(config: PileConfig) -> Result<MqttPile, MqttSimError> {
        let options = options(&config)?;
        let (client, eventloop) = AsyncClient::new(options, REQUEST_CAPACITY);
        let (to_brain, from_link) = mpsc::unbounded_channel();
        let (mut link, link_task) = link::spawn(client, eventloop, command_topic(&config.pile_code), to_brain);
        if let Err(error) = link.first_connection(config.connect_timeout).await {
            link_task.abort();
            return Err(error);
        }
        let state = Arc::new(Mutex::new(PileState::new(&config)));
        let wake = Arc::new(Notify::new());
        let (to_owner, commands) = mpsc::channel(COMMAND_CAPACITY);
        let brain_task = tokio::spawn(brain::run(
            state.clone(),
            link.clone(),
            config.heartbeat_interval,
            wake.clone(),
            from_link,
            to_owner,
        ));
        Ok(MqttPile {
            code: config.pile_code,
            link,
            state,
            wake,
            commands,
            link_task,
            brain_task,
            ack_timeout: config.ack_timeout,
        })
    }

    /// The pile's code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// Publishes `payload` on `topic` at QoS 1, exactly as given, and waits for the PUBACK:
    /// how long it took.
    pub async fn publish_raw(&self, topic: &str, payload: impl Into<Vec<u8>>) -> Result<Duration, MqttSimError> {
        self.link.publish(topic, payload.into(), self.ack_timeout).await
    }

    /// Publishes `message` as JSON on `topic` and waits for the PUBACK.
    async fn publish_json(&self, topic: &str, message: &impl serde::Serialize) -> Result<Duration, MqttSimError> {
        self.publish_raw(topic, serde_json::to_vec(message)?).await
    }

    /// Publishes this heartbeat (on this pile's heartbeat topic) and waits for the PUBACK.
    pub async fn publish_heartbeat(&self, heartbeat: &Heartbeat) -> Result<Duration, MqttSimError> {
        self.publish_json(&heartbeat_topic(&self.code), heartbeat).await
    }

    /// Publishes this charging/status and waits for the PUBACK.
    pub async fn publish_status(&self, status: &ChargingStatus) -> Result<Duration, MqttSimError> {
        self.publish_json(&status_topic(&self.code), status).await
    }

    /// Publishes this charging/finished and waits for the PUBACK.
    pub async fn publish_finished(&self, finished: &ChargingFinished) -> Result<Duration, MqttSimError> {
        self.publish_json(&finished_topic(&self.code), finished).await
    }

    /// Each connector's heartbeat as of now, as the pile would send it.
    pub fn heartbeats(&self) -> Vec<Heartbeat> {
        let mut state = lock(&self.state);
        state.advance_views(Instant::now());
        state.ids().map(|id| state.heartbeat(id)).collect()
    }

    /// Each running session's charging/status as of now, as the pile would send it.
    pub fn statuses(&self) -> Vec<ChargingStatus> {
        let mut state = lock(&self.state);
        state.advance_views(Instant::now());
        state.statuses()
    }

    /// Publishes every connector's heartbeat now (paused or not) and waits for the PUBACKs.
    pub async fn heartbeat_now(&self) -> Result<(), MqttSimError> {
        for heartbeat in self.heartbeats() {
            self.publish_heartbeat(&heartbeat).await?;
        }
        Ok(())
    }

    /// Publishes every running session's charging/status now (paused or not) and waits for the
    /// PUBACKs. Returns what was sent.
    pub async fn status_now(&self) -> Result<Vec<ChargingStatus>, MqttSimError> {
        let statuses = self.statuses();
        for status in &statuses {
            self.publish_status(status).await?;
        }
        Ok(statuses)
    }

    /// Pauses (or resumes) automatic publishing: paused, the pile sends nothing by itself, as
    /// if its uplink were mute, while its sessions go on charging and commands still act on
    /// them; a session's finished message is kept and sent on resuming (see
    /// [`MqttPile::take_held_finished`]).
    pub fn set_paused(&self, paused: bool) {
        lock(&self.state).paused = paused;
        self.wake.notify_one();
    }

    /// The finished messages the pile holds to send later (paused, or disconnected), taken
    /// away: it will not send them.
    pub fn take_held_finished(&self) -> Vec<ChargingFinished> {
        std::mem::take(&mut lock(&self.state).backlog)
    }

    /// The temperature the heartbeats report from now on (°C); a heartbeat goes at once.
    pub fn set_temperature(&self, celsius: f64) {
        lock(&self.state).temperature = celsius;
        self.wake.notify_one();
    }

    /// Puts the pile in fault (status 3: running sessions end with stopReason 3, starts are
    /// ignored) or out of it; a heartbeat goes at once.
    pub fn set_fault(&self, fault: bool) {
        lock(&self.state).fault = fault;
        self.wake.notify_one();
    }

    /// Every command received, in order (parsed, and raw). The pile has acted on each already.
    pub fn commands(&mut self) -> &mut mpsc::Receiver<ReceivedCommand> {
        &mut self.commands
    }

    /// The next command received, if one comes within `within`.
    pub async fn next_command(&mut self, within: Duration) -> Option<ReceivedCommand> {
        tokio::time::timeout(within, self.commands.recv()).await.ok().flatten()
    }

    /// The running session of connector 1 (or the first running one), if any.
    pub fn session(&self) -> Option<SessionView> {
        self.sessions().into_iter().min_by_key(|s| s.connector_id)
    }

    /// Every running session, as of now.
    pub fn sessions(&self) -> Vec<SessionView> {
        let mut state = lock(&self.state);
        state.advance_views(Instant::now());
        state.connectors.iter().filter_map(|c| c.charge.as_ref().map(|c| c.view())).collect()
    }

    /// Whether connected and subscribed now.
    pub fn is_ready(&self) -> bool {
        self.link.ready()
    }

    /// What the pile counted so far.
    pub fn counters(&self) -> PileCounters {
        let c = &self.link.counters;
        PileCounters {
            published: c.published.load(Ordering::Relaxed),
            acked: c.acked.load(Ordering::Relaxed),
            lost: c.lost.load(Ordering::Relaxed),
            commands: c.commands.load(Ordering::Relaxed),
            reconnects: c.reconnects.load(Ordering::Relaxed),
        }
    }

    /// Drops the connection without DISCONNECT (the task owning it is aborted, its socket
    /// closed): the broker publishes the pile's will.
    pub fn disconnect_abruptly(&self) {
        self.brain_task.abort();
        self.link_task.abort();
        self.link.abandon();
    }

    /// Disconnects cleanly (DISCONNECT: no will) and waits, a few seconds at most, for the
    /// connection to end.
    pub async fn close(mut self) -> Result<(), MqttSimError> {
        self.brain_task.abort();
        let sent = self.link.disconnect().await;
        if tokio::time::timeout(Duration::from_secs(5), &mut self.link_task).await.is_err() {
            self.link_task.abort();
        }
        sent
    }
}

impl Drop for MqttPile {
    fn drop(&mut self) {
        self.brain_task.abort();
        self.link_task.abort();
    }
}

/// rumqttc's options for `config`.
fn options(config: &PileConfig) -> Result<MqttOptions, MqttSimError> {
    let broker = BrokerUrl::parse(&config.url)?;
    let code = &config.pile_code;
    let mut options = MqttOptions::new(format!("pile-{code}"), broker.host, broker.port);
    options
        .set_keep_alive(config.keep_alive)
        .set_clean_session(true)
        .set_credentials(code.as_str(), config.password.clone().unwrap_or_default())
        .set_last_will(LastWill::new(
            heartbeat_topic(code),
            serde_json::to_vec(&Will::offline(code))?,
            QoS::AtLeastOnce,
            false,
        ));
    if broker.tls {
        // One crypto provider for the process (see DESIGN.md): ring, unless one is installed.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let tls = match &config.ca_file {
            Some(path) => {
                let ca = std::fs::read(path).map_err(|source| MqttSimError::CaFile { path: path.clone(), source })?;
                TlsConfiguration::Simple { ca, alpn: None, client_auth: None }
            }
            // The system's roots (rustls-native-certs, as rumqttc loads them).
            None => TlsConfiguration::default(),
        };
        options.set_transport(Transport::tls_with_config(tls));
    }
    Ok(options)
}
