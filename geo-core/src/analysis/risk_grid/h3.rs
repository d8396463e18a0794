//! The cells: H3 hexagons (through `h3o`) at the resolution matching `cell_size_m`, and the
//! cells a risk reaches, measured in a local plane around each risk.
//!
//! H3 is a global grid, so a cell is the same wherever the data lies and whatever else is
//! loaded; nothing here depends on the data's extent. A risk reaches the cells whose centre
//! lies within its radius: rings of cells are walked outwards from the risk's own cell and
//! each centre's distance is measured in a local tangent plane centred on the risk (metres
//! east and north, [`LocalPlane`]; its relative error is below 10⁻⁴ within the few
//! kilometres of an influence radius).

use geo::{Coord, LineString, Polygon};
use h3o::{CellIndex, LatLng, Resolution};
use rayon::prelude::*;

use crate::geodesy::{LocalPlane, closest_on_segment};

/// The H3 resolution of a grid whose hexagons have circumradius `cell_size_m`: the one whose
/// average hexagon area (H3's published statistics, `h3o::Resolution::area_m2`) is closest,
/// by ratio, to that of a regular hexagon of that circumradius, `3√3/2 · cell_size_m²`.
/// The default 500 m (649,519 m²) gives resolution 8 (737,328 m²; 7 and 9 are 5.16 km²
/// and 0.105 km²).
pub fn resolution_for(cell_size_m: f64) -> Resolution {
    let want = 1.5 * 3f64.sqrt() * cell_size_m * cell_size_m;
    Resolution::range(Resolution::Zero, Resolution::Fifteen)
        .min_by(|a, b| {
            let da = (a.area_m2() / want).ln().abs();
            let db = (b.area_m2() / want).ln().abs();
            da.total_cmp(&db)
        })
        .unwrap_or(Resolution::Eight)
}

/// The grid: one H3 resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct H3Grid {
    /// The resolution of every cell.
    pub resolution: Resolution,
}

impl H3Grid {
    /// The grid whose cells match hexagons of circumradius `cell_size_m`.
    pub fn for_cell_size(cell_size_m: f64) -> Self {
        H3Grid {
            resolution: resolution_for(cell_size_m),
        }
    }

    /// The cell holding a lon/lat point; `None` for a non-finite coordinate.
    pub fn cell_at(&self, p: Coord<f64>) -> Option<CellIndex> {
        LatLng::new(p.y, p.x)
            .ok()
            .map(|ll| ll.to_cell(self.resolution))
    }

    /// [`H3Grid::cell_at`] of every point, in order, on all cores.
    ///
    /// Points that lie together (a town's houses, a park's enterprises) mostly share a
    /// cell, so each run of points keeps the last few cells it found, each with a disc
    /// around the cell's centre that lies inside the cell (`Inside`): a point in one of
    /// those discs is in that cell, and only the others ask H3. The same cells as
    /// `cell_at` (a test checks points strewn around cells' edges). Where points are
    /// listed place by place, as ledgers are, most never ask H3: 69 % of the benchmark
    /// city's million houses, whose cells then take 0.10–0.11 s instead of 0.19–0.20 s
    /// (three runs each, two cores).
    pub fn cells_at(
        &self,
        n: usize,
        point: impl Fn(usize) -> Option<Coord<f64>> + Sync,
    ) -> Vec<Option<CellIndex>> {
        const RUN: usize = 4096;
        let runs: Vec<Vec<Option<CellIndex>>> = (0..n.div_ceil(RUN))
            .into_par_iter()
            .map(|r| {
                let mut recent = Recent::default();
                (r * RUN..n.min((r + 1) * RUN))
                    .map(|i| {
                        let p = point(i)?;
                        if let Some(c) = recent.holding(p) {
                            return Some(c);
                        }
                        let c = self.cell_at(p)?;
                        recent.found(self, c);
                        Some(c)
                    })
                    .collect()
            })
            .collect();
        // With the room a living map keeps for points added later
        // ([`crate::heap::HEADROOM`]): address space only where nothing is added.
        let mut cells = Vec::with_capacity(crate::heap::with_room(n));
        for r in runs {
            cells.extend(r);
        }
        cells
    }

    /// An upper bound of the distance from any point of a cell to its centre: twice the
    /// average edge length (a regular hexagon's circumradius is its edge; H3's hexagons at
    /// one resolution stay well within that factor, which a test checks across China and
    /// near a pentagon).
    pub(super) fn reach_m(&self) -> f64 {
        2.0 * self.resolution.edge_length_m()
    }

