//! Field names and their Chinese aliases, and the parsing of cell values.
//!
//! Every reader turns a row or a feature's properties into `(column name, Value)` pairs;
//! a [`Resolver`] maps each column name to a field of the layer (by English key or any
//! alias, ignoring case, spaces, `_`, `-`, full-width forms and a unit in brackets), and
//! the helpers here turn values into numbers, text and vocabulary entries. The tables
//! are the source of the field lists in `docs/data-model.md` (a test checks that every
//! alias is documented).

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::LayerKind;

/// A value as a reader found it, before it is typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Value<'a> {
    /// JSON null, an empty cell.
    Null,
    /// A boolean cell.
    Bool(bool),
    /// A number cell (JSON number, numeric cell, DBF numeric).
    Num(f64),
    /// Text.
    Str(Cow<'a, str>),
    /// A JSON array or object (inventory, QRA distances).
    Json(serde_json::Value),
}

impl Value<'_> {
    /// The value as trimmed text; `None` when empty.
    pub(crate) fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Null => None,
            Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
            Value::Num(n) => Some(Cow::Owned(format_number(*n))),
            Value::Str(s) => {
                let t = s.trim();
                (!t.is_empty()).then_some(Cow::Borrowed(t))
            }
            Value::Json(serde_json::Value::Null) => None,
            Value::Json(serde_json::Value::String(s)) => {
                let t = s.trim();
                (!t.is_empty()).then_some(Cow::Borrowed(t))
            }
            Value::Json(j) => Some(Cow::Owned(j.to_string())),
        }
    }
}

/// A number as text, without a fractional part when it has none, so that codes and
/// phone numbers stored as numbers (Excel, DBF) read back as written.
pub(crate) fn format_number(n: f64) -> String {
    if n.is_finite() && n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

/// The unit a numeric field is kept in, and the other units accepted for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// A plain number or count (a trailing 人/层/户/个 is accepted).
    Plain,
    /// Tonnes (`t`, `吨`; `kg`, `千克`, `公斤` are converted).
    Tonnes,
    /// MPa (`MPa`, `兆帕`; `kPa`, `千帕`, `bar` are converted).
    Mpa,
    /// Millimetres (`mm`, `毫米`, `DN200`, `De110`, `Φ219`; `cm`, `m` are converted).
    Mm,
    /// Metres (`m`, `米`; `km` is converted).
    Metres,
    /// A calendar year (`2005`, `2005年`, `2005-06-01`).
    Year,
}

impl Unit {
    /// Scale from a unit written after a value or in a header to this field's unit.
    fn scale(self, unit: &str) -> Option<f64> {
        let u = unit.trim().to_lowercase();
        let u = u.as_str();
        Some(match (self, u) {
            (_, "") => 1.0,
            (Unit::Plain, "人" | "层" | "户" | "个" | "处" | "名" | "间" | "栋" | "幢") => {
                1.0
            }
            (Unit::Tonnes, "t" | "吨" | "tonnes" | "tonne" | "ton" | "tons") => 1.0,
            (Unit::Tonnes, "kg" | "千克" | "公斤") => 0.001,
            (Unit::Mpa, "mpa" | "兆帕") => 1.0,
            (Unit::Mpa, "kpa" | "千帕") => 0.001,
            (Unit::Mpa, "bar") => 0.1,
            (Unit::Mm, "mm" | "毫米") => 1.0,
            (Unit::Mm, "cm" | "厘米") => 10.0,
            (Unit::Mm, "m" | "米") => 1000.0,
            (Unit::Metres, "m" | "米") => 1.0,
            (Unit::Metres, "km" | "公里" | "千米") => 1000.0,
            (Unit::Year, "年") => 1.0,
            _ => return None,
        })
    }
}

/// One field of a layer: its English key, the column names accepted for it and its unit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldSpec {
    /// English key, as in the model and in exports.
    pub key: &'static str,
    /// Other names accepted (Chinese first; a few English synonyms).
    pub aliases: &'static [&'static str],
    /// Unit of a numeric field.
    pub unit: Unit,
}

