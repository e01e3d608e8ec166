# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The packet oracle: scapy builds every request and judges every reply.

Our own C code must not be the only judge of our packets, so every frame the
program sends is dissected by scapy and checked field by field against what
RFC 4443 (echo) and RFC 4861 (neighbor discovery) require, with checksums
recomputed by scapy. Frames the program must leave to the kernel are checked
to be byte-for-byte what went in. Every packet must move exactly one reason
counter, and the app counter of the app whose prefix it matched.

All cases share one configuration and run in one batch (one program load);
each result still carries the counters its own packet moved.
"""

import ipaddress
import random
import socket
from collections import Counter
from typing import NamedTuple, Optional

import pytest
from scapy.layers.inet import ICMP, IP, TCP, UDP
from scapy.layers.inet6 import (
    ICMPv6EchoReply,
    ICMPv6EchoRequest,
    ICMPv6ND_NA,
    ICMPv6ND_NS,
    ICMPv6ND_RS,
    ICMPv6NDOptDstLLAddr,
    ICMPv6NDOptSrcLLAddr,
    IPv6,
    IPv6ExtHdrDestOpt,
    IPv6ExtHdrFragment,
    IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting,
    RouterAlert,
    in6_chksum,
)
from scapy.layers.l2 import ARP, Dot1AD, Dot1Q, Ether
from scapy.packet import NoPayload, Padding, Raw
from scapy.utils6 import in6_getnsma, in6_getnsmac

import xdp

IFINDEX = 1  # lo: it exists in every network namespace
IFACE_MAC = "02:00:00:00:00:aa"
PEER_MAC = "02:00:00:00:00:01"
PEER = "2001:db8:ffff::2"
PEER_ULA = "fd00:ffff::2"
ALL_NODES = "ff02::1"
ALL_NODES_MAC = "33:33:00:00:00:01"
REPLY_HOP_LIMIT = 64  # THINGS_REPLY_HOP_LIMIT


class Prefix(NamedTuple):
    net: str
    app: int
    flags: tuple = ()
    kind: str = "echo"
    cfg: str = ""  # the app's app_cfg, as xdp-testrun --app takes it

    def spec(self):
        return ",".join([self.net, f"app={self.app}", f"kind={self.kind}", *self.flags])


ROUTED = Prefix("2001:db8:1::/48", 1)
ROUTED_SUB = Prefix("2001:db8:1:ff00::/56", 6)  # a logical subnet with its own app
ONLINK = Prefix("2001:db8:2:1::/64", 2, ("onlink",))
HOST = Prefix("2001:db8:2:1::1/128", 0, kind="host")  # the host's own address
ROUTER = Prefix("2001:db8:2:2::/64", 3, ("onlink", "router"))
SILENT = Prefix("2001:db8:3::/48", 4, ("silent",))
ULA = Prefix("fd00:7::/64", 5, ("onlink",))
# No operator enters a multicast prefix; this one lets packets get past the
# lookup to the multicast checks behind it.
MCAST = Prefix("ff05::/16", 7, ("onlink",))
# Apps that read the address.
BOARD = Prefix("2001:db8:10::/64", 8, kind="board", cfg="lines=4")
TREE = Prefix("2001:db8:11::/64", 9, kind="tree", cfg="lights=5")
CANVAS = Prefix("2001:db8:12::/64", 10, ("onlink",), "canvas", "width=64,height=32")
QUIET_TREE = Prefix("2001:db8:13::/64", 11, ("silent",), "tree", "lights=2")
PREFIXES = [ROUTED, ROUTED_SUB, ONLINK, HOST, ROUTER, SILENT, ULA, MCAST,
            BOARD, TREE, CANVAS, QUIET_TREE]
HOST_ADDR = "2001:db8:2:1::1"
OUTSIDE = "2001:db8:99::1"

rng = random.Random(20240601)


def addr_in(prefix):
    """A random address of prefix that no more specific prefix claims."""
    net = ipaddress.IPv6Network(prefix.net)
    inner = [ipaddress.IPv6Network(p.net) for p in PREFIXES
             if ipaddress.IPv6Network(p.net).prefixlen > net.prefixlen]
    while True:
        addr = net[rng.getrandbits(128 - net.prefixlen)]
        if not any(addr in n for n in inner):
            return str(addr)


def payload(size):
    return bytes(rng.getrandbits(8) for _ in range(size))


def solicited_node(addr):
    return socket.inet_ntop(socket.AF_INET6, in6_getnsma(socket.inet_pton(socket.AF_INET6, addr)))


def multicast_mac(addr):
    return in6_getnsmac(socket.inet_pton(socket.AF_INET6, addr))


def frame(l3, eth_dst=IFACE_MAC, tags=()):
    """Ether [/ VLAN tags] / l3, dissected back so every field is concrete."""
    pkt = Ether(src=PEER_MAC, dst=eth_dst)
    for tag in tags:
        pkt /= tag
    return Ether(bytes(pkt / l3))


def ipv6(src, dst, hlim=64, ext=(), **kw):
    pkt = IPv6(src=src, dst=dst, hlim=hlim, **kw)
    for hdr in ext:
        pkt /= hdr
    return pkt


def echo(dst, size=56, src=PEER, ext=(), tags=(), eth_dst=IFACE_MAC, pad=b"", **ip_fields):
    req = ICMPv6EchoRequest(id=rng.getrandbits(16), seq=rng.getrandbits(16), data=payload(size))
    pkt = ipv6(src, dst, ext=ext, **ip_fields) / req
    if pad:
        pkt /= Padding(pad)
    return frame(pkt, eth_dst=eth_dst, tags=tags)


def echo_with_checksum(dst, want, wire=None):
    """An echo request whose checksum is want: the last two payload bytes
    are chosen for it. The wire value may be given apart, as 0xffff for a
    zero checksum: the one's complement sum does not tell them apart, so
    either is correct in a request."""
    pkt = echo(dst, size=56)
    data = pkt[ICMPv6EchoRequest].data[:-2] + b"\0\0"
    pkt[ICMPv6EchoRequest].data = data
    del pkt[ICMPv6EchoRequest].cksum
    base = ~Ether(bytes(pkt))[ICMPv6EchoRequest].cksum & 0xffff  # folded sum
    target = ~want & 0xffff
    word = next(w for w in range(0x10000)
                if ((base + w) & 0xffff) + ((base + w) >> 16) == target)
    pkt[ICMPv6EchoRequest].data = data[:-2] + word.to_bytes(2, "big")
    pkt = Ether(bytes(pkt))
    assert pkt[ICMPv6EchoRequest].cksum == want
    if wire is not None:
        pkt[ICMPv6EchoRequest].cksum = wire
        pkt = Ether(bytes(pkt))
    return pkt


SNMA = object()  # as ns(dst=...): the target's solicited-node group


def ns(target, src=PEER, dst=None, slla=PEER_MAC, hlim=255, code=0, options=b"",
       ext=(), tags=(), eth_dst=None, pad=b""):
    """A Neighbor Solicitation; dst defaults to the target itself."""
    dst = solicited_node(target) if dst is SNMA else dst or target
    if eth_dst is None:
        eth_dst = multicast_mac(dst) if dst.startswith("ff") else IFACE_MAC
    msg = ICMPv6ND_NS(tgt=target, code=code)
    if slla:
        msg /= ICMPv6NDOptSrcLLAddr(lladdr=slla)
    if options:
        msg /= Raw(options)
    pkt = ipv6(src, dst, hlim=hlim, ext=ext) / msg
    if pad:
        pkt /= Padding(pad)
    return frame(pkt, eth_dst=eth_dst, tags=tags)


def with_bad_checksum(pkt, layer):
    pkt = pkt.copy()
    pkt[layer].cksum ^= 0x5555
    return Ether(bytes(pkt))


def icmpv6_raw(src, dst, body, hlim=255, pad=b""):
    """IPv6 with an ICMPv6 message scapy would not build: body as given,
    with a correct checksum written over bytes 2-3."""
    pkt = frame(IPv6(src=src, dst=dst, hlim=hlim, nh=58) / Raw(body))
    csum = in6_chksum(socket.IPPROTO_ICMPV6, pkt[Raw], body[:2] + b"\0\0" + body[4:])
    body = body[:2] + csum.to_bytes(2, "big") + body[4:]
    return frame(IPv6(src=src, dst=dst, hlim=hlim, nh=58) / Raw(body) / Padding(pad))


# Nonce option (RFC 3971), as DAD probes of RFC 7527 carry it.
NONCE = bytes([14, 1]) + bytes(range(1, 7))


class Case(NamedTuple):
    name: str
    packet: Ether
    reason: str                   # the one reason counter it moves
    app: Optional[tuple] = None   # the (app id, action) counter it moves, if any
    target: str = ""              # NS: the target the NA must name
    router: bool = False          # NS: R flag expected
    dad: bool = False             # NS: answered as a DAD probe


# Echo requests the program must answer.
ECHO = []
for _prefix, _name in ((ROUTED, "routed48"), (ROUTED_SUB, "sub56"),
                       (ONLINK, "onlink64"), (ULA, "ula64")):
    for _size in (0, 1, 56, 1400):
        for _n in range(2):
            ECHO.append(Case(f"{_name}-{_size}B-{_n}", echo(addr_in(_prefix), _size),
                             "tx-echo-reply", (_prefix.app, "echo-reply")))


def _echo_case(name, prefix=ROUTED, **kw):
    return Case(name, echo(addr_in(prefix), **kw), "tx-echo-reply", (prefix.app, "echo-reply"))


ECHO += [
    _echo_case("hop-by-hop", ext=[IPv6ExtHdrHopByHop(options=[RouterAlert()])]),
    _echo_case("dest-options", ext=[IPv6ExtHdrDestOpt()]),
    _echo_case("hop-by-hop+dest-options-1400B", size=1400,
               ext=[IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt()]),
    _echo_case("routing-segments-left-0",
               ext=[IPv6ExtHdrRouting(addresses=[PEER], segleft=0)]),
    _echo_case("four-ext-headers", ext=[IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt(),
                                        IPv6ExtHdrRouting(segleft=0), IPv6ExtHdrDestOpt()]),
    _echo_case("dot1q", tags=[Dot1Q(vlan=42, prio=5)]),
    _echo_case("dot1ad", tags=[Dot1AD(vlan=7)]),
    _echo_case("dot1q+hop-by-hop", ONLINK, tags=[Dot1Q(vlan=4094)],
               ext=[IPv6ExtHdrHopByHop()]),
    _echo_case("dot1q-0B", ONLINK, size=0, tags=[Dot1Q(vlan=1)]),
    _echo_case("1500-byte-packet", size=1452),
    _echo_case("traffic-class+flow-label", tc=0xb8, fl=0xabcde),
    _echo_case("ethernet-padding", size=0, pad=b"\0" * 10),
    _echo_case("trailing-bytes+hop-by-hop", pad=bytes(range(20)), ext=[IPv6ExtHdrHopByHop()]),
    _echo_case("hop-limit-1", hlim=1),
    _echo_case("from-ula", ULA, src=PEER_ULA),
    # Where incremental checksum updates go wrong (RFC 1624): a reply
    # checksum of zero, and a request checksum of zero in either form.
    Case("reply-checksum-0000", echo_with_checksum(addr_in(ROUTED), 0x0100),
         "tx-echo-reply", (ROUTED.app, "echo-reply")),
    Case("request-checksum-0000", echo_with_checksum(addr_in(ROUTED), 0x0000),
         "tx-echo-reply", (ROUTED.app, "echo-reply")),
    Case("request-checksum-ffff", echo_with_checksum(addr_in(ROUTED), 0x0000, wire=0xffff),
         "tx-echo-reply", (ROUTED.app, "echo-reply")),
]

# Packets the program must hand to the kernel untouched.
PASS = [
    Case("echo-to-all-nodes", echo(ALL_NODES, eth_dst=ALL_NODES_MAC), "pass-no-prefix"),
    Case("echo-to-multicast-in-prefix", echo("ff05::1", eth_dst=multicast_mac("ff05::1")),
         "pass-dst-multicast", (MCAST.app, "pass")),
    Case("echo-from-unspecified", echo(addr_in(ROUTED), src="::"),
         "pass-src-invalid", (ROUTED.app, "invalid")),
    Case("echo-from-multicast", echo(addr_in(ROUTED), src=ALL_NODES),
         "pass-src-invalid", (ROUTED.app, "invalid")),
    Case("echo-to-host-address", echo(HOST_ADDR), "pass-host"),
    Case("echo-outside-prefixes", echo(OUTSIDE), "pass-no-prefix"),
    Case("echo-reply-type-129",
         frame(ipv6(PEER, addr_in(ROUTED)) / ICMPv6EchoReply(id=1, seq=1)),
         "pass-icmp-other", (ROUTED.app, "pass")),
    Case("router-solicitation", frame(ipv6(PEER, addr_in(ONLINK), hlim=255) / ICMPv6ND_RS()),
         "pass-icmp-other", (ONLINK.app, "pass")),
    Case("echo-cut-to-4-bytes", icmpv6_raw(PEER, addr_in(ROUTED), bytes([128, 0, 0, 0]), 64),
         "pass-truncated", (ROUTED.app, "invalid")),
    Case("payload-length-past-frame",
         frame(IPv6(src=PEER, dst=addr_in(ROUTED), plen=200) / ICMPv6EchoRequest()),
         "pass-truncated"),
    Case("tcp-syn", frame(ipv6(PEER, addr_in(ROUTED)) / TCP(sport=40000, dport=80, flags="S")),
         "pass-not-icmp", (ROUTED.app, "pass")),
    Case("udp", frame(ipv6(PEER, addr_in(ONLINK)) / UDP(sport=40000, dport=53) / b"x"),
         "pass-not-icmp", (ONLINK.app, "pass")),
    Case("first-fragment",
         frame(ipv6(PEER, addr_in(ROUTED), ext=[IPv6ExtHdrFragment(m=1, id=7)]) /
               ICMPv6EchoRequest(data=payload(64))), "pass-fragment"),
    Case("atomic-fragment",
         frame(ipv6(PEER, addr_in(ROUTED), ext=[IPv6ExtHdrFragment(m=0, id=8)]) /
               ICMPv6EchoRequest()), "pass-fragment"),
    Case("fragment-after-hop-by-hop",
         frame(ipv6(PEER, addr_in(ROUTED),
                    ext=[IPv6ExtHdrHopByHop(), IPv6ExtHdrFragment(m=1, id=9)]) /
               ICMPv6EchoRequest()), "pass-fragment"),
    Case("esp", frame(IPv6(src=PEER, dst=addr_in(ROUTED), nh=50) / Raw(payload(32))),
         "pass-exthdr-unknown"),
    Case("hop-by-hop-not-first",
         frame(ipv6(PEER, addr_in(ROUTED), ext=[IPv6ExtHdrDestOpt(), IPv6ExtHdrHopByHop()]) /
               ICMPv6EchoRequest()), "pass-exthdr-unknown"),
    Case("routing-segments-left-1",
         frame(ipv6(PEER, addr_in(ROUTED),
                    ext=[IPv6ExtHdrRouting(addresses=[PEER], segleft=1)]) /
               ICMPv6EchoRequest()), "pass-routing-segments"),
    Case("five-ext-headers",
         frame(ipv6(PEER, addr_in(ROUTED), ext=[IPv6ExtHdrDestOpt() for _ in range(5)]) /
               ICMPv6EchoRequest()), "pass-exthdr-limit"),
    Case("ipv4-icmp", frame(IP(src="192.0.2.1", dst="192.0.2.2") / ICMP()), "pass-not-ipv6"),
    Case("arp", Ether(bytes(Ether(src=PEER_MAC, dst="ff:ff:ff:ff:ff:ff") /
                            ARP(hwsrc=PEER_MAC, psrc="192.0.2.1", pdst="192.0.2.2"))),
         "pass-not-ipv6"),
    Case("ethertype-ipv6-version-4",
         frame(IPv6(src=PEER, dst=addr_in(ROUTED), version=4) / ICMPv6EchoRequest()),
         "pass-not-ipv6"),
    Case("qinq", echo(addr_in(ROUTED), tags=[Dot1AD(vlan=1, type=0x8100), Dot1Q(vlan=2)]),
         "pass-not-ipv6"),
    Case("ethernet-header-only",
         Ether(bytes(Ether(src=PEER_MAC, dst=IFACE_MAC, type=0x86dd))), "pass-truncated"),
    Case("vlan-tag-cut-short",
         Ether(bytes(Ether(src=PEER_MAC, dst=IFACE_MAC, type=0x8100)) + b"\0\x01"),
         "pass-truncated"),
    Case("ipv6-header-cut-short",
         Ether(bytes(frame(ipv6(PEER, addr_in(ROUTED)) / ICMPv6EchoRequest()))[:40]),
         "pass-truncated"),
]

# Echo to a silent app: dropped, not passed.
SILENT_CASES = [
    Case(f"silent-{size}B", echo(addr_in(SILENT), size), "drop-silent",
         (SILENT.app, "silent-drop"))
    for size in (0, 56)
]


def _na_case(name, prefix, dad=False, **kw):
    target = addr_in(prefix)
    if dad:
        kw = {"src": "::", "dst": solicited_node(target), "slla": None, **kw}
    reason = "tx-na-dad" if dad else "tx-na"
    action = "na-dad" if dad else "na"
    return Case(name, ns(target, **kw), reason, (prefix.app, action),
                target=target, router="router" in prefix.flags, dad=dad)


# Neighbor Solicitations the program must answer with an NA.
NA = []
for _prefix, _name in ((ONLINK, "onlink"), (ROUTER, "router"), (ULA, "ula")):
    NA += [
        _na_case(f"{_name}-unicast-slla", _prefix),
        _na_case(f"{_name}-unicast-no-slla", _prefix, slla=None),
        _na_case(f"{_name}-solicited-node-slla", _prefix, dst=SNMA),
        _na_case(f"{_name}-solicited-node-no-slla", _prefix, dst=SNMA, slla=None),
        _na_case(f"{_name}-dad", _prefix, dad=True),
    ]
NA += [
    _na_case("nonce+slla", ONLINK, options=NONCE),
    _na_case("dad-with-nonce", ONLINK, dad=True, options=NONCE),
    _na_case("from-ula-peer", ULA, src=PEER_ULA),
    _na_case("hop-by-hop", ONLINK, ext=[IPv6ExtHdrHopByHop(options=[RouterAlert()])]),
    _na_case("dest-options", ROUTER, ext=[IPv6ExtHdrDestOpt()]),
    _na_case("dot1q", ONLINK, tags=[Dot1Q(vlan=100, prio=6)]),
    _na_case("dot1ad", ROUTER, tags=[Dot1AD(vlan=200)]),
    _na_case("dot1q+hop-by-hop", ONLINK, tags=[Dot1Q(vlan=300)], ext=[IPv6ExtHdrHopByHop()]),
    _na_case("dot1ad+dest-options", ROUTER, tags=[Dot1AD(vlan=301)], ext=[IPv6ExtHdrDestOpt()]),
    _na_case("dot1q-dad", ULA, dad=True, tags=[Dot1Q(vlan=400)]),
    _na_case("trailing-bytes", ONLINK, pad=bytes(range(16))),
    _na_case("broadcast-ether-dst", ONLINK, eth_dst="ff:ff:ff:ff:ff:ff"),
]


def _invalid(name, reason, prefix=ONLINK, target=None, app_action="invalid", **kw):
    target = target or addr_in(prefix)
    app = (prefix.app, app_action) if prefix else None
    return Case(name, ns(target, **kw), reason, app, target=target)


# Neighbor Solicitations the program must leave to the kernel (RFC 4861 7.1.1
# and the lookup before it).
NS_PASS = [
    _invalid("hop-limit-254", "ns-hop-limit", hlim=254),
    _invalid("hop-limit-64-solicited-node", "ns-hop-limit", hlim=64, dst=SNMA),
    _invalid("code-1", "ns-code", code=1),
    _invalid("zero-length-option", "ns-option-length", options=bytes([1, 0]) + bytes(6)),
    _invalid("option-past-end", "ns-option-length", slla=None,
             options=bytes([1, 2]) + bytes.fromhex(PEER_MAC.replace(":", ""))),
    _invalid("ragged-4-byte-tail", "ns-option-length", options=bytes([1, 1, 0, 0])),
    _invalid("too-long", "ns-too-long", options=NONCE * 33),
    _invalid("dad-with-slla", "ns-dad-slla", src="::", dst=SNMA),
    _invalid("dad-to-target", "ns-dad-dst", src="::", slla=None),
    _invalid("dad-to-all-nodes", "ns-dad-dst", src="::", dst=ALL_NODES, slla=None),
    _invalid("source-multicast", "ns-src-multicast", src=ALL_NODES, dst=SNMA, slla=None),
    _invalid("target-multicast-in-prefix", "ns-target-multicast", MCAST, target="ff05::1:3",
             dst=SNMA),
    _invalid("target-multicast", "pass-no-prefix", None, target="ff02::1", dst=SNMA),
    _invalid("target-outside-prefixes", "pass-no-prefix", None, target=OUTSIDE),
    _invalid("target-host-address", "pass-host", None, target=HOST_ADDR),
    _invalid("target-not-onlink", "pass-not-onlink", ROUTED, app_action="pass"),
]
_target = addr_in(ONLINK)
# 20 bytes: the target is cut short, so there is nothing to look up.
_short_ns = bytes([135, 0, 0, 0, 0, 0, 0, 0]) + socket.inet_pton(socket.AF_INET6, _target)[:12]
NS_PASS += [
    Case("bad-checksum", with_bad_checksum(ns(_target), ICMPv6ND_NS), "ns-checksum",
         (ONLINK.app, "invalid"), target=_target),
    Case("length-20", icmpv6_raw(PEER, _target, _short_ns), "ns-length", target=_target),
    # The frame holds a whole target, but the IPv6 length says it is not there.
    Case("length-20-padded", icmpv6_raw(PEER, _target, _short_ns, pad=bytes(8)),
         "ns-length", target=_target),
]

# Unicast IPv6 in a frame sent to a group MAC: the program may answer or
# pass, but any reply must come from a unicast MAC (no reason is asserted).
GROUP_ETHER_DST = [
    Case("echo-to-broadcast-mac", echo(addr_in(ROUTED), eth_dst="ff:ff:ff:ff:ff:ff"), ""),
    Case("echo-to-multicast-mac", echo(addr_in(ONLINK), eth_dst=ALL_NODES_MAC), ""),
]



def app_addr(prefix, iid):
    """The address in prefix's /64 whose interface ID is the 8 bytes iid."""
    net = ipaddress.IPv6Network(prefix.net).network_address.packed
    return str(ipaddress.IPv6Address(net[:8] + iid))


