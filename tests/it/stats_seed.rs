//! The history `stats` counts, written with the exact times its figures depend on: a Shanghai
//! station (UTC+8) with piles SH-1 and SH-2, a London one (UTC+1 in June) with LD-1; orders on
//! both sides of local midnights, refunds, charging across a local midnight and one charging
//! still; users signed up inside and outside each station's range (2025-06-01 to 2025-06-03).

use crate::helpers::TestApp;
use chrono::{DateTime, Utc};
use entity::{connector, order, payment, refund, user};
use sea_orm::{ActiveValue::Set, EntityTrait};
use serde_json::json;

fn at(text: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(text).unwrap().to_utc()
}

/// An order as the seed writes it; times RFC 3339.
#[derive(Default)]
struct Seeded {
    no: &'static str,
    user: i64,
    pile: &'static str,
    status: &'static str,
    created: &'static str,
    started: Option<&'static str>,
    charging_ended: Option<&'static str>,
    completed: Option<&'static str>,
    /// Energy (Wh), energy fee, service fee, occupancy fee (fen) of a completed order.
    bill: Option<(i64, i64, i64, i64)>,
}

impl Seeded {
    fn row(&self) -> order::ActiveModel {
        let (energy, energy_fee, service_fee, occupancy) =
            self.bill.map_or((None, None, None, None), |(e, f, s, o)| (Some(e), Some(f), Some(s), Some(o)));
        let live = self.status == "CHARGING";
        order::ActiveModel {
            order_no: Set(self.no.into()),
            user_id: Set(self.user),
            charger_id: Set(self.pile.into()),
            evse_id: Set(0),
            connector_id: Set(1),
            id_tag: Set(format!("TAG-{}", self.user)),
            status: Set(self.status.into()),
            pay_mode: Set("prepaid".into()),
            payment_status: Set("PAID".into()),
            paid_fen: Set(0),
            refunded_fen: Set(0),
            refund_to: Set("original".into()),
            tariff: Set("{}".into()),
            timezone: Set("Asia/Shanghai".into()),
            energy_wh: Set(energy),
            energy_fee_fen: Set(energy_fee),
            service_fee_fen: Set(service_fee),
            occupancy_fee_fen: Set(occupancy),
            total_fen: Set(self.bill.map(|(_, f, s, o)| f + s + o)),
            active_user_id: Set(live.then_some(self.user)),
            active_connector: Set(live.then(|| format!("{}/0/1", self.pile))),
            lock_expires_at: Set(at(self.created)),
            started_at: Set(self.started.map(at)),
            charging_ended_at: Set(self.charging_ended.map(at)),
            stopped_at: Set(self.charging_ended.map(at)),
            completed_at: Set(self.completed.map(at)),
            created_at: Set(at(self.created)),
            updated_at: Set(at(self.completed.unwrap_or(self.created))),
            ..Default::default()
        }
    }
}

pub(crate) fn user_row(id: i64, created: &str) -> user::ActiveModel {
    user::ActiveModel {
        id: Set(id),
        phone: Set(format!("1380000000{id}")),
        nickname: Set(format!("driver {id}")),
        role: Set("user".into()),
        status: Set("active".into()),
        id_tag: Set(format!("TAG-{id}")),
        balance_fen: Set(0),
        created_at: Set(at(created)),
        updated_at: Set(at(created)),
        ..Default::default()
    }
}

pub(crate) fn payment_row(
    no: &str,
    user: i64,
    order_no: Option<&str>,
    amount_fen: i64,
    when: &str,
) -> payment::ActiveModel {
    payment::ActiveModel {
        payment_no: Set(no.into()),
        user_id: Set(user),
        order_no: Set(order_no.map(str::to_owned)),
        purpose: Set(if order_no.is_some() { "order" } else { "top_up" }.into()),
        method: Set("wechat".into()),
        amount_fen: Set(amount_fen),
        refunded_fen: Set(0),
        status: Set("SUCCEEDED".into()),
        paid_at: Set(Some(at(when))),
        created_at: Set(at(when)),
        updated_at: Set(at(when)),
        ..Default::default()
    }
}

