//! `/api/feature/{layer}/{id}`: what a popup shows of a feature whose tiles carry only
//! what the map draws, checked against the GeoJSON export of the same layer (a different
//! code path), and the tiles checked to leave those fields out.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure

mod common;
use common::*;

use axum::http::{StatusCode, header};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;

#[tokio::test]
async fn the_feature_api_gives_a_house_by_its_tile_id() {
    let app = router(state_with(ServerConfig::default(), None));
    // The export lists the houses in layer order: its i-th feature is tile feature id i.
    let (_, _, body) = send(&app, get("/api/features/house_risk.geojson")).await;
    let fc = json(&body);
    let all = fc["features"].as_array().unwrap();
    assert_eq!(all.len(), 3000);
    for i in [0usize, 1, 1234, 2999] {
        let (status, headers, body) =
            send(&app, get(&format!("/api/feature/houses/{i}?generation=1"))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/geo+json");
        let f = json(&body);
        assert_eq!(f["id"], all[i]["id"]);
        assert_eq!(f["geometry"], all[i]["geometry"]);
        for k in ["address", "level", "level_zh", "reasons"] {
            assert_eq!(
                f["properties"][k], all[i]["properties"][k],
                "{k} of house {i}"
            );
        }
        assert_eq!(f["properties"]["generation"], 1);
    }
    for (uri, status) in [
        ("/api/feature/houses/3000", StatusCode::NOT_FOUND),
        ("/api/feature/houses/abc", StatusCode::BAD_REQUEST),
        ("/api/feature/houses/-1", StatusCode::BAD_REQUEST),
        ("/api/feature/nowhere/0", StatusCode::NOT_FOUND),
        // Ids stay with their features across generations.
        ("/api/feature/houses/0?generation=2", StatusCode::OK),
    ] {
        let (got, _, body) = send(&app, get(uri)).await;
        assert_eq!(got, status, "{uri}");
        if status != StatusCode::OK {
            assert!(json(&body)["error"].is_string(), "{uri}: JSON error");
        }
    }
    // A single house in a detail tile: its level and nothing else.
    let f0 = &all[0]["geometry"]["coordinates"][0][0];
    let (lon, lat) = (f0[0].as_f64().unwrap(), f0[1].as_f64().unwrap());
    let (x, y) = centre_tile([lon, lat, lon, lat], 16);
    let (status, _, body) = send(&app, get(&format!("/tiles/houses/16/{x}/{y}.mvt"))).await;
    assert_eq!(status, StatusCode::OK);
    let tile = riskmap_tests::mvt_check::decode(&body).expect("valid tile");
    let layer = tile
        .layers
        .iter()
        .find(|l| l.name == "houses")
        .expect("houses");
    assert_eq!(layer.keys, vec!["level".to_string()]);
}

#[tokio::test]
async fn the_feature_api_gives_an_enterprise_by_its_tile_id() {
    let app = router(state_with(ServerConfig::default(), None));
    let (_, _, body) = send(&app, get("/api/features/enterprise_risk.geojson")).await;
    let fc = json(&body);
    let all = fc["features"].as_array().unwrap();
    assert!(all.len() > 20, "{} enterprises", all.len());
    for i in [0usize, 1, 17, all.len() - 1] {
        let (status, headers, body) = send(
            &app,
            get(&format!("/api/feature/enterprises/{i}?generation=1")),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(headers[header::CONTENT_TYPE], "application/geo+json");
        let f = json(&body);
        assert_eq!(f["id"], all[i]["id"]);
        assert_eq!(f["geometry"], all[i]["geometry"]);
        for k in [
            "name",
            "industry",
            "employees",
            "level",
            "level_zh",
            "likelihood",
            "severity",
            "mismatch",
            "open_hidden_hazards",
            "reasons",
        ] {
            assert_eq!(
                f["properties"][k], all[i]["properties"][k],
                "{k} of enterprise {i}"
            );
        }
        assert!(
            f["properties"]["reasons"]
                .as_array()
                .is_some_and(|r| !r.is_empty())
        );
    }
    let n = all.len();
    let (status, _, _) = send(&app, get(&format!("/api/feature/enterprises/{n}"))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // An enterprise in a detail tile carries what the map draws, filters and labels on,
    // and none of what only the popup shows.
    let g = &all[0]["geometry"];
    let c = if g["type"] == "Point" {
        &g["coordinates"]
    } else {
        &g["coordinates"][0][0]
    };
    let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
    let (x, y) = centre_tile([lon, lat, lon, lat], 16);
    let (status, _, body) = send(&app, get(&format!("/tiles/enterprises/16/{x}/{y}.mvt"))).await;
    assert_eq!(status, StatusCode::OK);
    let tile = riskmap_tests::mvt_check::decode(&body).expect("valid tile");
    let layer = tile
        .layers
        .iter()
        .find(|l| l.name == "enterprises")
        .expect("enterprises");
    let mut keys = layer.keys.clone();
    keys.sort();
    assert_eq!(keys, ["id", "industry", "level", "level_n", "name"]);
    // The catalog tells the viewer which fields to ask the API for.
    let (_, _, body) = send(&app, get("/catalog")).await;
    let cat = json(&body);
    let info = cat["layers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == "enterprises")
        .unwrap();
    let popup: Vec<&str> = info["popup_fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    for k in ["reasons", "likelihood", "severity", "employees"] {
        assert!(popup.contains(&k), "{popup:?} lacks {k}");
    }
}

/// Every tile layer: the ids a detail tile gives its features lead the API to what the
/// layer's GeoJSON export gives those features, whole.
#[tokio::test]
async fn the_feature_api_gives_what_the_export_gives_for_every_tile_layer() {
    let app = router(state_with(ServerConfig::default(), None));
    for (tile_layer, export_layer) in [
        ("areas", "areas"),
        ("risk_grid", "risk_grid"),
        ("gas_pipelines", "gas_pipelines"),
        ("protection_targets", "protection_targets"),
        ("hazard_sources", "hazard_grades"),
        ("protection_conflicts", "protection_conflicts"),
        ("pipeline_conflicts", "pipeline_conflicts"),
    ] {
        let (_, _, body) = send(&app, get(&format!("/api/features/{export_layer}.geojson"))).await;
        let fc = json(&body);
        let all = fc["features"].as_array().unwrap();
        assert!(!all.is_empty(), "{export_layer} is empty in the test city");
        for i in [0, all.len() / 2, all.len() - 1] {
            // A detail tile over a vertex of the feature, and every feature it holds.
            let mut v = &all[i]["geometry"]["coordinates"];
            while v[0].is_array() {
                v = &v[0];
            }
            let (lon, lat) = (v[0].as_f64().unwrap(), v[1].as_f64().unwrap());
            let (x, y) = centre_tile([lon, lat, lon, lat], 16);
            let (status, _, body) =
                send(&app, get(&format!("/tiles/{tile_layer}/16/{x}/{y}.mvt"))).await;
            assert_eq!(status, StatusCode::OK, "{tile_layer} tile");
            let tile = riskmap_tests::mvt_check::decode(&body).expect("valid tile");
            let ids: Vec<u64> = tile
                .layers
                .iter()
                .filter(|l| l.name == tile_layer)
                .flat_map(|l| l.features.iter().filter_map(|f| f.id))
                .collect();
            let mut found = false;
            for id in ids {
                let (status, _, body) =
                    send(&app, get(&format!("/api/feature/{tile_layer}/{id}"))).await;
                assert_eq!(status, StatusCode::OK, "{tile_layer}/{id}");
                let mut f = json(&body);
                assert_eq!(f["properties"]["generation"], 1);
                f["properties"]
                    .as_object_mut()
                    .unwrap()
                    .remove("generation");
                found |= f == all[i];
            }
            assert!(
                found,
                "{tile_layer}: feature {i} of the export is in no id of its tile"
            );
        }
        let (status, _, _) = send(
            &app,
            get(&format!("/api/feature/{tile_layer}/9007199254740991")),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::NOT_FOUND,
            "{tile_layer}: an id no tile gave"
        );
    }
}

/// No tile layer carries a field its catalog entry does not list as a tile field: what
/// only a popup shows stays out of the tiles. Checked on a detail tile over a feature of
/// every layer.
#[tokio::test]
async fn every_tile_layer_carries_only_its_catalog_fields() {
    let app = router(state_with(ServerConfig::default(), None));
    let (_, _, body) = send(&app, get("/catalog")).await;
    let cat = json(&body);
    for info in cat["layers"].as_array().unwrap() {
        let layer = info["id"].as_str().unwrap();
        let names = |key: &str| -> Vec<String> {
            info[key]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["name"].as_str().unwrap().to_string())
                .collect()
        };
        let (fields, popup) = (names("fields"), names("popup_fields"));
        let export = match layer {
            "houses" => "house_risk",
            "enterprises" => "enterprise_risk",
            "hazard_sources" => "hazard_grades",
            other => other,
        };
        let (_, _, body) = send(&app, get(&format!("/api/features/{export}.geojson"))).await;
        let fc = json(&body);
        let first = &fc["features"][0]["geometry"];
        let mut c = &first["coordinates"];
        while c[0].is_array() {
            c = &c[0];
        }
        let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
        let (x, y) = centre_tile([lon, lat, lon, lat], 16);
        let (status, _, body) = send(&app, get(&format!("/tiles/{layer}/16/{x}/{y}.mvt"))).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{layer}: no tile over its first feature"
        );
        let tile = riskmap_tests::mvt_check::decode(&body).expect("valid tile");
        let l = tile
            .layers
            .iter()
            .find(|l| l.name == layer)
            .unwrap_or_else(|| panic!("{layer} not in its own tile"));
        for k in &l.keys {
            assert!(
                fields.contains(k),
                "{layer}: tile field {k} is not in the catalog's fields {fields:?}"
            );
        }
        // A popup-only field (in popup_fields but not fields) never reaches a tile.
        for k in popup.iter().filter(|k| !fields.contains(k)) {
            assert!(
                !l.keys.contains(k),
                "{layer}: popup-only field {k} is in the tile"
            );
        }
    }
}

#[tokio::test]
async fn conflicts_and_sources_name_the_features_they_are_between() {
    let app = router(state_with(ServerConfig::default(), None));
    let get_fc = |l: &'static str| {
        let app = app.clone();
        async move {
            json(
                &send(&app, get(&format!("/api/features/{l}.geojson")))
                    .await
                    .2,
            )
        }
    };
    let (grades, enterprises, targets, houses, pipes, pcs, gcs) = (
        get_fc("hazard_grades").await,
        get_fc("enterprises").await,
        get_fc("protection_targets").await,
        get_fc("houses").await,
        get_fc("gas_pipelines").await,
        get_fc("protection_conflicts").await,
        get_fc("pipeline_conflicts").await,
    );
    // id → name (a house's address) of each layer, from its own export.
    let names =
        |fc: &serde_json::Value, field: &str| -> std::collections::HashMap<String, String> {
            fc["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["id"].as_str().unwrap().to_string(),
                        f["properties"][field].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        };
    let (g, e, t, h, p) = (
        names(&grades, "name"),
        names(&enterprises, "name"),
        names(&targets, "name"),
        names(&houses, "address"),
        names(&pipes, "name"),
    );
    let pcs = pcs["features"].as_array().unwrap();
    assert!(!pcs.is_empty());
    for c in pcs {
        let q = &c["properties"];
        let src = q["source_id"].as_str().unwrap();
        let want = g.get(src).or_else(|| e.get(src)).unwrap();
        assert_eq!(q["source_name"].as_str().unwrap(), want);
        let tgt = q["target_id"].as_str().unwrap();
        let want = t.get(tgt).or_else(|| h.get(tgt)).unwrap();
        assert_eq!(q["target_name"].as_str().unwrap(), want);
    }
    for c in gcs["features"].as_array().unwrap() {
        let q = &c["properties"];
        assert_eq!(
            q["pipeline_name"].as_str().unwrap(),
            p[q["pipeline_id"].as_str().unwrap()]
        );
    }
    // A hazard source names its enterprise.
    let owned = grades["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["enterprise_id"].is_string())
        .unwrap();
    let eid = owned["properties"]["enterprise_id"].as_str().unwrap();
    assert_eq!(
        owned["properties"]["enterprise_name"].as_str().unwrap(),
        e[eid]
    );
}
