//! Embedding riskmap-core: load a data directory, query the R-trees, analyse, export.
//!
//! ```sh
//! cargo run --release -p riskmap-core --example embed -- data/haimen
//! ```

use std::error::Error;
use std::path::PathBuf;

use geo::{Geometry, Point};
use riskmap_core::export::{self, FieldPolicy, Filter};
use riskmap_core::io::LoadOptions;
use riskmap_core::model::{LayerKind, RiskLevel};
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
    Ok(())
}