    /// Every cell whose centre lies within `radius` metres of the lon/lat point `p`, with
    /// that distance, in ring order.
    ///
    /// Rings are walked outwards from `p`'s cell and the walk stops after the first ring
    /// whose centres all lie farther than `radius + reach`: a cell beyond that ring is
    /// separated from `p` by it, so the segment to its centre crosses a cell of the ring,
    /// whose centre is then within `radius + reach` of `p`; none is, so no cell beyond is
    /// within `radius`.
    pub fn cells_within(&self, p: Coord<f64>, radius: f64) -> Vec<(CellIndex, f64)> {
        let mut out = Vec::new();
        let Some(c0) = self.cell_at(p) else {
            return out;
        };
        if !radius.is_finite() || radius < 0.0 {
            return out;
        }
        let plane = LocalPlane::new(p);
        let stop = radius + self.reach_m();
        // A hard bound on the rings, far past any real one (neighbouring centres are about
        // √3 edges apart), so that no input can make the walk endless.
        let k_max = (stop / (0.25 * self.resolution.edge_length_m())).ceil() as u32 + 2;
        for k in 0..=k_max {
            let ring: Vec<CellIndex> = match c0.grid_ring_fast(k).collect::<Option<Vec<_>>>() {
                Some(r) => r,
                // Near one of the twelve pentagons the fast walk fails: take the ring from
                // the safe disk walk instead.
                None => c0
                    .grid_disk_distances_safe(k)
                    .filter(|&(_, d)| d == k)
                    .map(|(c, _)| c)
                    .collect(),
            };
            let mut nearest = f64::INFINITY;
            for c in ring {
                let d = plane_distance(&plane, p, self.centre(c));
                nearest = nearest.min(d);
                if d <= radius {
                    out.push((c, d));
                }
            }
            if nearest > stop {
                break;
            }
        }
        out
    }

    /// The distance from `p` to the centre of cell `c` as [`H3Grid::cells_within`]
    /// measures it: the same number, for one cell.
    pub fn distance_to_centre(&self, p: Coord<f64>, c: CellIndex) -> f64 {
        Self::distance_to(p, self.centre(c))
    }

    /// [`H3Grid::distance_to_centre`] with the cell's centre already known (the
    /// conversion of a cell to its centre costs more than the distance).
    pub(crate) fn distance_to(p: Coord<f64>, centre: Coord<f64>) -> f64 {
        plane_distance(&LocalPlane::new(p), p, centre)
    }

    /// The cells that may lie within `radius` of any point of cell `c0`, with their
    /// centres: a superset for [`H3Grid::cells_within_of`], shared by every point of `c0`.
    ///
    /// A point of `c0` is within `reach` of its centre, so a centre within `radius` of the
    /// point is within `radius + reach` of `c0`'s centre; the margin covers the difference
    /// between the local planes of the point and of the centre (below 10⁻⁴ at these
    /// distances).
    pub fn candidates(&self, c0: CellIndex, radius: f64) -> Vec<(CellIndex, Coord<f64>)> {
        let wide = (radius + self.reach_m()) * 1.01 + 1.0;
        self.cells_within(self.centre(c0), wide)
            .into_iter()
            .map(|(c, _)| (c, self.centre(c)))
            .collect()
    }

    /// [`H3Grid::cells_within`] for a point `p` of a cell whose
    /// [`candidates`](H3Grid::candidates) are known: the same cells with the same
    /// distances, without walking H3 again (a town's thousand houses share their cell's
    /// candidates).
    pub fn cells_within_of(
        &self,
        p: Coord<f64>,
        radius: f64,
        candidates: &[(CellIndex, Coord<f64>)],
    ) -> Vec<(CellIndex, f64)> {
        if !radius.is_finite() || radius < 0.0 {
            return Vec::new();
        }
        let plane = LocalPlane::new(p);
        candidates
            .iter()
            .filter_map(|&(c, centre)| {
                let d = plane_distance(&plane, p, centre);
                (d <= radius).then_some((c, d))
            })
            .collect()
    }

    /// The boundary of a cell as a closed lon/lat polygon. Longitudes are unwrapped around
    /// the cell's centre, so a cell across the antimeridian is one ring (reaching past ±180°)
    /// rather than a ring that sweeps round the globe.
    pub fn polygon(&self, c: CellIndex) -> Polygon<f64> {
        let centre = LatLng::from(c).lng();
        let mut ring: Vec<Coord<f64>> = corners(c)
            .into_iter()
            .map(|mut v| {
                if v.x - centre > 180.0 {
                    v.x -= 360.0;
                } else if v.x - centre < -180.0 {
                    v.x += 360.0;
                }
                v
            })
            .collect();
        if let Some(&first) = ring.first() {
            ring.push(first);
        }
        Polygon::new(LineString::from(ring), vec![])
    }