const fn f(key: &'static str, aliases: &'static [&'static str]) -> FieldSpec {
    FieldSpec {
        key,
        aliases,
        unit: Unit::Plain,
    }
}

const fn fu(key: &'static str, aliases: &'static [&'static str], unit: Unit) -> FieldSpec {
    FieldSpec { key, aliases, unit }
}

/// The id column.
pub(crate) const ID: FieldSpec = f(
    "id",
    &[
        "编号",
        "唯一编号",
        "要素编号",
        "标识码",
        "企业编号",
        "危险源编号",
        "重大危险源编号",
        "管道编号",
        "管线编号",
        "房屋编号",
        "目标编号",
    ],
);
/// Longitude or easting.
pub(crate) const LON: FieldSpec = f(
    "lon",
    &[
        "经度",
        "东经",
        "lng",
        "long",
        "longitude",
        "x",
        "X坐标",
        "横坐标",
    ],
);
/// Latitude or northing.
pub(crate) const LAT: FieldSpec = f("lat", &["纬度", "北纬", "latitude", "y", "Y坐标", "纵坐标"]);
/// A WKT geometry.
pub(crate) const WKT: FieldSpec = f(
    "wkt",
    &[
        "geometry",
        "geom",
        "the_geom",
        "几何",
        "几何信息",
        "空间信息",
        "空间数据",
        "坐标串",
    ],
);

// Field indices are positions in the arrays below; a test checks them.

/// Enterprise fields.
pub(crate) mod ent {
    pub const NAME: usize = 0;
    pub const CREDIT_CODE: usize = 1;
    pub const INDUSTRY: usize = 2;
    pub const EMPLOYEES: usize = 3;
    pub const DECLARED_LEVEL: usize = 4;
    pub const OPEN_HIDDEN: usize = 5;
    pub const OPEN_MAJOR_HIDDEN: usize = 6;
    pub const PARK: usize = 7;
    pub const PHONE: usize = 8;
}
pub(crate) const ENTERPRISE_FIELDS: &[FieldSpec] = &[
    f(
        "name",
        &[
            "名称",
            "企业名称",
            "单位名称",
            "企业名",
            "企业(单位)名称",
            "企业单位名称",
        ],
    ),
    f(
        "credit_code",
        &[
            "统一社会信用代码",
            "信用代码",
            "社会信用代码",
            "统一信用代码",
        ],
    ),
    f(
        "industry",
        &["行业类别", "行业", "行业分类", "监管行业", "行业领域"],
    ),
    f(
        "employees",
        &[
            "从业人数",
            "从业人员",
            "从业人员数",
            "职工人数",
            "员工人数",
            "人数",
        ],
    ),
    f(
        "declared_level",
        &[
            "风险等级",
            "申报风险等级",
            "安全风险等级",
            "风险级别",
            "level",
        ],
    ),
    f(
        "open_hidden_hazards",
        &["未整改一般隐患数", "一般隐患数", "未整改隐患数", "隐患数"],
    ),
    f(
        "open_major_hidden_hazards",
        &[
            "未整改重大事故隐患数",
            "未整改重大隐患数",
            "重大事故隐患数",
            "重大隐患数",
        ],
    ),
    f("park", &["所在园区", "园区", "化工园区", "所属园区"]),
    f("phone", &["联系电话", "电话", "手机", "联系方式"]),
];

/// Hazard-source fields.
pub(crate) mod haz {
    pub const NAME: usize = 0;
    pub const ENTERPRISE: usize = 1;
    pub const UNIT_TYPE: usize = 2;
    pub const INVENTORY: usize = 3;
    pub const GRADE: usize = 4;
    pub const QRA: usize = 5;
}
pub(crate) const HAZARD_FIELDS: &[FieldSpec] = &[
    f(
        "name",
        &["危险源名称", "重大危险源名称", "名称", "单元名称"],
    ),
    f(
        "enterprise_id",
        &[
            "enterprise",
            "所属企业",
            "企业名称",
            "企业编号",
            "所属企业编号",
            "企业",
        ],
    ),
    f("unit_type", &["单元类型", "单元类别", "类型"]),
    f(
        "inventory",
        &[
            "危险化学品",
            "危险化学品及数量",
            "物质清单",
            "危险物质",
            "危化品",
            "物质及数量",
            "储量",
        ],
    ),
    f(
        "declared_grade",
        &[
            "grade",
            "等级",
            "级别",
            "危险源等级",
            "重大危险源等级",
            "重大危险源级别",
            "申报等级",
        ],
    ),
    f(
        "qra_distances",
        &["qra", "外部安全防护距离", "定量风险评价距离", "QRA距离"],
    ),
];

/// Gas-pipeline fields.
pub(crate) mod gas {
    pub const NAME: usize = 0;
    pub const PRESSURE_CLASS: usize = 1;
    pub const DESIGN_PRESSURE: usize = 2;
    pub const DIAMETER: usize = 3;
    pub const MATERIAL: usize = 4;
    pub const YEAR: usize = 5;
}
pub(crate) const PIPELINE_FIELDS: &[FieldSpec] = &[
    f("name", &["管道名称", "管线名称", "名称"]),
    f(
        "pressure_class",
        &["压力级制", "压力等级", "压力级别", "压力类别"],
    ),
    fu(
        "design_pressure_mpa",
        &["design_pressure", "设计压力"],
        Unit::Mpa,
    ),
    fu(
        "diameter_mm",
        &["diameter", "管径", "公称直径", "口径", "管径规格"],
        Unit::Mm,
    ),
    f("material", &["管材", "材质", "管道材质"]),
    fu(
        "year_laid",
        &[
            "year",
            "敷设年份",
            "敷设年代",
            "建设年份",
            "建成年份",
            "投运年份",
            "敷设时间",
            "建设时间",
        ],
        Unit::Year,
    ),
];

/// House fields.
pub(crate) mod house {
    pub const ADDRESS: usize = 0;
    pub const FLOORS: usize = 1;
    pub const USE: usize = 2;
    pub const OCCUPANTS: usize = 3;
    pub const APPRAISAL: usize = 4;
    pub const RECTIFICATION: usize = 5;
    pub const PHONE: usize = 6;
}
pub(crate) const HOUSE_FIELDS: &[FieldSpec] = &[
    f(
        "address",
        &["name", "地址", "房屋地址", "详细地址", "房屋名称", "名称"],
    ),
    f(
        "floors",
        &["层数", "楼层数", "建筑层数", "地上层数", "房屋层数"],
    ),
    f(
        "house_use",
        &["use", "用途", "房屋用途", "使用用途", "使用性质"],
    ),
    f(
        "occupants",
        &["居住人数", "使用人数", "居住使用人数", "常住人数", "人数"],
    ),
    f(
        "appraisal",
        &[
            "鉴定等级",
            "安全鉴定等级",
            "鉴定结论",
            "危房等级",
            "房屋安全等级",
        ],
    ),
    f(
        "rectification",
        &["整治状态", "整治情况", "整改状态", "整治进度"],
    ),
    f("phone", &["产权人电话", "联系电话", "电话", "手机"]),
];

/// Protection-target fields.
pub(crate) mod target {
    pub const NAME: usize = 0;
    pub const KIND: usize = 1;
    pub const CLASS: usize = 2;
    pub const POPULATION: usize = 3;
    pub const HOUSEHOLDS: usize = 4;
}
pub(crate) const TARGET_FIELDS: &[FieldSpec] = &[
    f("name", &["名称", "目标名称", "防护目标名称", "单位名称"]),
    f("kind", &["type", "类型", "目标类型", "防护目标类型"]),
    f("class", &["类别", "防护目标类别", "目标类别", "防护类别"]),
    f(
        "population",
        &["人数", "人口", "人口数", "容纳人数", "人员数量"],
    ),
    f("households", &["户数", "住户数"]),
];

/// Area fields.
pub(crate) mod area {
    pub const NAME: usize = 0;
    pub const CODE: usize = 1;
}
pub(crate) const AREA_FIELDS: &[FieldSpec] = &[
    f(
        "name",
        &[
            "名称",
            "镇街名称",
            "乡镇名称",
            "街道名称",
            "镇街",
            "乡镇街道",
        ],
    ),
    f("code", &["行政区划代码", "区划代码", "代码", "adcode"]),
];

/// Keys of one inventory line given as an object.
pub(crate) const INVENTORY_ITEM_FIELDS: &[FieldSpec] = &[
    f("cas", &["CAS号", "CAS编号", "cas_no", "casno"]),
    f("name", &["物质名称", "名称", "品名", "化学品名称"]),
    f("category", &["类别", "危险性类别", "危险类别"]),
    fu(
        "tonnes",
        &[
            "数量(吨)",
            "数量",
            "储量",
            "最大储量",
            "存量",
            "quantity",
            "t",
        ],
        Unit::Tonnes,
    ),
];

/// The fields of a layer.
pub(crate) fn layer_fields(kind: LayerKind) -> &'static [FieldSpec] {
    match kind {
        LayerKind::Enterprises => ENTERPRISE_FIELDS,
        LayerKind::HazardSources => HAZARD_FIELDS,
        LayerKind::GasPipelines => PIPELINE_FIELDS,
        LayerKind::Houses => HOUSE_FIELDS,
        LayerKind::ProtectionTargets => TARGET_FIELDS,
        LayerKind::Areas => AREA_FIELDS,
        // Results are computed, never read from a table.
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => &[],
    }
}

/// What a column is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Slot {
    /// The feature id.
    Id,
    /// Longitude / easting.
    Lon,
    /// Latitude / northing.
    Lat,
    /// WKT geometry.
    Wkt,
    /// A field of the layer, by index in its field list.
    Field(usize),
}

