//! Durations as operators write them: BIND TTL units (`1w2d3h4m5s`, any
//! case), plain seconds, `1y`, and ISO 8601 (`P90D`, `PT2H`).

use std::fmt;

/// A duration in whole seconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Duration(pub u64);

impl Duration {
    /// Parses `3600`, `1h30m`, `90d`, `1y`, `1W2D` or ISO 8601 `P1DT2H`.
    pub fn parse(text: &str) -> Result<Duration, String> {
        let t = text.trim();
        if t.is_empty() {
            return Err("empty duration".into());
        }
        if t.starts_with(['P', 'p']) {
            return parse_iso8601(t);
        }
        parse_units(t, true)
    }
}

/// Parses a TTL field of a master file: seconds or BIND units (no `y`).
pub fn parse_ttl(text: &str) -> Result<u32, String> {
    // Plain seconds, as nearly every record has them, without the units.
    let plain = text.len() <= 10 && text.bytes().all(|c| c.is_ascii_digit());
    let secs = match text.parse::<u64>() {
        Ok(secs) if plain => secs,
        _ => parse_units(text, false)?.0,
    };
    // RFC 2181 s8: a TTL is an unsigned 31-bit value.
    if secs > i32::MAX as u64 {
        return Err(format!("TTL '{text}' is larger than 2147483647"));
    }
    Ok(secs as u32)
}

fn unit_secs(c: char, allow_year: bool) -> Option<u64> {
    match c.to_ascii_lowercase() {
        's' => Some(1),
        'm' => Some(60),
        'h' => Some(3600),
        'd' => Some(86400),
        'w' => Some(7 * 86400),
        'y' if allow_year => Some(365 * 86400),
        _ => None,
    }
}

fn parse_units(t: &str, allow_year: bool) -> Result<Duration, String> {
    let bad = || format!("'{t}' is not a duration (expected seconds or units like 1h30m)");
    if !t.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(bad());
    }
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    let mut used_unit = false;
    for c in t.chars() {
        if let Some(d) = c.to_digit(10) {
            let n = num.unwrap_or(0);
            num = Some(
                n.checked_mul(10)
                    .and_then(|n| n.checked_add(d as u64))
                    .ok_or_else(bad)?,
            );
        } else if let Some(mult) = unit_secs(c, allow_year) {
            let n = num.take().ok_or_else(bad)?;
            total = n
                .checked_mul(mult)
                .and_then(|v| total.checked_add(v))
                .ok_or_else(bad)?;
            used_unit = true;
        } else {
            return Err(bad());
        }
    }
    if let Some(n) = num {
        if used_unit {
            // "1h30" is accepted by BIND as seconds for the trailing number.
            total = total.checked_add(n).ok_or_else(bad)?;
        } else {
            total = n;
        }
    }
    Ok(Duration(total))
}

fn parse_iso8601(t: &str) -> Result<Duration, String> {
    let bad = || format!("'{t}' is not an ISO 8601 duration (like P90D or PT2H)");
    let body = &t[1..];
    let mut total: u64 = 0;
    let mut num: Option<u64> = None;
    let mut in_time = false;
    let mut any = false;
    for c in body.chars() {
        let c = c.to_ascii_uppercase();
        if let Some(d) = c.to_digit(10) {
            num = Some(
                num.unwrap_or(0)
                    .checked_mul(10)
                    .and_then(|n| n.checked_add(d as u64))
                    .ok_or_else(bad)?,
            );
            continue;
        }
        if c == 'T' {
            if in_time || num.is_some() {
                return Err(bad());
            }
            in_time = true;
            continue;
        }
        let mult = match (c, in_time) {
            ('Y', false) => 365 * 86400,
            ('M', false) => 30 * 86400,
            ('W', false) => 7 * 86400,
            ('D', false) => 86400,
            ('H', true) => 3600,
            ('M', true) => 60,
            ('S', true) => 1,
            _ => return Err(bad()),
        };
        let n = num.take().ok_or_else(bad)?;
        total = n
            .checked_mul(mult)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        any = true;
    }
    if num.is_some() || !any {
        return Err(bad());
    }
    Ok(Duration(total))
}

impl fmt::Display for Duration {
    /// Writes the largest exact units, e.g. `90d`, `1h30m`, `0s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        if rest == 0 {
            return f.write_str("0s");
        }
        for (unit, secs) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] {
            if rest >= secs {
                write!(f, "{}{}", rest / secs, unit)?;
                rest %= secs;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_iso() {
        assert_eq!(Duration::parse("3600"), Ok(Duration(3600)));
        assert_eq!(Duration::parse("1h30m"), Ok(Duration(5400)));
        assert_eq!(Duration::parse("90d"), Ok(Duration(90 * 86400)));
        assert_eq!(Duration::parse("1y"), Ok(Duration(365 * 86400)));
        assert_eq!(Duration::parse("1W2d3H4m5S"), Ok(Duration(788645)));
        assert_eq!(Duration::parse("P90D"), Ok(Duration(90 * 86400)));
        assert_eq!(Duration::parse("PT2H"), Ok(Duration(7200)));
        assert_eq!(Duration::parse("P1DT1M"), Ok(Duration(86460)));
        for bad in ["", "1x", "h", "P", "PT", "P1H", "-1", "1d-"] {
            assert!(Duration::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ttl_limits() {
        assert_eq!(parse_ttl("2147483647"), Ok(i32::MAX as u32));
        assert!(parse_ttl("2147483648").is_err());
        assert!(parse_ttl("1y").is_err());
        assert_eq!(parse_ttl("1d2h3m4s"), Ok(93784));
    }

    #[test]
    fn display_round_trips() {
        for s in ["90d", "1h30m", "0s", "1d2h3m4s"] {
            let d = Duration::parse(s).unwrap();
            assert_eq!(d.to_string(), s);
        }
    }
}
