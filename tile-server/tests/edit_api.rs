//! Editing through the API on a GeoPackage-backed server: tokens and roles, the loaders'
//! checks (422, nothing changed), versions (412), the change table, and the edit served
//! as one new generation with the tiles over it drawn again. A folder-backed server refuses.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use axum::http::{Method, StatusCode, header};
use common::edit::{EDITOR, VIEWER_ONLY, all_changes, config, created, gpkg_state, req};
use common::{centre_tile, get, json, send, state_with};
use riskmap_server::server::routes::router;
use serde_json::{Value, json};

#[tokio::test]
async fn a_folder_backed_server_refuses_edits_and_says_how_to_import() {
    let app = router(state_with(config(), None));
    let id = "house-0000001";
    let body = json!({"type": "Feature", "properties": {"occupants": 3}, "geometry": null});
    let (status, _, b) = send(
        &app,
        req(
            Method::PATCH,
            &format!("/api/layers/houses/features/{id}"),
            Some(EDITOR),
            Some(&body),
            None,
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "{}",
        String::from_utf8_lossy(&b)
    );
    let msg = json(&b)["error"].as_str().unwrap().to_string();
    assert!(
        msg.contains("riskmap import") && msg.contains("--into"),
        "{msg}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_checked_versioned_recorded_and_served() {
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let snap = state.snapshot();
    let house = snap.dataset().houses.get(42).unwrap().clone();
    let uid = snap.dataset().houses.uid(42).unwrap();
    drop(snap);
    let uri = format!("/api/layers/houses/features/{}", house.id);

    // Reading needs no token (the version, and what `deny_fields` keeps back, come with
    // an editor's); changing needs an editor's.
    let (status, _, b) = send(&app, req(Method::GET, &uri, None, None, None)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(json(&b)["feature"]["id"], house.id.as_str());
    let (status, h, b) = send(&app, req(Method::GET, &uri, Some(EDITOR), None, None)).await;
    assert_eq!(status, StatusCode::OK);
    let version = h[header::ETAG].to_str().unwrap().to_string();
    assert_eq!(json(&b)["feature"]["id"], house.id.as_str());
    let patch = json!({"type": "Feature", "properties": {"appraisal": "D", "occupants": 11}});
    for (token, want) in [
        (None, StatusCode::UNAUTHORIZED),
        (Some(VIEWER_ONLY), StatusCode::UNAUTHORIZED),
    ] {
        let (status, _, _) = send(&app, req(Method::PATCH, &uri, token, Some(&patch), None)).await;
        assert_eq!(status, want);
    }
    assert_eq!(state.snapshot().generation, 1);

    // A D-grade house with 11 people: 重大风险 by the house rules, served at once.
    let (status, h, b) = send(
        &app,
        req(
            Method::PATCH,
            &uri,
            Some(EDITOR),
            Some(&patch),
            Some(&version),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let v2 = h[header::ETAG].to_str().unwrap().to_string();
    assert_ne!(v2, version);
    assert_eq!(json(&b)["generation"], 2);
    // Where its time went on the server, in the order it went there.
    let timing = h["server-timing"].to_str().unwrap();
    let phases: Vec<(&str, f64)> = timing
        .split(", ")
        .map(|p| {
            let (name, dur) = p.split_once(";dur=").unwrap();
            (name, dur.parse().unwrap())
        })
        .collect();
    let names: Vec<&str> = phases.iter().map(|p| p.0).collect();
    assert_eq!(
        names,
        ["check", "queue", "store", "spare", "apply", "serve", "edit"],
        "{timing}"
    );
    assert!(phases.iter().all(|p| p.1 >= 0.0), "{timing}");
    assert!(phases[2].1 > 0.0 && phases[4].1 > 0.0, "{timing}");
    // The whole edit holds its parts: the store's transaction runs beside the batch's
    // wait for its copy and its work on it.
    let t = |i: usize| phases[i].1;
    let parts = t(0) + t(1) + t(2).max(t(3) + t(4)) + t(5);
    assert!(t(6) >= parts - 0.05, "{timing}");
    let (_, _, b) = send(&app, get(&format!("/api/feature/houses/{uid}"))).await;
    let f = json(&b);
    assert_eq!(f["properties"]["level"], "major", "{f}");
    assert_eq!(f["properties"]["occupants"], 11);

    // The same version again: another edit came first.
    let (status, _, _) = send(
        &app,
        req(
            Method::PATCH,
            &uri,
            Some(EDITOR),
            Some(&patch),
            Some(&version),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
    assert_eq!(state.snapshot().generation, 2);

    // The loaders' checks: a longitude of 200 is refused, with the issue, and nothing changes.
    let bad = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [200.0, 31.9]}, "properties": {}});
    let (status, _, b) = send(
        &app,
        req(Method::PATCH, &uri, Some(EDITOR), Some(&bad), None),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&b)
    );
    assert!(json(&b)["issues"].as_array().is_some_and(|a| !a.is_empty()));
    assert_eq!(state.snapshot().generation, 2);

    // A new house beside the first: created, found in the tile over it under its uid.
    let mut geom = serde_json::to_value(geojson::Geometry::from(&house.geometry)).unwrap();
    if let Some(ring) = geom["coordinates"][0].as_array_mut() {
        for p in ring {
            p[0] = json!(p[0].as_f64().unwrap() + 0.0005);
        }
    }
    let new = json!({"type": "Feature", "id": "house-api-1", "geometry": geom, "properties": {"address": "测试路1号", "floors": 2, "occupants": 4}});
    let h = created(&app, "houses", &new).await;
    assert_eq!(
        h[header::LOCATION],
        "/api/layers/houses/features/house-api-1"
    );
    let snap = state.snapshot();
    assert_eq!(snap.generation, 3);
    let pos = snap
        .live
        .position(riskmap_core::model::LayerKind::Houses, "house-api-1")
        .unwrap();
    let new_uid = snap.dataset().houses.uid(pos).unwrap();
    let c = geom["coordinates"][0][0].clone();
    let (lon, lat) = (c[0].as_f64().unwrap(), c[1].as_f64().unwrap());
    drop(snap);
    let (x, y) = centre_tile([lon, lat, lon, lat], 16);
    let (status, _, b) = send(&app, get(&format!("/tiles/houses/16/{x}/{y}.mvt"))).await;
    assert_eq!(status, StatusCode::OK);
    let tile = riskmap_tests::mvt_check::decode(&b).unwrap();
    assert!(
        tile.layers
            .iter()
            .any(|l| l.features.iter().any(|f| f.id == Some(new_uid)))
    );

    // Deleted: gone from the API, and a second delete is a 404.
    let (status, _, _) = send(
        &app,
        req(
            Method::DELETE,
            "/api/layers/houses/features/house-api-1",
            Some(EDITOR),
            None,
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _, _) = send(
        &app,
        req(
            Method::GET,
            "/api/layers/houses/features/house-api-1",
            None,
            None,
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = send(
        &app,
        req(
            Method::DELETE,
            "/api/layers/houses/features/house-api-1",
            Some(EDITOR),
            None,
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // The change table: who, what, in order — and the refused and stale edits left no record.
    // It comes in pages (the import alone is thousands of records here): pages of 700
    // read in turn are the records of one page of 10,000, in the same order.
    let paged = all_changes(&app, 0, 700).await;
    let whole = all_changes(&app, 0, 10_000).await;
    assert!(paged.len() > 700, "{}", paged.len());
    assert_eq!(paged, whole);
    let seqs: Vec<u64> = whole.iter().map(|r| r["seq"].as_u64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]));
    // One feature's records, as the store's index finds them: those of the whole list
    // that name it.
    let (status, _, b) = send(
        &app,
        get(&format!(
            "/api/changes?since=0&layer=houses&id={}",
            house.id
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let one: Vec<Value> = whole
        .iter()
        .filter(|r| r["layer"] == "houses" && r["id"] == house.id.as_str())
        .cloned()
        .collect();
    assert!(one.len() >= 2, "{one:?}");
    assert_eq!(json(&b)["changes"].as_array().unwrap(), &one);
    for bad in ["limit=0", "limit=10001", "layer=house_risk", "id=h1"] {
        let (status, _, _) = send(&app, get(&format!("/api/changes?since=0&{bad}"))).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let recs: Vec<Value> = whole
        .iter()
        .filter(|r| r["actor"] == "zhang-san")
        .cloned()
        .collect();
    let ops: Vec<(String, String)> = recs
        .iter()
        .map(|r| {
            (
                r["op"].as_str().unwrap().to_string(),
                r["id"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        ops,
        vec![
            ("update".to_string(), house.id.clone()),
            ("insert".to_string(), "house-api-1".to_string()),
            ("delete".to_string(), "house-api-1".to_string()),
        ]
    );
}

/// An edit the store refuses (another program holds the GeoPackage locked past the
/// server's wait) is answered with the store's error and served nowhere, though the
/// server works the batch out beside the store's transaction: the next edit of the same
/// house, once the lock is gone, is served without it, and so is the file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_the_store_refuses_is_not_served() {
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let (id, ring) = {
        let snap = state.snapshot();
        let h = snap.dataset().houses.get(42).unwrap();
        (h.id.clone(), format!("{:?}", h.geometry))
    };
    let uri = format!("/api/layers/houses/features/{id}");
    let (_, _, b) = send(&app, req(Method::GET, &uri, Some(EDITOR), None, None)).await;
    let mut moved = json(&b)["feature"].clone();
    common::edit::shift(&mut moved["geometry"]["coordinates"], 0.001);

    let lock = rusqlite::Connection::open(dir.path().join("city.gpkg")).unwrap();
    lock.execute_batch("BEGIN EXCLUSIVE").unwrap();
    let (status, _, b) = send(
        &app,
        req(Method::PATCH, &uri, Some(EDITOR), Some(&moved), None),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::INTERNAL_SERVER_ERROR,
        "{}",
        String::from_utf8_lossy(&b)
    );
    assert_eq!(state.snapshot().generation, 1);
    lock.execute_batch("ROLLBACK").unwrap();
    drop(lock);

    let patch = json!({"type": "Feature", "properties": {"occupants": 11}});
    let (status, _, b) = send(
        &app,
        req(Method::PATCH, &uri, Some(EDITOR), Some(&patch), None),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(json(&b)["generation"], 2);
    let house = common::edit::served_house(&state, &id);
    assert_eq!(house.props.occupants, Some(11));
    assert_eq!(format!("{:?}", house.geometry), ring);
    // The file as a new server reads it.
    let copy = common::edit::serve_a_copy(dir.path(), "after.gpkg");
    let (_, _, b) = send(&copy, req(Method::GET, &uri, Some(EDITOR), None, None)).await;
    let stored = json(&b)["feature"].clone();
    assert_eq!(stored["properties"]["occupants"], 11);
    assert_ne!(stored["geometry"], moved["geometry"]);
}

/// A patch names fields as a ledger does (层数 for `floors`) and replaces them; a name
/// that is no field is listed in the answer's issues, and a patch of nothing else is
/// refused rather than answered as if it had changed something.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_patch_takes_the_ledgers_names_and_says_which_are_no_field() {
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let id = state.snapshot().dataset().houses.get(7).unwrap().id.clone();
    let uri = format!("/api/layers/houses/features/{id}");
    let patch = |props: Value| json!({"type": "Feature", "properties": props});

    let (status, _, b) = send(
        &app,
        req(
            Method::PATCH,
            &uri,
            Some(EDITOR),
            Some(&patch(json!({"层数": 7, "居住人数": 9}))),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(json(&b)["issues"], json!([]));
    let house = common::edit::served_house(&state, &id);
    assert_eq!(house.props.floors, Some(7));
    assert_eq!(house.props.occupants, Some(9));
    let generation = state.snapshot().generation;

    // A misspelt name alone: refused, nothing changed.
    let (status, _, b) = send(
        &app,
        req(
            Method::PATCH,
            &uri,
            Some(EDITOR),
            Some(&patch(json!({"occupant": 12}))),
            None,
        ),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&b)
    );
    let body = json(&b);
    assert_eq!(body["issues"][0]["code"], "unknown_property");
    assert_eq!(body["issues"][0]["field"], "occupant");
    let msg = body["error"].as_str().unwrap();
    assert!(msg.contains("occupants (居住人数)"), "{msg}");
    assert_eq!(state.snapshot().generation, generation);
    assert_eq!(
        common::edit::served_house(&state, &id).props.occupants,
        Some(9)
    );

    // Beside a field: the field is changed, the other name listed.
    let (status, _, b) = send(
        &app,
        req(
            Method::PATCH,
            &uri,
            Some(EDITOR),
            Some(&patch(json!({"楼层数": 3, "colour": "red"}))),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let issues = json(&b)["issues"].clone();
    assert_eq!(issues.as_array().unwrap().len(), 1, "{issues}");
    assert_eq!(issues[0]["code"], "unknown_property");
    assert_eq!(issues[0]["field"], "colour");
    assert_eq!(
        common::edit::served_house(&state, &id).props.floors,
        Some(3)
    );

    // Two names of one field that disagree: refused; that agree: taken.
    let send_patch = |props: Value| {
        let app = app.clone();
        let uri = uri.clone();
        async move {
            send(
                &app,
                req(Method::PATCH, &uri, Some(EDITOR), Some(&patch(props)), None),
            )
            .await
        }
    };
    let (status, _, b) = send_patch(json!({"floors": 4, "层数": 5})).await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        String::from_utf8_lossy(&b)
    );
    assert_eq!(
        common::edit::served_house(&state, &id).props.floors,
        Some(3)
    );
    let (status, _, b) = send_patch(json!({"floors": 4, "层数": 4})).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(
        common::edit::served_house(&state, &id).props.floors,
        Some(4)
    );

    // A unit in the name: the value brought to the field's unit (400 kPa = 0.4 MPa), as
    // a ledger's column with that name is read.
    let pipe = state
        .snapshot()
        .dataset()
        .gas_pipelines
        .get(0)
        .unwrap()
        .id
        .clone();
    let (status, _, b) = send(
        &app,
        req(
            Method::PATCH,
            &format!("/api/layers/gas_pipelines/features/{pipe}"),
            Some(EDITOR),
            Some(&patch(json!({"设计压力(kPa)": 400}))),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let snap = state.snapshot();
    let (_, p) = snap.dataset().gas_pipelines.find_id(&pipe).unwrap();
    let mpa = p.props.design_pressure_mpa.unwrap();
    assert!((mpa - 0.4).abs() < 1e-12, "{mpa}");
}

/// A house edited into a point, in a table that held polygons only: the table becomes of
/// any geometry both in `gpkg_geometry_columns` and in its declared column type, so GDAL
/// (and QGIS through it) opens it without a warning, and the file stays sound.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_geometry_of_another_type_widens_the_table_as_gdal_reads_it() {
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let gpkg = dir.path().join("city.gpkg");
    let gdal_says = || {
        let out = std::process::Command::new("ogrinfo")
            .args(["-ro", "-so", gpkg.to_str().unwrap(), "houses"])
            .output()
            .unwrap();
        assert!(out.status.success());
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    assert!(gdal_says().contains("Geometry: Polygon"), "{}", gdal_says());
    let (id, lon, lat) = {
        let s = state.snapshot();
        let h = s.dataset().houses.get(9).unwrap();
        let c = geo::BoundingRect::bounding_rect(&h.geometry)
            .unwrap()
            .center();
        (h.id.clone(), c.x, c.y)
    };
    let body = json!({"type": "Feature", "geometry": {"type": "Point", "coordinates": [lon, lat]}});
    let (status, _, b) = send(
        &app,
        req(
            Method::PATCH,
            &format!("/api/layers/houses/features/{id}"),
            Some(EDITOR),
            Some(&body),
            None,
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    let said = gdal_says();
    assert!(said.contains("Geometry: Unknown (any)"), "{said}");
    assert!(!said.contains("not consistent"), "{said}");
    let c = rusqlite::Connection::open(&gpkg).unwrap();
    let check: String = c
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let kind = common::ogrinfo(&[
        "-ro",
        "-q",
        gpkg.to_str().unwrap(),
        "-sql",
        &format!("SELECT ST_GeometryType(geom) AS t FROM houses WHERE id = '{id}'"),
    ]);
    assert!(kind.contains("t (String) = POINT"), "{kind}");
}

/// The fields the configuration keeps back (phone numbers, the person answerable for a
/// hidden hazard) are not in a feature or a change record read without a token; an
/// editor, who edits the ledgers as stored, reads them; an unknown token is refused.
#[tokio::test]
async fn a_feature_and_its_changes_read_without_a_token_leave_out_the_withheld_fields() {
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let (house, hazard) = {
        let s = state.snapshot();
        let d = s.dataset();
        let h = d
            .houses
            .features()
            .iter()
            .find(|h| h.props.phone.is_some())
            .unwrap()
            .clone();
        let y = d
            .hidden_hazards
            .features()
            .iter()
            .find(|y| y.props.responsible_person.is_some())
            .unwrap()
            .clone();
        (h, y)
    };
    let phone = house.props.phone.as_deref().unwrap().to_string();
    let person = hazard
        .props
        .responsible_person
        .as_deref()
        .unwrap()
        .to_string();
    let house_uri = format!("/api/layers/houses/features/{}", house.id);
    let hazard_uri = format!("/api/layers/hidden_hazards/features/{}", hazard.id);
    // An edit of each, so that the trail holds them before and after.
    let since = all_changes(&app, 0, 10_000).await.last().unwrap()["seq"]
        .as_u64()
        .unwrap();
    common::edit::edit_ok(
        &app,
        Method::PATCH,
        &house_uri,
        Some(&json!({"properties": {"occupants": 9}})),
    )
    .await;
    common::edit::edit_ok(
        &app,
        Method::PATCH,
        &hazard_uri,
        Some(&json!({"properties": {"description": "复查"}})),
    )
    .await;

    let read = |uri: String, token: Option<&'static str>| {
        let app = app.clone();
        async move {
            let (s, h, b) = send(&app, req(Method::GET, &uri, token, None, None)).await;
            (s, h, String::from_utf8_lossy(&b).into_owned())
        }
    };
    // Without a token: neither, anywhere in the answer, nor the version (a digest of the
    // whole feature, which a guess could be checked against).
    let (s, h_open, b) = read(house_uri.clone(), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(!b.contains(&phone) && !b.contains("\"phone\""), "{b}");
    assert!(
        h_open.get(header::ETAG).is_none() && !b.contains("version"),
        "{b}"
    );
    let (s, _, b) = read(hazard_uri.clone(), None).await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !b.contains(&person) && !b.contains("responsible_person"),
        "{b}"
    );
    let changes = format!("/api/changes?since={since}");
    let (s, _, b) = read(changes.clone(), None).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        json(b.as_bytes())["changes"].as_array().unwrap().len(),
        2,
        "{b}"
    );
    assert!(!b.contains(&phone) && !b.contains(&person), "{b}");
    // An editor reads the ledgers as stored.
    let (s, h_ed, b) = read(house_uri.clone(), Some(EDITOR)).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        json(b.as_bytes())["feature"]["properties"]["phone"],
        phone.as_str()
    );
    assert!(h_ed.get(header::ETAG).is_some());
    let (_, _, b) = read(hazard_uri.clone(), Some(EDITOR)).await;
    assert_eq!(
        json(b.as_bytes())["feature"]["properties"]["responsible_person"],
        person.as_str()
    );
    let (_, _, b) = read(changes.clone(), Some(EDITOR)).await;
    assert!(b.contains(&phone) && b.contains(&person), "{b}");
    // A token that is no one's reads what is public.
    for uri in [house_uri, changes] {
        let (s, _, b) = read(uri, Some(VIEWER_ONLY)).await;
        assert_eq!(s, StatusCode::OK);
        assert!(!b.contains(&phone) && !b.contains(&person), "{b}");
    }
}

/// A PATCH whose body names another feature (the Feature's id, or an id property in
/// either language) is refused as a PUT's is, and changes nothing; naming its own is
/// fine. A geometry put in the other hemisphere (a sign lost) is refused.
#[tokio::test]
async fn a_patch_naming_another_feature_or_far_from_every_area_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let (a, b) = {
        let s = state.snapshot();
        let h = &s.dataset().houses;
        (h.get(9).unwrap().clone(), h.get(10).unwrap().id.clone())
    };
    let uri = format!("/api/layers/houses/features/{}", a.id);
    let generation = state.snapshot().generation;
    for body in [
        json!({"type": "Feature", "id": b, "properties": {"floors": 6}}),
        json!({"type": "Feature", "properties": {"id": b, "floors": 6}}),
        json!({"type": "Feature", "properties": {"编号": b, "floors": 6}}),
    ] {
        let (s, _, out) = send(
            &app,
            req(Method::PATCH, &uri, Some(EDITOR), Some(&body), None),
        )
        .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let issues = json(&out)["issues"].clone();
        assert!(
            issues
                .as_array()
                .unwrap()
                .iter()
                .any(|i| i["code"] == "invalid_value" && i["field"] == "id"),
            "{issues}"
        );
    }
    let mut south = common::edit::served_house(&state, &a.id);
    let g = serde_json::to_value(geojson::Geometry::from(&south.geometry)).unwrap();
    let mut flipped = g.clone();
    flip_latitude(&mut flipped);
    let (s, _, out) = send(
        &app,
        req(
            Method::PATCH,
            &uri,
            Some(EDITOR),
            Some(&json!({"type": "Feature", "geometry": flipped})),
            None,
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        json(&out)["issues"][0]["code"],
        "far_from_data",
        "{}",
        json(&out)
    );
    assert_eq!(state.snapshot().generation, generation, "nothing applied");
    south = common::edit::served_house(&state, &a.id);
    assert_eq!(south.geometry, a.geometry);
    assert_eq!(south.props.floors, a.props.floors);
    // Its own id given: patched.
    common::edit::edit_ok(
        &app,
        Method::PATCH,
        &uri,
        Some(&json!({"type": "Feature", "id": a.id, "properties": {"floors": 6}})),
    )
    .await;
    assert_eq!(
        common::edit::served_house(&state, &a.id).props.floors,
        Some(6)
    );
}

/// Every latitude of a GeoJSON geometry's coordinates negated.
fn flip_latitude(v: &mut Value) {
    match v {
        Value::Array(a) if a.first().is_some_and(Value::is_number) => {
            a[1] = json!(-a[1].as_f64().unwrap());
        }
        Value::Array(a) => a.iter_mut().for_each(flip_latitude),
        Value::Object(o) => o.values_mut().for_each(flip_latitude),
        _ => {}
    }
}

/// `If-Match` as RFC 9110 has it: a list of tags (any one matching), the version as the
/// answer's body gives it (without the quotes) taken as its tag, a weak tag never
/// matching.
#[tokio::test]
async fn if_match_takes_a_list_and_the_bare_version() {
    let dir = tempfile::tempdir().unwrap();
    let state = gpkg_state(dir.path(), config());
    let app = router(state.clone());
    let id = state.snapshot().dataset().houses.get(3).unwrap().id.clone();
    let uri = format!("/api/layers/houses/features/{id}");
    let (_, h, b) = send(&app, req(Method::GET, &uri, Some(EDITOR), None, None)).await;
    let version = h[header::ETAG].to_str().unwrap().to_string();
    assert_eq!(
        format!("\"{}\"", json(&b)["version"].as_str().unwrap()),
        version
    );
    common::edit::edit_ok(
        &app,
        Method::PATCH,
        &uri,
        Some(&json!({"type": "Feature", "properties": {"occupants": 10}})),
    )
    .await;
    let (_, h, _) = send(&app, req(Method::GET, &uri, Some(EDITOR), None, None)).await;
    let v2 = h[header::ETAG].to_str().unwrap().to_string();
    assert_eq!(state.snapshot().generation, 2);
    // The version as the answer's body gives it (no quotes), and in a list of tags with
    // an old one, match (RFC 9110's If-Match takes a list); a weak tag never does.
    let bare = v2.trim_matches('"').to_string();
    let touch = json!({"type": "Feature", "properties": {"occupants": 12}});
    for (tag, want) in [
        (format!("W/{v2}"), StatusCode::PRECONDITION_FAILED),
        (bare.clone(), StatusCode::OK),
    ] {
        let (status, _, b) = send(
            &app,
            req(Method::PATCH, &uri, Some(EDITOR), Some(&touch), Some(&tag)),
        )
        .await;
        assert_eq!(status, want, "{tag}: {}", String::from_utf8_lossy(&b));
    }
    let (_, h, _) = send(&app, req(Method::GET, &uri, Some(EDITOR), None, None)).await;
    let v3 = h[header::ETAG].to_str().unwrap().to_string();
    let (status, _, b) = send(
        &app,
        req(
            Method::PATCH,
            &uri,
            Some(EDITOR),
            Some(&json!({"type": "Feature", "properties": {"occupants": 11}})),
            Some(&format!("{version}, {v3}")),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&b));
    assert_eq!(state.snapshot().generation, 4);
    // The old version alone: another edit came first.
    let (status, _, _) = send(
        &app,
        req(
            Method::PATCH,
            &uri,
            Some(EDITOR),
            Some(&touch),
            Some(&version),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::PRECONDITION_FAILED);
}
