//! The typed properties of each of the seven layers, built from a record of cells.

use crate::model::{
    Area, Enterprise, GasPipeline, HazardSource, House, PressureClass, ProtectionTarget,
};

use super::cells::{cell, column_name, count, name_or_id, number, text, vocab};
use super::inventory::inventory;
use super::qra::qra;
use super::{Build, FeatureCx, Record};
use crate::io::LoadError;
use crate::io::fields::{self, Unit, area, ent, gas, haz, house, target};
use crate::io::report::{IssueCode, Severity};

impl Build for Enterprise {
    fn build(rec: &Record<'_>, cx: &mut FeatureCx<'_>) -> Result<Option<Self>, LoadError> {
        let Some(name) = text(rec, ent::NAME) else {
            let column = column_name(rec, ent::NAME, "name (企业名称)").to_string();
            cx.issue(
                Severity::Skipped,
                IssueCode::MissingRequiredField,
                Some(&column),
                "an enterprise needs a name (名称/企业名称); the feature was skipped",
            )?;
            return Ok(None);
        };
        let credit_code = text(rec, ent::CREDIT_CODE).map(|c| c.to_ascii_uppercase());
        if let Some(code) = &credit_code
            && let Some(problem) = fields::credit_code_problem(code)
        {
            let column = column_name(rec, ent::CREDIT_CODE, "credit_code").to_string();
            cx.warn(
                IssueCode::InvalidCreditCode,
                &column,
                format!("{problem}; kept as written"),
            )?;
        }
        Ok(Some(Enterprise {
            name,
            credit_code,
            industry: vocab(cx, rec, ent::INDUSTRY)?,
            employees: count(cx, rec, ent::EMPLOYEES, u32::MAX)?,
            declared_level: vocab(cx, rec, ent::DECLARED_LEVEL)?,
            open_hidden_hazards: count(cx, rec, ent::OPEN_HIDDEN, u32::MAX)?.unwrap_or(0),
            open_major_hidden_hazards: count(cx, rec, ent::OPEN_MAJOR_HIDDEN, u32::MAX)?
                .unwrap_or(0),
            park: text(rec, ent::PARK),
            phone: text(rec, ent::PHONE),
        }))
    }
}

impl Build for HazardSource {
    fn build(rec: &Record<'_>, cx: &mut FeatureCx<'_>) -> Result<Option<Self>, LoadError> {
        let name = name_or_id(cx, rec, haz::NAME, "name (危险源名称)")?;
        let inventory = match cell(rec, haz::INVENTORY) {
            Some(c) => inventory(cx, c)?,
            None => Vec::new(),
        };
        let qra_distances = match cell(rec, haz::QRA) {
            Some(c) => qra(cx, c)?,
            None => None,
        };
        Ok(Some(HazardSource {
            name,
            enterprise_id: text(rec, haz::ENTERPRISE),
            unit_type: vocab(cx, rec, haz::UNIT_TYPE)?,
            inventory,
            declared_grade: vocab(cx, rec, haz::GRADE)?,
            qra_distances,
        }))
    }
}

