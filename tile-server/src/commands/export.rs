//! `riskmap export`: chosen layers, filtered by box, area and level.

use riskmap_core::export::{ExportError, Filter};
use riskmap_core::model::{LayerKind, RiskLevel};

use super::output::{Destination, RunRecord};
use super::{CliError, prepare, write_layers};
use crate::args::ExportArgs;
use crate::progress::Ui;

/// `riskmap export`.
pub fn export(ui: &Ui, args: &ExportArgs) -> Result<(), CliError> {
    let mut layers = Vec::new();
    for l in &args.layer {
        layers.push(LayerKind::from_name(l).ok_or_else(|| {
            CliError::Usage(format!(
                "--layer: unknown layer '{l}' (known: {})",
                LayerKind::all()
                    .map(LayerKind::name)
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?);
    }
    let mut levels = Vec::new();
    for l in &args.level {
        levels.push(RiskLevel::parse(l).ok_or_else(|| {
            CliError::Usage(format!(
                "--level: unknown level '{l}' (major, significant, general, low)"
            ))
        })?);
    }
    let bbox = match &args.bbox {
        Some(b) if b.len() == 4 => {
            if !(b[0] < b[2] && b[1] < b[3]) || b.iter().any(|v| !v.is_finite()) {
                return Err(CliError::Usage(
                    "--bbox: expected min_lon,min_lat,max_lon,max_lat with min < max".into(),
                ));
            }
            Some(geo::Rect::new((b[0], b[1]), (b[2], b[3])))
        }
        Some(_) => return Err(CliError::Usage("--bbox takes four numbers".into())),
        None => None,
    };
    if layers.is_empty() {
        layers = if levels.is_empty() {
            LayerKind::all().collect()
        } else {
            // A level picks results that have one; every other layer would come out whole.
            let with: Vec<_> = LayerKind::with_level().collect();
            ui.say(&format!(
                "--level: writing the layers with a level ({})",
                with.iter().map(|k| k.name()).collect::<Vec<_>>().join(", ")
            ));
            with
        };
    }
    if !levels.is_empty()
        && let Some(k) = layers.iter().find(|k| !k.has_level())
    {
        return Err(CliError::Export(ExportError::NoLevel { layer: k.name() }));
    }
    let run = RunRecord::start("export");
    let dest = Destination::check(&args.out)?;
    let p = prepare(ui, &args.load)?;
    let mut filter = Filter {
        bbox,
        area: None,
        levels: (!levels.is_empty()).then_some(levels),
        max_features: None,
    };
    if let Some(a) = &args.area {
        filter = filter.with_area_name(&p.dataset, a)?;
    }
    let staging = dest.stage()?;
    write_layers(ui, staging.dir(), &p, &layers, &filter)?;
    run.write_loaded(&staging, &args.load, &p)?;
    staging.commit()?;
    ui.say(&format!("written to {}", args.out.display()));
    Ok(())
}
