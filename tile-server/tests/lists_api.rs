//! The lists' download for the viewer: `/api/lists/{risk|hidden}.{xlsx|csv}` of the
//! served generation, read back by calamine and by a GBK decoder.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Cursor;

use axum::http::{StatusCode, header};
use calamine::{Reader, Xlsx};
use common::{get, send, state_with};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;

#[tokio::test]
async fn the_lists_download_as_workbooks_and_csv() {
    let state = state_with(ServerConfig::default(), None);
    let app = router(state.clone());
    let snap = state.snapshot();
    let found = snap
        .analysis()
        .hidden_states
        .iter()
        .filter(|s| s.status.is_some())
        .count();
    assert!(found > 0);

    let (status, h, body) = send(&app, get("/api/lists/hidden.xlsx")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        h[header::CONTENT_TYPE],
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    );
    // 隐患清单.xlsx, percent-encoded as UTF-8; the plain name, for a client reading only
    // it, keeps the file's kind.
    let cd = h[header::CONTENT_DISPOSITION].to_str().unwrap();
    assert_eq!(
        cd,
        "attachment; filename=\"list.xlsx\"; filename*=UTF-8''%E9%9A%90%E6%82%A3%E6%B8%85%E5%8D%95.xlsx"
    );
    let mut wb = Xlsx::new(Cursor::new(body)).unwrap();
    let range = wb.worksheet_range("隐患清单").unwrap();
    assert_eq!(range.height(), found + 1);
    assert_eq!(range.get((0, 1)).unwrap().to_string(), "隐患编号");

    // GBK on request, and one town only.
    let town = snap.dataset().areas.get(0).unwrap().props.name.clone();
    let uri = format!(
        "/api/lists/risk.csv?encoding=gbk&area={}",
        town.bytes()
            .map(|b| format!("%{b:02X}"))
            .collect::<String>()
    );
    let (status, h, body) = send(&app, get(&uri)).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    assert_eq!(h[header::CONTENT_TYPE], "text/csv; charset=gbk");
    let (text, _, bad) = encoding_rs::GBK.decode(&body);
    assert!(!bad);
    let mut rows = csv::Reader::from_reader(text.as_bytes());
    let area_col = rows
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "所在镇街")
        .unwrap();
    let n = rows
        .records()
        .map(|r| {
            assert_eq!(&r.unwrap()[area_col], town.as_str());
        })
        .count();
    assert!(n > 0, "{town} has risk points");

    // What is not a list, or not an area, says what is.
    let (status, _, body) = send(&app, get("/api/lists/people.xlsx")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains("hidden.xlsx"));
    let (status, _, body) = send(&app, get("/api/lists/risk.xlsx?area=nowhere")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(String::from_utf8_lossy(&body).contains(&town));
}

#[tokio::test]
async fn the_hidden_hazards_per_area_add_up_to_the_layer() {
    let app = router(state_with(ServerConfig::default(), None));
    let (status, _, body) = send(&app, get("/api/hidden/areas")).await;
    assert_eq!(status, StatusCode::OK);
    let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
    // The generated city's riskmap.toml: its ledgers end on 2026-11-30.
    assert_eq!(v["as_of"], "2026-11-30");
    let rows = v["areas"].as_array().unwrap();
    let (district, towns) = rows.split_last().unwrap();
    assert_eq!(district["name"], "全区");
    // The layer as the features API exports it: each hazard's state on the day.
    let (status, _, body) = send(&app, get("/api/features/hidden_hazards.geojson")).await;
    assert_eq!(status, StatusCode::OK);
    let fc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let feats = fc["features"].as_array().unwrap();
    let found = feats
        .iter()
        .filter(|f| !f["properties"]["status_as_of"].is_null())
        .count() as u64;
    let overdue = feats
        .iter()
        .filter(|f| f["properties"]["overdue"] == true)
        .count() as u64;
    let sum = |k: &str| {
        towns
            .iter()
            .map(|r| r["counts"][k].as_u64().unwrap())
            .sum::<u64>()
    };
    assert_eq!(district["counts"]["found"].as_u64(), Some(found));
    assert_eq!(sum("found"), found);
    assert_eq!(district["counts"]["overdue"].as_u64(), Some(overdue));
    assert_eq!(sum("overdue"), overdue);
    let closed = district["counts"]["closed"].as_f64().unwrap();
    assert_eq!(
        district["closure_rate"].as_f64(),
        Some(closed / found as f64)
    );
}

#[tokio::test]
async fn a_list_and_a_report_of_another_day_are_of_that_day() {
    let state = state_with(ServerConfig::default(), None);
    let app = router(state.clone());
    let day = riskmap_core::model::Day::new(2025, 12, 31).unwrap();
    // Found by the day: the ledger's own dates, counted here.
    let found = state
        .snapshot()
        .dataset()
        .hidden_hazards
        .features()
        .iter()
        .filter(|f| f.props.discovered.is_some_and(|d| d <= day))
        .count();
    let (status, _, body) = send(&app, get(&format!("/api/lists/hidden.csv?as_of={day}"))).await;
    assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    let text = String::from_utf8(body).unwrap();
    let mut rows = csv::Reader::from_reader(text.trim_start_matches('\u{feff}').as_bytes());
    let col = rows
        .headers()
        .unwrap()
        .iter()
        .position(|h| h == "发现日期")
        .unwrap();
    let dates: Vec<String> = rows
        .records()
        .map(|r| r.unwrap()[col].to_string())
        .collect();
    assert_eq!(dates.len(), found);
    assert!(
        dates.iter().all(|d| d.as_str() <= "2025-12-31"),
        "{dates:?}"
    );
    let (_, _, all) = send(&app, get("/api/lists/hidden.csv")).await;
    assert!(String::from_utf8(all).unwrap().lines().count() > found + 1);

    let (status, _, body) = send(&app, get(&format!("/api/report.html?as_of={day}"))).await;
    assert_eq!(status, StatusCode::OK);
    let html = String::from_utf8(body).unwrap();
    assert!(html.contains("（2025-12-31）</title>"), "{}", &html[..300]);
    let (status, _, _) = send(&app, get("/api/report.html?as_of=2025-13-01")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}
