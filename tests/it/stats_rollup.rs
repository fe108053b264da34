//! The statistics' daily rollups against the orders they roll up: over random histories (orders
//! of every state, refunds, rebills, piles that move, zones that change) every figure of
//! `GET /api/v1/stats` equals the count made from the orders themselves for random periods and
//! groupings; and completions racing refunds leave the rollups equal to a recomputation.

use crate::helpers::{TestApp, spawn_app};
use crate::stats_seed::{payment_row, refund_row, user_row};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use csms::domain::ledger::money::Fen;
use csms::domain::orders::records::{BillRead, MoneyRead, Rebill, Transition};
use csms::domain::orders::{OrderStatus, PaymentStatus};
use csms::domain::stats::{Stats, StatsQuery};
use csms::domain::units::Wh;
use entity::{order, payment, refund, user};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::{Value, json};

/// A seeded generator (xorshift64*): the same history for a seed on every run and engine.
struct Dice(u64);

impl Dice {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number from `lo` (included) to `hi` (excluded).
    fn gen_range(&mut self, range: std::ops::Range<i64>) -> i64 {
        let span = u64::try_from(range.end - range.start).unwrap().max(1);
        range.start + i64::try_from(self.next() % span).unwrap()
    }

    fn gen_bool(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    /// One of `items`.
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[usize::try_from(self.gen_range(0..items.len() as i64)).unwrap()]
    }
}

const ZONES: [&str; 5] = ["Asia/Shanghai", "Europe/London", "America/Santiago", "Asia/Kolkata", "UTC"];
const STATIONS: [&str; 3] = ["RS-A", "RS-B", "RS-C"];
const USERS: i64 = 8;

/// The history's first instant: a few days before Europe's and Chile's clock changes of 2026.
fn origin() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-03-24T00:00:00Z").unwrap().to_utc()
}

/// An instant within the history's 20 days.
fn instant(rng: &mut Dice) -> DateTime<Utc> {
    origin() + Duration::seconds(rng.gen_range(0..20 * 86_400))
}

/// Three stations in random zones with two piles each; answers the piles.
async fn stations(app: &TestApp, rng: &mut Dice) -> Vec<String> {
    let mut piles = Vec::new();
    for code in STATIONS {
        let zone = *rng.pick(&ZONES);
        let body = json!({"code": code, "name": code, "province": "P", "city": "C", "district": "D",
            "address": "A", "lng": 121.47, "lat": 31.23, "timezone": zone});
        assert_eq!(app.operator("POST", "/api/v1/stations", Some(&body)).await.0, 201);
        for n in 1..=2 {
            let pile = format!("{code}-{n}");
            let body = json!({"code": pile, "name": pile, "stationCode": code, "type": "DC", "maxPowerKw": 60});
            assert_eq!(app.operator("POST", "/api/v1/piles", Some(&body)).await.0, 201);
            piles.push(pile);
        }
    }
    piles
}

