//! Embedding riskmap-core: load a data directory, query the R-trees, analyse, export;
//! then analyse features built in code, which are checked first.
//!
//! ```sh
//! cargo run --release -p riskmap-core --example embed -- data/haimen
//! ```

use std::error::Error;
use std::path::PathBuf;

use geo::{Geometry, Point};
use riskmap_core::dataset::{Dataset, Layer};
use riskmap_core::export::{self, FieldPolicy, Filter};
use riskmap_core::io::LoadOptions;
use riskmap_core::model::{Feature, House, LayerKind, RiskLevel, SourceRef};
use riskmap_core::project::Project;
use riskmap_core::rules::Rules;

fn main() -> Result<(), Box<dyn Error>> {
    let dir = std::env::args()
        .nth(1)
        .map_or_else(|| PathBuf::from("data/haimen"), PathBuf::from);

    // Open: every file of the directory, converted to WGS84 lon/lat, with a report of
    // what was skipped or repaired, indexed and analysed with the default rules.
    let p = Project::open(&dir, &LoadOptions::default(), &Rules::default())?;
    let ds = &p.dataset;
    println!(
        "loaded {} houses, {} enterprises; {} issues",
        ds.houses.len(),
        ds.enterprises.len(),
        p.report.issues.len()
    );

    // Query: the five hazard sources nearest to the district's centre, and the houses
    // within 300 m of the first one.
    let centre = ds
        .bounds()
        .map(|b| Geometry::Point(Point::from(b.center())))
        .ok_or("empty dataset")?;
    for hit in ds.hazard_sources.nearest(&centre, 5) {
        let f = &ds.hazard_sources.features()[hit.pos];
        let near = ds.houses.within_distance(&f.geometry, 300.0);
        println!(
            "{} {} is {:.0} m from the centre; {} houses within 300 m",
            f.id,
            f.props.name,
            hit.distance_m,
            near.len()
        );
    }

    // The results of the analysis.
    let a = &p.analysis;
    let red = a
        .house_risks
        .iter()
        .filter(|h| h.level == RiskLevel::Major)
        .count();
    println!(
        "{} protection conflicts, {} pipeline conflicts, {red} red houses",
        a.protection_conflicts.len(),
        a.pipeline_conflicts.len()
    );

    // Export the red and orange houses as GeoJSON to stdout's neighbour file.
    let filter = Filter {
        levels: Some(vec![RiskLevel::Major, RiskLevel::Significant]),
        ..Filter::default()
    };
    let out = std::env::temp_dir().join("riskmap-embed-house-risk.geojson");
    let n = export::write_named(
        std::fs::File::create(&out)?,
        LayerKind::HouseRisk,
        ds,
        a,
        &filter,
        &FieldPolicy::default(),
    )?;
    println!("wrote {n} red and orange houses to {}", out.display());

    // Features built in code: a layer of their own kind, checked before any analysis.
    // A house 60 m east of the first hazard source, and one with latitude and longitude
    // swapped, which the checks refuse by name.
    let source = ds.hazard_sources.features()[0].clone();
    let at = geo::Centroid::centroid(&source.geometry).ok_or("a source without a place")?;
    let house = |id: &str, x: f64, y: f64| Feature {
        id: id.into(),
        geometry: Geometry::Point(Point::new(x, y)),
        props: House::default(),
        source: SourceRef::default(),
    };
    let east = 60.0 / (111_320.0 * at.y().to_radians().cos());
    let mut mine = Dataset {
        hazard_sources: Layer::of(vec![source]),
        houses: Layer::of(vec![
            house("mine-1", at.x() + east, at.y()),
            house("mine-2", at.y(), at.x()),
        ]),
        ..Dataset::default()
    };
    match Project::from_dataset(mine.clone(), &Rules::default()) {
        Ok(_) => println!("analysed"),
        Err(e) => println!("refused: {e}"),
    }
    mine.houses = Layer::of(vec![house("mine-1", at.x() + east, at.y())]);
    let q = Project::from_dataset(mine, &Rules::default())?;
    println!(
        "one source and one house 60 m away: {} protection conflict(s)",
        q.analysis.protection_conflicts.len()
    );
    Ok(())
}
