//! Parks and enterprises: the chemical and industrial parks, the firms (hosts of hazard
//! sources first, then the others by industry) and where their sites go.

use super::arith::{
    C, Rand, below, bucketed, c, chance, direction, int_in, perp, pick, round_to, shuffle, uni,
    unit_from_half_tan, weighted,
};
use super::haimen::{DISTRICT, HAIMEN_PARKS};
use super::hazards::{CHEM_TEMPLATES, TOWN_TEMPLATES, UnitPlan, plan_unit};
use super::mask::IN;
use super::names::{credit_code, phone, zihao};
use super::shapes::RotRect;
use super::towns::Town;
use super::world::World;
use super::{GenerateOptions, SYNTH, UNITS_PER_HOST};
use crate::model::{Enterprise, Industry, UnitType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ParkKind {
    Chemical,
    Industrial,
}

pub(super) struct Park {
    pub(super) name: String,
    pub(super) kind: ParkKind,
    pub(super) rect: RotRect,
    pub(super) weight: f64,
    /// How far the park may grow (half-width) when the boundary cuts it.
    pub(super) max_hw: f64,
    /// Sites that found no room; past a few, the park counts as full.
    pub(super) misses: u32,
}

/// The parks of a place named by the caller, after its name, in the order of
/// [`HAIMEN_PARKS`] (whose kinds they take).
const GENERIC_PARKS: [&str; 5] = [
    "化工园区",
    "经济技术开发区",
    "港区",
    "工业集中区",
    "沿江化工集中区",
];

/// Largest half-width of a park, m: a big city gets more firms outside the parks, not a
/// park the size of the district.
pub(super) const MAX_PARK_HW: [f64; 2] = [1800.0, 2500.0];

/// Hosts of hazard sources above which a second chemical cluster is opened.
pub(super) const SECOND_CHEM_PARK_HOSTS: usize = 100;

#[derive(Debug, Clone)]
pub(super) enum Site {
    Point(C),
    Rect(RotRect),
}

impl Site {
    pub(super) fn centre(&self) -> C {
        match self {
            Site::Point(p) => *p,
            Site::Rect(r) => r.c,
        }
    }
}

pub(super) struct EntPlan {
    pub(super) id: usize,
    pub(super) props: Enterprise,
    pub(super) site: Site,
    pub(super) units: Vec<UnitPlan>,
}

pub(super) struct Enterprises {
    pub(super) parks: Vec<Park>,
    pub(super) ents: Vec<EntPlan>,
}

pub(super) fn industry_words(i: Industry) -> &'static [&'static str] {
    match i {
        Industry::HazchemProduction => &["化工", "精细化工", "新材料科技", "医药化工"],
        Industry::HazchemStorage => &["化工仓储", "石化储运", "能源储运"],
        Industry::HazchemTrade => &["化工贸易", "化工原料经营", "危化品物流"],
        Industry::HazchemUse => &["涂装", "印染", "电子材料", "生物医药"],
        Industry::DustExplosion => &["木业", "饲料", "铝制品", "家纺棉业"],
        Industry::AmmoniaRefrigeration => &["冷链物流", "食品", "水产冷冻"],
        Industry::ConfinedSpace => &["污水处理", "酿造", "造纸", "家纺印染"],
        Industry::Metallurgy => &["铸造", "钢结构", "有色金属"],
        _ => &["家纺", "机械", "电子", "服饰", "船舶配套", "建材", "纺织"],
    }
}

/// Industries of the firms that host no hazard source, and their weights.
pub(super) const INDUSTRY_MIX: [(Industry, f64); 9] = [
    (Industry::HazchemProduction, 0.03),
    (Industry::HazchemStorage, 0.01),
    (Industry::HazchemTrade, 0.10),
    (Industry::HazchemUse, 0.10),
    (Industry::DustExplosion, 0.09),
    (Industry::AmmoniaRefrigeration, 0.03),
    (Industry::ConfinedSpace, 0.12),
    (Industry::Metallurgy, 0.06),
    (Industry::Other, 0.46),
];

