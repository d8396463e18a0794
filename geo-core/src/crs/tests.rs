//! Unit tests of the coordinate reference systems: reference values from PROJ, the
//! spellings [`Crs::parse`] accepts, `.prj` files, GCJ-02/BD-09 and the PROJ backend.

use super::epsg::{ZoneFamily, cgcs2000_gk_code};
use super::*;

type TestResult = Result<(), CrsError>;

/// 1 mm, for projected coordinates.
const MM: f64 = 1e-3;
/// 10⁻⁹ degree (0.1 mm), for longitude and latitude.
const NANODEG: f64 = 1e-9;

fn assert_close(got: (f64, f64), want: (f64, f64), tol: f64, what: &str) {
    let err = (got.0 - want.0).abs().max((got.1 - want.1).abs());
    assert!(
        err <= tol,
        "{what}: got ({:.11}, {:.11}), want ({:.11}, {:.11}), off by {err:e}",
        got.0,
        got.1,
        want.0,
        want.1
    );
}

/// `(lon, lat, easting, northing)`: WGS84/CGCS2000 → `code` must give the easting and
/// northing within 1 mm.
fn check_forward(code: u32, cases: &[(f64, f64, f64, f64)]) -> TestResult {
    let crs = Crs::from_epsg(code)?;
    for &(lon, lat, x, y) in cases {
        let got = crs.from_wgs84(lon, lat)?;
        assert_close(
            got,
            (x, y),
            MM,
            &format!("EPSG:{code} forward ({lon}, {lat})"),
        );
    }
    Ok(())
}

/// `(easting, northing, lon, lat)`: `code` → WGS84/CGCS2000 within 10⁻⁹ degree.
fn check_inverse(code: u32, cases: &[(f64, f64, f64, f64)]) -> TestResult {
    let crs = Crs::from_epsg(code)?;
    for &(x, y, lon, lat) in cases {
        let got = crs.to_wgs84(x, y)?;
        assert_close(
            got,
            (lon, lat),
            NANODEG,
            &format!("EPSG:{code} inverse ({x}, {y})"),
        );
    }
    Ok(())
}

// Reference values: PROJ 9.1.1 `cs2cs` (Debian 12 package proj-bin). Its input and
// output follow the EPSG axis order, so the commands take and give latitude before
// longitude, and northing before easting for the CGCS2000 zones; the tables below are
// reordered to (x, y).

#[test]
fn gauss_kruger_3_degree_zone_40_with_prefix_epsg_4528() -> TestResult {
    // printf '31.89 121.17\n18 118.5\n53.5 121.5\n0 120\n40 119.2\n' | cs2cs -d 4 EPSG:4490 EPSG:4528
    check_forward(
        4528,
        &[
            (121.17, 31.89, 40610692.1889, 3530252.1086),
            (118.5, 18.0, 40341127.7434, 1991624.6813),
            (121.5, 53.5, 40599535.2646, 5931313.3188),
            (120.0, 0.0, 40500000.0, 0.0),
            (119.2, 40.0, 40431684.5239, 4429835.6071),
        ],
    )?;
    // printf '3530000.123 40612345.678\n2000000 40350000\n5900000 40640000\n' | cs2cs -d 11 EPSG:4528 EPSG:4490
    check_inverse(
        4528,
        &[
            (40612345.678, 3530000.123, 121.18744478948, 31.88756593595),
            (40350000.0, 2000000.0, 118.58314298068, 18.07627800100),
            (40640000.0, 5900000.0, 122.09557621416, 53.20962606990),
        ],
    )
}

#[test]
fn gauss_kruger_3_degree_cm_120e_epsg_4549() -> TestResult {
    // printf '31.89 121.17\n18 118.5\n53.5 121.5\n0 120\n40 119.2\n' | cs2cs -d 4 EPSG:4490 EPSG:4549
    check_forward(
        4549,
        &[
            (121.17, 31.89, 610692.1889, 3530252.1086),
            (118.5, 18.0, 341127.7434, 1991624.6813),
            (121.5, 53.5, 599535.2646, 5931313.3188),
            (120.0, 0.0, 500000.0, 0.0),
            (119.2, 40.0, 431684.5239, 4429835.6071),
        ],
    )?;
    // printf '3530000.123 612345.678\n2000000 350000\n5900000 640000\n' | cs2cs -d 11 EPSG:4549 EPSG:4490
    check_inverse(
        4549,
        &[
            (612345.678, 3530000.123, 121.18744478948, 31.88756593595),
            (350000.0, 2000000.0, 118.58314298068, 18.07627800100),
            (640000.0, 5900000.0, 122.09557621416, 53.20962606990),
        ],
    )
}

#[test]
fn gauss_kruger_3_degree_cm_123e_epsg_4550() -> TestResult {
    // printf '31.89 121.17\n30 121.5\n45 124.5\n' | cs2cs -d 4 EPSG:4490 EPSG:4550
    check_forward(
        4550,
        &[
            (121.17, 31.89, 326858.3146, 3531116.0363),
            (121.5, 30.0, 355262.2509, 3321060.8409),
            (124.5, 45.0, 618270.2740, 4986039.2140),
        ],
    )?;
    // printf '3400000 420000\n5000000 620000\n' | cs2cs -d 11 EPSG:4550 EPSG:4490
    check_inverse(
        4550,
        &[
            (420000.0, 3400000.0, 122.16480359665, 30.71793079280),
            (620000.0, 5000000.0, 124.52526631405, 45.12528763547),
        ],
    )
}

#[test]
fn gauss_kruger_6_degree_zone_21_with_prefix_epsg_4499() -> TestResult {
    // printf '31.89 121.17\n40 120\n48 126\n' | cs2cs -d 4 EPSG:4490 EPSG:4499
    check_forward(
        4499,
        &[
            (121.17, 31.89, 21326858.3146, 3531116.0363),
            (120.0, 40.0, 21243797.8712, 4433842.5938),
            (126.0, 48.0, 21723865.4616, 5322784.9030),
        ],
    )?;
    // printf '3400000 21420000\n5300000 21700000\n' | cs2cs -d 11 EPSG:4499 EPSG:4490
    check_inverse(
        4499,
        &[
            (21420000.0, 3400000.0, 122.16480359665, 30.71793079280),
            (21700000.0, 5300000.0, 125.67000955759, 47.80320656496),
        ],
    )
}

