//! Spherical ("Web") Mercator, EPSG:3857, as used by every slippy-map tile scheme.
//!
//! Everything is computed in "world" units first: the whole projected world is the unit
//! square, x to the east and y to the south (the tile-row direction), so that a tile's
//! coordinates are a plain scale and offset of it and no projected metres are needed on
//! the hot path.

use std::f64::consts::PI;

/// Latitude where the square Web Mercator world ends (`atan(sinh(π))`, in degrees).
/// Latitudes beyond it are clamped, as every Web Mercator tile server does.
pub const MAX_LATITUDE: f64 = 85.051_128_779_806_59;

/// Radius of the sphere of EPSG:3857, in metres (the WGS84 semi-major axis).
pub const EARTH_RADIUS_M: f64 = 6_378_137.0;

/// World x in `[0, 1]` (for longitudes in `[-180, 180]`) of a longitude in degrees.
#[inline]
pub(crate) fn world_x(lon: f64) -> f64 {
    (lon + 180.0) / 360.0
}

/// World y in `[0, 1]`, growing southwards, of a latitude in degrees.
///
/// `0.5 - atanh(sin φ) / 2π` is the textbook `ln(tan(π/4 + φ/2))` form with one `sin` and
/// one `ln` instead of `tan` and `ln`: this runs for every vertex of every tile.
#[inline]
pub(crate) fn world_y(lat: f64) -> f64 {
    let s = lat.clamp(-MAX_LATITUDE, MAX_LATITUDE).to_radians().sin();
    0.5 - ((1.0 + s) / (1.0 - s)).ln() / (4.0 * PI)
}

/// Longitude in degrees of a world x.
#[inline]
pub(crate) fn lon_of(world_x: f64) -> f64 {
    world_x * 360.0 - 180.0
}

/// Latitude in degrees of a world y.
#[inline]
pub(crate) fn lat_of(world_y: f64) -> f64 {
    (PI * (1.0 - 2.0 * world_y)).sinh().atan().to_degrees()
}

/// EPSG:3857 easting in metres of a world x.
#[inline]
pub(crate) fn mercator_x(world_x: f64) -> f64 {
    (world_x - 0.5) * 2.0 * PI * EARTH_RADIUS_M
}

/// EPSG:3857 northing in metres of a world y.
#[inline]
pub(crate) fn mercator_y(world_y: f64) -> f64 {
    (0.5 - world_y) * 2.0 * PI * EARTH_RADIUS_M
}

/// Maps lon/lat degrees straight to the coordinates of one tile, in tile units (`0..extent`
/// across the tile, y down), as `f64` so that clipping and simplification happen before
/// any rounding.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TileTransform {
    /// `2^z · extent`: world units to tile units. A power of two times the extent, so the
    /// multiplication is exact up to the extent's own bits.
    scale: f64,
    /// `x · extent`: the tile's left edge in the same units (exact).
    origin_x: f64,
    /// `y · extent`: the tile's top edge in the same units (exact).
    origin_y: f64,
}

impl TileTransform {
    /// Transform for tile `z/x/y` at the given extent.
    pub(crate) fn new(z: u8, x: u32, y: u32, extent: u32) -> Self {
        let extent = f64::from(extent);
        Self {
            scale: f64::from(z).exp2() * extent,
            origin_x: f64::from(x) * extent,
            origin_y: f64::from(y) * extent,
        }
    }

    /// Tile coordinates of a lon/lat position in degrees.
    #[inline]
    pub(crate) fn project(&self, lon: f64, lat: f64) -> [f64; 2] {
        self.project_world(world_x(lon), world_y(lat))
    }

    /// Tile coordinates of a position in world units ([`world_x`], [`world_y`]): the same
    /// arithmetic as [`TileTransform::project`] after the projection, so the result is
    /// the same to the bit.
    #[inline]
    pub(crate) fn project_world(&self, wx: f64, wy: f64) -> [f64; 2] {
        [
            wx * self.scale - self.origin_x,
            wy * self.scale - self.origin_y,
        ]
    }
}

/// A lon/lat geometry in world units (x = `world_x` of the longitude, y = `world_y` of
/// the latitude): Web Mercator computed once, for geometries that go into many tiles
/// (see [`TileBuilder::add_world_layer_from`](super::TileBuilder::add_world_layer_from)).
/// A NaN stays NaN and an infinite longitude stays infinite, so the builder still
/// refuses them; an infinite latitude is clamped to the Mercator limit, as any latitude
/// beyond it is.
pub fn to_world(g: &geo::Geometry<f64>) -> geo::Geometry<f64> {
    use geo::MapCoords;
    g.map_coords(|c| geo::Coord {
        x: world_x(c.x),
        y: world_y(c.y),
    })
}
