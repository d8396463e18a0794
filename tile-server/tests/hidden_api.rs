//! The hidden-hazard API and the map as of a day, on a generated city: a feature's
//! counts held against the GeoJSON export of the same records, a month's end against the
//! per-town figures of that day, the tiles of the analysis day unchanged by `as_of`, and
//! the errors of bad parameters.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::StatusCode;
use common::{get, json, send, served_centre_tile, state_with};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;
use serde_json::Value;

#[tokio::test]
async fn a_features_hidden_hazards_are_those_the_export_links_to_it() {
    let app = router(state_with(ServerConfig::default(), None));
    let (_, _, body) = send(&app, get("/api/features/hidden_hazards.geojson")).await;
    let fc = json(&body);
    let (_, _, body) = send(&app, get("/api/features/hazard_sources.geojson")).await;
    let sources = json(&body);
    let feats = fc["features"].as_array().unwrap();
    // The enterprise with the most hazards of its own.
    let mut per: std::collections::BTreeMap<String, usize> = Default::default();
    for f in feats {
        let p = &f["properties"];
        if p["feature_layer"] == "enterprises" {
            *per.entry(p["feature_id"].as_str().unwrap().to_string())
                .or_default() += 1;
        }
    }
    let (id, _) = per
        .iter()
        .max_by_key(|(k, n)| (**n, std::cmp::Reverse((*k).clone())))
        .unwrap();
    // Its own and its hazard sources', as the export links them.
    let mine: std::collections::HashSet<&str> = sources["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["properties"]["enterprise_id"] == id.as_str())
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    let linked: Vec<&Value> = feats
        .iter()
        .filter(|f| {
            let p = &f["properties"];
            (p["feature_layer"] == "enterprises" && p["feature_id"] == id.as_str())
                || (p["feature_layer"] == "hazard_sources"
                    && mine.contains(p["feature_id"].as_str().unwrap_or("")))
        })
        .collect();
    let count = |k: &str| linked.iter().filter(|f| f["properties"][k] == true).count();
    let (status, _, body) = send(&app, get(&format!("/api/hidden/of/enterprises/{id}"))).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let of = json(&body);
    assert_eq!(of["counts"]["found"], linked.len());
    assert_eq!(of["counts"]["open"], count("open"));
    assert_eq!(of["counts"]["overdue"], count("overdue"));
    let open = of["open"].as_array().unwrap();
    assert_eq!(open.len(), count("open"));
    // Major ones first, then the longest overdue.
    let keys: Vec<(bool, i64)> = open
        .iter()
        .map(|h| (h["major"] == true, h["days_overdue"].as_i64().unwrap_or(0)))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(keys, sorted);

    // Before anything was found, nothing.
    let (_, _, body) = send(
        &app,
        get(&format!("/api/hidden/of/enterprises/{id}?as_of=2000-01-01")),
    )
    .await;
    assert_eq!(json(&body)["counts"]["found"], 0);
}

#[tokio::test]
async fn a_months_end_is_the_towns_figures_of_that_day() {
    let state = state_with(ServerConfig::default(), None);
    let app = router(state.clone());
    let (status, _, body) = send(&app, get("/api/hidden/trend?months=3&as_of=2026-10-15")).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let t = json(&body);
    let months = t["months"].as_array().unwrap();
    let names: Vec<&str> = months
        .iter()
        .map(|m| m["month"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["2026-08", "2026-09", "2026-10"]);
    for m in months {
        let end = m["end"].as_str().unwrap();
        let (_, _, body) = send(&app, get(&format!("/api/hidden/areas?as_of={end}"))).await;
        let areas = json(&body);
        let district = areas["areas"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["name"] == "全区")
            .unwrap();
        assert_eq!(m["at_end"], district["counts"], "{end}");
    }
    // One town's, by name.
    let town = state
        .snapshot()
        .dataset()
        .areas
        .get(0)
        .unwrap()
        .props
        .name
        .clone();
    let enc: String = town.bytes().map(|b| format!("%{b:02X}")).collect();
    let (status, _, body) = send(&app, get(&format!("/api/hidden/trend?area={enc}"))).await;
    assert_eq!(status, StatusCode::OK);
    let t = json(&body);
    assert_eq!(t["area"], town.as_str());
    assert_eq!(t["months"].as_array().unwrap().len(), 12);
}

#[tokio::test]
async fn tiles_as_of_the_analysis_day_are_the_served_tiles() {
    let state = state_with(ServerConfig::default(), None);
    let app = router(state.clone());
    let day = state.snapshot().analysis().as_of.unwrap();
    let (x, y) = served_centre_tile(&app, 12).await;
    let base = format!("/tiles/hidden_hazards,enterprises/12/{x}/{y}.mvt");
    let (s0, _, plain) = send(&app, get(&base)).await;
    assert_eq!(s0, StatusCode::OK);
    let (s1, _, same) = send(&app, get(&format!("{base}?as_of={day}"))).await;
    assert_eq!(s1, StatusCode::OK);
    assert_eq!(plain, same);
    // A folder keeps no history: nothing is taken back.
    let (_, _, body) = send(&app, get("/api/hidden/areas?as_of=2025-06-30")).await;
    let areas = json(&body);
    assert_eq!(areas["history_kept"], false);
    assert_eq!(areas["history_taken_back"], 0);
    // Long before: a different map (fewer hazards found).
    let (s2, _, before) = send(&app, get(&format!("{base}?as_of=2024-01-01"))).await;
    assert!(s2 == StatusCode::OK || s2 == StatusCode::NO_CONTENT);
    assert_ne!(plain, before);
    // TileJSON passes the day on to its tiles.
    let (_, _, body) = send(&app, get("/tiles/hidden_hazards.json?as_of=2025-06-30")).await;
    let tj = json(&body);
    assert!(
        tj["tiles"][0]
            .as_str()
            .unwrap()
            .ends_with(".mvt?as_of=2025-06-30")
    );
}

#[tokio::test]
async fn bad_parameters_say_what_is_wrong() {
    let app = router(state_with(ServerConfig::default(), None));
    for (uri, status, says) in [
        (
            "/tiles/hidden_hazards/3/6/3.mvt?as_of=2026-02-30",
            400,
            "YYYY-MM-DD",
        ),
        ("/api/hidden/areas?as_of=yesterday", 400, "yesterday"),
        ("/api/hidden/of/areas/x", 404, "hidden hazards belong to"),
        (
            "/api/hidden/of/enterprises/nobody",
            404,
            "no feature 'nobody'",
        ),
        ("/api/hidden/trend?months=0", 400, "1–60"),
        ("/api/hidden/trend?area=nowhere", 404, "no area 'nowhere'"),
    ] {
        let (s, _, body) = send(&app, get(uri)).await;
        assert_eq!(s.as_u16(), status, "{uri}");
        let e = json(&body);
        assert!(e["error"].as_str().unwrap().contains(says), "{uri}: {e}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_reaches_the_tiles_of_another_day() {
    use axum::http::Method;
    use common::edit::{EDITOR, config, gpkg_state, req};
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let snap = state.snapshot();
    let day = snap.live.rules().hidden_hazards.day();
    let ent = snap.dataset().enterprises.get(0).unwrap().clone();
    drop(snap);
    let c = riskmap_core::analysis::risk_grid::anchor(&ent.geometry).unwrap();
    let n = f64::from(1u32 << 16);
    let x = ((c.x + 180.0) / 360.0 * n).floor() as u32;
    let r = c.y.to_radians();
    let y = ((1.0 - (r.tan() + 1.0 / r.cos()).ln() / std::f64::consts::PI) / 2.0 * n).floor();
    // Ten days before the server's day, asked for before and after the edit: the second
    // must not be the first from the cache.
    let past = day.plus_days(-10);
    let uri = format!(
        "/tiles/enterprises,hidden_hazards/16/{x}/{}.mvt?as_of={past}",
        y as u32
    );
    let (s, _, before) = send(&app, get(&uri)).await;
    assert!(s.is_success(), "{s}");
    let new = serde_json::json!({"type": "Feature", "geometry": null, "properties": {
        "id": "YH-PAST-1", "feature_layer": "enterprises", "feature_id": ent.id,
        "major": false, "description": "安全出口锁闭",
        "discovered": day.plus_days(-30).to_string(),
        "deadline": day.plus_days(-20).to_string(), "status": "in_progress"}});
    let (status, _, body) = send(
        &app,
        req(
            Method::POST,
            "/api/layers/hidden_hazards/features",
            Some(EDITOR),
            Some(&new),
            None,
        ),
    )
    .await;
    assert!(
        status.is_success(),
        "{status} {}",
        String::from_utf8_lossy(&body)
    );
    let (s, _, after) = send(&app, get(&uri)).await;
    assert_eq!(s, StatusCode::OK);
    // Asked without Accept-Encoding: the plain tile.
    assert_ne!(before, after);
    assert!(
        after.windows(9).any(|w| w == b"YH-PAST-1"),
        "the new hazard is not in the tile of {past}"
    );
}

#[tokio::test]
async fn a_popup_of_another_day_is_the_feature_as_it_stood_that_day() {
    use riskmap_core::analysis::analyze;
    use riskmap_core::tileset::grid_tile_id;
    let state = state_with(ServerConfig::default(), None);
    let app = router(state.clone());
    let snap = state.snapshot();
    let day = riskmap_core::model::Day::new(2025, 6, 30).unwrap();
    // The whole analysis of that day, made here from the served data.
    let mut rules = snap.rules.clone();
    rules.hidden_hazards.as_of = Some(day);
    let full = analyze(snap.dataset(), &state.source.load.substances, &rules).unwrap();
    let now = snap.analysis();
    let moved: Vec<usize> = (0..snap.dataset().enterprises.len())
        .filter(|&i| full.enterprise_risks[i].level != now.enterprise_risks[i].level)
        .collect();
    assert!(!moved.is_empty(), "no enterprise's level differs on {day}");
    for &i in moved.iter().take(3) {
        let uid = snap.dataset().enterprises.uid(i).unwrap();
        let (s, _, b) = send(
            &app,
            get(&format!("/api/feature/enterprises/{uid}?as_of={day}")),
        )
        .await;
        assert_eq!(s, StatusCode::OK);
        let p = &json(&b)["properties"];
        let e = &full.enterprise_risks[i];
        assert_eq!(p["level"], serde_json::to_value(e.level).unwrap());
        assert_eq!(p["likelihood"], e.likelihood);
        assert_eq!(p["as_of"], day.to_string());
    }
    // Cells whose figures differ that day: the day's figures, as the whole analysis has
    // them.
    let before: std::collections::HashMap<&str, f64> = now
        .grid
        .cells
        .iter()
        .map(|c| (c.id.as_str(), c.index))
        .collect();
    let differ: Vec<_> = full
        .grid
        .cells
        .iter()
        .filter(|c| before.get(c.id.as_str()) != Some(&c.index))
        .take(3)
        .collect();
    assert!(!differ.is_empty());
    for c in differ {
        let id = grid_tile_id(&c.id);
        let (s, _, b) = send(
            &app,
            get(&format!("/api/feature/risk_grid/{id}?as_of={day}")),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{}", c.id);
        let p = &json(&b)["properties"];
        assert!(
            (p["index"].as_f64().unwrap() - c.index).abs() < 5e-4,
            "{} {p}",
            c.id
        );
        assert_eq!(p["population"], serde_json::to_value(c.population).unwrap());
        assert_eq!(p["level"], serde_json::to_value(c.level).unwrap());
    }
}
