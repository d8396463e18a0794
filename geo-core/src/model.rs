//! The typed layers of a risk map and the vocabularies of their fields.
//!
//! Every geometry held here is WGS84 / CGCS2000 longitude–latitude in degrees (the two
//! datums differ by centimetres, below anything this crate measures); loaders convert
//! to it. Field meanings, units and the Chinese aliases accepted on input are listed in
//! `docs/data-model.md`.

use std::fmt;

use geo::Geometry;
use serde::{Deserialize, Serialize};

mod source;
pub use source::{SourceFile, SourceRef};

/// One feature of a layer: a stable id, lon/lat geometry and typed properties.
#[derive(Debug, Clone)]
pub struct Feature<P> {
    /// Stable id: taken from the input (`id` member or id column) or derived from the
    /// layer name and the position in the file.
    pub id: String,
    /// Geometry in WGS84 lon/lat degrees.
    pub geometry: Geometry<f64>,
    /// Typed properties.
    pub props: P,
    /// Where it was read from.
    pub source: SourceRef,
}

impl<P: PartialEq> Feature<P> {
    /// Whether `other` has the same geometry and properties (where each was read from
    /// aside): a reading of the source that gives it changes nothing.
    pub fn reads_as(&self, other: &Feature<P>) -> bool {
        self.geometry == other.geometry && self.props == other.props
    }
}

/// Every layer RiskMap reads or produces: the seven input layers of a dataset and the six
/// result layers of an analysis.
///
/// This is the one vocabulary of layers: loading, export, tiles, the catalog, the HTTP
/// routes and search all take a `LayerKind`, and each of them matches on it exhaustively,
/// so that adding a layer is one variant here and the compiler lists every place that must
/// handle it. The names (`name`) are those of files, URLs, exports and tiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LayerKind {
    /// 企业 — enterprises (input)
    Enterprises,
    /// 重大危险源 — major hazard sources (input)
    HazardSources,
    /// 城镇燃气管道 — urban gas pipelines (input)
    GasPipelines,
    /// 自建房 — self-built houses (input)
    Houses,
    /// 防护目标 — protection targets (input)
    ProtectionTargets,
    /// 镇/街道 — towns and streets (input)
    Areas,
    /// 隐患 — hidden hazards, each belonging to a feature of another input layer (input)
    HiddenHazards,
    /// 危险源分级 — GB 18218 grades of the hazard sources (result)
    HazardGrades,
    /// 外部安全防护距离不足 — protection-distance conflicts (result)
    ProtectionConflicts,
    /// 燃气管道占压/间距不足 — gas-pipeline conflicts (result)
    PipelineConflicts,
    /// 自建房风险等级 — house four-colour levels (result)
    HouseRisk,
    /// 企业风险等级 — enterprise four-colour levels (result)
    EnterpriseRisk,
    /// 风险分布网格 — the risk distribution grid (result)
    RiskGrid,
}

impl LayerKind {
    /// The input layers, in load order.
    pub const INPUTS: [LayerKind; 7] = [
        LayerKind::Areas,
        LayerKind::Enterprises,
        LayerKind::HazardSources,
        LayerKind::GasPipelines,
        LayerKind::Houses,
        LayerKind::ProtectionTargets,
        LayerKind::HiddenHazards,
    ];

    /// The result layers, in the order an analysis produces them.
    pub const RESULTS: [LayerKind; 6] = [
        LayerKind::HazardGrades,
        LayerKind::ProtectionConflicts,
        LayerKind::PipelineConflicts,
        LayerKind::HouseRisk,
        LayerKind::EnterpriseRisk,
        LayerKind::RiskGrid,
    ];

    /// Every layer: the inputs, then the results (the order of exports).
    pub fn all() -> impl Iterator<Item = LayerKind> {
        LayerKind::INPUTS.into_iter().chain(LayerKind::RESULTS)
    }