/// A random order `n` on one of `piles`, in any state, with a bill when completed.
fn random_order(rng: &mut Dice, n: usize, piles: &[String]) -> order::ActiveModel {
    let statuses = ["COMPLETED", "COMPLETED", "COMPLETED", "CANCELLED", "FAILED", "REVIEW", "CHARGING"];
    let status = *rng.pick(&statuses);
    let (user, pile) = (rng.gen_range(1..USERS + 1), rng.pick(piles).clone());
    let created = instant(rng);
    let started =
        (status != "CANCELLED" && status != "FAILED").then(|| created + Duration::seconds(rng.gen_range(0..600)));
    // Some charge for minutes, some across a day or two.
    let length = Duration::seconds(if rng.gen_bool(0.7) { rng.gen_range(0..7_200) } else { rng.gen_range(0..200_000) });
    let ended = started.filter(|_| status != "CHARGING").map(|s| s + length);
    let completed = (status != "CHARGING" && status != "REVIEW")
        .then(|| ended.unwrap_or(created) + Duration::seconds(rng.gen_range(0..900)));
    let bill =
        (status == "COMPLETED").then(|| (rng.gen_range(0..90_000), rng.gen_range(0..9_000), rng.gen_range(0..3_000)));
    let live = status == "CHARGING";
    order::ActiveModel {
        order_no: Set(format!("RO{n}")),
        user_id: Set(user),
        charger_id: Set(pile.clone()),
        evse_id: Set(0),
        connector_id: Set(1),
        id_tag: Set(format!("TAG-{user}")),
        status: Set(status.into()),
        pay_mode: Set("prepaid".into()),
        payment_status: Set("PAID".into()),
        paid_fen: Set(bill.map_or(0, |(_, f, s)| f + s)),
        refunded_fen: Set(0),
        refund_to: Set("original".into()),
        tariff: Set("{}".into()),
        timezone: Set("UTC".into()),
        energy_wh: Set(bill.map(|b| b.0)),
        energy_fee_fen: Set(bill.map(|b| b.1)),
        service_fee_fen: Set(bill.map(|b| b.2)),
        occupancy_fee_fen: Set(bill.map(|_| 0)),
        total_fen: Set(bill.map(|(_, f, s)| f + s)),
        // One live order per user and connector: the live ones get the order's own.
        active_user_id: Set(None),
        active_connector: Set(live.then(|| format!("{pile}/0/{n}"))),
        lock_expires_at: Set(created),
        started_at: Set(started),
        charging_ended_at: Set(ended),
        stopped_at: Set(ended),
        completed_at: Set(completed),
        created_at: Set(created),
        updated_at: Set(completed.unwrap_or(created)),
        ..Default::default()
    }
}

/// Users, orders, their payments (from the balance) and some refunds written straight into the
/// database, then rolled up as the migration does; answers the orders.
async fn history(app: &TestApp, rng: &mut Dice, piles: &[String]) -> Vec<order::Model> {
    let db = app.store.db();
    for id in 1..=USERS {
        app.store.create_id_tag(&format!("TAG-{id}"), "Accepted", None, None).await.unwrap();
        let signed_up = origin() + Duration::seconds(rng.gen_range(-5 * 86_400..15 * 86_400));
        user::Entity::insert(user_row(id, &signed_up.to_rfc3339())).exec(db).await.unwrap();
    }
    let orders: Vec<order::ActiveModel> = (0..60).map(|n| random_order(rng, n, piles)).collect();
    order::Entity::insert_many(orders).exec(db).await.unwrap();
    let orders = order::Entity::find().all(db).await.unwrap();
    for o in orders.iter().filter(|o| o.paid_fen > 0) {
        let mut paid =
            payment_row(&format!("RP{}", o.id), o.user_id, Some(&o.order_no), o.paid_fen, &o.created_at.to_rfc3339());
        paid.method = Set("balance".into());
        payment::Entity::insert(paid).exec(db).await.unwrap();
        if rng.gen_bool(0.3) {
            let status = *rng.pick(&["SUCCEEDED", "PENDING", "FAILED"]);
            let when = (o.completed_at.unwrap_or(o.created_at) + Duration::minutes(5)).to_rfc3339();
            let mut made = refund_row(&format!("RR{}", o.id), &format!("RP{}", o.id), o.paid_fen / 3, status, &when);
            if rng.gen_bool(0.5) {
                made.destination = Set("balance".into());
            }
            refund::Entity::insert(made).exec(db).await.unwrap();
        }
    }
    app.store.rebuild_stats().await.unwrap();
    orders
}

