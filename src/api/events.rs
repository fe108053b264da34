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

async fn events(
    State(state): State<ApiState>,
    Signed(user): Signed,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (receiver, id) = (state.events.subscribe(), user.id);
    let stream = futures_util::stream::unfold(receiver, move |mut receiver| async move {
        loop {
            match receiver.recv().await {
                Ok(event) if event.user_id == id => {
                    let sse = Event::default().event(event.name).data(event.data.to_string());
                    return Some((Ok(sse), receiver));
                }
                Ok(_) => {}
                // Fell behind: say so, so the app re-reads what it shows.
                Err(RecvError::Lagged(missed)) => {
                    let sse = Event::default().event("lagged").data(format!("{{\"missed\":{missed}}}"));
                    return Some((Ok(sse), receiver));
                }
                Err(RecvError::Closed) => return None,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}
