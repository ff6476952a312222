#!/usr/bin/env python3
"""The zone reader against BIND's on mutated random zones: a random zone
(randzone.py) has one field of one record changed (a number pushed to a
limit, hex or base64 cut short, a character added or dropped), then
`zonesign sign` and `named-checkzone` each take it or refuse it. A zone
zonesign signs that BIND refuses is a finding: zonesign would publish what
a BIND secondary will not load. The opposite is reported, not failed:
zonesign follows the RFCs where BIND reads loosely (EUI48 and EUI64 must be
exactly their hex pairs).

    readerdiff.py --zonesign BIN --key KEYBASE --count N [--seed S]

KEYBASE is a key pair of fz.example. Exit status 1 on a finding."""

import argparse
import collections
import os
import random
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ORIGIN = "fz.example."


def mutate_field(rng, tok):
    if tok.isdigit():
        return rng.choice(["0", "255", "256", "65535", "65536", "4294967296", str(int(tok) + 1)])
    if re.fullmatch(r"[0-9A-Fa-f]+", tok) and len(tok) >= 4:
        return tok[: rng.randrange(1, len(tok))]
    if re.fullmatch(r"[A-Za-z0-9+/=]+", tok) and len(tok) >= 8:
        return tok[: rng.randrange(4, len(tok))]
    return rng.choice([tok[:-1] or "x", tok + "x", tok])


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--zonesign", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    rng = random.Random(a.seed)
    stats = collections.Counter()
    findings, stricter = [], []
    with tempfile.TemporaryDirectory() as tmp:
        zone = os.path.join(tmp, "m.zone")
        for _ in range(a.count):
            seed = rng.randrange(1, 10**6)
            text = subprocess.run(
                [sys.executable, os.path.join(HERE, "randzone.py"), str(seed), "--origin", ORIGIN],
                capture_output=True, text=True, check=True).stdout
            lines = text.splitlines()
            records = [k for k, l in enumerate(lines)
                       if l and not l.startswith(("$", ";")) and len(l.split()) > 4
                       and l.split()[3] not in ("SOA", "NS")]
            if not records:
                continue
            # A type first, then one of its records: rare types are broken
            # as often as common ones.
            rtype = rng.choice(sorted({lines[k].split()[3] for k in records}))
            k = rng.choice([k for k in records if lines[k].split()[3] == rtype])
            f = lines[k].split()
            j = rng.randrange(4, len(f))
            f[j] = mutate_field(rng, f[j])
            lines[k] = " ".join(f)
            with open(zone, "w") as out:
                out.write("\n".join(lines) + "\n")
            ours = subprocess.run(
                [a.zonesign, "sign", zone, "-o", ORIGIN, "-k", a.key, "--out",
                 os.path.join(tmp, "signed.zone")], capture_output=True, text=True)
            bind = subprocess.run(["named-checkzone", "-q", ORIGIN, zone],
                                  capture_output=True, text=True)
            verdict = ("signed" if ours.returncode == 0 else "refused",
                       "loaded" if bind.returncode == 0 else "refused")
            stats[verdict] += 1
            if verdict == ("signed", "refused"):
                findings.append(f"{lines[k]}  (seed {seed})")
            elif verdict == ("refused", "loaded"):
                stats[f"stricter on {f[3]}"] += 1
                if f[3] not in ("EUI48", "EUI64"):
                    stricter.append(f"{lines[k]}  (seed {seed}): {ours.stderr.strip()[-160:]}")
    print(f"readerdiff: {a.count} mutated zones; " +
          ", ".join(f"{k}: {v}" for k, v in sorted(stats.items(), key=str)))
    for f in stricter:
        print(f"stricter than BIND: {f}")
    for f in findings:
        print(f"FINDING zonesign signs what BIND refuses: {f}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
