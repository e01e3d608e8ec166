#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Differential fuzzing of the data plane: random and mutated frames go
through things_xdp (BPF_PROG_TEST_RUN, xdp-testrun --json) and through
dataplane_model.Model; any difference in verdict, output bytes, counter or
app state fails, and the frame is saved as a fixture that the selftests
replay (selftests/test_fixtures.c).

    fuzz_dataplane.py --frames 100000      # what make test runs
    fuzz_dataplane.py --seconds 3600       # make fuzz-dataplane SECONDS=3600
"""

import argparse
import hashlib
import ipaddress
import json
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from scapy.layers.inet import TCP, UDP  # noqa: E402
from scapy.layers.inet6 import (  # noqa: E402
    ICMPv6EchoRequest, ICMPv6ND_NS, ICMPv6NDOptSrcLLAddr, ICMPv6ND_RS, IPv6,
    IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, IPv6ExtHdrRouting, in6_chksum)
from scapy.layers.l2 import Dot1AD, Dot1Q, Ether  # noqa: E402
from scapy.packet import Raw  # noqa: E402

import dataplane_model as M  # noqa: E402
import lab as L  # noqa: E402

FIXTURES = Path(L.REPO) / "selftests" / "fixtures" / "dataplane"
FRAME_MIN, FRAME_MAX = 14, 3520   # what BPF_PROG_TEST_RUN takes (selftests/frame.h)
PEER, NEIGHBOR = "2001:db8:ff::2", "2001:db8:2:3::100"
PEER_MAC, IFACE_MAC = M.MAC_PEER.hex(":"), M.MAC_IFACE.hex(":")


# ---- frames -----------------------------------------------------------------

class Gen:
    """Valid requests of every kind, then the same with one thing broken."""

    def __init__(self, rng):
        self.rng = rng
        # A few texts, so that boards see repeats.
        self.texts = [b"Awesome!", b"hi", b"  x", b"a b", b"\x7f\x01abc", b"", b"zzzzzzzz",
                      b"Hello\0ab"]

    def addr(self, net):
        n = ipaddress.IPv6Network(net)
        return str(n[self.rng.getrandbits(128 - n.prefixlen)])

    def some_dst(self):
        r = self.rng.random()
        if r < 0.7:
            return self.addr(self.rng.choice(M.PREFIXES).net)
        if r < 0.8:
            return self.rng.choice(["2001:db8:9::1", "ff02::1", "ff3e:30:2001:db8:1::9",
                                    "2001:db8:1::1", "2001:db8:2:3::1", "::1"])
        return self.addr("2001:db8::/32")

    def some_src(self):
        return self.rng.choices([PEER, NEIGHBOR, "::", "ff02::1", "fd00:0:0:1::9",
                                 self.addr("2001:db8::/32")],
                                [60, 15, 5, 5, 5, 10])[0]

    def ext_chain(self):
        rng, out = self.rng, []
        for i in range(rng.choices([0, 1, 2, 3, 4, 5], [75, 10, 5, 3, 5, 2])[0]):
            out.append(rng.choices([
                lambda: IPv6ExtHdrHopByHop() if i == 0 or rng.random() < 0.1 else
                IPv6ExtHdrDestOpt(), lambda: IPv6ExtHdrDestOpt(),
                lambda: IPv6ExtHdrDestOpt(options=[]) / Raw(b""),
                lambda: IPv6ExtHdrRouting(addresses=[PEER], segleft=rng.choice([0, 0, 1])),
                lambda: IPv6ExtHdrFragment(m=rng.getrandbits(1), id=rng.getrandbits(32)),
            ], [30, 30, 10, 20, 10])[0]())
        return out

    def l2(self, l3):
        rng = self.rng
        dst = rng.choices([IFACE_MAC, "ff:ff:ff:ff:ff:ff", "33:33:00:00:00:01",
                           "02:00:00:00:00:77"], [85, 5, 5, 5])[0]
        pkt = Ether(src=PEER_MAC, dst=dst)
        tag = rng.random()
        if tag < 0.1:
            pkt /= Dot1Q(vlan=rng.getrandbits(12), prio=rng.getrandbits(3))
        elif tag < 0.15:
            pkt /= Dot1AD(vlan=rng.getrandbits(12))
        elif tag < 0.17:
            pkt /= Dot1AD(vlan=1, type=0x8100) / Dot1Q(vlan=2)
        raw = bytes(pkt / l3)
        if rng.random() < 0.15:
            raw += bytes(rng.getrandbits(8) for _ in range(rng.randrange(1, 24)))
        return raw

    def ipv6(self, dst, hlim=None, src=None):
        rng = self.rng
        if hlim is None:
            hlim = rng.choice([64, 255, 255, 1, 0, rng.getrandbits(8)])
        ip = IPv6(src=src or self.some_src(), dst=dst, hlim=hlim,
                  tc=rng.choice([0, 0, 0xb8]), fl=rng.choice([0, 0, rng.getrandbits(20)]))
        for h in self.ext_chain():
            ip /= h
        return ip

    def iid(self, kind):
        rng = self.rng
        if kind == "board":
            t = rng.choice(self.texts)
            if rng.random() < 0.3:
                t = bytes(rng.choice(b"ab \0~!\x1f\x80") for _ in range(8))
            return (t + bytes(8))[:8]
        if kind == "tree":
            b = [0, rng.getrandbits(8), 0, rng.getrandbits(8), 0, rng.getrandbits(8)]
            if rng.random() < 0.2:
                b[rng.choice([0, 2, 4])] = rng.randrange(1, 256)
            return bytes([rng.getrandbits(8), rng.getrandbits(8)] + b)
        x, y = rng.randrange(0, 20), rng.randrange(0, 10)
        if rng.random() < 0.05:
            x = rng.getrandbits(16)
        a = rng.choice([0, 0xff, 0xff, rng.getrandbits(8)])
        return x.to_bytes(2, "big") + y.to_bytes(2, "big") + rng.randbytes(3) + bytes([a])

    def app_echo(self):
        p = self.rng.choice([p for p in M.PREFIXES if p.kind in ("board", "tree", "canvas")])
        base = ipaddress.IPv6Network(p.net).network_address.packed[:8]
        dst = str(ipaddress.IPv6Address(base + self.iid(p.kind)))
        return self.echo(dst, src=self.rng.choice([PEER, PEER, NEIGHBOR, None]))

    def echo(self, dst=None, src=None):
        rng = self.rng
        size = rng.choice([0, 4, 8, 56, rng.randrange(0, 200), 1400])
        req = ICMPv6EchoRequest(id=rng.getrandbits(16), seq=rng.getrandbits(16),
                                data=rng.randbytes(size))
        return self.l2(self.ipv6(dst or self.some_dst(), src=src) / req)

    def ns(self):
        rng = self.rng
        net = rng.choice([p.net for p in M.PREFIXES if p.kind != "host"] + ["2001:db8:9::/64"])
        target = self.addr(net)
        kind = rng.choice(["unicast", "snma", "dad"])
        src = "::" if kind == "dad" else rng.choice([PEER, NEIGHBOR, "fd00:0:0:1::9", "ff02::2"])
        t = ipaddress.IPv6Address(target).packed
        snma = str(ipaddress.IPv6Address(bytes.fromhex("ff0200000000000000000001ff") + t[13:]))
        dst = target if kind == "unicast" else snma
        msg = ICMPv6ND_NS(tgt=target, code=rng.choice([0] * 9 + [1]))
        if kind != "dad" and rng.random() < 0.8 or rng.random() < 0.1:
            msg /= ICMPv6NDOptSrcLLAddr(lladdr=PEER_MAC)
        if rng.random() < 0.15:
            msg /= Raw(bytes([14, 1]) + rng.randbytes(6))
        if rng.random() < 0.05:
            msg /= Raw((bytes([14, 1]) + rng.randbytes(6)) * rng.randrange(28, 36))
        if rng.random() < 0.05:
            msg /= Raw(bytes([rng.getrandbits(8), rng.choice([0, 1, 2, 3])]) + rng.randbytes(
                rng.choice([2, 6, 14])))
        hlim = rng.choice([255] * 9 + [254, 64])
        return self.l2(self.ipv6(dst, hlim=hlim, src=src) / msg)

    def trace(self):
        rng = self.rng
        dst = rng.choice(["2001:db8:16::5", "2001:db8:16::7", "2001:db8:16::8",
                          "2001:db8:16::1234", self.addr("2001:db8:16:0:a::/80")])
        hlim = rng.choice([0, 1, 2, 3, 4, 5, 6, 64, 255])
        l4 = rng.choice([
            lambda: ICMPv6EchoRequest(data=rng.randbytes(rng.randrange(0, 64))),
            lambda: UDP(sport=rng.getrandbits(16), dport=33434 + hlim) / rng.randbytes(
                rng.randrange(0, 1400)),
            lambda: TCP(sport=rng.getrandbits(16), dport=80, flags="S"),
            lambda: ICMPv6ND_RS(),
        ])()
        return self.l2(self.ipv6(dst, hlim=hlim) / l4)

    def other(self):
        rng = self.rng
        l4 = rng.choice([
            lambda: TCP(sport=rng.getrandbits(16), dport=rng.choice([22, 80, 443])),
            lambda: UDP(dport=53) / b"x",
            lambda: ICMPv6ND_RS(),
            lambda: Raw(rng.randbytes(rng.randrange(0, 40))),
        ])()
        ip = self.ipv6(self.some_dst()) / l4
        if isinstance(l4, Raw):
            ip[IPv6].nh = rng.choice([58, 17, 6, 50, 59, 99])
        return self.l2(ip)

    def garbage(self):
        rng = self.rng
        n = rng.randrange(FRAME_MIN, 160)
        b = bytearray(rng.randbytes(n))
        if rng.random() < 0.7:
            b[12:14] = b"\x86\xdd"
            if n > 14:
                b[14] = 0x60 | b[14] & 0x0f
        return bytes(b)

    def valid(self):
        return self.rng.choices([self.echo, self.app_echo, self.ns, self.trace, self.other,
                                 self.garbage], [25, 25, 20, 15, 10, 5])[0]()

    def mutate(self, f):
        """One field broken, then (often) the checksum made right again so
        that the break is what the program has to judge."""
        rng, b = self.rng, bytearray(f)
        how = rng.choice(["truncate", "byte", "bit", "plen", "nexthdr", "ethertype", "extend"])
        p = M.Parsed()
        parsed = M.Model.parse(f, p) is None
        ip = p.l2 if parsed else 14
        if how == "truncate":
            b = b[:rng.randrange(FRAME_MIN, len(b) + 1)]
        elif how == "byte":
            b[rng.randrange(len(b))] = rng.choice([0, 1, 0x7f, 0x80, 0xff, rng.getrandbits(8)])
        elif how == "bit":
            i = rng.randrange(min(len(b), 120))
            b[i] ^= 1 << rng.randrange(8)
        elif how == "plen" and len(b) >= ip + 6:
            plen = int.from_bytes(b[ip + 4:ip + 6], "big")
            plen = rng.choice([0, plen - 1, plen + 1, plen - 8, plen + 8, rng.getrandbits(16)])
            b[ip + 4:ip + 6] = (plen & 0xffff).to_bytes(2, "big")
        elif how == "nexthdr" and len(b) > ip + 6:
            b[ip + 6] = rng.choice([0, 43, 44, 50, 51, 58, 59, 60, 6, 17, 135, 253])
        elif how == "ethertype":
            b[12:14] = rng.choice([b"\x00\x00", b"\x08\x00", b"\x81\x00", b"\x88\xa8",
                                   b"\x86\xdd", rng.randbytes(2)])
        elif how == "extend":
            b += rng.randbytes(rng.randrange(1, 64))
        if rng.random() < 0.6:
            fix_checksum(b)
        return bytes(b)

    def frame(self):
        f = self.valid()
        if self.rng.random() < 0.45:
            f = self.mutate(f)
        return f[:FRAME_MAX] if len(f) >= FRAME_MIN else f + bytes(FRAME_MIN - len(f))


def fix_checksum(b):
    """Writes the right upper-layer checksum into b, if it holds a whole
    ICMPv6, UDP or TCP header."""
    p = M.Parsed()
    if M.Model.parse(bytes(b), p) is not None:
        return
    at = {M.ICMPV6: 2, M.UDP: 6, M.TCP: 16}.get(p.proto)
    if at is None or p.l4_len < at + 2:
        return
    ip, msg = p.l2, bytes(b[p.l4_off:p.l4_off + p.l4_len])
    c = M.l4_checksum(bytes(b[ip + 8:ip + 24]), bytes(b[ip + 24:ip + 40]), p.proto, msg, at)
    b[p.l4_off + at:p.l4_off + at + 2] = c.to_bytes(2, "big")


# ---- running and judging ----------------------------------------------------

def run_testrun(frames, build):
    args = [os.path.join(build, "xdp-testrun"), "--obj", os.path.join(build, "things.bpf.o"),
            "--json", *M.testrun_args()]
    stdin = "".join(f.hex() + "\n" for f in frames)
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True, check=False,
                          timeout=600)
    if proc.returncode:
        raise RuntimeError(f"xdp-testrun exited with {proc.returncode}: {proc.stderr.strip()}")
    lines = [json.loads(line) for line in proc.stdout.splitlines()]
    if len(lines) != len(frames) + 1:
        raise RuntimeError(f"xdp-testrun answered {len(lines) - 1} of {len(frames)} frames")
    return lines[:-1], lines[-1]["final"]


def expected_line(want, frame):
    out = want.out if want.out is not None else frame
    return {"verdict": want.verdict, "out": out.hex(), "counted": [[want.app, want.reason, 1]],
            "state": dict(want.state)}


def compare(frame, got, want):
    """The differences between a result line and the model's outcome."""
    exp = expected_line(want, frame)
    got = dict(got)
    got["state"] = {k: v for k, v in got.get("state", {}).items() if k != "_"}
    return [f"{k}: program {got.get(k)!r}, model {exp[k]!r}"
            for k in ("verdict", "out", "counted", "state") if got.get(k) != exp[k]]