def _app_case(name, prefix, iid, reason, action, **kw):
    return Case(name, echo(app_addr(prefix, iid), **kw), reason, (prefix.app, action))


RED = bytes.fromhex("0000 00ff 0000 0000")

# Requests to apps that read the address: each is answered as echo is,
# whatever it did to the app (the batch runs them in this order, so the
# repeat follows the post it repeats).
APP_ANSWERED = [
    _app_case("board-awesome", BOARD, b"Awesome!", "board-posted", "app-update"),
    _app_case("board-repeat", BOARD, b"Awesome!", "board-repeat", "app-ignored"),
    _app_case("board-ping-s-1452", BOARD, b"Hi there", "board-posted", "app-update", size=1452),
    _app_case("board-trailing-spaces", BOARD, b"Hi      ", "board-posted", "app-update"),
    _app_case("board-empty", BOARD, bytes(8), "board-empty", "app-ignored"),
    _app_case("board-nul-inside", BOARD, b"Hi\0there", "board-unprintable", "app-ignored"),
    _app_case("board-dot1q-options", BOARD, b"tagged!!", "board-posted", "app-update",
              tags=[Dot1Q(vlan=5)], ext=[IPv6ExtHdrHopByHop(), IPv6ExtHdrDestOpt()],
              pad=bytes(range(8))),
    _app_case("tree-red", TREE, RED, "tree-lit", "app-update"),
    _app_case("tree-0B", TREE, RED, "tree-lit", "app-update", size=0),
    _app_case("tree-1B", TREE, RED, "tree-lit", "app-update", size=1),
    _app_case("tree-bad-colour", TREE, bytes.fromhex("0000 0100 0000 0000"),
              "tree-bad-colour", "app-ignored"),
    _app_case("canvas-opaque", CANVAS, bytes.fromhex("0001 0002 ff80 00ff"),
              "canvas-painted", "app-update"),
    _app_case("canvas-blend", CANVAS, bytes.fromhex("0001 0002 0000 ff80"),
              "canvas-painted", "app-update"),
    _app_case("canvas-out-of-range", CANVAS, bytes.fromhex("0040 0000 ffff ffff"),
              "canvas-out-of-range", "app-ignored"),
    Case("tree-request-checksum-ffff",
         echo_with_checksum(app_addr(TREE, RED), 0x0000, wire=0xffff),
         "tree-lit", (TREE.app, "app-update")),
]