#[test]
fn gauss_kruger_6_degree_cm_123e_epsg_4510() -> TestResult {
    // printf '31.89 121.17\n40 120\n48 126\n' | cs2cs -d 4 EPSG:4490 EPSG:4510
    check_forward(
        4510,
        &[
            (121.17, 31.89, 326858.3146, 3531116.0363),
            (120.0, 40.0, 243797.8712, 4433842.5938),
            (126.0, 48.0, 723865.4616, 5322784.9030),
        ],
    )?;
    // printf '3400000 420000\n5300000 700000\n' | cs2cs -d 11 EPSG:4510 EPSG:4490
    check_inverse(
        4510,
        &[
            (420000.0, 3400000.0, 122.16480359665, 30.71793079280),
            (700000.0, 5300000.0, 125.67000955759, 47.80320656496),
        ],
    )
}

#[test]
fn utm_zone_50n_epsg_32650() -> TestResult {
    // printf '22.5 114\n40 120\n39.9 116.4\n' | cs2cs -d 4 EPSG:4326 EPSG:32650
    check_forward(
        32650,
        &[
            (114.0, 22.5, 191334.3106, 2491265.9897),
            (120.0, 40.0, 756099.6480, 4432069.0569),
            (116.4, 39.9, 448709.3802, 4416830.5622),
        ],
    )?;
    // printf '250000 2500000\n700000 4400000\n' | cs2cs -d 11 EPSG:32650 EPSG:4326
    check_inverse(
        32650,
        &[
            (250000.0, 2500000.0, 114.56836514278, 22.58844084495),
            (700000.0, 4400000.0, 119.33362068383, 39.72644584310),
        ],
    )
}

#[test]
fn utm_zone_51n_epsg_32651() -> TestResult {
    // printf '31.89 121.17\n25 120\n45 126\n' | cs2cs -d 4 EPSG:4326 EPSG:32651
    check_forward(
        32651,
        &[
            (121.17, 31.89, 326927.5713, 3529703.5899),
            (120.0, 25.0, 197181.3122, 2768300.2188),
            (126.0, 45.0, 736446.0261, 4987329.5047),
        ],
    )?;
    // printf '300000 3500000\n800000 5000000\n' | cs2cs -d 11 EPSG:32651 EPSG:4326
    check_inverse(
        32651,
        &[
            (300000.0, 3500000.0, 120.89151410221, 31.61777507540),
            (800000.0, 5000000.0, 126.81233356574, 45.08980169318),
        ],
    )
}

#[test]
fn utm_southern_zones() -> TestResult {
    // printf -- '-10 117\n' | cs2cs -d 4 EPSG:4326 EPSG:32750
    check_forward(32750, &[(117.0, -10.0, 500000.0, 8894587.5087)])?;
    // printf -- '-33.9 151.2\n' | cs2cs -d 4 EPSG:4326 EPSG:32756
    check_forward(32756, &[(151.2, -33.9, 333568.9410, 6247473.3368)])?;
    // printf '500000 8900000\n' | cs2cs -d 11 EPSG:32750 EPSG:4326
    check_inverse(32750, &[(500000.0, 8900000.0, 117.0, -9.95104624804)])
}

#[test]
fn transverse_mercator_far_from_the_central_meridian() {
    // 34° east of zone 50's meridian: the Krüger series still holds to well below 1 mm.
    // printf -- '-33.9 151.2\n' | cs2cs -d 4 EPSG:4326 EPSG:32750
    let got = TransverseMercator::utm(50, false).forward_on(Ellipsoid::WGS84, 151.2, -33.9);
    assert_close(got, (3727543.2059, 5670031.5071), MM, "zone 50S at 151.2E");
    // The CRS itself refuses it: no ledger in zone 50 lies 3 000 km east of it.
    assert!(matches!(
        Crs::from_epsg(32750).and_then(|c| c.from_wgs84(151.2, -33.9)),
        Err(CrsError::OutOfDomain { .. })
    ));
}

#[test]
fn every_utm_zone_round_trips() -> TestResult {
    for zone in 1..=60u8 {
        for north in [true, false] {
            let crs = Crs::Utm { zone, north };
            let cm = f64::from(zone) * 6.0 - 183.0;
            let lat = if north { 35.0 } else { -35.0 };
            let (x, y) = crs.from_wgs84(cm + 2.5, lat)?;
            assert_close(
                crs.to_wgs84(x, y)?,
                (cm + 2.5, lat),
                NANODEG,
                &crs.to_string(),
            );
            let code = if north { 32600 } else { 32700 } + u32::from(zone);
            assert_eq!(crs.epsg(), Some(code));
            assert_eq!(Crs::from_epsg(code)?, crs);
        }
    }
    Ok(())
}

#[test]
fn every_cgcs2000_zone_matches_its_definition() -> TestResult {
    // projinfo EPSG:4491 -o PROJ -q  →  +proj=tmerc +lon_0=75 +k=1 +x_0=13500000 ... +ellps=GRS80
    // (likewise 4501: lon_0=135 x_0=23500000; 4502: 75, 500000; 4512: 135, 500000;
    //  4513: 75, 25500000; 4533: 135, 45500000; 4534: 75, 500000; 4554: 135, 500000)
    let ends = [
        (4491, 75.0, 13500000.0, "CGCS2000 / Gauss-Kruger zone 13"),
        (4501, 135.0, 23500000.0, "CGCS2000 / Gauss-Kruger zone 23"),
        (4502, 75.0, 500000.0, "CGCS2000 / Gauss-Kruger CM 75E"),
        (4512, 135.0, 500000.0, "CGCS2000 / Gauss-Kruger CM 135E"),
        (
            4513,
            75.0,
            25500000.0,
            "CGCS2000 / 3-degree Gauss-Kruger zone 25",
        ),
        (
            4533,
            135.0,
            45500000.0,
            "CGCS2000 / 3-degree Gauss-Kruger zone 45",
        ),
        (
            4534,
            75.0,
            500000.0,
            "CGCS2000 / 3-degree Gauss-Kruger CM 75E",
        ),
        (
            4554,
            135.0,
            500000.0,
            "CGCS2000 / 3-degree Gauss-Kruger CM 135E",
        ),
    ];
    for (code, cm, fe, name) in ends {
        let crs = Crs::from_epsg(code)?;
        assert_eq!(
            crs,
            Crs::GaussKruger {
                epsg: Some(code),
                central_meridian: cm,
                false_easting: fe
            }
        );
        assert_eq!(crs.to_string(), format!("EPSG:{code} ({name})"));
    }
    for code in 4491..=4554 {
        let crs = Crs::from_epsg(code)?;
        let Crs::GaussKruger {
            central_meridian,
            false_easting,
            ..
        } = crs
        else {
            panic!("EPSG:{code} is not Gauss-Kruger: {crs:?}");
        };
        // The code a .prj's parameters lead back to, given the family from its name.
        let family = if code >= 4513 {
            ZoneFamily::ThreeDegree
        } else {
            ZoneFamily::SixDegree
        };
        assert_eq!(
            cgcs2000_gk_code(central_meridian, false_easting, Some(family)),
            Some(code)
        );
        let (x, y) = crs.from_wgs84(central_meridian + 1.0, 30.0)?;
        assert_close(
            crs.to_wgs84(x, y)?,
            (central_meridian + 1.0, 30.0),
            NANODEG,
            &crs.to_string(),
        );
    }
    Ok(())
}

