//! Names and identifiers of the synthetic ledgers: firm name stems, unified social credit
//! codes with valid check characters, unassigned phone numbers, village and street names.

use super::arith::{Rand, below, chance, pick};

pub(super) const ZIHAO: [&str; 40] = [
    "恒", "瑞", "华", "泰", "鑫", "通", "江", "润", "联", "盛", "达", "宏", "远", "科", "创", "嘉",
    "信", "昌", "隆", "丰", "源", "凯", "腾", "正", "元", "祥", "宇", "锦", "和", "振", "富", "誉",
    "晨", "东", "海", "洲", "蓝", "博", "新", "中",
];

pub(super) fn zihao(rng: &mut Rand) -> String {
    format!("{}{}", pick(rng, &ZIHAO), pick(rng, &ZIHAO))
}

pub(super) const CC_CHARS: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
pub(super) const CC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A unified social credit code (GB 32100-2015) with valid check characters: "91" (a
/// company), the registration area, a 9-character organisation code (GB 11714 check) and
/// the final check character.
pub(super) fn credit_code(rng: &mut Rand, area: &str) -> String {
    let mut s = format!("91{area}");
    let mut org: Vec<u8> = Vec::with_capacity(9);
    if chance(rng, 0.5) {
        org.push(b'1' + below(rng, 9) as u8);
        for _ in 0..7 {
            org.push(b'0' + below(rng, 10) as u8);
        }
    } else {
        // Codes issued since 2015 start with "MA".
        org.extend_from_slice(b"MA");
        for _ in 0..6 {
            org.push(CC_CHARS[below(rng, 31)]);
        }
    }
    let w = [3u32, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = org
        .iter()
        .zip(w)
        .map(|(&ch, wi)| {
            let v = if ch.is_ascii_digit() {
                u32::from(ch - b'0')
            } else {
                u32::from(ch - b'A') + 10
            };
            v * wi
        })
        .sum();
    org.push(match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        d => b'0' + d as u8,
    });
    s.push_str(&String::from_utf8_lossy(&org));
    let total: u32 = s
        .bytes()
        .zip(CC_WEIGHTS)
        .map(|(ch, wi)| CC_CHARS.iter().position(|&x| x == ch).unwrap_or(0) as u32 * wi)
        .sum();
    let check = (31 - total % 31) % 31;
    s.push(char::from(CC_CHARS[check as usize]));
    s
}

/// A synthetic phone number: the 100–109 prefixes are not assigned to any mobile network.
pub(super) fn phone(rng: &mut Rand) -> String {
    format!(
        "10{}-{:04}-{:04}",
        below(rng, 10),
        below(rng, 10_000),
        below(rng, 10_000)
    )
}

pub(super) const VILLAGE_A: [&str; 30] = [
    "东", "西", "南", "北", "新", "永", "长", "红", "兴", "太", "平", "富", "民", "安", "福", "德",
    "大", "双", "三", "五", "万", "合", "利", "庆", "光", "跃", "友", "星", "余", "海",
];
pub(super) const VILLAGE_B: [&str; 24] = [
    "兴", "河", "桥", "安", "平", "丰", "港", "圩", "灶", "洪", "华", "盛", "南", "中", "和", "湾",
    "坝", "闸", "园", "宅", "庄", "沙", "垦", "埭",
];
pub(super) const STREETS: [&str; 30] = [
    "人民", "长江", "解放", "秀山", "南海", "北京", "上海", "青龙", "新海", "东洲", "江海", "浦江",
    "建设", "和平", "友谊", "育才", "通江", "沿河", "中南", "太湖", "黄海", "金山", "银河", "光明",
    "富江", "工农", "跃进", "胜利", "民主", "文化",
];

pub(super) fn village_name(id: u32) -> String {
    let i = id as usize;
    format!("{}{}", VILLAGE_A[i % 30], VILLAGE_B[(i / 30 + i * 7) % 24])
}

pub(super) fn street_name(town: usize, dir: u8, k: i32) -> String {
    let i = (town * 7 + (k + 64) as usize * 3 + usize::from(dir) * 11) % STREETS.len();
    format!("{}{}", STREETS[i], if dir == 0 { "路" } else { "街" })
}
