#!/usr/bin/env python3
"""Makes random valid unsigned zones that nobody wrote by hand.

    randzone.py SEED [--legacy] [--origin ORIGIN] > zone

Each zone mixes, at random: owners in random case (the same owner spelled
in several cases), labels with escapes (`\\.`, `\\032`, `\\\\`, `\\"`, `\\(`,
`\\;`, `\\@`, `\\$`, `\\DDD`), labels of 63 octets and names near 255,
wildcards, empty non-terminals, delegations with glue and DS, data below
and at cuts (occluded), DNAME with data below it, CNAME, a large RRset,
TTLs from 0 to 2^31-1, and record data of some 40 types with names in
random case; about one record in five is written in RFC 3597 generic form
(`TYPEnn \\# …` or `MX \\# …`), including types whose names canonical form
lower-cases. With --legacy, types only BIND among the validators reads
(MB, MG, MR, PX, A6, WKS, X25, ISDN, GPOS, …) are added too.

The same SEED gives the same zone. Needs dnspython (for the generic form).
"""

import argparse
import random
import sys
import warnings

warnings.filterwarnings("ignore")
sys.dont_write_bytecode = True

import dns.name  # noqa: E402
import dns.rdata  # noqa: E402
import dns.rdatatype  # noqa: E402

PLAIN = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
# Octets a label may hold only escaped, as a master file spells them.
ESCAPED = ["\\.", "\\032", "\\\\", '\\"', "\\(", "\\)", "\\;", "\\@", "\\$", "\\000",
           "\\200", "\\255", "\\009"]


