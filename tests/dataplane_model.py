# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""A reference model of things_xdp, written from the RFCs and the ABI's
comments rather than from the BPF code, for differential fuzzing.

Model.run(frame) says what the program must do with one frame: the verdict,
the frame it must send (or that it must leave the frame untouched), the one
(app, reason) counter it moves, and every change to the apps' state. The
world is the selftests' (selftests/world.c), so a frame the fuzzer saves
replays there as it is.

Checksums are computed here with RFC 1071 and RFC 1624 arithmetic of our
own; scapy dissects and judges samples of the answers (see
fuzz_dataplane.py).
"""

import ipaddress
import struct
from typing import NamedTuple, Optional

# ---- the world (selftests/world.c and world.h) ------------------------------

MAC_IFACE = bytes.fromhex("020000000001")
MAC_PEER = bytes.fromhex("020000000002")
IFINDEX = 1
MAX_APPS = 256

ONLINK, SILENT, ROUTER = 1, 2, 4


class Pfx(NamedTuple):
    net: str
    app: int
    kind: str
    flags: int = 0


PREFIXES = [
    Pfx("2001:db8:1::/48", 1, "echo"),
    Pfx("2001:db8:1:ff::/64", 6, "echo"),
    Pfx("2001:db8:1::1/128", 0, "host"),
    Pfx("2001:db8:2:3::/64", 2, "echo", ONLINK),
    Pfx("2001:db8:2:3::1/128", 0, "host", ONLINK),
    Pfx("fd00:0:0:1::/64", 3, "echo", ONLINK | ROUTER),
    Pfx("2001:db8:5::/48", 4, "echo", ONLINK | SILENT),
    Pfx("ff3e:30:2001:db8:1::/96", 5, "echo", ONLINK),
    Pfx("fd00:0:0:99::/64", 300, "echo", ONLINK),
    Pfx("2001:db8:10::/64", 7, "board"),
    Pfx("2001:db8:11::/64", 8, "tree"),
    Pfx("2001:db8:12::/64", 9, "canvas", ONLINK),
    Pfx("2001:db8:13::/64", 10, "board", SILENT),
    Pfx("2001:db8:14::/64", 11, "tree", SILENT),
    Pfx("2001:db8:15::/64", 12, "canvas", SILENT),
    Pfx("2001:db8:16::/64", 13, "trace"),
]
BOARD_LINES, TREE_LIGHTS, CANVAS_W, CANVAS_H = 3, 4, 16, 8
APP_CFG = {7: ("board", BOARD_LINES), 10: ("board", BOARD_LINES),
           8: ("tree", TREE_LIGHTS), 11: ("tree", TREE_LIGHTS),
           9: ("canvas", (CANVAS_W, CANVAS_H)), 12: ("canvas", (CANVAS_W, CANVAS_H))}


def _a(text):
    return ipaddress.IPv6Address(text).packed


def story_list_line(h):
    return _a("2001:db8:16:1::")[:15] + bytes([h])


def story_addr_line(h, v):
    b = bytearray(_a("2001:db8:16:2::"))
    b[13], b[15] = h, v
    return bytes(b)


class Story(NamedTuple):
    net: str
    app: int
    story: int
    hops: int
    bits: int


STORIES = [Story("2001:db8:16::5/128", 13, 0, 3, 0),
           Story("2001:db8:16:0:a::/80", 13, 1, 4, 4),
           Story("2001:db8:16::7/128", 13, 2, 2, 0),
           Story("2001:db8:16::8/128", 1, 0, 1, 0)]
STORY_LINES = {}
for _h in range(1, 4):
    STORY_LINES[(13, 0, _h - 1)] = story_list_line(_h)
for _h in range(1, 5):
    for _v in range(16):
        STORY_LINES[(13, 1, (_h - 1) << 4 | _v)] = story_addr_line(_h, _v)
STORY_LINES[(13, 2, 0)] = story_list_line(7)
STORY_LINES[(1, 0, 0)] = story_list_line(8)


def testrun_args():
    """The same world as xdp-testrun options."""
    names = {ONLINK: "onlink", SILENT: "silent", ROUTER: "router"}
    args = []
    for p in PREFIXES:
        flags = [n for bit, n in names.items() if p.flags & bit]
        args += ["--prefix", ",".join([p.net, f"app={p.app}", f"kind={p.kind}", *flags])]
    for app, (kind, size) in sorted(APP_CFG.items()):
        setting = {"board": f"lines={size}", "tree": f"lights={size}"}.get(kind)
        args += ["--app", f"{app},{setting or 'width=%d,height=%d' % size}"]
    for s in STORIES:
        args += ["--story", f"{s.net},app={s.app},story={s.story},hops={s.hops},bits={s.bits}"]
    for (app, story, slot), addr in sorted(STORY_LINES.items()):
        args += ["--line", f"{app},{story},{slot},{ipaddress.IPv6Address(addr)}"]
    args += ["--iface", f"{IFINDEX},{MAC_IFACE.hex(':')}", "--ifindex", str(IFINDEX)]
    return args


# ---- arithmetic -------------------------------------------------------------

def ones_sum(data, start=0):
    """RFC 1071: the one's complement sum of data as 16-bit big-endian
    words, an odd last byte padded with zero; not complemented."""
    if len(data) % 2:
        data = bytes(data) + b"\0"
    total = start + sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total > 0xffff:
        total = (total & 0xffff) + (total >> 16)
    return total


def pseudo_sum(src, dst, length, proto):
    return ones_sum(src + dst + struct.pack("!IxxxB", length, proto))


def l4_checksum(src, dst, proto, msg, off):
    """The checksum to store at msg[off:off+2] (RFC 8200 8.1)."""
    body = msg[:off] + b"\0\0" + msg[off + 2:]
    return ~ones_sum(body, pseudo_sum(src, dst, len(msg), proto)) & 0xffff


def l4_checksum_ok(src, dst, proto, msg):
    return ones_sum(msg, pseudo_sum(src, dst, len(msg), proto)) == 0xffff


def csum_update(check, old, new):
    """RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m')."""
    total = (~check & 0xffff) + (~old & 0xffff) + new
    while total > 0xffff:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


