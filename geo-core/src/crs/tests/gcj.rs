//! GCJ-02 and BD-09 against an independent implementation of the published formulas.

use super::*;

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