def scapy_checksum(frame):
    """(sent, right) for the checksum of the message right after the IPv6
    header, right as scapy's in6_chksum() sums the bytes as they are (not
    as scapy would build them again); None if there is no such message."""
    ip = Ether(frame).getlayer(IPv6)
    at = {58: 2, 17: 6, 6: 16}.get(ip.nh) if ip is not None else None
    msg = bytes(ip.payload)[:ip.plen] if at is not None else b""
    if len(msg) < at + 2 if at is not None else True:
        return None
    sent = int.from_bytes(msg[at:at + 2], "big")
    right = in6_chksum(ip.nh, ip, msg[:at] + b"\0\0" + msg[at + 2:])
    return sent, right


def scapy_judges(request, reason, out):
    """An answer's checksum, recomputed by scapy: right, or for an echo
    reply exactly as right as the request's was (RFC 1624)."""
    if reason == "tx-echo-reply":
        req = scapy_checksum(request)
        if req is None or req[0] != req[1]:
            return None
    got = scapy_checksum(out)
    if got is None:
        return "scapy finds no message after the answer's IPv6 header"
    return None if got[0] == got[1] else f"checksum {got[0]:#06x}, scapy says {got[1]:#06x}"


def save_fixture(frame, why, directory):
    """The frame and what the model expects of it from a fresh world."""
    want = M.Model().run(frame)
    name = hashlib.sha1(frame).hexdigest()[:16]
    path = Path(directory) / f"{name}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    out = want.out.hex() if want.out is not None else "same"
    lines = ["# Found by tests/fuzz_dataplane.py: " + why.splitlines()[0][:200],
             f"in {frame.hex()}", f"verdict {want.verdict}", f"out {out}",
             f"reason {want.reason}", f"app {want.app}"]
    path.write_text("\n".join(lines) + "\n")
    return path


