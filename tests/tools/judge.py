#!/usr/bin/env python3
"""Judges a signed zone with tools that share no code with zonesign.

    judge.py verify ZONE ORIGIN [--ds FILE] [--time YYYYMMDDhhmmss] [--min N] [--ds-any]
    judge.py compare UNSIGNED SIGNED ORIGIN [--strict-case]

`verify` runs every validator that is installed: BIND (named-checkzone,
dnssec-verify), ldns (ldns-verify-zone), Knot (kzonecheck), validns (RSA
zones only) and dnspython, which checks every RRSIG on its own (validators
accept an RRset when any one of its RRSIGs is good). It also reads the file
back with BIND and with dnspython and checks that both see the same
records, and, with --ds, that every DS matches an apex DNSKEY and that the
DNSKEY RRset is signed by a key the DS set names.

`compare` checks that the signed zone carries exactly the data of the
unsigned one: both are read by BIND (named-compilezone), the records a
signer adds are set aside, and the rest must match record for record.

One line per check (`ok`, `FAIL` or `skip`, the check, a reason), then a
summary. Exit 0 when nothing failed, 1 when something did, 2 on bad usage.
A validator that cannot parse the file while BIND can is retried on BIND's
re-serialised copy, then skipped: a limit of that tool, not a verdict.
"""

import os
import re
import shutil
import subprocess
import sys
import tempfile
import warnings

warnings.filterwarnings("ignore")
sys.dont_write_bytecode = True

TIMEOUT = int(os.environ.get("JUDGE_TIMEOUT", "900"))

# Types a signer makes; left out of content comparisons.
SIGNER_TYPES = {"RRSIG", "NSEC", "NSEC3", "NSEC3PARAM"}
SIGNER_APEX_TYPES = {"DNSKEY", "CDS", "CDNSKEY", "ZONEMD", "TYPE65534"}
# Types whose RDATA holds names: a difference in letter case only is a
# warning in `compare` unless --strict-case.
NAME_TYPES = {
    "NS", "MD", "MF", "CNAME", "SOA", "MB", "MG", "MR", "PTR", "MINFO", "MX",
    "RP", "AFSDB", "RT", "PX", "NAPTR", "KX", "SRV", "DNAME", "A6", "SIG", "NXT",
    "LP", "TALINK", "HIP", "SVCB", "HTTPS", "IPSECKEY", "AMTRELAY", "NSAP-PTR",
    "DSYNC",
}
RSA_ALGORITHMS = {5, 7, 8, 10}


class Judge:
    def __init__(self):
        self.failed = 0
        self.passed = 0
        self.skipped = 0

    def say(self, verdict, check, reason):
        reason = " ".join(str(reason).split())[:300]
        print(f"{verdict:4} {check:26} {reason}", flush=True)
        if verdict == "ok":
            self.passed += 1
        elif verdict == "FAIL":
            self.failed += 1
        else:
            self.skipped += 1

    def finish(self, what):
        total = self.passed + self.failed + self.skipped
        verdict = "FAIL" if self.failed else "PASS"
        print(f"judge: {verdict} ({self.passed} ok, {self.failed} failed, "
              f"{self.skipped} skipped of {total}) {what}")
        return 1 if self.failed else 0


def have(tool):
    return shutil.which(tool) is not None


def run(args, cwd=None):
    """(exit status, stdout + stderr) of a command; 127 if it is missing."""
    try:
        p = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                           errors="replace", timeout=TIMEOUT)
    except FileNotFoundError:
        return 127, f"{args[0]}: not installed"
    except subprocess.TimeoutExpired:
        return 124, f"{args[0]}: timed out after {TIMEOUT} s"
    return p.returncode, p.stdout + p.stderr


def telling(text, pattern):
    """The line of a tool's output that says most: the first matching
    `pattern`, else the last non-empty line."""
    lines = [l for l in text.splitlines() if l.strip()]
    for l in lines:
        if re.search(pattern, l, re.I):
            return l
    return lines[-1] if lines else ""


def absolute(origin):
    return origin if origin.endswith(".") else origin + "."