class Gen:
    def __init__(self, seed, origin, legacy):
        self.r = random.Random(seed)
        self.origin = origin
        self.legacy = legacy
        self.lines = []
        self.used = {}  # lower-cased owner -> set of types
        self.ttls = {}  # (lower-cased owner, type) -> TTL

    # ------------------------------------------------------------ names
    def label(self, long=False):
        r = self.r
        n = 63 if long else r.choice([1, 2, 3, 5, 8, 12, 20])
        parts, size = [], 0
        while size < n:
            if r.random() < 0.04:
                parts.append(r.choice(ESCAPED))
            else:
                parts.append(r.choice(PLAIN))
            size += 1
        return "".join(parts)

    def case(self, text):
        """The same name in random case (escapes untouched)."""
        out, i = [], 0
        while i < len(text):
            if text[i] == "\\":
                j = i + 2 if not text[i + 1].isdigit() else i + 4
                out.append(text[i:j])
                i = j
            else:
                c = text[i]
                out.append(c.upper() if self.r.random() < 0.5 else c.lower())
                i += 1
        return "".join(out)

    def below(self, parent, depth=1):
        labels = [self.label() for _ in range(depth)]
        return ".".join(labels) + "." + parent

    def long_name(self):
        """A name of 230 to 255 octets in wire form."""
        name = self.origin
        while True:
            wire = dns.name.from_text(name).to_wire()
            room = 255 - len(wire)
            if room < 2:
                return name
            n = min(63, room - 1)
            name = "x" * n + "." + name
            if self.r.random() < 0.3:
                return name

    def target(self):
        """A name in RDATA: in the zone or outside, random case."""
        r = self.r
        if r.random() < 0.6:
            return self.case(self.below(self.origin, r.randint(1, 2)))
        return self.case(self.below(r.choice(["example.net.", "Example.ORG.", "a.b.test."])))

    # ---------------------------------------------------------- records
    def add(self, owner, ttl, rtype, rdata, generic_ok=True):
        have = self.used.setdefault(owner.lower(), set())
        if ("CNAME" in have) or (rtype == "CNAME" and have):
            return  # CNAME and other data
        have.add(rtype)
        # One TTL per RRset (RFC 2181 s5.2): the first one given.
        ttl = self.ttls.setdefault((owner.lower(), rtype), ttl)
        if generic_ok and self.r.random() < 0.2:
            rdata = self.generic(rtype, rdata)
            if rdata.startswith("\\#") and self.r.random() < 0.5:
                rtype = f"TYPE{dns.rdatatype.from_text(rtype)}"
        self.lines.append(f"{self.case(owner)} {ttl} IN {rtype} {rdata}")

    def generic(self, rtype, rdata):
        try:
            rd = dns.rdata.from_text("IN", rtype, rdata, origin=dns.name.root, relativize=False)
        except Exception:
            return rdata  # a type dnspython does not know: as written
        wire = rd.to_wire()
        return f"\\# {len(wire)} {wire.hex()}" if wire else "\\# 0"

    def data(self):
        """(type, RDATA) of a random type."""
        r = self.r
        t = self.target
        common = [
            ("A", lambda: f"192.0.2.{r.randint(0, 255)}"),
            ("AAAA", lambda: f"2001:db8::{r.randint(0, 65535):x}"),
            ("MX", lambda: f"{r.choice([0, 10, 40, 0x2829])} {t()}"),
            ("TXT", lambda: " ".join(f'"{self.text()}"' for _ in range(r.randint(1, 3)))),
            ("SRV", lambda: f"{r.randint(0, 65535)} {r.randint(0, 65535)} {r.choice([64, 40, 59, 443])} {t()}"),
            ("NAPTR", lambda: f'{r.randint(0, 100)} {r.randint(0, 100)} "S" "SIP+D2U" "" {t()}'),
            ("RP", lambda: f"{t()} {t()}"),
            ("AFSDB", lambda: f"{r.choice([1, 2])} {t()}"),
            ("RT", lambda: f"{r.randint(0, 65535)} {t()}"),
            ("KX", lambda: f"{r.randint(0, 65535)} {t()}"),
            ("PTR", lambda: t()),
            ("HINFO", lambda: f'"{self.text()}" "{self.text()}"'),
            ("MINFO", lambda: f"{t()} {t()}"),
            ("CAA", lambda: f'{r.choice([0, 128])} issue "ca.example.net"'),
            ("SSHFP", lambda: f"{r.choice([1, 2, 3, 4])} " + r.choice(["1 " + self.hex(20), "2 " + self.hex(32)])),
            ("TLSA", lambda: f"3 1 1 {self.hex(32)}"),
            ("SMIMEA", lambda: f"3 0 1 {self.hex(32)}"),
            ("URI", lambda: f'{r.randint(0, 65535)} {r.randint(0, 65535)} "https://x.example/{self.label()}"'),
            ("LOC", lambda: f"{r.randint(0, 89)} {r.randint(0, 59)} {r.randint(0, 59)}.{r.randint(0, 999):03d} "
                            f"{r.choice('NS')} {r.randint(0, 179)} {r.randint(0, 59)} 0.000 {r.choice('EW')} "
                            f"{r.randint(-100, 5000)}.00m 1m 10000m 10m"),
            ("CERT", lambda: f"PGP 0 0 {self.b64(20)}"),
            ("DHCID", lambda: self.b64(35)),
            ("OPENPGPKEY", lambda: self.b64(40)),
            ("NID", lambda: f"10 0014:4fff:ff20:ee64"),
            ("L32", lambda: f"10 10.1.2.{r.randint(0, 255)}"),
            ("L64", lambda: "10 2001:0db8:1140:1000"),
            ("LP", lambda: f"10 {t()}"),
            ("EUI48", lambda: "-".join(f"{r.randint(0, 255):02x}" for _ in range(6))),
            ("EUI64", lambda: "-".join(f"{r.randint(0, 255):02x}" for _ in range(8))),
            ("APL", lambda: f"1:192.168.{r.randint(0, 255)}.0/24 !2:2001:db8::/32"),
            ("IPSECKEY", lambda: f"10 3 2 {t()} {self.b64(32)}"),
            ("IPSECKEY", lambda: f"10 1 2 192.0.2.{r.randint(0, 255)} {self.b64(32)}"),
            ("SPF", lambda: '"v=spf1 -all"'),
            ("SVCB", lambda: f"1 {t()} alpn=h2 port={r.randint(1, 65535)}"),
            ("HTTPS", lambda: f"0 {t()}"),
            ("TYPE65280", lambda: f"\\# 4 {self.hex(4)}"),
        ]
        legacy = [
            ("MB", lambda: t()),
            ("MG", lambda: t()),
            ("MR", lambda: t()),
            ("PX", lambda: f"10 {t()} {t()}"),
            ("A6", lambda: f"64 ::1:2:3:{r.randint(0, 65535):x} {t()}"),
            ("WKS", lambda: f"192.0.2.{r.randint(0, 255)} 6 25 80"),
            ("X25", lambda: f'"{r.randint(10**8, 10**9)}"'),
            ("ISDN", lambda: f'"{r.randint(10**8, 10**9)}" "{r.randint(0, 999)}"'),
            ("GPOS", lambda: '"-32.6882" "116.8652" "10.0"'),
            ("NSAP-PTR", lambda: t()),
        ]
        pool = common + (legacy if self.legacy else [])
        rtype, make = r.choice(pool)
        return rtype, make()

    def text(self):
        r = self.r
        chars = PLAIN + " ;()@$"
        s = "".join(r.choice(chars) for _ in range(r.randint(0, 30)))
        if r.random() < 0.1:
            s += '\\"\\\\\\255'
        return s

    def hex(self, n):
        return "".join(f"{self.r.randint(0, 255):02X}" for _ in range(n))

    def b64(self, n):
        import base64
        return base64.b64encode(bytes(self.r.randint(0, 255) for _ in range(n))).decode()

    def ttl(self):
        return self.r.choice([0, 1, 60, 300, 3600, 86400, 604800, 2147483647])

    # ------------------------------------------------------------- zone
    def zone(self):
        r, o = self.r, self.origin
        self.lines.append(f"$ORIGIN {o}")
        self.lines.append(f"{o} 3600 IN SOA ns1.{o} host\\.master.{o} {r.randint(1, 2**32 - 1)} "
                          f"7200 3600 1209600 {r.choice([0, 300, 3600])}")
        self.add(o, 3600, "NS", f"ns1.{o}", generic_ok=False)
        self.add(o, 3600, "NS", "ns.example.net.", generic_ok=False)
        self.add(f"ns1.{o}", 3600, "A", "192.0.2.53")
        owners = [o]
        for _ in range(r.randint(5, 40)):
            owner = self.below(r.choice(owners) if r.random() < 0.3 else o, r.randint(1, 3))
            if r.random() < 0.05:
                owner = f"*.{owner}"
            if r.random() < 0.03:
                owner = f"{self.label(long=True)}.{o}"
            owners.append(owner)
            ttl = self.ttl()
            if r.random() < 0.1 and owner != o:
                self.add(owner, ttl, "CNAME", self.target())
                continue
            for _ in range(r.randint(1, 3)):
                rtype, rdata = self.data()
                self.add(owner, ttl, rtype, rdata)
        if r.random() < 0.3:
            owner = self.long_name()
            self.add(owner, 300, "TXT", '"near the limit"')
        if r.random() < 0.3:
            # A large RRset.
            owner = self.below(o)
            for i in range(r.randint(30, 200)):
                self.add(owner, 60, "A", f"10.{i // 256}.{i % 256}.{r.randint(0, 255)}",
                         generic_ok=False)
        for _ in range(r.randint(0, 4)):
            self.delegation()
        if r.random() < 0.3:
            # A fresh name: nothing may be below a DNAME (RFC 6672 s2.4).
            owner = self.below(o)
            while any(u == owner.lower() or u.endswith("." + owner.lower()) for u in self.used):
                owner = self.below(o)
            self.add(owner, 300, "DNAME", self.target())
            self.add(owner, 300, "TXT", '"beside a DNAME"')
        return "\n".join(self.lines) + "\n"

    def delegation(self):
        r, o = self.r, self.origin
        cut = self.below(o, r.randint(1, 2))
        inside = f"ns.{cut}"
        self.add(cut, 86400, "NS", self.case(inside), generic_ok=False)
        self.add(cut, 86400, "NS", "ns.example.net.", generic_ok=False)
        self.add(inside, 86400, "A", f"192.0.2.{r.randint(1, 254)}", generic_ok=False)
        if r.random() < 0.5:
            self.add(inside, 86400, "AAAA", "2001:db8::53", generic_ok=False)
        if r.random() < 0.5:
            self.add(cut, 86400, "DS", f"{r.randint(0, 65535)} 13 2 {self.hex(32)}")
        if r.random() < 0.3:
            self.add(self.below(cut), 300, "TXT", '"occluded below the cut"')
        if r.random() < 0.2:
            self.add(cut, 300, "TXT", '"occluded at the cut"')


def main():
    p = argparse.ArgumentParser()
    p.add_argument("seed", type=int)
    p.add_argument("--legacy", action="store_true")
    p.add_argument("--origin", default="fuzz.example.")
    a = p.parse_args()
    sys.stdout.write(Gen(a.seed, a.origin, a.legacy).zone())


if __name__ == "__main__":
    main()
