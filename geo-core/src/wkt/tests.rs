//! Unit tests of the WKT reader: hand-written CRS and geometry texts with the trees,
//! geometries and errors they must give.

use geo_types::Coord;

use super::*;

fn text(s: &str) -> Value {
    Value::Text(s.into())
}

fn node(keyword: &str, args: Vec<Value>) -> Node {
    Node {
        keyword: keyword.into(),
        args,
    }
}

fn err(message: &str, position: usize) -> Result<Node, ParseError> {
    Err(ParseError {
        message: message.into(),
        position,
    })
}

fn c(x: f64, y: f64) -> Coord<f64> {
    Coord { x, y }
}

#[test]
fn crs_wkt_becomes_a_tree() {
    let got = parse(
        r#" GEOGCS["GCS_WGS_1984",DATUM["D_WGS_1984",SPHEROID["WGS_1984",6378137.0,298.257223563]],
            PRIMEM["Greenwich",0.0], UNIT["Degree",0.0174532925199433]] "#,
    );
    let want = node(
        "GEOGCS",
        vec![
            text("GCS_WGS_1984"),
            Value::Node(node(
                "DATUM",
                vec![
                    text("D_WGS_1984"),
                    Value::Node(node(
                        "SPHEROID",
                        vec![
                            text("WGS_1984"),
                            Value::Number(6_378_137.0),
                            Value::Number(298.257_223_563),
                        ],
                    )),
                ],
            )),
            Value::Node(node("PRIMEM", vec![text("Greenwich"), Value::Number(0.0)])),
            Value::Node(node(
                "UNIT",
                vec![text("Degree"), Value::Number(0.017_453_292_519_943_3)],
            )),
        ],
    );
    assert_eq!(got, Ok(want));
}