pub(crate) fn refund_row(no: &str, payment_no: &str, amount_fen: i64, status: &str, when: &str) -> refund::ActiveModel {
    refund::ActiveModel {
        refund_no: Set(no.into()),
        payment_no: Set(payment_no.into()),
        amount_fen: Set(amount_fen),
        destination: Set("original".into()),
        status: Set(status.into()),
        attempts: Set(1),
        created_at: Set(at(when)),
        updated_at: Set(at(when)),
        ..Default::default()
    }
}

fn connector_row(pile: &str, evse_id: i32, connector_id: i32) -> connector::ActiveModel {
    connector::ActiveModel {
        charger_id: Set(pile.into()),
        evse_id: Set(evse_id),
        connector_id: Set(connector_id),
        status: Set("Available".into()),
        status_at: Set(at("2025-05-01T00:00:00Z")),
        updated_at: Set(at("2025-05-01T00:00:00Z")),
        ..Default::default()
    }
}

/// Stations and piles through the API; connectors, users, orders, payments and refunds written
/// with the exact times the figures depend on.
pub(crate) async fn seed(app: &TestApp) {
    for (code, zone, pile) in
        [("ST-SH", "Asia/Shanghai", vec!["SH-1", "SH-2"]), ("ST-LD", "Europe/London", vec!["LD-1"])]
    {
        let body = json!({"code": code, "name": code, "province": "P", "city": "C", "district": "D",
            "address": "A", "lng": 121.47, "lat": 31.23, "timezone": zone});
        let (status, answer) = app.operator("POST", "/api/v1/stations", Some(&body)).await;
        assert_eq!(status, 201, "{answer}");
        for pile in pile {
            let body = json!({"code": pile, "name": pile, "stationCode": code, "type": "DC", "maxPowerKw": 60});
            let (status, answer) = app.operator("POST", "/api/v1/piles", Some(&body)).await;
            assert_eq!(status, 201, "{answer}");
        }
    }
    let db = app.store.db();
    // SH-1 has two connectors (and 1.6's connector 0, the charger itself), SH-2 one, LD-1 one
    // (2.0.1's EVSE 1).
    let connectors = [("SH-1", 0, 0), ("SH-1", 0, 1), ("SH-1", 0, 2), ("SH-2", 0, 1), ("LD-1", 1, 1)];
    connector::Entity::insert_many(connectors.map(|(p, e, c)| connector_row(p, e, c))).exec(db).await.unwrap();
    // U1 before the range, U2 inside both ranges, U3 after Shanghai's range but inside London's,
    // U4 inside but never charging.
    let users = [
        (1, "2025-05-01T00:00:00Z"),
        (2, "2025-06-01T10:00:00Z"),
        (3, "2025-06-02T20:00:00Z"),
        (4, "2025-06-01T12:00:00Z"),
    ];
    for (id, _) in users {
        app.store.create_id_tag(&format!("TAG-{id}"), "Accepted", None, None).await.unwrap();
    }
    user::Entity::insert_many(users.map(|(id, created)| user_row(id, created))).exec(db).await.unwrap();
    let orders = [
        // Made at 23:00 on 06-01 in Shanghai; charges 23:30 to 00:30, across local midnight.
        Seeded {
            no: "O1",
            user: 1,
            pile: "SH-1",
            status: "COMPLETED",
            created: "2025-06-01T15:00:00Z",
            started: Some("2025-06-01T15:30:00Z"),
            charging_ended: Some("2025-06-01T16:30:00Z"),
            completed: Some("2025-06-01T16:40:00Z"),
            bill: Some((10_500, 800, 400, 50)),
        },
        // Made at 00:30 on 06-02 in Shanghai.
        Seeded {
            no: "O2",
            user: 2,
            pile: "SH-1",
            status: "COMPLETED",
            created: "2025-06-01T16:30:00Z",
            started: Some("2025-06-01T16:45:00Z"),
            charging_ended: Some("2025-06-01T17:45:00Z"),
            completed: Some("2025-06-01T18:00:00Z"),
            bill: Some((1_845, 150, 100, 0)),
        },
        Seeded {
            no: "O3",
            user: 2,
            pile: "SH-2",
            status: "CANCELLED",
            created: "2025-06-02T01:00:00Z",
            completed: Some("2025-06-02T01:10:00Z"),
            ..Default::default()
        },
        // Made before the range, charging into it (1 h 10 min of it), completed in it.
        Seeded {
            no: "O4",
            user: 1,
            pile: "SH-2",
            status: "COMPLETED",
            created: "2025-05-31T15:00:00Z",
            started: Some("2025-05-31T15:10:00Z"),
            charging_ended: Some("2025-05-31T17:10:00Z"),
            completed: Some("2025-05-31T17:15:00Z"),
            bill: Some((20_000, 1_600, 800, 0)),
        },
        // Charging still: until the end of the range, 5 h 55 min of it.
        Seeded {
            no: "O5",
            user: 3,
            pile: "SH-1",
            status: "CHARGING",
            created: "2025-06-02T10:00:00Z",
            started: Some("2025-06-02T10:05:00Z"),
            ..Default::default()
        },
        // 01:00 on 06-03 in Shanghai: after the range.
        Seeded {
            no: "O6",
            user: 1,
            pile: "SH-2",
            status: "COMPLETED",
            created: "2025-06-02T17:00:00Z",
            started: Some("2025-06-02T17:05:00Z"),
            charging_ended: Some("2025-06-02T17:50:00Z"),
            completed: Some("2025-06-02T18:00:00Z"),
            bill: Some((99_999, 9_999, 9_999, 0)),
        },
        // 21:00 on 06-02 in London.
        Seeded {
            no: "O7",
            user: 3,
            pile: "LD-1",
            status: "COMPLETED",
            created: "2025-06-02T20:00:00Z",
            started: Some("2025-06-02T20:10:00Z"),
            charging_ended: Some("2025-06-02T21:10:00Z"),
            completed: Some("2025-06-02T21:20:00Z"),
            bill: Some((7_000, 500, 200, 0)),
        },
        // 23:30 on 06-01 in London; it failed to start.
        Seeded {
            no: "O8",
            user: 2,
            pile: "LD-1",
            status: "FAILED",
            created: "2025-06-01T22:30:00Z",
            completed: Some("2025-06-01T22:40:00Z"),
            ..Default::default()
        },
    ];
    order::Entity::insert_many(orders.iter().map(Seeded::row)).exec(db).await.unwrap();
    let payments = [
        payment_row("P1", 1, Some("O1"), 2_000, "2025-06-01T15:01:00Z"),
        payment_row("P3", 2, Some("O3"), 3_000, "2025-06-02T01:01:00Z"),
        payment_row("P4", 1, Some("O4"), 5_000, "2025-05-31T15:01:00Z"),
        payment_row("P6", 1, Some("O6"), 5_000, "2025-06-02T17:01:00Z"),
        payment_row("P8", 2, Some("O8"), 1_000, "2025-06-01T22:31:00Z"),
        payment_row("PT", 4, None, 500, "2025-06-01T12:00:00Z"),
    ];
    payment::Entity::insert_many(payments).exec(db).await.unwrap();
    let refunds = [
        // O1's settlement (Shanghai 06-02), and a failed refund that counts for nothing.
        refund_row("R1", "P1", 750, "SUCCEEDED", "2025-06-01T16:40:00Z"),
        refund_row("R1F", "P1", 999, "FAILED", "2025-06-01T17:00:00Z"),
        refund_row("R3", "P3", 3_000, "SUCCEEDED", "2025-06-02T01:10:00Z"),
        // Shanghai 06-01, 01:15 local.
        refund_row("R4", "P4", 2_600, "SUCCEEDED", "2025-05-31T17:15:00Z"),
        refund_row("R6", "P6", 5_000, "SUCCEEDED", "2025-06-02T18:00:00Z"),
        // London 06-01, still pending at the provider.
        refund_row("R8", "P8", 1_000, "PENDING", "2025-06-01T22:40:00Z"),
        // A top-up's refund: no order, no station.
        refund_row("RT", "PT", 500, "SUCCEEDED", "2025-06-01T12:30:00Z"),
    ];
    refund::Entity::insert_many(refunds).exec(db).await.unwrap();
    // Written around the store: its rollups are made from them, as the migration makes them.
    app.store.rebuild_stats().await.unwrap();
}