/// Employees: a log-skewed table (5–2000, median ~30).
pub(super) const EMPLOYEES: [(f64, f64, f64); 8] = [
    (5.0, 10.0, 0.22),
    (10.0, 20.0, 0.22),
    (20.0, 50.0, 0.22),
    (50.0, 100.0, 0.14),
    (100.0, 200.0, 0.09),
    (200.0, 500.0, 0.07),
    (500.0, 1000.0, 0.03),
    (1000.0, 2000.0, 0.01),
];

/// Where a firm goes.
#[derive(Debug, Clone, Copy)]
pub(super) enum Place {
    Park(usize),
    Town(usize),
    Outskirts(usize),
    Anywhere,
}

pub(super) struct Spec {
    pub(super) industry: Industry,
    pub(super) employees: u32,
    pub(super) place: Place,
    /// Site size, if it gets a polygon.
    pub(super) size: Option<(f64, f64)>,
    /// Units (template, town template?, width, height) for hosts.
    pub(super) units: Vec<(usize, bool, f64, f64)>,
}

pub(super) fn hidden_hazards(rng: &mut Rand) -> u32 {
    match weighted(rng, &[0.45, 0.25, 0.15, 0.08, 0.07]) {
        0 => 0,
        1 => 1,
        2 => 2,
        3 => 3,
        _ => int_in(rng, 4, 9),
    }
}

/// Lays the units of a host out in rows of up to three inside a site; returns the site size
/// and each unit's centre in the site's frame.
pub(super) fn layout_units(units: &[(usize, bool, f64, f64)]) -> ((f64, f64), Vec<C>) {
    const MARGIN: f64 = 25.0;
    const GAP: f64 = 15.0;
    const OFFICE: f64 = 30.0;
    let rows: Vec<&[(usize, bool, f64, f64)]> = units.chunks(3).collect();
    let width = rows
        .iter()
        .map(|r| r.iter().map(|u| u.2).sum::<f64>() + GAP * (r.len() as f64 - 1.0))
        .fold(0.0, f64::max)
        + 2.0 * MARGIN;
    let heights: Vec<f64> = rows
        .iter()
        .map(|r| r.iter().map(|u| u.3).fold(0.0, f64::max))
        .collect();
    let height =
        heights.iter().sum::<f64>() + GAP * (rows.len() as f64 - 1.0) + 2.0 * MARGIN + OFFICE;
    let mut centres = Vec::new();
    let mut y = -height / 2.0 + MARGIN + OFFICE;
    for (r, h) in rows.iter().zip(&heights) {
        let mut x = -width / 2.0 + MARGIN;
        for u in r.iter() {
            centres.push(c(x + u.2 / 2.0, y + h / 2.0));
            x += u.2 + GAP;
        }
        y += h + GAP;
    }
    ((width, height), centres)
}

