//! One simulated charger: connect (identity, subprotocol, Basic auth), typed calls checked
//! against the response schema, and raw frames for tests of bad input.

mod boot;
mod offline;
mod serving;

pub use offline::ReplayCount;

use base64::Engine;
use futures_util::{SinkExt, StreamExt};
use protocol::frame::Outgoing;
use protocol::{ActionSet, Frame, OcppRequest, OcppVersion, SchemaRegistry, decode_response, v16, v201};
use std::collections::HashMap;
use std::time::Duration;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode};
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::responder::{Effect, KeyStore};

/// What went wrong for the simulated charger.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("the CSMS refused the upgrade with HTTP {0}")]
    Refused(StatusCode),
    #[error("websocket: {0}")]
    Socket(#[from] tungstenite::Error),
    #[error("the CSMS answered with CALLERROR {code}: {description}")]
    CallError { code: String, description: String },
    #[error("the CSMS closed the connection: {0:?}")]
    Closed(Option<CloseFrame>),
    #[error("no answer within {0:?}")]
    Timeout(Duration),
    #[error("the CSMS sent something that is not OCPP: {0}")]
    Protocol(String),
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct Connect {
    /// `ws://host:port` of the CSMS's charger listener.
    pub base_url: String,
    /// The charger identity (the last path segment).
    pub id: String,
    /// Subprotocols to offer, in order.
    pub offer: Vec<String>,
    /// Basic auth password, if any.
    pub password: Option<String>,
    /// Nagle's algorithm off (TCP_NODELAY): a message sent right after another (a remote stop's
    /// answer, then the StopTransaction) does not wait for the CSMS's delayed ACK (40 ms).
    pub no_delay: bool,
}

impl Connect {
    /// A charger `id` offering one `version`, without a password.
    pub fn new(base_url: impl Into<String>, id: impl Into<String>, version: OcppVersion) -> Self {
        Connect {
            base_url: base_url.into(),
            id: id.into(),
            offer: vec![version.subprotocol().to_owned()],
            password: None,
            no_delay: false,
        }
    }

    /// The same, with a Basic auth password.
    pub fn password(mut self, password: impl Into<String>) -> Self {
        self.password = Some(password.into());
        self
    }
}

/// A simulated charger on one connection.
#[derive(Debug)]
pub struct SimCharger {
    id: String,
    version: Option<OcppVersion>,
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
    next_id: u64,
    timeout: Duration,
    keys: KeyStore,
    /// How it connected, to reconnect the same way after a reboot.
    options: Connect,
    /// Connections made (1 + reboots and reconnections).
    connections: u32,
    /// Offline: calls are queued, not sent.
    offline: bool,
    /// Frames queued while offline, in order.
    queued: std::collections::VecDeque<Queued>,
    /// 1.6 transactions started offline: the local id (negative) given to the queued messages,
    /// and the CSMS's id once the StartTransaction was replayed.
    local_transactions: HashMap<i32, Option<i32>>,
    /// Sessions begun, for unique 2.0.1 transaction ids.
    sessions: u32,
    /// Round trips of typed calls, when recorded (a fleet's latency).
    round_trips: Option<Vec<RoundTrip>>,
    /// Frames replayed and answered, added to a count shared with others when one is given.
    replays: Option<std::sync::Arc<offline::ReplayCount>>,
}

/// One answered call: when it was sent, and how long its answer took.
#[derive(Debug, Clone, Copy)]
pub struct RoundTrip {
    pub sent: tokio::time::Instant,
    pub took: Duration,
}

/// A frame kept while offline.
#[derive(Debug)]
struct Queued {
    text: String,
    /// A 1.6 StartTransaction: the local transaction id its answer replaces.
    starts: Option<i32>,
}

impl SimCharger {
    /// Opens the WebSocket.
    pub async fn connect(options: Connect) -> Result<Self, SimError> {
        let (socket, version) = Self::open(&options).await?;
        Ok(SimCharger {
            id: options.id.clone(),
            version,
            socket,
            next_id: 1,
            timeout: Duration::from_secs(10),
            keys: KeyStore::default(),
            options,
            connections: 1,
            offline: false,
            queued: Default::default(),
            local_transactions: HashMap::new(),
            sessions: 0,
            round_trips: None,
            replays: None,
        })
    }

    async fn open(
        options: &Connect,
    ) -> Result<(WebSocketStream<MaybeTlsStream<TcpStream>>, Option<OcppVersion>), SimError> {
        let url = format!("{}/ocpp/{}", options.base_url.trim_end_matches('/'), percent_encode(&options.id));
        let mut request = url.into_client_request()?;
        if !options.offer.is_empty() {
            let offer =
                HeaderValue::from_str(&options.offer.join(", ")).map_err(|e| SimError::Protocol(e.to_string()))?;
            request.headers_mut().insert("Sec-WebSocket-Protocol", offer);
        }
        if let Some(password) = &options.password {
            let credentials = base64::engine::general_purpose::STANDARD.encode(format!("{}:{password}", options.id));
            let value = HeaderValue::from_str(&format!("Basic {credentials}"))
                .map_err(|e| SimError::Protocol(e.to_string()))?;
            request.headers_mut().insert("Authorization", value);
        }
        // tungstenite's default 128 KiB buffers would cost a 10,000-charger fleet over a GB.
        let config = WebSocketConfig::default().read_buffer_size(4096).write_buffer_size(4096);
        let connecting = tokio_tungstenite::connect_async_with_config(request, Some(config), options.no_delay);
        let (socket, response) = match connecting.await {
            Ok(done) => done,
            Err(tungstenite::Error::Http(response)) => {
                return Err(SimError::Refused(response.status()));
            }
            Err(e) => return Err(e.into()),
        };
        let version = response
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok())
            .and_then(OcppVersion::from_subprotocol);
        Ok((socket, version))
    }

    /// The charger identity.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The subprotocol the CSMS chose, if any.
    pub fn version(&self) -> Option<OcppVersion> {
        self.version
    }

    /// Records the round trip of every answered typed call from now on.
    pub fn record_round_trips(&mut self) {
        self.round_trips.get_or_insert_with(Vec::new);
    }

    /// The round trips recorded since the last take.
    pub fn take_round_trips(&mut self) -> Vec<RoundTrip> {
        self.round_trips.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Counts a session begun; returns its number (1, 2, …).
    pub(crate) fn begin_session(&mut self) -> u32 {
        self.sessions += 1;
        self.sessions
    }

    /// Sends `request` and waits for its answer, checked against the response schema.
    pub async fn call<R: OcppRequest>(&mut self, request: R) -> Result<R::Response, SimError> {
        let sent = tokio::time::Instant::now();
        let answer = self.exchange(request).await;
        if let (Some(trips), Ok(_)) = (self.round_trips.as_mut(), &answer) {
            trips.push(RoundTrip { sent, took: sent.elapsed() });
        }
        answer
    }

    async fn exchange<R: OcppRequest>(&mut self, request: R) -> Result<R::Response, SimError> {
        let text = self.call_text(&request)?;
        self.exchange_text::<R>(&text).await
    }

    /// A CALL frame of `request` under the next message id.
    fn call_text<R: OcppRequest>(&mut self, request: &R) -> Result<String, SimError> {
        let id = self.next_id.to_string();
        self.next_id += 1;
        Outgoing::Call { id: &id, action: R::ACTION.as_str(), payload: request }
            .to_text()
            .map_err(|e| SimError::Protocol(e.to_string()))
    }

    /// Sends a CALL frame of `R` made by `call_text` and waits for its answer.
    async fn exchange_text<R: OcppRequest>(&mut self, text: &str) -> Result<R::Response, SimError> {
        let action = R::ACTION;
        let id = match Frame::parse(text) {
            Ok(Frame::Call(call)) => call.id.to_string(),
            _ => return Err(SimError::Protocol("not a CALL frame".into())),
        };
        self.send_text(text).await?;
        loop {
            let text = self.recv_text().await?;
            match Frame::parse(&text) {
                Ok(Frame::CallResult(result)) if result.id.as_str() == id => {
                    let response = decode_response(SchemaRegistry::global(), action, &result.payload)
                        .map_err(|e| SimError::Protocol(format!("{action} response: {}", e.description)))?;
                    return R::response_from(response)
                        .ok_or_else(|| SimError::Protocol("response of another action".into()));
                }
                Ok(Frame::CallError(error)) if error.id.as_str() == id => {
                    return Err(SimError::CallError {
                        code: error.code.into_owned(),
                        description: error.description.into_owned(),
                    });
                }
                // The CSMS may call while we wait: a charger answers it and keeps waiting.
                // (Effects wait: a charger busy with a call does not start another session.)
                Ok(Frame::Call(call)) => drop(self.answer(&call).await?),
                // An answer to another id: not this call's.
                Ok(_) => continue,
                Err(e) => return Err(SimError::Protocol(e.to_string())),
            }
        }
    }

    /// The simulated charger's configuration keys.
    pub fn keys(&self) -> &KeyStore {
        &self.keys
    }

    /// The same, to change (a charger made with other settings).
    pub fn keys_mut(&mut self) -> &mut KeyStore {
        &mut self.keys
    }

    /// Answers a call of the CSMS; returns what the charger is to do next.
    async fn answer(&mut self, call: &protocol::Call<'_>) -> Result<Option<Effect>, SimError> {
        let version = self.version.ok_or_else(|| SimError::Protocol("no OCPP version negotiated".into()))?;
        let (text, effect) = match crate::responder::answer(version, &mut self.keys, call) {
            Ok((payload, effect)) => {
                (Outgoing::CallResult { id: call.id.as_str(), payload: &payload }.to_text(), effect)
            }
            Err(error) => (Ok(Frame::CallError(error.to_call_error(call.id.clone(), version)).to_text()), None),
        };
        let text = text.map_err(|e| SimError::Protocol(e.to_string()))?;
        self.send_text(&text).await?;
        Ok(effect)
    }

    /// Sends a raw text frame.
    pub async fn send_text(&mut self, text: &str) -> Result<(), SimError> {
        self.socket.send(Message::text(text)).await?;
        Ok(())
    }

    /// Waits for the next text frame (pings are answered by the socket; a close is an error).
    pub async fn recv_text(&mut self) -> Result<String, SimError> {
        let deadline = self.timeout;
        tokio::time::timeout(deadline, async {
            loop {
                match self.socket.next().await {
                    Some(Ok(Message::Text(text))) => return Ok(text.to_string()),
                    Some(Ok(Message::Close(frame))) => return Err(SimError::Closed(frame)),
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => return Err(e.into()),
                    None => return Err(SimError::Closed(None)),
                }
            }
        })
        .await
        .map_err(|_| SimError::Timeout(deadline))?
    }

    /// Waits until the CSMS closes the connection, returning its close frame.
    pub async fn closed(&mut self) -> Result<Option<CloseFrame>, SimError> {
        loop {
            match self.recv_text().await {
                Ok(_) => continue,
                Err(SimError::Closed(frame)) => return Ok(frame),
                Err(SimError::Socket(tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed)) => {
                    return Ok(None);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Closes the connection.
    pub async fn close(mut self) -> Result<(), SimError> {
        self.socket.close(None).await?;
        Ok(())
    }
}

/// Percent-encodes a charger identity for the URL path.
fn percent_encode(id: &str) -> String {
    id.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
