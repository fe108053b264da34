//! Vendor extensions: DataTransfer handlers registered per `vendorId`.
//!
//! A charger's DataTransfer is always stored as a charger event. It is then given to the handler
//! registered for its `vendorId`, in either version's terms: 1.6 carries `data` as a string,
//! 2.0.1 as any JSON, so a handler sees a `serde_json::Value` (a 1.6 string arrives as
//! `Value::String`) and its reply is written back the same way (to 1.6 as the string itself, or
//! as JSON text when it is not one). Without a handler for the vendor the answer is the spec's
//! `UnknownVendorId`.

use futures_util::FutureExt;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// A charger's DataTransfer, as a handler sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct DataTransfer {
    pub charger_id: String,
    pub vendor_id: String,
    pub message_id: Option<String>,
    pub data: Option<Value>,
}

/// A handler's status for the charger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransferStatus {
    Accepted,
    Rejected,
    UnknownMessageId,
}

/// A handler's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferReply {
    pub status: TransferStatus,
    pub data: Option<Value>,
}

impl TransferReply {
    /// Accepted, with `data` (if any) for the charger.
    pub fn accepted(data: Option<Value>) -> Self {
        TransferReply { status: TransferStatus::Accepted, data }
    }

    /// The vendor is known, the message is not.
    pub fn unknown_message() -> Self {
        TransferReply { status: TransferStatus::UnknownMessageId, data: None }
    }
}

/// Why a handler could not process a transfer. The charger is answered `Rejected` and the
/// reason is logged; a DataTransfer is never answered with a CALLERROR the charger would retry.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TransferError(pub String);

/// The reply a handler's future resolves to.
pub type TransferFuture = Pin<Box<dyn Future<Output = Result<TransferReply, TransferError>> + Send>>;

/// Processes the DataTransfers of one vendor.
pub trait DataTransferHandler: Send + Sync + 'static {
    fn handle(&self, transfer: DataTransfer) -> TransferFuture;
}

/// Any `Fn(DataTransfer) -> future` is a handler.
impl<F, Fut> DataTransferHandler for F
where
    F: Fn(DataTransfer) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<TransferReply, TransferError>> + Send + 'static,
{
    fn handle(&self, transfer: DataTransfer) -> TransferFuture {
        Box::pin(self(transfer))
    }
}

/// How long a handler may take by default: the charger waits for the answer, and its session
/// answers nothing else meanwhile.
pub const DEFAULT_HANDLER_TIMEOUT: Duration = Duration::from_secs(10);

/// The handlers, by `vendorId` (compared exactly, as the spec's identifiers are).
///
/// A handler runs inside the charger's session, which waits for it: it must not send a call to
/// the same charger and wait for that answer. One that takes longer than its timeout, fails or
/// panics gets the charger a `Rejected`.
#[derive(Clone)]
pub struct DataTransferHandlers {
    by_vendor: Arc<HashMap<String, Arc<dyn DataTransferHandler>>>,
    timeout: Duration,
}

impl Default for DataTransferHandlers {
    fn default() -> Self {
        DataTransferHandlers { by_vendor: Default::default(), timeout: DEFAULT_HANDLER_TIMEOUT }
    }
}

impl fmt::Debug for DataTransferHandlers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.by_vendor.keys()).finish()
    }
}

impl DataTransferHandlers {
    /// Registers `handler` for `vendor_id`, replacing any earlier one.
    pub fn register(mut self, vendor_id: impl Into<String>, handler: impl DataTransferHandler) -> Self {
        Arc::make_mut(&mut self.by_vendor).insert(vendor_id.into(), Arc::new(handler));
        self
    }

    /// How long a handler may take before the charger is answered `Rejected`.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// Whether a handler is registered for `vendor_id`.
    pub fn handles(&self, vendor_id: &str) -> bool {
        self.by_vendor.contains_key(vendor_id)
    }

    /// The answer to `transfer`: `None` when no handler knows its vendor (UnknownVendorId).
    pub(crate) async fn dispatch(&self, transfer: DataTransfer) -> Option<TransferReply> {
        let handler = self.by_vendor.get(&transfer.vendor_id)?.clone();
        let (charger, vendor) = (transfer.charger_id.clone(), transfer.vendor_id.clone());
        let handled = AssertUnwindSafe(handler.handle(transfer)).catch_unwind();
        let failure = match tokio::time::timeout(self.timeout, handled).await {
            Ok(Ok(Ok(reply))) => return Some(reply),
            Ok(Ok(Err(e))) => e.to_string(),
            Ok(Err(_)) => "the handler panicked".to_owned(),
            Err(_) => format!("no answer within {:?}", self.timeout),
        };
        tracing::warn!(%charger, %vendor, error = %failure, "a DataTransfer handler failed; answered Rejected");
        Some(TransferReply { status: TransferStatus::Rejected, data: None })
    }
}
