# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""things-ping, the client: what it turns text, colours and images into,
and what it puts on the wire.

Addresses are judged against ones computed here with the ipaddress module
from the layouts in maps/things_abi.h, and pixels against Pillow's reading
of the same PNG files. Packets are judged on the receiving side of a veth
pair: captured there, dissected by scapy, checksums recomputed by scapy;
the receiver's own kernel answers them (an AnyIP `local` route), and its
replies are what --wait must count.
"""
import ipaddress
import os
import random
import re
import socket
import struct
import subprocess
import sys
import zlib

import pytest
from PIL import Image
from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
from scapy.layers.l2 import Ether
from scapy.layers.inet6 import in6_chksum

import lab as L

PING = os.path.join(L.BUILD, "things-ping")
HINT = "Try 'things-ping --help'."

BOARD = ipaddress.ip_network("2001:db8:100:1::/64")
TREE = ipaddress.ip_network("2001:db8:100:2::/80")
CANVAS = ipaddress.ip_network("2001:db8:100:3::/64")
SENDER = "2001:db8:ff::100"
RECEIVER = "2001:db8:ff::2"
ANYIP = "2001:db8:100::/48"


def run(*args, ns=None, pre=()):
    """things-ping with args (str or bytes); stdout and stderr as text."""
    cmd = list(pre) + [PING] + list(args)
    if ns is not None:
        cmd = ["nsenter", "--net=" + ns.path] + cmd
    res = subprocess.run(cmd, capture_output=True, timeout=60)
    res.stdout = res.stdout.decode("ascii")
    res.stderr = res.stderr.decode("ascii", "backslashreplace")
    return res


def printed(*args):
    res = run("--print", *args)
    assert res.returncode == 0, res.stderr
    return [ipaddress.ip_address(line) for line in res.stdout.splitlines()]


def board_addr(net, text):
    return net.network_address + int.from_bytes(text.ljust(8, b"\0"), "big")


def tree_addr(net, r, g, b):
    return net.network_address + (r << 32 | g << 16 | b)


def pixel_addr(net, x, y, rgba):
    r, g, b, a = rgba
    return net.network_address + (x << 48 | y << 32 | r << 24 | g << 16 | b << 8 | a)


def canvas_addrs(net, rgba_rows, at=(0, 0)):
    """Row by row, left to right, fully transparent pixels left out."""
    return [pixel_addr(net, at[0] + x, at[1] + y, px)
            for y, row in enumerate(rgba_rows) for x, px in enumerate(row) if px[3]]


def pillow_rgba(path):
    im = Image.open(path).convert("RGBA")
    return [[im.getpixel((x, y)) for x in range(im.width)] for y in range(im.height)]


def random_image(path, mode, size, seed, **save):
    rng = random.Random(seed)
    im = Image.new(mode, size)
    bands = len(im.getbands())
    top = 65535 if mode == "I;16" else 255
    for y in range(size[1]):
        for x in range(size[0]):
            px = tuple(rng.randrange(top + 1) for _ in range(bands))
            im.putpixel((x, y), px[0] if bands == 1 else px)
    im.save(path, **save)
    return path


# --- addresses --------------------------------------------------------------

@pytest.mark.parametrize("text", [b"Awesome!", b"A", b"Hi there", b" ~ x"])
def test_board_text_is_the_interface_id(text):
    assert printed("board", str(BOARD), text) == [board_addr(BOARD, text)]


def test_board_awesome_is_the_documented_address():
    assert printed("board", "2001:db8:1::/64", "Awesome!") == \
        [ipaddress.ip_address("2001:db8:1::4177:6573:6f6d:6521")]


def test_board_shorter_prefix_keeps_zeros_up_to_64():
    net = ipaddress.ip_network("2001:db8:1::/48")
    assert printed("board", str(net), "Hi") == [board_addr(net, b"Hi")]


def test_board_split_sends_chunks_in_order():
    text = b"Hello, world! How are you?"
    want = [board_addr(BOARD, text[i:i + 8]) for i in range(0, len(text), 8)]
    assert len(want) == 4
    assert printed("--split", "board", str(BOARD), text) == want


def test_board_split_warns_about_repeated_chunks():
    res = run("--print", "--split", "board", str(BOARD), "abcdefghabcdefghxyz")
    assert res.returncode == 0
    assert len(res.stdout.splitlines()) == 3
    assert re.search(r"messages 1 and 2 have the same text: a board refuses", res.stderr)
    quiet = run("--print", "-q", "--split", "board", str(BOARD), "abcdefghabcdefgh")
    assert quiet.returncode == 0 and quiet.stderr == ""


@pytest.mark.parametrize("colour,rgb", [
    ("red", (255, 0, 0)), ("GREEN", (0, 255, 0)), ("blue", (0, 0, 255)),
    ("white", (255, 255, 255)), ("#ff8000", (255, 128, 0)), ("0a0B0c", (10, 11, 12)),
    ("#000000", (0, 0, 0)),
])
def test_tree_colour_is_the_last_three_groups(colour, rgb):
    assert printed("tree", str(TREE), colour) == [tree_addr(TREE, *rgb)]


def test_tree_accepts_a_64():
    net = ipaddress.ip_network("2001:db8:7::/64")
    assert printed("tree", str(net), "yellow") == [tree_addr(net, 255, 255, 0)]


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "L", "LA", "1", "I;16"])
def test_canvas_pixels_match_pillow(tmp_path, mode):
    path = random_image(str(tmp_path / "img.png"), mode, (7, 5), seed=len(mode))
    if mode == "I;16":
        # libpng keeps the high byte of a 16-bit sample
        im = Image.open(path)
        rows = [[(v >> 8,) * 3 + (255,) for v in (im.getpixel((x, y)) for x in range(7))]
                for y in range(5)]
    else:
        rows = pillow_rgba(path)
    assert printed("canvas", str(CANVAS), path) == canvas_addrs(CANVAS, rows)


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_canvas_colour_key_transparency(tmp_path, mode):
    """A tRNS colour key: pixels of exactly that colour are transparent."""
    path = str(tmp_path / "key.png")
    rng = random.Random(8)
    im = Image.new(mode, (5, 5))
    pick = [(0, 0, 0), (9, 8, 7), (200, 100, 50)] if mode == "RGB" else [0, 97, 255]
    im.putdata([pick[rng.randrange(3)] for _ in range(25)])
    im.save(path, transparency=pick[1])
    rows = pillow_rgba(path)
    want = canvas_addrs(CANVAS, rows)
    assert 0 < len(want) < 25, "the image needs transparent and opaque pixels"
    assert printed("canvas", str(CANVAS), path) == want


def write_interlaced_rgba(path, rows):
    """An Adam7-interlaced 8-bit RGBA PNG (Pillow writes no interlaced ones)."""
    h, w = len(rows), len(rows[0])
    raw = b""
    for x0, y0, dx, dy in ((0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4),
                           (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)):
        if x0 >= w or y0 >= h:
            continue
        for y in range(y0, h, dy):
            raw += b"\0" + b"".join(bytes(rows[y][x]) for x in range(x0, w, dx))

    def chunk(kind, data):
        return (struct.pack("!I", len(data)) + kind + data +
                struct.pack("!I", zlib.crc32(kind + data)))
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack("!IIBBBBB", w, h, 8, 6, 0, 0, 1)) +
                chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def test_canvas_interlaced(tmp_path):
    rng = random.Random(7)
    rows = [[tuple(rng.randrange(256) for _ in range(3)) + (rng.choice((0, 9, 255)),)
             for _ in range(11)] for _ in range(13)]
    path = str(tmp_path / "adam7.png")
    write_interlaced_rgba(path, rows)
    assert Image.open(path).info.get("interlace") == 1
    assert pillow_rgba(path) == rows
    assert printed("canvas", str(CANVAS), path, "-a", "5,6") == canvas_addrs(CANVAS, rows, (5, 6))


def test_canvas_palette_with_transparent_index(tmp_path):
    path = str(tmp_path / "pal.png")
    im = Image.new("P", (6, 4))
    im.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 10, 20, 30] + [0] * (256 * 3 - 12))
    rng = random.Random(4)
    im.putdata([rng.randrange(4) for _ in range(24)])
    im.save(path, transparency=0)
    rows = pillow_rgba(path)
    want = canvas_addrs(CANVAS, rows)
    assert 0 < len(want) < 24, "the image needs transparent and opaque pixels"
    assert printed("canvas", str(CANVAS), path) == want


def test_canvas_partial_alpha_is_carried(tmp_path):
    path = str(tmp_path / "a.png")
    im = Image.new("RGBA", (3, 1))
    im.putdata([(1, 2, 3, 0), (4, 5, 6, 1), (7, 8, 9, 254)])
    im.save(path)
    assert printed("canvas", str(CANVAS), path) == [
        pixel_addr(CANVAS, 1, 0, (4, 5, 6, 1)), pixel_addr(CANVAS, 2, 0, (7, 8, 9, 254))]


@pytest.mark.parametrize("at", [(3, 9), (65528, 65532), (0, 65535 - 3)])
def test_canvas_at_offsets(tmp_path, at):
    path = random_image(str(tmp_path / "img.png"), "RGBA", (8, 4), seed=at[0])
    got = printed("canvas", str(CANVAS), path, "--at", "%d,%d" % at)
    assert got == canvas_addrs(CANVAS, pillow_rgba(path), at)


def test_canvas_size_accepts_an_image_that_fits(tmp_path):
    path = random_image(str(tmp_path / "img.png"), "RGB", (4, 4), seed=1)
    got = printed("canvas", str(CANVAS), path, "--at", "60,28", "--size", "64x32")
    assert got == canvas_addrs(CANVAS, pillow_rgba(path), (60, 28))


def test_count_repeats_the_whole_sequence():
    text = b"0123456789"
    once = [board_addr(BOARD, text[:8]), board_addr(BOARD, text[8:])]
    assert printed("--split", "-c", "3", "board", str(BOARD), text) == once * 3


# --- rejections: exit 2, a reason, and nothing printed -----------------------

def reject(*args):
    res = run("--print", *args)
    assert res.returncode == 2, (res.returncode, res.stdout, res.stderr)
    assert res.stdout == ""
    assert HINT in res.stderr
    return res.stderr


def test_reject_board_text_too_long():
    err = reject("board", str(BOARD), "Awesome!!")
    assert "9 bytes" in err and "--split" in err


def test_reject_board_text_empty():
    assert "empty" in reject("board", str(BOARD), "")


@pytest.mark.parametrize("text,pos,byte", [
    (b"A\x01B", 2, 0x01), (b"\x1b[31m", 1, 0x1b), (b"caf\xc3\xa9", 4, 0xc3),
    (b"tab\there", 4, 0x09), (b"del\x7f", 4, 0x7f),
])
def test_reject_board_unprintable_names_the_byte(text, pos, byte):
    err = reject("board", str(BOARD), text)
    assert "byte %d of the text is 0x%02x" % (pos, byte) in err
    assert chr(byte) not in err and "\\x" not in err  # never echoed, raw or escaped


@pytest.mark.parametrize("colour", ["#12345", "#1234567", "#gg0000", "rgb(1,2,3)", "", "#",
                                    "chartreuse", "ff00ff\n"])
def test_reject_bad_colour(colour):
    err = reject("tree", str(TREE), colour)
    assert "colour" in err and "red" in err
    assert "\n" not in err.split(HINT)[0].rstrip("\n")  # the newline came back escaped


@pytest.mark.parametrize("at,size", [
    ("65529,0", (8, 1)), ("0,65533", (1, 4)), ("65535,65535", (2, 2)),
])
def test_reject_image_past_65535(tmp_path, at, size):
    path = random_image(str(tmp_path / "img.png"), "RGB", size, seed=2)
    assert "canvas coordinates are 16-bit" in reject("canvas", str(CANVAS), path, "--at", at)


def test_reject_image_larger_than_size(tmp_path):
    path = random_image(str(tmp_path / "img.png"), "RGB", (4, 4), seed=3)
    err = reject("canvas", str(CANVAS), path, "--at", "61,0", "--size", "64x64")
    assert "the last x is 63" in err and "--size" in err


def test_reject_fully_transparent_image(tmp_path):
    path = str(tmp_path / "clear.png")
    Image.new("RGBA", (3, 3), (255, 255, 255, 0)).save(path)
    assert "nothing to send" in reject("canvas", str(CANVAS), path)


@pytest.mark.parametrize("kind,arg,prefix,why", [
    ("board", "x", "2001:db8:100:1::/80", "a /80: a board needs a /64 or shorter"),
    ("board", "x", "2001:db8:100:1::", "a /128"),
    ("board", "x", "2001:db8:100:1::/48", "bits set past the prefix length"),
    ("board", "x", "2001:db8:100:1:8000::/64", "bits set past the prefix length"),
    ("tree", "red", "2001:db8:100:2::/96", "a /96: a tree needs an /80 or shorter"),
    ("tree", "red", "2001:db8:100:2:0:1::/80", "bits set past the prefix length"),
    ("canvas", "IMG", "2001:db8:100:3::/65", "a canvas needs a /64 or shorter"),
    ("canvas", "IMG", "2001:db8::zz/64", "not an IPv6 address"),
    ("board", "x", "10.0.0.0/8", "not an IPv6 address"),
])
def test_reject_prefix(tmp_path, kind, arg, prefix, why):
    if arg == "IMG":
        arg = random_image(str(tmp_path / "img.png"), "RGB", (2, 2), seed=5)
    assert why in reject(kind, prefix, arg)


def test_reject_not_a_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("just text\n")
    assert "is not a PNG file" in reject("canvas", str(CANVAS), str(path))


def test_reject_broken_png(tmp_path):
    good = random_image(str(tmp_path / "img.png"), "RGB", (16, 16), seed=6)
    data = open(good, "rb").read()
    short = tmp_path / "short.png"
    short.write_bytes(data[:len(data) // 2])
    assert "broken PNG" in reject("canvas", str(CANVAS), str(short))
    flipped = bytearray(data)
    flipped[len(data) // 2] ^= 0xff
    bad = tmp_path / "bad.png"
    bad.write_bytes(bytes(flipped))
    assert "broken PNG" in reject("canvas", str(CANVAS), str(bad))


def test_missing_image_is_a_failure_not_a_usage_error(tmp_path):
    res = run("--print", "canvas", str(CANVAS), str(tmp_path / "none.png"))
    assert res.returncode == 1 and res.stdout == ""
    assert "No such file" in res.stderr


@pytest.mark.parametrize("args,why", [
    ((), "no command given"),
    (("paint", str(BOARD), "x"), "unknown command 'paint'"),
    (("board", str(BOARD)), "board wants PREFIX TEXT"),
    (("board", str(BOARD), "a", "b"), "board wants PREFIX TEXT"),
    (("--at", "1,2", "board", str(BOARD), "x"), "--at is not for board"),
    (("--split", "tree", str(TREE), "red"), "--split is not for tree"),
    (("--wait", "1", "tree", str(TREE), "red"), "--wait is for sending"),
    (("--at", "1", "canvas", str(CANVAS), "i.png"), "--at wants X,Y"),
    (("--at", "65536,0", "canvas", str(CANVAS), "i.png"), "--at wants X,Y"),
    (("--size", "0x4", "canvas", str(CANVAS), "i.png"), "--size wants WxH"),
    (("-c", "0", "tree", str(TREE), "red"), "--count wants"),
    (("--bogus",), "unknown option '--bogus'"),
])
def test_usage_errors(args, why):
    assert why in reject(*args)


def test_help():
    res = run("-h")
    assert res.returncode == 0
    for word in ("board", "tree", "canvas", "--print", "--at", "--rate", "--wait", "--split"):
        assert word in res.stdout


# --- on the wire --------------------------------------------------------------

# Runs in the receiver's namespace: every frame on the interface, with its
# packet type, to a file, until told to stop (stdin closes) and the number
# of echo requests the test expects has come in. A capture buffer this large
# drops nothing; the kernel's drop counter is reported to prove it.
CAPTURE = r"""
import select, socket, struct, sys, time
ifname, path, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(3))
s.setsockopt(socket.SOL_SOCKET, 33, 64 << 20)  # SO_RCVBUFFORCE
s.bind((ifname, 0))
requests, stopping, deadline = 0, False, None
print("ready", flush=True)
with open(path, "wb") as out:
    while True:
        timeout = None if deadline is None else max(0, deadline - time.time())
        r, _, _ = select.select([s] + ([] if stopping else [sys.stdin]), [], [], timeout)
        if s in r:
            data, addr = s.recvfrom(65535)
            out.write(struct.pack("!BI", addr[2], len(data)) + data)
            # Ethernet, IPv6 next header ICMPv6, type echo request
            if len(data) > 54 and data[12:14] == b"\x86\xdd" and data[20] == 58 and data[54] == 128:
                requests += 1
        elif sys.stdin in r:
            sys.stdin.read()
            stopping = True
            deadline = time.time() + 10
        elif deadline is not None:
            break
        if stopping and requests >= want and deadline - time.time() > 0.3:
            deadline = time.time() + 0.3   # late duplicates would still be seen
