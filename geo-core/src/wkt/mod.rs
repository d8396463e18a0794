//! Well-known text (WKT), the one reader for both its uses in RiskMap: coordinate
//! reference systems (`.prj` files, `PROJCS[…]`, WKT2 `PROJCRS[…]`) and geometries (a
//! CSV ledger's `wkt` column, `POLYGON((…))`).
//!
//! Both are read through one tokenizer (a cursor taking keywords, numbers,
//! quoted text and brackets). CRS WKT is a tree of keyword nodes with comma-separated
//! arguments, read by [`parse`] into a [`Node`]; geometry WKT lists whitespace-separated
//! coordinate tuples in round brackets, read by [`parse_geometry`] into a [`Geometry`].

mod geometry;
mod scan;
mod tree;

#[cfg(test)]
mod tests;

pub use geometry::{Geometry, GeometryError, parse_geometry};
pub use tree::{Node, ParseError, Value, parse};