    /// Whether this is one of the seven input layers of a dataset.
    pub fn is_input(self) -> bool {
        match self {
            LayerKind::Enterprises
            | LayerKind::HazardSources
            | LayerKind::GasPipelines
            | LayerKind::Houses
            | LayerKind::ProtectionTargets
            | LayerKind::Areas
            | LayerKind::HiddenHazards => true,
            LayerKind::HazardGrades
            | LayerKind::ProtectionConflicts
            | LayerKind::PipelineConflicts
            | LayerKind::HouseRisk
            | LayerKind::EnterpriseRisk
            | LayerKind::RiskGrid => false,
        }
    }

    /// Whether the layer's features carry a four-colour level (a hazard source's grade as
    /// its level, a house's, an enterprise's, a grid cell's): the layers a level filter
    /// applies to.
    pub fn has_level(self) -> bool {
        matches!(
            self,
            LayerKind::HazardGrades
                | LayerKind::HouseRisk
                | LayerKind::EnterpriseRisk
                | LayerKind::RiskGrid
        )
    }

    /// The layers whose features carry a four-colour level ([`LayerKind::has_level`]).
    pub fn with_level() -> impl Iterator<Item = LayerKind> {
        LayerKind::all().filter(|k| k.has_level())
    }

    /// The layer's name in files, URLs, exports and tiles.
    pub fn name(self) -> &'static str {
        match self {
            LayerKind::Enterprises => "enterprises",
            LayerKind::HazardSources => "hazard_sources",
            LayerKind::GasPipelines => "gas_pipelines",
            LayerKind::Houses => "houses",
            LayerKind::ProtectionTargets => "protection_targets",
            LayerKind::Areas => "areas",
            LayerKind::HiddenHazards => "hidden_hazards",
            LayerKind::HazardGrades => "hazard_grades",
            LayerKind::ProtectionConflicts => "protection_conflicts",
            LayerKind::PipelineConflicts => "pipeline_conflicts",
            LayerKind::HouseRisk => "house_risk",
            LayerKind::EnterpriseRisk => "enterprise_risk",
            LayerKind::RiskGrid => "risk_grid",
        }
    }

    /// The layer's Chinese name, as users know it.
    pub fn name_zh(self) -> &'static str {
        match self {
            LayerKind::Enterprises => "企业",
            LayerKind::HazardSources => "重大危险源",
            LayerKind::GasPipelines => "燃气管道",
            LayerKind::Houses => "自建房",
            LayerKind::ProtectionTargets => "防护目标",
            LayerKind::Areas => "镇街",
            LayerKind::HiddenHazards => "隐患",
            LayerKind::HazardGrades => "危险源分级",
            LayerKind::ProtectionConflicts => "防护距离不足",
            LayerKind::PipelineConflicts => "管道占压/间距不足",
            LayerKind::HouseRisk => "自建房风险等级",
            LayerKind::EnterpriseRisk => "企业风险等级",
            LayerKind::RiskGrid => "风险分布网格",
        }
    }

    /// Parses an input layer's English name or a Chinese alias (the words of manifests and
    /// ledgers); result layers are not inputs and are not accepted here.
    pub fn parse(s: &str) -> Option<LayerKind> {
        let s = s.trim();
        LayerKind::INPUTS.into_iter().find(|k| {
            k.name().eq_ignore_ascii_case(s)
                || k.name_zh() == s
                || matches!(
                    (k, s),
                    (LayerKind::HazardSources, "危险源")
                        | (LayerKind::GasPipelines, "燃气管线" | "管线" | "pipelines")
                        | (LayerKind::ProtectionTargets, "targets")
                        | (LayerKind::Areas, "镇街道" | "街道" | "乡镇")
                        | (
                            LayerKind::HiddenHazards,
                            "隐患台账" | "隐患清单" | "隐患排查治理台账" | "事故隐患"
                        )
                )
        })
    }

    /// The layer with exactly this name (`name()`), input or result.
    pub fn from_name(s: &str) -> Option<LayerKind> {
        LayerKind::all().find(|k| k.name() == s)
    }
}

impl fmt::Display for LayerKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Four-colour risk level (风险分级管控). Ordered from low to major, so `max` is the worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RiskLevel {
    /// 低风险, blue
    Low,
    /// 一般风险, yellow
    General,
    /// 较大风险, orange
    Significant,
    /// 重大风险, red
    Major,
}

