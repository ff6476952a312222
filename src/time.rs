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

/// An RRSIG time field as an instant: the one within 2^31 seconds of `now`
/// (RFC 4034 s3.1.5: the fields are serial numbers that wrap in 2106).
pub fn rrsig_instant(field: u32, now: u64) -> u64 {
    let distance = field.wrapping_sub(now as u32) as i32;
    now.saturating_add_signed(i64::from(distance))
}

/// The longest signature validity RRSIG time fields can tell apart from
/// the past (RFC 4034 s3.1.5): 2^31 seconds, about 68 years.
pub const MAX_VALIDITY: u64 = (1 << 31) - 1;

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
    let mut s = String::with_capacity(14);
    push_rrsig_time(&mut s, t);
    s
}

/// Appends [`rrsig_time`] without a formatter: it runs twice per RRSIG
/// written, millions of times for a large zone.
pub fn push_rrsig_time(out: &mut String, t: u32) {
    let secs = u64::from(t);
    let (y, m, d) = civil_from_days((secs / 86400) as i64);
    let s = secs % 86400;
    let mut digits = [0u8; 14];
    let mut put = |at: usize, width: usize, mut v: u64| {
        for i in (at..at + width).rev() {
            digits[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, y as u64);
    put(4, 2, u64::from(m));
    put(6, 2, u64::from(d));
    put(8, 2, s / 3600);
    put(10, 2, s / 60 % 60);
    put(12, 2, s % 60);
    out.extend(digits.iter().map(|&b| b as char));
}

/// The RRSIG time field that [`push_rrsig_time`] wrote as `YYYYMMDDHHmmSS`,
/// read back without a date library: the quiet path reads one per RRSIG
/// of a published zone, millions for a large one. None if it is not such
/// a field.
pub fn rrsig_field(text: &[u8]) -> Option<u32> {
    let digits: &[u8; 14] = text.try_into().ok()?;
    if !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let num = |at: usize, width: usize| {
        digits[at..at + width]
            .iter()
            .fold(0i64, |v, &c| v * 10 + i64::from(c - b'0'))
    };
    let (y, m, d) = (num(0, 4), num(4, 2), num(6, 2));
    let (h, min, sec) = (num(8, 2), num(10, 2), num(12, 2));
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) || h > 23 || min > 59 || sec > 60 {
        return None;
    }
    let secs = days_from_civil(y, m, d) * 86400 + h * 3600 + min * 60 + sec;
    u32::try_from(secs).ok()
}

/// (year, month, day) to days since 1970-01-01: the inverse of
/// [`civil_from_days`] (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (the era-based algorithm of H. Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
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
    fn rrsig_time_agrees_with_jiff_over_the_whole_u32_range() {
        let mut t = 0u32;
        loop {
            let want = jiff::Timestamp::from_second(i64::from(t))
                .unwrap()
                .strftime("%Y%m%d%H%M%S")
                .to_string();
            assert_eq!(rrsig_time(t), want, "{t}");
            assert_eq!(parse_rrsig_time(&want), Ok(u64::from(t)));
            assert_eq!(rrsig_field(want.as_bytes()), Some(t), "{t}");
            match t.checked_add(86_399 * 7 + 12_345) {
                Some(n) => t = n,
                None => break,
            }
        }
        assert_eq!(rrsig_time(u32::MAX), "21060207062815");
        for t in [0, 1, 951_782_400, 1_798_761_600, 4_107_542_399, u32::MAX] {
            assert_eq!(rrsig_field(rrsig_time(t).as_bytes()), Some(t), "{t}");
        }
        assert_eq!(rrsig_field(b"2027130100000"), None);
        assert_eq!(rrsig_field(b"20271301000000"), None);
        // Past 2106 the fields wrap; the instant is the one nearest now.
        let now = 4_294_967_296 + 86_400; // 2106-02-08
        assert_eq!(rrsig_instant((now + 3600) as u32, now), now + 3600);
        assert_eq!(rrsig_instant((now - 3600) as u32, now), now - 3600);
        assert_eq!(rrsig_instant(u32::MAX, now), 4_294_967_295);
        assert_eq!(rrsig_instant(100, 50), 100);
    }

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