pub(super) fn build_enterprises(
    world: &mut World,
    rng: &mut Rand,
    opts: &GenerateOptions,
    towns: &[Town],
) -> Enterprises {
    let n_ent = opts.enterprises;
    let n_hs = opts.hazard_sources;
    let n_hosts = if n_hs == 0 {
        0
    } else {
        ((n_hs as f64 / UNITS_PER_HOST).ceil() as usize).clamp(1, n_ent)
    };

    // Parks: the Haimen positions where they fall well inside, else random inside points.
    let mut parks: Vec<Park> = Vec::new();
    for (pi, &(name, kind, lon, lat, turn, weight)) in HAIMEN_PARKS.iter().enumerate() {
        if name == HAIMEN_PARKS[4].0 && n_hosts <= SECOND_CHEM_PARK_HOSTS {
            continue;
        }
        let mut p = world.plane.to_m(c(lon, lat));
        if world.district != DISTRICT
            || world
                .mask
                .cell_of(p)
                .is_none_or(|k| world.mask.state[k] != IN)
        {
            p = world.mask.in_cell(rng);
        }
        parks.push(Park {
            name: if world.named {
                format!("{}{}", world.district, GENERIC_PARKS[pi])
            } else {
                name.to_string()
            },
            kind,
            rect: RotRect {
                c: p,
                u: unit_from_half_tan(turn),
                hw: 600.0,
                hh: 400.0,
            },
            weight,
            max_hw: 600.0,
            misses: 0,
        });
    }
    let chem: Vec<usize> = (0..parks.len())
        .filter(|&i| parks[i].kind == ParkKind::Chemical)
        .collect();
    let ind: Vec<usize> = (0..parks.len())
        .filter(|&i| parks[i].kind == ParkKind::Industrial)
        .collect();
    let ind_w: Vec<f64> = ind.iter().map(|&i| parks[i].weight).collect();
    let town_w: Vec<f64> = towns.iter().map(|t| t.weight).collect();

    // Units per host: one each, the rest spread at random.
    let mut units_per = vec![1usize; n_hosts];
    for _ in n_hosts..n_hs {
        let k = below(rng, n_hosts);
        units_per[k] += 1;
    }

    // Chemical-park units cycle through the templates in a shuffled order, so that even a
    // small city has every kind of unit (and the category-fallback substances).
    let mut chem_order: Vec<usize> = (0..CHEM_TEMPLATES.len()).collect();
    shuffle(rng, &mut chem_order);
    let mut chem_units = 0;
    let mut specs: Vec<Spec> = Vec::with_capacity(n_ent);
    for &k in &units_per {
        let in_town = chance(rng, 0.2);
        let mut units = Vec::new();
        for _ in 0..k {
            let (tpl, town_tpl) = if in_town {
                (below(rng, TOWN_TEMPLATES.len()), true)
            } else {
                chem_units += 1;
                (chem_order[(chem_units - 1) % chem_order.len()], false)
            };
            let (w, h) = if in_town {
                (uni(rng, 30.0, 70.0), uni(rng, 30.0, 60.0))
            } else if CHEM_TEMPLATES[tpl].unit_type == UnitType::Production {
                (uni(rng, 50.0, 150.0), uni(rng, 40.0, 120.0))
            } else {
                (uni(rng, 40.0, 150.0), uni(rng, 30.0, 100.0))
            };
            units.push((tpl, town_tpl, w, h));
        }
        let production = units
            .iter()
            .any(|u| !u.1 && CHEM_TEMPLATES[u.0].unit_type == UnitType::Production);
        let industry = if production {
            Industry::HazchemProduction
        } else {
            Industry::HazchemStorage
        };
        let employees = if production {
            int_in(rng, 50, 800)
        } else {
            int_in(rng, 12, 120)
        };
        let place = if in_town {
            Place::Outskirts(weighted(rng, &town_w))
        } else if chem.len() > 1 && chance(rng, 0.4) {
            Place::Park(chem[1])
        } else {
            Place::Park(chem[0])
        };
        let (size, _) = layout_units(&units);
        specs.push(Spec {
            industry,
            employees,
            place,
            size: Some(size),
            units,
        });
    }
    let weights: Vec<f64> = INDUSTRY_MIX.iter().map(|m| m.1).collect();
    for _ in n_hosts..n_ent {
        let industry = INDUSTRY_MIX[weighted(rng, &weights)].0;
        let employees = bucketed(rng, &EMPLOYEES) as u32;
        let to_ind = |rng: &mut Rand| {
            if ind.is_empty() {
                Place::Anywhere
            } else {
                Place::Park(ind[weighted(rng, &ind_w)])
            }
        };
        let place = match industry {
            Industry::HazchemProduction | Industry::HazchemStorage => {
                if chance(rng, 0.8) {
                    Place::Park(chem[0])
                } else {
                    to_ind(rng)
                }
            }
            Industry::HazchemTrade => {
                if chance(rng, 0.8) {
                    Place::Town(weighted(rng, &town_w))
                } else {
                    to_ind(rng)
                }
            }
            Industry::AmmoniaRefrigeration => {
                if chance(rng, 0.4) {
                    to_ind(rng)
                } else {
                    Place::Outskirts(weighted(rng, &town_w))
                }
            }
            _ => match weighted(rng, &[0.6, 0.25, 0.15]) {
                0 => to_ind(rng),
                1 => Place::Town(weighted(rng, &town_w)),
                _ => Place::Anywhere,
            },
        };
        let polygon = match place {
            Place::Park(_) => employees >= 50 || chance(rng, 0.2),
            _ => employees >= 150,
        };
        let size = polygon.then(|| {
            let area = 600.0 + f64::from(employees) * uni(rng, 50.0, 120.0);
            let aspect = uni(rng, 1.0, 1.8);
            let w = (area * aspect).sqrt().min(500.0);
            (w, (area / w).min(400.0))
        });
        specs.push(Spec {
            industry,
            employees,
            place,
            size,
            units: Vec::new(),
        });
    }

    // Park sizes from what they must hold (sites fill ~40 % of a park).
    for (pi, park) in parks.iter_mut().enumerate() {
        let need: f64 = specs
            .iter()
            .filter(|s| matches!(s.place, Place::Park(p) if p == pi))
            .map(|s| s.size.map_or(400.0, |(w, h)| w * h))
            .sum::<f64>()
            / 0.4;
        let cap = MAX_PARK_HW[usize::from(park.kind == ParkKind::Industrial)];
        let hw = ((need * 1.6).sqrt() / 2.0).clamp(600.0, cap);
        park.rect.hw = hw;
        park.rect.hh = hw / 1.6;
        park.max_hw = (hw * 1.3).min(cap * 1.15);
    }

    // Ids in a shuffled order, so that a ledger does not list the hosts first.
    let mut ids: Vec<usize> = (0..specs.len()).collect();
    shuffle(rng, &mut ids);

    let mut ents = Vec::with_capacity(specs.len());
    let mut planned_units = 0usize;
    for (k, spec) in specs.iter().enumerate() {
        let site = place_enterprise(world, rng, &mut parks, towns, spec);
        let word = pick(rng, industry_words(spec.industry));
        let short = format!("{}{}", zihao(rng), word);
        let prefix = if chance(rng, 0.7) {
            &world.firm_prefixes[0]
        } else {
            &world.firm_prefixes[1]
        };
        let park = match spec.place {
            Place::Park(p) => Some(parks[p].name.clone()),
            _ => None,
        };
        let mut units = Vec::new();
        if let (Site::Rect(r), false) = (&site, spec.units.is_empty()) {
            let ((w, _), centres) = layout_units(&spec.units);
            // 1 unless the site had to shrink to fit (see `place_enterprise`).
            let f = r.hw * 2.0 / w;
            for (u, lc) in spec.units.iter().zip(centres) {
                let rect = RotRect {
                    c: r.c + r.u * (lc.x * f) + perp(r.u) * (lc.y * f),
                    u: r.u,
                    hw: u.2 * f / 2.0,
                    hh: u.3 * f / 2.0,
                };
                let tpl = if u.1 {
                    &TOWN_TEMPLATES[u.0]
                } else {
                    &CHEM_TEMPLATES[u.0]
                };
                let alpha = if u.1 { 2.0 } else { 1.0 };
                planned_units += 1;
                units.push(plan_unit(rng, tpl, rect, &short, (alpha, planned_units)));
            }
        }
        let props = Enterprise {
            name: format!("{prefix}{short}有限公司{SYNTH}"),
            credit_code: chance(rng, 0.97).then(|| credit_code(rng, &world.credit_area)),
            industry: (!spec.units.is_empty() || chance(rng, 0.97)).then_some(spec.industry),
            employees: chance(rng, 0.95).then_some(spec.employees),
            declared_level: None,
            open_hidden_hazards: hidden_hazards(rng),
            open_major_hidden_hazards: match weighted(rng, &[0.975, 0.021, 0.004]) {
                0 => 0,
                1 => 1,
                _ => 2,
            },
            park,
            phone: chance(rng, 0.85).then(|| phone(rng)),
        };
        ents.push(EntPlan {
            id: ids[k],
            props,
            site,
            units,
        });
    }
    ents.sort_by_key(|e| e.id);
    Enterprises { parks, ents }
}

