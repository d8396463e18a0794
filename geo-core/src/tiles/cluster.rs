//! Greedy, deterministic point clustering in the pixel space of one zoom level.

use std::borrow::Cow;
use std::collections::HashMap;

use geo::{Geometry, Point};
use serde::{Deserialize, Serialize};

use super::mercator;
use super::{MAX_ZOOM, PropValue, TileError, TileFeature};

/// Bit set in the id of every cluster of two or more points, so that cluster ids never
/// equal point ids (which must be below `2^56`). The full id is
/// `CLUSTER_ID_FLAG | (z << 56) | seed id`.
pub const CLUSTER_ID_FLAG: u64 = 1 << 63;

/// Point ids must be below this: the bits above hold the flag and the zoom.
const ID_LIMIT: u64 = 1 << 56;

/// A point to cluster.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClusterPoint {
    /// Unique id, below `2^56`; a point left alone keeps it as its feature id.
    pub id: u64,
    /// Position in lon/lat degrees.
    pub position: Point<f64>,
    /// Risk level, 0 to 3 with 3 the worst; the cluster reports the highest.
    pub level: u8,
    /// Non-negative weight (e.g. people exposed); summed, and used for the centroid.
    pub weight: f64,
}

/// Where a cluster is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClusterPosition {
    /// Weight-weighted mean of the members in Web Mercator (plain mean if all weights
    /// are 0): where the mass is.
    #[default]
    WeightedCentroid,
    /// The seed's position: the worst (then heaviest) member, always a real site.
    Seed,
}

/// Options of [`cluster_points`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterOptions {
    /// Cluster radius in tile units of [`Self::extent`]: points within it of a seed join
    /// the seed's cluster. Default 256, 1/16 of a tile (32 px on a 512-px tile).
    pub radius: f64,
    /// Tile units across a tile, as in the tiles the clusters go to. Default 4096.
    pub extent: u32,
    /// Where a cluster of several points is placed. Default weighted centroid.
    pub position: ClusterPosition,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        Self {
            radius: 256.0,
            extent: 4096,
            position: ClusterPosition::WeightedCentroid,
        }
    }
}

/// A cluster, or a point left alone (`count == 1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    /// The point's own id for a single point, otherwise
    /// `CLUSTER_ID_FLAG | (z << 56) | seed`.
    pub id: u64,
    /// Representative position in lon/lat degrees (see [`ClusterPosition`]).
    pub position: Point<f64>,
    /// Number of points.
    pub count: u64,
    /// Highest level among the points.
    pub max_level: u8,
    /// Sum of the points' weights.
    pub weight: f64,
    /// Id of the seed point: the worst, then heaviest, then lowest-id member.
    pub seed: u64,
}

impl Cluster {
    /// Whether this is a cluster of several points rather than a point left alone.
    pub fn is_cluster(&self) -> bool {
        self.count > 1
    }

    /// A point feature for a tile layer, with properties `count` (uint), `level` (uint,
    /// the highest), `weight` (double) and `cluster` (bool).
    pub fn to_feature(&self) -> TileFeature<'static> {
        TileFeature {
            id: self.id,
            geometry: Cow::Owned(Geometry::Point(self.position)),
            properties: Cow::Owned(vec![
                (Cow::Borrowed("count"), PropValue::UInt(self.count)),
                (
                    Cow::Borrowed("level"),
                    PropValue::UInt(u64::from(self.max_level)),
                ),
                (Cow::Borrowed("weight"), PropValue::Double(self.weight)),
                (Cow::Borrowed("cluster"), PropValue::Bool(self.is_cluster())),
            ]),
        }
    }
}

/// Running totals of one cluster.
struct Acc {
    seed: usize,
    count: u64,
    max_level: u8,
    weight: f64,
    wx: f64,
    wy: f64,
    sx: f64,
    sy: f64,
}

