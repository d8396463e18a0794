//! OGC API – Features under `/ogc`, read by a client nobody here wrote: GDAL's OAPIF
//! driver (`ogrinfo`, `ogr2ogr` through the paging) against a real `riskmap serve` of the
//! demo, its features held against `riskmap export` of the same data; and the documents,
//! paging links, filters and refusals through the router, against the export computed
//! here by hand (box and date tests written out again).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use std::path::{Path, PathBuf};
use std::process::Command;

use axum::http::StatusCode;
use common::{gdal, get, json, ok_steps, send, state_with};
use geo::Intersects;
use riskmap_server::server::config::ServerConfig;
use riskmap_server::server::routes::router;
use serde_json::Value;

fn demo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../data/haimen")
}

/// `riskmap serve DIR` on a free port; the server and its base URL.
fn serve(dir: &Path) -> (common::ServeProcess, String) {
    let (p, addr) = common::serve_process(&["--port".as_ref(), "0".as_ref(), dir.as_os_str()]);
    (p, format!("http://{addr}"))
}

/// `riskmap export` of `layers` of the demo into a temporary directory (its path, and
/// the export's folder in it), and `riskmap serve` of the demo (the server, its base URL).
fn export_and_serve(layers: &str) -> (tempfile::TempDir, PathBuf, common::ServeProcess, String) {
    let d = demo();
    let dir = tempfile::tempdir().unwrap();
    let export = dir.path().join("export");
    ok_steps(&[
        "export",
        d.to_str().unwrap(),
        "--out",
        export.to_str().unwrap(),
        "--layer",
        layers,
    ]);
    let (server, base) = serve(&d);
    (dir, export, server, base)
}

/// A GeoJSON file's features by id: (properties, geometry).
fn by_id(path: &Path) -> BTreeMap<String, (Value, Value)> {
    let fc: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let mut p = f["properties"].clone();
            // GDAL keeps the id as a field; the export has it beside the properties.
            let id = f["id"]
                .as_str()
                .or_else(|| p["id"].as_str())
                .unwrap()
                .to_string();
            p.as_object_mut().unwrap().remove("id");
            (id, (p, f["geometry"].clone()))
        })
        .collect()
}

/// Numbers compared as numbers (GDAL may write 3 as 3.0), nulls as absent.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            (x.as_f64().unwrap() - y.as_f64().unwrap()).abs() < 1e-9
        }
        (Value::Object(x), Value::Object(y)) => {
            let keys: std::collections::BTreeSet<&String> = x
                .keys()
                .chain(y.keys())
                .filter(|k| {
                    !x.get(*k).unwrap_or(&Value::Null).is_null()
                        || !y.get(*k).unwrap_or(&Value::Null).is_null()
                })
                .collect();
            keys.iter().all(|k| {
                same(
                    x.get(*k).unwrap_or(&Value::Null),
                    y.get(*k).unwrap_or(&Value::Null),
                )
            })
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => a == b,
    }
}

