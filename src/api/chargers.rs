//! `/api/v1/chargers`: register and read chargers (the list paged), and send them any CSMS-initiated action of
//! their OCPP version (`POST /api/v1/chargers/{id}/commands/{Action}`), checked against the
//! action's schema first and written to the operation log with its outcome.

use super::auth::Operator;
use super::paging::{Page, Paging};
use super::{ApiError, ApiState};
use crate::domain::chargers::records::Registration;
use crate::domain::chargers::{Charger, ChargerChange, Connector, NewCharger, OperationRecord};
use crate::domain::charging::live::ConnectorLiveView;
use crate::domain::ids::ChargerId;
use crate::hub::{CallFailure, Routed};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use protocol::{ActionSet, MessageKind, Node, OcppVersion, Role, SchemaRegistry, v16, v201};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Instant;

pub(super) fn router() -> Router<ApiState> {
    Router::new()
        .route("/api/v1/chargers", get(list).post(create))
        .route("/api/v1/chargers/{id}", get(detail).patch(change))
        .route("/api/v1/chargers/{id}/commands/{action}", post(command))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(list, create, detail, change, command))]
pub(super) struct Doc;

/// A charger as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
struct ChargerView {
    id: String,
    registration: String,
    online: bool,
    ocpp_version: Option<String>,
    vendor: Option<String>,
    model: Option<String>,
    serial_number: Option<String>,
    firmware_version: Option<String>,
    iccid: Option<String>,
    imsi: Option<String>,
    last_boot_at: Option<DateTime<Utc>>,
    last_seen_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    connectors: Option<Vec<ConnectorView>>,
    /// Per connector that reported readings: the newest of each and the transaction in progress.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Vec<super::schemas::ConnectorLiveView>>)]
    live: Option<Vec<ConnectorLiveView>>,
}

/// A connector as its charger last reported it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[schema(as = ChargerConnectorView)]
#[serde(rename_all = "camelCase")]
struct ConnectorView {
    evse_id: i32,
    connector_id: i32,
    status: String,
    error_code: Option<String>,
    info: Option<String>,
    vendor_error_code: Option<String>,
    status_at: DateTime<Utc>,
}

fn view(state: &ApiState, c: Charger, connectors: Option<Vec<Connector>>) -> ChargerView {
    // A charger connected here: its liveness is in memory (the database copy is a few seconds
    // behind). Elsewhere: presence, as every reader judges it.
    let session = state.hub.registry().get(&c.id);
    let live = connectors.is_some().then(|| state.hub.live().of(&c.id));
    // This node knows its own chargers best: one it recorded but no longer holds just left.
    let here = c.online_node.as_deref() == Some(state.hub.node());
    let online = session.is_some() || (!here && state.chargers.online(&c, state.cluster.nodes()));
    ChargerView {
        live,
        online,
        last_seen_at: session.as_ref().map(|s| s.last_seen()).or(c.last_seen_at),
        id: c.id.into_string(),
        registration: c.registration.as_str().to_owned(),
        // The version a connected charger speaks now; else the one of its last boot.
        ocpp_version: session.as_ref().map(|s| s.version().to_string()).or(c.ocpp_version),
        vendor: c.vendor,
        model: c.model,
        serial_number: c.serial_number,
        firmware_version: c.firmware_version,
        iccid: c.iccid,
        imsi: c.imsi,
        last_boot_at: c.last_boot_at,
        created_at: c.created_at,
        connectors: connectors.map(|all| {
            all.into_iter()
                .map(|k| ConnectorView {
                    evse_id: k.evse_id,
                    connector_id: k.connector_id,
                    status: k.status.as_str().to_owned(),
                    error_code: k.error_code,
                    info: k.info,
                    vendor_error_code: k.vendor_error_code,
                    status_at: k.status_at,
                })
                .collect()
        }),
    }
}

