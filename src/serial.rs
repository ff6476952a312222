//! SOA serial numbers (rules §3): the policies `unixtime`, `datecounter`,
//! `counter` and `keep`, compared in serial number arithmetic (RFC 1982) so
//! that a serial never goes backwards, even across the 2^32 wrap.

use crate::policy::SerialPolicy;

/// `a` is later than `b` in RFC 1982 terms.
pub fn is_later(a: u32, b: u32) -> bool {
    a != b && a.wrapping_sub(b) < 0x8000_0000
}

/// The later of two serials.
pub fn later(a: u32, b: u32) -> u32 {
    if is_later(b, a) { b } else { a }
}

/// The serial to publish when the signed content changed.
///
/// `input` is the serial in the unsigned file, `previous` the last one
/// published (if any). `keep` returns the input serial and fails when it
/// is not later than the previous one: the operator must raise it.
pub fn next(
    policy: SerialPolicy,
    input: u32,
    previous: Option<u32>,
    now: u64,
) -> Result<u32, String> {
    let candidate = match policy {
        SerialPolicy::Unixtime => now as u32,
        SerialPolicy::Datecounter => date_serial(now),
        SerialPolicy::Counter => input,
        SerialPolicy::Keep => {
            return match previous {
                Some(p) if !is_later(input, p) => Err(format!(
                    "serial policy keep: the zone changed but its SOA serial {input} is not \
                     later than the last published {p}; raise the serial in the zone file"
                )),
                _ => Ok(input),
            };
        }
    };
    Ok(match previous {
        Some(p) => later(candidate, p.wrapping_add(1)),
        // The first run: the zone may have been served with its input
        // serial (unsigned, or by another signer); never go behind it.
        None if is_later(input, candidate) => input.wrapping_add(1),
        None => candidate,
    })
}

/// YYYYMMDD00 for the day of `now` (UTC).
fn date_serial(now: u64) -> u32 {
    let day = jiff::Timestamp::from_second(now as i64)
        .map(|t| t.to_zoned(jiff::tz::TimeZone::UTC).date())
        .unwrap_or_default();
    let ymd = day.year() as u32 * 10_000 + day.month() as u32 * 100 + day.day() as u32;
    ymd * 100
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOV_29_2026: u64 = 1_795_910_400; // 2026-11-29T00:00:00Z

    #[test]
    fn every_policy_moves_forward() {
        let now = NOV_29_2026 + 3600;
        assert_eq!(next(SerialPolicy::Unixtime, 5, None, now), Ok(now as u32));
        assert_eq!(
            next(SerialPolicy::Unixtime, 5, Some(now as u32 + 10), now),
            Ok(now as u32 + 11),
            "a serial from a later clock is not undone"
        );
        assert_eq!(
            next(SerialPolicy::Datecounter, 5, None, now),
            Ok(2026112900)
        );
        assert_eq!(
            next(SerialPolicy::Datecounter, 5, Some(2026112900), now),
            Ok(2026112901)
        );
        assert_eq!(next(SerialPolicy::Counter, 7, Some(41), now), Ok(42));
        assert_eq!(next(SerialPolicy::Counter, 70, Some(41), now), Ok(70));
        assert_eq!(next(SerialPolicy::Keep, 70, Some(41), now), Ok(70));
        assert!(next(SerialPolicy::Keep, 41, Some(41), now).is_err());
    }

    #[test]
    fn the_first_serial_is_never_behind_the_input() {
        let now = NOV_29_2026 + 3600; // unixtime 1795914000
        // 2026120701 is later than 1795914000 in RFC 1982 terms.
        assert_eq!(
            next(SerialPolicy::Unixtime, 2026120701, None, now),
            Ok(2026120702)
        );
        assert_eq!(
            next(SerialPolicy::Datecounter, 2026120701, None, now),
            Ok(2026120702)
        );
        // Later runs go on from there, never back to the clock.
        assert_eq!(
            next(
                SerialPolicy::Unixtime,
                2026120701,
                Some(2026120702),
                now + 60
            ),
            Ok(2026120703)
        );
        // An input serial behind the clock changes nothing.
        assert_eq!(next(SerialPolicy::Unixtime, 1, None, now), Ok(now as u32));
    }

    #[test]
    fn serial_arithmetic_wraps() {
        assert!(is_later(1, u32::MAX));
        assert!(!is_later(u32::MAX, 1));
        assert_eq!(next(SerialPolicy::Counter, 0, Some(u32::MAX), 0), Ok(0));
        assert_eq!(later(5, 5), 5);
    }
}