def fuzz(frames=None, seconds=None, seed=None, build=L.BUILD, fixtures=FIXTURES,
         batch=20000, save=True, log=print):
    """Runs batches until frames were tried or seconds passed. Returns a
    dict of figures; 'mismatches' lists (frame, differences)."""
    seed = random.SystemRandom().getrandbits(32) if seed is None else seed
    gen = Gen(random.Random(seed))
    start, tried, mismatches, reasons = time.monotonic(), 0, [], Counter()
    judged = answers = 0
    while True:
        if frames is not None and tried >= frames:
            break
        if seconds is not None and time.monotonic() - start >= seconds:
            break
        n = batch if frames is None else min(batch, frames - tried)
        batch_frames = [gen.frame() for _ in range(n)]
        results, final = run_testrun(batch_frames, build)
        model = M.Model()
        for f, got in zip(batch_frames, results):
            want = model.run(f)
            reasons[want.reason] += 1
            diff = compare(f, got, want)
            if not diff and want.out is not None:
                answers += 1
            # One answer in 20 is dissected by scapy too (it costs more
            # than the rest of the frame's judging).
            if not diff and want.out is not None and answers % 20 == 1:
                judged += 1
                why = scapy_judges(f, want.reason, want.out)
                if why:
                    diff = [why]
            if diff:
                mismatches.append((f, diff))
        final_want = {k: v for k, v in model.final().items()}
        final_got = {k: v for k, v in final.items() if k != "_"}
        if final_got != final_want:
            mismatches.append((b"", [f"final state: program {final_got}, model {final_want}"]))
        tried += n
        log(f"fuzz-dataplane: {tried} frames, {len(mismatches)} disagreements, "
            f"{time.monotonic() - start:.0f} s")
    saved = []
    if save:
        for f, diff in mismatches[:20]:
            if f:
                saved.append(str(save_fixture(f, "; ".join(diff), fixtures)))
    return {"seed": seed, "frames": tried, "seconds": time.monotonic() - start,
            "reasons": dict(reasons), "mismatches": mismatches, "saved": saved,
            "judged": judged}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--frames", type=int)
    ap.add_argument("--seconds", type=float)
    ap.add_argument("--seed", type=int)
    ap.add_argument("--build", default=L.BUILD)
    ap.add_argument("--fixtures", default=str(FIXTURES))
    ap.add_argument("--no-save", action="store_true")
    a = ap.parse_args()
    if a.frames is None and a.seconds is None:
        a.frames = 100000
    res = fuzz(a.frames, a.seconds, a.seed, a.build, a.fixtures, save=not a.no_save)
    print(f"seed {res['seed']}: {res['frames']} frames in {res['seconds']:.0f} s, "
          f"{len(res['reasons'])} reasons reached, {res['judged']} answers judged by scapy, "
          f"{len(res['mismatches'])} disagreements")
    for f, diff in res["mismatches"][:10]:
        print(f"  {f.hex()}\n    " + "\n    ".join(d[:300] for d in diff))
    for path in res["saved"]:
        print(f"  saved {path}")
    return 1 if res["mismatches"] else 0


if __name__ == "__main__":
    sys.exit(main())
