//! Durations shown as written. Every duration is held as a whole number of months (the
//! arithmetic never changes); the checker records beside it the unit people read it in —
//! months (`23 个月`), years (`2 年`) or years of age (`80 周岁`) — and everything that
//! prints a duration (explanations, traces, output columns, diagnostics) writes it in that
//! unit, exactly: a value that is not whole years is written in years and months.

use crate::explain::words::Lang;

/// The unit a duration is shown in.
///
/// *Where it comes from*: a literal as written (`24 months`, `2 years`, `80 周岁`); a field,
/// parameter, scale or definition declared `months`, `years` or `周岁`; `age(b)` and
/// `years_between` give 周岁, `months_between` months. *Where two meet* (arithmetic, a
/// comparison, `if`, `min`/`max`, a name's versions and values) the coarser wins:
/// 周岁 over years over months ([`DurationUnit::join`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DurationUnit {
    #[default]
    Months,
    Years,
    /// Years of age as people count them (周岁): whole years completed.
    Age,
}

impl DurationUnit {
    /// The unit of a literal's unit word, if it is a duration in months.
    pub fn of_literal(unit: Option<bylaw_grammar::ast::Unit>) -> Option<DurationUnit> {
        use bylaw_grammar::ast::Unit;
        match unit? {
            Unit::Months => Some(DurationUnit::Months),
            Unit::Years => Some(DurationUnit::Years),
            Unit::Age => Some(DurationUnit::Age),
            _ => None,
        }
    }

    /// The unit of a type name (`months`, `years`, `周岁` or `岁`), if it is a duration in
    /// months.
    pub fn of_type_name(name: &str) -> Option<DurationUnit> {
        match name {
            "months" => Some(DurationUnit::Months),
            "years" => Some(DurationUnit::Years),
            "周岁" | "岁" => Some(DurationUnit::Age),
            _ => None,
        }
    }

    /// The unit two durations are shown in together: the coarser one (周岁 over years
    /// over months), so that `residence >= 2 years` shows both sides in years.
    #[must_use]
    pub fn join(self, other: DurationUnit) -> DurationUnit {
        self.max(other)
    }

    /// `months` in this unit, for people: `23个月` / `23 months`, `2年` / `2 years`,
    /// `85年6个月` / `85 years 6 months`, `80周岁` / `80 years old`.
    pub fn text(self, months: i64, lang: Lang) -> String {
        let sign = if months < 0 { "-" } else { "" };
        let magnitude = months.unsigned_abs();
        let (years, rest) = (magnitude / 12, magnitude % 12);
        let plural =
            |n: u64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
        let body = match (self, lang) {
            (DurationUnit::Months, Lang::Zh) => format!("{magnitude}个月"),
            (DurationUnit::Months, Lang::En) => plural(magnitude, "month", "months"),
            // Less than a year, in a years context: the months alone (`6个月`, not `0年6个月`).
            (_, Lang::Zh) if years == 0 && rest != 0 => format!("{rest}个月"),
            (_, Lang::En) if years == 0 && rest != 0 => plural(rest, "month", "months"),
            (DurationUnit::Years, Lang::Zh) if rest == 0 => format!("{years}年"),
            (DurationUnit::Years, Lang::Zh) => format!("{years}年{rest}个月"),
            (DurationUnit::Age, Lang::Zh) if rest == 0 => format!("{years}周岁"),
            (DurationUnit::Age, Lang::Zh) => format!("{years}周岁{rest}个月"),
            (DurationUnit::Years, Lang::En) if rest == 0 => plural(years, "year", "years"),
            (DurationUnit::Years, Lang::En) => format!(
                "{} {}",
                plural(years, "year", "years"),
                plural(rest, "month", "months")
            ),
            (DurationUnit::Age, Lang::En) if rest == 0 => {
                format!("{} old", plural(years, "year", "years"))
            }
            (DurationUnit::Age, Lang::En) => format!(
                "{} {} old",
                plural(years, "year", "years"),
                plural(rest, "month", "months")
            ),
        };
        match (self, lang, months < 0 && years == 0) {
            // `6 months old` makes no sense below zero: a negative age is a duration.
            (DurationUnit::Age, Lang::En, true) => format!("-{}", plural(rest, "month", "months")),
            _ => format!("{sign}{body}"),
        }
    }

    /// `months` as an output file writes it: months as a whole number; years and 周岁 as
    /// a number of years — whole (`80`), or the exact decimal when a whole number of
    /// quarter years (`85.5`, `85.25`: what the data readers take back), else rounded
    /// half away from zero to six decimals (`85.083333` for 85 years 1 month).
    pub fn plain(self, months: i64) -> String {
        match self {
            DurationUnit::Months => months.to_string(),
            DurationUnit::Years | DurationUnit::Age => {
                let sign = if months < 0 { "-" } else { "" };
                let magnitude = months.unsigned_abs();
                let (years, rest) = (magnitude / 12, magnitude % 12);
                if rest == 0 {
                    return format!("{sign}{years}");
                }
                // rest / 12 in millionths, rounded half away from zero: at most 916,667,
                // so the whole years never carry.
                let micro = (rest * 1_000_000 + 6) / 12;
                let digits = format!("{micro:06}");
                format!("{sign}{years}.{}", digits.trim_end_matches('0'))
            }
        }
    }

