//! Unit tests of the per-layer property building.

use std::borrow::Cow;

use super::*;
use crate::io::fields::{ent, gas, haz};
use crate::model::{Industry, PressureClass};

fn run<P: Build>(cells: &[(usize, Value<'_>, &str)], n: usize) -> (Option<P>, Vec<Issue>) {
    let subs = SubstanceTable::builtin();
    let mut sink = Sink::new(false);
    let mut rec: Vec<Option<Cell<'_>>> = vec![None; n];
    for (i, v, col) in cells {
        rec[*i] = Some(Cell {
            value: v,
            column: col,
            scale: 1.0,
        });
    }
    let absent = vec![false; n];
    let mut cx = FeatureCx {
        file: "t.csv",
        layer: LayerKind::HazardSources,
        position: Position::Line(2),
        id: "X-1",
        substances: &subs,
        statuses: &[],
        absent: &absent,
        sink: &mut sink,
        texts: &mut crate::heap::Shared::new(),
    };
    let p = P::build(&rec, &mut cx).ok().flatten();
    (p, sink.issues)
}

fn s(t: &str) -> Value<'_> {
    Value::Str(Cow::Borrowed(t))
}

#[test]
fn pressure_class_from_design_pressure_and_out_of_range() {
    let (p, issues) = run::<GasPipeline>(&[(gas::DESIGN_PRESSURE, s("0.3"), "设计压力(MPa)")], 6);
    assert_eq!(
        p.and_then(|p| p.pressure_class),
        Some(PressureClass::MediumA)
    );
    assert!(issues.is_empty());
    let (p, issues) = run::<GasPipeline>(&[(gas::DESIGN_PRESSURE, s("6.3"), "设计压力(MPa)")], 6);
    assert!(p.is_none());
    assert_eq!(issues[0].code, IssueCode::PressureOutOfRange);
    assert_eq!(issues[0].severity, Severity::Skipped);
    let (p, issues) = run::<GasPipeline>(
        &[
            (gas::PRESSURE_CLASS, s("中压（a）"), "压力级制"),
            (gas::DESIGN_PRESSURE, s("0.1"), "设计压力"),
        ],
        6,
    );
    assert_eq!(
        p.and_then(|p| p.pressure_class),
        Some(PressureClass::MediumA)
    );
    assert_eq!(issues[0].code, IssueCode::PressureClassMismatch);
    let (_, issues) = run::<GasPipeline>(&[(gas::PRESSURE_CLASS, s("超高压"), "压力级制")], 6);
    assert_eq!(issues[0].code, IssueCode::UnknownValue);
    assert!(
        issues[0].message.contains("\"超高压\"") && issues[0].message.contains("medium_b (中压B)")
    );
    assert_eq!(issues[0].field.as_deref(), Some("压力级制"));
}

#[test]
fn inventory_lines_are_checked_against_the_table() {
    let (p, issues) = run::<HazardSource>(
        &[
            (haz::NAME, s("储罐区"), "危险源名称"),
            (
                haz::INVENTORY,
                s(
                    "氯(7782-50-5)=20；液氨=35；硫酸=100；某未知物=5；某溶剂(W5.3)=2；某物(W99)=1；甲醇=；苯=-1",
                ),
                "危险化学品",
            ),
        ],
        6,
    );
    let p = p.expect("kept");
    let names: Vec<_> = p
        .inventory
        .iter()
        .map(|i| i.name.clone().unwrap_or_default())
        .collect();
    // Sulfuric acid is outside GB 18218-2018: kept, for information.
    assert_eq!(names, vec!["氯", "液氨", "硫酸", "某溶剂"]);
    let codes: Vec<_> = issues.iter().map(|i| i.code).collect();
    assert_eq!(
        codes,
        vec![
            IssueCode::OutsideStandard,
            IssueCode::UnknownSubstance,
            IssueCode::UnknownCategory,
            IssueCode::MissingRequiredField,
            IssueCode::NegativeNumber
        ]
    );
    assert_eq!(issues[0].severity, Severity::Info);
    assert!(issues[1..].iter().all(|i| i.severity == Severity::Skipped));
    assert!(issues[0].message.contains("硫酸"));
    assert!(issues[1].message.contains("某未知物"));
}

/// A source whose every line is refused holds nothing and cannot be graded: said of the
/// feature, beside each line's own issue.
#[test]
fn an_inventory_of_no_usable_line_is_said_of_the_source() {
    let (p, issues) = run::<HazardSource>(
        &[
            (haz::NAME, s("液氯储罐"), "危险源名称"),
            (haz::INVENTORY, s("氯=-10；某未知物=5"), "危险化学品"),
        ],
        6,
    );
    assert!(p.expect("kept").inventory.is_empty());
    let got: Vec<_> = issues.iter().map(|i| (i.code, i.severity)).collect();
    assert_eq!(
        got,
        [
            (IssueCode::NegativeNumber, Severity::Skipped),
            (IssueCode::UnknownSubstance, Severity::Skipped),
            (IssueCode::InvalidInventory, Severity::Warning),
        ]
    );
    assert_eq!(
        issues[2].message,
        "none of the 2 inventory line(s) could be used: the source is kept with an empty \
         inventory and cannot be graded as a major hazard source until they are corrected"
    );
    // One line of two usable: no such warning.
    let (_, issues) =
        run::<HazardSource>(&[(haz::INVENTORY, s("氯=10；某未知物=5"), "危险化学品")], 6);
    assert!(
        issues.iter().all(|i| i.code != IssueCode::InvalidInventory),
        "{issues:?}"
    );
}

/// A name with another in brackets before its CAS number (`天然气（甲烷）(74-82-8)`) is
/// read whole, and a line known only by the name in brackets keeps the CAS number it was
/// found by, so that the grading finds the same substance: methane, whose critical
/// quantity GB 18218-2018 Table 1 gives as 50 t.
#[test]
fn a_substance_known_by_its_bracketed_name_is_graded_as_it() {
    for (cell, name) in [
        ("天然气（甲烷）(74-82-8)=500吨", "天然气"),
        // A name the table does not have, with one it has in brackets.
        ("储罐物料（甲烷）=500吨", "储罐物料"),
    ] {
        let (p, issues) = run::<HazardSource>(
            &[
                (haz::NAME, s("LNG储罐"), "危险源名称"),
                (haz::INVENTORY, s(cell), "危险化学品"),
            ],
            6,
        );
        assert!(issues.is_empty(), "{cell}: {issues:?}");
        let p = p.expect("kept");
        assert_eq!(p.inventory.len(), 1);
        let item = &p.inventory[0];
        assert_eq!(
            (item.name.as_deref(), item.cas.as_deref(), item.tonnes),
            (Some(name), Some("74-82-8"), 500.0),
            "{cell}"
        );
        let table = crate::substances::SubstanceTable::builtin();
        let found = table
            .lookup(item.cas.as_deref(), item.name.as_deref())
            .expect("found by the grading's look-up");
        assert_eq!(
            (found.name_zh.as_str(), found.critical_tonnes),
            ("甲烷", 50.0)
        );
    }
}

/// A mixture named by its components in brackets is not graded as one of them, and a
/// CAS number given that the table lacks is not replaced by a bracketed name's: both
/// lines are refused and said, not counted for a substance they may not be.
#[test]
fn a_mixture_or_an_unknown_cas_is_not_taken_for_a_bracketed_name() {
    for cell in ["混合物（甲苯/乙醇）=10", "储罐物料（甲烷）(9999-99-9)=10"] {
        let (p, issues) = run::<HazardSource>(
            &[
                (haz::NAME, s("储罐"), "危险源名称"),
                (haz::INVENTORY, s(cell), "危险化学品"),
            ],
            6,
        );
        assert!(p.expect("kept").inventory.is_empty(), "{cell}");
        assert!(
            issues
                .iter()
                .any(|i| i.code == IssueCode::UnknownSubstance && i.severity == Severity::Skipped),
            "{cell}: {issues:?}"
        );
    }
}

#[test]
fn qra_from_object_and_cell() {
    let j = Value::Json(serde_json::json!({"high_sensitivity": 500, "一般防护目标一类": "300"}));
    let (p, issues) = run::<HazardSource>(
        &[(haz::NAME, s("a"), "名称"), (haz::QRA, j, "qra_distances")],
        6,
    );
    let q = p.and_then(|p| p.qra_distances).expect("qra");
    assert_eq!(
        (q.high_sensitivity, q.general_1, q.important),
        (Some(500.0), Some(300.0), None)
    );
    assert!(issues.is_empty());
    let (p, _) = run::<HazardSource>(
        &[
            (haz::NAME, s("a"), "名称"),
            (haz::QRA, s("高敏感=600；重要=450m"), "外部安全防护距离"),
        ],
        6,
    );
    let q = p.and_then(|p| p.qra_distances).expect("qra");
    assert_eq!(
        (q.high_sensitivity, q.important),
        (Some(600.0), Some(450.0))
    );
    let (p, _) = run::<HazardSource>(
        &[
            (haz::NAME, s("a"), "名称"),
            (haz::QRA, s("300"), "外部安全防护距离"),
        ],
        6,
    );
    assert_eq!(
        p.and_then(|p| p.qra_distances).and_then(|q| q.general_3),
        Some(300.0)
    );
}

#[test]
fn enterprise_needs_a_name_and_numbers_are_checked() {
    let (p, issues) = run::<Enterprise>(&[(ent::EMPLOYEES, s("50"), "从业人数")], 9);
    assert!(p.is_none());
    assert_eq!(issues[0].code, IssueCode::MissingRequiredField);
    let (p, issues) = run::<Enterprise>(
        &[
            (ent::NAME, s("某化工"), "企业名称"),
            (ent::EMPLOYEES, s("很多"), "从业人数"),
            (ent::OPEN_HIDDEN, s("-3"), "一般隐患数"),
            (ent::INDUSTRY, s("危化品经营企业"), "行业类别"),
        ],
        9,
    );
    let p = p.expect("kept");
    assert_eq!(p.industry, Some(Industry::HazchemTrade));
    assert_eq!(p.employees, None);
    let codes: Vec<_> = issues
        .iter()
        .map(|i| (i.code, i.field.clone().unwrap_or_default()))
        .collect();
    assert_eq!(
        codes,
        vec![
            (IssueCode::InvalidNumber, "从业人数".to_string()),
            (IssueCode::NegativeNumber, "一般隐患数".to_string())
        ]
    );
}
