//! Presentation output: one record per line, absolute names, explicit TTL
//! and class, as `named-checkzone` and `ldns-read-zone` read it.

use std::fmt::Write as _;

use domain::base::iana::{Class, Rtype};
use domain::base::rdata::RecordData;
use domain::base::zonefile_fmt::{DisplayKind, ZonefileFmt};
use domain::base::{Record, Ttl};

use super::{Rdata, StoredName};

/// Appends one record line to `out`.
pub fn record_line(out: &mut String, owner: &StoredName, ttl: u32, data: &Rdata) {
    let rec = Record::new(owner.clone(), Class::IN, Ttl::from_secs(ttl), data.clone());
    let start = out.len();
    let _ = writeln!(out, "{}", rec.display_zonefile(DisplayKind::Simple));
    if matches!(data.rtype(), Rtype::SVCB | Rtype::HTTPS) {
        // domain 0.12.3 misspells this SvcParam key (see notes/domain).
        let fixed = out[start..].replace("nodefaultalpn", "no-default-alpn");
        out.truncate(start);
        out.push_str(&fixed);
    }
}
