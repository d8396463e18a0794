//! A synthetic hidden-hazard ledger (隐患台账) over the two years before
//! [`LEDGER_END`]: each record belongs to an enterprise (most), a hazard source, a gas
//! pipeline, a house or a protection target of the city; about 2 % are major accident
//! hidden hazards; most were rectified and closed, some late, some sent back once;
//! those found lately are still open, some of them overdue, a few major ones under named
//! supervision (挂牌督办). Responsible persons are written as a surname and 某, never a
//! full name.
//!
//! Drawn from its own random stream, so that the other layers do not move with it; the
//! dates are whole days counted from the end of the ledger, so nothing depends on the
//! day it is generated.

use geo::{Coord, Geometry, Point};

use super::arith::{Rand, below, chance, int_in, pick, uni, weighted};
use crate::analysis::risk_grid::anchor;
use crate::dataset::Dataset;
use crate::model::{Day, Feature, FoundBy, HiddenHazard, HiddenHazardStatus, LayerKind};

/// The last day of the synthetic ledger (its 数据截止日期).
pub const LEDGER_END: (i32, u8, u8) = (2026, 11, 30);
/// Days the ledger spans.
const SPAN_DAYS: u32 = 730;
/// Share of major accident hidden hazards (重大事故隐患).
const MAJOR_SHARE: f64 = 0.02;
/// Share of records that carry a place of their own (the rest are drawn at their feature).
const OWN_PLACE_SHARE: f64 = 0.3;

/// What a record belongs to: the layers in the order of [`LINK_WEIGHTS`].
const LINK_LAYERS: [LayerKind; 5] = [
    LayerKind::Enterprises,
    LayerKind::HazardSources,
    LayerKind::GasPipelines,
    LayerKind::Houses,
    LayerKind::ProtectionTargets,
];
/// How often each layer is the one a hazard belongs to.
const LINK_WEIGHTS: [f64; 5] = [0.60, 0.10, 0.10, 0.15, 0.05];

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "朱", "高", "沈", "施",
];

/// Industry, categories and (description, measure) pairs by the layer a hazard belongs to.
struct Kind {
    industry: &'static str,
    items: &'static [(&'static str, &'static str, &'static str)],
}

const ENTERPRISE: Kind = Kind {
    industry: "工贸",
    items: &[
        ("消防安全", "消防通道堆放杂物", "清理通道并设置禁止堆放标识"),
        (
            "消防安全",
            "灭火器压力不足或过期",
            "更换灭火器并建立月检记录",
        ),
        ("用电安全", "配电箱线路私拉乱接", "由持证电工重新敷设线路"),
        (
            "设备设施",
            "机械转动部位防护罩缺失",
            "加装防护罩并纳入班前检查",
        ),
        (
            "作业环境",
            "有限空间未设置警示标识",
            "设置警示标识并落实审批制度",
        ),
        (
            "安全管理",
            "安全生产责任制未覆盖全员",
            "修订责任制并组织全员签订",
        ),
        ("安全管理", "特种作业人员无证上岗", "停止作业并组织取证培训"),
        ("粉尘防爆", "除尘系统未按规定清灰", "制定清灰制度并每班清理"),
    ],
};
const HAZCHEM: Kind = Kind {
    industry: "危险化学品",
    items: &[
        (
            "工艺控制",
            "储罐液位报警联锁未投用",
            "恢复联锁并纳入联锁管理台账",
        ),
        (
            "设备设施",
            "压力容器安全阀超期未校验",
            "送检安全阀并更新校验记录",
        ),
        ("设备设施", "可燃气体检测报警仪失效", "更换探头并接入中控室"),
        ("作业环境", "罐区防火堤存在孔洞", "封堵孔洞并复核防火堤容积"),
        (
            "安全管理",
            "动火作业票证填写不全",
            "规范作业票证并开展专项培训",
        ),
        ("消防安全", "消防水池水位不足", "补足水量并加装液位显示"),
    ],
};
const PIPELINE: Kind = Kind {
    industry: "城镇燃气",
    items: &[
        (
            "管线占压",
            "燃气管道上方违章搭建",
            "拆除违章建筑恢复管道安全间距",
        ),
        ("设备设施", "阀门井内积水锈蚀", "抽排积水并更换锈蚀部件"),
        ("标志标识", "管道标志桩缺失", "补设标志桩和警示牌"),
        (
            "第三方施工",
            "管道保护范围内施工未报备",
            "停工并办理保护协议",
        ),
    ],
};
const HOUSE: Kind = Kind {
    industry: "自建房",
    items: &[
        ("结构安全", "承重墙体开裂", "委托鉴定并采取临时支护"),
        ("结构安全", "擅自加层改变结构", "停止使用并恢复原结构"),
        ("消防安全", "经营场所疏散通道不足", "增设疏散通道并限制人数"),
        (
            "用电安全",
            "电动自行车室内充电",
            "设置集中充电点并清理室内充电",
        ),
    ],
};
const TARGET: Kind = Kind {
    industry: "人员密集场所",
    items: &[
        ("消防安全", "安全出口锁闭", "保持出口畅通并每日检查"),
        ("消防安全", "应急照明损坏", "更换应急照明灯具"),
        ("安全管理", "应急演练未按计划开展", "制定演练计划并组织实施"),
    ],
};