# ---- lookups ----------------------------------------------------------------

class Lpm:
    def __init__(self, entries):
        self.entries = sorted(((ipaddress.IPv6Network(net), val) for net, val in entries),
                              key=lambda e: -e[0].prefixlen)

    def lookup(self, addr):
        a = ipaddress.IPv6Address(addr)
        for net, val in self.entries:
            if a in net:
                return val
        return None


PREFIX_LPM = Lpm((p.net, p) for p in PREFIXES)
STORY_LPM = Lpm((s.net, s) for s in STORIES)

# Extension headers the walk steps over, and those it must not look into.
HOPOPTS, ROUTING, FRAGMENT, DSTOPTS = 0, 43, 44, 60
OPAQUE = {50, 51, 59, 135, 139, 140, 253, 254}
MAX_EXT = 4
ICMPV6, UDP, TCP = 58, 17, 6
ECHO_REQUEST, ECHO_REPLY, NS, NA = 128, 129, 135, 136
ALL_NODES = _a("ff02::1")
ALL_NODES_MAC = bytes.fromhex("333300000001")
NS_MAX_LEN = 24 + 256
ERR_MAX = 1280
REPLY_HLIM = 64
TRACE_HLIM = 255


def is_multicast(a):
    return a[0] == 0xff


def is_unspecified(a):
    return a == bytes(16)


def is_solicited_node(a):
    return a[:13] == _a("ff02::1:ff00:0")[:13]


# ---- the expected outcome ---------------------------------------------------

class Outcome(NamedTuple):
    verdict: str                  # XDP_TX, XDP_PASS, XDP_DROP
    out: Optional[bytes]          # the frame sent; None: the input untouched
    app: int                      # the app counted against (0: none)
    reason: str
    state: dict                   # app id (or "log") -> the change, as --json says


class Parsed:
    """Where the headers of a frame are; set by Model.parse()."""
    l2 = 0
    l4_off = 0
    l4_len = 0
    proto = 0
    flags = 0      # the flags of the prefix that matched


class Board:
    def __init__(self, lines):
        self.lines = lines
        self.posts = 0
        self.last = bytes(8)
        self.msgs = [(0, bytes(8), bytes(16))] * lines