# A wrong checksum is the kernel's to judge: passed untouched.
APP_PASSED = [
    Case(f"{p.kind}-bad-checksum",
         with_bad_checksum(echo(app_addr(p, iid)), ICMPv6EchoRequest),
         "app-checksum", (p.app, "invalid"))
    for p, iid in ((BOARD, b"Checksum"), (TREE, RED), (CANVAS, bytes(8)), (QUIET_TREE, RED))
]

# A silent app changes its state all the same, and answers nothing.
APP_SILENT = [
    _app_case("quiet-tree-red", QUIET_TREE, RED, "tree-lit", "app-update"),
    _app_case("quiet-tree-bad-colour", QUIET_TREE, bytes.fromhex("0000 0000 0000 0100"),
              "tree-bad-colour", "app-ignored"),
]

ALL_CASES = (ECHO + PASS + SILENT_CASES + NA + NS_PASS + GROUP_ETHER_DST +
             APP_ANSWERED + APP_PASSED + APP_SILENT)


def config(ifaces=(f"{IFINDEX},{IFACE_MAC}",)):
    return {"prefixes": [p.spec() for p in PREFIXES], "ifaces": ifaces, "ifindex": IFINDEX,
            "apps": [f"{p.app},{p.cfg}" for p in PREFIXES if p.cfg]}


