//! `GET /api/v1/me/events`: the signed-in user's domain events as server-sent events (order
//! started, completed with its bill, payment succeeded, refund made), so the app needs no
//! polling.

use super::ApiState;
use super::users::Signed;
use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use futures_util::stream::Stream;
use std::convert::Infallible;
use tokio::sync::broadcast::error::RecvError;

pub(super) fn router() -> Router<ApiState> {
    Router::new().route("/api/v1/me/events", get(events))
}

/// The OpenAPI of these routes.
#[derive(utoipa::OpenApi)]
#[openapi(paths(events))]
pub(super) struct Doc;

/// The signed-in user's events as they happen (server-sent events; `lagged` when some were missed).
#[utoipa::path(get, path = "/api/v1/me/events", tag = "me", operation_id = "myEvents",
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/event-stream", body = String,
            description = "An endless stream of events, each with JSON data: `order.started`, `order.completed`, `order.review`, `order.rebilled`, `order.failed`, `order.cancelled`, `order.occupancy_billed`, `payment.succeeded`, `refund.made`, `refund.failed` (the provider did not refund it: its money went to the balance); \
                `lagged` with `{\"missed\": n}` when the connection fell behind"),
        super::schemas::SignedErrors,
    ))]
async fn events(
    State(state): State<ApiState>,
    Signed(user): Signed,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (receiver, stop) = (state.events.subscribe(user.id), state.shutdown.clone());
    // Ends when csms stops, so that stopping does not wait for every open stream.
    let stream = futures_util::stream::unfold(receiver, move |mut receiver| {
        let stop = stop.clone();
        async move {
            let received = tokio::select! {
                received = receiver.recv() => received,
                _ = stop.cancelled() => return None,
            };
            let sse = match received {
                Ok(event) => Event::default().event(event.name).data(event.data.to_string()),
                // Fell behind: say so, so the app re-reads what it shows.
                Err(RecvError::Lagged(missed)) => {
                    Event::default().event("lagged").data(format!("{{\"missed\":{missed}}}"))
                }
                Err(RecvError::Closed) => return None,
            };
            Some((Ok(sse), receiver))
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
