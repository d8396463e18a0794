//! The hidden hazards (隐患) as the viewer and a bureau's staff ask for them: per town
//! (`/api/hidden/areas`), per feature (`/api/hidden/of/{layer}/{id}`: the counts and the
//! open ones of an enterprise, a hazard source, a pipe, a house or a protection target)
//! and month by month (`/api/hidden/trend`). Each takes `as_of=YYYY-MM-DD` (default: the
//! analysis's day).

use axum::Json;
use axum::extract::{Path, Query, State};
use std::sync::Arc;

use riskmap_core::analysis::hidden_hazards::{self, HiddenCounts, HiddenState};
use riskmap_core::analysis::hidden_trend;
use riskmap_core::model::{Day, LayerKind};
use serde::Deserialize;
use serde_json::{Value, json};

use super::AppStateRef;
use crate::server::dated::parse_as_of;
use crate::server::day_data::{Dated, keeps_history};
use crate::server::error::AppError;
use crate::server::state::Snapshot;

/// `as_of` alone.
#[derive(Debug, Deserialize, Default)]
pub(in crate::server) struct DayQuery {
    as_of: Option<String>,
}

/// The query of a trend.
#[derive(Debug, Deserialize, Default)]
pub(in crate::server) struct TrendQuery {
    area: Option<String>,
    months: Option<String>,
    as_of: Option<String>,
}

/// The day asked for, or the analysis's (today when it has none).
fn day_of(snap: &Snapshot, as_of: Option<&str>) -> Result<Day, AppError> {
    Ok(parse_as_of(as_of)?
        .or(snap.analysis().as_of)
        .unwrap_or_else(Day::today))
}

/// The data of a day and where its hidden hazards stood: the served snapshot's on the
/// analysis's day, else the map of the day (taken back through the store's history when
/// the source keeps one).
struct OnDay {
    served: Arc<Snapshot>,
    dated: Option<Arc<Dated>>,
}

impl OnDay {
    async fn get(state: &AppStateRef, snap: Arc<Snapshot>, day: Day) -> Result<OnDay, AppError> {
        if snap.analysis().as_of == Some(day) {
            return Ok(OnDay {
                served: snap,
                dated: None,
            });
        }
        let d = state.dated.get(state, &snap, day).await?;
        Ok(OnDay {
            served: snap,
            dated: Some(d),
        })
    }

    fn dataset(&self) -> &riskmap_core::dataset::Dataset {
        match &self.dated {
            Some(d) => d.dataset(&self.served),
            None => self.served.dataset(),
        }
    }

    fn analysis(&self) -> &riskmap_core::analysis::Analysis {
        match &self.dated {
            Some(d) => d.analysis(&self.served),
            None => self.served.analysis(),
        }
    }

    fn live(&self) -> &riskmap_core::live::Live {
        match &self.dated {
            Some(d) => d.live(&self.served),
            None => &self.served.live,
        }
    }

    fn states(&self) -> &[HiddenState] {
        match &self.dated {
            Some(d) => d.view.hidden_states(),
            None => &self.served.analysis().hidden_states,
        }
    }

    /// Change records of the store taken back to reach the day.
    fn taken_back(&self) -> usize {
        self.dated.as_ref().map_or(0, |d| d.taken_back)
    }
}

/// The hidden hazards per town and for the district on the day: found, open, overdue,
/// major open, closed, the share closed and the median days to close.
pub(in crate::server) async fn areas(
    State(state): State<AppStateRef>,
    Query(q): Query<DayQuery>,
) -> Result<Json<Value>, AppError> {
    let snap = state.snapshot();
    let day = day_of(&snap, q.as_of.as_deref())?;
    let on = OnDay::get(&state, snap, day).await?;
    let rows = hidden_hazards::by_area(on.dataset(), on.states());
    // The categories the ledger uses, most frequent first (the viewer's filter).
    let mut cats: std::collections::HashMap<&str, u32> = Default::default();
    for f in on.dataset().hidden_hazards.features() {
        if let Some(c) = f.props.category.as_deref() {
            *cats.entry(c).or_default() += 1;
        }
    }
    let mut cats: Vec<(&str, u32)> = cats.into_iter().collect();
    cats.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    let categories: Vec<Value> = cats
        .into_iter()
        .map(|(name, count)| json!({"name": name, "count": count}))
        .collect();
    Ok(Json(json!({
        "as_of": day.to_string(),
        "areas": rows,
        "categories": categories,
        "history_kept": keeps_history(&state),
        "history_taken_back": on.taken_back(),
        "history_left_out": on.dated.as_ref().map_or(0, |d| d.left_out),
    })))
}

/// The layers a hidden hazard can belong to.
const LINKABLE: [LayerKind; 5] = [
    LayerKind::Enterprises,
    LayerKind::HazardSources,
    LayerKind::GasPipelines,
    LayerKind::Houses,
    LayerKind::ProtectionTargets,
];