/// Clusters `points` for zoom `z`, over the whole world at that zoom (so a cluster is
/// the same in every tile that shows it).
///
/// Greedy: seeds are taken from the highest level, then the largest weight, then the
/// smallest id, and each seed collects every point not yet taken within
/// [`ClusterOptions::radius`] of it. The result depends only on the set of points, not
/// on their order, and is returned in seed order (worst first).
pub fn cluster_points(
    points: &[ClusterPoint],
    z: u8,
    opts: &ClusterOptions,
) -> Result<Vec<Cluster>, TileError> {
    if z > MAX_ZOOM {
        return Err(TileError::ZoomOutOfRange { z });
    }
    if opts.extent == 0 || !opts.radius.is_finite() || opts.radius <= 0.0 {
        return Err(TileError::InvalidOptions(
            "cluster radius must be finite and positive, extent positive",
        ));
    }
    for p in points {
        let bad = if p.id >= ID_LIMIT {
            Some("id must be below 2^56")
        } else if !(p.position.x().is_finite() && p.position.y().is_finite()) {
            Some("position is not finite")
        } else if !p.weight.is_finite() || p.weight < 0.0 {
            Some("weight must be finite and non-negative")
        } else {
            None
        };
        if let Some(reason) = bad {
            return Err(TileError::InvalidClusterPoint { id: p.id, reason });
        }
    }

    // Seed order; it also fixes the order of every scan below, so that even float sums
    // do not depend on the input order.
    let mut order: Vec<usize> = (0..points.len()).collect();
    order.sort_unstable_by(|&a, &b| {
        let (pa, pb) = (&points[a], &points[b]);
        pb.level
            .cmp(&pa.level)
            .then(pb.weight.total_cmp(&pa.weight))
            .then(pa.id.cmp(&pb.id))
    });
    // Ids must be unique: cluster ids are derived from them.
    let mut ids: Vec<u64> = points.iter().map(|p| p.id).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(TileError::InvalidClusterPoint {
            id: w[0],
            reason: "id appears more than once",
        });
    }

    // World pixel coordinates at this zoom, in tile units.
    let scale = f64::from(z).exp2() * f64::from(opts.extent);
    let xy: Vec<[f64; 2]> = points
        .iter()
        .map(|p| {
            [
                mercator::world_x(p.position.x()) * scale,
                mercator::world_y(p.position.y()) * scale,
            ]
        })
        .collect();

    // Grid with cells as large as the radius: a seed's neighbours are in the 3×3 cells
    // around it.
    let r = opts.radius;
    let cell_of = |p: [f64; 2]| ((p[0] / r).floor() as i64, (p[1] / r).floor() as i64);
    let mut grid: HashMap<(i64, i64), Vec<u32>> = HashMap::new();
    for &i in &order {
        // Indices fit u32: more than 4 billion points would not fit in memory anyway.
        grid.entry(cell_of(xy[i])).or_default().push(i as u32);
    }

    let r2 = r * r;
    let mut taken = vec![false; points.len()];
    let mut clusters: Vec<Acc> = Vec::new();
    for &seed in &order {
        if taken[seed] {
            continue;
        }
        let s = xy[seed];
        let (cx, cy) = cell_of(s);
        let mut acc = Acc {
            seed,
            count: 0,
            max_level: 0,
            weight: 0.0,
            wx: 0.0,
            wy: 0.0,
            sx: 0.0,
            sy: 0.0,
        };
        for gy in cy - 1..=cy + 1 {
            for gx in cx - 1..=cx + 1 {
                let Some(cell) = grid.get_mut(&(gx, gy)) else {
                    continue;
                };
                // Taken points leave their cell, so no later seed scans them again.
                cell.retain(|&j| {
                    let j = j as usize;
                    let q = xy[j];
                    let d2 = (q[0] - s[0]).powi(2) + (q[1] - s[1]).powi(2);
                    if d2 > r2 {
                        return true;
                    }
                    taken[j] = true;
                    let p = &points[j];
                    acc.count += 1;
                    acc.max_level = acc.max_level.max(p.level);
                    acc.weight += p.weight;
                    acc.wx += q[0] * p.weight;
                    acc.wy += q[1] * p.weight;
                    acc.sx += q[0];
                    acc.sy += q[1];
                    false
                });
            }
        }
        clusters.push(acc);
    }

    Ok(clusters
        .into_iter()
        .map(|a| {
            let seed = &points[a.seed];
            let position = if a.count == 1 || opts.position == ClusterPosition::Seed {
                seed.position
            } else {
                let (px, py) = if a.weight > 0.0 {
                    (a.wx / a.weight, a.wy / a.weight)
                } else {
                    let n = a.count as f64;
                    (a.sx / n, a.sy / n)
                };
                Point::new(mercator::lon_of(px / scale), mercator::lat_of(py / scale))
            };
            let id = if a.count == 1 {
                seed.id
            } else {
                CLUSTER_ID_FLAG | (u64::from(z) << 56) | seed.id
            };
            Cluster {
                id,
                position,
                count: a.count,
                max_level: a.max_level,
                weight: a.weight,
                seed: seed.id,
            }
        })
        .collect())
}