#[test]
fn gdal_reads_every_layer_and_copies_whole_ones_through_the_paging() {
    let (dir, export, _server, base) =
        export_and_serve("houses,protection_conflicts,hidden_hazards");
    let src = format!("OAPIF:{base}/ogc");
    // Every input and result layer is a collection.
    let list = gdal(&["ogrinfo", "-ro", "-so", &src]);
    for l in [
        "areas",
        "houses",
        "hidden_hazards",
        "house_risk",
        "protection_conflicts",
        "risk_grid",
    ] {
        assert!(
            list.contains(&format!(": {l} (title:")),
            "{l} missing: {list}"
        );
    }
    // Whole layers through the `next` links (20,000 houses: pages of GDAL's choosing),
    // feature for feature what the export writes.
    for layer in ["houses", "protection_conflicts", "hidden_hazards"] {
        let out = dir.path().join(format!("{layer}.geojson"));
        gdal(&[
            "ogr2ogr",
            "-f",
            "GeoJSON",
            out.to_str().unwrap(),
            &src,
            layer,
        ]);
        let got = by_id(&out);
        let want = by_id(&export.join(format!("{layer}.geojson")));
        assert_eq!(got.len(), want.len(), "{layer}");
        for (id, (p, g)) in &want {
            let (gp, gg) = got
                .get(id)
                .unwrap_or_else(|| panic!("{layer} {id} not copied"));
            assert!(same(gp, p), "{layer} {id}: {gp} vs {p}");
            assert!(same(gg, g), "{layer} {id}: geometry");
        }
    }
    // A box: GDAL passes it to the server; the count is that of the export's houses whose
    // footprint meets the box.
    let (x0, y0, x1, y1) = (121.15, 31.85, 121.2, 31.9);
    let info = gdal(&[
        "ogrinfo", "-ro", "-so", "-spat", "121.15", "31.85", "121.2", "31.9", &src, "houses",
    ]);
    let n: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Feature Count: "))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let rect = geo::Rect::new((x0, y0), (x1, y1)).to_polygon();
    let fc: Value =
        serde_json::from_slice(&std::fs::read(export.join("houses.geojson")).unwrap()).unwrap();
    let inside = fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let g: geojson::Geometry = serde_json::from_value(f["geometry"].clone()).unwrap();
            let g: geo::Geometry<f64> = g.try_into().unwrap();
            g.intersects(&rect)
        })
        .count();
    assert!(inside > 100, "{inside}");
    assert_eq!(n, inside);
}