/// The hidden hazards of one feature on the day: their counts, and the open ones (major
/// first, then the longest overdue). An enterprise's include those of its hazard sources,
/// as its level counts them.
pub(in crate::server) async fn of_feature(
    State(state): State<AppStateRef>,
    Path((layer, id)): Path<(String, String)>,
    Query(q): Query<DayQuery>,
) -> Result<Json<Value>, AppError> {
    let snap = state.snapshot();
    let kind = LINKABLE
        .into_iter()
        .find(|k| k.name() == layer)
        .ok_or_else(|| {
            AppError::not_found(format!(
                "hidden hazards belong to {}, not to '{layer}'",
                LINKABLE.map(|k| k.name()).join(", ")
            ))
        })?;
    let day = day_of(&snap, q.as_of.as_deref())?;
    let on = OnDay::get(&state, snap, day).await?;
    let pos = on
        .live()
        .position(kind, &id)
        .ok_or_else(|| AppError::not_found(format!("no feature '{id}' in {layer} on {day}")))?;
    let ds = on.dataset();
    let states = on.states();
    // An enterprise's hazard sources are its own.
    let sources: std::collections::HashSet<&str> = if kind == LayerKind::Enterprises {
        ds.hazard_sources
            .features()
            .iter()
            .filter(|f| f.props.enterprise_id.as_deref() == Some(id.as_str()))
            .map(|f| f.id.as_str())
            .collect()
    } else {
        Default::default()
    };
    let mut counts = HiddenCounts::default();
    let mut open = Vec::new();
    for (i, f) in ds.hidden_hazards.features().iter().enumerate() {
        let h = &f.props;
        let (Some(fl), Some(fid)) = (h.feature_layer, h.feature_id.as_deref()) else {
            continue;
        };
        let mine =
            (fl == kind && fid == id) || (fl == LayerKind::HazardSources && sources.contains(fid));
        if !mine {
            continue;
        }
        let Some(&s) = states.get(i) else {
            continue;
        };
        counts.add(h, &s);
        if s.open {
            open.push((f, s));
        }
    }
    open.sort_by(|(fa, sa), (fb, sb)| {
        fb.props
            .major
            .cmp(&fa.props.major)
            .then(sb.days_overdue.cmp(&sa.days_overdue))
            .then(fa.id.cmp(&fb.id))
    });
    let open: Vec<Value> = open
        .into_iter()
        .map(|(f, s)| {
            let h = &f.props;
            json!({
                "id": f.id,
                "major": h.major,
                "status": s.status.map(|x| x.key()),
                "status_zh": s.status.map(|x| x.name_zh()),
                "category": h.category,
                "description": h.description,
                "discovered": h.discovered.map(|d| d.to_string()),
                "deadline": h.deadline.map(|d| d.to_string()),
                "days_overdue": s.days_overdue,
                "responsible_unit": h.responsible_unit,
                "feature_layer": h.feature_layer.map(|k| k.name()),
                "feature_id": h.feature_id,
            })
        })
        .collect();
    Ok(Json(json!({
        "as_of": day.to_string(),
        "layer": kind.name(),
        "id": id,
        "name": ds.name_at(kind, pos),
        "counts": counts,
        "open": open,
    })))
}

/// Month by month for a town (`area`, by name or id) or the district: found and closed in
/// the month, open, overdue and major open at its end, enterprises and houses per level
/// at its end. `months` 1–60 (default 12), up to the day. On a store's server the levels
/// are those of the map as it stood at each month's end ([`crate::server::month_ends`]).
pub(in crate::server) async fn trend(
    State(state): State<AppStateRef>,
    Query(q): Query<TrendQuery>,
) -> Result<Json<Value>, AppError> {
    let snap = state.snapshot();
    let day = day_of(&snap, q.as_of.as_deref())?;
    let months = match q.months.as_deref().map(str::trim) {
        None | Some("") => 12,
        Some(m) => m
            .parse::<u32>()
            .ok()
            .filter(|m| (1..=60).contains(m))
            .ok_or_else(|| {
                AppError::bad_request(format!("months must be a whole number 1–60, not '{m}'"))
            })?,
    };
    // The data of the trend's last day (the store's history taken back to it), where the
    // area is looked up.
    let on = OnDay::get(&state, Arc::clone(&snap), day).await?;
    let ds = on.dataset();
    let area = match q.area.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(name) => Some(ds.area_position(name).ok_or_else(|| {
            AppError::not_found(format!("no area '{name}' (known: {})", ds.area_names()))
        })?),
    };
    let (name, area_id) = match area.and_then(|k| ds.areas.get(k)) {
        Some(f) => (f.props.name.clone(), Some(f.id.clone())),
        None => ("全区".to_string(), None),
    };
    let ends = state.month_ends.get(&state, &snap, months, day).await?;
    let levels_taken_back = ends.as_ref().map_or(0, |e| e.taken_back);
    let taken_back = on.taken_back();
    let left_out =
        on.dated.as_ref().map_or(0, |d| d.left_out) + ends.as_ref().map_or(0, |e| e.left_out);
    let walked = ends.as_ref().is_some_and(|e| e.levels.is_some());
    let rows = tokio::task::spawn_blocking(move || {
        let rules = &on.served.rules;
        match ends.as_ref().and_then(|e| e.levels.as_ref()) {
            Some(levels) => {
                let levels: Vec<_> = levels.iter().map(|l| l.of_id(area_id.as_deref())).collect();
                hidden_trend::monthly_with_levels(on.dataset(), area, day, &levels)
            }
            None => hidden_trend::monthly(on.dataset(), on.analysis(), rules, area, months, day),
        }
    })
    .await?;
    Ok(Json(json!({
        "area": name,
        "as_of": day.to_string(),
        "months": rows,
        "history_kept": keeps_history(&state),
        "history_taken_back": taken_back,
        "history_left_out": left_out,
        // Whether each month's levels are those of its own day's map (a store whose
        // houses or sources changed in the months), not the last day's.
        "levels_by_month": walked,
        "levels_taken_back": levels_taken_back,
    })))
}
