//! The field tables: every layer's fields with their English keys, the Chinese and
//! English aliases accepted as column names, and the unit each numeric field is kept in.

use crate::model::LayerKind;

/// The unit a numeric field is kept in, and the other units accepted for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unit {
    /// A plain number or count (a trailing 人/层/户/个/次… is accepted).
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
    /// 万元, ten thousand yuan (`万元`, `万`; `元` is converted).
    WanYuan,
}

impl Unit {
    /// Scale from a unit written after a value or in a header to this field's unit.
    pub(super) fn scale(self, unit: &str) -> Option<f64> {
        let u = unit.trim().to_lowercase();
        let u = u.as_str();
        Some(match (self, u) {
            (_, "") => 1.0,
            (Unit::Plain, "人" | "层" | "户" | "个" | "处" | "名" | "间" | "栋" | "幢" | "次") => {
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
            (Unit::WanYuan, "万元" | "万") => 1.0,
            (Unit::WanYuan, "元") => 0.0001,
            _ => return None,
        })
    }
}

/// `value` in a field's unit, from a value in a unit `scale` of it: a scale below one
/// divides by its inverse, so that `28000元` is 2.8 万元 exactly as written, not the
/// product's 2.8000000000000003.
pub(crate) fn scaled(value: f64, scale: f64) -> f64 {
    if scale > 0.0 && scale < 1.0 {
        value / (1.0 / scale).round()
    } else {
        value * scale
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
        "隐患编号",
        "隐患记录编号",
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

/// Hidden-hazard fields.
pub(crate) mod hid {
    pub const FEATURE_LAYER: usize = 0;
    pub const FEATURE_ID: usize = 1;
    pub const INDUSTRY: usize = 2;
    pub const CATEGORY: usize = 3;
    pub const MAJOR: usize = 4;
    pub const DESCRIPTION: usize = 5;
    pub const FOUND_BY: usize = 6;
    pub const DISCOVERED: usize = 7;
    pub const RESPONSIBLE_UNIT: usize = 8;
    pub const RESPONSIBLE_PERSON: usize = 9;
    pub const MEASURES: usize = 10;
    pub const FUNDS: usize = 11;
    pub const DEADLINE: usize = 12;
    pub const CONTINGENCY_PLAN: usize = 13;
    pub const STATUS: usize = 14;
    pub const RECTIFIED: usize = 15;
    pub const VERIFIED_BY: usize = 16;
    pub const CLOSED: usize = 17;
    pub const REOPENED: usize = 18;
    pub const REOPEN_REASON: usize = 19;
    pub const OWN_LOCATION: usize = 20;
}
pub(crate) const HIDDEN_FIELDS: &[FieldSpec] = &[
    f(
        "feature_layer",
        &[
            "关联对象类型",
            "对象类型",
            "隐患对象类型",
            "所属图层",
            "layer",
        ],
    ),
    f(
        "feature_id",
        &[
            "feature",
            "关联对象编号",
            "关联对象",
            "对象编号",
            "所属对象",
            "所属企业",
            "企业编号",
            "企业名称",
            "单位名称",
            "统一社会信用代码",
            "危险源编号",
            "管道编号",
            "管线编号",
            "房屋编号",
            "目标编号",
        ],
    ),
    f("industry", &["行业领域", "行业", "行业类别", "所属行业"]),
    f("category", &["隐患类别", "隐患类型", "隐患分类", "类别"]),
    f(
        "major",
        &[
            "隐患级别",
            "隐患等级",
            "是否重大隐患",
            "是否重大事故隐患",
            "level",
        ],
    ),
    f(
        "description",
        &["隐患描述", "隐患内容", "隐患情况", "问题描述", "隐患名称"],
    ),
    f(
        "found_by",
        &["发现方式", "排查方式", "来源", "隐患来源", "检查方式"],
    ),
    f(
        "discovered",
        &["发现日期", "排查日期", "发现时间", "检查日期", "上报日期"],
    ),
    f(
        "responsible_unit",
        &["整改责任单位", "责任单位", "整改单位"],
    ),
    f(
        "responsible_person",
        &["整改责任人", "责任人", "整改负责人"],
    ),
    f("measures", &["整改措施", "治理措施", "整改方案"]),
    fu(
        "funds_wan_yuan",
        &["整改资金", "治理资金", "资金"],
        Unit::WanYuan,
    ),
    f(
        "deadline",
        &[
            "整改期限",
            "整改时限",
            "整改完成期限",
            "计划完成日期",
            "限期",
        ],
    ),
    f("contingency_plan", &["应急预案", "应急措施", "防范措施"]),
    f("status", &["隐患状态", "整改状态", "状态", "整改情况"]),
    f(
        "rectified",
        &["整改完成日期", "实际完成日期", "完成整改日期", "整改日期"],
    ),
    f("verified_by", &["验收人", "复核人", "验收单位", "验收人员"]),
    f(
        "closed",
        &["销号日期", "验收销号日期", "闭环日期", "验收日期"],
    ),
    f("reopened", &["退回次数", "退回整改次数", "复查不通过次数"]),
    f(
        "reopen_reason",
        &["退回原因", "复查不通过原因", "退回整改原因"],
    ),
    f("own_location", &["自有坐标", "独立坐标"]),
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
        LayerKind::HiddenHazards => HIDDEN_FIELDS,
        // Results are computed, never read from a table.
        LayerKind::HazardGrades
        | LayerKind::ProtectionConflicts
        | LayerKind::PipelineConflicts
        | LayerKind::HouseRisk
        | LayerKind::EnterpriseRisk
        | LayerKind::RiskGrid => &[],
    }
}