/// A column resolved to a slot, with the factor that brings a unit in the header (such
/// as `数量(kg)`) to the field's unit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Resolved {
    pub slot: Slot,
    pub scale: f64,
}

/// Normalises a column name for matching: full-width forms to ASCII, lower case, and
/// no spaces, underscores, hyphens or invisible characters.
pub(crate) fn norm_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        let c = half_width(c);
        if c.is_whitespace() || matches!(c, '_' | '-' | '\u{feff}' | '\u{200b}') {
            continue;
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// Full-width ASCII forms (Ａ, （, ：, ０) and the ideographic space to their ASCII forms.
pub(crate) fn half_width(c: char) -> char {
    match c {
        '\u{ff01}'..='\u{ff5e}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

/// A string with full-width forms replaced.
pub(crate) fn half_width_str(s: &str) -> Cow<'_, str> {
    if s.chars().any(|c| half_width(c) != c) {
        Cow::Owned(s.chars().map(half_width).collect())
    } else {
        Cow::Borrowed(s)
    }
}

/// Splits a trailing unit in brackets off a normalised name: `设计压力(mpa)` →
/// (`设计压力`, `mpa`).
fn split_unit(k: &str) -> Option<(&str, &str)> {
    let (open, close) = if k.ends_with(')') {
        ('(', ')')
    } else if k.ends_with('】') {
        ('【', '】')
    } else if k.ends_with(']') {
        ('[', ']')
    } else {
        return None;
    };
    let start = k.rfind(open)?;
    let base = &k[..start];
    let unit = &k[start + open.len_utf8()..k.len() - close.len_utf8()];
    (!base.is_empty()).then_some((base, unit))
}

type AliasMap = HashMap<String, Slot>;

fn build_alias_map(fields: &[FieldSpec]) -> AliasMap {
    let mut m = AliasMap::new();
    // Layer fields first so that a layer's own meaning of a shared alias wins over the
    // generic columns (none clash today; the order makes that a rule).
    for (i, spec) in fields.iter().enumerate() {
        for name in std::iter::once(&spec.key).chain(spec.aliases) {
            m.entry(norm_key(name)).or_insert(Slot::Field(i));
        }
    }
    for (spec, slot) in [
        (ID, Slot::Id),
        (LON, Slot::Lon),
        (LAT, Slot::Lat),
        (WKT, Slot::Wkt),
    ] {
        for name in std::iter::once(&spec.key).chain(spec.aliases) {
            m.entry(norm_key(name)).or_insert(slot);
        }
    }
    m
}

fn alias_map(kind: LayerKind) -> &'static AliasMap {
    static MAPS: [OnceLock<AliasMap>; 6] = [const { OnceLock::new() }; 6];
    let i = kind as usize;
    MAPS[i].get_or_init(|| build_alias_map(layer_fields(kind)))
}

/// Looks a normalised name up, trying it without a bracketed unit when it is not found.
fn lookup(map: &AliasMap, fields: &[FieldSpec], k: &str) -> Option<(Resolved, Option<String>)> {
    if let Some(&slot) = map.get(k) {
        return Some((Resolved { slot, scale: 1.0 }, None));
    }
    let (base, unit) = split_unit(k)?;
    let &slot = map.get(base)?;
    let field_unit = match slot {
        Slot::Field(i) => fields.get(i).map(|s| s.unit).unwrap_or(Unit::Plain),
        _ => Unit::Plain,
    };
    match field_unit.scale(unit) {
        Some(scale) => Some((Resolved { slot, scale }, None)),
        // A count or text field with a unit we do not know (`人数(人次)`) still means the
        // field; for a measured field an unknown unit would change the numbers, so say so.
        None if field_unit == Unit::Plain => Some((Resolved { slot, scale: 1.0 }, None)),
        None => Some((
            Resolved { slot, scale: 1.0 },
            Some(format!(
                "unit {unit:?} not recognised; values read in the field's own unit"
            )),
        )),
    }
}

/// Maps a file's column names to a layer's fields, with the renames of `riskmap.toml`.
#[derive(Debug, Clone)]
pub(crate) struct Resolver {
    kind: LayerKind,
    /// normalised source name → target name, from the manifest
    renames: HashMap<String, String>,
}

impl Resolver {
    /// A resolver for a layer with `columns = { "source" = "target" }` renames.
    pub(crate) fn new(kind: LayerKind, renames: &[(String, String)]) -> Self {
        Resolver {
            kind,
            renames: renames
                .iter()
                .map(|(from, to)| (norm_key(from), to.clone()))
                .collect(),
        }
    }

    /// Whether a rename target names a field of the layer (or id, lon, lat, wkt).
    pub(crate) fn knows_target(kind: LayerKind, target: &str) -> bool {
        lookup(alias_map(kind), layer_fields(kind), &norm_key(target)).is_some()
    }

    /// The slot of a column, and a warning about its header when there is one.
    pub(crate) fn resolve(&self, column: &str) -> Option<(Resolved, Option<String>)> {
        let k = norm_key(column);
        let map = alias_map(self.kind);
        let fields = layer_fields(self.kind);
        if let Some(target) = self.renames.get(&k) {
            return lookup(map, fields, &norm_key(target));
        }
        lookup(map, fields, &k)
    }
}

/// A small per-thread memo of resolved keys: GeoJSON properties repeat the same keys in
/// the same order feature after feature, so the same index usually holds the answer.
#[derive(Debug, Default)]
pub(crate) struct KeyMemo {
    entries: Vec<(String, Option<Resolved>)>,
}

impl KeyMemo {
    pub(crate) fn get(&mut self, r: &Resolver, idx: usize, key: &str) -> Option<Resolved> {
        if let Some((k, v)) = self.entries.get(idx)
            && k == key
        {
            return *v;
        }
        if let Some((_, v)) = self.entries.iter().find(|(k, _)| k == key) {
            return *v;
        }
        let v = r.resolve(key).map(|(res, _)| res);
        // Bounded, so a file with unique keys per feature cannot grow it without end.
        if self.entries.len() < 256 {
            self.entries.push((key.to_string(), v));
        }
        v
    }
}

/// Words used in ledgers for "no value".
pub(crate) fn is_placeholder(t: &str) -> bool {
    matches!(
        t,
        "" | "/"
            | "\\"
            | "-"
            | "--"
            | "—"
            | "——"
            | "无"
            | "暂无"
            | "不详"
            | "未知"
            | "null"
            | "NULL"
            | "None"
            | "none"
            | "N/A"
            | "n/a"
            | "NA"
            | "NaN"
            | "nan"
    )
}

/// Why a value is not a usable number.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum NumError {
    /// Not a number at all (the text as written).
    NotANumber(String),
    /// A unit after the number that the field does not accept.
    BadUnit(String),
}