impl RiskLevel {
    /// All levels from the worst down.
    pub const DESCENDING: [RiskLevel; 4] = [
        RiskLevel::Major,
        RiskLevel::Significant,
        RiskLevel::General,
        RiskLevel::Low,
    ];

    /// English name used in files and URLs.
    pub fn name(self) -> &'static str {
        match self {
            RiskLevel::Major => "major",
            RiskLevel::Significant => "significant",
            RiskLevel::General => "general",
            RiskLevel::Low => "low",
        }
    }
    /// 中文名
    pub fn name_zh(self) -> &'static str {
        match self {
            RiskLevel::Major => "重大风险",
            RiskLevel::Significant => "较大风险",
            RiskLevel::General => "一般风险",
            RiskLevel::Low => "低风险",
        }
    }
    /// The colour's name.
    pub fn colour(self) -> &'static str {
        match self {
            RiskLevel::Major => "red",
            RiskLevel::Significant => "orange",
            RiskLevel::General => "yellow",
            RiskLevel::Low => "blue",
        }
    }
    /// One level up, saturating at major.
    pub fn raised(self) -> RiskLevel {
        match self {
            RiskLevel::Low => RiskLevel::General,
            RiskLevel::General => RiskLevel::Significant,
            RiskLevel::Significant | RiskLevel::Major => RiskLevel::Major,
        }
    }
    /// Parses an English name, colour, or Chinese name (重大/较大/一般/低, 红/橙/黄/蓝).
    pub fn parse(s: &str) -> Option<RiskLevel> {
        let t = s.trim().to_ascii_lowercase();
        Some(match t.as_str() {
            "major" | "red" | "重大风险" | "重大" | "红" | "红色" => RiskLevel::Major,
            "significant" | "orange" | "较大风险" | "较大" | "橙" | "橙色" => {
                RiskLevel::Significant
            }
            "general" | "yellow" | "一般风险" | "一般" | "黄" | "黄色" => {
                RiskLevel::General
            }
            "low" | "blue" | "低风险" | "低" | "蓝" | "蓝色" => RiskLevel::Low,
            _ => return None,
        })
    }
}

impl fmt::Display for RiskLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Major-hazard grade, GB 18218-2018 §4.2 (一级 is the most severe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum HazardGrade {
    /// 一级
    #[serde(rename = "1")]
    One = 1,
    /// 二级
    #[serde(rename = "2")]
    Two = 2,
    /// 三级
    #[serde(rename = "3")]
    Three = 3,
    /// 四级
    #[serde(rename = "4")]
    Four = 4,
}

impl HazardGrade {
    /// The grade as a number 1–4.
    pub fn number(self) -> u8 {
        self as u8
    }
    /// 一级 … 四级
    pub fn name_zh(self) -> &'static str {
        match self {
            HazardGrade::One => "一级",
            HazardGrade::Two => "二级",
            HazardGrade::Three => "三级",
            HazardGrade::Four => "四级",
        }
    }
    /// Parses 1–4, 一级–四级, 一–四, I–IV.
    pub fn parse(s: &str) -> Option<HazardGrade> {
        Some(match s.trim().trim_end_matches('级').trim() {
            "1" | "一" | "I" | "i" => HazardGrade::One,
            "2" | "二" | "II" | "ii" => HazardGrade::Two,
            "3" | "三" | "III" | "iii" => HazardGrade::Three,
            "4" | "四" | "IV" | "iv" => HazardGrade::Four,
            _ => return None,
        })
    }
}

macro_rules! vocabulary {
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $key:literal, $zh:literal $(| $alias:literal)* ; )+
        }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name {
            $( $(#[$vmeta])* #[serde(rename = $key)] $variant, )+
        }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The English key used in files.
            pub fn key(self) -> &'static str {
                match self { $($name::$variant => $key,)+ }
            }
            /// The Chinese name.
            pub fn name_zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)+ }
            }
            /// Parses the English key (case-insensitive, `-` or `_`), the Chinese name
            /// or one of its aliases.
            pub fn parse(s: &str) -> Option<$name> {
                let t = s.trim();
                let norm = t.to_ascii_lowercase().replace('-', "_").replace(' ', "_");
                $(
                    if norm == $key || t == $zh $(|| t == $alias)* {
                        return Some($name::$variant);
                    }
                )+
                None
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.key())
            }
        }
    };
}

