//! The XYZ (slippy map) tile grid: tile ids, their bounds in lon/lat and Web Mercator,
//! and the tiles covering a lon/lat box.

use std::fmt;

use geo::{Coord, Rect};
use serde::{Deserialize, Serialize};

use super::{TileError, TileOptions, mercator};

/// Highest zoom level a [`TileId`] may have, and so the highest zoom served: at z18 a
/// tile unit is about 3 cm on the ground at Haimen's latitude, far below what any ledger
/// records. (Coordinates would stay exact well past it: `2^z · extent` fits `f64`
/// integers up to z 40.)
pub const MAX_ZOOM: u8 = 18;

/// One tile of the XYZ (slippy map) grid: `x` grows eastwards, `y` southwards, and
/// `0 ≤ x, y < 2^z`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct TileId {
    /// Zoom level, `0..=MAX_ZOOM`.
    pub z: u8,
    /// Column.
    pub x: u32,
    /// Row, from the north.
    pub y: u32,
}

impl TileId {
    /// Checked constructor: `z ≤ MAX_ZOOM` and `x, y < 2^z`.
    pub fn new(z: u8, x: u32, y: u32) -> Result<Self, TileError> {
        if z > MAX_ZOOM {
            return Err(TileError::ZoomOutOfRange { z });
        }
        let n = 1_u32 << z;
        if x >= n || y >= n {
            return Err(TileError::TileOutOfRange { z, x, y });
        }
        Ok(Self { z, x, y })
    }

    /// Re-checks a value built with the public fields.
    pub(super) fn validate(&self) -> Result<(), TileError> {
        Self::new(self.z, self.x, self.y).map(|_| ())
    }

    /// World-unit box `[x0, y0, x1, y1]` of the tile grown by `margin` tiles.
    fn world_box(&self, margin: f64) -> [f64; 4] {
        let n = f64::from(self.z).exp2();
        [
            (f64::from(self.x) - margin) / n,
            (f64::from(self.y) - margin) / n,
            (f64::from(self.x) + 1.0 + margin) / n,
            (f64::from(self.y) + 1.0 + margin) / n,
        ]
    }

    /// The tile's bounds in lon/lat degrees (min = south-west corner).
    pub fn bounds_lonlat(&self) -> Rect<f64> {
        lonlat_rect(self.world_box(0.0))
    }

    /// The tile's bounds in EPSG:3857 metres.
    pub fn bounds_mercator(&self) -> Rect<f64> {
        let [x0, y0, x1, y1] = self.world_box(0.0);
        Rect::new(
            Coord {
                x: mercator::mercator_x(x0),
                y: mercator::mercator_y(y1),
            },
            Coord {
                x: mercator::mercator_x(x1),
                y: mercator::mercator_y(y0),
            },
        )
    }

    /// Bounds in lon/lat degrees of the tile plus its buffer: the query box for picking
    /// the features to pass to [`TileBuilder::add_layer`](super::TileBuilder::add_layer). Latitudes are clamped to the
    /// Mercator world, longitudes are not wrapped.
    pub fn buffered_bounds_lonlat(&self, opts: &TileOptions) -> Rect<f64> {
        let margin = if opts.extent == 0 {
            0.0
        } else {
            f64::from(opts.buffer) / f64::from(opts.extent)
        };
        let [x0, y0, x1, y1] = self.world_box(margin);
        lonlat_rect([x0, y0.max(0.0), x1, y1.min(1.0)])
    }
}

impl fmt::Display for TileId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}/{}", self.z, self.x, self.y)
    }
}

/// Lon/lat rectangle of a world-unit box `[x0, y0, x1, y1]` (y down).
fn lonlat_rect([x0, y0, x1, y1]: [f64; 4]) -> Rect<f64> {
    Rect::new(
        Coord {
            x: mercator::lon_of(x0),
            y: mercator::lat_of(y1),
        },
        Coord {
            x: mercator::lon_of(x1),
            y: mercator::lat_of(y0),
        },
    )
}

/// The tiles of zoom `z` that cover a lon/lat box, row by row from the north-west.
///
/// A box edge lying exactly on a tile edge does not pull in the next tile; a degenerate
/// box (a point or a line) still gets the tiles containing it. Latitudes are clamped to
/// the Mercator world and longitudes to `[-180, 180]`.
pub fn tiles_covering(bbox: Rect<f64>, z: u8) -> Result<TileRange, TileError> {
    if z > MAX_ZOOM {
        return Err(TileError::ZoomOutOfRange { z });
    }
    let (min, max) = (bbox.min(), bbox.max());
    if ![min.x, min.y, max.x, max.y].iter().all(|v| v.is_finite()) {
        return Err(TileError::InvalidBounds("bounding box is not finite"));
    }
    let n = 1_u32 << z;
    let nf = f64::from(n);
    let last = n - 1;
    let to_index = |w: f64| -> u32 {
        // Clamped to the grid first, so the cast cannot saturate wrongly.
        (w * nf).floor().clamp(0.0, f64::from(last)) as u32
    };
    let to_index_end = |w: f64, start: u32| -> u32 {
        // An end exactly on a tile edge belongs to the tile before it.
        let v = (w * nf).ceil() - 1.0;
        (v.clamp(0.0, f64::from(last)) as u32).max(start)
    };
    let wx0 = mercator::world_x(min.x.clamp(-180.0, 180.0));
    let wx1 = mercator::world_x(max.x.clamp(-180.0, 180.0));
    // North (max latitude) has the smaller world y.
    let wy0 = mercator::world_y(max.y);
    let wy1 = mercator::world_y(min.y);
    let x0 = to_index(wx0);
    let y0 = to_index(wy0);
    let x1 = to_index_end(wx1, x0);
    let y1 = to_index_end(wy1, y0);
    Ok(TileRange {
        z,
        x0,
        x1,
        y1,
        next: Some((x0, y0)),
    })
}

/// Iterator over a rectangle of tiles, from [`tiles_covering`].
#[derive(Debug, Clone)]
pub struct TileRange {
    z: u8,
    x0: u32,
    x1: u32,
    y1: u32,
    next: Option<(u32, u32)>,
}

impl Iterator for TileRange {
    type Item = TileId;

    fn next(&mut self) -> Option<TileId> {
        let (x, y) = self.next?;
        self.next = if x < self.x1 {
            Some((x + 1, y))
        } else if y < self.y1 {
            Some((self.x0, y + 1))
        } else {
            None
        };
        Some(TileId { z: self.z, x, y })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = match self.next {
            None => 0,
            Some((x, y)) => {
                let width = u64::from(self.x1 - self.x0 + 1);
                let rows_after = u64::from(self.y1 - y);
                let in_row = u64::from(self.x1 - x + 1);
                usize::try_from(rows_after * width + in_row).unwrap_or(usize::MAX)
            }
        };
        (n, Some(n))
    }
}

impl ExactSizeIterator for TileRange {}
