//! The packed index against a scan of the boxes it was given: every query, the bounds
//! and the count, after a build and after any sequence of inserts and removals.

use std::collections::BTreeMap;

use geo::{Geometry, LineString, Point, Polygon, Rect, coord};

use super::{REPACK_MIN, SpatialIndex};

/// A small deterministic generator (xorshift64*), so that a failure replays.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// A value in [0, n).
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    /// A coordinate on a grid of 1/8 degree over [120, 122] × [31, 33], so that boxes
    /// share edges and corners often.
    fn coord(&mut self) -> (f64, f64) {
        (
            120.0 + self.below(17) as f64 / 8.0,
            31.0 + self.below(17) as f64 / 8.0,
        )
    }
}

/// A point, a segment or a box polygon, or (one time in twenty) an empty geometry.
fn shape(rng: &mut Rng) -> Geometry<f64> {
    let (x0, y0) = rng.coord();
    let (x1, y1) = rng.coord();
    match rng.below(20) {
        0 => Geometry::LineString(LineString::new(vec![])),
        1..=5 => Geometry::Point(Point::new(x0, y0)),
        6..=9 => Geometry::LineString(LineString::from(vec![(x0, y0), (x1, y1)])),
        _ => Geometry::Polygon(Rect::new((x0, y0), (x1, y1)).to_polygon()),
    }
}

fn query(rng: &mut Rng) -> Rect<f64> {
    let (x0, y0) = rng.coord();
    let (x1, y1) = rng.coord();
    Rect::new((x0, y0), (x1, y1))
}

/// What the index should hold: each position's box, found by a scan.
#[derive(Default)]
struct Model(BTreeMap<usize, Rect<f64>>);

impl Model {
    fn put(&mut self, pos: usize, g: &Geometry<f64>) {
        if let Some(r) = geo::BoundingRect::bounding_rect(g) {
            self.0.insert(pos, r);
        }
    }
    fn in_rect(&self, q: Rect<f64>) -> Vec<usize> {
        let meets = |r: &Rect<f64>| {
            r.min().x <= q.max().x
                && r.max().x >= q.min().x
                && r.min().y <= q.max().y
                && r.max().y >= q.min().y
        };
        self.0
            .iter()
            .filter(|(_, r)| meets(r))
            .map(|(p, _)| *p)
            .collect()
    }
    fn bounds(&self) -> Option<Rect<f64>> {
        self.0.values().copied().reduce(|a, b| {
            Rect::new(
                coord! { x: a.min().x.min(b.min().x), y: a.min().y.min(b.min().y) },
                coord! { x: a.max().x.max(b.max().x), y: a.max().y.max(b.max().y) },
            )
        })
    }
}

fn found(index: &SpatialIndex, q: Rect<f64>) -> Vec<usize> {
    let mut v: Vec<usize> = index.envelopes_in(q).collect();
    v.sort_unstable();
    v
}

fn check(index: &SpatialIndex, model: &Model, rng: &mut Rng, queries: usize, when: &str) {
    assert_eq!(index.len(), model.0.len(), "count {when}");
    assert_eq!(index.bounds(), model.bounds(), "bounds {when}");
    for _ in 0..queries {
        let q = query(rng);
        assert_eq!(found(index, q), model.in_rect(q), "query {q:?} {when}");
    }
}

#[test]
fn three_boxes_by_hand() {
    let sq = |x: f64, y: f64| Geometry::Polygon(Rect::new((x, y), (x + 1.0, y + 1.0)).to_polygon());
    let g = [
        sq(0.0, 0.0),
        sq(1.0, 0.0),
        Geometry::Point(Point::new(5.0, 5.0)),
    ];
    let index = SpatialIndex::build(g.iter());
    // The query touches the first square's right edge and the second's left edge only.
    assert_eq!(found(&index, Rect::new((1.0, 0.5), (1.0, 0.5))), vec![0, 1]);
    assert_eq!(found(&index, Rect::new((1.5, 0.0), (4.9, 4.9))), vec![1]);
    assert_eq!(found(&index, Rect::new((5.0, 5.0), (6.0, 6.0))), vec![2]);
    assert_eq!(
        found(&index, Rect::new((2.1, 2.1), (4.9, 4.9))),
        Vec::<usize>::new()
    );
    assert_eq!(index.bounds(), Some(Rect::new((0.0, 0.0), (5.0, 5.0))));
    // Removing the point shrinks the bounds to the two squares.
    let mut index = index;
    assert!(
        !index.remove(2, &sq(5.0, 5.0)),
        "another geometry is not its entry"
    );
    assert!(index.remove(2, &g[2]));
    assert!(!index.remove(2, &g[2]), "removed once only");
    assert_eq!(index.bounds(), Some(Rect::new((0.0, 0.0), (2.0, 1.0))));
    assert_eq!(index.len(), 2);
}