@pytest.fixture(scope="module", params=["trie", "fast"])
def batch(request):
    """Every case at once, through either way the program finds a prefix."""
    return xdp.run([c.packet for c in ALL_CASES], fast=request.param == "fast", **config())


@pytest.fixture(scope="module")
def result(batch):
    """result(case): what the program did with that case's packet."""
    by_case = {id(case): res for case, res in zip(ALL_CASES, batch.results)}
    return lambda case: by_case[id(case)]


# --- judges -----------------------------------------------------------------

def l2_len(pkt):
    return 14 + 4 * sum(issubclass(layer, Dot1Q) for layer in pkt.layers())


def is_group_mac(mac):
    return int(mac.split(":")[0], 16) & 1 == 1


def assert_icmpv6_checksum(pkt, raw):
    """Recomputes the checksum with scapy over the bytes as sent."""
    ip = pkt[IPv6]
    start = l2_len(pkt) + 40
    msg = raw[start:start + ip.plen]
    want = in6_chksum(socket.IPPROTO_ICMPV6, ip.payload, msg[:2] + b"\0\0" + msg[4:])
    got = int.from_bytes(msg[2:4], "big")
    assert got == want, f"ICMPv6 checksum {got:#06x}, scapy computes {want:#06x}"


def assert_counted(case, res):
    assert res.reasons == {case.reason: 1}
    assert res.apps == ({case.app: 1} if case.app else {})


