//! `riskmap generate`: the synthetic city, written as the ledgers a district receives.

use std::fs;

use riskmap_core::generate::{self, GenerateOptions, ProvinceError, ProvinceOptions};

use super::{CliError, write_err};
use crate::args::GenerateArgs;
use crate::progress::Ui;

/// `riskmap generate`.
pub fn generate(ui: &Ui, args: &GenerateArgs) -> Result<(), CliError> {
    if args.province {
        return province(ui, args);
    }
    let mut opts = if args.benchmark {
        GenerateOptions::benchmark()
    } else if let Some(n) = args.houses {
        GenerateOptions::scaled(n)
    } else {
        GenerateOptions::demo()
    };
    opts.seed = args.seed;
    let boundary = generate::haimen().map_err(|e| CliError::Usage(e.to_string()))?;
    let step = ui.step(&format!("generating {} houses", opts.houses));
    let ds = generate::generate(&opts, &boundary)?;
    step.done("done");
    fs::create_dir_all(&args.out).map_err(write_err(&args.out))?;
    let step = ui.step(&format!("writing {}", args.out.display()));
    let houses_geojson = args
        .houses_format
        .as_deref()
        .map_or(args.benchmark, |f| f == "geojson");
    generate::write_generated(&args.out, &ds, &opts, houses_geojson).map_err(|e| {
        CliError::Write {
            path: e.path,
            source: e.source,
        }
    })?;
    step.done("done");
    Ok(())
}

/// `riskmap generate --province`: city by city, so that memory is the largest city's.
fn province(ui: &Ui, args: &GenerateArgs) -> Result<(), CliError> {
    let mut opts = ProvinceOptions::standard();
    opts.seed = args.seed;
    opts.cities = args.cities;
    if let Some(n) = args.houses {
        opts.houses = n;
    }
    // The default for a province is CSV: GeoJSON of ten million houses is 4 GB.
    let houses_geojson = args.houses_format.as_deref() == Some("geojson");
    fs::create_dir_all(&args.out).map_err(write_err(&args.out))?;
    let step = ui.step(&format!(
        "generating {} houses in {} cities",
        opts.houses, opts.cities
    ));
    let written = generate::write_province(&args.out, &opts, houses_geojson, &mut |c| {
        step.set(&format!(
            "{} {}: {} houses",
            c.key, c.region.name, c.options.houses
        ));
    })
    .map_err(|e| match e {
        ProvinceError::Write(w) => CliError::Write {
            path: w.path,
            source: w.source,
        },
        other => CliError::Usage(other.to_string()),
    })?;
    step.done(&format!("{} cities written", written.len()));
    Ok(())
}
