//! What a sandbox does with a payment's refunds, as told: `POST
//! /sandbox/{provider}/refund-script/{paymentNo}` with `{"answers": [...], "states": [...],
//! "notify": true}` before the refund is asked for. `answers` are how the first refund requests
//! of the payment are answered — `busy` (the provider failed for now: WeChat 500 `SYSTEM_ERROR`,
//! Alipay `ACQ.SYSTEM_ERROR`, UnionPay `03`), `throttled` (WeChat 429, Alipay 20000, UnionPay
//! HTTP 503), `lost` (the refund made, but answered as `busy`: the answer was lost) or `refused`
//! (for good) — one each, in order; the request after them takes the refund. `states` are the
//! refund's course once taken: the first is what the request answers, each next one follows
//! `STEP` later (`processing`, `succeeded`, `failed` — WeChat's `CLOSED` —, `abnormal`); queries
//! answer where the course stands, and the provider notifies what it notifies (`notify`, true by
//! default). Without a script a refund succeeds at once, as it always did.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use dashmap::DashMap;
use serde::Deserialize;
use std::collections::VecDeque;
use std::time::Duration;
use tokio::time::Instant;

/// The time between two states of a refund's course.
pub(crate) const STEP: Duration = Duration::from_millis(300);

/// How a refund request is answered before the refund is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Answer {
    Busy,
    Throttled,
    Lost,
    Refused,
}

/// Where a refund stands at the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum State {
    Processing,
    Succeeded,
    Failed,
    Abnormal,
}

/// A payment's refund script.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Script {
    #[serde(default)]
    answers: VecDeque<Answer>,
    #[serde(default = "at_once")]
    states: Vec<State>,
    #[serde(default = "yes")]
    notify: bool,
}

fn at_once() -> Vec<State> {
    vec![State::Succeeded]
}

const fn yes() -> bool {
    true
}

/// What to do with a refund request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Answer with this and take nothing (`Lost` takes the refund, then answers as `Busy`).
    Answer(Answer),
    /// Take the refund.
    Take,
}

/// The scripts of a sandbox's payments.
#[derive(Debug, Default)]
pub(crate) struct Scripts(DashMap<String, Script>);

impl Scripts {
    /// Keeps the script posted as `body` for `payment_no`'s refunds when the provider can play
    /// its `states` (`allowed`); answers the route's answer.
    pub(crate) fn post(&self, payment_no: String, body: &[u8], allowed: &[State]) -> Response {
        match serde_json::from_slice(body) {
            Ok(script) => self.set(payment_no, script, allowed),
            Err(e) => (StatusCode::BAD_REQUEST, Json(serde_json::json!({"message": e.to_string()}))).into_response(),
        }
    }

    fn set(&self, payment_no: String, script: Script, allowed: &[State]) -> Response {
        if script.states.is_empty() || script.states.iter().any(|s| !allowed.contains(s)) {
            let message = format!("states must be one or more of {allowed:?}");
            return (StatusCode::BAD_REQUEST, Json(serde_json::json!({"message": message}))).into_response();
        }
        self.0.insert(payment_no, script);
        StatusCode::NO_CONTENT.into_response()
    }

    /// What the next refund request of `payment_no` meets.
    pub(crate) fn next(&self, payment_no: &str) -> Step {
        let answer = self.0.get_mut(payment_no).and_then(|mut script| script.answers.pop_front());
        answer.map_or(Step::Take, Step::Answer)
    }

    /// The course of a refund of `payment_no` taken now.
    pub(crate) fn course(&self, payment_no: &str) -> Course {
        let (states, notify) =
            self.0.get(payment_no).map_or_else(|| (at_once(), true), |s| (s.states.clone(), s.notify));
        Course { states, notify, taken: Instant::now() }
    }
}

/// A refund's course at the provider from when it was taken.
#[derive(Debug, Clone)]
pub(crate) struct Course {
    states: Vec<State>,
    pub(crate) notify: bool,
    taken: Instant,
}

impl Course {
    /// Where it stands now.
    pub(crate) fn now(&self) -> State {
        let steps = self.taken.elapsed().as_millis() / STEP.as_millis();
        let at = usize::try_from(steps).unwrap_or(usize::MAX).min(self.states.len().saturating_sub(1));
        self.states.get(at).copied().unwrap_or(State::Succeeded)
    }

    /// Its states in order, each with when it is reached from the taking.
    pub(crate) fn schedule(&self) -> impl Iterator<Item = (Duration, State)> + '_ {
        (0u32..).zip(self.states.iter()).map(|(i, state)| (STEP * i, *state))
    }
}

/// Sends what `notify` makes of each state of `course` as it is reached (a provider notifies a
/// refund's result when it comes, not when asked).
pub(crate) async fn follow<F, Fut>(course: Course, notify: F)
where
    F: Fn(State) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    if !course.notify {
        return;
    }
    for (after, state) in course.schedule() {
        tokio::time::sleep_until(course.taken + after).await;
        notify(state).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_met_in_order_then_the_refund_is_taken_along_its_course() {
        let scripts = Scripts::default();
        assert_eq!(scripts.next("P1"), Step::Take, "no script: taken");
        assert_eq!(scripts.course("P1").now(), State::Succeeded);
        let script: Script =
            serde_json::from_str(r#"{"answers": ["busy", "lost"], "states": ["processing", "failed"]}"#)
                .expect("a script");
        let all = [State::Processing, State::Succeeded, State::Failed];
        assert_eq!(scripts.set("P1".into(), script.clone(), &all).status(), StatusCode::NO_CONTENT);
        assert_eq!(scripts.post("P3".into(), br#"{"states": ["done"]}"#, &all).status(), StatusCode::BAD_REQUEST);
        assert_eq!(
            [scripts.next("P1"), scripts.next("P1"), scripts.next("P1")],
            [Step::Answer(Answer::Busy), Step::Answer(Answer::Lost), Step::Take]
        );
        let course = scripts.course("P1");
        assert_eq!(course.now(), State::Processing);
        let states: Vec<(Duration, State)> = course.schedule().collect();
        assert_eq!(states, [(Duration::ZERO, State::Processing), (STEP, State::Failed)]);
        assert_eq!(
            scripts.set("P2".into(), script, &[State::Succeeded]).status(),
            StatusCode::BAD_REQUEST,
            "a provider refuses what it cannot play"
        );
    }
}
