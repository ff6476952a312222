//! Points in time as the CLI takes them: `--now` in RFC 3339, and RRSIG
//! times as `YYYYMMDDHHmmSS` or epoch seconds (RFC 4034 s3.2).

/// Seconds since the epoch from RFC 3339 (`2026-11-29T12:00:00Z`), a date
/// (`2026-11-29`, midnight UTC) or plain epoch seconds.
pub fn parse_instant(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) && t.len() != 14 {
        return t.parse().map_err(|_| format!("bad time '{t}'"));
    }
    if t.len() == 14 && t.bytes().all(|b| b.is_ascii_digit()) {
        return parse_rrsig_time(t);
    }
    if let Ok(ts) = t.parse::<jiff::Timestamp>() {
        return u64::try_from(ts.as_second()).map_err(|_| format!("time '{t}' is before 1970"));
    }
    if let Ok(d) = t.parse::<jiff::civil::Date>() {
        let ts = d
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map_err(|e| format!("bad date '{t}': {e}"))?
            .timestamp();
        return u64::try_from(ts.as_second()).map_err(|_| format!("date '{t}' is before 1970"));
    }
    Err(format!(
        "bad time '{t}' (expected RFC 3339 like 2026-11-29T12:00:00Z)"
    ))
}

/// `YYYYMMDDHHmmSS` (UTC) to epoch seconds.
pub fn parse_rrsig_time(t: &str) -> Result<u64, String> {
    let dt = jiff::civil::DateTime::strptime("%Y%m%d%H%M%S", t)
        .map_err(|e| format!("bad time '{t}': {e}"))?;
    let ts = dt
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|e| format!("bad time '{t}': {e}"))?
        .timestamp();
    u64::try_from(ts.as_second()).map_err(|_| format!("time '{t}' is before 1970"))
}

/// RRSIG times as YYYYMMDDHHmmSS (RFC 4034 s3.2), the form operators read.
pub fn rrsig_time(t: u32) -> String {
    match jiff::Timestamp::from_second(t as i64) {
        Ok(ts) => ts.strftime("%Y%m%d%H%M%S").to_string(),
        Err(_) => t.to_string(),
    }
}

/// Epoch seconds as RFC 3339 UTC, for reports.
pub fn rfc3339(secs: u64) -> String {
    match jiff::Timestamp::from_second(secs as i64) {
        Ok(ts) => ts.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        Err(_) => secs.to_string(),
    }
}

/// The current time, unless the caller travels in time with `--now`.
pub fn now_or(over: Option<u64>) -> u64 {
    over.unwrap_or_else(|| jiff::Timestamp::now().as_second().max(0) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(parse_instant("20150729220000"), Ok(1438207200));
        assert_eq!(parse_instant("1438207200"), Ok(1438207200));
        assert_eq!(parse_instant("2015-07-29T22:00:00Z"), Ok(1438207200));
        assert_eq!(parse_instant("2015-07-29"), Ok(1438128000));
        assert!(parse_instant("yesterday").is_err());
        assert_eq!(rfc3339(1438207200), "2015-07-29T22:00:00Z");
    }
}