fn kind_of(layer: LayerKind, hazchem: bool) -> &'static Kind {
    match layer {
        LayerKind::Enterprises if hazchem => &HAZCHEM,
        LayerKind::HazardSources => &HAZCHEM,
        LayerKind::GasPipelines => &PIPELINE,
        LayerKind::Houses => &HOUSE,
        LayerKind::ProtectionTargets => &TARGET,
        _ => &ENTERPRISE,
    }
}

const REASONS: &[&str] = &[
    "复查发现整改不彻底",
    "整改资料不全",
    "现场仍存在同类问题",
    "整改措施与方案不符",
];

/// The feature at position `pos` of a linkable layer: its id, geometry and the unit
/// answerable for it.
fn feature_of(
    ds: &Dataset,
    layer: LayerKind,
    pos: usize,
) -> Option<(String, Geometry<f64>, String, bool)> {
    Some(match layer {
        LayerKind::Enterprises => {
            let f = ds.enterprises.get(pos)?;
            let hazchem = f.props.industry.is_some_and(|i| i.is_hazchem());
            (
                f.id.clone(),
                f.geometry.clone(),
                f.props.name.clone(),
                hazchem,
            )
        }
        LayerKind::HazardSources => {
            let f = ds.hazard_sources.get(pos)?;
            let owner = f
                .props
                .enterprise_id
                .as_deref()
                .and_then(|e| ds.enterprises.find_id(e))
                .map_or_else(|| f.props.name.clone(), |(_, e)| e.props.name.clone());
            (f.id.clone(), f.geometry.clone(), owner, true)
        }
        LayerKind::GasPipelines => {
            let f = ds.gas_pipelines.get(pos)?;
            (
                f.id.clone(),
                f.geometry.clone(),
                "燃气经营企业（合成数据）".to_string(),
                false,
            )
        }
        LayerKind::Houses => {
            let f = ds.houses.get(pos)?;
            (
                f.id.clone(),
                f.geometry.clone(),
                "房屋产权人".to_string(),
                false,
            )
        }
        LayerKind::ProtectionTargets => {
            let f = ds.protection_targets.get(pos)?;
            (
                f.id.clone(),
                f.geometry.clone(),
                f.props.name.clone(),
                false,
            )
        }
        _ => return None,
    })
}

fn layer_len(ds: &Dataset, layer: LayerKind) -> usize {
    match layer {
        LayerKind::Enterprises => ds.enterprises.len(),
        LayerKind::HazardSources => ds.hazard_sources.len(),
        LayerKind::GasPipelines => ds.gas_pipelines.len(),
        LayerKind::Houses => ds.houses.len(),
        LayerKind::ProtectionTargets => ds.protection_targets.len(),
        _ => 0,
    }
}

/// A place of its own near the feature: halfway between its representative point and
/// one of its vertices (exact arithmetic, no libm).
fn own_place(rng: &mut Rand, g: &Geometry<f64>) -> Option<Geometry<f64>> {
    let a = anchor(g)?;
    let mut vertices: Vec<Coord<f64>> = Vec::new();
    geo::CoordsIter::coords_iter(g).for_each(|c| vertices.push(c));
    let v = vertices.get(below(rng, vertices.len().max(1)))?;
    Some(Geometry::Point(Point::new(
        (a.x + v.x) / 2.0,
        (a.y + v.y) / 2.0,
    )))
}