pub(super) fn place_enterprise(
    world: &mut World,
    rng: &mut Rand,
    parks: &mut [Park],
    towns: &[Town],
    spec: &Spec,
) -> Site {
    let (centre, radius, u) = match spec.place {
        Place::Park(p) => {
            if let Some((w, h)) = spec.size
                && let Some(r) = place_in_park(world, rng, &mut parks[p], w, h)
            {
                return Site::Rect(r);
            }
            if spec.units.is_empty() {
                // A small firm, or a full park: a point (workshop, office) in the park.
                let park = &parks[p];
                let l = c(
                    uni(rng, -park.rect.hw, park.rect.hw),
                    uni(rng, -park.rect.hh, park.rect.hh),
                );
                let q = park.rect.c + park.rect.u * l.x + perp(park.rect.u) * l.y;
                return Site::Point(world.place_point(rng, q, 100.0));
            }
            // A chemical firm the park has no room for sits just outside it.
            (
                parks[p].rect.c,
                parks[p].rect.hw.max(parks[p].rect.hh) * 1.5,
                parks[p].rect.u,
            )
        }
        Place::Town(t) => (towns[t].centre, towns[t].radius * 1.1, towns[t].frame),
        Place::Outskirts(t) => {
            let d = direction(rng) * (towns[t].radius * uni(rng, 0.6, 1.6));
            (towns[t].centre + d, towns[t].radius * 0.4, towns[t].frame)
        }
        Place::Anywhere => (world.mask.in_cell(rng), 1500.0, world.axis),
    };
    if let Some(size) = spec.size {
        for scale in [1.0, 1.5] {
            if let Some(r) = world.place_rect(rng, centre, radius * scale, u, size, 10.0) {
                return Site::Rect(r);
            }
        }
        if !spec.units.is_empty() {
            // A host must have a site: anywhere with room, then (last resort, tiny
            // boundaries) a shrunken site in the middle of an inside cell.
            for _ in 0..100 {
                let p = world.mask.in_cell(rng);
                if let Some(r) = world.place_rect(rng, p, 2000.0, u, size, 10.0) {
                    return Site::Rect(r);
                }
            }
            let f = 35.0 / size.0.max(size.1);
            let r = RotRect {
                c: world.mask.in_cell(rng),
                u,
                hw: size.0 * f / 2.0,
                hh: size.1 * f / 2.0,
            };
            world.occ.mark(&r.corners(), 0.0);
            return Site::Rect(r);
        }
    }
    Site::Point(world.place_point(rng, centre, radius))
}

/// A free site inside a park, on the park's 10 m grid; the park grows when it is full.
pub(super) fn place_in_park(
    world: &mut World,
    rng: &mut Rand,
    park: &mut Park,
    w: f64,
    h: f64,
) -> Option<RotRect> {
    // A full park is not searched again at length: that is where large cities spend time.
    let attempts = if park.misses >= 5 { 20 } else { 150 };
    for attempt in 0..attempts {
        if attempt > 0 && attempt % 50 == 0 && park.rect.hw * 1.08 <= park.max_hw {
            park.rect.hw *= 1.08;
            park.rect.hh *= 1.08;
        }
        let lx = round_to(uni(rng, -park.rect.hw, park.rect.hw), 10.0);
        let ly = round_to(uni(rng, -park.rect.hh, park.rect.hh), 10.0);
        let r = RotRect {
            c: park.rect.c + park.rect.u * lx + perp(park.rect.u) * ly,
            u: park.rect.u,
            hw: w / 2.0,
            hh: h / 2.0,
        };
        let pts = r.corners();
        if world.occ.is_free(&pts, 10.0) && world.mask.contains_poly(&pts) {
            world.occ.mark(&pts, 0.0);
            return Some(r);
        }
    }
    park.misses += 1;
    None
}