/// The chargers, paged (operators).
#[utoipa::path(get, path = "/api/v1/chargers", tag = "chargers", operation_id = "listChargers",
    params(super::schemas::PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "A page of chargers (without connectors)", body = Page<ChargerView>),
        (status = 400, description = "`bad_request`: `page` or `pageSize` out of range", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn list(_: Operator, State(state): State<ApiState>, paging: Paging) -> Result<Json<Page<ChargerView>>, ApiError> {
    let (chargers, total) = state.chargers.list(paging.offset(), paging.limit()).await?;
    Ok(Json(paging.of(chargers.into_iter().map(|c| view(&state, c, None)).collect(), total)))
}

/// A charger with its connectors and their live readings (operators).
#[utoipa::path(get, path = "/api/v1/chargers/{id}", tag = "chargers", operation_id = "getCharger",
    params(("id" = String, Path, description = "The charger's id (its OCPP identity)")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The charger", body = ChargerView),
        (status = 404, description = "`not_found`: no such charger", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn detail(
    _: Operator,
    State(state): State<ApiState>,
    Path(id): Path<String>,
) -> Result<Json<ChargerView>, ApiError> {
    let id = super::charger_id(id)?;
    let charger = state.chargers.find(&id).await?.ok_or_else(|| ApiError::NotFound(format!("charger {id}")))?;
    let connectors = state.chargers.connectors(&id).await?;
    Ok(Json(view(&state, charger, Some(connectors))))
}

/// `POST /api/v1/chargers`
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NewChargerBody {
    id: String,
    /// HTTP Basic auth password (security profile 1); none: the charger connects without one.
    password: Option<String>,
    /// `Registered` (default), `Pending` or `Disabled`.
    registration: Option<String>,
}

/// Registers a charger (operators).
#[utoipa::path(post, path = "/api/v1/chargers", tag = "chargers", operation_id = "createCharger",
    request_body = NewChargerBody,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Registered", body = ChargerView),
        (status = 400, description = "`bad_request`: a field is missing or wrong (id, password of 16 to 40 characters, registration)", body = super::schemas::ErrorBody),
        (status = 409, description = "`conflict`: the charger exists already", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn create(
    _: Operator,
    State(state): State<ApiState>,
    body: Bytes,
) -> Result<(StatusCode, Json<ChargerView>), ApiError> {
    let body: NewChargerBody = super::json_body(&body)?;
    let id = ChargerId::parse(body.id)
        .map_err(|_| ApiError::BadRequest("id: 1 to 48 characters, no ':' nor control characters".into()))?;
    let registration = registration(body.registration.as_deref())?.unwrap_or(Registration::Registered);
    let password_hash = match body.password {
        Some(p) => Some(password_hash(p).await?),
        None => None,
    };
    let created = state.chargers.create(NewCharger { id, registration, password_hash }).await?;
    Ok((StatusCode::CREATED, Json(view(&state, created, Some(Vec::new())))))
}

/// `Registered`, `Pending` or `Disabled`.
fn registration(given: Option<&str>) -> Result<Option<Registration>, ApiError> {
    Ok(match given {
        None => None,
        Some("Registered") => Some(Registration::Registered),
        Some("Pending") => Some(Registration::Pending),
        Some("Disabled") => Some(Registration::Disabled),
        Some(other) => {
            return Err(ApiError::BadRequest(format!(
                "registration: {other:?} is not Registered, Pending or Disabled"
            )));
        }
    })
}

/// The argon2 hash of a charger's Basic auth password (OCPP's BasicAuthPassword: 16 to 40
/// characters), made off the async workers.
pub(super) async fn password_hash(password: String) -> Result<String, ApiError> {
    if !(16..=40).contains(&password.chars().count()) {
        return Err(ApiError::BadRequest("password: 16 to 40 characters".into()));
    }
    tokio::task::spawn_blocking(move || crate::domain::chargers::hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
        .map_err(|e| ApiError::Internal(e.to_string()))
}

/// `PATCH /api/v1/chargers/{id}`: `"password": null` removes the password.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ChargerChangeBody {
    /// `Registered`, `Pending` or `Disabled`.
    registration: Option<String>,
    /// A new Basic auth password (16 to 40 characters), or `null` to remove it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    password: Option<Option<String>>,
}

/// A field that is present, even as `null` (`Some(None)`), apart from one that is absent (`None`).
fn present<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Changes a charger's registration or password (operators). A connected charger is told at once: accepted
/// or pending from now on, or disconnected when disabled; a new password counts from its next
/// connection.
#[utoipa::path(patch, path = "/api/v1/chargers/{id}", tag = "chargers", operation_id = "changeCharger",
    params(("id" = String, Path, description = "The charger's id")),
    request_body = ChargerChangeBody,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The charger as changed", body = ChargerView),
        (status = 400, description = "`bad_request`: a field is wrong", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such charger", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn change(
    _: Operator,
    State(state): State<ApiState>,
    Path(id): Path<String>,
    body: Bytes,
) -> Result<Json<ChargerView>, ApiError> {
    let id = super::charger_id(id)?;
    let body: ChargerChangeBody = super::json_body(&body)?;
    let registration = registration(body.registration.as_deref())?;
    let password_hash = match body.password {
        Some(Some(p)) => Some(Some(password_hash(p).await?)),
        Some(None) => Some(None),
        None => None,
    };
    let changed = state.chargers.change(&id, ChargerChange { registration, password_hash }).await?;
    if let Some(registration) = registration {
        match state.hub.registry().get(&id) {
            Some(session) => session.registration_changed(registration).await,
            // Held by another node, perhaps: it applies the change.
            None => state.cluster.registration_changed(&id, registration),
        }
    }
    let connectors = state.chargers.connectors(&id).await?;
    Ok(Json(view(&state, changed, Some(connectors))))
}

/// Sends a CSMS-initiated OCPP action of the charger's version (`Reset`, `RemoteStartTransaction`,
/// `GetVariables`, …) with the given payload, checked against the action's request schema first,
/// and answers the charger's response payload; every attempt is written to the operation log.
#[utoipa::path(post, path = "/api/v1/chargers/{id}/commands/{action}", tag = "chargers", operation_id = "sendCommand",
    params(
        ("id" = String, Path, description = "The charger's id"),
        ("action" = String, Path, description = "An OCPP action the CSMS sends, in the charger's version, e.g. `Reset`"),
    ),
    request_body(content = Object, description = "The action's request payload, as OCPP defines it"),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The charger's response payload", body = Object),
        (status = 400, description = "`bad_request`: not a JSON object, not an action of the charger's version, or one the charger sends; \
            `schema_violation` (with `code`, the OCPP CallError code): the payload breaks the action's schema", body = super::schemas::ErrorBody),
        (status = 404, description = "`not_found`: no such charger", body = super::schemas::ErrorBody),
        (status = 409, description = "`conflict`: the charger is offline or disconnected while waiting", body = super::schemas::ErrorBody),
        (status = 502, description = "`charger_error`: the charger answered a CALLERROR", body = super::schemas::ErrorBody),
        (status = 503, description = "`unavailable`: too many commands queued for the charger; `cluster_unavailable`: the charger is held by another csms node, which cannot be reached now", body = super::schemas::ErrorBody),
        (status = 504, description = "`timeout`: the charger did not answer in time", body = super::schemas::ErrorBody),
        super::schemas::OperatorErrors,
    ))]
async fn command(
    operator: Operator,
    State(state): State<ApiState>,
    Path((id, action)): Path<(String, String)>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = super::charger_id(id)?;
    let payload: Value = super::json_body(&body)?;
    if !payload.is_object() {
        return Err(ApiError::BadRequest("the payload must be a JSON object".into()));
    }
    if state.chargers.find(&id).await?.is_none() {
        return Err(ApiError::NotFound(format!("charger {id}")));
    }
    // Sent and logged in a task of its own: a client that hangs up does not cancel a command the
    // charger may already be carrying out, nor its entry in the operation log.
    let actor = operator.actor;
    let node = state.hub.node().to_owned();
    let work = tokio::spawn(async move {
        let started = Instant::now();
        let result = send(&state, &id, &action, &payload).await;
        let (outcome, response, error) = match &result {
            Ok(response) => ("Answered", Some(response.clone()), None),
            Err((outcome, e)) => (*outcome, None, Some(e.to_string())),
        };
        let record = OperationRecord {
            at: Utc::now(),
            actor,
            charger_id: Some(id.clone()),
            action,
            payload,
            outcome,
            response,
            error,
            duration_ms: i32::try_from(started.elapsed().as_millis()).unwrap_or(i32::MAX),
            node: Some(node),
        };
        // The charger's answer stands even if its log entry could not be written: a 500 here
        // would invite the operator to send the command (a second RemoteStart…) again.
        if let Err(e) = state.chargers.log_operation(record.clone()).await {
            tracing::error!(error = %e, operation = ?record, "writing the operation log failed");
        }
        result
    });
    let result = work.await.map_err(|e| ApiError::Internal(format!("the command task failed: {e}")))?;
    result.map(Json).map_err(|(_, e)| e)
}

/// Checks and sends the command; the error side carries the outcome for the operation log.
async fn send(
    state: &ApiState,
    id: &ChargerId,
    action: &str,
    payload: &Value,
) -> Result<Value, (&'static str, ApiError)> {
    let mut built = false;
    let sent = state
        .hub
        .call(id, |version| {
            let name = match version {
                OcppVersion::V16 => checked::<v16::Action>(action, payload),
                OcppVersion::V201 => checked::<v201::Action>(action, payload),
            }?;
            built = true;
            Ok((name, payload.clone()))
        })
        .await;
    sent.map_err(|routed| match routed {
        Routed::NotBuilt(e) => ("Invalid", e),
        Routed::Failed(CallFailure::Disconnected) if !built => {
            ("Offline", ApiError::Conflict(format!("charger {id} is offline")))
        }
        Routed::Failed(failure) => {
            let outcome = failure.outcome();
            let error = match failure {
                CallFailure::Timeout(_) => ApiError::GatewayTimeout(failure.to_string()),
                CallFailure::QueueFull => ApiError::Unavailable(failure.to_string()),
                CallFailure::Disconnected => ApiError::Conflict(failure.to_string()),
                CallFailure::ClusterUnavailable => ApiError::Refused {
                    status: StatusCode::SERVICE_UNAVAILABLE,
                    code: "cluster_unavailable",
                    message: failure.to_string(),
                },
                _ => ApiError::BadGateway(failure.to_string()),
            };
            (outcome, error)
        }
    })
}

/// The action, if the charger's version has it, the CSMS may send it, and the payload keeps to
/// its request schema.
fn checked<A: ActionSet>(action: &str, payload: &Value) -> Result<&'static str, ApiError> {
    let known = A::from_name(action)
        .ok_or_else(|| ApiError::BadRequest(format!("{action} is not an OCPP {} action", A::VERSION)))?;
    if !known.initiator().may_send(Role::Csms) {
        return Err(ApiError::BadRequest(format!("{action} is sent by the charger, not the CSMS")));
    }
    SchemaRegistry::global().validate(known, MessageKind::Request, &Node::from_value(payload)).map_err(|v| {
        ApiError::Schema {
            action: known.as_str().to_owned(),
            code: v.code.as_str(A::VERSION),
            description: v.description,
        }
    })?;
    Ok(known.as_str())
}
