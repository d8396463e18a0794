//! `.prj` files (ESRI WKT1, GDAL WKT1, WKT2) as ArcGIS, GDAL and PROJ write them.

use super::*;

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
pub(super) const PRJ_2385: &str = r#"PROJCS["Xian_1980_3_Degree_GK_CM_120E",GEOGCS["GCS_Xian_1980",DATUM["D_Xian_1980",SPHEROID["Xian_1980",6378140.0,298.257]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Gauss_Kruger"],PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],PARAMETER["Central_Meridian",120.0],PARAMETER["Scale_Factor",1.0],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
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

/// A city's own grid on the GRS 80 ellipsoid with no datum named, as GDAL writes its
/// .prj (`ogr2ogr -t_srs "+proj=tmerc +lat_0=0 +lon_0=121.5 +k=0.9999 +x_0=0
/// +y_0=-3500000 +ellps=GRS80 +units=m +no_defs"`, GDAL 3.6): read as a transverse
/// Mercator on CGCS2000, whose ellipsoid GRS 80's is. GDAL put 121.2°E 31.9°N at
/// (-28375.8863702116, 30450.0210741432). Another datum on GRS 80 (named) is still not
/// taken for CGCS2000.
#[test]
fn a_grid_on_grs80_with_no_datum_named_is_read_on_cgcs2000() {
    const GRID: &str = r#"PROJCS["unknown",GEOGCS["GCS_unknown",DATUM["D_Unknown_based_on_GRS80_ellipsoid",SPHEROID["GRS_1980",6378137.0,298.257222101]],PRIMEM["Greenwich",0.0],UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],PARAMETER["False_Easting",0.0],PARAMETER["False_Northing",-3500000.0],PARAMETER["Central_Meridian",121.5],PARAMETER["Scale_Factor",0.9999],PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]"#;
    let crs = Crs::from_prj(GRID).expect("read");
    let (lon, lat) = crs
        .to_wgs84(-28_375.886_370_211_6, 30_450.021_074_143_2)
        .unwrap();
    assert!(
        (lon - 121.2).abs() < 1e-9 && (lat - 31.9).abs() < 1e-9,
        "{lon} {lat}"
    );
    #[cfg(not(feature = "proj"))]
    {
        let nad83 = GRID.replace(
            "D_Unknown_based_on_GRS80_ellipsoid",
            "D_North_American_1983",
        );
        let message = Crs::from_prj(&nad83).unwrap_err().to_string();
        assert!(message.contains("North_American_1983"), "{message}");
        assert!(
            message.contains("names none") && message.contains("ogr2ogr"),
            "{message}"
        );
    }
}