/// The vector tilesets through GDAL's own OGCAPI driver, in the GDAL 3.12 that the PyPI
/// package `pyogrio` bundles (scripts/ensure-python-tools.sh installs it; Debian 12's GDAL
/// 3.6 was built without the driver's vector-tile code): the enterprises and hazard
/// sources GDAL reads from the tiles are the export's, clusters at z0 count them all, and
/// point features stand where the export puts them, within a tile's rounding.
#[test]
fn gdal_reads_the_vector_tilesets() {
    let Some(py) = common::python() else { return };
    let (_dir, export, _server, base) = export_and_serve("enterprises,hazard_sources");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/reference/ogcapi_tiles.py");
    // The demo's extent (its TileJSON bounds).
    let bbox = ["121.033203", "31.759766", "121.548828", "32.15332"];
    for (layer, zooms, cluster_zoom) in [
        ("enterprises", ["0", "12", "14"], "0"),
        ("hazard_sources", ["0", "10", "12"], "0"),
    ] {
        let out = Command::new(&py)
            .arg(&script)
            .arg(format!("{base}/ogc/collections/{layer}"))
            .args(bbox)
            .args(zooms)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{layer}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Value = serde_json::from_slice(&out.stdout).unwrap();
        let want = by_id(&export.join(format!("{layer}.geojson")));
        let want_ids: Vec<&String> = want.keys().collect();
        assert!(want_ids.len() >= 50, "{layer}: {}", want_ids.len());
        // At z0 one cluster per bin; their counts add up to the layer.
        let z0 = &got[cluster_zoom];
        assert_eq!(z0["crs"], "EPSG:3857");
        assert_eq!(
            z0["count_sum"].as_u64(),
            Some(want_ids.len() as u64),
            "{layer}"
        );
        for z in &zooms[1..] {
            let at = &got[*z];
            let ids: Vec<&str> = at["ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap())
                .collect();
            assert_eq!(ids, want_ids, "{layer} z{z}: ids GDAL read");
            // A tile is 4,096 units a side: two units of this latitude at this zoom
            // (about 4 m at z12, 1 m at z14).
            let zoom: i32 = z.parse().unwrap();
            let tolerance =
                2.0 * 40_075_016.686 * 32.0_f64.to_radians().cos() / 2f64.powi(zoom) / 4096.0;
            let points = at["points"].as_object().unwrap();
            for (id, p) in points {
                let g = &want[id].1;
                if g["type"] != "Point" {
                    continue;
                }
                let (lon, lat) = (p[0].as_f64().unwrap(), p[1].as_f64().unwrap());
                let (wl, wt) = (
                    g["coordinates"][0].as_f64().unwrap(),
                    g["coordinates"][1].as_f64().unwrap(),
                );
                let dx = (lon - wl).to_radians().abs() * 6_371_000.0 * wt.to_radians().cos();
                let dy = (lat - wt).to_radians().abs() * 6_371_000.0;
                assert!(
                    dx.hypot(dy) < tolerance,
                    "{layer} {id} z{z}: {:.1} m from the export",
                    dx.hypot(dy)
                );
            }
        }
    }
}

#[tokio::test]
async fn documents_paging_filters_and_refusals() {
    let app = router(state_with(ServerConfig::default(), None));
    let (s, _, body) = send(&app, get("/ogc")).await;
    assert_eq!(s, StatusCode::OK);
    let landing = json(&body);
    let rels: Vec<&str> = landing["links"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["rel"].as_str().unwrap())
        .collect();
    assert_eq!(
        rels,
        [
            "self",
            "service-desc",
            "conformance",
            "data",
            "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector",
            "http://www.opengis.net/def/rel/ogc/1.0/tiling-schemes"
        ]
    );
    let conf = json(&send(&app, get("/ogc/conformance")).await.2);
    assert!(
        conf["conformsTo"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap().ends_with("/conf/core"))
    );
    let api = json(&send(&app, get("/ogc/api")).await.2);
    assert_eq!(api["openapi"], "3.0.3");
    assert!(api["paths"]["/collections/{collectionId}/items"]["get"].is_object());
    // The fields' types come from the values: GDAL sets up its table from this schema.
    let schema = json(
        &send(&app, get("/ogc/collections/hidden_hazards/schema"))
            .await
            .2,
    );
    let p = &schema["properties"]["properties"]["properties"];
    assert_eq!(p["days_overdue"]["type"], "integer");
    assert_eq!(p["funds_wan_yuan"]["type"], "number");
    assert_eq!(
        (
            p["discovered"]["type"].as_str(),
            p["discovered"]["format"].as_str()
        ),
        (Some("string"), Some("date"))
    );
    assert_eq!(p["major"]["type"], "boolean");
    assert!(p.get("responsible_person").is_none());
    let cols = json(&send(&app, get("/ogc/collections")).await.2);
    let houses = cols["collections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "houses")
        .unwrap();
    assert!(
        houses["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "describedby" && l["type"] == "application/schema+json")
    );
    assert_eq!(cols["collections"].as_array().unwrap().len(), 13);

    // Pages of 1,000 houses followed by their `next` links: every house once, in order.
    let mut url = "/ogc/collections/houses/items?limit=1000".to_string();
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let (s, h, body) = send(&app, get(&url)).await;
        assert_eq!(s, StatusCode::OK, "{url}");
        assert_eq!(h["content-type"], "application/geo+json");
        let page = json(&body);
        assert_eq!(page["numberMatched"], 3000);
        assert_eq!(
            page["numberReturned"].as_u64().unwrap() as usize,
            page["features"].as_array().unwrap().len()
        );
        ids.extend(
            page["features"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["id"].as_str().unwrap().to_string()),
        );
        pages += 1;
        let next = page["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == "next");
        match next {
            Some(l) => url = l["href"].as_str().unwrap().replace("http://test.local", ""),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    let all = json(&send(&app, get("/api/features/houses.geojson")).await.2);
    let want: Vec<String> = all["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(ids, want);
    // The second page links back to the first.
    let p2 = json(
        &send(
            &app,
            get("/ogc/collections/houses/items?limit=1000&offset=1000"),
        )
        .await
        .2,
    );
    let prev = p2["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "prev")
        .unwrap();
    assert!(
        prev["href"]
            .as_str()
            .unwrap()
            .ends_with("limit=1000&offset=0")
    );

    // A box keeps what the export's box keeps.
    let bb = "121.1,31.8,121.3,31.95";
    let page = json(
        &send(
            &app,
            get(&format!(
                "/ogc/collections/house_risk/items?bbox={bb}&limit=10000"
            )),
        )
        .await
        .2,
    );
    let export = json(
        &send(
            &app,
            get(&format!("/api/features/house_risk.geojson?bbox={bb}")),
        )
        .await
        .2,
    );
    assert_eq!(
        page["numberMatched"].as_u64().unwrap() as usize,
        export["features"].as_array().unwrap().len()
    );
    // The same features; the page gives each every field of the layer (empty ones null).
    assert!(same(&page["features"], &export["features"]));
    assert!(page["features"].as_array().unwrap().iter().all(|f| {
        f["properties"]
            .as_object()
            .unwrap()
            .contains_key("rectification")
    }));
    assert!(page["links"].as_array().unwrap().iter().any(|l| {
        l["rel"] == "self"
            && l["href"]
                .as_str()
                .unwrap()
                .contains("bbox=121.1,31.8,121.3,31.95")
    }));

    // Hidden hazards found in January 2026, by the rule written out here.
    let hh = json(
        &send(&app, get("/api/features/hidden_hazards.geojson"))
            .await
            .2,
    );
    let in_jan = hh["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["properties"]["discovered"]
                .as_str()
                .is_some_and(|d| ("2026-01-01"..="2026-01-31").contains(&d))
        })
        .count();
    assert!(in_jan > 0);
    // The person answerable for a hazard is not served by default, by any route.
    let named = |fc: &Value| {
        fc["features"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["properties"].get("responsible_person").is_some())
            .count()
    };
    assert_eq!(named(&hh), 0);
    let jan = json(&send(&app, get("/ogc/collections/hidden_hazards/items?datetime=2026-01-01T00:00:00Z/2026-01-31&limit=10000")).await.2);
    assert_eq!(jan["numberMatched"].as_u64().unwrap() as usize, in_jan);
    assert_eq!(named(&jan), 0);
    // A configuration that names the layer's own deny list decides for it.
    let mut open = ServerConfig::default();
    open.layers.insert(
        "hidden_hazards".into(),
        toml::from_str("deny_fields = []").unwrap(),
    );
    let open_app = router(state_with(open, None));
    let all_named = json(
        &send(
            &open_app,
            get("/ogc/collections/hidden_hazards/items?limit=10000"),
        )
        .await
        .2,
    );
    assert!(named(&all_named) > 0);
    let open_end = json(
        &send(
            &app,
            get("/ogc/collections/hidden_hazards/items?datetime=../2026-01-31&limit=1"),
        )
        .await
        .2,
    );
    assert!(open_end["numberMatched"].as_u64().unwrap() as usize >= in_jan);

    // One feature by its id, as the export writes it.
    let first = &all["features"][0];
    let id = first["id"].as_str().unwrap();
    let one = json(
        &send(&app, get(&format!("/ogc/collections/houses/items/{id}")))
            .await
            .2,
    );
    assert_eq!(one["properties"], first["properties"]);
    assert_eq!(one["geometry"], first["geometry"]);

    // Refusals say what is wrong.
    for (url, status, says) in [
        (
            "/ogc/collections/schools",
            StatusCode::NOT_FOUND,
            "unknown layer 'schools'",
        ),
        (
            "/ogc/collections/houses/items/house-9999999",
            StatusCode::NOT_FOUND,
            "no feature 'house-9999999'",
        ),
        (
            "/ogc/collections/houses/items?limit=many",
            StatusCode::BAD_REQUEST,
            "limit=many",
        ),
        (
            "/ogc/collections/houses/items?bbox=1,2,3",
            StatusCode::BAD_REQUEST,
            "bbox=1,2,3",
        ),
        (
            "/ogc/collections/houses/items?bbox=121,32,121.5,31",
            StatusCode::BAD_REQUEST,
            "south below north",
        ),
        (
            "/ogc/collections/hidden_hazards/items?datetime=last-week",
            StatusCode::BAD_REQUEST,
            "datetime=last-week",
        ),
        ("/ogc/collections?f=html", StatusCode::BAD_REQUEST, "f=html"),
    ] {
        let (s, _, body) = send(&app, get(url)).await;
        assert_eq!(s, status, "{url}");
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains(says), "{url}: {text}");
    }
}

#[tokio::test]
async fn ogc_tiles_are_the_maps_own_tiles() {
    let app = router(state_with(ServerConfig::default(), None));
    // WebMercatorQuad as OGC 17-083r4 defines it: z0 scale 1:559,082,264.0287178, cells
    // of 156,543.03392804097 m, 2^z tiles a side.
    let tms = json(
        &send(&app, get("/ogc/tileMatrixSets/WebMercatorQuad"))
            .await
            .2,
    );
    let z0 = &tms["tileMatrices"][0];
    assert!((z0["scaleDenominator"].as_f64().unwrap() - 559_082_264.028_717_8).abs() < 1e-6);
    assert!((z0["cellSize"].as_f64().unwrap() - 156_543.033_928_040_97).abs() < 1e-9);
    assert_eq!(tms["tileMatrices"][18]["matrixWidth"], 262_144);
    assert_eq!(tms["crs"], "http://www.opengis.net/def/crs/EPSG/0/3857");
    // The dataset's tileset: every layer; its template; the tile of the district's
    // centre is the /tiles composite of every layer, byte for byte.
    let ts = json(&send(&app, get("/ogc/tiles/WebMercatorQuad")).await.2);
    let item = ts["links"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["rel"] == "item")
        .unwrap();
    assert_eq!(item["type"], "application/vnd.mapbox-vector-tile");
    assert!(
        item["href"]
            .as_str()
            .unwrap()
            .ends_with("/ogc/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}")
    );
    assert_eq!(ts["layers"].as_array().unwrap().len(), 10);
    let (x, y) = common::served_centre_tile(&app, 14).await;
    let lim = ts["tileMatrixSetLimits"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["tileMatrix"] == "14")
        .unwrap();
    assert!(
        (lim["minTileCol"].as_u64().unwrap()..=lim["maxTileCol"].as_u64().unwrap())
            .contains(&u64::from(x))
    );
    assert!(
        (lim["minTileRow"].as_u64().unwrap()..=lim["maxTileRow"].as_u64().unwrap())
            .contains(&u64::from(y))
    );
    let all = "areas,risk_grid,gas_pipelines,houses,protection_targets,enterprises,hazard_sources,protection_conflicts,pipeline_conflicts,hidden_hazards";
    let (s1, h1, b1) = send(&app, get(&format!("/ogc/tiles/WebMercatorQuad/14/{y}/{x}"))).await;
    let (s2, h2, b2) = send(&app, get(&format!("/tiles/{all}/14/{x}/{y}.mvt"))).await;
    assert_eq!((s1, s2), (StatusCode::OK, StatusCode::OK));
    assert!(!b1.is_empty());
    assert_eq!(b1, b2);
    assert_eq!(h1["etag"], h2["etag"]);
    // A layer's own tileset, linked from its collection.
    let col = json(&send(&app, get("/ogc/collections/houses")).await.2);
    assert!(
        col["links"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/tilesets-vector")
    );
    let (_, _, h) = send(
        &app,
        get(&format!(
            "/ogc/collections/houses/tiles/WebMercatorQuad/14/{y}/{x}"
        )),
    )
    .await;
    let (_, _, t) = send(&app, get(&format!("/tiles/houses/14/{x}/{y}.mvt"))).await;
    assert_eq!(h, t);
    // Refusals.
    for (url, status) in [
        ("/ogc/collections/house_risk/tiles", StatusCode::NOT_FOUND),
        ("/ogc/tiles/WorldCRS84Quad", StatusCode::NOT_FOUND),
        (
            "/ogc/tiles/WebMercatorQuad/14/99999/0",
            StatusCode::BAD_REQUEST,
        ),
        ("/ogc/tiles/WebMercatorQuad/19/0/0", StatusCode::BAD_REQUEST),
    ] {
        assert_eq!(send(&app, get(url)).await.0, status, "{url}");
    }
}
