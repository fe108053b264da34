//! Translating OCPP to the business and back: each version's handler turns a typed request into
//! calls of version-neutral services and their results into the version's typed response.

mod v16;
mod v201;

use crate::chargers::Chargers;
use crate::charging::Charging;
use crate::data_transfer::{DataTransfer, DataTransferHandlers, TransferReply};
use crate::store::StoreError;
use entity::charger::Registration;
use protocol::{ActionSet, Call, CallErrorCode, OcppVersion, Role, RpcError, SchemaRegistry, decode_call};

/// What the handlers know of the charger on this connection.
#[derive(Debug)]
pub(crate) struct ChargerContext {
    id: String,
    chargers: Chargers,
    charging: Charging,
    data_transfers: DataTransferHandlers,
    /// Whether it may send more than BootNotification: registered, or accepted at its last boot.
    accepted: bool,
}

impl ChargerContext {
    pub(crate) fn new(
        id: String,
        chargers: Chargers,
        charging: Charging,
        data_transfers: DataTransferHandlers,
        registration: Registration,
    ) -> Self {
        ChargerContext { id, chargers, charging, data_transfers, accepted: registration == Registration::Registered }
    }

    /// Gives a DataTransfer to its vendor's handler: `None` when there is none.
    async fn data_transfer(
        &self,
        vendor_id: &str,
        message_id: Option<&str>,
        data: Option<serde_json::Value>,
    ) -> Option<TransferReply> {
        let transfer = DataTransfer {
            charger_id: self.id.clone(),
            vendor_id: vendor_id.to_owned(),
            message_id: message_id.map(str::to_owned),
            data,
        };
        self.data_transfers.dispatch(transfer).await
    }

    pub(crate) fn id(&self) -> &str {
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
            gate(ctx, protocol::Payload::action(&request)).map_err(Refusal::Failed)?;
            v16::handle(ctx, request).await.map(Response::V16).map_err(Refusal::Failed)
        }
        OcppVersion::V201 => {
            let request =
                decode_call::<protocol::v201::Action>(registry, Role::Csms, call).map_err(Refusal::Invalid)?;
            gate(ctx, protocol::Payload::action(&request)).map_err(Refusal::Failed)?;
            v201::handle(ctx, request).await.map(Response::V201).map_err(Refusal::Failed)
        }
    }
}

/// A charger that is not accepted may only boot (OCPP 2.0.1 B02/B03: anything else from a
/// Pending or Rejected station is answered with SecurityError; 1.6 is silent and is treated
/// the same).
fn gate<A: ActionSet>(ctx: &ChargerContext, action: A) -> Result<(), RpcError> {
    if ctx.accepted || action.as_str() == "BootNotification" {
        return Ok(());
    }
    Err(RpcError::new(CallErrorCode::SecurityError, format!("{action} before the charger was accepted")))
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
