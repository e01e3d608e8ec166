#!/usr/bin/python3
# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The soak: mixed load for as long as asked (30 minutes by default; the
suite runs 2), with a SIGHUP and a thingsd restart every few cycles and a
things-web reader attached, then the books are balanced: every post, light,
pixel and counter is what was sent, and no process's descriptors or memory
grew over its life.

    soak.py --seconds 1800
"""

import argparse
import ipaddress
import json
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lab as L  # noqa: E402
from test_web import NsThread, Web  # noqa: E402

TCPBENCH = os.path.join(L.BUILD, "bench", "tcpbench")
BOARD, TREE, CANVAS = "2001:db8:1:b0a::/64", "2001:db8:1:7ee::/80", "2001:db8:1:ca5::/64"
STORY = "2001:db8:1:5707::1"
TCP = {"listen": "2001:db8:1:a::1", "socketbox": "2001:db8:1:b::1",
       "inetd": "2001:db8:1:c::1", "relay": "2001:db8:1:d::1"}
HUP_EVERY, RESTART_EVERY = 20.0, 45.0   # seconds, shortened for short runs


def config(tmp):
    story = os.path.join(tmp, "soak.story")
    with open(story, "w") as f:
        f.write("".join("2001:db8:1:5707::1:%d hop-%d\n" % (h, h) for h in (1, 2, 3)))
    return (L.DEMO_APPS + """
[app board]
kind = board
prefix = %s
lines = 256

[app tree]
kind = tree
prefix = %s
lights = 64

[app canvas]
kind = canvas
prefix = %s
width = 16
height = 16
silent = no