class Model:
    def __init__(self):
        self.boards = {a: Board(n) for a, (k, n) in APP_CFG.items() if k == "board"}
        self.trees = {a: [0, [0] * n] for a, (k, n) in APP_CFG.items() if k == "tree"}
        self.canvases = {a: [0] * (w * h) for a, (k, (w, h)) in
                         ((a, v) for a, v in APP_CFG.items() if v[0] == "canvas")}
        self.log_count = 0

    # -- headers --

    @staticmethod
    def parse(f, p):
        """Ethernet (one tag), IPv6 and its extension headers: a reason,
        or None with p filled in."""
        if len(f) < 14:
            return "pass-truncated"
        etype = int.from_bytes(f[12:14], "big")
        p.l2 = 14
        if etype in (0x8100, 0x88a8):
            if len(f) < 18:
                return "pass-truncated"
            etype = int.from_bytes(f[16:18], "big")
            p.l2 = 18
        if etype != 0x86dd:
            return "pass-not-ipv6"
        ip = p.l2
        if len(f) < ip + 40:
            return "pass-truncated"
        if f[ip] >> 4 != 6:
            return "pass-not-ipv6"
        end = ip + 40 + int.from_bytes(f[ip + 4:ip + 6], "big")
        if end > len(f):
            return "pass-truncated"
        nh, off = f[ip + 6], ip + 40
        for i in range(MAX_EXT + 1):
            if nh == FRAGMENT and i < MAX_EXT:
                return "pass-fragment"
            if nh not in (HOPOPTS, ROUTING, DSTOPTS, FRAGMENT) and nh not in OPAQUE:
                break
            if i == MAX_EXT:
                return "pass-exthdr-limit"
            if nh in OPAQUE or (nh == HOPOPTS and i > 0):
                return "pass-exthdr-unknown"
            if off + 8 > end:
                return "pass-truncated"
            if nh == ROUTING and f[off + 3]:
                return "pass-routing-segments"
            nh, off = f[off], off + (f[off + 1] + 1) * 8
        if off > end:
            return "pass-truncated"
        p.l4_off, p.l4_len, p.proto = off, end - off, nh
        return None

    # -- answers --

    @staticmethod
    def echo_reply(f, p):
        """The reply: our own headers, the message as it came, nothing of
        the request's extension headers or padding."""
        ip = p.l2
        eth = f[6:12] + f[0:6] + f[12:p.l2]
        msg = bytearray(f[p.l4_off:p.l4_off + p.l4_len])
        hdr = (f[ip:ip + 4] + p.l4_len.to_bytes(2, "big") + bytes([ICMPV6, REPLY_HLIM]) +
               f[ip + 24:ip + 40] + f[ip + 8:ip + 24])
        old = int.from_bytes(msg[0:2], "big")
        msg[0], msg[1] = ECHO_REPLY, 0
        check = csum_update(int.from_bytes(msg[2:4], "big"), old, ECHO_REPLY << 8)
        msg[2:4] = check.to_bytes(2, "big")
        return eth + hdr + bytes(msg)

    @staticmethod
    def icmp_error(f, p, src, typ, code, hlim):
        """An error quoting the invoking packet, within ERR_MAX (RFC 4443)."""
        ip = p.l2
        quote_len = min(40 + int.from_bytes(f[ip + 4:ip + 6], "big"), ERR_MAX - 48)
        quote = f[ip:ip + quote_len]
        dst = f[ip + 8:ip + 24]
        msg = bytearray(bytes([typ, code, 0, 0, 0, 0, 0, 0]) + quote)
        msg[2:4] = l4_checksum(src, dst, ICMPV6, bytes(msg), 2).to_bytes(2, "big")
        hdr = (bytes([0x60, 0, 0, 0]) + len(msg).to_bytes(2, "big") + bytes([ICMPV6, hlim]) +
               src + dst)
        return f[6:12] + f[0:6] + f[12:p.l2] + hdr + bytes(msg)

    @staticmethod
    def neighbor_advert(f, p, target, flags, dad):
        ip = p.l2
        peer = f[ip + 8:ip + 24]
        dst = ALL_NODES if dad else peer
        na_flags = 0x20000000 | (0 if dad else 0x40000000) | (0x80000000 if flags & ROUTER else 0)
        msg = bytearray(bytes([NA, 0, 0, 0]) + na_flags.to_bytes(4, "big") + target +
                        bytes([2, 1]) + MAC_IFACE)
        msg[2:4] = l4_checksum(target, dst, ICMPV6, bytes(msg), 2).to_bytes(2, "big")
        eth = (ALL_NODES_MAC if dad else f[6:12]) + MAC_IFACE + f[12:p.l2]
        hdr = bytes([0x60, 0, 0, 0, 0, 32, ICMPV6, 255]) + target + dst
        return eth + hdr + bytes(msg)

    # -- checks shared by every answer --

    @staticmethod
    def answerable(f, p):
        ip = p.l2
        src, dst = f[ip + 8:ip + 24], f[ip + 24:ip + 40]
        if is_multicast(dst):
            return "pass-dst-multicast"
        if f[0] & 1:
            return "pass-l2-group"
        if is_multicast(src) or is_unspecified(src):
            return "pass-src-invalid"
        return None

    # -- apps that read the address --

    def board_post(self, app, iid, src, state):
        b = self.boards[app]
        used = [i for i in range(8) if iid[i] not in (0, 0x20)]
        if not used:
            return "board-empty"
        n = used[-1] + 1
        if any(c < 0x20 or c > 0x7e for c in iid[:n]):
            return "board-unprintable"
        text = iid[:n] + bytes(8 - n)
        if text == b.last:
            return "board-repeat"
        b.posts += 1
        slot = (b.posts - 1) % b.lines
        b.msgs[slot] = (b.posts, text, src)
        b.last = text
        self.log_count += 1
        state[str(app)] = {"posts": b.posts, "last": text.hex(),
                           "slots": {str(slot): {"seq": b.posts, "text": text.hex(),
                                                 "src": src.hex()}}}
        state["log"] = {"count": self.log_count, "app": app,
                        "msg": {"seq": b.posts, "text": text.hex(), "src": src.hex()}}
        return "board-posted"

    def tree_light(self, app, iid, state):
        if iid[2] or iid[4] or iid[6]:
            return "tree-bad-colour"
        t = self.trees[app]
        t[0] += 1
        slot = (t[0] - 1) % len(t[1])
        value = 0x01000000 | iid[3] << 16 | iid[5] << 8 | iid[7]
        old = t[1][slot]
        t[1][slot] = value
        state[str(app)] = {"lit": t[0], "lights": {str(slot): value} if old != value else {}}
        return "tree-lit"

    def canvas_paint(self, app, iid, state):
        x, y = int.from_bytes(iid[0:2], "big"), int.from_bytes(iid[2:4], "big")
        if x >= CANVAS_W or y >= CANVAS_H:
            return "canvas-out-of-range"
        new, a = int.from_bytes(iid[4:7], "big"), iid[7]
        fb, i = self.canvases[app], y * CANVAS_W + x
        old = fb[i]
        if a == 0xff:
            px = new
        else:
            px = 0
            for shift in (16, 8, 0):
                n, o = new >> shift & 0xff, old >> shift & 0xff
                px |= (n * a + o * (255 - a)) // 255 << shift
        if px != old:
            fb[i] = px
            state[str(app)] = {str(i): px}
        return "canvas-painted"

    # -- the program --

    def dispatch(self, f, p, st):
        """(app, reason, out) for a frame whose headers parsed."""
        ip = p.l2
        src, dst = f[ip + 8:ip + 24], f[ip + 24:ip + 40]
        key, icmp_type = dst, None
        if p.proto == ICMPV6:
            if p.l4_len == 0:
                return 0, "pass-truncated", None
            icmp_type = f[p.l4_off]
            if icmp_type == NS:
                if p.l4_len < 24:
                    return 0, "ns-length", None
                key = f[p.l4_off + 8:p.l4_off + 24]
        pv = PREFIX_LPM.lookup(key)
        if pv is None:
            return 0, "pass-no-prefix", None
        if pv.kind == "host":
            return 0, "pass-host", None
        if pv.app >= MAX_APPS:
            return 0, "pass-app-invalid", None
        app, p.flags = pv.app, pv.flags
        if pv.kind == "trace" and icmp_type != NS:
            return (app,) + self.trace(f, p, pv, icmp_type)
        if p.proto != ICMPV6:
            return app, "pass-not-icmp", None
        if icmp_type == NS:
            return (app,) + self.ns(f, p, pv, key)
        if icmp_type != ECHO_REQUEST:
            return app, "pass-icmp-other", None
        if p.l4_len < 8:
            return app, "pass-truncated", None
        why = self.answerable(f, p)
        if why:
            return app, why, None
        if pv.kind in ("board", "tree", "canvas"):
            msg = f[p.l4_off:p.l4_off + p.l4_len]
            if not l4_checksum_ok(src, dst, ICMPV6, msg):
                return app, "app-checksum", None
            out = None if pv.flags & SILENT else self.echo_reply(f, p)
            iid = dst[8:]
            if pv.kind == "board":
                r = self.board_post(app, iid, src, st)
            elif pv.kind == "tree":
                r = self.tree_light(app, iid, st)
            else:
                r = self.canvas_paint(app, iid, st)
            return app, r, out
        if pv.flags & SILENT:
            return app, "drop-silent", None
        return app, "tx-echo-reply", self.echo_reply(f, p)

    def trace(self, f, p, pv, icmp_type):
        ip = p.l2
        if p.proto == ICMPV6:
            if icmp_type != ECHO_REQUEST:
                return "pass-icmp-other", None
            least = 8
        elif p.proto == UDP:
            least = 8
        elif p.proto == TCP:
            least = 20
        else:
            return "pass-not-icmp", None
        if p.l4_len < least:
            return "pass-truncated", None
        why = self.answerable(f, p)
        if why:
            return why, None
        dst, hlim = f[ip + 24:ip + 40], f[ip + 7]
        s = STORY_LPM.lookup(dst)
        if s is None or s.app != pv.app:
            if p.proto == ICMPV6:
                return self.trace_echo(f, p, pv)
            return "pass-not-icmp", None
        if 1 <= hlim <= s.hops:
            slot = hlim - 1
            if s.bits:
                shift = (s.hops - hlim) * s.bits
                field = int.from_bytes(dst[8:], "big") >> shift & ((1 << s.bits) - 1)
                slot = slot << s.bits | field
            line = STORY_LINES.get((s.app, s.story, slot))
            if line is None:
                return "trace-no-line", None
            return "tx-time-exceeded", self.icmp_error(f, p, line, 3, 0,
                                                       TRACE_HLIM - (hlim - 1))
        if p.proto == ICMPV6:
            return self.trace_echo(f, p, pv)
        if p.proto != UDP:
            return "pass-not-icmp", None
        hl = TRACE_HLIM - s.hops if s.hops < TRACE_HLIM else 1
        return "tx-port-unreachable", self.icmp_error(f, p, dst, 1, 4, hl)

    def trace_echo(self, f, p, pv):
        if pv.flags & SILENT:
            return "drop-silent", None
        return "tx-echo-reply", self.echo_reply(f, p)

    def ns(self, f, p, pv, target):
        ip, m, n = p.l2, p.l4_off, p.l4_len
        src, dst = f[ip + 8:ip + 24], f[ip + 24:ip + 40]
        if not pv.flags & ONLINK:
            return "pass-not-onlink", None
        if f[ip + 7] != 255:
            return "ns-hop-limit", None
        if f[m + 1] != 0:
            return "ns-code", None
        if n > NS_MAX_LEN:
            return "ns-too-long", None
        if is_multicast(target):
            return "ns-target-multicast", None
        off, slla = 24, False
        while off < n:
            if off + 2 > n or f[m + off + 1] == 0:
                return "ns-option-length", None
            slla |= f[m + off] == 1
            off += f[m + off + 1] * 8
        if off != n:
            return "ns-option-length", None
        if not l4_checksum_ok(src, dst, ICMPV6, f[m:m + n]):
            return "ns-checksum", None
        if is_multicast(src):
            return "ns-src-multicast", None
        dad = is_unspecified(src)
        if dad and not is_solicited_node(dst):
            return "ns-dad-dst", None
        if dad and slla:
            return "ns-dad-slla", None
        return ("tx-na-dad" if dad else "tx-na"), self.neighbor_advert(f, p, target,
                                                                      pv.flags, dad)

    def run(self, frame):
        f = bytes(frame)
        p, st = Parsed(), {}
        reason = self.parse(f, p)
        app, out = 0, None
        if reason is None:
            app, reason, out = self.dispatch(f, p, st)
        return Outcome(verdict_of(reason, p.flags), out, app, reason, st)

    def final(self):
        """The whole state, as xdp-testrun --json's last line says it."""
        out = {}
        for app, b in self.boards.items():
            out[str(app)] = {"posts": b.posts, "msgs": [
                {"seq": s, "text": t.hex(), "src": src.hex()} for s, t, src in b.msgs]}
        for app, (lit, lights) in self.trees.items():
            out[str(app)] = {"lit": lit, "lights": list(lights)}
        for app, fb in self.canvases.items():
            out[str(app)] = list(fb)
        return out


# What each reason means (the ABI's THINGS_REASONS), and so the verdict.
_TX = {"tx-echo-reply", "tx-na", "tx-na-dad", "tx-time-exceeded", "tx-port-unreachable"}
_APP = {"app-no-state", "board-posted", "board-repeat", "board-empty", "board-unprintable",
        "tree-lit", "tree-bad-colour", "canvas-painted", "canvas-out-of-range"}
_DROP = {"drop-silent", "app-rate-limited", "error-limit-source", "error-limit-global"}


def verdict_of(reason, flags):
    if reason in _TX:
        return "XDP_TX"
    if reason in _APP:
        return "XDP_DROP" if flags & SILENT else "XDP_TX"
    if reason in _DROP:
        return "XDP_DROP"
    return "XDP_PASS"