#[test]
fn web_mercator_epsg_3857() -> TestResult {
    // printf '31.89 121.17\n85.0511287798 180\n40.7 -74\n' | cs2cs -d 4 EPSG:4326 EPSG:3857
    check_forward(
        3857,
        &[
            (121.17, 31.89, 13488582.6994, 3748880.0631),
            (180.0, 85.0511287798, 20037508.3428, 20037508.3428),
            (-74.0, 40.7, -8237642.3187, 4968191.9302),
        ],
    )?;
    // printf '13488400 3747800\n' | cs2cs -d 11 EPSG:3857 EPSG:4326
    check_inverse(
        3857,
        &[(13488400.0, 3747800.0, 121.16835878318, 31.88176169758)],
    )?;
    let err = Crs::WebMercator.from_wgs84(121.0, 86.0);
    assert!(matches!(err, Err(CrsError::OutOfDomain { .. })), "{err:?}");
    let err = Crs::WebMercator.to_wgs84(1.0, 3.0e7);
    assert!(matches!(err, Err(CrsError::OutOfDomain { .. })), "{err:?}");
    Ok(())
}

#[test]
fn transverse_mercator_round_trips_on_a_grid() {
    let tm = TransverseMercator::new(120.0, 1.0, 500000.0, 0.0);
    let utm = TransverseMercator::utm(51, true);
    for i in -12..=12 {
        for j in -20..=21 {
            let lon = 120.0 + f64::from(i) * 0.25;
            let lat = f64::from(j) * 4.0 + 0.37;
            let (x, y) = tm.forward(lon, lat);
            assert_close(tm.inverse(x, y), (lon, lat), NANODEG, "GK grid");
            let lon = 123.0 + f64::from(i) * 0.25;
            let (x, y) = utm.forward_on(Ellipsoid::WGS84, lon, lat);
            assert_close(
                utm.inverse_on(Ellipsoid::WGS84, x, y),
                (lon, lat),
                NANODEG,
                "UTM grid",
            );
        }
    }
}

#[test]
fn transverse_mercator_local_plane_and_origin_latitude() {
    let plane = TransverseMercator::local(121.17, 31.89);
    assert_close(plane.forward(121.17, 31.89), (0.0, 0.0), 1e-9, "origin");
    // One metre north on the ellipsoid is one metre in the plane.
    let (_, y) = plane.forward(121.17, 31.90);
    // python3 -c "from geographiclib.geodesic import Geodesic; print(Geodesic.WGS84.Inverse(31.89,121.17,31.90,121.17)['s12'])"
    // → 1108.8497359564233 (the CGCS2000 ellipsoid changes it by under 1 µm)
    assert!((y - 1108.8497359564233).abs() < 1e-6, "{y}");
    assert_close(
        plane.inverse(0.0, 0.0),
        (121.17, 31.89),
        1e-12,
        "inverse origin",
    );
}

#[test]
fn grid_coordinates_outside_the_zone_are_refused() -> TestResult {
    let zone40 = Crs::from_epsg(4528)?;
    let Err(CrsError::OutOfDomain { reason, .. }) = zone40.to_wgs84(610692.1889, 3530252.1086)
    else {
        panic!("an easting without its zone prefix was accepted");
    };
    assert!(reason.contains("prefix"), "{reason}");
    let cm120 = Crs::from_epsg(4549)?;
    let Err(CrsError::OutOfDomain { reason, .. }) = cm120.to_wgs84(40610692.1889, 3530252.1086)
    else {
        panic!("an easting with a zone prefix was accepted");
    };
    assert!(reason.contains("prefix"), "{reason}");
    let Err(CrsError::OutOfDomain { reason, .. }) = cm120.to_wgs84(121.17, 31.89) else {
        panic!("degrees were accepted as metres");
    };
    assert!(reason.contains("degrees"), "{reason}");
    assert!(matches!(
        cm120.to_wgs84(f64::NAN, 0.0),
        Err(CrsError::OutOfDomain { .. })
    ));
    assert!(matches!(
        cm120.to_wgs84(500000.0, 1.2e7),
        Err(CrsError::OutOfDomain { .. })
    ));
    Ok(())
}

#[test]
fn geographic_coordinates_are_checked() -> TestResult {
    assert_eq!(Crs::Wgs84.to_wgs84(121.17, 31.89)?, (121.17, 31.89));
    assert_eq!(Crs::Cgcs2000.to_wgs84(121.17, 31.89)?, (121.17, 31.89));
    let Err(CrsError::OutOfDomain { reason, .. }) = Crs::Wgs84.to_wgs84(31.89, 121.17) else {
        panic!("latitude 121.17 was accepted");
    };
    assert!(reason.contains("swapped"), "{reason}");
    let Err(CrsError::OutOfDomain { reason, .. }) = Crs::Cgcs2000.to_wgs84(40610692.0, 3530252.0)
    else {
        panic!("metres were accepted as degrees");
    };
    assert!(reason.contains("metres"), "{reason}");
    assert!(matches!(
        Crs::Gcj02.to_wgs84(f64::INFINITY, 30.0),
        Err(CrsError::OutOfDomain { .. })
    ));
    assert!(matches!(
        Crs::Bd09.from_wgs84(181.0, 30.0),
        Err(CrsError::OutOfDomain { .. })
    ));
    Ok(())
}

