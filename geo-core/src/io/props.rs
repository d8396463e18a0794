//! Typed properties of each layer, built from resolved cells, with every value problem
//! reported.

use std::borrow::Cow;

use crate::model::{
    Appraisal, Area, Enterprise, GasPipeline, HazardGrade, HazardSource, House, HouseUse, Industry,
    InventoryItem, LayerKind, PressureClass, ProtectionTarget, QraDistances, Rectification,
    RiskLevel, TargetClass, TargetKind, UnitType,
};
use crate::substances::SubstanceTable;

use super::LoadError;
use super::fields::{self, ItemDraft, NumError, Unit, Value, area, ent, gas, haz, house, target};
use super::report::{Issue, IssueCode, Position, Severity, Sink};

/// One resolved cell: the value, the column name as the file wrote it, and the factor
/// for a unit given in the header.
#[derive(Debug, Clone, Copy)]
pub struct Cell<'r> {
    pub value: &'r Value<'r>,
    pub column: &'r str,
    pub scale: f64,
}

/// The cells of one feature, indexed like the layer's field list.
pub type Record<'r> = [Option<Cell<'r>>];

/// Where a feature is, to attach issues to it.
pub struct FeatureCx<'c> {
    pub file: &'c str,
    pub layer: LayerKind,
    pub position: Position,
    pub id: &'c str,
    pub substances: &'c SubstanceTable,
    /// Fields the file has no column for at all (tables): a missing value there was
    /// reported once for the file, not for every row.
    pub absent: &'c [bool],
    pub sink: &'c mut Sink,
}

impl FeatureCx<'_> {
    /// Records an issue about this feature.
    pub(crate) fn issue(
        &mut self,
        severity: Severity,
        code: IssueCode,
        field: Option<&str>,
        message: impl Into<String>,
    ) -> Result<(), LoadError> {
        let issue = Issue {
            severity,
            code,
            file: self.file.to_string(),
            layer: Some(self.layer),
            position: Some(self.position),
            feature_id: Some(self.id.to_string()),
            field: field.map(str::to_string),
            message: message.into(),
        };
        self.sink.push(issue)
    }

    fn warn(
        &mut self,
        code: IssueCode,
        field: &str,
        message: impl Into<String>,
    ) -> Result<(), LoadError> {
        self.issue(Severity::Warning, code, Some(field), message)
    }
}

mod sealed {
    use super::{FeatureCx, Record};
    use crate::io::LoadError;

    /// How a layer's properties are built; implemented for the six model types only.
    pub trait Build: Sized + Send + Sync + 'static {
        /// Builds the properties; `Ok(None)` when the feature is skipped (the issue has
        /// been recorded).
        fn build(rec: &Record<'_>, cx: &mut FeatureCx<'_>) -> Result<Option<Self>, LoadError>;
    }
}

pub(crate) use sealed::Build;

/// The properties type of a layer: [`Enterprise`], [`HazardSource`], [`GasPipeline`],
/// [`House`], [`ProtectionTarget`] or [`Area`]. Sealed: only those six implement it.
pub trait LayerProps: sealed::Build {
    /// The layer these properties belong to.
    const KIND: LayerKind;
}

impl LayerProps for Enterprise {
    const KIND: LayerKind = LayerKind::Enterprises;
}
impl LayerProps for HazardSource {
    const KIND: LayerKind = LayerKind::HazardSources;
}
impl LayerProps for GasPipeline {
    const KIND: LayerKind = LayerKind::GasPipelines;
}
impl LayerProps for House {
    const KIND: LayerKind = LayerKind::Houses;
}
impl LayerProps for ProtectionTarget {
    const KIND: LayerKind = LayerKind::ProtectionTargets;
}
impl LayerProps for Area {
    const KIND: LayerKind = LayerKind::Areas;
}

fn cell<'r>(rec: &'r Record<'r>, i: usize) -> Option<Cell<'r>> {
    rec.get(i).copied().flatten()
}