mod hidden;
pub use hidden::{Day, FoundBy, HiddenHazard, HiddenHazardStatus, Text};

vocabulary! {
    /// Industry of an enterprise (行业类别), as the supervision ledgers group them.
    Industry {
        /// 危险化学品生产
        HazchemProduction = "hazchem_production", "危险化学品生产" | "危化品生产" | "危化生产";
        /// 危险化学品储存
        HazchemStorage = "hazchem_storage", "危险化学品储存" | "危化品储存" | "危化储存";
        /// 危险化学品经营
        HazchemTrade = "hazchem_trade", "危险化学品经营" | "危化品经营" | "危化经营";
        /// 危险化学品使用
        HazchemUse = "hazchem_use", "危险化学品使用" | "危化品使用" | "危化使用";
        /// 粉尘涉爆
        DustExplosion = "dust_explosion", "粉尘涉爆" | "涉爆粉尘";
        /// 涉氨制冷
        AmmoniaRefrigeration = "ammonia_refrigeration", "涉氨制冷" | "液氨制冷";
        /// 有限空间
        ConfinedSpace = "confined_space", "有限空间";
        /// 冶金
        Metallurgy = "metallurgy", "冶金" | "冶金工贸";
        /// 其他
        Other = "other", "其他" | "一般工贸";
    }
}

impl Industry {
    /// Hazardous-chemical industries, to which protection distances apply.
    pub fn is_hazchem(self) -> bool {
        matches!(
            self,
            Industry::HazchemProduction
                | Industry::HazchemStorage
                | Industry::HazchemTrade
                | Industry::HazchemUse
        )
    }
}

vocabulary! {
    /// Kind of unit a major hazard source is (GB 18218-2018 §3.4, §3.5).
    UnitType {
        /// 生产单元
        Production = "production", "生产单元" | "生产";
        /// 储存单元
        Storage = "storage", "储存单元" | "储存" | "存储";
    }
}

vocabulary! {
    /// Urban gas pressure class (GB 50028-2006 §6.1.6).
    PressureClass {
        /// 高压A, 2.5 < P ≤ 4.0 MPa
        HighA = "high_a", "高压A";
        /// 高压B, 1.6 < P ≤ 2.5 MPa
        HighB = "high_b", "高压B";
        /// 次高压A, 0.8 < P ≤ 1.6 MPa
        SubHighA = "sub_high_a", "次高压A";
        /// 次高压B, 0.4 < P ≤ 0.8 MPa
        SubHighB = "sub_high_b", "次高压B";
        /// 中压A, 0.2 < P ≤ 0.4 MPa
        MediumA = "medium_a", "中压A";
        /// 中压B, 0.01 ≤ P ≤ 0.2 MPa
        MediumB = "medium_b", "中压B";
        /// 低压, P < 0.01 MPa
        Low = "low", "低压";
    }
}

impl PressureClass {
    /// Class of a design pressure in MPa (GB 50028-2006 Table 6.1.6); `None` above
    /// 4.0 MPa (transmission pipelines, outside urban gas) or for a negative pressure.
    pub fn from_mpa(p: f64) -> Option<PressureClass> {
        if !p.is_finite() || p < 0.0 {
            return None;
        }
        Some(if p < 0.01 {
            PressureClass::Low
        } else if p <= 0.2 {
            PressureClass::MediumB
        } else if p <= 0.4 {
            PressureClass::MediumA
        } else if p <= 0.8 {
            PressureClass::SubHighB
        } else if p <= 1.6 {
            PressureClass::SubHighA
        } else if p <= 2.5 {
            PressureClass::HighB
        } else if p <= 4.0 {
            PressureClass::HighA
        } else {
            return None;
        })
    }
}