    /// The value [`DurationUnit::plain`] writes for years, in millionths of a year: exact
    /// for whole quarter years, else rounded half away from zero.
    /// Months are not converted: this is for years and 周岁.
    pub fn micro_years(months: i64) -> i128 {
        bylaw_runtime::decimal::micro_years(months)
    }

    /// The unit's name in a type, as `bylaw explain` lists inputs and outputs:
    /// `months`, `years`, `周岁`.
    pub fn type_name(self) -> &'static str {
        match self {
            DurationUnit::Months => "months",
            DurationUnit::Years => "years",
            DurationUnit::Age => "周岁",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DurationUnit::{Age, Months, Years};
    use super::*;

    #[test]
    fn whole_years_are_shown_in_their_unit() {
        assert_eq!(Years.text(24, Lang::Zh), "2年");
        assert_eq!(Years.text(24, Lang::En), "2 years");
        assert_eq!(Years.text(12, Lang::En), "1 year");
        assert_eq!(Age.text(960, Lang::Zh), "80周岁");
        assert_eq!(Age.text(960, Lang::En), "80 years old");
        assert_eq!(Age.text(0, Lang::Zh), "0周岁");
        assert_eq!(Years.text(0, Lang::Zh), "0年");
    }

    #[test]
    fn months_stay_months_even_when_whole_years() {
        assert_eq!(Months.text(23, Lang::Zh), "23个月");
        assert_eq!(Months.text(24, Lang::Zh), "24个月");
        assert_eq!(Months.text(1, Lang::En), "1 month");
        assert_eq!(Months.text(0, Lang::En), "0 months");
        assert_eq!(Months.text(-3, Lang::Zh), "-3个月");
    }

    #[test]
    fn years_that_are_not_whole_are_years_and_months_never_rounded() {
        assert_eq!(Years.text(1026, Lang::Zh), "85年6个月");
        assert_eq!(Years.text(1026, Lang::En), "85 years 6 months");
        assert_eq!(Years.text(23, Lang::Zh), "1年11个月");
        assert_eq!(Years.text(13, Lang::En), "1 year 1 month");
        assert_eq!(Years.text(6, Lang::Zh), "6个月");
        assert_eq!(Years.text(-18, Lang::Zh), "-1年6个月");
        assert_eq!(Age.text(966, Lang::Zh), "80周岁6个月");
        assert_eq!(Age.text(966, Lang::En), "80 years 6 months old");
        assert_eq!(Age.text(-6, Lang::En), "-6 months");
    }

    #[test]
    fn the_coarser_unit_wins() {
        assert_eq!(Months.join(Years), Years);
        assert_eq!(Years.join(Months), Years);
        assert_eq!(Years.join(Age), Age);
        assert_eq!(Months.join(Age), Age);
        assert_eq!(Months.join(Months), Months);
    }

    #[test]
    fn output_files_write_years_exactly_where_a_decimal_can() {
        assert_eq!(Months.plain(960), "960");
        assert_eq!(Age.plain(960), "80");
        assert_eq!(Years.plain(1026), "85.5");
        assert_eq!(Years.plain(1023), "85.25");
        assert_eq!(Years.plain(1029), "85.75");
        assert_eq!(Years.plain(-6), "-0.5");
        assert_eq!(Years.plain(1021), "85.083333");
        assert_eq!(Years.plain(1031), "85.916667");
        assert_eq!(Years.plain(0), "0");
        assert_eq!(Years.plain(i64::MIN), "-768614336404564650.666667");
    }

    #[test]
    fn parquet_millionths_agree_with_the_text() {
        for months in [
            0,
            1,
            6,
            11,
            960,
            1021,
            1026,
            1031,
            -1,
            -6,
            -1021,
            i64::MAX,
            i64::MIN,
        ] {
            let micro = DurationUnit::micro_years(months);
            let (whole, frac) = (micro.abs() / 1_000_000, micro.abs() % 1_000_000);
            let sign = if micro < 0 { "-" } else { "" };
            let text = if frac == 0 {
                format!("{sign}{whole}")
            } else {
                format!(
                    "{sign}{whole}.{}",
                    format!("{frac:06}").trim_end_matches('0')
                )
            };
            assert_eq!(text, Years.plain(months), "{months} months");
        }
    }

    #[test]
    fn names_and_literals() {
        use bylaw_grammar::ast::Unit;
        assert_eq!(DurationUnit::of_literal(Some(Unit::Age)), Some(Age));
        assert_eq!(DurationUnit::of_literal(Some(Unit::Days)), None);
        assert_eq!(DurationUnit::of_type_name("岁"), Some(Age));
        assert_eq!(DurationUnit::of_type_name("years"), Some(Years));
        assert_eq!(DurationUnit::of_type_name("days"), None);
    }
}
