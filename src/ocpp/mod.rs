//! Translating OCPP to the business and back: each version's handler turns a typed request into
//! calls of version-neutral services and their results into the version's typed response.

mod gate;
mod v16;
mod v201;

use gate::Gate;

use crate::data_transfer::{DataTransfer, DataTransferHandlers, TransferReply};
use crate::domain::chargers::Chargers;
use crate::domain::chargers::records::Registration;
use crate::domain::charging::Charging;
use crate::domain::ids::{ChargerId, IdTag};
use crate::domain::storage::StoreError;
use protocol::{ActionSet, Call, CallErrorCode, OcppVersion, Role, RpcError, SchemaRegistry, decode_call};

/// What the handlers know of the charger on this connection.
#[derive(Debug)]
pub(crate) struct ChargerContext {
    id: ChargerId,
    chargers: Chargers,
    charging: Charging,
    data_transfers: DataTransferHandlers,
    /// What it may send: everything once accepted, less while pending or rejected.
    gate: Gate,
}

impl ChargerContext {
    pub(crate) fn new(
        id: ChargerId,
        chargers: Chargers,
        charging: Charging,
        data_transfers: DataTransferHandlers,
        registration: Registration,
    ) -> Self {
        ChargerContext { id, chargers, charging, data_transfers, gate: Gate::connected(registration) }
    }

    /// The operator changed the registration: it applies as if the charger had just connected.
    pub(crate) fn registration_changed(&mut self, registration: Registration) {
        self.gate = Gate::connected(registration);
    }

    /// Notes a call the CSMS sent this charger (a pending charger may answer what it asked for).
    pub(crate) fn commanded(&mut self, action: &str, payload: &serde_json::Value) {
        self.gate.commanded(action, payload);
    }

    /// Gives a DataTransfer to its vendor's handler: `None` when there is none.
    async fn data_transfer(
        &self,
        vendor_id: &str,
        message_id: Option<&str>,
        data: Option<serde_json::Value>,
    ) -> Option<TransferReply> {
        let transfer = DataTransfer {
            charger_id: self.id.to_string(),
            vendor_id: vendor_id.to_owned(),
            message_id: message_id.map(str::to_owned),
            data,
        };
        self.data_transfers.dispatch(transfer).await
    }

    pub(crate) fn id(&self) -> &ChargerId {
        &self.id
    }
}

/// A typed response of either version, written as its payload.
// Built once per call and serialised at once; boxing the larger one would only add an allocation.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, serde::Serialize)]
#[serde(untagged)]
pub(crate) enum Response {
    V16(protocol::v16::Response),
    V201(protocol::v201::Response),
}

/// Why a CALL got a CALLERROR.
#[derive(Debug)]
pub(crate) enum Refusal {
    /// The charger's fault: a frame the protocol refuses (counts towards its invalid-frame budget).
    Invalid(RpcError),
    /// A valid request that failed here (not yet accepted, storage down, not handled).
    Failed(RpcError),
}

impl Refusal {
    pub(crate) fn error(&self) -> &RpcError {
        match self {
            Refusal::Invalid(e) | Refusal::Failed(e) => e,
        }
    }
}

/// Decodes and answers a charger's CALL.
pub(crate) async fn handle_call(
    ctx: &mut ChargerContext,
    version: OcppVersion,
    call: &Call<'_>,
) -> Result<Response, Refusal> {
    let registry = SchemaRegistry::global();
    match version {
        OcppVersion::V16 => {
            let request = decode_call::<protocol::v16::Action>(registry, Role::Csms, call).map_err(Refusal::Invalid)?;
            no_nul(&call.payload).map_err(Refusal::Invalid)?;
            ctx.gate.check(protocol::Payload::action(&request).as_str()).map_err(Refusal::Failed)?;
            v16::handle(ctx, request).await.map(Response::V16).map_err(Refusal::Failed)
        }
        OcppVersion::V201 => {
            let request =
                decode_call::<protocol::v201::Action>(registry, Role::Csms, call).map_err(Refusal::Invalid)?;
            no_nul(&call.payload).map_err(Refusal::Invalid)?;
            ctx.gate.check(protocol::Payload::action(&request).as_str()).map_err(Refusal::Failed)?;
            v201::handle(ctx, request).await.map(Response::V201).map_err(Refusal::Failed)
        }
    }
}

