"""`make demo` must keep working: run its script with no idle time."""
import os
import re
import subprocess

import lab as L


def test_demo_runs_and_cleans_up():
    env = dict(os.environ, DEMO_SECONDS="0")
    res = subprocess.run(["/usr/bin/python3", os.path.join(L.REPO, "examples", "demo.py")],
                         capture_output=True, text=True, timeout=300, env=env)
    out = res.stdout
    assert res.returncode == 0, out + res.stderr
    # four random addresses of the /48, and the board's "Hi from!"
    assert out.count("64 bytes from 2001:db8:1:") == 5, out
    assert out.count("64 bytes from 2001:db8:2:3:") == 4, out
    assert "Target link-layer address:" in out, out
    assert "tx-echo-reply" in out and "tx-na" in out, out
    # The apps: the board shows both posts, the tree its two lights, and
    # the canvas export is a PNG of the canvas's size with the picture on it.
    assert "Awesome!" in out and "Hi from!" in out, out
    assert "#ff0000" in out and "#00ff00" in out, out
    from PIL import Image
    img = Image.open(os.path.join(L.BUILD, "demo-canvas.png")).convert("RGB")
    assert img.size == (64, 64)
    assert img.getpixel((20 + 12, 20 + 12)) == (40, 90, 220)
    assert img.getpixel((0, 0)) == (0, 0, 0)
    # The story: traceroute shows every line's name in order, then the
    # destination; the haiku the address 1, 2, 3 picks.
    poem = ["two.roads.diverged.in.a.yellow.wood", "and.sorry.i.could.not.travel.both",
            "and.be.one.traveler.long.i.stood", "and.looked.down.one.as.far.as.i.could",
            "to.where.it.bent.in.the.undergrowth"]
    hops = re.findall(r"^\s*(\d+)\s+(\S+) \((\S+)\)", out, re.M)
    assert [h[1] for h in hops[1:6]] == poem, out
    assert hops[6][2] == "2001:db8:1:5707::1", out
    assert [h[1] for h in hops[8:11]] == ["over.the.wintry.forest", "is.moved.to.another.candle",
                                        "a.lovely.sunset"], out
    assert "tx-time-exceeded" in out, out
    # The web view: its URL, and a page served to the client.
    assert "web view: http://[2001:db8:ff::2]:8080/" in out, out
    assert "200 text/html; charset=utf-8" in out, out
    assert "things-demo-" not in subprocess.run(["ip", "netns", "list"], capture_output=True,
                                                text=True).stdout
    assert not os.path.exists(L.BPFFS + "/things-demo")