fn text(rec: &Record<'_>, i: usize) -> Option<String> {
    cell(rec, i).and_then(|c| c.value.text().map(Cow::into_owned))
}

/// A non-negative number; problems are warnings and leave the field empty.
fn number(
    cx: &mut FeatureCx<'_>,
    rec: &Record<'_>,
    i: usize,
    unit: Unit,
) -> Result<Option<f64>, LoadError> {
    let Some(c) = cell(rec, i) else {
        return Ok(None);
    };
    match fields::parse_number(c.value, unit) {
        Ok(None) => Ok(None),
        Ok(Some(x)) if !x.is_finite() => {
            cx.warn(
                IssueCode::InvalidNumber,
                c.column,
                format!("{} is not a finite number; left empty", c.column),
            )?;
            Ok(None)
        }
        Ok(Some(x)) if x < 0.0 => {
            cx.warn(
                IssueCode::NegativeNumber,
                c.column,
                format!("{} is {x}, which cannot be negative; left empty", c.column),
            )?;
            Ok(None)
        }
        Ok(Some(x)) => Ok(Some(x * c.scale)),
        Err(NumError::NotANumber(t)) => {
            cx.warn(
                IssueCode::InvalidNumber,
                c.column,
                format!("{} is {t:?}, not a number; left empty", c.column),
            )?;
            Ok(None)
        }
        Err(NumError::BadUnit(t)) => {
            cx.warn(
                IssueCode::InvalidNumber,
                c.column,
                format!(
                    "{} is {t:?}, with a unit this field does not accept; left empty",
                    c.column
                ),
            )?;
            Ok(None)
        }
    }
}

/// A whole non-negative number that fits `max`.
fn count(
    cx: &mut FeatureCx<'_>,
    rec: &Record<'_>,
    i: usize,
    max: u32,
) -> Result<Option<u32>, LoadError> {
    let Some(x) = number(cx, rec, i, Unit::Plain)? else {
        return Ok(None);
    };
    if x.fract() != 0.0 || x > f64::from(max) {
        let column = cell(rec, i).map(|c| c.column).unwrap_or("");
        cx.warn(
            IssueCode::InvalidNumber,
            column,
            format!("{column} is {x}, not a whole number from 0 to {max}; left empty"),
        )?;
        return Ok(None);
    }
    Ok(Some(x as u32))
}

/// A closed vocabulary read from a cell.
trait Vocab: Copy + 'static {
    const WHAT: &'static str;
    fn parse_one(s: &str) -> Option<Self>;
    fn allowed() -> String;
    /// The value whose Chinese name or English key is exactly `s`, found without
    /// allocating: ledgers mostly write one of those, and `parse` allocates.
    fn exact(_s: &str) -> Option<Self> {
        None
    }
}

macro_rules! vocab {
    ($t:ty, $what:literal) => {
        impl Vocab for $t {
            const WHAT: &'static str = $what;
            fn parse_one(s: &str) -> Option<Self> {
                <$t>::parse(s)
            }
            fn exact(s: &str) -> Option<Self> {
                <$t>::ALL
                    .iter()
                    .copied()
                    .find(|v| v.name_zh() == s || v.key() == s)
            }
            fn allowed() -> String {
                fields::allowed_list(<$t>::ALL, <$t>::key, <$t>::name_zh)
            }
        }
    };
}

vocab!(Industry, "industry");
vocab!(UnitType, "unit type");
vocab!(PressureClass, "pressure class");
vocab!(HouseUse, "house use");
vocab!(Appraisal, "appraisal grade");
vocab!(Rectification, "rectification status");
vocab!(TargetKind, "protection-target kind");
vocab!(TargetClass, "protection-target class");

impl Vocab for RiskLevel {
    const WHAT: &'static str = "risk level";
    fn parse_one(s: &str) -> Option<Self> {
        RiskLevel::parse(s)
    }
    fn allowed() -> String {
        fields::allowed_list(&RiskLevel::DESCENDING, RiskLevel::name, RiskLevel::name_zh)
    }
}