// Reference values: the PyPI package coord-convert 0.2.1 (an independent Python
// implementation of the same published formulas), after `pip install coord-convert==0.2.1`:
//   python3 -c "from coord_convert.transform import wgs2gcj, wgs2bd, gcj2wgs, bd2wgs, gcj2bd, bd2gcj
//   for p in [(121.17, 31.89), (116.391, 39.907), (114.0579, 22.5431), (87.6168, 43.8256),
//             (91.1322, 29.66), (126.6424, 45.7567), (109.5, 18.25)]:
//       print(p, wgs2gcj(*p), wgs2bd(*p), gcj2wgs(*p), bd2wgs(*p), gcj2bd(*p), bd2gcj(*p))"
// (printed with '%.10f'). Its gcj2wgs iterates until a step is below 10⁻⁶ degree.

const GCJ_POINTS: [(f64, f64); 7] = [
    (121.17, 31.89),
    (116.391, 39.907),
    (114.0579, 22.5431),
    (87.6168, 43.8256),
    (91.1322, 29.66),
    (126.6424, 45.7567),
    (109.5, 18.25),
];

#[test]
fn wgs84_to_gcj02_and_bd09_match_coord_convert() -> TestResult {
    // (wgs2gcj, wgs2bd) of GCJ_POINTS.
    let expected = [
        (
            (121.1745849858, 31.8881361771),
            (121.1810429902, 31.8942175464),
        ),
        (
            (116.3972409586, 39.9084011088),
            (116.4036144238, 39.9147439008),
        ),
        (
            (114.0630139986, 22.5403828142),
            (114.0695639870, 22.5460415591),
        ),
        (
            (87.6196499495, 43.8268053931),
            (87.6260997708, 43.8329497948),
        ),
        (
            (91.1337433162, 29.6572795013),
            (91.1403425095, 29.6630255063),
        ),
        (
            (126.6483698163, 45.7586511019),
            (126.6549993290, 45.7643455639),
        ),
        (
            (109.5041184440, 18.2483315210),
            (109.5106802563, 18.2540120062),
        ),
    ];
    for (&(lon, lat), &(gcj, bd)) in GCJ_POINTS.iter().zip(&expected) {
        assert_close(Crs::Gcj02.from_wgs84(lon, lat)?, gcj, 1e-6, "wgs2gcj");
        assert_close(wgs84_to_gcj02(lon, lat), gcj, 1e-9, "wgs2gcj (formula)");
        assert_close(Crs::Bd09.from_wgs84(lon, lat)?, bd, 1e-6, "wgs2bd");
    }
    Ok(())
}

#[test]
fn gcj02_and_bd09_to_wgs84_match_coord_convert() -> TestResult {
    // (gcj2wgs, bd2wgs, gcj2bd, bd2gcj) of GCJ_POINTS.
    let expected = [
        (
            (121.1654054391, 31.8918555939),
            (121.1588793052, 31.8859684873),
            (121.1764806586, 31.8959949097),
            (121.1634864655, 31.8841261762),
        ),
        (
            (116.3847635568, 39.9056027934),
            (116.3783541435, 39.8993685664),
            (116.3973865475, 39.9133087906),
            (116.3845833880, 39.9007599980),
        ),
        (
            (114.0527923343, 22.5458264970),
            (114.0462599526, 22.5401521095),
            (114.0644520373, 22.5487568918),
            (114.0513574082, 22.5374116601),
        ),
        (
            (87.6139528194, 43.8243960395),
            (87.6075551674, 43.8181629101),
            (87.6232336079, 43.8317762578),
            (87.6103974997, 43.8193668213),
        ),
        (
            (91.1306544510, 29.6627179527),
            (91.1240683847, 29.6569079034),
            (91.1387981316, 29.6657544492),
            (91.1256221056, 29.6541961192),
        ),
        (
            (126.6364439191, 45.7547573870),
            (126.6298974537, 45.7488733353),
            (126.6490006575, 45.7624766785),
            (126.6358394733, 45.7508087134),
        ),
        (
            (109.4958695396, 18.2516565757),
            (109.4892952983, 18.2459438112),
            (109.5065646135, 18.2556731439),
            (109.4934443052, 18.2443089558),
        ),
    ];
    for (&(lon, lat), &(wgs, bd_wgs, bd, gcj)) in GCJ_POINTS.iter().zip(&expected) {
        assert_close(Crs::Gcj02.to_wgs84(lon, lat)?, wgs, 1e-6, "gcj2wgs");
        assert_close(Crs::Bd09.to_wgs84(lon, lat)?, bd_wgs, 1e-6, "bd2wgs");
        assert_close(gcj02_to_bd09(lon, lat), bd, 1e-9, "gcj2bd");
        assert_close(bd09_to_gcj02(lon, lat), gcj, 1e-9, "bd2gcj");
    }
    Ok(())
}

#[test]
fn gcj02_inverse_round_trips() {
    for i in 0..=40 {
        for j in 0..=30 {
            let lon = 73.5 + f64::from(i) * 1.55;
            let lat = 3.9 + f64::from(j) * 1.65;
            let (glon, glat) = wgs84_to_gcj02(lon, lat);
            if !in_china(glon, glat) {
                continue;
            }
            let (wlon, wlat) = gcj02_to_wgs84(glon, glat);
            assert_close((wlon, wlat), (lon, lat), 1e-7, "GCJ→WGS");
            assert_close(
                wgs84_to_gcj02(wlon, wlat),
                (glon, glat),
                1e-7,
                "GCJ→WGS→GCJ",
            );
            assert_close(
                gcj02_to_wgs84(glon, glat),
                (lon, lat),
                1e-9,
                "WGS→GCJ→WGS tight",
            );
        }
    }
}

#[test]
fn offsets_stop_at_the_border_rectangle() -> TestResult {
    // Tokyo lies east of 137.8347°E.
    assert_eq!(
        Crs::Gcj02.from_wgs84(139.6917, 35.6895)?,
        (139.6917, 35.6895)
    );
    assert_eq!(Crs::Gcj02.to_wgs84(139.6917, 35.6895)?, (139.6917, 35.6895));
    assert_eq!(
        Crs::Bd09.from_wgs84(139.6917, 35.6895)?,
        (139.6917, 35.6895)
    );
    assert_eq!(Crs::Bd09.to_wgs84(-0.1276, 51.5072)?, (-0.1276, 51.5072));
    assert!(in_china(121.17, 31.89) && !in_china(60.0, 31.89));
    Ok(())
}

