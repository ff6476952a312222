#!/usr/bin/env python3
"""Breaks a signed zone the way a faulty signer could, with signatures that
are still cryptographically good, so that only semantic checks catch it.

    mutate.py SIGNED OUT ORIGIN KEYBASE BREAKAGE

SIGNED is a zone with one record per line (dnssec-signzone -O full), KEYBASE
the BIND key pair (K<zone>+<alg>+<tag>, without .key/.private) of the ZSK
that signs what a breakage touches. BREAKAGE is one of:

  glue-signed           glue (an address below a cut, named by its NS) gets an RRSIG
  delegation-ns-signed  the NS RRset of a cut without DS gets an RRSIG
  occluded-signed       data below a cut that is not glue gets an RRSIG
  nsec-bitmap-extra     an NSEC bitmap claims a TXT RRset that is not there
  nsec-bitmap-missing   an NSEC bitmap leaves out the A RRset of its owner
  nsec-next-skips       the apex NSEC points past the next owner

Every NSEC it changes is signed again. dnspython and cryptography only.
"""

import base64
import sys
import warnings

warnings.filterwarnings("ignore")
sys.dont_write_bytecode = True

import dns.dnssec  # noqa: E402
import dns.name  # noqa: E402
import dns.rdata  # noqa: E402
from dns.rdataclass import IN  # noqa: E402
import dns.rdatatype as T  # noqa: E402
import dns.rrset  # noqa: E402
import dns.zone  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519  # noqa: E402


def load_key(base, origin):
    """(private key, DNSKEY) of a BIND key pair."""
    fields = {}
    for line in open(base + ".private"):
        if ":" in line:
            k, v = line.split(":", 1)
            fields[k.strip()] = v.strip()
    alg = int(fields["Algorithm"].split()[0])
    secret = base64.b64decode(fields["PrivateKey"])
    if alg in (13, 14):
        curve = ec.SECP256R1() if alg == 13 else ec.SECP384R1()
        private = ec.derive_private_key(int.from_bytes(secret, "big"), curve)
    elif alg == 15:
        private = ed25519.Ed25519PrivateKey.from_private_bytes(secret)
    else:
        sys.exit(f"mutate.py: algorithm {alg} is not supported here")
    text = next(l for l in open(base + ".key") if "DNSKEY" in l and not l.startswith(";"))
    rdata = text.split("DNSKEY", 1)[1]
    dnskey = dns.rdata.from_text("IN", "DNSKEY", rdata, origin=origin, relativize=False)
    return private, dnskey


class Zone:
    def __init__(self, path, origin):
        self.origin = dns.name.from_text(origin)
        self.zone = dns.zone.from_file(path, self.origin, relativize=False, check_origin=False)
        self.cuts = [n for n, node in self.zone.nodes.items()
                     if n != self.origin and node.get_rdataset(IN, T.NS)]

    def below_cut(self, name):
        return any(name != c and name.is_subdomain(c) for c in self.cuts)

    def glue_names(self):
        targets = set()
        for c in self.cuts:
            if self.below_cut(c):
                continue  # a cut inside another: occluded as a whole
            for ns in self.zone.nodes[c].get_rdataset(IN, T.NS):
                targets.add(ns.target)
        return targets

    def soa_sig(self):
        """The RRSIG over the SOA, whose times new signatures take."""
        return self.zone.nodes[self.origin].get_rdataset(IN, T.RRSIG, T.SOA)[0]

    def sign(self, name, rtype, private, dnskey):
        """Adds an RRSIG over (name, rtype), with the times of the SOA's."""
        rdataset = self.zone.nodes[name].get_rdataset(IN, rtype)
        rrset = dns.rrset.RRset(name, rdataset.rdclass, rtype)
        rrset.update(rdataset)
        like = self.soa_sig()
        sig = dns.dnssec.sign(rrset, private, self.origin, dnskey, inception=like.inception,
                              expiration=like.expiration, origin=self.origin,
                              policy=dns.dnssec.allow_all_policy)
        # The RRSIGs over this type are replaced by the new one.
        sigs = self.zone.nodes[name].find_rdataset(IN, T.RRSIG, rtype, create=True)
        sigs.clear()
        sigs.add(sig, rrset.ttl)

    def replace_nsec(self, name, fn, private, dnskey):
        rdataset = self.zone.nodes[name].get_rdataset(IN, T.NSEC)
        old = rdataset[0]
        new = fn(old)
        rdataset.clear()
        rdataset.add(new, rdataset.ttl)
        self.sign(name, T.NSEC, private, dnskey)

    def owners(self):
        return sorted(self.zone.nodes.keys())


def bitmap_with(nsec, types):
    text = " ".join(dns.rdatatype.to_text(t) for t in sorted(types))
    return dns.rdata.from_text("IN", "NSEC", f"{nsec.next} {text}", relativize=False)


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__.strip().splitlines()[3].strip())
    src, out, origin, keybase, breakage = sys.argv[1:]
    z = Zone(src, origin)
    private, dnskey = load_key(keybase, z.origin)
    glue = z.glue_names()
    below = [n for n in z.owners() if z.below_cut(n)]
    with_a = [n for n in z.owners() if z.zone.nodes[n].get_rdataset(IN, T.A)
              and not z.below_cut(n) and n not in z.cuts and n != z.origin]
    if breakage == "glue-signed":
        target = next(n for n in below if n in glue and z.zone.nodes[n].get_rdataset(IN, T.A))
        z.sign(target, T.A, private, dnskey)
    elif breakage == "delegation-ns-signed":
        target = next(c for c in z.cuts if not z.zone.nodes[c].get_rdataset(IN, T.DS)
                      and not z.below_cut(c))
        z.sign(target, T.NS, private, dnskey)
    elif breakage == "occluded-signed":
        target = next(n for n in below if n not in glue and z.zone.nodes[n].get_rdataset(IN, T.A))
        z.sign(target, T.A, private, dnskey)
    elif breakage in ("nsec-bitmap-extra", "nsec-bitmap-missing"):
        target = with_a[0]

        def edit(nsec):
            types = types_of(nsec)
            if breakage == "nsec-bitmap-extra":
                types.add(T.TXT)
            else:
                types.discard(T.A)
            return bitmap_with(nsec, types)
        z.replace_nsec(target, edit, private, dnskey)
    elif breakage == "nsec-next-skips":
        apex_nsec = z.zone.nodes[z.origin].get_rdataset(IN, T.NSEC)[0]
        after = z.zone.nodes[apex_nsec.next].get_rdataset(IN, T.NSEC)[0].next

        def edit(nsec):
            return dns.rdata.from_text("IN", "NSEC", f"{after} " + " ".join(
                dns.rdatatype.to_text(t) for t in sorted(types_of(nsec))), relativize=False)
        z.replace_nsec(z.origin, edit, private, dnskey)
    else:
        sys.exit(f"mutate.py: unknown breakage {breakage}")
    z.zone.to_file(out, relativize=False, want_origin=False)


def types_of(nsec):
    types = set()
    for window, bitmap in nsec.windows:
        for i, octet in enumerate(bitmap):
            for bit in range(8):
                if octet & (0x80 >> bit):
                    types.add(window * 256 + i * 8 + bit)
    return types


if __name__ == "__main__":
    main()