vocabulary! {
    /// Use of a self-built house (用途).
    HouseUse {
        /// 自住
        Residential = "residential", "自住" | "居住" | "住宅";
        /// 经营
        Commercial = "commercial", "经营" | "经营性" | "商用";
        /// 自住兼经营
        Mixed = "mixed", "自住兼经营" | "混合" | "住改商";
    }
}

vocabulary! {
    /// Safety appraisal grade of a house, JGJ 125-2016 §4.4.
    Appraisal {
        /// A级: safe
        A = "a", "A级" | "A";
        /// B级: individual members dangerous
        B = "b", "B级" | "B";
        /// C级: part of the load-bearing structure unsafe (局部危房)
        C = "c", "C级" | "C" | "局部危房";
        /// D级: the load-bearing structure unsafe (整幢危房)
        D = "d", "D级" | "D" | "整幢危房";
        /// Not appraised (未鉴定)
        Unknown = "unknown", "未鉴定" | "未知" | "";
    }
}

vocabulary! {
    /// Rectification status of a house (整治状态).
    Rectification {
        /// 无需整治
        NotNeeded = "not_needed", "无需整治";
        /// 待整治
        Pending = "pending", "待整治" | "未整治";
        /// 整治中
        InProgress = "in_progress", "整治中";
        /// 已整治
        Done = "done", "已整治" | "整治完成";
        /// 未知
        Unknown = "unknown", "未知" | "";
    }
}

vocabulary! {
    /// Kind of protection target (防护目标类型).
    TargetKind {
        /// 学校
        School = "school", "学校" | "中学" | "小学";
        /// 幼儿园
        Kindergarten = "kindergarten", "幼儿园" | "托儿所";
        /// 医院
        Hospital = "hospital", "医院" | "卫生院";
        /// 养老院
        NursingHome = "nursing_home", "养老院" | "敬老院" | "养老机构";
        /// 居民区
        ResidentialCommunity = "residential_community", "居民区" | "住宅小区" | "小区" | "村庄";
        /// 办公场所
        Office = "office", "办公场所" | "办公楼" | "机关";
        /// 商场、市场
        Market = "market", "商场" | "市场" | "农贸市场";
        /// 影剧院、体育场馆
        Venue = "venue", "影剧院" | "体育场馆" | "体育场";
        /// 交通枢纽
        TransportHub = "transport_hub", "交通枢纽" | "车站";
        /// 饮用水源
        WaterSource = "water_source", "饮用水源" | "水源地";
        /// 文物保护单位
        CulturalRelic = "cultural_relic", "文物保护单位" | "文物";
        /// 宗教场所
        ReligiousSite = "religious_site", "宗教场所";
        /// 军事禁区、管理区
        Military = "military", "军事设施" | "军事禁区";
        /// 其他
        Other = "other", "其他";
    }
}

vocabulary! {
    /// Class of a protection target (GB 36894-2018 annex A).
    TargetClass {
        /// 高敏感防护目标
        HighSensitivity = "high_sensitivity", "高敏感防护目标" | "高敏感";
        /// 重要防护目标
        Important = "important", "重要防护目标" | "重要";
        /// 一般防护目标中的一类
        General1 = "general_1", "一般防护目标一类" | "一类";
        /// 一般防护目标中的二类
        General2 = "general_2", "一般防护目标二类" | "二类";
        /// 一般防护目标中的三类
        General3 = "general_3", "一般防护目标三类" | "三类";
    }
}

/// 企业 — an enterprise under safety supervision.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Enterprise {
    /// 企业名称
    pub name: String,
    /// 统一社会信用代码 (18 characters)
    pub credit_code: Option<String>,
    /// 行业类别
    pub industry: Option<Industry>,
    /// 从业人数
    pub employees: Option<u32>,
    /// Declared four-colour level (申报风险等级), if any.
    pub declared_level: Option<RiskLevel>,
    /// 未整改一般隐患数
    pub open_hidden_hazards: u32,
    /// 未整改重大事故隐患数
    pub open_major_hidden_hazards: u32,
    /// 所在园区 (chemical or industrial park), if any.
    pub park: Option<String>,
    /// 联系电话 — personal data: never exported or tiled unless a layer config allows it.
    pub phone: Option<String>,
}