def mac_bytes(mac):
    return bytes.fromhex(mac.replace(":", ""))


def assert_l2_reply(req, raw, eth_dst, eth_src):
    """Checks the L2 header byte for byte: MACs, then the request's own
    EtherType and VLAN tags, which a reply keeps."""
    assert not is_group_mac(eth_src), "reply from a group MAC"
    want = mac_bytes(eth_dst) + mac_bytes(eth_src) + bytes(req)[12:l2_len(req)]
    got = raw[:len(want)]
    assert got.hex() == want.hex(), "Ethernet header / VLAN tag of the reply"


def check_echo_reply(req, res):
    assert res.verdict == "XDP_TX"
    rep, raw = res.frame, res.raw
    assert_l2_reply(req, raw, eth_dst=req[Ether].src, eth_src=req[Ether].dst)

    ip, ip_req = rep[IPv6], req[IPv6]
    assert ip.version == 6
    assert (ip.tc, ip.fl) == (ip_req.tc, ip_req.fl)
    assert ip.nh == socket.IPPROTO_ICMPV6, "extension headers left in the reply"
    assert ip.hlim == REPLY_HOP_LIMIT
    assert (ip.src, ip.dst) == (ip_req.dst, ip_req.src)

    echo_req = req[ICMPv6EchoRequest]
    reply = ip.payload
    assert isinstance(reply, ICMPv6EchoReply), reply.summary()
    assert (reply.type, reply.code) == (129, 0)
    assert (reply.id, reply.seq) == (echo_req.id, echo_req.seq)
    assert reply.data == echo_req.data
    assert ip.plen == 8 + len(echo_req.data)
    assert len(raw) == l2_len(rep) + 40 + ip.plen, "frame longer than its IPv6 packet"
    assert_icmpv6_checksum(rep, raw)


