//! Test support shared by the end-to-end tests in `tests/tests/` and the crates' own:
//! an MVT 2.1 decoder and validator written from the specification, independent of the
//! encoder's code, and times written as the change trail writes them.

pub mod mvt_check;
pub mod utc;
