//! Unit tests of the coordinate reference systems: reference values from PROJ, the
//! spellings [`Crs::parse`] accepts, `.prj` files, GCJ-02/BD-09 and the PROJ backend.

use super::epsg::{ZoneFamily, cgcs2000_gk_code};
use super::*;

mod gcj;
mod names;
mod prj;

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
    // The northing in the x column (X坐标 is north in Chinese surveying): said so, not
    // taken for a zone prefix (there is no such zone).
    let Err(CrsError::OutOfDomain { reason, .. }) = cm120.to_wgs84(3530252.1086, 610692.1889)
    else {
        panic!("swapped axes were accepted");
    };
    assert!(
        reason.contains("swapped") && !reason.contains("prefix"),
        "{reason}"
    );
    let Err(CrsError::OutOfDomain { reason, .. }) = zone40.to_wgs84(3530252.1086, 40610692.1889)
    else {
        panic!("swapped axes were accepted");
    };
    assert!(reason.contains("swapped"), "{reason}");
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
        let from_prj = Crs::from_prj(prj::PRJ_2385)?;
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
