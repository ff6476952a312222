#!/usr/bin/env python3
"""Differential testing: random zones signed by zonesign, judged by others.

    fuzzdiff.py --zonesign BIN [--zones N | --hours H] [--first SEED]
                [--jobs J] [--keep DIR]

For each seed, randzone.py makes a zone (one in five with the legacy types),
zonesign signs it in NSEC, NSEC3 or NSEC3 opt-out mode with P-256, Ed25519
or RSA-2048 keys made by BIND's dnssec-keygen (the three by turns), and
judge.py has every independent validator check the signed zone and its
DS, and BIND compare its content with the unsigned zone. A zone that fails
anywhere is kept in DIR (default: fuzzdiff-failures/) with its signed zone
and the report. Prints what was judged; exit 1 if any zone failed.
"""

import argparse
import collections
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ORIGIN = "fuzz.example."
MODES = [("nsec", []), ("nsec3", ["--nsec3"]), ("nsec3-optout", ["--nsec3", "--opt-out"])]
ALGORITHMS = ["ECDSAP256SHA256", "ED25519", "RSASHA256"]


def run(args, **kw):
    p = subprocess.run(args, capture_output=True, text=True, errors="replace", **kw)
    return p.returncode, p.stdout + p.stderr


def keys(workdir, alg):
    """A KSK and a ZSK of `alg`, made once per worker (each has its own
    directory, so that no worker takes another's half-made keys)."""
    d = os.path.join(workdir, alg)
    if not os.path.isdir(d):
        os.makedirs(d)
        for flags in (["-f", "KSK"], []):
            extra = ["-b", "2048"] if alg.startswith("RSA") else []
            rc, out = run(["dnssec-keygen", "-q", "-K", d, "-a", alg] + extra + flags + [ORIGIN])
            if rc != 0:
                raise SystemExit(f"dnssec-keygen: {out}")
    return [os.path.join(d, f) for f in sorted(os.listdir(d)) if f.endswith(".private")]


def one(task):
    seed, zonesign, workdir, keep = task
    legacy = seed % 5 == 0
    mode, flags = MODES[seed % 3]
    alg = ALGORITHMS[seed // 3 % 3]
    wd = os.path.join(workdir, str(os.getpid()))
    os.makedirs(wd, exist_ok=True)
    zone = os.path.join(wd, "fuzz.example.zone")
    signed = os.path.join(wd, "fuzz.example.signed")
    ds = os.path.join(wd, "fuzz.example.ds")
    rc, text = run([sys.executable, os.path.join(HERE, "randzone.py"), str(seed)]
                   + (["--legacy"] if legacy else []))
    if rc != 0:
        return seed, mode, alg, 0, set(), f"randzone.py failed: {text}"
    with open(zone, "w") as f:
        f.write(text)
    records = [l for l in text.splitlines() if l and not l.startswith("$")]
    types = {l.split()[3] for l in records}
    args = [zonesign, "sign", zone, "--origin", ORIGIN, "--out", signed, "--ds-out", ds]
    for k in keys(wd, alg):
        args += ["--key", k]
    rc, out = run(args + flags)
    report = ""
    if rc != 0:
        report = f"zonesign sign failed:\n{out}"
    else:
        judge = [sys.executable, os.path.join(HERE, "judge.py")]
        minimum = "1" if legacy else "2"
        rc, out = run(judge + ["verify", signed, ORIGIN, "--ds", ds, "--min", minimum])
        if rc != 0:
            report += out
        rc, out = run(judge + ["compare", zone, signed, ORIGIN])
        if rc != 0:
            report += out
    if report and keep:
        d = os.path.join(keep, f"seed-{seed}-{mode}-{alg}")
        os.makedirs(d, exist_ok=True)
        for f in (zone, signed, ds):
            if os.path.exists(f):
                shutil.copy(f, d)
        with open(os.path.join(d, "report.txt"), "w") as f:
            f.write(report)
    return seed, mode, alg, len(records), types, report


def main():
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("--zonesign", required=True)
    p.add_argument("--zones", type=int, default=0)
    p.add_argument("--hours", type=float, default=0)
    p.add_argument("--first", type=int, default=1)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--keep", default="fuzzdiff-failures")
    a = p.parse_args()
    if not a.zones and not a.hours:
        a.zones = 100
    deadline = time.time() + a.hours * 3600 if a.hours else None
    zonesign = os.path.abspath(a.zonesign)
    keep = os.path.abspath(a.keep)
    counts = collections.Counter()
    types, failed = set(), []
    records = 0
    start = time.time()

    def batches():
        """Seeds a few per worker at a time, so that the deadline is looked
        at as the work goes (a pool takes all of an endless iterator)."""
        s, end = a.first, a.first + a.zones if a.zones else None
        while (end is None or s < end) and (not deadline or time.time() < deadline):
            n = a.jobs * 8 if end is None else min(a.jobs * 8, end - s)
            yield range(s, s + n)
            s += n

    def results(pool, workdir):
        for batch in batches():
            tasks = [(s, zonesign, workdir, keep) for s in batch]
            yield from pool.imap_unordered(one, tasks)

    with tempfile.TemporaryDirectory() as workdir, multiprocessing.Pool(a.jobs) as pool:
        for seed, mode, alg, n, t, report in results(pool, workdir):
            counts[mode] += 1
            counts[alg] += 1
            counts["zones"] += 1
            records += n
            types |= t
            if report:
                failed.append(seed)
                first = next((l for l in report.splitlines() if "FAIL" in l or "failed" in l), "")
                print(f"seed {seed} ({mode}, {alg}) FAILED: {first.strip()}", flush=True)
            elif counts["zones"] % 500 == 0:
                print(f"{counts['zones']} zones judged, {len(failed)} failed", flush=True)
    took = time.time() - start
    modes = ", ".join(f"{m} {counts[m]}" for m, _ in MODES)
    algs = ", ".join(f"{x} {counts[x]}" for x in ALGORITHMS)
    print(f"fuzzdiff: {counts['zones']} zones, {records} records, {len(types)} types "
          f"({modes}; {algs}) in {took:.0f} s; {len(failed)} failed"
          + (f": seeds {sorted(failed)[:20]} kept in {keep}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