#[test]
fn a_built_index_finds_what_a_scan_finds() {
    let mut rng = Rng(0x5eed);
    for n in [0, 1, 2, 15, 16, 17, 300, 5000] {
        let shapes: Vec<Geometry<f64>> = (0..n).map(|_| shape(&mut rng)).collect();
        let index = SpatialIndex::build(shapes.iter());
        let mut model = Model::default();
        for (i, g) in shapes.iter().enumerate() {
            model.put(i, g);
        }
        check(&index, &model, &mut rng, 200, &format!("of {n} built"));
    }
}

#[test]
fn changes_keep_queries_bounds_and_count_exact() {
    let mut rng = Rng(0xfeed_beef);
    let n = 400;
    let mut shapes: Vec<Option<Geometry<f64>>> = (0..n).map(|_| Some(shape(&mut rng))).collect();
    let mut index = SpatialIndex::build(shapes.iter().flatten().collect::<Vec<_>>());
    let mut model = Model::default();
    for (i, g) in shapes.iter().enumerate() {
        model.put(i, g.as_ref().unwrap());
    }
    // Enough changes to repack more than once (inserts pass REPACK_MIN twice).
    for step in 0..3 * REPACK_MIN {
        let pos = rng.below(shapes.len() as u64 + 20) as usize;
        let held = shapes.get(pos).cloned().flatten();
        match (held, rng.below(3)) {
            // Move it: what a replaced feature does.
            (Some(old), 0 | 1) => {
                let new = shape(&mut rng);
                let had = model.0.remove(&pos).is_some();
                assert_eq!(index.remove(pos, &old), had, "step {step}: remove {pos}");
                index.insert(pos, &new);
                model.put(pos, &new);
                shapes[pos] = Some(new);
            }
            (Some(old), _) => {
                let had = model.0.remove(&pos).is_some();
                assert_eq!(index.remove(pos, &old), had, "step {step}: remove {pos}");
                shapes[pos] = None;
            }
            (None, _) => {
                let new = shape(&mut rng);
                if pos >= shapes.len() {
                    shapes.resize(pos + 1, None);
                }
                index.insert(pos, &new);
                model.put(pos, &new);
                shapes[pos] = Some(new);
            }
        }
        if step % 97 == 0 {
            check(&index, &model, &mut rng, 20, &format!("after step {step}"));
        }
    }
    check(&index, &model, &mut rng, 500, "at the end");
}

#[test]
fn a_copy_changes_alone() {
    let mut rng = Rng(42);
    let shapes: Vec<Geometry<f64>> = (0..1000).map(|_| shape(&mut rng)).collect();
    let index = SpatialIndex::build(shapes.iter());
    let mut copy = index.clone();
    let mut model = Model::default();
    for (i, g) in shapes.iter().enumerate() {
        model.put(i, g);
    }
    for (i, g) in shapes.iter().enumerate().take(500) {
        copy.remove(i, g);
    }
    check(&index, &model, &mut rng, 200, "of the original");
    let mut rest = Model::default();
    for (i, g) in shapes.iter().enumerate().skip(500) {
        rest.put(i, g);
    }
    check(&copy, &rest, &mut rng, 200, "of the copy");
}

#[test]
fn a_polygon_is_indexed_by_its_box() {
    let tri = Geometry::Polygon(Polygon::new(
        LineString::from(vec![(0.0, 0.0), (4.0, 0.0), (0.0, 4.0), (0.0, 0.0)]),
        vec![],
    ));
    let index = SpatialIndex::build([tri].iter());
    // (3, 3) is outside the triangle but inside its box: the index answers by boxes.
    assert_eq!(found(&index, Rect::new((3.0, 3.0), (3.0, 3.0))), vec![0]);
}