/// Parses a number, accepting full-width digits, thousands separators and a unit the
/// field knows after it (`35.5吨`, `0.4MPa`, `DN200`, `3层`). `Ok(None)` for an empty
/// cell or a placeholder such as `/` or `无`.
pub(crate) fn parse_number(v: &Value<'_>, unit: Unit) -> Result<Option<f64>, NumError> {
    match v {
        Value::Num(n) => Ok(Some(*n)),
        Value::Null => Ok(None),
        Value::Bool(b) => Err(NumError::NotANumber(b.to_string())),
        Value::Json(serde_json::Value::Number(n)) => Ok(n.as_f64()),
        Value::Json(serde_json::Value::String(s)) => parse_number_str(s, unit),
        Value::Json(serde_json::Value::Null) => Ok(None),
        Value::Json(j) => Err(NumError::NotANumber(j.to_string())),
        Value::Str(s) => parse_number_str(s, unit),
    }
}

/// [`parse_number`] for text.
pub(crate) fn parse_number_str(s: &str, unit: Unit) -> Result<Option<f64>, NumError> {
    let t = s.trim();
    if is_placeholder(t) {
        return Ok(None);
    }
    let h = half_width_str(t);
    let mut t = h.trim();
    if unit == Unit::Mm {
        // Gas ledgers give pipe sizes as DN200 (nominal), De110 (PE outer diameter) or
        // Φ219×6 (steel, outer diameter × wall): the first number is the size in mm.
        for p in ["dn", "de", "φ", "Φ", "ф", "ø", "Ø", "d"] {
            if t.len() > p.len() && t.get(..p.len()).is_some_and(|x| x.eq_ignore_ascii_case(p)) {
                t = t[p.len()..].trim_start();
                break;
            }
        }
        if let Some(x) = t.find(['×', '*', 'x', 'X']) {
            t = t[..x].trim_end();
        }
    }
    if unit == Unit::Year {
        // 2005, 2005年, 2005-06-01, 2005.6, 2005/6/1: the year is the first four digits.
        let digits: String = t.chars().take_while(|c| c.is_ascii_digit()).collect();
        if digits.len() == 4 {
            return digits
                .parse::<f64>()
                .map(Some)
                .map_err(|_| NumError::NotANumber(s.trim().to_string()));
        }
    }
    let end = t
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == ','
                || ((c == '-' || c == '+') && i == 0)
                || ((c == 'e' || c == 'E') && i > 0))
        })
        .map(|(i, _)| i)
        .unwrap_or(t.len());
    let (num, rest) = t.split_at(end);
    // An `e` ends the number if what follows is not an exponent (`3e` is not 3·10⁰).
    let (num, rest) = match num.find(['e', 'E']) {
        Some(i)
            if !num[i + 1..]
                .trim_start_matches(['+', '-'])
                .starts_with(|c: char| c.is_ascii_digit()) =>
        {
            (&num[..i], &t[i..])
        }
        _ => (num, rest),
    };
    let num = strip_thousands(num).ok_or_else(|| NumError::NotANumber(s.trim().to_string()))?;
    let value: f64 = num
        .parse()
        .map_err(|_| NumError::NotANumber(s.trim().to_string()))?;
    let rest = rest.trim();
    if rest.is_empty() {
        return Ok(Some(value));
    }
    match unit.scale(rest) {
        Some(scale) => Ok(Some(value * scale)),
        None => Err(NumError::BadUnit(s.trim().to_string())),
    }
}

