//! `GET /api/search`: names, addresses, ids, unified social credit codes and kinds (学校),
//! every match counted and paged; each hit carries the id its feature has in the tiles,
//! which the popup API answers for. Expected counts come from the GeoJSON export of the
//! same data, filtered here.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{get, json, send, state_with};
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;
use serde_json::Value;

fn features(v: &Value) -> &Vec<Value> {
    v["features"].as_array().unwrap()
}

async fn search(app: &axum::Router, q: &str, extra: &str) -> Value {
    let uri = format!("/api/search?q={}{extra}", urlencode(q));
    let (status, _, body) = send(app, get(&uri)).await;
    assert_eq!(status, 200, "{uri}: {}", String::from_utf8_lossy(&body));
    json(&body)
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn kinds_codes_paging_and_popups() {
    let app = router(state_with(ServerConfig::default(), None));
    // 学校: the protection targets that are schools, by kind, and anything named so.
    let targets = json(
        &send(&app, get("/api/features/protection_targets.geojson"))
            .await
            .2,
    );
    let schools = features(&targets)
        .iter()
        .filter(|f| {
            f["properties"]["kind"] == "school"
                || f["properties"]["name"].as_str().unwrap().contains("学校")
        })
        .count();
    let enterprises = json(&send(&app, get("/api/features/enterprises.geojson")).await.2);
    let named = |needle: &str, fc: &Value| {
        features(fc)
            .iter()
            .filter(|f| f["properties"]["name"].as_str().unwrap().contains(needle))
            .count()
    };
    let r = search(&app, "学校", "&limit=100").await;
    assert!(schools > 0);
    assert_eq!(
        r["total"].as_u64().unwrap() as usize,
        schools + named("学校", &enterprises)
    );
    assert!(
        r["results"]
            .as_array()
            .unwrap()
            .iter()
            .any(|h| h["kind_zh"] == "学校" && h["matched"] == "类型")
    );

    // A unified social credit code, in lower case too: the enterprise that has it.
    let with_code = features(&enterprises)
        .iter()
        .find(|f| f["properties"]["credit_code"].is_string())
        .unwrap();
    let code = with_code["properties"]["credit_code"]
        .as_str()
        .unwrap()
        .to_lowercase();
    let r = search(&app, &code, "").await;
    let hit = &r["results"][0];
    assert_eq!(hit["id"], with_code["id"]);
    assert_eq!(hit["matched"], "统一社会信用代码");

    // Pages: 5 and 5 are the first 10, and every page says how many there are.
    let ten = search(&app, "镇", "&limit=10").await;
    let total = ten["total"].as_u64().unwrap();
    assert!(total > 10, "{total}");
    let a = search(&app, "镇", "&limit=5").await;
    let b = search(&app, "镇", "&limit=5&offset=5").await;
    assert_eq!(
        (a["total"].as_u64(), b["total"].as_u64()),
        (Some(total), Some(total))
    );
    let ids = |v: &Value| {
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["id"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!([ids(&a), ids(&b)].concat(), ids(&ten));
    let past = search(&app, "镇", &format!("&offset={total}")).await;
    assert!(past["results"].as_array().unwrap().is_empty());

    // A house found by its address: its tile id opens its popup.
    let houses = json(
        &send(&app, get("/api/features/houses.geojson?bbox=120,31,122,33"))
            .await
            .2,
    );
    let house = &features(&houses)[7];
    let r = search(&app, house["properties"]["address"].as_str().unwrap(), "").await;
    let hit = r["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|h| h["id"] == house["id"])
        .unwrap();
    assert_eq!(hit["matched"], "地址");
    let (status, _, body) = send(
        &app,
        get(&format!("/api/feature/houses/{}", hit["tile_id"])),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(json(&body)["id"], house["id"]);
}
