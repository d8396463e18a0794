//! The PROJ backend (cargo feature `proj`): any CRS PROJ knows, converted through the
//! `proj` crate, with a small per-thread cache of transformers.

use super::{Crs, CrsError, check_finite, out_of_domain};

/// Builds a CRS handed to PROJ, after checking that PROJ knows it, so that a typo fails
/// when the CRS is read rather than at the first coordinate.
pub(super) fn proj_checked(def: String) -> Result<Crs, CrsError> {
    match proj::Proj::new(&def) {
        Ok(_) => Ok(Crs::Proj(def)),
        Err(e) => Err(CrsError::Proj {
            crs: def,
            message: e.to_string(),
        }),
    }
}

fn proj_transformer(def: &str, from_wgs84: bool) -> Result<proj::Proj, CrsError> {
    // EPSG:4326 with new_known_crs is normalised to (lon, lat), as this module wants.
    let (from, to) = if from_wgs84 {
        ("EPSG:4326", def)
    } else {
        (def, "EPSG:4326")
    };
    proj::Proj::new_known_crs(from, to, None).map_err(|e| CrsError::Proj {
        crs: def.to_string(),
        message: e.to_string(),
    })
}

thread_local! {
    /// Building a PROJ transformer reads the database and takes milliseconds, so
    /// single-point calls reuse the last few.
    static PROJ_CACHE: std::cell::RefCell<Vec<(String, bool, proj::Proj)>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

const PROJ_CACHE_LEN: usize = 8;

pub(super) fn proj_convert_one(
    def: &str,
    from_wgs84: bool,
    x: f64,
    y: f64,
) -> Result<(f64, f64), CrsError> {
    PROJ_CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        let pos = cache
            .iter()
            .position(|(d, dir, _)| d == def && *dir == from_wgs84);
        let index = match pos {
            Some(i) => i,
            None => {
                let p = proj_transformer(def, from_wgs84)?;
                if cache.len() >= PROJ_CACHE_LEN {
                    cache.remove(0);
                }
                cache.push((def.to_string(), from_wgs84, p));
                cache.len() - 1
            }
        };
        let (_, _, p) = &cache[index];
        let crs = if from_wgs84 {
            Crs::Wgs84
        } else {
            Crs::Proj(def.to_string())
        };
        convert_checked(p, &crs, def, x, y)
    })
}

fn convert_checked(
    p: &proj::Proj,
    crs: &Crs,
    def: &str,
    x: f64,
    y: f64,
) -> Result<(f64, f64), CrsError> {
    match p.convert((x, y)) {
        Ok((a, b)) if a.is_finite() && b.is_finite() => Ok((a, b)),
        Ok(_) => Err(out_of_domain(crs, x, y, "PROJ could not convert it")),
        Err(e) => Err(CrsError::Proj {
            crs: def.to_string(),
            message: format!("converting ({x}, {y}): {e}"),
        }),
    }
}

pub(super) fn proj_convert_many(
    crs: &Crs,
    def: &str,
    coords: &mut [(f64, f64)],
) -> Result<(), CrsError> {
    for &(x, y) in coords.iter() {
        check_finite(crs, x, y)?;
    }
    let p = proj_transformer(def, false)?;
    let mut out = coords.to_vec();
    if p.convert_array(&mut out).is_ok() && out.iter().all(|c| c.0.is_finite() && c.1.is_finite()) {
        coords.copy_from_slice(&out);
        return Ok(());
    }
    // convert_array does not say which point failed: converting one by one finds it for
    // the message.
    for c in coords.iter_mut() {
        *c = convert_checked(&p, crs, def, c.0, c.1)?;
    }
    Ok(())
}
