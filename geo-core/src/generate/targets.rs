//! Protection targets (防护目标): residential communities, schools, hospitals, markets …
//! mostly in the towns, a few close to the chemical park.

use super::SYNTH;
use super::arith::{Rand, chance, direction, int_in, pick, uni, weighted};
use super::enterprises::{Park, ParkKind, Site};
use super::names::{ZIHAO, zihao};
use super::towns::{Town, nearest_town};
use super::world::World;
use crate::model::{ProtectionTarget, TargetClass, TargetKind};

pub(super) struct TargetPlan {
    pub(super) props: ProtectionTarget,
    pub(super) site: Site,
}

pub(super) const TARGET_MIX: [(TargetKind, f64); 13] = [
    (TargetKind::ResidentialCommunity, 0.40),
    (TargetKind::School, 0.10),
    (TargetKind::Kindergarten, 0.10),
    (TargetKind::Hospital, 0.05),
    (TargetKind::NursingHome, 0.06),
    (TargetKind::Market, 0.08),
    (TargetKind::Office, 0.06),
    (TargetKind::Venue, 0.03),
    (TargetKind::TransportHub, 0.03),
    (TargetKind::WaterSource, 0.01),
    (TargetKind::CulturalRelic, 0.04),
    (TargetKind::ReligiousSite, 0.03),
    (TargetKind::Other, 0.01),
];

/// The class GB 36894 would give (used only for the few targets that state one).
pub(super) fn class_of(
    kind: TargetKind,
    population: Option<u32>,
    households: Option<u32>,
) -> TargetClass {
    match kind {
        TargetKind::School
        | TargetKind::Kindergarten
        | TargetKind::Hospital
        | TargetKind::NursingHome => TargetClass::HighSensitivity,
        TargetKind::CulturalRelic | TargetKind::ReligiousSite | TargetKind::Military => {
            TargetClass::Important
        }
        _ => {
            let (p, h) = (population.unwrap_or(0), households.unwrap_or(0));
            if h >= 30 || p >= 100 {
                TargetClass::General1
            } else if h >= 10 || p >= 30 {
                TargetClass::General2
            } else {
                TargetClass::General3
            }
        }
    }
}