impl Vocab for HazardGrade {
    const WHAT: &'static str = "hazard grade";
    fn parse_one(s: &str) -> Option<Self> {
        HazardGrade::parse(s)
    }
    fn allowed() -> String {
        "1 (一级), 2 (二级), 3 (三级), 4 (四级)".into()
    }
}

/// Tries the text as written, then with full-width forms, spaces and brackets removed,
/// ASCII letters upper-cased and a generic suffix (企业, 单位, 类) dropped: `中压（a）`
/// is 中压A, `危化品经营企业` is hazchem_trade.
fn parse_vocab<T: Vocab>(raw: &str) -> Option<T> {
    if let Some(v) = T::exact(raw).or_else(|| T::parse_one(raw)) {
        return Some(v);
    }
    let compact: String = raw
        .chars()
        .map(fields::half_width)
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '[' | ']' | '【' | '】'))
        .collect();
    let upper = compact.to_ascii_uppercase();
    let mut candidates = vec![compact.clone(), upper.clone()];
    for suffix in ["企业", "单位", "类", "级"] {
        if let Some(s) = upper.strip_suffix(suffix) {
            candidates.push(s.to_string());
        }
    }
    candidates.iter().find_map(|c| T::parse_one(c))
}

fn vocab<T: Vocab>(
    cx: &mut FeatureCx<'_>,
    rec: &Record<'_>,
    i: usize,
) -> Result<Option<T>, LoadError> {
    let Some(c) = cell(rec, i) else {
        return Ok(None);
    };
    let Some(t) = c.value.text() else {
        return Ok(None);
    };
    if fields::is_placeholder(&t) {
        return Ok(None);
    }
    match parse_vocab::<T>(&t) {
        Some(v) => Ok(Some(v)),
        None => {
            cx.warn(
                IssueCode::UnknownValue,
                c.column,
                format!(
                    "unknown {} {t:?} in {}; allowed: {}; left empty",
                    T::WHAT,
                    c.column,
                    T::allowed()
                ),
            )?;
            Ok(None)
        }
    }
}

/// A name that should be there: when empty the id stands in, with a warning unless the
/// whole column is missing (then the file-level issue said so once).
fn name_or_id(
    cx: &mut FeatureCx<'_>,
    rec: &Record<'_>,
    i: usize,
    label: &str,
) -> Result<String, LoadError> {
    if let Some(n) = text(rec, i) {
        return Ok(n);
    }
    if !cx.absent.get(i).copied().unwrap_or(false) {
        let column = cell(rec, i).map(|c| c.column).unwrap_or(label).to_string();
        cx.warn(
            IssueCode::MissingField,
            &column,
            format!("{label} is empty; the id {:?} is used as the name", cx.id),
        )?;
    }
    Ok(cx.id.to_string())
}