drops = struct.unpack("II", s.getsockopt(263, 6, 8))[1]  # PACKET_STATISTICS
print("drops %d" % drops, flush=True)
"""

PACKET_OUTGOING = 4


class Capture:
    def __init__(self, ns, ifname, path, want):
        self.path = path
        self.proc = ns.popen(sys.executable, "-c", CAPTURE, ifname, path, str(want),
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def stop(self):
        self.proc.stdin.close()
        out = self.proc.stdout.read()
        assert self.proc.wait(timeout=30) == 0
        assert "drops 0" in out, out
        frames = []
        with open(self.path, "rb") as f:
            data = f.read()
        off = 0
        while off < len(data):
            pkttype, n = struct.unpack_from("!BI", data, off)
            frames.append((pkttype, Ether(data[off + 5:off + 5 + n])))
            off += 5 + n
        return frames

    def kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def pair():
    """sender s0 --- r0 receiver, whose kernel owns 2001:db8:100::/48."""
    with L.Lab("tp") as lab:
        sender, receiver = lab.netns("send"), lab.netns("recv")
        lab.veth(sender, "s0", receiver, "r0")
        sender.ip("addr", "add", SENDER + "/64", "dev", "s0", "nodad")
        receiver.ip("addr", "add", RECEIVER + "/64", "dev", "r0", "nodad")
        receiver.ip("-6", "route", "add", "local", ANYIP, "dev", "lo")
        sender.ip("-6", "route", "add", ANYIP, "via", RECEIVER)
        captures = []

        def capture(want):
            c = Capture(receiver, "r0", os.path.join(lab.tmp, "cap%d" % len(captures)), want)
            captures.append(c)
            return c

        yield lab, sender, receiver, capture
        for c in captures:
            c.kill()


def assert_checksum(pkt):
    ip = pkt[IPv6]
    msg = bytes(ip.payload)[:ip.plen]
    want = in6_chksum(socket.IPPROTO_ICMPV6, ip, msg[:2] + b"\0\0" + msg[4:])
    assert int.from_bytes(msg[2:4], "big") == want, "bad ICMPv6 checksum"


def echo_requests(frames, hlim=64, src=SENDER):
    """The echo requests that came in, checked one by one; their
    destinations in arrival order."""
    reqs = [p for t, p in frames if t != PACKET_OUTGOING and ICMPv6EchoRequest in p]
    assert reqs, "no echo request arrived"
    ident = reqs[0][ICMPv6EchoRequest].id
    for i, p in enumerate(reqs):
        assert p[IPv6].src == src and p[IPv6].hlim == hlim
        assert p[ICMPv6EchoRequest].code == 0 and p[ICMPv6EchoRequest].id == ident
        assert p[ICMPv6EchoRequest].seq == (i + 1) & 0xffff
        assert_checksum(p)
    return [ipaddress.ip_address(p[IPv6].dst) for p in reqs]


def summary(stderr):
    m = re.search(r"sent (\d+) echo requests? .* in ([0-9.]+) s", stderr)
    assert m, stderr
    return int(m.group(1)), float(m.group(2))


def test_send_board_split_arrives_in_order(pair):
    lab, sender, receiver, capture = pair
    text = b"Hello, world!"
    want = [board_addr(BOARD, text[:8]), board_addr(BOARD, text[8:])]
    cap = capture(len(want))
    res = run("--split", "board", str(BOARD), text, ns=sender)
    assert res.returncode == 0, res.stderr
    assert summary(res.stderr)[0] == 2
    assert echo_requests(cap.stop()) == want


def test_send_tree_colour(pair):
    lab, sender, receiver, capture = pair
    cap = capture(1)
    res = run("tree", str(TREE), "#102030", ns=sender)
    assert res.returncode == 0, res.stderr
    assert echo_requests(cap.stop()) == [tree_addr(TREE, 0x10, 0x20, 0x30)]


def test_send_canvas_32x32_each_pixel_once(pair, tmp_path):
    lab, sender, receiver, capture = pair
    path = random_image(str(tmp_path / "img.png"), "RGB", (32, 32), seed=32)
    want = canvas_addrs(CANVAS, pillow_rgba(path), (100, 200))
    assert len(want) == 1024
    cap = capture(len(want))
    res = run("canvas", str(CANVAS), path, "--at", "100,200", ns=sender)
    assert res.returncode == 0, res.stderr
    assert summary(res.stderr)[0] == 1024
    got = echo_requests(cap.stop())
    assert len(got) == 1024 and sorted(got) == sorted(want)
    print(res.stderr.strip())  # the tool's own timing, for the record


def test_send_options_reach_the_wire(pair):
    lab, sender, receiver, capture = pair
    other = "2001:db8:ff::101"
    sender.ip("addr", "add", other + "/64", "dev", "s0", "nodad")
    cap = capture(3)
    res = run("-q", "--rate", "50", "--hop-limit", "7", "-S", other, "-I", "s0",
              "-c", "3", "tree", str(TREE), "blue", ns=sender)
    assert res.returncode == 0 and res.stderr == ""
    assert echo_requests(cap.stop(), hlim=7, src=other) == [tree_addr(TREE, 0, 0, 255)] * 3


def replies_sent(frames):
    return sum(1 for t, p in frames if t == PACKET_OUTGOING and ICMPv6EchoReply in p)


def test_wait_counts_the_kernels_replies(pair, tmp_path):
    lab, sender, receiver, capture = pair
    path = random_image(str(tmp_path / "img.png"), "RGBA", (32, 32), seed=33)
    want = canvas_addrs(CANVAS, pillow_rgba(path))
    cap = capture(len(want))
    res = run("canvas", str(CANVAS), path, "--wait", "5", ns=sender)
    assert res.returncode == 0, res.stderr
    frames = cap.stop()
    assert sorted(echo_requests(frames)) == sorted(want)
    m = re.search(r"(\d+) of (\d+) echo requests answered", res.stderr)
    assert m, res.stderr
    assert int(m.group(2)) == len(want)
    assert int(m.group(1)) == replies_sent(frames) == len(want)


def test_wait_counts_no_reply_when_none_comes(pair):
    lab, sender, receiver, capture = pair
    receiver.sysctl("net.ipv6.icmp.echo_ignore_all", "1")
    cap = capture(2)
    res = run("--split", "board", str(BOARD), "silence is ok", "--wait", "0.5", ns=sender)
    assert res.returncode == 0, res.stderr
    frames = cap.stop()
    assert len(echo_requests(frames)) == 2 and replies_sent(frames) == 0
    assert "0 of 2 echo requests answered" in res.stderr


def test_send_without_a_route_fails_once(pair):
    lab, sender, receiver, capture = pair
    res = run("tree", "2001:db8:200::/80", "red", ns=sender)
    assert res.returncode == 1
    assert res.stderr.count("things-ping:") == 1
    assert "cannot send to 2001:db8:200::ff:0:0" in res.stderr
    assert "Network is unreachable" in res.stderr


def test_send_without_cap_net_raw_fails(pair):
    lab, sender, receiver, capture = pair
    res = run("tree", str(TREE), "red", ns=sender,
              pre=("setpriv", "--inh-caps=-net_raw", "--bounding-set=-net_raw"))
    assert res.returncode == 1
    assert "raw ICMPv6 socket" in res.stderr and "CAP_NET_RAW" in res.stderr
    # --print needs no privilege at all
    res = run("--print", "tree", str(TREE), "red", ns=sender,
              pre=("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                   "--inh-caps=-all", "--bounding-set=-all"))
    assert res.returncode == 0 and res.stdout.strip() == str(tree_addr(TREE, 255, 0, 0))