/// Refuses a payload with a NUL character in a string or name (`\u0000`): no OCPP field means
/// one, and PostgreSQL cannot store it — a charger retrying a frame that can never be stored
/// would retry forever, so it is told at once (PropertyConstraintViolation, naming the field).
fn no_nul(payload: &protocol::Node<'_>) -> Result<(), RpcError> {
    use protocol::Node;
    // Only a string with escapes can hold one (a raw NUL is not JSON): the common case allocates nothing.
    fn has(node: &Node<'_>) -> bool {
        match node {
            Node::String(text) => text.contains('\0'),
            Node::Array(items) => items.iter().any(has),
            Node::Object(members) => members.iter().any(|(name, value)| name.contains('\0') || has(value)),
            Node::Null | Node::Bool(_) | Node::Number(_) => false,
        }
    }
    // The path to the first one, for the description.
    fn path(node: &Node<'_>) -> String {
        match node {
            Node::Array(items) => match items.iter().enumerate().find(|(_, item)| has(item)) {
                Some((i, item)) => format!("[{i}]{}", path(item)),
                None => String::new(),
            },
            Node::Object(members) => match members.iter().find(|(name, value)| name.contains('\0') || has(value)) {
                Some((name, value)) => format!(".{}{}", name.replace('\0', "\\u0000"), path(value)),
                None => String::new(),
            },
            _ => String::new(),
        }
    }
    if !has(payload) {
        return Ok(());
    }
    let found = path(payload);
    let mut description = format!("{}: a NUL character (\\u0000) is not allowed", found.trim_start_matches('.'));
    if description.len() > protocol::MAX_DESCRIPTION {
        description = "a NUL character (\\u0000) is not allowed".to_owned();
    }
    Err(RpcError::new(CallErrorCode::PropertyConstraintViolation, description))
}

/// An id tag a charger sent (`field`), parsed here once. The schemas bound its length, so what
/// is refused is a character (a control character): PropertyConstraintViolation naming the field.
fn id_tag(field: &str, text: String) -> Result<IdTag, RpcError> {
    IdTag::parse(text).map_err(|e| RpcError::new(CallErrorCode::PropertyConstraintViolation, format!("{field}: {e}")))
}

/// A sampled value that cannot be stored: PropertyConstraintViolation naming its field.
fn refused(sampled_value: &str, error: &crate::domain::charging::UnitError) -> RpcError {
    RpcError::new(CallErrorCode::PropertyConstraintViolation, format!("{sampled_value}.{}: {error}", error.field()))
}

/// An action this CSMS does not handle yet: said plainly, never faked.
fn not_handled<A: ActionSet>(action: A) -> RpcError {
    RpcError::new(CallErrorCode::NotImplemented, format!("{action} is not handled by this CSMS"))
}

/// A storage failure, logged here once; the charger learns only that it was internal.
fn internal(ctx: &ChargerContext, action: &str, error: StoreError) -> RpcError {
    tracing::error!(charger = %ctx.id, action, %error, "storing failed");
    RpcError::new(CallErrorCode::InternalError, "internal error")
}

/// Stores a reported event as the charger sent it.
async fn record<T: serde::Serialize>(ctx: &ChargerContext, kind: &str, payload: &T) -> Result<(), RpcError> {
    let payload = serde_json::to_value(payload).unwrap_or_default();
    ctx.chargers.event(&ctx.id, kind, payload).await.map_err(|e| internal(ctx, kind, e))
}
