#!/usr/bin/env python3
"""Makes large, realistic unsigned zones for benchmarks and big-zone tests.

    genzone.py KIND NAMES [--seed S] [--origin ORIGIN] > zone

KIND is one of:

  tld         a registry: NAMES delegations with two or three NS each; a
              third of them have name servers inside the child (with A
              and/or AAAA glue), the rest name servers elsewhere; one in
              five is secure (one or two DS records).
  enterprise  a company zone: NAMES owners holding A, AAAA, MX, TXT, CNAME
              or SRV records (SRV under _tcp, which makes an empty
              non-terminal), a few wildcards, and some names two labels
              below a name without data.
  ip6         a reverse zone for 2001:db8::/32: NAMES PTR records 24
              nibbles below the apex, spread over 256 /64s, so that most
              owners of the zone are empty non-terminals.
  hosting     a hosting provider's NAMES small zones, written to --dir as
              <zone>.zone: each an enterprise zone of 5 to 200 records,
              most of them small (a long-tailed spread of sizes).

The same arguments give the same file. Records are written in the order
they are made, not in canonical order, with absolute owner names.
Python's standard library only.
"""

import argparse
import random
import sys

WORDS = ("north south east west blue green red gold star moon sun sky sea lake "
         "hill stone wood iron data web cloud shop home art tech net bio go my "
         "best smart fast zen pix").split()
LETTERS = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"


class Names:
    """Unique, plausible labels: words run together, letters and digits,
    or a word, a hyphen, a word and a number."""

    def __init__(self, rng):
        self.rng = rng
        self.seen = set()

    def new(self):
        rng = self.rng
        while True:
            shape = rng.random()
            if shape < 0.55:
                label = "".join(rng.choice(WORDS) for _ in range(rng.randint(2, 3)))
            elif shape < 0.9:
                label = rng.choice(LETTERS) + "".join(
                    rng.choice(LETTERS + DIGITS) for _ in range(rng.randint(2, 12)))
            else:
                label = f"{rng.choice(WORDS)}-{rng.choice(WORDS)}{rng.randint(0, 9999)}"
            if label not in self.seen and len(label) < 64:
                self.seen.add(label)
                return label


def v4(rng):
    return f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def v6(rng):
    return f"2001:db8:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}"


def digest(rng, octets):
    return "".join(f"{rng.getrandbits(8):02X}" for _ in range(octets))


def head(out, origin, ns):
    out.write(f"$ORIGIN {origin}\n$TTL 3600\n")
    out.write(f"{origin} 3600 IN SOA {ns[0]} hostmaster.{origin} 2026120701 7200 3600 1209600 3600\n")
    for n in ns:
        out.write(f"{origin} 3600 IN NS {n}\n")


def tld(out, origin, count, rng):
    servers = [f"{c}.nic.{origin}" for c in "abc"]
    head(out, origin, servers)
    for s in servers:
        out.write(f"{s} 3600 IN A {v4(rng)}\n{s} 3600 IN AAAA {v6(rng)}\n")
    names = Names(rng)
    hosts = [f"ns{i}.{names.new()}.net." for i in range(400)]
    for _ in range(count):
        child = f"{names.new()}.{origin}"
        if rng.random() < 0.33:
            ns = [f"ns{i}.{child}" for i in range(1, rng.randint(2, 3) + 1)]
            glue = ns
        else:
            ns = rng.sample(hosts, rng.randint(2, 3))
            glue = []
        for n in ns:
            out.write(f"{child} 86400 IN NS {n}\n")
        for g in glue:
            if rng.random() < 0.8:
                out.write(f"{g} 86400 IN A {v4(rng)}\n")
            if rng.random() < 0.5:
                out.write(f"{g} 86400 IN AAAA {v6(rng)}\n")
        if rng.random() < 0.2:
            for _ in range(rng.randint(1, 2)):
                out.write(f"{child} 86400 IN DS {rng.randint(1, 65535)} 13 2 {digest(rng, 32)}\n")


