# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Runs packets through the XDP program with build/xdp-testrun.

One subprocess per batch: the object is loaded and the maps are filled once,
then every packet goes through BPF_PROG_TEST_RUN in order. Each result
carries the counters that its packet alone moved, so a batch of unrelated
cases still tells which reason belongs to which packet.
"""

import subprocess
from pathlib import Path
from typing import NamedTuple

from scapy.layers.l2 import Ether

import lab as L

REPO = Path(__file__).resolve().parent.parent
BUILD = Path(L.BUILD)
TESTRUN = BUILD / "xdp-testrun"
BPF_OBJ = BUILD / "things.bpf.o"


class Result(NamedTuple):
    verdict: str   # "XDP_TX", "XDP_PASS", ...
    frame: Ether   # the output frame, dissected by scapy
    raw: bytes     # the output frame, byte for byte
    reasons: dict  # reason name -> packets, for this packet alone
    apps: dict     # (app id, action name) -> packets, for this packet alone


class Batch(NamedTuple):
    results: list  # one Result per packet, in order
    reasons: dict  # totals at the end of the batch
    apps: dict


def _counter(token):
    """'reason=NAME:N' -> ('reason', NAME, N); 'app=ID:ACT:N' -> ('app', (ID, ACT), N)."""
    kind, _, value = token.partition("=")
    if kind == "reason":
        name, n = value.rsplit(":", 1)
        return kind, name, int(n)
    if kind == "app":
        app, act, n = value.split(":")
        return kind, (int(app), act), int(n)
    raise ValueError(f"unexpected token {token!r} in xdp-testrun output")


def run(packets, prefixes=(), ifaces=(), ifindex=None, fast=False, apps=(), stories=(),
        lines=()):
    """Runs packets (scapy packets or bytes) and returns a Batch.

    prefixes: "PREFIX,app=ID,kind=KIND[,onlink][,silent][,router]" strings;
    ifaces: "IFINDEX,MAC" strings; ifindex: the ingress interface; fast:
    the prefixes also in the fast table, as thingsd puts a few of them;
    apps: "ID,SETTING=N..." strings, each app's app_cfg (and framebuffer);
    stories: "DEST,app=ID,story=N,hops=N[,bits=N]" strings, trace stories;
    lines: "APP,STORY,SLOT,ADDR[,NAME]" strings, their line slots.
    """
    args = [str(TESTRUN), "--obj", str(BPF_OBJ), "--stats", "--stats-each"]
    if fast:
        args.append("--fast")
    for spec in prefixes:
        args += ["--prefix", spec]
    for spec in ifaces:
        args += ["--iface", spec]
    for spec in apps:
        args += ["--app", spec]
    for spec in stories:
        args += ["--story", spec]
    for spec in lines:
        args += ["--line", spec]
    if ifindex is not None:
        args += ["--ifindex", str(ifindex)]
    stdin = "".join(bytes(p).hex() + "\n" for p in packets)
    proc = subprocess.run(args, input=stdin, capture_output=True, text=True,
                          timeout=60, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} exited with {proc.returncode}:\n"
                           f"{proc.stderr.strip()}")

    lines = proc.stdout.splitlines()
    if len(lines) < len(packets):
        raise RuntimeError(f"xdp-testrun answered {len(lines)} of {len(packets)} packets")
    results = []
    for line in lines[:len(packets)]:
        verdict, hexframe, *tokens = line.split(" ")
        raw = bytes.fromhex(hexframe)
        counted = {"reason": {}, "app": {}}
        for token in tokens:
            kind, key, n = _counter(token)
            counted[kind][key] = n
        results.append(Result(verdict, Ether(raw), raw, counted["reason"], counted["app"]))

    reasons, apps = {}, {}
    for line in lines[len(packets):]:
        fields = line.split()
        if fields[0] == "reason" and len(fields) == 3:
            reasons[fields[1]] = int(fields[2])
        elif fields[0] == "app" and len(fields) == 4:
            apps[(int(fields[1]), fields[2])] = int(fields[3])
        else:
            raise RuntimeError(f"unexpected line in xdp-testrun output: {line!r}")
    return Batch(results, reasons, apps)