def bind_flat(zone, origin, out):
    """BIND's reading of `zone`: one record per line, absolute names, in
    `out`. Run in the file's directory, as BIND resolves $INCLUDE there."""
    zone = os.path.abspath(zone)
    return run(["named-compilezone", "-i", "none", "-k", "ignore", "-s", "full",
                "-o", out, origin, zone], cwd=os.path.dirname(zone))


# A token of record data: a quoted string or a run without blanks, either
# with backslash escapes.
TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|(?:\\.|[^\s"])+')


def records_of(path):
    """The records of a one-record-per-line file, as (owner, ttl, class,
    type, rdata text) with whitespace folded; comments and directives
    dropped."""
    out = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            if not line.strip() or line.lstrip().startswith((";", "$")):
                continue
            # An owner may hold an escaped space (`a\ b`).
            m = re.match(r"((?:\\.|\S)+)\s+(\S+)\s+(\S+)\s+(\S+)\s*(.*)$", line.strip())
            if not m:
                continue
            owner, ttl, cls, rtype, rdata = m.groups()
            # Whitespace folded, but not inside quoted strings.
            rdata = " ".join(TOKEN.findall(rdata))
            out.append((owner, ttl, cls, rtype, rdata))
    return out


# ---------------------------------------------------------------- dnspython

def dnspython():
    try:
        import dns.dnssec  # noqa: F401
        import dns._features
        return dns._features.have("dnssec")
    except ImportError:
        return False


def read_with_dnspython(path):
    """Records of a one-record-per-line file as dnspython reads them:
    (list of (name, ttl, rdata), and the (owner in lower case, type, why)
    of each record it could not read)."""
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    got, unread = [], []
    for owner, ttl, cls, rtype, rdata in records_of(path):
        try:
            name = dns.name.from_text(owner)
            t = dns.rdatatype.from_text(rtype)
            rd = dns.rdata.from_text(dns.rdataclass.from_text(cls), t, rdata,
                                     origin=dns.name.root, relativize=False)
            got.append((name, int(ttl), rd))
        except Exception as e:  # a type or form dnspython does not know
            unread.append((owner.lower(), rtype.upper(), str(e)))
    return got, unread


def ds_records(path):
    """(owner, DS rdata) of each DS line, whether or not it gives a TTL or
    a class (`dig`, BIND's dsset- files, `keymgr ZONE ds`)."""
    import dns.name
    import dns.rdata
    import dns.rdataclass
    import dns.rdatatype
    out = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            tokens = line.split(";")[0].split()
            if "DS" not in tokens[1:4]:
                continue
            at = tokens.index("DS", 1)
            rd = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.DS, " ".join(tokens[at + 1:]))
            out.append((dns.name.from_text(tokens[0]), rd))
    return out


def rrsig_time(text):
    import calendar
    import time
    if not text:
        return int(time.time())
    return calendar.timegm(time.strptime(text, "%Y%m%d%H%M%S"))


def ahead_keys(files, origin):
    """DNSKEYs of keys that sign before they are published (the first step
    of an algorithm rollover), from BIND .key files."""
    import dns.rdataset
    import dns.zone

    out = dns.rdataset.Rdataset(dns.rdataclass.IN, dns.rdatatype.DNSKEY)
    for f in files or []:
        with open(f) as fh:
            text = "$TTL 3600\n" + fh.read()
        z = dns.zone.from_text(text, origin=origin, relativize=False, check_origin=False)
        for _, _, rd in z.iterate_rdatas(dns.rdatatype.DNSKEY):
            out.add(rd)
    return out


def each_rrsig(j, flat, origin, when, ahead=None):
    """Every RRSIG verifies on its own with dnspython (and cryptography)."""
    import dns.dnssec
    import dns.name
    import dns.rdataset
    import dns.rdatatype
    import dns.rrset
    recs, unread = read_with_dnspython(flat)
    apex = dns.name.from_text(origin)
    sets, sigs = {}, []
    for name, ttl, rd in recs:
        if rd.rdtype == dns.rdatatype.RRSIG:
            sigs.append((name, ttl, rd))
            continue
        key = (name, rd.rdtype)
        if key not in sets:
            sets[key] = dns.rrset.RRset(name, rd.rdclass, rd.rdtype)
        sets[key].add(rd, ttl)
    unverifiable = {(owner, rtype) for owner, rtype, _ in unread}
    keys = sets.get((apex, dns.rdatatype.DNSKEY))
    if keys is None:
        return j.say("FAIL", "each-rrsig (dnspython)", "no apex DNSKEY RRset")
    now = rrsig_time(when)
    good, bad, skipped, unmatched, early = 0, [], 0, 0, 0
    known = {(dns.dnssec.key_id(k), k.algorithm) for k in keys}
    for name, ttl, sig in sigs:
        covered = dns.rdatatype.to_text(sig.type_covered)
        target = sets.get((name, sig.type_covered))
        if target is None:
            if (name.to_text().lower(), covered) in unverifiable:
                skipped += 1
            else:
                bad.append(f"{name} {covered}: RRSIG over an RRset that is not there")
            continue
        signer = keys
        if (sig.key_tag, sig.algorithm) not in known:
            # Validators pass over a signature by a key not in the DNSKEY
            # RRset; one by a key given with --ahead must still verify.
            if ahead is None or not any(
                    dns.dnssec.key_id(k) == sig.key_tag and k.algorithm == sig.algorithm
                    for k in ahead):
                unmatched += 1
                continue
            signer, early = ahead, early + 1
        try:
            dns.dnssec.validate_rrsig(target, sig, {apex: signer}, now=now,
                                      policy=dns.dnssec.allow_all_policy)
            good += 1
        except Exception as e:
            bad.append(f"{name} {covered} tag {sig.key_tag}: {e}")
    note = f"; {skipped} over RRsets dnspython cannot read" if skipped else ""
    if early:
        note += f"; {early} by keys not yet published"
    if unmatched:
        note += f"; {unmatched} by unknown keys passed over"
    if bad:
        j.say("FAIL", "each-rrsig (dnspython)",
              f"{len(bad)} of {len(sigs)} RRSIGs bad: {bad[0]}")
    elif good == 0:
        j.say("skip", "each-rrsig (dnspython)", f"no RRSIG could be checked{note}")
    else:
        j.say("ok", "each-rrsig (dnspython)", f"{good} RRSIGs verified{note}")


def readback(j, zone, flat):
    """The file as dnspython reads it holds the records BIND reads from it:
    our text means what we meant to whichever reader takes it. RRsets that
    dnspython cannot read on either side are left out of the comparison."""
    import dns.name
    import dns.rdatatype
    sides, unread = {}, set()
    for side, path in (("zone", zone), ("bind", flat)):
        recs, bad = read_with_dnspython(path)
        unread |= {(owner, rtype) for owner, rtype, _ in bad}
        sides[side] = recs
    canon = {}
    for side, recs in sides.items():
        canon[side] = set()
        for n, ttl, rd in recs:
            owner = n.canonicalize().to_text()
            t = dns.rdatatype.to_text(rd.rdtype)
            if (owner, t) in unread or (owner, f"TYPE{rd.rdtype}") in unread:
                continue
            canon[side].add((owner, ttl, rd.rdtype, rd.to_wire(origin=dns.name.root)))
    note = f"; {len(unread)} RRsets dnspython cannot read left out" if unread else ""
    differ = canon["zone"] ^ canon["bind"]
    if not differ:
        j.say("ok", "read-back (dnspython, BIND)", f"{len(canon['zone'])} records alike{note}")
    else:
        only = sorted(differ, key=repr)[0]
        j.say("FAIL", "read-back (dnspython, BIND)",
              f"the readers disagree on {len(differ)} records, e.g. {only[0]} type {only[2]}")


def ds_checks(j, zone, flat, origin, dsfile, ds_any, when):
    """Each DS names an apex DNSKEY (dnspython and BIND's dnssec-dsfromkey
    compute the digests), and ldns follows the chain from the DS set."""
    import dns.dnssec
    import dns.name
    import dns.rdatatype
    apex = dns.name.from_text(origin)
    recs, _ = read_with_dnspython(flat)
    keys = [rd for n, _, rd in recs if n == apex and rd.rdtype == dns.rdatatype.DNSKEY]
    wanted = ds_records(dsfile)
    if not wanted:
        return j.say("FAIL", "ds-match", f"no DS record in {os.path.basename(dsfile)}")
    unmatched = []
    for owner, ds in wanted:
        if owner != apex:
            unmatched.append(f"{owner} is not the zone's origin")
            continue
        if not any(dns.dnssec.make_ds(apex, k, ds.digest_type) == ds for k in keys):
            unmatched.append(f"DS {ds.key_tag} {ds.algorithm}")
    if unmatched and (not ds_any or len(unmatched) == len(wanted)):
        j.say("FAIL", "ds-match (dnspython)",
              f"{len(unmatched)} of {len(wanted)} DS match no apex DNSKEY: {unmatched[0]}")
    else:
        j.say("ok", "ds-match (dnspython)", f"{len(wanted) - len(unmatched)} DS match")
    if have("dnssec-dsfromkey"):
        with tempfile.NamedTemporaryFile("w", suffix=".keys") as f:
            for k in keys:
                f.write(f"{origin} 3600 IN DNSKEY {k.to_text()}\n")
            f.flush()
            bind = set()
            for alg in ("SHA-1", "SHA-256", "SHA-384"):
                rc, out = run(["dnssec-dsfromkey", "-f", f.name, "-A", "-a", alg, origin])
                for line in out.splitlines() if rc == 0 else []:
                    m = re.match(r"\S+\s+(?:\d+\s+)?IN\s+DS\s+(\d+)\s+(\d+)\s+(\d+)\s+(.+)$", line)
                    if m:
                        bind.add((int(m[1]), int(m[2]), int(m[3]), "".join(m[4].split()).upper()))
        missing = [ds for _, ds in wanted
                   if (ds.key_tag, ds.algorithm, ds.digest_type, ds.digest.hex().upper())
                   not in bind]
        if missing and (not ds_any or len(missing) == len(wanted)):
            j.say("FAIL", "ds-match (dnssec-dsfromkey)",
                  f"{len(missing)} DS match no DNSKEY BIND digests")
        else:
            j.say("ok", "ds-match (dnssec-dsfromkey)", f"{len(wanted) - len(missing)} DS match")
    if have("ldns-verify-zone"):
        # ldns gets the DS records in full form (a dsset- file has no TTL,
        # keymgr's output no class either).
        with tempfile.NamedTemporaryFile("w", suffix=".ds") as full:
            for n, ds in wanted:
                full.write(f"{n} 3600 IN DS {ds.to_text()}\n")
            full.flush()
            args = ["ldns-verify-zone", "-k", full.name] + (["-t", when] if when else [])
            validate(j, "ds-chain (ldns -k)", args, zone, flat, True, [], ldns_limits(zone))


# --------------------------------------------------------------- validators

PARSE_ERRORS = (r"syntax error|could not parse|not implemented|error parsing|unknown rr type"
                r"|zone loader|failed to run semantic checks")


def ldns_limits(zone):
    """Verdicts of ldns 1.8 that are its own mistakes, as a test of its
    error lines: it takes NSAP-PTR data for a character string, not a name
    (RFC 1706 s6), and a label that is `@` (`\\@`, `\\064`) for the origin,
    so every signature over such data is bogus to ldns alone (and an NSEC
    pointing at such a name points elsewhere)."""
    at_label = re.compile(r"(^|[\s.])\\(@|064)\.")
    # ldns spells names its own way (`\\032` for `\\ `, a bare `"`): owners
    # are compared in canonical wire form.
    def plain(owner):
        import dns.name
        try:
            return dns.name.from_text(owner).canonicalize().to_wire()
        except Exception:
            return owner.lower()

    odd = set()
    for owner, _, _, rtype, rdata in records_of(zone):
        if rtype == "NSAP-PTR" or at_label.search(rdata) or at_label.search(owner):
            odd.add((plain(owner), rtype))

    def known(line):
        m = re.match(r"Error: Bogus DNSSEC signature for (.+)\s(\S+)$", line)
        if m:
            return (plain(m.group(1).strip()), m.group(2)) in odd
        # An NSEC whose next name has an `@` label: ldns reads another name.
        m = re.match(r"Error: the NSEC record for (.+) points to the wrong next owner name", line)
        return bool(m) and (plain(m.group(1).strip()), "NSEC") in odd
    return Limits(lambda l: l.startswith("Error"), known)


def knot_limits(zone):
    """Verdicts of Knot 3.2's kzonecheck that are its own mistakes: it
    orders a label holding the octet 0 (`\\000`) wrongly, so it calls a
    right NSEC chain inconsistent (it does so on BIND's own output too);
    and it accepts data signed by a SEP key (a CSK) only when that key is
    the zone's only DNSKEY, so the zones of a CSK rollover and of a change
    between CSK and KSK+ZSK have "no valid signature" for every record
    (BIND's and Knot's own CSK rollovers too). The other validators check
    those signatures."""
    records = records_of(zone)
    zero = any("\\000" in owner for owner, *_ in records)
    sep, dnskeys = set(), 0
    for r in records:
        if r[3].upper() == "DNSKEY":
            dnskeys += 1
            f = r[4].split()
            if f[0] == "257":
                sep.add(key_tag(f))
    sep_signs_data = any(
        r[3].upper() == "RRSIG" and r[4].split()[0].upper() != "DNSKEY"
        and int(r[4].split()[6]) in sep for r in records)
    csk_beside_others = sep_signs_data and dnskeys > 1

    def known(line):
        line = line.rstrip()
        return (zero and line.endswith("inconsistent NSEC(3) chain")) or (
            csk_beside_others and "no valid signature for a record" in line)
    return Limits(lambda l: l.startswith("["), known)


def key_tag(fields):
    """The key tag (RFC 4034 appendix B) of DNSKEY fields `flags proto alg key...`."""
    import base64
    wire = (int(fields[0]).to_bytes(2, "big") + bytes([int(fields[1]), int(fields[2])])
            + base64.b64decode("".join(fields[3:])))
    acc = sum(b << 8 if i % 2 == 0 else b for i, b in enumerate(wire))
    return (acc + (acc >> 16)) & 0xFFFF


class Limits:
    """Which lines of a tool's output are errors, and which of those are
    the tool's own known mistakes."""

    def __init__(self, is_error, is_known):
        self.is_error = is_error
        self.is_known = is_known

    def all_known(self, out):
        """The error lines, when every one of them is a known mistake."""
        errors = [l for l in out.splitlines() if self.is_error(l)]
        return errors if errors and all(self.is_known(l) for l in errors) else []


def validate(j, name, args, zone, flat, bind_ok, judged, limits=None):
    """Runs a validator on the zone, or on BIND's copy if it cannot parse
    the zone as we wrote it; skip if it cannot parse either. Errors that
    `limits` knows for the tool's own mistakes are named, not failed."""
    for path, note in ((zone, ""), (flat, " (on BIND's re-serialised copy)")):
        if path is None:
            continue
        rc, out = run(args + [path])
        if rc != 0 and (re.search(PARSE_ERRORS, out, re.I) or rc < 0):
            continue  # cannot parse it, or crashed on it
        judged.append(name)
        errors = limits.all_known(out) if rc != 0 and limits else []
        if errors:
            return j.say("ok", name, f"nothing but {len(errors)} known mistake(s) of this "
                         f"tool, e.g. {errors[0]}{note}")
        if rc == 0:
            j.say("ok", name, telling(out, "verified|no semantic|fully signed") + note)
        else:
            j.say("FAIL", name, f"exit {rc}: " + telling(out, r"error|expired|bogus|missing|^\[|invalid") + note)
        return
    if bind_ok:
        j.say("skip", name, "cannot parse the zone (BIND can): a limit of this tool")
    else:
        j.say("FAIL", name, "cannot parse the zone")


def apex_dnskeys(flat, origin):
    """(algorithm, flags) of every apex DNSKEY of a BIND copy."""
    keys = []
    for owner, _, _, rtype, rdata in records_of(flat):
        if rtype == "DNSKEY" and owner.lower() == origin.lower():
            f = rdata.split()
            keys.append((int(f[2]), int(f[0])))
    return keys


def validns_check(j, zone_flat, origin, keys, when, judged, tmp, ahead=False):
    """validns knows RSA only and reads few of the newer types: it gets a
    copy with every type outside a plain set in RFC 3597 form, and two
    false positives of it are named and set aside. With `ahead`, the
    signatures by keys not yet published are left out of its copy (an
    algorithm being introduced): each-rrsig verifies them."""
    if not have("validns"):
        return j.say("skip", "validns", "not installed")
    algs = {a for a, _ in keys}
    if not algs or not algs <= RSA_ALGORITHMS:
        return j.say("skip", "validns", f"algorithms {sorted(algs)}: validns checks RSA only")
    if not dnspython():
        return j.say("skip", "validns", "needs dnspython for its RFC 3597 copy")
    import dns.name
    recs, unread = read_with_dnspython(zone_flat)
    if unread:
        return j.say("skip", "validns", "dnspython cannot write its copy")
    native = {"SOA", "NS", "A", "AAAA", "CNAME", "DNAME", "MX", "PTR", "SRV", "NAPTR",
              "TXT", "DS", "DNSKEY", "RRSIG", "NSEC", "NSEC3", "NSEC3PARAM", "HINFO"}
    import dns.rdatatype
    copy = os.path.join(tmp, "validns.zone")
    import dns.dnssec
    published = {(rd.algorithm, dns.dnssec.key_id(rd)) for n, _, rd in recs
                 if rd.rdtype == dns.rdatatype.DNSKEY and n == dns.name.from_text(origin)}
    # validns reads no CDS or CDNSKEY, not even in RFC 3597 form: its copy
    # goes without them and their RRSIGs (the other validators check them).
    unread_types = {dns.rdatatype.CDS, dns.rdatatype.CDNSKEY}
    with open(copy, "w") as f:
        for n, ttl, rd in recs:
            if rd.rdtype in unread_types or (rd.rdtype == dns.rdatatype.RRSIG
                                             and rd.type_covered in unread_types):
                continue
            if (ahead and rd.rdtype == dns.rdatatype.RRSIG
                    and (rd.algorithm, rd.key_tag) not in published):
                continue  # signed ahead of its DNSKEY: each-rrsig checks it
            t = dns.rdatatype.to_text(rd.rdtype)
            text = rd.to_text() if t in native else rd.to_generic().to_text()
            if t in ("NSEC", "NSEC3"):
                text = re.sub(r"\bCDS\b", "TYPE59", re.sub(r"\bCDNSKEY\b", "TYPE60", text))
            shown = t if t in native else f"TYPE{rd.rdtype}"
            f.write(f"{n} {ttl} IN {shown} {text}\n")
    args = ["validns", "-z", origin]
    if when:
        args += ["-t", str(rrsig_time(when))]
    rc, out = run(args + [copy])
    copy_lines = open(copy).read().splitlines()
    cuts = {o.lower() for o, _, _, t, _ in records_of(zone_flat)
            if t == "NS" and o.lower() != origin.lower()}
    data = {o.lower() for o, _, _, t, _ in records_of(zone_flat) if t not in ("NSEC3", "RRSIG")}
    real, unknown_ds = [], set()
    for line in out.replace(copy, "<zone>").splitlines():
        m = re.match(r"<zone>:(\d+): bad or unsupported algorithm", line)
        if m and " DS " in copy_lines[int(m.group(1)) - 1]:
            # A DS of an algorithm validns does not know: it drops that
            # record, so the RRSIG over the DS RRset fails in validns alone.
            unknown_ds.add(copy_lines[int(m.group(1)) - 1].split()[0].lower())
    for line in out.replace(copy, "<zone>").splitlines():
        m = re.match(r"<zone>:\d+: (\S+) RRSIG\(DS\)", line)
        if m and m.group(1).lower() in unknown_ds:
            continue
        m = re.search(r"exists, but NSEC3? does not mention it for (.*)\.$", line)
        if m and (m.group(1).lower() + "." in cuts
                  or ("NSEC3 exists" in line and m.group(1).lower() + "." in data)):
            continue  # occluded data at a cut; an owner equal to an NSEC3 owner
        m = re.match(r"<zone>:(\d+): bad or unsupported algorithm", line)
        if m and " DS " in copy_lines[int(m.group(1)) - 1]:
            continue  # a DS of an algorithm validns does not know
        if re.search(r"NSEC3? mentions TYPE(59|60), but no such record", line):
            continue  # the CDS/CDNSKEY left out of its copy
        if line.strip():
            real.append(line)
    if rc < 0 or any("not currently supported" in l for l in real):
        return j.say("skip", "validns", f"cannot take the zone: {(real or ['crashed'])[0]}")
    judged.append("validns")
    if rc == 0 or not real:
        j.say("ok", "validns", f"no errors (algorithms {sorted(algs)})")
    else:
        j.say("FAIL", "validns", f"exit {rc}: {real[0]}")


def verify(argv):
    import argparse
    p = argparse.ArgumentParser(prog="judge.py verify")
    p.add_argument("zone")
    p.add_argument("origin")
    p.add_argument("--ds")
    p.add_argument("--time", help="validate as of YYYYMMDDhhmmss (UTC)")
    p.add_argument("--min", type=int, default=2, help="validators that must judge")
    p.add_argument("--ds-any", action="store_true", help="one matching DS suffices")
    p.add_argument("--ahead", action="append",
                   help=".key file of a key that signs before it is published")
    a = p.parse_args(argv)
    origin = absolute(a.origin)
    zone = os.path.abspath(a.zone)
    if not os.path.isfile(zone):
        p.error(f"cannot read {a.zone}")
    if a.time and not re.fullmatch(r"\d{14}", a.time):
        p.error("--time takes YYYYMMDDhhmmss")
    j = Judge()
    with tempfile.TemporaryDirectory() as tmp:
        flat = os.path.join(tmp, "bind.zone")
        bind_ok = False
        if have("named-checkzone"):
            rc, out = run(["named-checkzone", "-i", "local", "-k", "ignore", origin, zone],
                          cwd=os.path.dirname(zone))
            bind_ok = rc == 0
            j.say("ok" if bind_ok else "FAIL", "named-checkzone",
                  telling(out, "loaded serial" if bind_ok else "error|failed|has no|not loaded"))
        else:
            j.say("skip", "named-checkzone", "not installed")
        if not (have("named-compilezone") and bind_flat(zone, origin, flat)[0] == 0):
            flat = None
        judged = []
        time_args = ["-t", a.time] if a.time else []
        if have("ldns-verify-zone"):
            validate(j, "ldns-verify-zone", ["ldns-verify-zone"] + time_args, zone, flat,
                     bind_ok, judged, ldns_limits(zone))
        else:
            j.say("skip", "ldns-verify-zone", "not installed")
        keys = apex_dnskeys(flat, origin) if flat else []
        if not have("dnssec-verify"):
            j.say("skip", "dnssec-verify", "not installed")
        elif a.time:
            j.say("skip", "dnssec-verify", "it has no way to validate at another time")
        else:
            # A CSK zone has no DNSKEY without the SEP bit: -z.
            csk = keys and all(flags & 1 for _, flags in keys)
            args = ["dnssec-verify"] + (["-z"] if csk else []) + ["-o", origin, zone]
            rc, out = run(args, cwd=os.path.dirname(zone))
            judged.append("dnssec-verify")
            if rc == 0:
                j.say("ok", "dnssec-verify" + (" -z" if csk else ""),
                      telling(out, "fully signed") + f" algorithms {sorted({x for x, _ in keys})}")
            else:
                j.say("FAIL", "dnssec-verify",
                      f"exit {rc}: " + telling(out, "fatal|error|expired|missing|bad|fail|mismatch|no "))
        if have("kzonecheck"):
            validate(j, "kzonecheck -d on", ["kzonecheck", "-d", "on", "-o", origin] + time_args,
                     zone, flat, bind_ok, judged, knot_limits(zone))
        else:
            j.say("skip", "kzonecheck", "not installed")
        if flat:
            validns_check(j, flat, origin, keys, a.time, judged, tmp, bool(a.ahead))
        if not dnspython():
            j.say("skip", "dnspython", "python3 dnspython with cryptography is not installed")
        elif flat is None:
            j.say("FAIL", "each-rrsig (dnspython)", "BIND could not re-serialise the zone")
        else:
            each_rrsig(j, flat, origin, a.time, ahead_keys(a.ahead, origin) if a.ahead else None)
            readback(j, zone, flat)
            if a.ds:
                ds_checks(j, zone, flat, origin, os.path.abspath(a.ds), a.ds_any, a.time)
        if len(judged) < a.min:
            j.say("FAIL", "validators", f"only {len(judged)} validator(s) judged the zone "
                  f"({', '.join(judged) or 'none'}); {a.min} wanted")
    return j.finish(f"{origin} {os.path.basename(zone)}")


# ------------------------------------------------------------------ compare

def compare(argv):
    import argparse
    p = argparse.ArgumentParser(prog="judge.py compare")
    p.add_argument("unsigned")
    p.add_argument("signed")
    p.add_argument("origin")
    p.add_argument("--strict-case", action="store_true")
    a = p.parse_args(argv)
    origin = absolute(a.origin).lower()
    j = Judge()
    sides = {}
    with tempfile.TemporaryDirectory() as tmp:
        for side, path in (("unsigned", a.unsigned), ("signed", a.signed)):
            out = os.path.join(tmp, side + ".zone")
            rc, text = bind_flat(path, a.origin, out)
            if rc != 0:
                print(f"judge.py compare: BIND cannot read {path}: {telling(text, 'error|fail')}",
                      file=sys.stderr)
                return 2
            sides[side] = records_of(out)
    kept = {}
    for side, recs in sides.items():
        kept[side] = {}
        for owner, ttl, cls, rtype, rdata in recs:
            owner = owner.lower()
            if rtype in SIGNER_TYPES or (owner == origin and rtype in SIGNER_APEX_TYPES):
                continue
            if rtype == "SOA":
                f = rdata.split()
                rdata = " ".join(f[:2] + ["<serial>"] + f[3:])
            kept[side][(owner, cls, rtype, rdata)] = ttl
    problems, case_only = [], []
    lower = {}
    for side in kept:
        lower[side] = {}
        for (o, c, t, r) in kept[side]:
            folded = r.lower() if t in NAME_TYPES else r
            lower[side].setdefault((o, c, t, folded), []).append(r)
    for key, ttl in kept["unsigned"].items():
        if key in kept["signed"]:
            if kept["signed"][key] != ttl:
                problems.append(f"TTL {' '.join(key)}: {ttl} became {kept['signed'][key]}")
            continue
        o, c, t, r = key
        folded = (o, c, t, r.lower() if t in NAME_TYPES else r)
        if folded in lower["signed"]:
            case_only.append(f"CASE {o} {t} {r}")
        else:
            problems.append(f"MISSING {o} {t} {r}")
    for key in kept["signed"]:
        o, c, t, r = key
        folded = (o, c, t, r.lower() if t in NAME_TYPES else r)
        if key not in kept["unsigned"] and folded not in lower["unsigned"]:
            problems.append(f"ADDED {o} {t} {r}")
    if a.strict_case:
        problems += case_only
    for p_ in problems[:20]:
        print(f"     {p_}")
    n = len(kept["unsigned"])
    if problems:
        j.say("FAIL", "content", f"{len(problems)} differences in {n} records: {problems[0]}")
    else:
        extra = f" ({len(case_only)} differ in letter case only)" if case_only else ""
        j.say("ok", "content", f"{n} records alike{extra}")
    return j.finish(f"{a.origin} {os.path.basename(a.signed)}")


def main():
    if len(sys.argv) < 2 or sys.argv[1] not in ("verify", "compare"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        print(__doc__.strip().splitlines()[3], file=sys.stderr)
        return 2
    return {"verify": verify, "compare": compare}[sys.argv[1]](sys.argv[2:])


if __name__ == "__main__":
    sys.exit(main())
