#!/usr/bin/env python3
"""The canonical form of every record of a zone, as BIND reads it and
dnspython computes it.

    canon.py ZONE ORIGIN

BIND's named-compilezone reads the zone and writes one record per line;
dnspython reads each line and prints the owner's wire form lower-cased,
the type code, the canonical RDATA (RFC 4034 s6.2) and the RDATA as
written (case kept), each in hex, sorted. The test suite compares this with zonesign's two canonical paths.
A record dnspython cannot read is printed as `skip OWNER TYPE`;
NSAP-PTR is lower-cased as BIND does.
"""

import subprocess
import sys

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype


def main():
    path, origin = sys.argv[1], sys.argv[2]
    p = subprocess.run(
        ["named-compilezone", "-q", "-i", "none", "-k", "ignore", "-n", "ignore",
         "-r", "ignore", "-s", "full", "-f", "text", "-F", "text", "-o", "-", origin, path],
        capture_output=True, text=True, errors="surrogateescape")
    if p.returncode != 0:
        sys.exit(f"named-compilezone: {p.stdout}{p.stderr}")
    out = []
    for line in p.stdout.splitlines():
        if not line.strip() or line.startswith(";"):
            continue
        owner, _ttl, _class, rtype, data = line.split(None, 4)
        name = dns.name.from_text(owner)
        try:
            code = dns.rdatatype.from_text(rtype)
            rd = dns.rdata.from_text(dns.rdataclass.IN, code, data, origin=dns.name.root)
            digest = rd.to_digestable(dns.name.root)
            if code == dns.rdatatype.NSAP_PTR:
                # dnspython keeps its case; BIND lower-cases it (it is a
                # name), and BIND's dnssec-verify is the reference here.
                digest = dns.name.from_wire(digest, 0)[0].canonicalize().to_wire()
            wire = rd.to_wire(origin=dns.name.root).hex()
            digest = digest.hex()
        except Exception:  # a type or form dnspython does not read
            out.append(f"skip {owner} {rtype}")
            continue
        out.append(f"{name.canonicalize().to_wire().hex()} {int(code)} {digest} {wire}")
    for line in sorted(out):
        print(line)


if __name__ == "__main__":
    main()