/// Removes thousands separators when they are used as such (`1,234,567`); a comma
/// anywhere else makes the text not a number.
fn strip_thousands(num: &str) -> Option<Cow<'_, str>> {
    if !num.contains(',') {
        return Some(Cow::Borrowed(num));
    }
    let int_part = num.split('.').next().unwrap_or("");
    let groups: Vec<&str> = int_part.trim_start_matches(['-', '+']).split(',').collect();
    let ok = groups.first().is_some_and(|g| (1..=3).contains(&g.len()))
        && groups[1..].iter().all(|g| g.len() == 3);
    ok.then(|| Cow::Owned(num.replace(',', "")))
}

/// Parses a longitude or latitude, as a number or in degrees–minutes–seconds
/// (`121°20'30.5"`, `121度20分30.5秒`, `E121°20.5'`, `北纬31°53′`).
pub(crate) fn parse_coordinate(v: &Value<'_>) -> Result<Option<f64>, NumError> {
    match parse_number(v, Unit::Plain) {
        Ok(x) => Ok(x),
        Err(e) => match v.text() {
            Some(t) => parse_dms(&t).map(Some).ok_or(e),
            None => Err(e),
        },
    }
}

fn parse_dms(s: &str) -> Option<f64> {
    let h = half_width_str(s);
    let mut t = h.trim();
    let mut sign = 1.0;
    for (p, sg) in [
        ("东经", 1.0),
        ("北纬", 1.0),
        ("西经", -1.0),
        ("南纬", -1.0),
        ("E", 1.0),
        ("N", 1.0),
        ("W", -1.0),
        ("S", -1.0),
    ] {
        if let Some(r) = t.strip_prefix(p) {
            t = r.trim_start();
            sign = sg;
            break;
        }
        if let Some(r) = t.strip_suffix(p) {
            t = r.trim_end();
            sign = sg;
            break;
        }
    }
    let parts: Vec<&str> = t
        .split(|c: char| {
            matches!(
                c,
                '°' | '\'' | '"' | '′' | '″' | '’' | '”' | '度' | '分' | '秒' | ':' | ' '
            )
        })
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty() || parts.len() > 3 {
        return None;
    }
    let mut value = 0.0;
    for (i, p) in parts.iter().enumerate() {
        let x: f64 = p.parse().ok()?;
        if i > 0 && !(0.0..60.0).contains(&x) {
            return None;
        }
        value += x / [1.0, 60.0, 3600.0][i];
    }
    Some(sign * value)
}

/// Whether text is a CAS registry number in form (`7782-50-5`).
pub(crate) fn looks_like_cas(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 3
        && (2..=7).contains(&parts[0].len())
        && parts[1].len() == 2
        && parts[2].len() == 1
        && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether a CAS number's check digit is right.
pub(crate) fn cas_checksum_ok(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    let Some((&check, body)) = digits.split_last() else {
        return false;
    };
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| (i as u32 + 1) * d)
        .sum();
    sum % 10 == check
}

/// Whether text is a GB 18218-2018 hazard category code (`W3`, `J1`, `W5.4`).
pub(crate) fn looks_like_category(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 2
        && matches!(b[0], b'W' | b'J' | b'w' | b'j')
        && b[1].is_ascii_digit()
        && s[1..].bytes().all(|c| c.is_ascii_digit() || c == b'.')
}

/// Checks a 统一社会信用代码 (GB 32100-2015): 18 characters from the code alphabet, the
/// last one a check character over the first 17.
pub(crate) fn credit_code_problem(code: &str) -> Option<String> {
    const ALPHABET: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
    const WEIGHTS: [u32; 17] = [
        1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
    ];
    let c: Vec<u8> = code.bytes().map(|b| b.to_ascii_uppercase()).collect();
    if c.len() != 18 {
        return Some(format!(
            "统一社会信用代码 {code:?} has {} characters, not 18",
            code.chars().count()
        ));
    }
    let mut sum = 0;
    for (i, b) in c[..17].iter().enumerate() {
        match ALPHABET.iter().position(|a| a == b) {
            Some(v) => sum += v as u32 * WEIGHTS[i],
            None => {
                return Some(format!(
                    "统一社会信用代码 {code:?} has {:?}, which codes do not use",
                    char::from(*b)
                ));
            }
        }
    }
    let expected = ALPHABET[((31 - sum % 31) % 31) as usize];
    (c[17] != expected).then(|| {
        format!(
            "统一社会信用代码 {code:?} fails its check character (expected {:?})",
            char::from(expected)
        )
    })
}

/// One inventory line before it is checked against the substance table.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ItemDraft {
    pub cas: Option<String>,
    pub name: Option<String>,
    /// Other names found in brackets, tried when `name` is not in the table.
    pub alt_names: Vec<String>,
    pub category: Option<String>,
    /// `None` when missing; `Err` with the text when not a number.
    pub tonnes: Result<Option<f64>, NumError>,
}

impl ItemDraft {
    fn empty() -> Self {
        ItemDraft {
            cas: None,
            name: None,
            alt_names: Vec::new(),
            category: None,
            tonnes: Ok(None),
        }
    }
}

