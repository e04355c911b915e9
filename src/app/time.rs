//! Human-friendly times: relative ("3 h ago") next to the exact UTC value.
//!
//! Units are spelled so that none can be read as another: `min` is never
//! confused with months (`mo`), and a space separates number and unit
//! ("3 min ago", "3 mo ago", "in 3 min"), as the support engineers of
//! issue 14 asked.

use chrono::{DateTime, Utc};

/// The widest text [`relative`] makes for ages under 1000 years
/// ("59 min ago"), so a column can be sized for it.
pub const RELATIVE_WIDTH: u16 = 10;

/// "3 h ago" style age of `then` at `now` ("in 3 min" for the future). A
/// month is 30 days and a year 365: the exact time is shown next to it
/// where it matters.
pub fn relative(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds();
    let future = seconds < 0;
    let amount = seconds.unsigned_abs();
    let text = match amount {
        0..=59 => format!("{amount} s"),
        60..=3599 => format!("{} min", amount / 60),
        3600..=86_399 => format!("{} h", amount / 3600),
        86_400..=2_591_999 => format!("{} d", amount / 86_400),
        2_592_000..=31_535_999 => format!("{} mo", amount / 2_592_000),
        _ => format!("{} y", amount / 31_536_000),
    };
    if future {
        format!("in {text}")
    } else {
        format!("{text} ago")
    }
}

/// The exact time in a compact UTC form.
pub fn absolute(then: DateTime<Utc>) -> String {
    then.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// A server timestamp as "2026-01-02 03:04:05 UTC (3 d ago)"; text that does
/// not parse is shown as it came, sanitised.
pub fn describe_time(raw: &str, now: DateTime<Utc>) -> String {
    match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => {
            let t = t.with_timezone(&Utc);
            format!("{} ({})", absolute(t), relative(t, now))
        }
        Err(_) => crate::sanitize::for_display(raw).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
            .single()
            .unwrap_or_default()
    }

    fn at(seconds: i64) -> DateTime<Utc> {
        now() - chrono::Duration::seconds(seconds)
    }

    #[test]
    fn every_unit_is_spelled_so_it_cannot_be_misread() {
        let now = now();
        assert_eq!(relative(at(0), now), "0 s ago");
        assert_eq!(relative(at(5), now), "5 s ago");
        assert_eq!(relative(at(180), now), "3 min ago");
        assert_eq!(relative(at(7200), now), "2 h ago");
        assert_eq!(relative(at(3 * 86_400), now), "3 d ago");
        assert_eq!(relative(at(3 * 2_592_000), now), "3 mo ago");
        assert_eq!(relative(at(3 * 31_536_000), now), "3 y ago");
        assert_eq!(relative(at(-120), now), "in 2 min");
        assert_eq!(relative(at(-3 * 2_592_000), now), "in 3 mo");
    }

    #[test]
    fn unit_boundaries_round_down() {
        let now = now();
        assert_eq!(relative(at(59), now), "59 s ago");
        assert_eq!(relative(at(60), now), "1 min ago");
        assert_eq!(relative(at(3599), now), "59 min ago");
        assert_eq!(relative(at(3600), now), "1 h ago");
        assert_eq!(relative(at(86_399), now), "23 h ago");
        assert_eq!(relative(at(86_400), now), "1 d ago");
        assert_eq!(relative(at(2_591_999), now), "29 d ago");
        assert_eq!(relative(at(31_535_999), now), "12 mo ago");
        assert_eq!(relative(at(31_536_000), now), "1 y ago");
    }

    #[test]
    fn the_widest_text_fits_the_width_columns_are_made_for() {
        let now = now();
        let widest = [59, 3599, 86_399, 2_591_999, 31_535_999, 999 * 31_536_000]
            .into_iter()
            .flat_map(|s| [relative(at(s), now), relative(at(-s), now)])
            .map(|text| text.chars().count())
            .max()
            .unwrap_or(usize::MAX);
        assert_eq!(widest, usize::from(RELATIVE_WIDTH));
    }

    #[test]
    fn server_times_show_exact_and_relative() {
        let now = now();
        assert_eq!(
            describe_time("2026-11-24T11:00:00Z", now),
            "2026-11-24 11:00:00 UTC (1 h ago)"
        );
        assert_eq!(describe_time("yesterday\u{1b}", now), "yesterday\\u001b");
    }
}
