# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""Differential fuzzing of the data plane, the short run: 100,000 random
and mutated frames through the program and through the model
(tests/fuzz_dataplane.py; `make fuzz-dataplane SECONDS=...` runs longer).
A disagreement fails and is saved as a fixture that the selftests replay."""

import ipaddress
import os
import random
from pathlib import Path

import dataplane_model as M
import fuzz_dataplane as F

FRAMES = int(os.environ.get("THINGS_FUZZ_FRAMES", "100000"))


def test_program_and_model_agree():
    seed = random.SystemRandom().getrandbits(32)
    res = F.fuzz(frames=FRAMES, seed=seed, log=lambda *a: None)
    shown = "\n".join(f"{f.hex()}\n  " + "\n  ".join(d[:400] for d in diff)
                      for f, diff in res["mismatches"][:5])
    assert not res["mismatches"], (
        f"seed {seed}: {len(res['mismatches'])} of {res['frames']} frames disagree; "
        f"saved {res['saved']}\n{shown}")
    assert res["frames"] == FRAMES
    # The run reached every kind of answer and most ways to refuse one.
    for reason in ("tx-echo-reply", "tx-na", "tx-na-dad", "tx-time-exceeded",
                   "tx-port-unreachable", "board-posted", "tree-lit", "canvas-painted",
                   "drop-silent", "ns-checksum", "app-checksum", "pass-truncated"):
        assert res["reasons"].get(reason, 0) > 0, (reason, res["reasons"])
    assert len(res["reasons"]) >= 38, sorted(res["reasons"])
    assert res["judged"] >= FRAMES // 200


def test_fixtures_are_what_the_model_says():
    """Every saved fixture still states the model's answer, so the
    selftests that replay them judge the program by the model."""
    files = sorted(F.FIXTURES.glob("*.txt"))
    assert files, F.FIXTURES
    for path in files:
        fields = dict(line.split(" ", 1) for line in path.read_text().splitlines()
                      if line and not line.startswith("#"))
        frame = bytes.fromhex(fields["in"])
        want = M.Model().run(frame)
        out = want.out.hex() if want.out is not None else "same"
        assert (fields["verdict"], fields["out"], fields["reason"], int(fields["app"])) == \
            (want.verdict, out, want.reason, want.app), path.name


def test_model_sees_a_known_answer():
    """The model itself, against an answer scapy built: an echo request to
    the board app posts its text and is answered."""
    from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6
    from scapy.layers.l2 import Ether
    req = Ether(dst=F.IFACE_MAC, src=F.PEER_MAC) / IPv6(
        src=F.PEER, dst="2001:db8:10::4177:6573:6f6d:6521") / ICMPv6EchoRequest(id=7, seq=9)
    want = M.Model().run(bytes(req))
    assert (want.verdict, want.reason, want.app) == ("XDP_TX", "board-posted", 7)
    rep = Ether(want.out)
    assert ipaddress.IPv6Address(rep[IPv6].src) == ipaddress.IPv6Address(
        "2001:db8:10::4177:6573:6f6d:6521") and rep[IPv6].dst == F.PEER
    assert rep.haslayer(ICMPv6EchoReply) and rep[ICMPv6EchoReply].id == 7
    sent = rep[ICMPv6EchoReply].cksum
    del rep[ICMPv6EchoReply].cksum
    assert Ether(bytes(rep))[ICMPv6EchoReply].cksum == sent
    assert want.state["7"]["last"] == b"Awesome!".hex()
    assert Path(F.FIXTURES).is_dir()