def enterprise(out, origin, count, rng):
    head(out, origin, [f"ns1.{origin}", f"ns2.{origin}"])
    out.write(f"{origin} 3600 IN MX 10 mail.{origin}\n")
    out.write(f'{origin} 3600 IN TXT "v=spf1 mx -all"\n')
    for n in ("ns1", "ns2", "mail"):
        out.write(f"{n}.{origin} 3600 IN A {v4(rng)}\n")
    names = Names(rng)
    made = []
    for _ in range(count):
        owner = f"{names.new()}.{origin}"
        pick = rng.random()
        if pick < 0.05:
            # Two labels below a name that holds nothing.
            owner = f"{names.new()}.{names.new()}.{origin}"
        if pick > 0.9 and made:
            out.write(f"{owner} 3600 IN CNAME {rng.choice(made)}\n")
            continue
        made.append(owner)
        if rng.random() < 0.6:
            out.write(f"{owner} 3600 IN A {v4(rng)}\n")
        if rng.random() < 0.3:
            out.write(f"{owner} 3600 IN AAAA {v6(rng)}\n")
        if rng.random() < 0.05:
            out.write(f"{owner} 3600 IN MX {rng.choice((5, 10, 20))} mail.{origin}\n")
        if rng.random() < 0.12:
            out.write(f'{owner} 300 IN TXT "id={rng.getrandbits(48):012x}"\n')
        if rng.random() < 0.05:
            out.write(f"_svc._tcp.{owner} 3600 IN SRV 0 5 {rng.randint(1024, 65535)} {owner}\n")
        if rng.random() < 0.01:
            out.write(f"*.{owner} 3600 IN A {v4(rng)}\n")


def ip6(out, origin, count, rng):
    out.write(f"$ORIGIN {origin}\n$TTL 3600\n")
    out.write(f"{origin} 3600 IN SOA ns1.example.net. hostmaster.example.net. 1 7200 3600 1209600 3600\n")
    out.write(f"{origin} 3600 IN NS ns1.example.net.\n{origin} 3600 IN NS ns2.example.net.\n")
    seen = set()
    while len(seen) < count:
        nibbles = f"{rng.randrange(16):x}{rng.randrange(256):02x}{rng.getrandbits(84):021x}"
        if nibbles in seen:
            continue
        seen.add(nibbles)
        owner = ".".join(reversed(nibbles)) + "." + origin
        out.write(f"{owner} 3600 IN PTR host{len(seen)}.example.net.\n")


def hosting(directory, count, rng):
    import os
    os.makedirs(directory, exist_ok=True)
    names = Names(rng)
    tlds = ("com", "net", "org", "de", "nl", "fr", "io", "example")
    for _ in range(count):
        origin = f"{names.new()}.{rng.choice(tlds)}."
        # 8 records of head; each owner adds about 1.1 more.
        owners = min(150, int(rng.paretovariate(1.1) * 4) - 4)
        with open(os.path.join(directory, f"{origin[:-1]}.zone"), "w") as out:
            enterprise(out, origin, max(0, owners), rng)


def main():
    p = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    p.add_argument("kind", choices=("tld", "enterprise", "ip6", "hosting"))
    p.add_argument("names", type=int)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--origin")
    p.add_argument("--dir", help="where hosting writes its zones")
    a = p.parse_args()
    if a.kind == "hosting":
        if not a.dir:
            p.error("hosting needs --dir")
        hosting(a.dir, a.names, random.Random(a.seed))
        return
    default = {"tld": "tld.test.", "enterprise": "enterprise.test.",
               "ip6": "8.b.d.0.1.0.0.2.ip6.arpa."}[a.kind]
    origin = a.origin or default
    if not origin.endswith("."):
        origin += "."
    rng = random.Random(a.seed)
    out = sys.stdout
    {"tld": tld, "enterprise": enterprise, "ip6": ip6}[a.kind](out, origin, a.names, rng)


if __name__ == "__main__":
    main()
