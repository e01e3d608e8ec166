# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The packet oracle for trace apps: scapy builds traceroute probes of every
kind and size, and judges each Time Exceeded and Port Unreachable field by
field against RFC 4443, its checksum recomputed by scapy and its quote
compared with the probe as it was sent. One batch, one program load."""

import ipaddress
import random

import pytest
from scapy.layers.inet import TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6DestUnreach,
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6TimeExceeded,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    in6_chksum,
)
from scapy.layers.l2 import Dot1Q, Ether
from scapy.packet import Raw

import xdp

IFACE_MAC = "02:00:00:00:00:aa"
PEER_MAC = "02:00:00:00:00:01"
PEER = "2001:db8:ffff::2"
APP = 7
PREFIX = "2001:db8:16::/64"
STORY = "2001:db8:16::5"
LINES = ["2001:db8:16:1::%x" % (h + 1) for h in range(5)]
# An address story under 2001:db8:16:0:a::/80: two 8-bit fields.
ADDR_STORY = "2001:db8:16:0:a::"


def addr_line(hop, field):
    return str(ipaddress.ip_address("2001:db8:16:2::") + (hop << 16 | field))


CONFIG = dict(
    prefixes=["%s,app=%d,kind=trace" % (PREFIX, APP)],
    stories=["%s/128,app=%d,story=0,hops=%d" % (STORY, APP, len(LINES)),
             "%s/80,app=%d,story=1,hops=2,bits=8" % (ADDR_STORY, APP)],
    lines=["%d,0,%d,%s" % (APP, h, a) for h, a in enumerate(LINES)] +
          ["%d,1,%d,%s" % (APP, (h - 1) << 8 | v, addr_line(h, v))
           for h in (1, 2) for v in range(256)],
)

rng = random.Random(12)


def probe(kind, dst, hlim, size, ext=(), vlan=False):
    ip = IPv6(src=PEER, dst=dst, hlim=hlim, tc=rng.randrange(256), fl=rng.randrange(1 << 20))
    for e in ext:
        ip = ip / e
    data = Raw(bytes(rng.randrange(256) for _ in range(size)))
    if kind == "icmp":
        l4 = ICMPv6EchoRequest(id=rng.randrange(1 << 16), seq=hlim) / data
    elif kind == "udp":
        l4 = UDP(sport=rng.randrange(1024, 65536), dport=33434 + hlim) / data
    else:
        l4 = TCP(sport=rng.randrange(1024, 65536), dport=80, flags="S") / data
    eth = Ether(dst=IFACE_MAC, src=PEER_MAC)
    if vlan:
        eth = eth / Dot1Q(vlan=100)
    return eth / ip / l4


def ipv6_bytes(frame):
    return bytes(frame[IPv6])


def check_error(res, sent, cls, src, hlim, code):
    """An RFC 4443 error from src for the probe sent: headers, the quote,
    and the checksum as scapy computes it."""
    assert res.verdict == "XDP_TX"
    out = res.frame
    assert out.dst == PEER_MAC and out.src == IFACE_MAC
    assert (Dot1Q in out) == (Dot1Q in sent)
    ip = out[IPv6]
    assert (ip.src, ip.dst, ip.hlim, ip.tc, ip.fl, ip.nh) == (src, PEER, hlim, 0, 0, 58)
    err = ip.payload
    assert isinstance(err, cls) and err.code == code
    body = bytes(err)
    assert body[4:8] == b"\0\0\0\0"  # unused
    quote = ipv6_bytes(sent)[:1232]
    assert body[8:] == quote
    assert ip.plen == 8 + len(quote) and 40 + ip.plen <= 1280
    assert len(res.raw) == (18 if Dot1Q in sent else 14) + 40 + ip.plen
    zeroed = body[:2] + b"\0\0" + body[4:]
    assert in6_chksum(58, ip, zeroed) == err.cksum


EXTS = [(), (IPv6ExtHdrHopByHop(),), (IPv6ExtHdrDestOpt(),),
        (IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(), IPv6ExtHdrRouting(segleft=0))]


def cases():
    out = []
    for kind in ("icmp", "udp", "tcp"):
        for hlim in range(0, len(LINES) + 3):
            for size in (0, 32, rng.randrange(1100, 1300), rng.randrange(1300, 3000)):
                ext = rng.choice(EXTS)
                out.append((kind, STORY, hlim, size, ext, rng.random() < 0.3))
        for f1, f2 in ((0, 0), (255, 1), (rng.randrange(256), rng.randrange(256))):
            dst = str(ipaddress.ip_address(ADDR_STORY) + (f1 << 8 | f2))
            for hlim in (1, 2, 3):
                out.append((kind, dst, hlim, 40, (), False))
    return out


CASES = cases()


@pytest.fixture(scope="module")
def batch():
    frames = [probe(*c) for c in CASES]
    return frames, xdp.run(frames, **CONFIG)


def test_every_probe(batch):
    frames, results = batch
    for case, sent, res in zip(CASES, frames, results.results):
        kind, dst, hlim, size, ext, vlan = case
        story_hops = len(LINES) if dst == STORY else 2
        if 1 <= hlim <= story_hops:
            if dst == STORY:
                line = LINES[hlim - 1]
            else:
                field = int(ipaddress.ip_address(dst)) & 0xffff
                line = addr_line(hlim, (field >> 8) if hlim == 1 else field & 0xff)
            check_error(res, sent, ICMPv6TimeExceeded, line, 256 - hlim, 0)
            assert res.reasons == {"tx-time-exceeded": 1}, case
        elif kind == "udp":
            check_error(res, sent, ICMPv6DestUnreach, dst, 255 - story_hops, 4)
            assert res.reasons == {"tx-port-unreachable": 1}, case
        elif kind == "icmp":
            assert res.verdict == "XDP_TX", case
            ip = res.frame[IPv6]
            assert (ip.src, ip.dst, ip.nh) == (dst, PEER, 58)
            reply = ip.payload
            assert isinstance(reply, ICMPv6EchoReply)
            assert reply.id == sent[ICMPv6EchoRequest].id
            body = bytes(reply)
            assert in6_chksum(58, ip, body[:2] + b"\0\0" + body[4:]) == reply.cksum
            assert res.reasons == {"tx-echo-reply": 1}, case
        else:
            assert res.verdict == "XDP_PASS" and res.raw == bytes(sent), case
            assert res.reasons == {"pass-not-icmp": 1}, case