/// Splits an inventory cell into its lines. Lines are separated by `;`, `；`, `、`, `|`
/// or line breaks; each line is `substance=tonnes` (also `:`, `：`, `＝`) where the
/// substance is a CAS number, a name, `name(CAS)`, `name(category)`,
/// `name(CAS,category)`, or a bare category code; tonnes may carry a unit (`35吨`,
/// `500kg`).
pub(crate) fn parse_inventory_cell(cell: &str) -> Vec<Result<ItemDraft, String>> {
    let cell = half_width_str(cell);
    cell.split([';', '、', '|', '\n', '\r'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(parse_inventory_piece)
        .collect()
}

fn parse_inventory_piece(piece: &str) -> Result<ItemDraft, String> {
    let (subst, qty) = match piece.rfind(['=', ':']) {
        Some(i) => (piece[..i].trim(), piece[i + 1..].trim()),
        None => match piece.rfind(char::is_whitespace) {
            // `液氨 35`: a quantity after a space.
            Some(i) if parse_number_str(&piece[i..], Unit::Tonnes).is_ok() => {
                (piece[..i].trim(), piece[i..].trim())
            }
            _ => {
                return Err(format!(
                    "{piece:?} has no quantity: write substance=tonnes, e.g. 液氨=35"
                ));
            }
        },
    };
    let mut d = parse_substance(subst);
    if d.cas.is_none() && d.name.is_none() && d.category.is_none() {
        return Err(format!("{piece:?} names no substance"));
    }
    d.tonnes = parse_number_str(qty, Unit::Tonnes);
    Ok(d)
}

/// Reads `name(CAS,category)` and its simpler forms.
pub(crate) fn parse_substance(s: &str) -> ItemDraft {
    let s = half_width_str(s);
    let s = s.trim();
    let mut d = ItemDraft::empty();
    let (outer, inner) = match s.find(['(', '[', '【']) {
        Some(i) => {
            let close = s[i..].find([')', ']', '】']).map(|j| i + j);
            let inner_end = close.unwrap_or(s.len());
            let open_len = s[i..].chars().next().map(char::len_utf8).unwrap_or(1);
            let after = close
                .map(|c| &s[c + s[c..].chars().next().map(char::len_utf8).unwrap_or(1)..])
                .unwrap_or("");
            let outer = format!("{}{}", s[..i].trim(), after.trim());
            (outer, Some(&s[i + open_len..inner_end]))
        }
        None => (s.to_string(), None),
    };
    let classify = |token: &str, d: &mut ItemDraft, is_outer: bool| {
        let t = token.trim();
        if t.is_empty() {
            return;
        }
        if looks_like_cas(t) && d.cas.is_none() {
            d.cas = Some(t.to_string());
        } else if looks_like_category(t) && d.category.is_none() {
            d.category = Some(t.to_ascii_uppercase());
        } else if is_outer && d.name.is_none() {
            d.name = Some(t.to_string());
        } else {
            d.alt_names.push(t.to_string());
        }
    };
    classify(&outer, &mut d, true);
    if let Some(inner) = inner {
        for t in inner.split([',', '/', ';']) {
            classify(t, &mut d, false);
        }
    }
    d
}

/// Reads an inventory line given as a JSON object with English or Chinese keys.
pub(crate) fn inventory_item_from_json(
    obj: &serde_json::Map<String, serde_json::Value>,
) -> Result<ItemDraft, String> {
    let mut d = ItemDraft::empty();
    let map = {
        static MAP: OnceLock<AliasMap> = OnceLock::new();
        MAP.get_or_init(|| {
            let mut m = AliasMap::new();
            for (i, spec) in INVENTORY_ITEM_FIELDS.iter().enumerate() {
                for name in std::iter::once(&spec.key).chain(spec.aliases) {
                    m.insert(norm_key(name), Slot::Field(i));
                }
            }
            m
        })
    };
    for (k, v) in obj {
        let Some((r, _)) = lookup(map, INVENTORY_ITEM_FIELDS, &norm_key(k)) else {
            continue;
        };
        let text = || match v {
            serde_json::Value::String(s) => Some(s.trim().to_string()).filter(|s| !s.is_empty()),
            serde_json::Value::Number(n) => Some(n.to_string()),
            _ => None,
        };
        match r.slot {
            Slot::Field(0) => d.cas = text(),
            Slot::Field(1) => d.name = text(),
            Slot::Field(2) => d.category = text().map(|c| c.to_ascii_uppercase()),
            Slot::Field(3) => {
                d.tonnes = parse_number(&Value::Json(v.clone()), Unit::Tonnes)
                    .map(|t| t.map(|t| t * r.scale));
            }
            _ => {}
        }
    }
    if d.cas.is_none() && d.name.is_none() && d.category.is_none() {
        return Err(format!(
            "{} names no substance (expected cas/CAS号, name/物质名称 or category/类别)",
            serde_json::Value::Object(obj.clone())
        ));
    }
    // A name written as `氯(7782-50-5)` in the name key still gives its CAS number.
    if let Some(n) = d.name.clone()
        && (n.contains(['(', '（', '[', '【']) || looks_like_cas(&n))
    {
        let p = parse_substance(&n);
        d.name = p.name;
        d.cas = d.cas.or(p.cas);
        d.category = d.category.or(p.category);
        d.alt_names = p.alt_names;
    }
    Ok(d)
}

/// The English key and Chinese name of every entry of a vocabulary, for messages.
pub(crate) fn allowed_list<T: Copy>(
    all: &[T],
    key: fn(T) -> &'static str,
    zh: fn(T) -> &'static str,
) -> String {
    all.iter()
        .map(|&v| format!("{} ({})", key(v), zh(v)))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_indices_match_the_tables() {
        assert_eq!(ENTERPRISE_FIELDS[ent::NAME].key, "name");
        assert_eq!(ENTERPRISE_FIELDS[ent::CREDIT_CODE].key, "credit_code");
        assert_eq!(ENTERPRISE_FIELDS[ent::INDUSTRY].key, "industry");
        assert_eq!(ENTERPRISE_FIELDS[ent::EMPLOYEES].key, "employees");
        assert_eq!(ENTERPRISE_FIELDS[ent::DECLARED_LEVEL].key, "declared_level");
        assert_eq!(
            ENTERPRISE_FIELDS[ent::OPEN_HIDDEN].key,
            "open_hidden_hazards"
        );
        assert_eq!(
            ENTERPRISE_FIELDS[ent::OPEN_MAJOR_HIDDEN].key,
            "open_major_hidden_hazards"
        );
        assert_eq!(ENTERPRISE_FIELDS[ent::PARK].key, "park");
        assert_eq!(ENTERPRISE_FIELDS[ent::PHONE].key, "phone");
        assert_eq!(HAZARD_FIELDS[haz::NAME].key, "name");
        assert_eq!(HAZARD_FIELDS[haz::ENTERPRISE].key, "enterprise_id");
        assert_eq!(HAZARD_FIELDS[haz::UNIT_TYPE].key, "unit_type");
        assert_eq!(HAZARD_FIELDS[haz::INVENTORY].key, "inventory");
        assert_eq!(HAZARD_FIELDS[haz::GRADE].key, "declared_grade");
        assert_eq!(HAZARD_FIELDS[haz::QRA].key, "qra_distances");
        assert_eq!(PIPELINE_FIELDS[gas::NAME].key, "name");
        assert_eq!(PIPELINE_FIELDS[gas::PRESSURE_CLASS].key, "pressure_class");
        assert_eq!(
            PIPELINE_FIELDS[gas::DESIGN_PRESSURE].key,
            "design_pressure_mpa"
        );
        assert_eq!(PIPELINE_FIELDS[gas::DIAMETER].key, "diameter_mm");
        assert_eq!(PIPELINE_FIELDS[gas::MATERIAL].key, "material");
        assert_eq!(PIPELINE_FIELDS[gas::YEAR].key, "year_laid");
        assert_eq!(HOUSE_FIELDS[house::ADDRESS].key, "address");
        assert_eq!(HOUSE_FIELDS[house::FLOORS].key, "floors");
        assert_eq!(HOUSE_FIELDS[house::USE].key, "house_use");
        assert_eq!(HOUSE_FIELDS[house::OCCUPANTS].key, "occupants");
        assert_eq!(HOUSE_FIELDS[house::APPRAISAL].key, "appraisal");
        assert_eq!(HOUSE_FIELDS[house::RECTIFICATION].key, "rectification");
        assert_eq!(HOUSE_FIELDS[house::PHONE].key, "phone");
        assert_eq!(TARGET_FIELDS[target::NAME].key, "name");
        assert_eq!(TARGET_FIELDS[target::KIND].key, "kind");
        assert_eq!(TARGET_FIELDS[target::CLASS].key, "class");
        assert_eq!(TARGET_FIELDS[target::POPULATION].key, "population");
        assert_eq!(TARGET_FIELDS[target::HOUSEHOLDS].key, "households");
        assert_eq!(AREA_FIELDS[area::NAME].key, "name");
        assert_eq!(AREA_FIELDS[area::CODE].key, "code");
    }

    #[test]
    fn no_alias_means_two_things_in_one_layer() {
        // A layer's own field may shadow a generic alias (企业编号 is the owner in the
        // hazard-source layer, the id elsewhere), but within each group a name has one
        // meaning.
        let groups: Vec<Vec<FieldSpec>> = LayerKind::ALL
            .iter()
            .map(|k| layer_fields(*k).to_vec())
            .chain([vec![ID, LON, LAT, WKT], INVENTORY_ITEM_FIELDS.to_vec()])
            .collect();
        for fields in groups {
            let mut seen: HashMap<String, &str> = HashMap::new();
            for s in &fields {
                for a in std::iter::once(&s.key).chain(s.aliases) {
                    if let Some(prev) = seen.insert(norm_key(a), s.key) {
                        assert_eq!(prev, s.key, "{a} is both {prev} and {}", s.key);
                    }
                }
            }
        }
        let r = Resolver::new(LayerKind::HazardSources, &[]);
        assert_eq!(
            r.resolve("企业编号").map(|x| x.0.slot),
            Some(Slot::Field(haz::ENTERPRISE))
        );
        let r = Resolver::new(LayerKind::Enterprises, &[]);
        assert_eq!(r.resolve("企业编号").map(|x| x.0.slot), Some(Slot::Id));
    }

    #[test]
    fn every_field_and_alias_is_documented() {
        let doc = include_str!("../../../docs/data-model.md");
        for kind in LayerKind::ALL {
            for spec in layer_fields(kind).iter().chain([&ID, &LON, &LAT, &WKT]) {
                assert!(
                    doc.contains(&format!("`{}`", spec.key)),
                    "{kind}: {} undocumented",
                    spec.key
                );
                for a in spec.aliases {
                    assert!(
                        doc.contains(a),
                        "{kind}.{}: alias {a} undocumented",
                        spec.key
                    );
                }
            }
        }
        for spec in INVENTORY_ITEM_FIELDS {
            for a in spec.aliases {
                assert!(
                    doc.contains(a),
                    "inventory {}: alias {a} undocumented",
                    spec.key
                );
            }
        }
    }

    #[test]
    fn headers_resolve_with_units_full_width_and_renames() {
        let r = Resolver::new(
            LayerKind::GasPipelines,
            &[("压力".into(), "pressure_class".into())],
        );
        let res = |c: &str| r.resolve(c).map(|(x, w)| (x.slot, x.scale, w.is_some()));
        assert_eq!(
            res("设计压力(MPa)"),
            Some((Slot::Field(gas::DESIGN_PRESSURE), 1.0, false))
        );
        assert_eq!(
            res("设计压力（kPa）"),
            Some((Slot::Field(gas::DESIGN_PRESSURE), 0.001, false))
        );
        assert_eq!(
            res("设计压力(psi)"),
            Some((Slot::Field(gas::DESIGN_PRESSURE), 1.0, true))
        );
        assert_eq!(
            res(" Design_Pressure_MPa "),
            Some((Slot::Field(gas::DESIGN_PRESSURE), 1.0, false))
        );
        assert_eq!(
            res("压力"),
            Some((Slot::Field(gas::PRESSURE_CLASS), 1.0, false))
        );
        assert_eq!(res("经度"), Some((Slot::Lon, 1.0, false)));
        assert_eq!(res("ＬＯＮ"), Some((Slot::Lon, 1.0, false)));
        assert_eq!(res("WKT"), Some((Slot::Wkt, 1.0, false)));
        assert_eq!(res("备注"), None);
        assert!(Resolver::knows_target(LayerKind::Houses, "鉴定等级"));
        assert!(!Resolver::knows_target(LayerKind::Houses, "nonsense"));
    }

    #[test]
    fn numbers_with_units_and_placeholders() {
        let n = |s: &str, u| parse_number_str(s, u);
        assert_eq!(n("35.5", Unit::Tonnes), Ok(Some(35.5)));
        assert_eq!(n("３５吨", Unit::Tonnes), Ok(Some(35.0)));
        assert_eq!(n("500kg", Unit::Tonnes), Ok(Some(0.5)));
        assert_eq!(n("0.4MPa", Unit::Mpa), Ok(Some(0.4)));
        assert_eq!(n("400 kPa", Unit::Mpa), Ok(Some(0.4)));
        assert_eq!(n("DN200", Unit::Mm), Ok(Some(200.0)));
        assert_eq!(n("Φ219×6", Unit::Mm), Ok(Some(219.0)));
        assert_eq!(n("de110", Unit::Mm), Ok(Some(110.0)));
        assert_eq!(n("2005年", Unit::Year), Ok(Some(2005.0)));
        assert_eq!(n("2005-06-01", Unit::Year), Ok(Some(2005.0)));
        assert_eq!(n("1,234", Unit::Plain), Ok(Some(1234.0)));
        assert_eq!(n("3层", Unit::Plain), Ok(Some(3.0)));
        assert_eq!(n("1e3", Unit::Plain), Ok(Some(1000.0)));
        assert_eq!(n("-2", Unit::Plain), Ok(Some(-2.0)));
        assert_eq!(n("/", Unit::Plain), Ok(None));
        assert_eq!(n("无", Unit::Plain), Ok(None));
        assert_eq!(
            n("很多", Unit::Plain),
            Err(NumError::NotANumber("很多".into()))
        );
        assert_eq!(
            n("1,23", Unit::Plain),
            Err(NumError::NotANumber("1,23".into()))
        );
        assert_eq!(
            n("3 psi", Unit::Mpa),
            Err(NumError::BadUnit("3 psi".into()))
        );
    }

    #[test]
    fn coordinates_in_degrees_minutes_seconds() {
        let c = |s: &str| parse_coordinate(&Value::Str(s.into()));
        assert_eq!(c("121.5"), Ok(Some(121.5)));
        assert_eq!(c("121°30'"), Ok(Some(121.5)));
        assert_eq!(c("121度30分36秒"), Ok(Some(121.51)));
        assert_eq!(c("E121°30′36″"), Ok(Some(121.51)));
        assert_eq!(c("31°45'S"), Ok(Some(-31.75)));
        assert!(c("abc").is_err());
    }

    #[test]
    fn check_digits() {
        assert!(cas_checksum_ok("7782-50-5"));
        assert!(cas_checksum_ok("7664-41-7"));
        assert!(!cas_checksum_ok("7782-50-4"));
        assert!(looks_like_cas("7782-50-5"));
        assert!(!looks_like_cas("7782-5-5"));
        // A code built by the GB 32100-2015 rule (check character computed in the test
        // below the same way as published validators do).
        assert!(credit_code_problem("91320684MA1XXXXX0X").is_some());
        let body = "91320684MA1MXY3P1";
        let ok = (0..31u8)
            .map(|i| {
                format!(
                    "{body}{}",
                    char::from(b"0123456789ABCDEFGHJKLMNPQRTUWXY"[usize::from(i)])
                )
            })
            .filter(|c| credit_code_problem(c).is_none())
            .count();
        assert_eq!(ok, 1, "exactly one check character fits");
        assert!(credit_code_problem("123").is_some_and(|m| m.contains("not 18")));
    }

    #[test]
    fn inventory_cells_in_every_documented_form() {
        let items = parse_inventory_cell("7782-50-5:20;7664-41-7:35.5");
        assert_eq!(items.len(), 2);
        let a = items[0].as_ref().ok();
        assert_eq!(a.and_then(|d| d.cas.as_deref()), Some("7782-50-5"));
        assert_eq!(a.map(|d| d.tonnes.clone()), Some(Ok(Some(20.0))));
        let items = parse_inventory_cell(
            "氯(7782-50-5)=20；液氨=35吨、某溶剂（W5.3）＝1.5; 乙醇[64-17-5,W5.3]=800kg\n苯 3",
        );
        let got: Vec<_> = items
            .iter()
            .map(|r| {
                r.as_ref()
                    .map(|d| {
                        (
                            d.name.clone(),
                            d.cas.clone(),
                            d.category.clone(),
                            d.tonnes.clone(),
                        )
                    })
                    .map_err(|e| e.clone())
            })
            .collect();
        assert_eq!(
            got,
            vec![
                Ok((
                    Some("氯".into()),
                    Some("7782-50-5".into()),
                    None,
                    Ok(Some(20.0))
                )),
                Ok((Some("液氨".into()), None, None, Ok(Some(35.0)))),
                Ok((
                    Some("某溶剂".into()),
                    None,
                    Some("W5.3".into()),
                    Ok(Some(1.5))
                )),
                Ok((
                    Some("乙醇".into()),
                    Some("64-17-5".into()),
                    Some("W5.3".into()),
                    Ok(Some(0.8))
                )),
                Ok((Some("苯".into()), None, None, Ok(Some(3.0)))),
            ]
        );
        assert!(parse_inventory_cell("液氨")[0].is_err());
        assert_eq!(
            parse_inventory_cell("液氨=很多")[0]
                .as_ref()
                .map(|d| d.tonnes.clone()),
            Ok(Err(NumError::NotANumber("很多".into())))
        );
    }

    #[test]
    fn inventory_objects_with_chinese_keys() {
        let j = serde_json::json!({"CAS号": "7782-50-5", "物质名称": "氯", "数量(吨)": "20"});
        let d = j.as_object().map(inventory_item_from_json);
        assert_eq!(
            d.and_then(|r| r.ok()).map(|d| (d.cas, d.name, d.tonnes)),
            Some((Some("7782-50-5".into()), Some("氯".into()), Ok(Some(20.0))))
        );
        let j = serde_json::json!({"name": "甲醇", "数量(kg)": 500});
        let d = j.as_object().map(inventory_item_from_json);
        assert_eq!(
            d.and_then(|r| r.ok()).map(|d| d.tonnes),
            Some(Ok(Some(0.5)))
        );
    }
}
