//! 隐患 — hidden hazards: the records of the closed loop (闭环) that finds a hazard,
//! rectifies it by a deadline, verifies it and closes it (销号).
//!
//! A hidden hazard belongs to a feature of another layer (an enterprise, a hazard
//! source, a gas pipeline, a house or a protection target) and is drawn at its own
//! location when the ledger gives one, at that feature's otherwise. Its dates are
//! calendar days ([`Day`]); its state on a given day is worked out by
//! `analysis::hidden_hazards`.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::LayerKind;

/// A calendar day (proleptic Gregorian), as ledgers write dates: no time, no zone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Day(time::Date);

impl Day {
    /// The day `year-month-day`, if it exists.
    pub fn new(year: i32, month: u8, day: u8) -> Option<Day> {
        let month = time::Month::try_from(month).ok()?;
        time::Date::from_calendar_date(year, month, day)
            .ok()
            .map(Day)
    }

    /// Today in UTC+8 (China Standard Time), the day the bureaus' ledgers count in.
    pub fn today() -> Day {
        let now = time::OffsetDateTime::now_utc() + time::Duration::hours(8);
        Day(now.date())
    }

    /// The day a number of days after this one (before, when negative); saturating at
    /// the ends of the calendar the `time` crate supports.
    pub fn plus_days(self, days: i64) -> Day {
        Day(self
            .0
            .checked_add(time::Duration::days(days))
            .unwrap_or(if days < 0 {
                time::Date::MIN
            } else {
                time::Date::MAX
            }))
    }

    /// Days from `earlier` to this day (negative when `earlier` is later).
    pub fn days_since(self, earlier: Day) -> i64 {
        (self.0 - earlier.0).whole_days()
    }

    /// Year, month (1–12) and day of the month.
    pub fn ymd(self) -> (i32, u8, u8) {
        (self.0.year(), self.0.month() as u8, self.0.day())
    }

    /// The first day of this day's month.
    pub fn month_start(self) -> Day {
        let (y, m, _) = self.ymd();
        Day::new(y, m, 1).unwrap_or(self)
    }

    /// Days since 1970-01-01 (for spreadsheets and the tiles).
    pub fn unix_days(self) -> i64 {
        i64::from(self.0.to_julian_day()) - 2_440_588
    }

    /// Parses `YYYY-MM-DD` exactly (the form this crate writes); ledgers' other forms are
    /// read by the loaders.
    pub fn parse_iso(s: &str) -> Option<Day> {
        let s = s.trim();
        let mut it = s.splitn(3, '-');
        let (y, m, d) = (it.next()?, it.next()?, it.next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return None;
        }
        Day::new(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
    }
}

impl fmt::Display for Day {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (y, m, d) = self.ymd();
        write!(f, "{y:04}-{m:02}-{d:02}")
    }
}

impl Serialize for Day {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Day {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Day, D::Error> {
        let s = String::deserialize(d)?;
        Day::parse_iso(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("{s:?} is not a date YYYY-MM-DD")))
    }
}

vocabulary! {
    /// Where a hidden hazard stands in its closed loop (隐患状态). The order is the
    /// loop's: pending, in rectification, rectified and awaiting acceptance, closed;
    /// `supervised` (挂牌督办) is a major one under named supervision, still open.
    HiddenHazardStatus {
        /// 待整改 — found, rectification ordered, not begun
        Pending = "pending", "待整改" | "未整改" | "已下达整改";
        /// 整改中
        InProgress = "in_progress", "整改中" | "正在整改";
        /// 已整改待验收 — rectified, awaiting acceptance (复核)
        Rectified = "rectified", "已整改待验收" | "已整改" | "待验收" | "整改完成";
        /// 已销号 — accepted and closed
        Closed = "closed", "已销号" | "销号" | "已验收销号" | "已闭环";
        /// 挂牌督办 — a major one under named supervision
        Supervised = "supervised", "挂牌督办" | "督办";
    }
}

impl HiddenHazardStatus {
    /// Whether the hazard is still open (everything but 已销号).
    pub fn is_open(self) -> bool {
        self != HiddenHazardStatus::Closed
    }
}

vocabulary! {
    /// How a hidden hazard was found (发现方式).
    FoundBy {
        /// 企业自查
        SelfInspection = "self_inspection", "企业自查" | "自查" | "自查自报";
        /// 执法检查
        Enforcement = "enforcement", "执法检查" | "监督检查" | "行政执法";
        /// 专项检查 / 专项整治
        Campaign = "campaign", "专项检查" | "专项整治" | "专项行动";
        /// 举报
        Report = "report", "举报" | "群众举报" | "投诉举报";
        /// 其他
        Other = "other", "其他";
    }
}

/// A text of a ledger, held once for the records that repeat it: a ledger's categories,
/// units, people and measures recur in thousands of rows, and the loader points equal
/// texts of each chunk of 2,048 rows it reads at one allocation (BENCHMARKS.md, "The
/// tile archive below tippecanoe's peak"). It reads as a `str`.
pub type Text = std::sync::Arc<str>;

