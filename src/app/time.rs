//! Human-friendly times: relative ("3h ago") next to the exact UTC value.

use chrono::{DateTime, Utc};

/// "3 h ago" style age of `then` at `now`.
pub fn relative(then: DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - then).num_seconds();
    let (amount, future) = if seconds < 0 {
        (-seconds, true)
    } else {
        (seconds, false)
    };
    let text = match amount {
        0..=59 => format!("{amount}s"),
        60..=3599 => format!("{}m", amount / 60),
        3600..=86_399 => format!("{}h", amount / 3600),
        86_400..=2_591_999 => format!("{}d", amount / 86_400),
        2_592_000..=31_535_999 => format!("{}mo", amount / 2_592_000),
        _ => format!("{}y", amount / 31_536_000),
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

/// A server timestamp as "2026-01-02 03:04:05 UTC (3d ago)"; text that does not
/// parse is shown as it came, sanitised.
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

    #[test]
    fn relative_units() {
        let now = Utc
            .with_ymd_and_hms(2026, 11, 24, 12, 0, 0)
            .single()
            .unwrap_or_default();
        let at = |s: i64| now - chrono::Duration::seconds(s);
        assert_eq!(relative(at(5), now), "5s ago");
        assert_eq!(relative(at(7200), now), "2h ago");
        assert_eq!(relative(at(3 * 86_400), now), "3d ago");
        assert_eq!(relative(at(-120), now), "in 2m");
        assert_eq!(
            describe_time("2026-11-24T11:00:00Z", now),
            "2026-11-24 11:00:00 UTC (1h ago)"
        );
        assert_eq!(describe_time("yesterday\u{1b}", now), "yesterday\\u001b");
    }
}