#[test]
fn parse_recognises_the_usual_spellings() -> TestResult {
    let gk4528 = Crs::GaussKruger {
        epsg: Some(4528),
        central_meridian: 120.0,
        false_easting: 40500000.0,
    };
    let cases = [
        ("EPSG:4326", Crs::Wgs84),
        ("4490", Crs::Cgcs2000),
        (" epsg:4528 ", gk4528.clone()),
        ("EPSG::4528", gk4528.clone()),
        (
            "EPSG:4528 (CGCS2000 / 3-degree Gauss-Kruger zone 40)",
            gk4528.clone(),
        ),
        ("urn:ogc:def:crs:EPSG::4528", gk4528.clone()),
        ("urn:ogc:def:crs:EPSG:9.8.15:4528", gk4528),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", Crs::Wgs84),
        ("OGC:CRS84", Crs::Wgs84),
        ("CRS:84", Crs::Wgs84),
        (
            "http://www.opengis.net/def/crs/EPSG/0/4549",
            Crs::GaussKruger {
                epsg: Some(4549),
                central_meridian: 120.0,
                false_easting: 500000.0,
            },
        ),
        ("wgs84", Crs::Wgs84),
        ("WGS 84", Crs::Wgs84),
        ("cgcs2000", Crs::Cgcs2000),
        ("CGCS 2000", Crs::Cgcs2000),
        ("国家2000", Crs::Cgcs2000),
        ("gcj02", Crs::Gcj02),
        ("GCJ-02", Crs::Gcj02),
        ("火星坐标", Crs::Gcj02),
        ("bd09", Crs::Bd09),
        ("BD-09", Crs::Bd09),
        ("百度坐标", Crs::Bd09),
        ("EPSG:3857", Crs::WebMercator),
        ("EPSG:900913", Crs::WebMercator),
        ("ESRI:102100", Crs::WebMercator),
        ("web mercator", Crs::WebMercator),
        (
            "EPSG:32651",
            Crs::Utm {
                zone: 51,
                north: true,
            },
        ),
        (
            "epsg:32749",
            Crs::Utm {
                zone: 49,
                north: false,
            },
        ),
        (
            "UTM 50N",
            Crs::Utm {
                zone: 50,
                north: true,
            },
        ),
        (
            "WGS 84 / UTM zone 51N",
            Crs::Utm {
                zone: 51,
                north: true,
            },
        ),
        (
            "+proj=utm +zone=49 +datum=WGS84 +units=m +no_defs",
            Crs::Utm {
                zone: 49,
                north: true,
            },
        ),
        ("+proj=longlat +ellps=GRS80 +no_defs", Crs::Cgcs2000),
        (
            "+proj=merc +a=6378137 +b=6378137 +lat_ts=0 +lon_0=0 +x_0=0 +y_0=0 +k=1 +units=m \
             +nadgrids=@null +wktext +no_defs",
            Crs::WebMercator,
        ),
        (
            // projinfo EPSG:4550 -o PROJ -q
            "+proj=tmerc +lat_0=0 +lon_0=123 +k=1 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs +type=crs",
            Crs::GaussKruger {
                epsg: None,
                central_meridian: 123.0,
                false_easting: 500000.0,
            },
        ),
    ];
    for (text, want) in cases {
        assert_eq!(Crs::parse(text)?, want, "{text:?}");
    }
    Ok(())
}

#[test]
fn parse_rejects_what_it_does_not_know() {
    for text in [
        "", "   ", "foo", "EPSG:", "utm 61n", "utm五", "utm", "gcj03",
    ] {
        assert!(
            matches!(Crs::parse(text), Err(CrsError::Unrecognized { .. })),
            "{text:?} -> {:?}",
            Crs::parse(text)
        );
    }
}

#[cfg(not(feature = "proj"))]
#[test]
fn codes_outside_the_built_in_set_need_the_proj_feature() {
    for text in [
        "EPSG:2385",
        "2437",
        "urn:ogc:def:crs:EPSG::2385",
        "+proj=tmerc +lon_0=120 +ellps=krass",
    ] {
        let Err(err @ CrsError::Unsupported { .. }) = Crs::parse(text) else {
            panic!("{text:?} was not refused: {:?}", Crs::parse(text));
        };
        let message = err.to_string();
        assert!(message.contains("--features proj"), "{message}");
    }
    let message = Crs::parse("EPSG:2385").map_or_else(|e| e.to_string(), |c| c.to_string());
    assert!(
        message.starts_with("EPSG:2385 is not supported"),
        "{message}"
    );
}

#[test]
fn display_epsg_and_definitions() -> TestResult {
    let cases = [
        (
            "EPSG:4528",
            "EPSG:4528 (CGCS2000 / 3-degree Gauss-Kruger zone 40)",
            Some(4528),
        ),
        (
            "EPSG:4510",
            "EPSG:4510 (CGCS2000 / Gauss-Kruger CM 123E)",
            Some(4510),
        ),
        (
            "EPSG:32651",
            "EPSG:32651 (WGS 84 / UTM zone 51N)",
            Some(32651),
        ),
        (
            "EPSG:32750",
            "EPSG:32750 (WGS 84 / UTM zone 50S)",
            Some(32750),
        ),
        ("wgs84", "EPSG:4326 (WGS 84)", Some(4326)),
        ("cgcs2000", "EPSG:4490 (CGCS2000)", Some(4490)),
        (
            "EPSG:3857",
            "EPSG:3857 (WGS 84 / Pseudo-Mercator)",
            Some(3857),
        ),
        ("gcj02", "GCJ-02", None),
        ("bd09", "BD-09", None),
    ];
    for (text, shown, code) in cases {
        let crs = Crs::parse(text)?;
        assert_eq!(crs.to_string(), shown);
        assert_eq!(crs.epsg(), code, "{text}");
        assert_eq!(Crs::parse(&crs.to_definition())?, crs, "{text}");
        assert_eq!(Crs::parse(shown)?, crs, "{shown}");
    }
    let custom = Crs::GaussKruger {
        epsg: None,
        central_meridian: 120.0,
        false_easting: 500000.0,
    };
    assert_eq!(
        custom.to_string(),
        "CGCS2000 / Gauss-Kruger (central meridian 120°E, false easting 500000 m)"
    );
    assert_eq!(Crs::parse(&custom.to_definition())?, custom);
    let grid = Crs::TransverseMercator(TransverseMercator::new(114.0, 0.9999, 50000.0, -3000000.0));
    assert_eq!(Crs::parse(&grid.to_definition())?, grid);
    assert!(
        Crs::Gcj02.is_geographic() && Crs::Bd09.is_geographic() && Crs::Cgcs2000.is_geographic()
    );
    assert!(
        !Crs::WebMercator.is_geographic()
            && !Crs::Utm {
                zone: 50,
                north: true
            }
            .is_geographic()
    );
    Ok(())
}

