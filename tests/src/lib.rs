//! Test support shared by the end-to-end tests in `tests/tests/`: an MVT 2.1 decoder and
//! validator written from the specification, independent of the encoder's code.

pub mod mvt_check;