def check_na(case, res):
    req = case.packet
    assert res.verdict == "XDP_TX"
    rep, raw = res.frame, res.raw
    assert_l2_reply(req, raw, eth_dst=ALL_NODES_MAC if case.dad else req[Ether].src,
                    eth_src=IFACE_MAC)

    ip = rep[IPv6]
    assert ip.version == 6
    assert ip.nh == socket.IPPROTO_ICMPV6, "extension headers left in the reply"
    assert ip.hlim == 255
    assert ip.src == case.target
    assert ip.dst == (ALL_NODES if case.dad else req[IPv6].src)
    assert ip.plen == 32
    assert len(raw) == l2_len(rep) + 40 + 32, "frame longer than its IPv6 packet"

    na = ip.payload
    assert isinstance(na, ICMPv6ND_NA), na.summary()
    assert (na.type, na.code) == (136, 0)
    assert na.R == int(case.router)
    assert na.S == int(not case.dad)
    assert na.O == 1
    assert na.res == 0
    assert na.tgt == case.target
    opt = na.payload
    assert isinstance(opt, ICMPv6NDOptDstLLAddr), opt.summary()
    assert (opt.type, opt.len, opt.lladdr) == (2, 1, IFACE_MAC)
    assert isinstance(opt.payload, NoPayload), "more than the one TLLA option"
    assert_icmpv6_checksum(rep, raw)