/// Changes through the store and the API, each keeping the rollups as it goes: operators'
/// refunds, rebills, charging that ends, a pile moved to another station, a zone changed.
async fn changes(app: &TestApp, rng: &mut Dice, orders: &[order::Model]) {
    let refunded: Vec<&order::Model> = orders.iter().filter(|o| o.paid_fen > 2 && rng.gen_bool(0.3)).collect();
    for o in refunded {
        let path = format!("/api/v1/payments/RP{}/refund", o.id);
        let amount = format!("{}.{:02}", o.paid_fen / 200, (o.paid_fen / 2) % 100);
        let (status, body) = app.operator("POST", &path, Some(&json!({"amount": amount, "reason": "goodwill"}))).await;
        assert!(status == 201 || body["error"] == "refund_exceeds_paid", "{status} {body}");
    }
    let rebilled: Vec<&order::Model> = orders.iter().filter(|o| o.status == "COMPLETED" && rng.gen_bool(0.3)).collect();
    for o in rebilled {
        let current = app.store.order(&o.order_no).await.unwrap().unwrap();
        let (energy, fee, service) = (rng.gen_range(0..90_000), rng.gen_range(0..9_000), rng.gen_range(0..3_000));
        let rebill = Rebill {
            order_no: current.order_no.clone(),
            user_id: o.user_id,
            revisions_read: current.revisions.clone(),
            revisions: "[]".into(),
            energy_wh: Wh(energy),
            energy_fee_fen: Fen(fee),
            service_fee_fen: Fen(service),
            total_fen: Fen(fee + service),
            lines: "[]".into(),
            anomalies: "[]".into(),
            end_soc: None,
            stop_reason: "Local".into(),
            stopped_at: current.stopped_at.unwrap_or(current.created_at),
            read: MoneyRead {
                paid_fen: current.paid_fen,
                refunded_fen: current.refunded_fen,
                gift_fen: current.gift_fen,
            },
            bill_read: BillRead::of(&current),
            payment_status: PaymentStatus::Paid,
            refunds: Vec::new(),
            collection: None,
        };
        app.store.rebill_order(rebill).await.unwrap();
    }
    let ending: Vec<&order::Model> = orders.iter().filter(|o| o.status == "CHARGING" && rng.gen_bool(0.5)).collect();
    for o in ending {
        let ended = o.started_at.unwrap() + Duration::seconds(rng.gen_range(0..150_000));
        let mut change = Transition {
            charging_ended_at: Some(ended),
            ..Transition::new(OrderStatus::Charging, &[OrderStatus::Charging])
        };
        // As the orders tell the store (`Orders::transition`): charging ended, it counts.
        change.counted = change.counts();
        assert!(app.store.transition(&o.order_no, change).await.unwrap().is_some());
    }
    let moved = json!({"stationCode": *rng.pick(&STATIONS)});
    assert_eq!(app.operator("PUT", "/api/v1/piles/RS-A-1/station", Some(&moved)).await.0, 200);
    let zone = json!({"timezone": *rng.pick(&ZONES)});
    assert_eq!(app.operator("PATCH", "/api/v1/stations/RS-B", Some(&zone)).await.0, 200);
}

/// `report` and `report_from_orders` for `from`..`to` by `group_by` (of `station`): equal, but
/// for utilisation's last place (time sums in another order).
async fn same_answers(app: &TestApp, from: NaiveDate, to: NaiveDate, group_by: &str, station: Option<&str>) {
    let query = StatsQuery::parse(Some(&from.to_string()), Some(&to.to_string()), Some(group_by), station).unwrap();
    let stats = Stats::new(app.store.clone());
    let rolled = serde_json::to_value(stats.report(&query).await.unwrap()).unwrap();
    let counted = serde_json::to_value(stats.report_from_orders(&query).await.unwrap()).unwrap();
    let (rolled, rolled_shares) = shares(rolled);
    let (counted, counted_shares) = shares(counted);
    assert_eq!(rolled, counted, "{query:?}");
    assert_eq!(rolled_shares.len(), counted_shares.len());
    for (a, b) in rolled_shares.iter().zip(&counted_shares) {
        assert!((a - b).abs() <= 0.000_11, "{query:?}: utilisation {a} against {b}");
    }
}