#[test]
fn serde_reads_and_writes_definitions() -> Result<(), serde::de::value::Error> {
    use serde::Deserialize;
    use serde::de::value::{Error, StrDeserializer};
    let crs = Crs::deserialize(StrDeserializer::<Error>::new("EPSG:4549"))?;
    assert_eq!(crs.epsg(), Some(4549));
    assert!(Crs::deserialize(StrDeserializer::<Error>::new("nonsense")).is_err());
    Ok(())
}

// ESRI .prj texts as ArcGIS writes them: `projinfo EPSG:<code> -o WKT1_ESRI -q --single-line`
// (PROJ 9.1.1), for each code in the name of the constant.
const PRJ_4326: &str = r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
const PRJ_4490: &str = r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]]"#;
const PRJ_4528: &str = r#"PROJCS["CGCS2000_3_Degree_GK_Zone_40",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",40500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const PRJ_4549: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_120E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const PRJ_4550: &str = r#"PROJCS["CGCS2000_3_Degree_GK_CM_123E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",123.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const PRJ_4499: &str = r#"PROJCS["CGCS2000_GK_Zone_21",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",21500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",123.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const PRJ_4510: &str = r#"PROJCS["CGCS2000_GK_CM_123E",GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",123.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const PRJ_32651: &str = r#"PROJCS["WGS_1984_UTM_Zone_51N",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",123.0],PARAMETER["Scale_Factor",0.9996],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
const PRJ_3857: &str = r#"PROJCS["WGS_1984_Web_Mercator_Auxiliary_Sphere",GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Mercator_Auxiliary_Sphere"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",0.0],PARAMETER["Standard_Parallel_1",0.0],PARAMETER["Auxiliary_Sphere_Type",0.0],UNIT["Meter",1.0]]"#;
const PRJ_2385: &str = r#"PROJCS["Xian_1980_3_Degree_GK_CM_120E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
// GDAL's WKT1 with authorities: `projinfo EPSG:4528 -o WKT1_GDAL -q --single-line`.
const PRJ_4528_GDAL: &str = r#"PROJCS["CGCS2000 / 3-degree Gauss-Kruger zone 40",GEOGCS["China Geodetic Coordinate System 2000",DATUM["China_2000",SPHEROID["CGCS2000",6378137,298.257222101,AUTHORITY["EPSG","1024"]],AUTHORITY["EPSG","1043"]],PRIMEM["Greenwich",0,AUTHORITY["EPSG","8901"]],UNIT["degree",0.0174532925199433,AUTHORITY["EPSG","9122"]],AUTHORITY["EPSG","4490"]],PROJECTION["Transverse_Mercator"],PARAMETER["latitude_of_origin",0],PARAMETER["central_meridian",120],PARAMETER["scale_factor",1],PARAMETER["false_easting",40500000],PARAMETER["false_northing",0],UNIT["metre",1,AUTHORITY["EPSG","9001"]],AUTHORITY["EPSG","4528"]]"#;

fn gk(epsg: Option<u32>, central_meridian: f64, false_easting: f64) -> Crs {
    Crs::GaussKruger {
        epsg,
        central_meridian,
        false_easting,
    }
}

#[test]
fn from_prj_reads_esri_prj_files() -> TestResult {
    let cases = [
        (PRJ_4326, Crs::Wgs84),
        (PRJ_4490, Crs::Cgcs2000),
        (PRJ_4528, gk(Some(4528), 120.0, 40500000.0)),
        (PRJ_4549, gk(Some(4549), 120.0, 500000.0)),
        (PRJ_4550, gk(Some(4550), 123.0, 500000.0)),
        (PRJ_4499, gk(Some(4499), 123.0, 21500000.0)),
        (PRJ_4510, gk(Some(4510), 123.0, 500000.0)),
        (
            PRJ_32651,
            Crs::Utm {
                zone: 51,
                north: true,
            },
        ),
        (PRJ_3857, Crs::WebMercator),
        (PRJ_4528_GDAL, gk(Some(4528), 120.0, 40500000.0)),
    ];
    for (prj, want) in cases {
        assert_eq!(Crs::from_prj(prj)?, want, "{prj}");
    }
    // Files often carry a byte-order mark, line breaks and indentation.
    let pretty = format!(
        "\u{feff}{}\r\n",
        PRJ_4549.replace(",PARAMETER", ",\n    PARAMETER")
    );
    assert_eq!(Crs::from_prj(&pretty)?, gk(Some(4549), 120.0, 500000.0));
    Ok(())
}

