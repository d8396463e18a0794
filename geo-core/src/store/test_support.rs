//! What the store's tests share: a house of a small city, and another program's
//! connection to a GeoPackage.

use std::path::Path;

use geo::{Geometry, Point};
use rusqlite::Connection;

use super::schema;
use crate::model::{Feature, House, SourceRef};

/// The house `id` at (`x`, 31.9) with `floors` floors, its address 海门路 and its id.
pub(super) fn house(id: &str, x: f64, floors: u16) -> Feature<House> {
    Feature {
        id: id.into(),
        geometry: Geometry::Point(Point::new(x, 31.9)),
        props: House {
            address: format!("海门路{id}").into(),
            floors: Some(floors),
            ..House::default()
        },
        source: SourceRef::default(),
    }
}

/// Another program's connection (QGIS, GDAL): with the functions the file's R-tree
/// triggers call, as every GeoPackage writer has them.
pub(super) fn other_program(path: &Path) -> Connection {
    let c = Connection::open(path).unwrap();
    schema::register_functions(&c).unwrap();
    c
}