/// The answer without its utilisations, and those.
fn shares(mut answer: Value) -> (Value, Vec<f64>) {
    let mut found = Vec::new();
    let groups = answer["groups"].as_array_mut().map(|g| g.iter_mut().collect::<Vec<_>>()).unwrap_or_default();
    for figures in groups {
        found.push(figures["utilisation"].take().as_f64().unwrap());
    }
    found.push(answer["total"]["utilisation"].take().as_f64().unwrap());
    (answer, found)
}

#[tokio::test]
async fn the_rollups_answer_as_the_orders_do_over_random_histories_periods_and_groupings() {
    for seed in 1..=3u8 {
        let app = spawn_app().await;
        let mut rng = Dice(0x9E37_79B9_7F4A_7C15 ^ u64::from(seed));
        let piles = stations(&app, &mut rng).await;
        let orders = history(&app, &mut rng, &piles).await;
        changes(&app, &mut rng, &orders).await;
        let (stored, recomputed) = Stats::new(app.store.clone()).rollups_and_recomputed().await.unwrap();
        assert_eq!(stored, recomputed, "seed {seed}");
        let first = origin().date_naive() - Duration::days(2);
        for _ in 0..4 {
            let from = first + Duration::days(rng.gen_range(0..20));
            let to = from + Duration::days(rng.gen_range(1..12));
            for (group_by, station) in [("day", None), ("station", None), ("pile", None), ("day", Some("RS-B"))] {
                same_answers(&app, from, to, group_by, station).await;
            }
        }
        same_answers(&app, first, first + Duration::days(30), "day", None).await;
        app.stop().await;
    }
}

#[tokio::test]
async fn completions_racing_refunds_leave_the_rollups_equal_to_a_recomputation_from_the_orders() {
    let app = spawn_app().await;
    let raced = futures_util::future::join_all((0..8).map(|n| crate::settlement_races::race(&app, n + 20))).await;
    assert_eq!(raced.len(), 8);
    let (stored, recomputed) = Stats::new(app.store.clone()).rollups_and_recomputed().await.unwrap();
    assert!(!stored.days.is_empty() && !stored.users.is_empty());
    assert_eq!(stored, recomputed);
    // Each order made, completed and refunded on its pile today.
    let today = Utc::now().date_naive();
    let query = StatsQuery::parse(
        Some(&(today - Duration::days(1)).to_string()),
        Some(&(today + Duration::days(2)).to_string()),
        Some("station"),
        None,
    )
    .unwrap();
    let stats = Stats::new(app.store.clone());
    let (rolled, _) = shares(serde_json::to_value(stats.report(&query).await.unwrap()).unwrap());
    let (counted, _) = shares(serde_json::to_value(stats.report_from_orders(&query).await.unwrap()).unwrap());
    assert_eq!(rolled, counted);
    assert_eq!(rolled["total"]["orders"]["completed"], 8);
    app.stop().await;
}

#[tokio::test]
async fn catch_ups_racing_each_other_and_the_changes_they_count_count_each_change_once() {
    let app = spawn_app().await;
    let stop = tokio_util::sync::CancellationToken::new();
    // Three catch-ups besides the server's own, one after another as fast as they go.
    let counters: Vec<_> = (0..3)
        .map(|_| {
            let (stats, stop) = (Stats::new(app.store.clone()), stop.clone());
            tokio::spawn(async move {
                while !stop.is_cancelled() {
                    stats.catch_up().await.unwrap();
                    tokio::time::sleep(std::time::Duration::from_millis(3)).await;
                }
            })
        })
        .collect();
    let raced = futures_util::future::join_all((0..8).map(|n| crate::settlement_races::race(&app, n + 40))).await;
    stop.cancel();
    for counter in counters {
        counter.await.unwrap();
    }
    assert_eq!(raced.len(), 8);
    let (stored, recomputed) = Stats::new(app.store.clone()).rollups_and_recomputed().await.unwrap();
    assert!(!stored.days.is_empty() && !stored.users.is_empty());
    assert_eq!(stored, recomputed);
    app.stop().await;
}