#[test]
fn from_prj_reads_generic_transverse_mercator() -> TestResult {
    // CGCS2000 UTM has no EPSG code; ArcGIS users build it from the UTM parameters.
    let utm = PRJ_32651
        .replace("WGS_1984_UTM_Zone_51N", "CGCS2000_UTM_Zone_50N")
        .replace("Central_Meridian\",123.0", "Central_Meridian\",117.0")
        .replace(
            r#"GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]]"#,
            r#"GEOGCS["GCS_China_Geodetic_Coordinate_System_2000",DATUM["D_China_2000",SPHEROID["CGCS2000",6378137.0,298.257222101]]"#,
        );
    assert_eq!(
        Crs::from_prj(&utm)?,
        Crs::Utm {
            zone: 50,
            north: true
        }
    );
    // A zone named by neither convention: 120°E is only a 3° meridian, while 117°E
    // is a meridian of both the 6° and the 3° zones, so no code is claimed for it.
    let plain = PRJ_4549.replace("CGCS2000_3_Degree_GK_CM_120E", "My_Grid");
    assert_eq!(Crs::from_prj(&plain)?, gk(Some(4549), 120.0, 500000.0));
    let plain117 = plain.replace("Central_Meridian\",120.0", "Central_Meridian\",117.0");
    assert_eq!(Crs::from_prj(&plain117)?, gk(None, 117.0, 500000.0));
    // A WGS84 Gauss-Kruger zone is no CGCS2000 code, but converts the same.
    let wgs_gk = PRJ_32651
        .replace("0.9996", "1.0")
        .replace("WGS_1984_UTM_Zone_51N", "WGS_1984_GK_CM_123E");
    assert_eq!(Crs::from_prj(&wgs_gk)?, gk(None, 123.0, 500000.0));
    // A city grid with its own false northing, scale and origin latitude.
    let city = PRJ_4549
        .replace("CGCS2000_3_Degree_GK_CM_120E", "Haimen_City_Grid")
        .replace("False_Northing\",0.0", "False_Northing\",-3000000.0")
        .replace("Scale_Factor\",1.0", "Scale_Factor\",0.9999")
        .replace("Latitude_Of_Origin\",0.0", "Latitude_Of_Origin\",31.0")
        .replace("Central_Meridian\",120.0", "Central_Meridian\",121.2");
    let crs = Crs::from_prj(&city)?;
    let Crs::TransverseMercator(tm) = crs else {
        panic!("city grid read as {crs:?}");
    };
    // At the origin (121.2°E, 31°N) the grid reads (false easting, false northing).
    assert_close(
        tm.forward(121.2, 31.0),
        (500000.0, -3000000.0),
        1e-6,
        "origin",
    );
    assert_close(
        crs.to_wgs84(500000.0, -3000000.0)?,
        (121.2, 31.0),
        1e-12,
        "origin back",
    );
    Ok(())
}

// `projinfo EPSG:4528 -o WKT2_2019 -q --single-line` and the same for EPSG:4326
// (PROJ 9.1.1).
const WKT2_4528: &str = r#"PROJCRS["CGCS2000 / 3-degree Gauss-Kruger zone 40",BASEGEOGCRS["China Geodetic Coordinate System 2000",DATUM["China 2000",ELLIPSOID["CGCS2000",6378137,298.257222101,LENGTHUNIT["metre",1]]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],ID["EPSG",4490]],CONVERSION["3-degree Gauss-Kruger zone 40",METHOD["Transverse Mercator",ID["EPSG",9807]],PARAMETER["Latitude of natural origin",0,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8801]],PARAMETER["Longitude of natural origin",120,ANGLEUNIT["degree",0.0174532925199433],ID["EPSG",8802]],PARAMETER["Scale factor at natural origin",1,SCALEUNIT["unity",1],ID["EPSG",8805]],PARAMETER["False easting",40500000,LENGTHUNIT["metre",1],ID["EPSG",8806]],PARAMETER["False northing",0,LENGTHUNIT["metre",1],ID["EPSG",8807]]],CS[Cartesian,2],AXIS["northing (X)",north,ORDER[1],LENGTHUNIT["metre",1]],AXIS["easting (Y)",east,ORDER[2],LENGTHUNIT["metre",1]],USAGE[SCOPE["Cadastre, engineering survey, topographic mapping (large scale)."],AREA["China - onshore between 118°30'E and 121°30'E."],BBOX[24.43,118.5,53.33,121.5]],ID["EPSG",4528]]"#;
const WKT2_4326: &str = r#"GEOGCRS["WGS 84",ENSEMBLE["World Geodetic System 1984 ensemble",MEMBER["World Geodetic System 1984 (Transit)"],MEMBER["World Geodetic System 1984 (G730)"],MEMBER["World Geodetic System 1984 (G873)"],MEMBER["World Geodetic System 1984 (G1150)"],MEMBER["World Geodetic System 1984 (G1674)"],MEMBER["World Geodetic System 1984 (G1762)"],MEMBER["World Geodetic System 1984 (G2139)"],ELLIPSOID["WGS 84",6378137,298.257223563,LENGTHUNIT["metre",1]],ENSEMBLEACCURACY[2.0]],PRIMEM["Greenwich",0,ANGLEUNIT["degree",0.0174532925199433]],CS[ellipsoidal,2],AXIS["geodetic latitude (Lat)",north,ORDER[1],ANGLEUNIT["degree",0.0174532925199433]],AXIS["geodetic longitude (Lon)",east,ORDER[2],ANGLEUNIT["degree",0.0174532925199433]],USAGE[SCOPE["Horizontal component of 3D system."],AREA["World."],BBOX[-90,-180,90,180]],ID["EPSG",4326]]"#;