[app trace]
kind = trace
prefix = 2001:db8:1:5707::/64
story = %s %s
""" % (BOARD, TREE, CANVAS, STORY, story) +
        L.tcp_app("listen", "2001:db8:1:a::/64", "listen", exec=TCPBENCH + " serve --listen-fds") +
        L.tcp_app("socketbox", "2001:db8:1:b::/64", "socketbox:%s/box.sock" % tmp) +
        L.tcp_app("inetd", "2001:db8:1:c::/64", "inetd:%s serve --stdio" % TCPBENCH) +
        L.tcp_app("relay", "2001:db8:1:d::/64", "relay:127.0.0.1:9000"))


def iid_addr(prefix, iid):
    net = ipaddress.IPv6Network(prefix).network_address.packed
    return str(ipaddress.IPv6Address(net[:16 - len(iid)] + iid))


def usage(pid):
    """(descriptors, resident KiB, what the descriptors are) of a process."""
    rss = L.rss_kb(pid)
    fds = {}
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            fds[fd] = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            pass
    return len(fds), rss, fds


class Soak:
    def __init__(self, lab):
        self.lab = lab
        self.client, _, self.host = L.lan_topology(lab)
        self.host.sysctl("net.unix.max_dgram_qlen", "1024")
        self.backend = self.start(self.host, TCPBENCH, "serve", "--bind", "::ffff:127.0.0.1",
                                  "9000")
        self.box = self.start(self.host, TCPBENCH, "serve", "--socketbox",
                              lab.tmp + "/box.sock")
        deadline = time.time() + 10
        while time.time() < deadline and not (
                os.path.exists(lab.tmp + "/box.sock") and
                "9000" in self.host.run("ss", "-ltnH", "sport = :9000").stdout):
            time.sleep(0.05)
        self.d = lab.thingsd(self.host, config(lab.tmp))
        self.nst = NsThread(self.host)
        lab.undo.append(self.nst.close)
        self.web = Web(lab, self.host, self.nst, self.d.pin_dir)
        self.sent = {"echo": 0, "na": 0, "posts": 0, "lit": 0, "te": 0, "tcp": 0}
        self.pixels, self.texts, self.colours = {}, [], []
        self.samples = {}          # pid -> [first (fds, rss), last]
        self.hups = self.restarts = 0

    def start(self, ns, *args):
        p = ns.popen(*args, stdout=open(os.devnull, "w"), stderr=open(os.devnull, "w"))
        self.lab.undo.append(lambda: L.stop_process(p))
        return p

    def ping(self, addr, count=1, *extra):
        res = self.client.run("ping", "-6", "-n", "-q", "-c", str(count), "-i", "0.002",
                              "-W", "2", *extra, addr, check=False, timeout=30)
        return res.stdout

    def replies(self, addr, count=1):
        out = self.ping(addr, count)
        got = int(out.split(" received")[0].split()[-1]) if " received" in out else 0
        assert got == count, "%s: %d of %d echo replies\n%s" % (addr, got, count, out)

    def cycle(self, i):
        self.replies(str(L.ROUTED[1 + i % 1000]), 20)
        self.sent["echo"] += 20
        target = str(L.ONLINK[1000 + i])
        res = self.client.run("ndisc6", "-1", "-r", "1", "-w", "1000", target, "c0", check=False)
        assert res.returncode == 0, res.stdout + res.stderr
        self.sent["na"] += 1
        text = b"%08d" % self.sent["posts"]
        self.replies(iid_addr(BOARD, text))
        self.sent["posts"] += 1
        self.texts.append(text.decode())
        colour = (i * 37) & 0xffffff
        self.replies(iid_addr(TREE, bytes([0, colour >> 16, 0, colour >> 8 & 255, 0,
                                           colour & 255])))
        self.sent["lit"] += 1
        self.colours.append(colour)
        x, y = i % 16, (i // 16) % 16
        self.replies(iid_addr(CANVAS, bytes([0, x, 0, y]) + colour.to_bytes(3, "big") + b"\xff"))
        self.pixels[(x, y)] = colour
        # The router takes one hop: the story's first line is the second.
        out = self.ping(STORY, 1, "-t", "2")
        assert "Time exceeded" in out or "Time to live exceeded" in out or "1 errors" in out, out
        self.sent["te"] += 1
        for mode, addr in TCP.items():
            out = L.sh("nsenter", "--net=" + self.client.path, TCPBENCH, "load", "-n", "20",
                       "-c", "4", addr, "80", timeout=60).stdout
            res = json.loads(out)
            assert res["ok"] == 20, (mode, res)
        self.sent["tcp"] += 20 * len(TCP)
        assert self.web.get("/metrics")[0] == 200
        for pid in (self.d.proc.pid, self.web.proc.pid):
            s = self.samples.setdefault(pid, [usage(pid), None])
            s[1] = usage(pid)

    def run(self, seconds):
        start = last_hup = last_restart = time.monotonic()
        scale = min(1.0, seconds / 1800 * 10)
        i = 0
        while time.monotonic() - start < seconds:
            self.cycle(i)
            i += 1
            now = time.monotonic()
            if now - last_restart >= RESTART_EVERY * scale:
                self.d.stop()
                self.d.start()
                self.restarts, last_restart = self.restarts + 1, now
            elif now - last_hup >= HUP_EVERY * scale:
                self.d.send_signal(signal.SIGHUP)
                time.sleep(0.2)
                self.d.wait_ready()
                self.hups, last_hup = self.hups + 1, now
        return i

    def books(self):
        """What the state says against what was sent: a list of faults."""
        faults = []
        board = self.d.ctl_json("board", "show", "board")
        if [m["text"] for m in board][:len(self.texts)] != self.texts[::-1][:256]:
            faults.append("board: %s, sent %s" % ([m["text"] for m in board][:5],
                                                  self.texts[::-1][:5]))
        if board and board[0]["seq"] != self.sent["posts"]:
            faults.append("board: %d posts, sent %d" % (board[0]["seq"], self.sent["posts"]))
        reasons = {k: v["packets"] for k, v in self.d.ctl_json("stats")["reasons"].items()}
        for reason, key in (("board-posted", "posts"), ("tree-lit", "lit"),
                            ("tx-time-exceeded", "te")):
            if reasons.get(reason, 0) != self.sent[key]:
                faults.append("%s: %d, sent %d" % (reason, reasons.get(reason, 0),
                                                   self.sent[key]))
        if reasons.get("canvas-painted", 0) != len(self.colours):
            faults.append("canvas-painted: %s" % reasons.get("canvas-painted"))
        # The apps' own replies count under their reasons.
        want = self.sent["echo"]
        if reasons.get("tx-echo-reply", 0) < want:
            faults.append("tx-echo-reply: %d, sent %d" % (reasons.get("tx-echo-reply", 0), want))
        lights = [l["colour"] for l in self.d.ctl_json("tree", "show", "tree")]
        slots = [None] * 64
        for n, c in enumerate(self.colours):
            slots[n % 64] = "#%06x" % c
        want_lights = [c for c in slots if c]
        if [c.lower() for c in lights[:len(want_lights)]] != want_lights:
            faults.append("tree: %s, sent %s" % (lights[:4], want_lights[:4]))
        path = os.path.join(self.lab.tmp, "canvas.png")
        self.d.ctl("canvas", "export", "canvas", path)
        from PIL import Image
        img = Image.open(path).convert("RGB")
        for (x, y), c in self.pixels.items():
            if img.getpixel((x, y)) != (c >> 16, c >> 8 & 255, c & 255):
                faults.append("canvas (%d,%d): %s, painted %06x" % (x, y, img.getpixel((x, y)),
                                                                     c))
                break
        tcp = {a["name"]: a for a in self.d.ctl_json("tcp", "list")}
        failed = {n: (a.get("failed"), a.get("refused")) for n, a in tcp.items()
                  if a.get("failed") or a.get("refused")}
        if failed:
            faults.append("tcp failures: %s" % failed)
        for pid, (first, last) in self.samples.items():
            # A connection the client closed may still be the server's for
            # a moment: a process still running is asked again.
            for _ in range(20):
                if last[0] <= first[0] or not os.path.exists("/proc/%d" % pid):
                    break
                time.sleep(0.05)
                last = usage(pid)
            if last[0] > first[0]:
                new = sorted(v for k, v in last[2].items() if first[2].get(k) != v)
                faults.append("pid %d: descriptors %d -> %d: %s" % (pid, first[0], last[0], new))
            # AddressSanitizer keeps freed memory in quarantine (256 MiB
            # by default): resident memory says nothing under it.
            if last[1] > first[1] + 2048 and not L.SANITIZE:
                faults.append("pid %d: resident %d KiB -> %d KiB" % (pid, first[1], last[1]))
        return faults


def soak(seconds):
    with L.Lab("soak") as lab:
        s = Soak(lab)
        cycles = s.run(seconds)
        return {"cycles": cycles, "sent": s.sent, "hups": s.hups, "restarts": s.restarts,
                "faults": s.books(),
                "processes": {p: [v[0][:2], v[1][:2]] for p, v in s.samples.items()}}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=1800)
    res = soak(ap.parse_args().seconds)
    print(json.dumps(res, indent=1, default=str))
    return 1 if res["faults"] else 0


if __name__ == "__main__":
    sys.exit(main())