#[test]
fn round_brackets_words_escaped_quotes_and_empty_nodes() {
    let got = parse(r#"CS(Cartesian, 2, AXIS["say ""x""", north], EMPTY[], E(-1.5e3))"#);
    let want = node(
        "CS",
        vec![
            Value::Word("Cartesian".into()),
            Value::Number(2.0),
            Value::Node(node(
                "AXIS",
                vec![text(r#"say "x""#), Value::Word("north".into())],
            )),
            Value::Node(node("EMPTY", vec![])),
            Value::Node(node("E", vec![Value::Number(-1500.0)])),
        ],
    );
    assert_eq!(got, Ok(want));
}

#[test]
fn node_accessors() -> Result<(), ParseError> {
    let n = parse(r#"PROJCS["x",AUTHORITY["EPSG","4528"],unit["m",1]]"#)?;
    assert_eq!(n.name(), Some("x"));
    assert_eq!(n.children().count(), 2);
    let auth = n.child(&["ID", "AUTHORITY"]).map(|a| a.number(1));
    assert_eq!(auth, Some(Some(4528.0)));
    assert_eq!(n.child(&["UNIT"]).and_then(|u| u.number(1)), Some(1.0));
    assert_eq!(n.child(&["UNIT"]).and_then(|u| u.number(0)), None);
    assert!(n.child(&["DATUM"]).is_none());
    Ok(())
}

#[test]
fn crs_wkt_errors_say_what_and_where() {
    assert_eq!(
        parse("  [x]"),
        err("expected a WKT keyword such as PROJCS or GEOGCS", 2)
    );
    assert_eq!(parse("PROJCS"), err("expected '[' after PROJCS", 6));
    assert_eq!(parse(r#"A["x""#), err("unclosed A", 5));
    assert_eq!(parse(r#"A["x"#), err("unclosed quoted text", 4));
    assert_eq!(parse(r#"A["x" 1]"#), err("expected ',' or ']' in A", 6));
    assert_eq!(parse("A(1]"), err("expected ',' or ')' in A", 3));
    assert_eq!(parse("A[1-2]"), err("\"1-2\" is not a number", 5));
    assert_eq!(parse("A[1,]"), err("unexpected character", 4));
    assert_eq!(parse("A[1,"), err("unexpected end of text", 4));
    assert_eq!(
        parse("A[1] B[2]"),
        err("unexpected text after the end of the WKT", 5)
    );
    assert_eq!(parse(&"A[".repeat(40)), err("WKT nested too deeply", 65));
    let e = parse("A[;]").err().map(|e| e.to_string());
    assert_eq!(e.as_deref(), Some("unexpected character at character 2"));
}

#[test]
fn geometries_as_written() {
    let square = vec![c(0.0, 0.0), c(1.0, 0.0), c(1.0, 1.0), c(0.0, 0.0)];
    let cases = [
        ("POINT (121.1 31.2)", Geometry::Point(c(121.1, 31.2))),
        ("point zm (1 2 3 4)", Geometry::Point(c(1.0, 2.0))),
        (
            "LINESTRING(0 0,1e1 -2.5)",
            Geometry::LineString(vec![c(0.0, 0.0), c(10.0, -2.5)]),
        ),
        (
            "POLYGON ((0 0, 1 0, 1 1, 0 0))",
            Geometry::Polygon(vec![square.clone()]),
        ),
        (
            "MULTIPOINT (1 2, (3 4))",
            Geometry::MultiPoint(vec![c(1.0, 2.0), c(3.0, 4.0)]),
        ),
        (
            "MULTILINESTRING ((0 0, 1 1), (2 2, 3 3))",
            Geometry::MultiLineString(vec![
                vec![c(0.0, 0.0), c(1.0, 1.0)],
                vec![c(2.0, 2.0), c(3.0, 3.0)],
            ]),
        ),
        (
            " srid=4490; MULTIPOLYGON (((0 0, 1 0, 1 1, 0 0)), ((0 0, 1 0, 1 1, 0 0))) ",
            Geometry::MultiPolygon(vec![vec![square.clone()], vec![square]]),
        ),
    ];
    for (text, want) in cases {
        assert_eq!(parse_geometry(text), Ok(Some(want)), "{text}");
    }
    // Members of a multi geometry may be EMPTY (OGC Simple Features 1.2.1, 7.2.1).
    let tri = vec![
        Coord { x: 0.0, y: 0.0 },
        Coord { x: 1.0, y: 0.0 },
        Coord { x: 1.0, y: 1.0 },
        Coord { x: 0.0, y: 0.0 },
    ];
    assert_eq!(
        parse_geometry("MULTIPOLYGON (EMPTY, ((0 0, 1 0, 1 1, 0 0)), empty)"),
        Ok(Some(Geometry::MultiPolygon(vec![vec![tri.clone()]])))
    );
    assert_eq!(
        parse_geometry("MULTILINESTRING ((0 0, 1 0, 1 1, 0 0), EMPTY)"),
        Ok(Some(Geometry::MultiLineString(vec![tri])))
    );
    assert_eq!(
        parse_geometry("MULTIPOINT (EMPTY, (1 2), 3 4)"),
        Ok(Some(Geometry::MultiPoint(vec![
            Coord { x: 1.0, y: 2.0 },
            Coord { x: 3.0, y: 4.0 }
        ])))
    );
    for empty in [
        "POLYGON EMPTY",
        "point z empty",
        "MULTIPOINT ZM EMPTY",
        "MULTIPOLYGON (EMPTY, EMPTY)",
    ] {
        assert_eq!(parse_geometry(empty), Ok(None), "{empty}");
    }
}

#[test]
fn geometry_errors_say_what_and_where() {
    let syntax = |m: &str| Err(GeometryError::Syntax(m.into()));
    assert_eq!(parse_geometry(""), syntax("no geometry type"));
    assert_eq!(
        parse_geometry("CIRCLE(1 2)"),
        syntax("geometry type CIRCLE is not supported")
    );
    assert_eq!(
        parse_geometry("POINT Q (1 2)"),
        syntax("unexpected \"Q\" after POINT")
    );
    assert_eq!(
        parse_geometry("POINT Z M (1 2)"),
        syntax("unexpected \"M\" after POINT")
    );
    assert_eq!(
        parse_geometry("POINT"),
        syntax("expected '(' at character 6")
    );
    assert_eq!(
        parse_geometry("POINT(1,2)"),
        syntax("expected a number at character 8")
    );
    assert_eq!(
        parse_geometry("POLYGON((0 0, 1 0"),
        syntax("expected ')' at character 18")
    );
    assert_eq!(
        parse_geometry("SRID=4326 POINT(1 2)"),
        syntax("SRID= without ';'")
    );
    assert_eq!(
        parse_geometry("SRID=4549;POINT(1 2)"),
        syntax(
            "EWKT SRID=4549 is not read per row; drop the prefix and declare the CRS in \
             riskmap.toml"
        )
    );
    assert_eq!(
        parse_geometry("POINT(1 2) x"),
        Err(GeometryError::TrailingText { position: 12 })
    );
    let e = parse_geometry("POINT(1 2))").err().map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some("WKT has text after the geometry at character 11")
    );
    let e = parse_geometry("POINT(1 x)").err().map(|e| e.to_string());
    assert_eq!(
        e.as_deref(),
        Some("WKT cannot be read: expected a number at character 9")
    );
}

#[test]
fn geometry_helpers() {
    let mut g = Geometry::MultiPolygon(vec![vec![vec![c(1.0, 2.0), c(3.0, 4.0)]]]);
    assert_eq!(g.type_name(), "MultiPolygon");
    assert_eq!(g.first(), Some(c(1.0, 2.0)));
    for p in g.coords_mut() {
        p.x += 1.0;
    }
    let mut seen = Vec::new();
    g.for_each_coord(|p| seen.push(p));
    assert_eq!(seen, vec![c(2.0, 2.0), c(4.0, 4.0)]);
    assert!(!g.is_empty());
    assert!(Geometry::Polygon(vec![vec![]]).is_empty());
}