#[test]
fn from_prj_reads_wkt2() -> TestResult {
    let zone40 = gk(Some(4528), 120.0, 40_500_000.0);
    assert_eq!(Crs::from_prj(WKT2_4528)?, zone40);
    assert_eq!(Crs::parse(WKT2_4528)?, zone40);
    // Without the top-level ID the parameters and the name still lead to 4528.
    let without_id = WKT2_4528.replace(r#",ID["EPSG",4528]]"#, "]");
    assert_eq!(Crs::from_prj(&without_id)?, zone40);
    assert_eq!(Crs::from_prj(WKT2_4326)?, Crs::Wgs84);
    let without_id = WKT2_4326.replace(r#",ID["EPSG",4326]]"#, "]");
    assert_eq!(Crs::from_prj(&without_id)?, Crs::Wgs84);
    Ok(())
}

#[test]
fn from_prj_authority_wins() -> TestResult {
    // The name and parameters say CM 120E, the authority says EPSG:4550 (CM 123E).
    let prj = format!(
        "{}{}",
        PRJ_4549.trim_end_matches(']'),
        r#"],AUTHORITY["EPSG","4550"]]"#
    );
    assert_eq!(Crs::from_prj(&prj)?, gk(Some(4550), 123.0, 500000.0));
    Ok(())
}

#[test]
fn from_prj_refuses_broken_text() {
    for bad in [
        "",
        "PROJCS",
        r#"PROJCS["x",GEOGCS["y""#,
        r#"GEOGCS["GCS_WGS_1984"]]"#,
        "not a prj at all",
        &"PROJCS[".repeat(100),
    ] {
        assert!(
            matches!(Crs::from_prj(bad), Err(CrsError::InvalidPrj { .. })),
            "{bad:?} -> {:?}",
            Crs::from_prj(bad)
        );
    }
}

#[cfg(not(feature = "proj"))]
#[test]
fn from_prj_other_datums_need_the_proj_feature() {
    let Err(err @ CrsError::Unsupported { .. }) = Crs::from_prj(PRJ_2385) else {
        panic!("Xian 1980 was not refused");
    };
    let message = err.to_string();
    assert!(
        message.contains("Xian_1980") && message.contains("--features proj"),
        "{message}"
    );
}

#[test]
fn in_place_conversion_matches_single_points() -> TestResult {
    let crs = Crs::from_epsg(4528)?;
    let mut coords = vec![
        (40612345.678, 3530000.123),
        (40350000.0, 2000000.0),
        (40640000.0, 5900000.0),
    ];
    let want = coords
        .iter()
        .map(|&(x, y)| crs.to_wgs84(x, y))
        .collect::<Result<Vec<_>, _>>()?;
    crs.to_wgs84_in_place(&mut coords)?;
    assert_eq!(coords, want);
    let mut bad = vec![(40612345.678, 3530000.123), (612345.678, 3530000.123)];
    let err = crs.to_wgs84_in_place(&mut bad);
    assert!(
        matches!(err, Err(CrsError::OutOfDomain { x, .. }) if x == 612345.678),
        "{err:?}"
    );
    Ok(())
}

#[cfg(feature = "proj")]
mod with_proj {
    use super::*;

    #[test]
    fn proj_agrees_with_the_built_in_gauss_kruger() -> TestResult {
        let builtin = Crs::from_epsg(4528)?;
        let proj = Crs::Proj("EPSG:4528".into());
        let mut coords = vec![
            (40612345.678, 3530000.123),
            (40350000.0, 2000000.0),
            (40640000.0, 5900000.0),
        ];
        for &(x, y) in &coords {
            assert_close(
                proj.to_wgs84(x, y)?,
                builtin.to_wgs84(x, y)?,
                NANODEG,
                "to WGS84",
            );
        }
        for (lon, lat) in [(121.17, 31.89), (118.5, 18.0), (121.5, 53.5)] {
            assert_close(
                proj.from_wgs84(lon, lat)?,
                builtin.from_wgs84(lon, lat)?,
                MM,
                "from WGS84",
            );
        }
        let want = coords
            .iter()
            .map(|&(x, y)| builtin.to_wgs84(x, y))
            .collect::<Result<Vec<_>, _>>()?;
        proj.to_wgs84_in_place(&mut coords)?;
        for (got, want) in coords.iter().zip(&want) {
            assert_close(*got, *want, NANODEG, "in place");
        }
        assert_eq!(proj.epsg(), Some(4528));
        Ok(())
    }

    #[test]
    fn codes_only_proj_knows_match_cs2cs() -> TestResult {
        // Xian 1980 / 3-degree Gauss-Kruger CM 120E. The EPSG database has no Xian 1980
        // to WGS 84 transformation, so PROJ applies none (a "ballpark" one).
        let crs = Crs::parse("EPSG:2385")?;
        assert_eq!(crs, Crs::Proj("EPSG:2385".into()));
        // printf '3530000 612345\n' | cs2cs -d 11 EPSG:2385 EPSG:4326
        assert_close(
            crs.to_wgs84(612345.0, 3530000.0)?,
            (121.18743686079, 31.88755006494),
            NANODEG,
            "EPSG:2385 inverse",
        );
        // printf '31.89 121.17\n' | cs2cs -d 4 EPSG:4326 EPSG:2385
        assert_close(
            crs.from_wgs84(121.17, 31.89)?,
            (610692.2410, 3530253.7540),
            MM,
            "EPSG:2385 forward",
        );
        // The ESRI .prj of the same system goes to PROJ as WKT and agrees.
        let from_prj = Crs::from_prj(PRJ_2385)?;
        assert!(matches!(from_prj, Crs::Proj(_)), "{from_prj:?}");
        assert_eq!(from_prj.to_string(), "Xian_1980_3_Degree_GK_CM_120E");
        assert_close(
            from_prj.to_wgs84(612345.0, 3530000.0)?,
            (121.18743686079, 31.88755006494),
            NANODEG,
            "Xian 1980 .prj",
        );
        Ok(())
    }

    #[test]
    fn proj_reports_unknown_codes_and_bad_points() {
        let err = Crs::parse("EPSG:999999");
        assert!(matches!(err, Err(CrsError::Proj { .. })), "{err:?}");
        let crs = Crs::Proj("EPSG:2385".into());
        let err = crs.to_wgs84(f64::NAN, 0.0);
        assert!(matches!(err, Err(CrsError::OutOfDomain { .. })), "{err:?}");
    }
}

/// Parameters no transverse Mercator has (found by fuzzing: an infinite central meridian
/// turned every coordinate into NaN). Without PROJ they are refused; with PROJ, which
/// is asked next, nothing that converts may give a non-finite point.
#[test]
fn transverse_mercator_parameters_must_be_usable() {
    let texts = [
        PRJ_4549.replace("\"Central_Meridian\",120.0", "\"Central_Meridian\",1e400"),
        PRJ_4549.replace("\"Scale_Factor\",1.0", "\"Scale_Factor\",0.0"),
        PRJ_4549.replace("\"Latitude_Of_Origin\",0.0", "\"Latitude_Of_Origin\",95.0"),
        "+proj=tmerc +lon_0=inf +k=1 +x_0=500000 +ellps=GRS80".to_string(),
        "+proj=tmerc +lon_0=120 +k=-1 +x_0=500000 +ellps=GRS80".to_string(),
        "+proj=tmerc +lon_0=120 +k=1 +x_0=nan +ellps=GRS80".to_string(),
    ];
    for text in &texts {
        let parsed = if text.starts_with('+') {
            Crs::parse(text)
        } else {
            Crs::from_prj(text)
        };
        match parsed {
            Err(_) => {}
            #[cfg(not(feature = "proj"))]
            Ok(crs) => panic!("{text} was accepted as {crs:?}"),
            #[cfg(feature = "proj")]
            Ok(crs) => {
                if let Ok((x, y)) = crs.to_wgs84(500_000.0, 3_530_000.0) {
                    assert!(x.is_finite() && y.is_finite(), "{text}: ({x}, {y})");
                }
            }
        }
    }
    // The usable ones still parse.
    assert!(Crs::from_prj(PRJ_4549).is_ok());
    assert!(Crs::parse("+proj=tmerc +lon_0=120 +k=1 +x_0=500000 +ellps=GRS80").is_ok());
}