/// One line of a hazard source's inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InventoryItem {
    /// CAS number, e.g. `7782-50-5`.
    pub cas: Option<String>,
    /// Substance name as written in the ledger.
    pub name: Option<String>,
    /// Hazard category (GB 18218-2018 Table 2, e.g. `W3`, `J2`) for a substance the table
    /// does not list; gives Q and β by category.
    pub category: Option<String>,
    /// Maximum quantity present, tonnes.
    pub tonnes: f64,
}

/// Distances supplied by a quantitative risk assessment (QRA) report for a hazard source,
/// metres per protection-target class; they replace the rule table's screening distances.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QraDistances {
    /// High-sensitivity targets.
    pub high_sensitivity: Option<f64>,
    /// Important targets.
    pub important: Option<f64>,
    /// General class 1.
    pub general_1: Option<f64>,
    /// General class 2.
    pub general_2: Option<f64>,
    /// General class 3.
    pub general_3: Option<f64>,
}

impl QraDistances {
    /// The distance for a class, if the report gave one.
    pub fn for_class(&self, class: TargetClass) -> Option<f64> {
        match class {
            TargetClass::HighSensitivity => self.high_sensitivity,
            TargetClass::Important => self.important,
            TargetClass::General1 => self.general_1,
            TargetClass::General2 => self.general_2,
            TargetClass::General3 => self.general_3,
        }
    }
    /// Whether no distance at all was given.
    pub fn is_empty(&self) -> bool {
        TargetClass::ALL
            .iter()
            .all(|c| self.for_class(*c).is_none())
    }
}

/// 重大危险源 — a production or storage unit holding hazardous chemicals.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HazardSource {
    /// 危险源名称
    pub name: String,
    /// Id of the owning enterprise (所属企业).
    pub enterprise_id: Option<String>,
    /// 单元类型
    pub unit_type: Option<UnitType>,
    /// Substances and their quantities.
    pub inventory: Vec<InventoryItem>,
    /// Grade declared in the ledger (申报等级), if any.
    pub declared_grade: Option<HazardGrade>,
    /// Distances from a QRA report, if any.
    pub qra_distances: Option<QraDistances>,
}

/// 燃气管道 — an urban gas pipeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GasPipeline {
    /// 管道名称 / 编号
    pub name: String,
    /// 压力级制 (given, or derived from the design pressure).
    pub pressure_class: Option<PressureClass>,
    /// 设计压力, MPa
    pub design_pressure_mpa: Option<f64>,
    /// 管径, mm
    pub diameter_mm: Option<f64>,
    /// 管材
    pub material: Option<String>,
    /// 敷设年份
    pub year_laid: Option<u16>,
}

/// 自建房 — a self-built house.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct House {
    /// 地址 or 房屋名称 (a boxed text: 8 bytes a house less than a `String`, and a
    /// province holds ten million of them, twice once edits begin).
    pub address: Box<str>,
    /// 层数
    pub floors: Option<u16>,
    /// 用途
    pub house_use: Option<HouseUse>,
    /// 居住 / 使用人数
    pub occupants: Option<u32>,
    /// 鉴定等级
    pub appraisal: Option<Appraisal>,
    /// 整治状态
    pub rectification: Option<Rectification>,
    /// 产权人电话 — personal data, never exported or tiled unless allowed.
    pub phone: Option<Box<str>>,
}

/// 防护目标 — a place to protect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProtectionTarget {
    /// 名称
    pub name: String,
    /// 类型
    pub kind: Option<TargetKind>,
    /// 防护目标类别 (given, or derived from kind and population at load).
    pub class: Option<TargetClass>,
    /// 人数
    pub population: Option<u32>,
    /// 户数 (residential)
    pub households: Option<u32>,
}

/// 镇/街道 — an area for summaries.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Area {
    /// 名称
    pub name: String,
    /// 行政区划代码
    pub code: Option<String>,
}
