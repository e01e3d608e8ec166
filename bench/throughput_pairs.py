# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""The paired part of make bench: every responder up at once, each in a
server namespace of its own behind a veth of its own from the client, and
the load alternating between two of them in short turns (`loadgen pairs`):
A then B, B then A, round after round. A round's two rates were measured
within half a second of each other, so a slow spell of a busy machine
slows both alike: the ratio of a round holds where the rates wander, and
the median of the rounds' ratios, with the middle half of them, is what
the targets are judged on.

    client namespace                     server namespaces
    gi0 -- gi1   idle: one generator stays attached to each
    pt0  <---->  h0  thingsd, the two apps of `make demo`
    pa0  <---->  h0  thingsd with the apps that read the address too
    pm0  <---->  h0  the minimal XDP responder
    pk0  <---->  h0  Linux, AnyIP `local` routes
    pn0  <---->  h0  ndppd
    pc0  <---->  h0  things_xdp with N prefixes (`loadgen things`)
"""
import json
import os
import statistics
import subprocess

import lab as L

ROUNDS, SLICE_MS, DRAIN_MS = 20, 200, 20
# ndppd answers from a socket on the other CPU, a little after the burst:
# its slices wait longer for the last of it.
NDPPD_DRAIN_MS = 100
CURVE = (2, 16, 17, 1000, 100000, 1000000)
CURVE_ROUNDS, CURVE_SLICE_MS = 10, 100
SMOKE = {"rounds": 2, "slice_ms": 20, "curve": (2, 17, 1000), "curve_rounds": 2,
         "curve_slice_ms": 20}
CANVAS_SIDE = 1024

# (request, IPv6 Things' server, peer's server, least IPv6 Things / peer)
PEER_PAIRS = (("echo", "things", "minimal", 0.95), ("ns", "things", "minimal", 0.95),
              ("echo", "things", "kernel", 15.0), ("ns", "things", "ndppd", 100.0))
# (request, least rate / the same thingsd's echo rate; None: no target).
# The canvas twice: random pixels over the whole framebuffer (the worst case
# for the caches), and a painter's pattern, the pixels in order, row by row.
APP_PAIRS = (("canvas", 0.9), ("canvas-rows", 0.9), ("canvas-silent", 0.9), ("board", None),
             ("te", 0.7))
LABELS = {
    "echo": "echo, random /48 address", "ns": "NS, random /64 target",
    "canvas": "canvas, random pixel of 1024 x 1024, answered",
    "canvas-rows": "canvas, pixels row by row, answered",
    "canvas-silent": "canvas, random pixel, silent",
    "board": "board post, new random text",
    "te": "traceroute probe, answered with Time Exceeded",
}
PEERS = {"minimal": "minimal XDP responder", "kernel": "Linux, AnyIP `local` route",
         "ndppd": "ndppd, static rule"}


def spread(values):
    values = sorted(values)
    if not values:
        return None
    q = statistics.quantiles(values, n=4, method="inclusive") if len(values) > 1 else \
        [values[0]] * 3
    return {"median": statistics.median(values), "q1": q[0], "q3": q[2],
            "min": values[0], "max": values[-1]}


class Server:
    """A server namespace, its veth h0 to the client's DEV, the server's
    address on it and the client's neighbour entry, as the sequential runs
    have them."""

    def __init__(self, paired, lab, key, gro=False):
        self.key, self.lab = key, lab
        self.ns = lab.netns("p" + key)
        self.cdev = "p%s0" % key[0]
        lab.veth(paired.client, self.cdev, self.ns, "h0")
        self.ns.ip("addr", "add", paired.server_addr + "/64", "dev", "h0", "nodad")
        self.mac = self.ns.link_mac("h0")
        self.ns.ip("-6", "neigh", "replace", L.CLIENT_LAN, "lladdr",
                   paired.client.link_mac(self.cdev), "dev", "h0", "nud", "permanent")
        if gro:
            # Frames redirected into a veth reach a peer that has no XDP
            # program only through GRO's NAPI.
            self.ns.run("ethtool", "-K", "h0", "gro", "on")


class Paired:
    def __init__(self, bench, labs, args):
        """bench: throughput.Bench (its client namespace, loadgen, and the
        sequential runs' settings); labs: three labs of their own, one per
        thingsd and one for the rest; args: the command line's."""
        self.b, self.args = bench, args
        self.client = bench.client
        self.server_addr = L.HOST_LAN
        smoke = SMOKE if args.smoke else {}
        self.rounds = smoke.get("rounds", args.pair_rounds)
        self.slice_ms = smoke.get("slice_ms", args.pair_slice_ms)
        self.curve = smoke.get("curve", CURVE)
        self.curve_rounds = smoke.get("curve_rounds", CURVE_ROUNDS)
        self.curve_slice_ms = smoke.get("curve_slice_ms", CURVE_SLICE_MS)
        lab_t, lab_a, lab = labs
        self.lab = lab
        self.srv = {"things": Server(self, lab_t, "things"), "apps": Server(self, lab_a, "apps"),
                    "minimal": Server(self, lab, "minimal"),
                    "kernel": Server(self, lab, "kernel", gro=True),
                    "ndppd": Server(self, lab, "ndppd", gro=True),
                    "curve": Server(self, lab, "curve")}
        self.things = lab_t.thingsd(self.srv["things"].ns, L.DEMO_APPS)
        self.apps = lab_a.thingsd(self.srv["apps"].ns, bench.apps_conf(lab_a))
        self.minimal_pin = "%s/things-%s-pminimal-%s" % (L.BPFFS, lab.tag, lab.suffix)
        lab.undo.append(lambda: L.sh("rm", "-f", self.minimal_pin, check=False))
        self.b.nsenter(self.srv["minimal"].ns, bench.loadgen, "minimal", "--build", bench.build,
                       "--dev", "h0", "--pin", self.minimal_pin)
        for net in (L.ROUTED, L.ONLINK):
            self.srv["kernel"].ns.ip("-6", "route", "add", "local", str(net), "dev", "lo")
        conf = os.path.join(lab.tmp, "ndppd.conf")
        with open(conf, "w") as f:
            f.write("proxy h0 {\n    rule %s {\n        static\n    }\n}\n" % L.ONLINK)
        with open(os.path.join(lab.tmp, "ndppd.log"), "w") as out:
            self.ndppd = self.srv["ndppd"].ns.popen("ndppd", "-c", conf, stdout=out,
                                                     stderr=subprocess.STDOUT)
        lab.undo.append(lambda: bench.end_process(self.ndppd))

    def side(self, server, kind):
        """loadgen pairs' --side for a request to a server."""
        gen_kind, prefix = self.b.request(kind)
        spec = "dev=%s,kind=%s,prefix=%s,src=%s,canvas=%dx%d" % (
            self.srv[server].cdev, gen_kind, prefix, L.CLIENT_LAN, CANVAS_SIDE, CANVAS_SIDE)
        if gen_kind != "ns":
            spec += ",mac=%s" % self.srv[server].mac
        if gen_kind == "board":
            spec += ",first-text=%d" % self.b.text_next
        return spec

    def pair(self, a, b, rounds=None, slice_ms=None, drain_ms=DRAIN_MS):
        """Sides a and b, (server, request) each, in turns: their rates
        round by round (replies seen a second; requests sent for a silent
        app, which sends none) and the ratio a / b of each round."""
        out = json.loads(self.b.nsenter(
            self.client, self.b.loadgen, "pairs", "--build", self.b.build,
            "--side", self.side(*a), "--side", self.side(*b), "--idle-dev", "gi0",
            "--idle-dev", "gi1", "--rounds", str(rounds or self.rounds),
            "--slice-ms", str(slice_ms or self.slice_ms), "--drain-ms", str(drain_ms),
            "--cpu", str(self.args.cpu), timeout=600).stdout)
        for i, (server, kind) in enumerate((a, b)):
            if kind == "board" and out["text_next"][i] is not None:
                self.b.text_next = max(self.b.text_next, out["text_next"][i])
        res = {"a": {"server": a[0], "request": a[1]}, "b": {"server": b[0], "request": b[1]},
               "rounds": []}
        for p in out["pairs"]:
            rates = []
            for side, (server, kind) in zip(("a", "b"), (a, b)):
                s = p[side]
                silent = kind == "canvas-silent"
                rates.append((s["sent"] if silent else s["seen"]) / s["seconds"])
            res["rounds"].append({"a": p["a"], "b": p["b"], "rate_a": rates[0],
                                  "rate_b": rates[1],
                                  "ratio": rates[0] / rates[1] if rates[1] else None})
        res["rate_a"] = spread([r["rate_a"] for r in res["rounds"]])
        res["rate_b"] = spread([r["rate_b"] for r in res["rounds"]])
        res["ratio"] = spread([r["ratio"] for r in res["rounds"] if r["ratio"] is not None])
        res["sent"] = [sum(r[s]["sent"] for r in res["rounds"]) for s in ("a", "b")]
        res["seen"] = [sum(r[s]["seen"] for r in res["rounds"]) for s in ("a", "b")]
        return res

    def app_changes(self):
        """What the apps' thingsd counted as done, by reason."""
        stats = self.apps.ctl_json("stats")
        return {r: c["packets"] for r, c in stats["reasons"].items()}

    def run_peers(self):
        results = []
        for kind, own, peer, least in PEER_PAIRS:
            self.b.log("pairs: %s, %s against %s" % (kind, own, peer))
            res = self.pair((own, kind), (peer, kind),
                            drain_ms=NDPPD_DRAIN_MS if peer == "ndppd" else DRAIN_MS)
            res["least"] = least
            res["met"] = res["ratio"] is not None and res["ratio"]["median"] >= least
            results.append(res)
        return results

    def run_apps(self):
        results = []
        for kind, least in APP_PAIRS:
            self.b.log("pairs: %s against the same thingsd's echo" % kind)
            before = self.app_changes()
            res = self.pair(("apps", kind), ("apps", "echo"))
            after = self.app_changes()
            reason = {"board": "board-posted", "te": "tx-time-exceeded"}.get(kind,
                                                                          "canvas-painted")
            res["changed"] = after.get(reason, 0) - before.get(reason, 0)
            res["least"] = least
            res["met"] = least is None or (res["ratio"] is not None and
                                           res["ratio"]["median"] >= least)
            results.append(res)
        return results

    def run_curve(self):
        points = []
        ns = self.srv["curve"].ns
        for n in self.curve:
            self.b.log("pairs: things_xdp with %d prefixes against the minimal responder" % n)
            size = json.loads(self.b.nsenter(ns, self.b.loadgen, "things", "--build",
                                             self.b.build, "--dev", "h0", "--prefixes",
                                             str(n), timeout=600).stdout)
            try:
                point = {"prefixes": n, "size": size}
                for kind in ("echo", "ns"):
                    point[kind] = self.pair(("curve", kind), ("minimal", kind),
                                            self.curve_rounds, self.curve_slice_ms)
            finally:
                ns.ip("link", "set", "dev", "h0", "xdp", "off")
            points.append(point)
        return points

    def run(self):
        return {"rounds": self.rounds, "slice_ms": self.slice_ms, "peers": self.run_peers(),
                "apps": self.run_apps(),
                "curve": {"rounds": self.curve_rounds, "slice_ms": self.curve_slice_ms,
                          "points": self.run_curve()}}