impl Build for Enterprise {
    fn build(rec: &Record<'_>, cx: &mut FeatureCx<'_>) -> Result<Option<Self>, LoadError> {
        let Some(name) = text(rec, ent::NAME) else {
            let column = cell(rec, ent::NAME)
                .map(|c| c.column)
                .unwrap_or("name (企业名称)")
                .to_string();
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
            let column = cell(rec, ent::CREDIT_CODE)
                .map(|c| c.column)
                .unwrap_or("credit_code")
                .to_string();
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
            let column = cell(rec, gas::DESIGN_PRESSURE)
                .map(|c| c.column)
                .unwrap_or("design_pressure_mpa")
                .to_string();
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
                        let class_col = cell(rec, gas::PRESSURE_CLASS)
                            .map(|c| c.column)
                            .unwrap_or("pressure_class")
                            .to_string();
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
        let year_laid = match number(cx, rec, gas::YEAR, Unit::Year)? {
            Some(y) if y.fract() == 0.0 && (1900.0..=2100.0).contains(&y) => Some(y as u16),
            Some(y) => {
                let column = cell(rec, gas::YEAR)
                    .map(|c| c.column)
                    .unwrap_or("year_laid")
                    .to_string();
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
            address: text(rec, house::ADDRESS).unwrap_or_default(),
            floors: count(cx, rec, house::FLOORS, u32::from(u16::MAX))?.map(|x| x as u16),
            house_use: vocab(cx, rec, house::USE)?,
            occupants: count(cx, rec, house::OCCUPANTS, u32::MAX)?,
            appraisal: vocab(cx, rec, house::APPRAISAL)?,
            rectification: vocab(cx, rec, house::RECTIFICATION)?,
            phone: text(rec, house::PHONE),
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

/// Reads an inventory: a cell in the documented syntax, a JSON array of lines (objects or
/// strings), or a JSON object `{substance: tonnes}`. Lines that cannot be used are
/// excluded and reported; the feature is kept.
fn inventory(cx: &mut FeatureCx<'_>, c: Cell<'_>) -> Result<Vec<InventoryItem>, LoadError> {
    // (field to report, one-based line or item number, the line read)
    type Draft = (String, usize, Result<ItemDraft, String>);
    let cell_lines = |text: &str| -> Vec<Draft> {
        fields::parse_inventory_cell(text)
            .into_iter()
            .enumerate()
            .map(|(i, r)| (c.column.to_string(), i + 1, r))
            .collect()
    };
    let drafts: Vec<Draft> = match c.value {
        Value::Null | Value::Json(serde_json::Value::Null) => Vec::new(),
        Value::Str(s) => cell_lines(s),
        Value::Json(serde_json::Value::String(s)) => cell_lines(s),
        Value::Json(serde_json::Value::Array(items)) => items
            .iter()
            .enumerate()
            .flat_map(|(i, item)| -> Vec<Draft> {
                let field = format!("{}[{i}]", c.column);
                match item {
                    serde_json::Value::Object(o) => {
                        vec![(field, i + 1, fields::inventory_item_from_json(o))]
                    }
                    serde_json::Value::String(s) => fields::parse_inventory_cell(s)
                        .into_iter()
                        .map(|r| (field.clone(), i + 1, r))
                        .collect(),
                    other => vec![(
                        field,
                        i + 1,
                        Err(format!("{other} is not an inventory line")),
                    )],
                }
            })
            .collect(),
        Value::Json(serde_json::Value::Object(o)) => o
            .iter()
            .enumerate()
            .map(|(i, (k, v))| {
                let mut d = fields::parse_substance(k);
                d.tonnes = fields::parse_number(&Value::Json(v.clone()), Unit::Tonnes);
                (format!("{}.{k}", c.column), i + 1, Ok(d))
            })
            .collect(),
        other => vec![(
            c.column.to_string(),
            1,
            Err(format!(
                "{:?} is not an inventory (expected e.g. 氯(7782-50-5)=20;液氨=35)",
                other.text().unwrap_or_default()
            )),
        )],
    };
    let mut items = Vec::with_capacity(drafts.len());
    for (field, n, draft) in drafts {
        let d = match draft {
            Ok(d) => d,
            Err(msg) => {
                cx.issue(
                    Severity::Skipped,
                    IssueCode::InvalidInventory,
                    Some(&field),
                    format!("inventory line {n}: {msg}; the line was excluded"),
                )?;
                continue;
            }
        };
        let what = format!("inventory line {n} ({})", describe(&d));
        let tonnes = match &d.tonnes {
            Ok(Some(t)) if t.is_finite() && *t >= 0.0 => *t,
            Ok(Some(t)) => {
                cx.issue(
                    Severity::Skipped,
                    IssueCode::NegativeNumber,
                    Some(&field),
                    format!(
                        "{what}: quantity {t} t is not a non-negative number; the line was excluded"
                    ),
                )?;
                continue;
            }
            Ok(None) => {
                cx.issue(
                    Severity::Skipped,
                    IssueCode::MissingRequiredField,
                    Some(&field),
                    format!("{what} has no quantity (tonnes, 数量(吨)); the line was excluded"),
                )?;
                continue;
            }
            Err(NumError::NotANumber(t)) | Err(NumError::BadUnit(t)) => {
                cx.issue(
                    Severity::Skipped,
                    IssueCode::InvalidNumber,
                    Some(&field),
                    format!(
                        "{what}: quantity {t:?} is not a number of tonnes; the line was excluded"
                    ),
                )?;
                continue;
            }
        };
        if let Some(cas) = &d.cas
            && !fields::cas_checksum_ok(cas)
        {
            cx.warn(
                IssueCode::InvalidCas,
                &field,
                format!("{what}: CAS number {cas} fails its check digit; looked up by name too"),
            )?;
        }
        let known = cx
            .substances
            .lookup(d.cas.as_deref(), d.name.as_deref())
            .is_some()
            || d.alt_names
                .iter()
                .any(|n| cx.substances.lookup(None, Some(n)).is_some());
        if !known {
            match &d.category {
                Some(cat) if cx.substances.category(cat).is_some() => {}
                Some(cat) => {
                    cx.issue(
                        Severity::Skipped,
                        IssueCode::UnknownCategory,
                        Some(&field),
                        format!(
                            "{what}: the substance is not in the substance table and category \
                             {cat:?} is not a GB 18218-2018 category (W1.1–W11, J1–J5); the line \
                             was excluded"
                        ),
                    )?;
                    continue;
                }
                None => {
                    cx.issue(
                        Severity::Skipped,
                        IssueCode::UnknownSubstance,
                        Some(&field),
                        format!(
                            "{what}: neither the CAS number nor the name is in the substance \
                             table, and no category is given (write e.g. 名称(CAS,W3)=10); the \
                             line was excluded"
                        ),
                    )?;
                    continue;
                }
            }
        }
        items.push(InventoryItem {
            cas: d.cas,
            name: d.name,
            category: d.category,
            tonnes,
        });
    }
    Ok(items)
}

fn describe(d: &ItemDraft) -> String {
    let mut parts = Vec::new();
    if let Some(n) = &d.name {
        parts.push(n.clone());
    }
    if let Some(c) = &d.cas {
        parts.push(format!("CAS {c}"));
    }
    if let Some(c) = &d.category {
        parts.push(format!("category {c}"));
    }
    format!("{:?}", parts.join(", "))
}

/// Reads QRA distances: a JSON object `{class: metres}`, a cell `class=metres;…`
/// (classes in English or Chinese), or a single number for every class.
fn qra(cx: &mut FeatureCx<'_>, c: Cell<'_>) -> Result<Option<QraDistances>, LoadError> {
    let pairs: Vec<(String, Value<'_>)> = match c.value {
        Value::Null => return Ok(None),
        Value::Num(_) => all_classes(c.value.clone()),
        Value::Json(serde_json::Value::Number(_)) => all_classes(c.value.clone()),
        Value::Json(serde_json::Value::Object(o)) => o
            .iter()
            .map(|(k, v)| (k.clone(), Value::Json(v.clone())))
            .collect(),
        Value::Str(_) | Value::Json(serde_json::Value::String(_)) => {
            let t = c.value.text().unwrap_or_default();
            let t = fields::half_width_str(&t).into_owned();
            if fields::is_placeholder(t.trim()) {
                return Ok(None);
            }
            if fields::parse_number_str(&t, Unit::Metres).is_ok() {
                all_classes(Value::Str(Cow::Owned(t)))
            } else {
                let mut v = Vec::new();
                for piece in t
                    .split([';', '、', '|', '\n'])
                    .map(str::trim)
                    .filter(|p| !p.is_empty())
                {
                    match piece.rfind(['=', ':']) {
                        Some(i) => v.push((
                            piece[..i].trim().to_string(),
                            Value::Str(Cow::Owned(piece[i + 1..].trim().to_string())),
                        )),
                        None => {
                            cx.warn(
                                IssueCode::InvalidValue,
                                c.column,
                                format!("QRA distance {piece:?} is not class=metres; ignored"),
                            )?;
                        }
                    }
                }
                v
            }
        }
        other => {
            cx.warn(
                IssueCode::InvalidValue,
                c.column,
                format!(
                    "{} is not a table of QRA distances (expected e.g. high_sensitivity=500;important=300); ignored",
                    other.text().unwrap_or_default()
                ),
            )?;
            return Ok(None);
        }
    };
    let mut q = QraDistances::default();
    for (k, v) in pairs {
        let key = fields::norm_key(&k);
        let key = key
            .trim_end_matches("(m)")
            .trim_end_matches("_m")
            .trim_end_matches('m');
        let class = parse_vocab::<TargetClass>(&k).or_else(|| parse_vocab::<TargetClass>(key));
        let Some(class) = class else {
            cx.warn(
                IssueCode::UnknownValue,
                c.column,
                format!(
                    "unknown protection-target class {k:?} in {}; allowed: {}; ignored",
                    c.column,
                    <TargetClass as Vocab>::allowed()
                ),
            )?;
            continue;
        };
        let metres = match fields::parse_number(&v, Unit::Metres) {
            Ok(Some(m)) if m.is_finite() && m >= 0.0 => m,
            Ok(None) => continue,
            _ => {
                cx.warn(
                    IssueCode::InvalidNumber,
                    c.column,
                    format!(
                        "QRA distance for {} is {:?}, not metres; ignored",
                        class.key(),
                        v.text().unwrap_or_default()
                    ),
                )?;
                continue;
            }
        };
        let slot = match class {
            TargetClass::HighSensitivity => &mut q.high_sensitivity,
            TargetClass::Important => &mut q.important,
            TargetClass::General1 => &mut q.general_1,
            TargetClass::General2 => &mut q.general_2,
            TargetClass::General3 => &mut q.general_3,
        };
        *slot = Some(metres);
    }
    Ok((!q.is_empty()).then_some(q))
}

fn all_classes(v: Value<'_>) -> Vec<(String, Value<'_>)> {
    TargetClass::ALL
        .iter()
        .map(|c| (c.key().to_string(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
            absent: &absent,
            sink: &mut sink,
        };
        let p = P::build(&rec, &mut cx).ok().flatten();
        (p, sink.issues)
    }

    fn s(t: &str) -> Value<'_> {
        Value::Str(Cow::Borrowed(t))
    }

    #[test]
    fn pressure_class_from_design_pressure_and_out_of_range() {
        let (p, issues) =
            run::<GasPipeline>(&[(gas::DESIGN_PRESSURE, s("0.3"), "设计压力(MPa)")], 6);
        assert_eq!(
            p.and_then(|p| p.pressure_class),
            Some(PressureClass::MediumA)
        );
        assert!(issues.is_empty());
        let (p, issues) =
            run::<GasPipeline>(&[(gas::DESIGN_PRESSURE, s("6.3"), "设计压力(MPa)")], 6);
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
            issues[0].message.contains("\"超高压\"")
                && issues[0].message.contains("medium_b (中压B)")
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
                        "氯(7782-50-5)=20；液氨=35；硫酸=100；某溶剂(W5.3)=2；某物(W99)=1；甲醇=；苯=-1",
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
        assert_eq!(names, vec!["氯", "液氨", "某溶剂"]);
        let codes: Vec<_> = issues.iter().map(|i| i.code).collect();
        assert_eq!(
            codes,
            vec![
                IssueCode::UnknownSubstance,
                IssueCode::UnknownCategory,
                IssueCode::MissingRequiredField,
                IssueCode::NegativeNumber
            ]
        );
        assert!(issues.iter().all(|i| i.severity == Severity::Skipped));
        assert!(issues[0].message.contains("硫酸"));
    }

    #[test]
    fn qra_from_object_and_cell() {
        let j =
            Value::Json(serde_json::json!({"high_sensitivity": 500, "一般防护目标一类": "300"}));
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
}
