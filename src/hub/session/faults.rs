//! What the session counts against a charger that misbehaves: invalid frames per minute, and a
//! frame over the size limit (recognised by its error's type).

use std::time::Duration;
use tokio::time::Instant;

/// Whether the socket failed on a message over `max_message_size`: tungstenite's
/// `Capacity` error, recognised by its type (the tungstenite axum wraps, 0.29; a test of the
/// 1009 close guards against axum moving to another).
pub(super) fn is_capacity_error(error: &axum::Error) -> bool {
    use std::error::Error as _;
    matches!(
        error.source().and_then(|inner| inner.downcast_ref::<axum_tungstenite::Error>()),
        Some(axum_tungstenite::Error::Capacity(_))
    )
}

/// Invalid frames in the current minute.
#[derive(Default)]
pub(super) struct InvalidFrames {
    window_start: Option<Instant>,
    count: u32,
}

impl InvalidFrames {
    /// Counts one; true when the budget for the minute is exceeded.
    pub(super) fn record(&mut self, budget: u32) -> bool {
        let now = Instant::now();
        match self.window_start {
            Some(start) if now.duration_since(start) < Duration::from_secs(60) => self.count += 1,
            _ => {
                self.window_start = Some(now);
                self.count = 1;
            }
        }
        self.count > budget
    }
}