impl Build for GasPipeline {
    fn build(rec: &Record<'_>, cx: &mut FeatureCx<'_>) -> Result<Option<Self>, LoadError> {
        let declared: Option<PressureClass> = vocab(cx, rec, gas::PRESSURE_CLASS)?;
        let design = number(cx, rec, gas::DESIGN_PRESSURE, Unit::Mpa)?;
        let mut pressure_class = declared;
        if let Some(p) = design {
            let column = column_name(rec, gas::DESIGN_PRESSURE, "design_pressure_mpa").to_string();
            match PressureClass::from_mpa(p) {
                None => {
                    cx.issue(
                        Severity::Skipped,
                        IssueCode::PressureOutOfRange,
                        Some(&column),
                        format!(
                            "design pressure {p} MPa is above 4.0 MPa: a transmission pipeline \
                             (长输管道), outside urban gas (GB 50028); the feature was skipped \
                             (if the value is in kPa, name the column 设计压力(kPa))"
                        ),
                    )?;
                    return Ok(None);
                }
                Some(derived) => match declared {
                    None => pressure_class = Some(derived),
                    Some(d) if d != derived => {
                        let class_col =
                            column_name(rec, gas::PRESSURE_CLASS, "pressure_class").to_string();
                        cx.warn(
                            IssueCode::PressureClassMismatch,
                            &class_col,
                            format!(
                                "pressure class {} ({}) disagrees with design pressure {p} MPa \
                                 in {column}, which is {} ({}); the class given was kept",
                                d.key(),
                                d.name_zh(),
                                derived.key(),
                                derived.name_zh()
                            ),
                        )?;
                    }
                    Some(_) => {}
                },
            }
        }
        // A pipe of no known pressure has no clearance to check: said for the pipe when
        // its file has a column for either (else once for the file, `table.rs`).
        let has_column = |i: usize| !cx.absent.get(i).copied().unwrap_or(false);
        if pressure_class.is_none()
            && (has_column(gas::PRESSURE_CLASS) || has_column(gas::DESIGN_PRESSURE))
        {
            let column = column_name(rec, gas::PRESSURE_CLASS, "pressure_class").to_string();
            cx.warn(
                IssueCode::MissingField,
                &column,
                "neither a pressure class (压力级制) nor a design pressure (设计压力): its \
                 clearance (GB 50028) is not known, and nothing near it was checked",
            )?;
        }
        let year_laid = match number(cx, rec, gas::YEAR, Unit::Year)? {
            Some(y) if y.fract() == 0.0 && (1900.0..=2100.0).contains(&y) => Some(y as u16),
            Some(y) => {
                let column = column_name(rec, gas::YEAR, "year_laid").to_string();
                cx.warn(
                    IssueCode::InvalidValue,
                    &column,
                    format!("year {y} is not a year from 1900 to 2100; left empty"),
                )?;
                None
            }
            None => None,
        };
        Ok(Some(GasPipeline {
            name: text(rec, gas::NAME).unwrap_or_else(|| cx.id.to_string()),
            pressure_class,
            design_pressure_mpa: design,
            diameter_mm: number(cx, rec, gas::DIAMETER, Unit::Mm)?,
            material: text(rec, gas::MATERIAL),
            year_laid,
        }))
    }
}

impl Build for House {
    fn build(rec: &Record<'_>, cx: &mut FeatureCx<'_>) -> Result<Option<Self>, LoadError> {
        Ok(Some(House {
            address: text(rec, house::ADDRESS).unwrap_or_default().into(),
            floors: count(cx, rec, house::FLOORS, u32::from(u16::MAX))?.map(|x| x as u16),
            house_use: vocab(cx, rec, house::USE)?,
            occupants: count(cx, rec, house::OCCUPANTS, u32::MAX)?,
            appraisal: vocab(cx, rec, house::APPRAISAL)?,
            rectification: vocab(cx, rec, house::RECTIFICATION)?,
            phone: text(rec, house::PHONE).map(Into::into),
        }))
    }
}

impl Build for ProtectionTarget {
    fn build(rec: &Record<'_>, cx: &mut FeatureCx<'_>) -> Result<Option<Self>, LoadError> {
        Ok(Some(ProtectionTarget {
            name: name_or_id(cx, rec, target::NAME, "name (名称)")?,
            kind: vocab(cx, rec, target::KIND)?,
            class: vocab(cx, rec, target::CLASS)?,
            population: count(cx, rec, target::POPULATION, u32::MAX)?,
            households: count(cx, rec, target::HOUSEHOLDS, u32::MAX)?,
        }))
    }
}

impl Build for Area {
    fn build(rec: &Record<'_>, cx: &mut FeatureCx<'_>) -> Result<Option<Self>, LoadError> {
        Ok(Some(Area {
            name: name_or_id(cx, rec, area::NAME, "name (名称)")?,
            code: text(rec, area::CODE),
        }))
    }
}