def check_passed(case, res):
    assert res.verdict == "XDP_PASS"
    assert res.raw == bytes(case.packet), "a passed frame was changed"


def names(cases):
    return [c.name for c in cases]


# --- tests ------------------------------------------------------------------

# Apps that read the address answer as echo does, whatever the request did.
@pytest.mark.parametrize("case", ECHO + APP_ANSWERED, ids=names(ECHO + APP_ANSWERED))
def test_echo_reply(case, result):
    check_echo_reply(case.packet, result(case))
    assert_counted(case, result(case))


@pytest.mark.parametrize("case", PASS + APP_PASSED, ids=names(PASS + APP_PASSED))
def test_passed_untouched(case, result):
    check_passed(case, result(case))
    assert_counted(case, result(case))


@pytest.mark.parametrize("case", SILENT_CASES + APP_SILENT, ids=names(SILENT_CASES + APP_SILENT))
def test_silent_app_drops_echo(case, result):
    assert result(case).verdict == "XDP_DROP"
    assert_counted(case, result(case))


@pytest.mark.parametrize("case", NA, ids=names(NA))
def test_neighbor_advertisement(case, result):
    check_na(case, result(case))
    assert_counted(case, result(case))


@pytest.mark.parametrize("case", NS_PASS, ids=names(NS_PASS))
def test_neighbor_solicitation_passed(case, result):
    check_passed(case, result(case))
    assert_counted(case, result(case))