pub(super) fn build_targets(
    world: &mut World,
    rng: &mut Rand,
    n: usize,
    towns: &[Town],
    parks: &[Park],
) -> Vec<TargetPlan> {
    let town_w: Vec<f64> = towns.iter().map(|t| t.weight).collect();
    let mix_w: Vec<f64> = TARGET_MIX.iter().map(|m| m.1).collect();
    let chem = parks
        .iter()
        .find(|p| p.kind == ParkKind::Chemical)
        .map(|p| p.rect);
    // A few sensitive targets close to the chemical park, the planning conflicts a map must show.
    let near_chem = [
        TargetKind::School,
        TargetKind::ResidentialCommunity,
        TargetKind::Kindergarten,
        TargetKind::NursingHome,
    ];
    let specials = if n >= 12 && chem.is_some() {
        near_chem.len()
    } else {
        0
    };
    let mut out = Vec::with_capacity(n);
    for k in 0..n {
        let kind = if let Some(&kind) = near_chem.get(k).filter(|_| k < specials) {
            kind
        } else {
            TARGET_MIX[weighted(rng, &mix_w)].0
        };
        let t = weighted(rng, &town_w);
        let town = &towns[t];
        let in_town = match kind {
            TargetKind::ResidentialCommunity
            | TargetKind::Market
            | TargetKind::Office
            | TargetKind::Venue
            | TargetKind::TransportHub => true,
            TargetKind::School
            | TargetKind::Kindergarten
            | TargetKind::Hospital
            | TargetKind::NursingHome => chance(rng, 0.65),
            _ => false,
        };
        let (centre, radius) = match (k < specials, chem) {
            (true, Some(r)) => (
                r.c + direction(rng) * (r.hw.max(r.hh) + uni(rng, 500.0, 1400.0)),
                150.0,
            ),
            _ if in_town => (town.centre, town.radius),
            _ => (world.mask.in_cell(rng), 1000.0),
        };
        let (size, polygon_share): ((f64, f64), f64) = match kind {
            TargetKind::ResidentialCommunity => {
                ((uni(rng, 60.0, 240.0), uni(rng, 60.0, 220.0)), 1.0)
            }
            TargetKind::School => ((uni(rng, 90.0, 220.0), uni(rng, 90.0, 200.0)), 1.0),
            TargetKind::Kindergarten => ((uni(rng, 35.0, 70.0), uni(rng, 30.0, 60.0)), 0.7),
            TargetKind::Hospital => ((uni(rng, 60.0, 200.0), uni(rng, 60.0, 160.0)), 0.9),
            TargetKind::NursingHome => ((uni(rng, 40.0, 100.0), uni(rng, 30.0, 80.0)), 0.6),
            TargetKind::Market => ((uni(rng, 40.0, 120.0), uni(rng, 40.0, 100.0)), 0.5),
            TargetKind::Venue => ((uni(rng, 80.0, 200.0), uni(rng, 80.0, 160.0)), 1.0),
            TargetKind::TransportHub => ((uni(rng, 60.0, 150.0), uni(rng, 60.0, 120.0)), 1.0),
            TargetKind::CulturalRelic => ((uni(rng, 20.0, 60.0), uni(rng, 20.0, 50.0)), 0.3),
            _ => ((20.0, 20.0), 0.0),
        };
        let site = if chance(rng, polygon_share) {
            let mut placed = None;
            for scale in [1.0, 1.5, 3.0] {
                placed = world.place_rect(rng, centre, radius * scale, town.frame, size, 8.0);
                if placed.is_some() {
                    break;
                }
            }
            match placed {
                Some(r) => Site::Rect(r),
                None => Site::Point(world.place_point(rng, centre, radius)),
            }
        } else {
            Site::Point(world.place_point(rng, centre, radius))
        };
        let area = match &site {
            Site::Rect(r) => 4.0 * r.hw * r.hh,
            Site::Point(_) => size.0 * size.1,
        };
        let (population, households) = match kind {
            TargetKind::ResidentialCommunity => {
                let h = ((area * uni(rng, 0.008, 0.03)).round() as u32).max(12);
                (
                    Some((f64::from(h) * uni(rng, 2.3, 3.0)).round() as u32),
                    Some(h),
                )
            }
            TargetKind::School => (Some(int_in(rng, 300, 2500)), None),
            TargetKind::Kindergarten => (Some(int_in(rng, 60, 450)), None),
            TargetKind::Hospital => (Some(int_in(rng, 80, 1500)), None),
            TargetKind::NursingHome => (Some(int_in(rng, 20, 260)), None),
            TargetKind::Market => (Some(int_in(rng, 100, 1500)), None),
            TargetKind::Office => (Some(int_in(rng, 30, 400)), None),
            TargetKind::Venue => (Some(int_in(rng, 500, 5000)), None),
            TargetKind::TransportHub => (Some(int_in(rng, 100, 2000)), None),
            TargetKind::ReligiousSite => (Some(int_in(rng, 10, 200)), None),
            _ => (None, None),
        };
        // Named after the town it lies in, as such places are.
        let tn = towns[nearest_town(towns, site.centre())]
            .name
            .trim_end_matches(['镇', '街', '道']);
        let name = match kind {
            TargetKind::ResidentialCommunity => {
                format!(
                    "{}{}",
                    zihao(rng),
                    pick(rng, &["花园", "苑", "家园", "新村", "名邸", "小区"])
                )
            }
            TargetKind::School => format!(
                "{tn}{}",
                pick(
                    rng,
                    &["中心小学", "实验小学", "初级中学", "第二中学", "高级中学"]
                )
            ),
            TargetKind::Kindergarten => format!("{tn}{}幼儿园", zihao(rng)),
            TargetKind::Hospital => format!(
                "{tn}{}",
                pick(rng, &["人民医院", "卫生院", "中医院", "社区卫生服务中心"])
            ),
            TargetKind::NursingHome => {
                format!("{tn}{}", pick(rng, &["敬老院", "颐养院", "养老服务中心"]))
            }
            TargetKind::Market => format!("{tn}{}", pick(rng, &["农贸市场", "商贸城", "购物中心"])),
            TargetKind::Office => format!(
                "{tn}{}",
                pick(rng, &["便民服务中心", "社区服务中心", "综合办公楼"])
            ),
            TargetKind::Venue => format!("{tn}{}", pick(rng, &["文体中心", "影剧院", "体育馆"])),
            TargetKind::TransportHub => format!("{tn}汽车客运站"),
            TargetKind::WaterSource => "长江取水口".to_string(),
            TargetKind::CulturalRelic => format!("{}氏宅院（文物保护单位）", pick(rng, &ZIHAO)),
            TargetKind::ReligiousSite => {
                format!("{}{}", zihao(rng), pick(rng, &["寺", "庵", "教堂"]))
            }
            _ => format!("{}广场", zihao(rng)),
        };
        let class = chance(rng, 0.06).then(|| class_of(kind, population, households));
        out.push(TargetPlan {
            props: ProtectionTarget {
                name: format!("{name}{SYNTH}"),
                kind: Some(kind),
                class,
                population,
                households,
            },
            site,
        });
    }
    out
}
