//! `$GENERATE` as BIND defines it: `$GENERATE start-stop[/step] lhs [ttl]
//! [class] type rhs`, where `$` in lhs and rhs is replaced by the iterator
//! and `${offset[,width[,base]]}` formats it (base d, o, x, X, n, N).

/// The iterator range of a `$GENERATE` line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Range {
    pub start: u64,
    pub stop: u64,
    pub step: u64,
}

/// More than this many records from one `$GENERATE` is almost surely a typo.
const MAX_ITERATIONS: u64 = 10_000_000;

pub fn parse_range(text: &str) -> Result<Range, String> {
    let bad = || format!("bad $GENERATE range '{text}' (expected start-stop[/step])");
    let (span, step) = match text.split_once('/') {
        Some((span, step)) => (span, step.parse::<u64>().map_err(|_| bad())?),
        None => (text, 1),
    };
    let (start, stop) = span.split_once('-').ok_or_else(bad)?;
    let start: u64 = start.parse().map_err(|_| bad())?;
    let stop: u64 = stop.parse().map_err(|_| bad())?;
    if step == 0 || start > stop {
        return Err(bad());
    }
    if (stop - start) / step >= MAX_ITERATIONS {
        return Err(format!(
            "$GENERATE range '{text}' makes more than {MAX_ITERATIONS} records"
        ));
    }
    Ok(Range { start, stop, step })
}

impl Range {
    pub fn values(self) -> impl Iterator<Item = u64> {
        (self.start..=self.stop).step_by(self.step as usize)
    }
}

/// Replaces the iterator references in `template` by `value`.
pub fn substitute(template: &[u8], value: u64) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(template.len() + 8);
    let mut i = 0;
    while i < template.len() {
        match template[i] {
            b'\\' if i + 1 < template.len() => {
                out.extend_from_slice(&template[i..i + 2]);
                i += 2;
            }
            b'$' if template.get(i + 1) == Some(&b'{') => {
                let end = template[i..]
                    .iter()
                    .position(|&c| c == b'}')
                    .ok_or("unterminated ${…} in $GENERATE")?;
                let spec = std::str::from_utf8(&template[i + 2..i + end])
                    .map_err(|_| "bad ${…} in $GENERATE")?;
                out.extend_from_slice(format_value(spec, value)?.as_bytes());
                i += end + 1;
            }
            b'$' => {
                out.extend_from_slice(value.to_string().as_bytes());
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    Ok(out)
}

fn format_value(spec: &str, value: u64) -> Result<String, String> {
    let bad = || format!("bad modifier '${{{spec}}}' in $GENERATE");
    let mut parts = spec.split(',');
    let offset: i64 = match parts.next() {
        Some("") | None => 0,
        Some(o) => o.trim().parse().map_err(|_| bad())?,
    };
    let width: usize = match parts.next() {
        Some(w) => w.trim().parse().map_err(|_| bad())?,
        None => 0,
    };
    let base = parts.next().map(str::trim).unwrap_or("d");
    if parts.next().is_some() || width > 255 {
        return Err(bad());
    }
    let v = (value as i64)
        .checked_add(offset)
        .filter(|v| *v >= 0)
        .ok_or_else(|| format!("$GENERATE value {value}{offset:+} is negative"))?
        as u64;
    Ok(match base {
        "d" => format!("{v:0width$}"),
        "o" => format!("{v:0width$o}"),
        "x" => format!("{v:0width$x}"),
        "X" => format!("{v:0width$X}"),
        "n" | "N" => nibbles(v, width, base == "N"),
        _ => return Err(bad()),
    })
}

/// Reverse nibble form for ip6.arpa: 0x1a with width 3 gives `a.1.0`.
fn nibbles(v: u64, width: usize, upper: bool) -> String {
    let hex = if upper {
        format!("{v:X}")
    } else {
        format!("{v:x}")
    };
    let mut digits: Vec<char> = hex.chars().rev().collect();
    while digits.len() < width {
        digits.push('0');
    }
    if width > 0 {
        digits.truncate(width);
    }
    digits
        .iter()
        .map(|c| c.to_string())
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sub(t: &str, v: u64) -> String {
        String::from_utf8(substitute(t.as_bytes(), v).unwrap()).unwrap()
    }

    #[test]
    fn bind_modifiers() {
        assert_eq!(sub("host-$", 7), "host-7");
        assert_eq!(sub("${10}", 7), "17");
        assert_eq!(sub("${0,3,d}", 7), "007");
        assert_eq!(sub("${0,4,x}", 255), "00ff");
        assert_eq!(sub("${0,2,X}", 255), "FF");
        assert_eq!(sub("${0,3,o}", 8), "010");
        assert_eq!(sub("${0,4,n}", 0x1a), "a.1.0.0");
        assert_eq!(sub("\\$", 1), "\\$");
        assert_eq!(sub("$.$", 3), "3.3");
        assert!(substitute(b"${-5}", 1).is_err());
        assert!(substitute(b"${x}", 1).is_err());
    }

    #[test]
    fn ranges() {
        let r = parse_range("1-10/3").unwrap();
        assert_eq!(r.values().collect::<Vec<_>>(), [1, 4, 7, 10]);
        assert!(parse_range("5-1").is_err());
        assert!(parse_range("a-b").is_err());
        assert!(parse_range("1-2/0").is_err());
    }
}