@pytest.mark.parametrize("case", GROUP_ETHER_DST, ids=names(GROUP_ETHER_DST))
def test_reply_source_mac_is_unicast(case, result):
    res = result(case)
    if res.verdict == "XDP_TX":
        src = res.raw[6:12]
        assert not src[0] & 1, f"reply from group MAC {src.hex(':')}: {res.raw.hex()}"
    else:
        check_passed(case, res)


def test_every_packet_counted_once(batch):
    """The reasons add up to all traffic, and the totals agree with the
    per-packet counts."""
    per_packet_reasons, per_packet_apps = Counter(), Counter()
    for res in batch.results:
        assert sum(res.reasons.values()) == 1, res.reasons
        assert sum(res.apps.values()) <= 1, res.apps
        per_packet_reasons.update(res.reasons)
        per_packet_apps.update(res.apps)
    assert batch.reasons == dict(per_packet_reasons)
    assert batch.apps == dict(per_packet_apps)
    assert sum(batch.reasons.values()) == len(ALL_CASES)


def test_ns_on_interface_without_mac():
    """An NS that arrives where the daemon has not said which MAC to
    advertise is left to the kernel."""
    target = addr_in(ONLINK)
    req = ns(target)
    res = xdp.run([req], **config(ifaces=()))
    case = Case("no-iface", req, "pass-iface-unknown", (ONLINK.app, "pass"))
    check_passed(case, res.results[0])
    assert_counted(case, res.results[0])