/// Generates `n` hidden hazards over the features of `ds` (none when it has nothing
/// they could belong to).
pub(super) fn hidden_hazards(ds: &Dataset, n: usize, rng: &mut Rand) -> Vec<Feature<HiddenHazard>> {
    let Some(end) = Day::new(LEDGER_END.0, LEDGER_END.1, LEDGER_END.2) else {
        return Vec::new();
    };
    let weights: Vec<f64> = LINK_LAYERS
        .iter()
        .zip(LINK_WEIGHTS)
        .map(|(k, w)| if layer_len(ds, *k) > 0 { w } else { 0.0 })
        .collect();
    if weights.iter().all(|w| *w == 0.0) {
        return Vec::new();
    }
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let layer = LINK_LAYERS[weighted(rng, &weights)];
        let pos = below(rng, layer_len(ds, layer));
        let Some((fid, geom, unit, hazchem)) = feature_of(ds, layer, pos) else {
            continue;
        };
        let kind = kind_of(layer, hazchem);
        let (category, description, measure) = kind.items[below(rng, kind.items.len())];
        let major = chance(rng, MAJOR_SHARE);
        let discovered = end.plus_days(-i64::from(int_in(rng, 0, SPAN_DAYS - 1)));
        let allowed = if major {
            int_in(rng, 60, 180)
        } else {
            int_in(rng, 7, 60)
        };
        let deadline = discovered.plus_days(i64::from(allowed));
        // Days to rectify: most within the time allowed, a fifth late.
        let late = chance(rng, 0.2);
        let took = if late {
            uni(rng, 1.0, 2.5)
        } else {
            uni(rng, 0.2, 1.0)
        } * f64::from(allowed);
        let mut rectified = discovered.plus_days(took.round() as i64);
        let mut reopened = 0;
        let mut reopen_reason = None;
        if chance(rng, 0.05) {
            // The first acceptance failed: rectified again 10–30 days later.
            reopened = 1;
            reopen_reason = Some(pick(rng, REASONS).to_string());
            rectified = rectified.plus_days(i64::from(int_in(rng, 10, 30)));
        }
        let closed = rectified.plus_days(i64::from(int_in(rng, 1, 14)));
        let found_by = [
            FoundBy::SelfInspection,
            FoundBy::Enforcement,
            FoundBy::Campaign,
            FoundBy::Report,
        ][weighted(rng, &[0.50, 0.30, 0.15, 0.05])];
        let person = format!("{}某", pick(rng, SURNAMES));
        let inspector = format!("{}某（区应急管理局）", pick(rng, SURNAMES));
        let funds = if major {
            (uni(rng, 10.0, 200.0) * 10.0).round() / 10.0
        } else {
            (uni(rng, 0.1, 5.0) * 10.0).round() / 10.0
        };
        let (status, rectified, verified_by, closed) = if closed <= end {
            (
                HiddenHazardStatus::Closed,
                Some(rectified),
                Some(inspector),
                Some(closed),
            )
        } else if rectified <= end {
            (HiddenHazardStatus::Rectified, Some(rectified), None, None)
        } else {
            let s = if major && chance(rng, 0.3) {
                HiddenHazardStatus::Supervised
            } else if end.days_since(discovered) < 7 {
                HiddenHazardStatus::Pending
            } else {
                HiddenHazardStatus::InProgress
            };
            (s, None, None, None)
        };
        // A return is recorded once the record shows a rectification.
        let (reopened, reopen_reason) = if rectified.is_some() {
            (reopened, reopen_reason)
        } else {
            (0, None)
        };
        let own = chance(rng, OWN_PLACE_SHARE);
        let geometry = if own {
            own_place(rng, &geom)
        } else {
            anchor(&geom).map(|c| Geometry::Point(Point::from(c)))
        };
        let Some(geometry) = geometry else {
            continue;
        };
        out.push(Feature {
            id: format!("YH{:06}", i + 1),
            geometry,
            props: HiddenHazard {
                feature_layer: Some(layer),
                feature_id: Some(fid.into()),
                own_location: own,
                industry: Some(kind.industry.into()),
                category: Some(category.into()),
                major,
                description: description.into(),
                found_by: Some(found_by),
                discovered: Some(discovered),
                responsible_unit: Some(unit.into()),
                responsible_person: Some(person.into()),
                measures: Some(measure.into()),
                funds_wan_yuan: Some(funds),
                deadline: Some(deadline),
                contingency_plan: major.then(|| "已制定专项应急预案".into()),
                status,
                rectified,
                verified_by: verified_by.map(Into::into),
                closed,
                reopened,
                reopen_reason: reopen_reason.map(Into::into),
            },
            source: super::generated_at(i as u64),
        });
    }
    out
}