    /// The centre of a cell, lon/lat.
    pub fn centre(&self, c: CellIndex) -> Coord<f64> {
        let ll = LatLng::from(c);
        Coord {
            x: ll.lng(),
            y: ll.lat(),
        }
    }
}

/// The distance from `p` to a cell centre in the tangent plane at `p`, taking the shorter
/// way round across the antimeridian.
fn plane_distance(plane: &LocalPlane, p: Coord<f64>, centre: Coord<f64>) -> f64 {
    let mut lon = centre.x;
    if lon - p.x > 180.0 {
        lon -= 360.0;
    } else if lon - p.x < -180.0 {
        lon += 360.0;
    }
    let q = plane.project(Coord {
        x: lon,
        y: centre.y,
    });
    q.x.hypot(q.y)
}

/// A cell with a disc around its centre that lies inside it: the largest disc centred
/// there that no edge of the cell's boundary crosses, less a margin, measured in the
/// local plane of the centre (linear in lon/lat, so the boundary's vertices and a point
/// are placed alike).
///
/// H3's edges are straight in the gnomonic projection of their icosahedron face, great
/// circles on the sphere. In the plane a great-circle edge of length L bows by about
/// L²·tan φ / 8R from its chord (under 3 mm for a 500 m cell at 45°) and the plane's scale
/// drifts by about tan φ · Δφ across the cell; the margin, 2 % of the radius, covers both
/// many times over at the resolutions where this is used (edges up to 10 km, latitudes
/// within 70°). Elsewhere, and for pentagons and cells across the antimeridian, there is
/// no disc and every point asks H3.
#[derive(Debug, Clone, Copy)]
struct Inside {
    cell: CellIndex,
    plane: LocalPlane,
    r2: f64,
}

impl Inside {
    fn of(grid: &H3Grid, cell: CellIndex) -> Option<Inside> {
        if grid.resolution.edge_length_m() > 10_000.0 || cell.is_pentagon() {
            return None;
        }
        let centre = grid.centre(cell);
        if centre.y.abs() > 70.0 {
            return None;
        }
        let plane = LocalPlane::new(centre);
        let ring = corners(cell);
        if ring.iter().any(|v| (v.x - centre.x).abs() > 1.0) {
            return None;
        }
        let ring: Vec<Coord<f64>> = ring.into_iter().map(|v| plane.project(v)).collect();
        let mut nearest = f64::INFINITY;
        for (i, &a) in ring.iter().enumerate() {
            let b = ring[(i + 1) % ring.len()];
            let c = closest_on_segment(a, b, Coord { x: 0.0, y: 0.0 });
            nearest = nearest.min(c.x.hypot(c.y));
        }
        let r = 0.98 * nearest;
        (r.is_finite() && r > 0.0).then_some(Inside {
            cell,
            plane,
            r2: r * r,
        })
    }

    /// The cell, when `p` lies in its disc.
    fn holds(&self, p: Coord<f64>) -> Option<CellIndex> {
        let q = self.plane.project(p);
        (q.x * q.x + q.y * q.y < self.r2).then_some(self.cell)
    }
}

/// The last few cells a run of points fell in, with their discs: a street's houses
/// alternate between two or three cells. A cell gets its disc when a second point falls
/// in it, so points in no order cost a few comparisons each, not a disc each.
#[derive(Default)]
struct Recent {
    cells: [Option<(CellIndex, Option<Inside>)>; 4],
    next: usize,
}

impl Recent {
    /// The cell of `p` when it lies in one of the discs.
    fn holding(&self, p: Coord<f64>) -> Option<CellIndex> {
        self.cells
            .iter()
            .flatten()
            .find_map(|(_, disc)| disc.as_ref().and_then(|d| d.holds(p)))
    }

    /// `c` was found for a point outside every disc.
    fn found(&mut self, grid: &H3Grid, c: CellIndex) {
        match self.cells.iter_mut().flatten().find(|(k, _)| *k == c) {
            Some((_, disc @ None)) => *disc = Inside::of(grid, c),
            Some(_) => {}
            None => {
                self.cells[self.next] = Some((c, None));
                self.next = (self.next + 1) % self.cells.len();
            }
        }
    }
}

/// The corners of a cell's boundary, lon/lat, as H3 gives them (not closed, not unwrapped
/// across the antimeridian).
pub(super) fn corners(cell: CellIndex) -> Vec<Coord<f64>> {
    cell.boundary()
        .iter()
        .map(|ll| Coord {
            x: ll.lng(),
            y: ll.lat(),
        })
        .collect()
}
