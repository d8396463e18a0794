//! The spellings [`Crs::parse`] accepts and refuses, display and serde.

use super::*;

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