/// 隐患 — one hidden hazard of a ledger.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HiddenHazard {
    /// The layer of the feature it belongs to (关联对象类型); the loader fills it when
    /// the ledger names the feature alone.
    pub feature_layer: Option<LayerKind>,
    /// The id of the feature it belongs to (关联对象编号; an enterprise also by name or
    /// credit code in a ledger).
    pub feature_id: Option<Text>,
    /// Whether the ledger gave its own location; otherwise it is drawn at the feature's.
    pub own_location: bool,
    /// 行业领域 (危险化学品, 工贸, 燃气, 建筑施工, …), as written.
    pub industry: Option<Text>,
    /// 隐患类别 (设备设施, 安全管理, 作业环境, 消防安全, …), as written.
    pub category: Option<Text>,
    /// 重大事故隐患 (`true`) or 一般事故隐患.
    pub major: bool,
    /// 隐患描述
    pub description: Text,
    /// 发现方式
    pub found_by: Option<FoundBy>,
    /// 发现日期
    pub discovered: Option<Day>,
    /// 整改责任单位
    pub responsible_unit: Option<Text>,
    /// 整改责任人 — personal data: shown in lists, never tiled.
    pub responsible_person: Option<Text>,
    /// 整改措施
    pub measures: Option<Text>,
    /// 整改资金, 万元
    pub funds_wan_yuan: Option<f64>,
    /// 整改期限
    pub deadline: Option<Day>,
    /// 应急预案 (for a major one, one of the "five in place")
    pub contingency_plan: Option<Text>,
    /// 隐患状态
    pub status: HiddenHazardStatus,
    /// 整改完成日期
    pub rectified: Option<Day>,
    /// 验收人
    pub verified_by: Option<Text>,
    /// 销号日期
    pub closed: Option<Day>,
    /// 退回整改次数 — acceptances that failed and sent it back to rectification.
    pub reopened: u32,
    /// 退回原因 — why it was last sent back.
    pub reopen_reason: Option<Text>,
}

// (The vocabulary macro derives no `Default` for the other vocabularies, which have none.)
#[allow(clippy::derivable_impls)]
impl Default for HiddenHazardStatus {
    fn default() -> Self {
        HiddenHazardStatus::Pending
    }
}

impl HiddenHazard {
    /// What a major hidden hazard lacks of the "five in place" (五落实: responsibility,
    /// measures, funds, deadline, contingency plan), by its Chinese name; empty when all
    /// are there (or when it is a general one).
    pub fn five_in_place_missing(&self) -> Vec<&'static str> {
        if !self.major {
            return Vec::new();
        }
        let mut missing = Vec::new();
        if self.responsible_unit.is_none() && self.responsible_person.is_none() {
            missing.push("责任");
        }
        if self.measures.is_none() {
            missing.push("措施");
        }
        if self.funds_wan_yuan.is_none() {
            missing.push("资金");
        }
        if self.deadline.is_none() {
            missing.push("时限");
        }
        if self.contingency_plan.is_none() {
            missing.push("预案");
        }
        missing
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_count_across_months_and_leap_years() {
        let a = Day::new(2024, 2, 28).unwrap();
        let b = Day::new(2024, 3, 1).unwrap();
        // 2024 is a leap year: 28 Feb → 29 Feb → 1 Mar.
        assert_eq!(b.days_since(a), 2);
        assert_eq!(a.days_since(b), -2);
        assert_eq!(a.plus_days(2), b);
        assert_eq!(Day::new(2023, 2, 29), None);
        assert_eq!(Day::new(2024, 13, 1), None);
        // 1970-01-01 is day 0; 2000-01-01 is 10,957 days later (30 years, 7 of them leap).
        assert_eq!(Day::new(1970, 1, 1).unwrap().unix_days(), 0);
        assert_eq!(Day::new(2000, 1, 1).unwrap().unix_days(), 10_957);
        assert_eq!(b.month_start(), b);
        assert_eq!(Day::new(2024, 3, 17).unwrap().month_start(), b);
    }

    #[test]
    fn days_are_written_and_read_as_iso_dates() {
        let d = Day::new(2025, 7, 4).unwrap();
        assert_eq!(d.to_string(), "2025-07-04");
        assert_eq!(Day::parse_iso("2025-07-04"), Some(d));
        assert_eq!(Day::parse_iso("2025-7-4"), None);
        assert_eq!(serde_json::to_string(&d).unwrap(), "\"2025-07-04\"");
        assert_eq!(serde_json::from_str::<Day>("\"2025-07-04\"").unwrap(), d);
        assert!(serde_json::from_str::<Day>("\"2025-02-30\"").is_err());
    }

    #[test]
    fn statuses_parse_from_ledger_words() {
        assert_eq!(
            HiddenHazardStatus::parse("已整改待验收"),
            Some(HiddenHazardStatus::Rectified)
        );
        assert_eq!(
            HiddenHazardStatus::parse("挂牌督办"),
            Some(HiddenHazardStatus::Supervised)
        );
        assert_eq!(
            HiddenHazardStatus::parse("closed"),
            Some(HiddenHazardStatus::Closed)
        );
        assert!(HiddenHazardStatus::Supervised.is_open());
        assert!(!HiddenHazardStatus::Closed.is_open());
        assert_eq!(FoundBy::parse("群众举报"), Some(FoundBy::Report));
    }

    #[test]
    fn a_major_hazard_names_what_it_lacks_of_the_five_in_place() {
        let mut h = HiddenHazard {
            major: true,
            measures: Some("更换泄压阀".into()),
            deadline: Day::new(2025, 1, 31),
            ..HiddenHazard::default()
        };
        assert_eq!(h.five_in_place_missing(), vec!["责任", "资金", "预案"]);
        h.major = false;
        assert!(h.five_in_place_missing().is_empty());
    }
}
