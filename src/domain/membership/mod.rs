//! Membership (会员体系) and price groups: the operator's ladder of member levels (a threshold
//! on the last 12 months' energy or spend, a percentage off the energy and the service fee) and
//! price groups (a fleet, the staff) that pay a tariff of their own per station. A driver in a
//! group pays the group's tariff where it has one, else the station's, less their level's
//! discount; an order freezes both when it is made. Levels are recomputed every night, once per
//! cluster (see [`Membership::nightly`]), or at once on an operator's word.

pub mod levels;
pub mod port;

pub use levels::{Basis, Level, LevelView};
pub use port::{MemberRecord, MembershipStore, Standing};

use crate::config::MembershipSettings;
use crate::domain::ledger::money::Fen;
use crate::domain::nodes::{Job, Nodes};
use crate::domain::storage::StoreError;
use crate::domain::tariffs::Discount;
use crate::domain::units::Wh;
use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// How far back a driver's orders count.
const TWELVE_MONTHS: chrono::Duration = chrono::Duration::days(365);
/// How often the nightly job looks whether its time has come.
const LOOK_EVERY: std::time::Duration = std::time::Duration::from_secs(60);

/// Why a membership request was refused.
#[derive(Debug, thiserror::Error)]
pub enum MembershipError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error("user {0} not found")]
    NoUser(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A level as the operator gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LevelInput {
    pub name: String,
    pub basis: String,
    pub threshold: serde_json::Value,
    pub energy_discount_pct: i64,
    pub service_discount_pct: i64,
}

/// What a driver sees of their membership.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MembershipView {
    /// Their level as of the last recompute (none below the first).
    pub level: Option<LevelView>,
    pub price_group: Option<String>,
    /// Their last 12 months, as of now: kWh and yuan.
    pub energy_kwh: String,
    pub spend: String,
    /// The level above theirs, and what it still asks (kWh or yuan) by now's figures.
    pub next: Option<NextLevel>,
    pub computed_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NextLevel {
    pub level: LevelView,
    pub remaining: String,
}

/// The membership service.
#[derive(Debug, Clone)]
pub struct Membership {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    store: Arc<dyn MembershipStore>,
    settings: MembershipSettings,
    node: String,
}

impl Membership {
    pub fn new(store: impl MembershipStore + 'static, settings: MembershipSettings, node: String) -> Self {
        Membership { inner: Arc::new(Inner { store: Arc::new(store), settings, node }) }
    }

    /// The ladder, lowest first.
    pub async fn levels(&self) -> Result<Vec<LevelView>, MembershipError> {
        Ok(self.inner.store.member_levels().await?.iter().map(LevelView::from).collect())
    }

    /// Replaces the ladder (lowest first); drivers' levels follow at the next recompute.
    pub async fn set_levels(&self, given: Vec<LevelInput>) -> Result<Vec<LevelView>, MembershipError> {
        let invalid = |message| MembershipError::Invalid { field: "levels", message };
        let parsed = given
            .iter()
            .map(|l| Level::parse(&l.name, &l.basis, &l.threshold, l.energy_discount_pct, l.service_discount_pct))
            .collect::<Result<Vec<_>, _>>()
            .map_err(invalid)?;
        let ladder = levels::checked(parsed).map_err(invalid)?;
        let shown = ladder.iter().map(LevelView::from).collect();
        self.inner.store.replace_member_levels(ladder).await?;
        Ok(shown)
    }

    /// Puts a driver in a price group, or (none) out of any.
    pub async fn set_group(&self, user_id: i64, group: Option<&str>) -> Result<(), MembershipError> {
        if let Some(code) = group {
            crate::domain::stations::price_group(code)
                .map_err(|e| MembershipError::Invalid { field: "group", message: e.to_string() })?;
        }
        match self.inner.store.set_price_group(user_id, group).await? {
            true => Ok(()),
            false => Err(MembershipError::NoUser(user_id)),
        }
    }

    /// What a driver's orders are priced with: their price group, and their level's discount.
    pub async fn pricing(&self, user_id: i64) -> Result<(Option<String>, Option<Discount>), StoreError> {
        let Some(member) = self.inner.store.member_of(user_id).await? else { return Ok((None, None)) };
        let discount = match &member.level {
            Some(name) => self.inner.store.member_levels().await?.iter().find(|l| &l.name == name).map(Level::discount),
            None => None,
        };
        Ok((member.price_group, discount))
    }

    /// A driver's membership: their level, group, last 12 months and what the next level asks.
    pub async fn of(&self, user_id: i64) -> Result<MembershipView, MembershipError> {
        let member = self.inner.store.member_of(user_id).await?.ok_or(MembershipError::NoUser(user_id))?;
        let ladder = self.inner.store.member_levels().await?;
        let figures = self.inner.store.spent_since(Utc::now() - TWELVE_MONTHS, Some(user_id)).await?;
        let (energy_wh, spend) = figures.first().map_or((0, Fen::ZERO), |(_, wh, fen)| (*wh, *fen));
        let level = member.level.as_ref().and_then(|name| ladder.iter().position(|l| &l.name == name));
        let next = match level {
            Some(i) => ladder.get(i + 1),
            None => ladder.first(),
        }
        .map(|next| NextLevel {
            level: LevelView::from(next),
            remaining: match next.basis {
                Basis::Energy => Wh((next.threshold - energy_wh).max(0)).kwh_text(),
                Basis::Spend => Fen((next.threshold - spend.get()).max(0)).to_string(),
            },
        });
        Ok(MembershipView {
            level: level.map(|i| LevelView::from(&ladder[i])),
            price_group: member.price_group,
            energy_kwh: Wh(energy_wh).kwh_text(),
            spend: spend.to_string(),
            next,
            computed_at: member.computed_at,
        })
    }

    /// Recomputes every driver's level from their last 12 months of completed orders; answers
    /// how many drivers have a level.
    pub async fn recompute(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let ladder = self.inner.store.member_levels().await?;
        let figures = self.inner.store.spent_since(now - TWELVE_MONTHS, None).await?;
        let standings: Vec<Standing> = figures
            .into_iter()
            .map(|(user_id, energy_wh, spend)| Standing {
                user_id,
                level: levels::standing(&ladder, energy_wh, spend).0.map(|l| l.name.clone()),
                energy_wh,
                spend,
            })
            .collect();
        let leveled = standings.iter().filter(|s| s.level.is_some()).count();
        self.inner.store.store_standings(standings, now).await?;
        Ok(leveled)
    }

    /// Recomputes levels once a day after `membership.recompute_at` (in `membership.timezone`),
    /// on the node holding the job's lease, each day claimed in the database (so a lease handed
    /// over the same night does not run it twice), until `stop`.
    pub async fn nightly(self, nodes: Nodes, stop: CancellationToken) {
        let zone: Tz = self.inner.settings.timezone.parse().unwrap_or(chrono_tz::Asia::Shanghai);
        let at = NaiveTime::parse_from_str(&self.inner.settings.recompute_at, "%H:%M").unwrap_or(NaiveTime::MIN);
        let mut tick = tokio::time::interval(LOOK_EVERY);
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stop.cancelled() => return,
            }
            let now = Utc::now();
            let local = now.with_timezone(&zone);
            if !nodes.runs(Job::Membership) || local.time() < at {
                continue;
            }
            let day = local.date_naive().to_string();
            match self.inner.store.claim_membership_run(&day, &self.inner.node, now).await {
                Ok(true) => match self.recompute(now).await {
                    Ok(leveled) => tracing::info!(day, leveled, "member levels recomputed"),
                    Err(e) => tracing::warn!(day, error = %e, "recomputing member levels failed: tomorrow again"),
                },
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "claiming the night's member levels failed"),
            }
        }
    }
}
