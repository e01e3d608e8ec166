"""Board, tree and canvas end to end: thingsd in a namespace, iputils ping and
things-ping from a client, thingsctl's views, and Pillow as the judge of the
canvas. The state must outlive restarts and reloads."""
import os
import random
import re
import signal
import time

import pytest
from PIL import Image

import lab as L
from lab import wait_for

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

THINGS_PING = os.path.join(L.BUILD, "things-ping")
BOARD = "2001:db8:1:b0a::/64"
TREE = "2001:db8:1:7ee::/80"
CANVAS = "2001:db8:1:ca5::/64"

APPS = L.DEMO_APPS + """
[app board]
kind = board
prefix = %s
lines = 8

[app tree]
kind = tree
prefix = %s
lights = 5

[app canvas]
kind = canvas
prefix = %s
width = 64
height = 48
""" % (BOARD, TREE, CANVAS)


@pytest.fixture
def apps():
    with L.Lab("ap") as lab:
        client, router, host = L.lan_topology(lab)
        d = lab.thingsd(host, APPS)
        yield lab, client, router, host, d


def ping(ns, addr, *extra):
    return ns.run("ping", "-6", "-n", "-c", "1", "-W", "2", *extra, addr, check=False,
                  timeout=15)


def things_ping(ns, *args, check=True):
    return L.sh("nsenter", "--net=" + ns.path, THINGS_PING, *args, check=check, timeout=60)


def board(d):
    return d.ctl_json("board", "show", "board")


def lights(d):
    return [l["colour"] for l in d.ctl_json("tree", "show", "tree")]


def export(lab, d, name="canvas"):
    path = os.path.join(lab.tmp, "%s-%d.png" % (name, random.randrange(1 << 30)))
    d.ctl("canvas", "export", name, path)
    return Image.open(path).convert("RGB")


def test_board_takes_awesome_and_refuses_unprintable(apps):
    lab, client, router, host, d = apps
    awesome = "2001:db8:1:b0a:4177:6573:6f6d:6521"
    assert ping(client, awesome).returncode == 0
    # Unprintable: answered (the address is ours) but never posted.
    assert ping(client, "2001:db8:1:b0a:102:304:506:708").returncode == 0
    # A bad checksum is neither posted nor answered; the kernel counts it.
    msgs = board(d)
    assert [(m["text"], m["source"]) for m in msgs] == [("Awesome!", L.CLIENT_LAN)]
    assert msgs[0]["seq"] == 1 and msgs[0]["time"].endswith("Z")
    # The same text again is not posted twice in a row; another is.
    assert ping(client, awesome).returncode == 0
    things_ping(client, "board", BOARD, "Hello")
    assert wait_for(lambda: [m["text"] for m in board(d)] == ["Hello", "Awesome!"])
    stats = d.ctl_json("stats")["reasons"]
    assert stats["board-posted"]["packets"] == 2
    assert stats["board-repeat"]["packets"] == 1
    assert stats["board-unprintable"]["packets"] == 1


def test_tree_lights_red_and_green(apps):
    lab, client, router, host, d = apps
    assert ping(client, "2001:db8:1:7ee::ff:0:0").returncode == 0
    assert ping(client, "2001:db8:1:7ee::0:ff:0").returncode == 0
    assert lights(d) == ["#ff0000", "#00ff00", None, None, None]
    # A group past 0xff is no colour: answered, lights nothing.
    assert ping(client, "2001:db8:1:7ee::100:0:0").returncode == 0
    things_ping(client, "tree", TREE, "#0000ff")
    things_ping(client, "tree", TREE, "white")
    things_ping(client, "tree", TREE, "yellow")
    things_ping(client, "tree", TREE, "#123456")
    # Five lights: the sixth wraps round to the first.
    assert wait_for(lambda: lights(d) == ["#123456", "#00ff00", "#0000ff", "#ffffff", "#ffff00"])
    assert d.ctl_json("stats")["reasons"]["tree-bad-colour"]["packets"] == 1


def pattern(w, h):
    img = Image.new("RGBA", (w, h))
    for y in range(h):
        for x in range(w):
            img.putpixel((x, y), ((x * 8) & 255, (y * 8) & 255, (x * y) & 255, 255))
    return img


def test_canvas_paints_an_image_pixel_exact(apps):
    lab, client, router, host, d = apps
    src = os.path.join(lab.tmp, "img.png")
    pattern(32, 32).save(src)
    things_ping(client, "canvas", CANVAS, src, "--at", "10,5")
    expect = Image.new("RGB", (64, 48))
    expect.paste(pattern(32, 32).convert("RGB"), (10, 5))

    def painted():
        got = export(lab, d)
        return got.size == (64, 48) and list(got.getdata()) == list(expect.getdata())
    wait_for(painted, what="the exported canvas differs from the painted image")
    # Silent by default: a painter gets no replies.
    assert d.ctl_json("stats")["reasons"]["canvas-painted"]["packets"] == 1024
    assert d.ctl_json("stats")["reasons"]["tx-echo-reply"]["packets"] == 0
    # Off the canvas: counted, nothing painted.
    things_ping(client, "canvas", CANVAS, src, "--at", "60,0")
    assert d.ctl_json("stats")["reasons"]["canvas-out-of-range"]["packets"] == 28 * 32


def test_canvas_blends_by_alpha(apps):
    lab, client, router, host, d = apps
    base = "2001:db8:1:ca5:3:4:"
    # The canvas is silent: these pings get no reply, and paint.
    assert ping(client, base + "c864:ff").returncode != 0   # (200, 100, 0), opaque
    assert wait_for(lambda: export(lab, d).getpixel((3, 4)) == (0xc8, 0x64, 0x00))
    ping(client, base + "0:ff80")       # blue at alpha 0x80
    ping(client, base + "ffff:ff00")    # alpha 0: leaves it
    want = tuple((n * 0x80 + o * (255 - 0x80)) // 255 for n, o in
                 zip((0, 0, 0xff), (0xc8, 0x64, 0)))
    assert wait_for(lambda: export(lab, d).getpixel((3, 4)) == want)


def test_one_source_flooding_does_not_stop_another(apps):
    lab, client, router, host, d = apps
    d.write_conf(APPS.replace("height = 48\n", "height = 48\nrate = 50\nburst = 50\n"
                              "rate_prefix = 128\n"))
    d.send_signal(signal.SIGHUP)
    assert wait_for(lambda: any(a["name"] == "canvas" for a in d.ctl_json("app", "list")))
    time.sleep(0.5)
    second = "2001:db8:ff::200"
    client.ip("addr", "add", second + "/64", "dev", "c0", "nodad")
    src = os.path.join(lab.tmp, "flood.png")
    Image.new("RGBA", (64, 16), (255, 0, 0, 255)).save(src)
    things_ping(client, "canvas", CANVAS, src, "-S", L.CLIENT_LAN, "--count", "5")
    limited = d.ctl_json("stats")["reasons"]["app-rate-limited"]["packets"]
    assert limited >= 64 * 16 * 5 - 200, limited
    # The flooder is over its rate; the second source still paints.
    dot = os.path.join(lab.tmp, "dot.png")
    Image.new("RGBA", (4, 4), (0, 255, 0, 255)).save(dot)
    things_ping(client, "canvas", CANVAS, dot, "-S", second, "--at", "30,30")
    assert wait_for(lambda: export(lab, d).getpixel((31, 31)) == (0, 255, 0))


def test_state_outlives_restart_and_reload(apps):
    lab, client, router, host, d = apps
    things_ping(client, "board", BOARD, "Awesome!")
    things_ping(client, "tree", TREE, "red")
    src = os.path.join(lab.tmp, "img.png")
    pattern(16, 16).save(src)
    things_ping(client, "canvas", CANVAS, src)
    assert wait_for(lambda: [m["text"] for m in board(d)] == ["Awesome!"])
    canvas = list(export(lab, d).getdata())
    tree = lights(d)

    d.stop()
    d.start()
    assert [m["text"] for m in board(d)] == ["Awesome!"]
    assert lights(d) == tree and list(export(lab, d).getdata()) == canvas

    d.send_signal(signal.SIGHUP)
    time.sleep(1)
    assert [m["text"] for m in board(d)] == ["Awesome!"]
    assert lights(d) == tree and list(export(lab, d).getdata()) == canvas

    # A board's lines changed: that board starts again, nothing else does.
    d.write_conf(APPS.replace("lines = 8", "lines = 4"))
    d.send_signal(signal.SIGHUP)
    assert wait_for(lambda: board(d) == [])
    assert lights(d) == tree and list(export(lab, d).getdata()) == canvas
    # A canvas's size changed: a new, black canvas of the new size.
    d.write_conf(APPS.replace("lines = 8", "lines = 4").replace("width = 64", "width = 40"))
    d.send_signal(signal.SIGHUP)
    assert wait_for(lambda: export(lab, d).size == (40, 48))
    assert set(export(lab, d).getdata()) == {(0, 0, 0)}
    assert lights(d) == tree


def test_silent_board_takes_posts_without_replies(apps):
    lab, client, router, host, d = apps
    d.ctl("app", "add", "quiet", "kind", "board", "prefix", "2001:db8:1:b0b::/64", "silent",
          "lines", "3")
    assert ping(client, "2001:db8:1:b0b:4869::").returncode != 0
    assert [m["text"] for m in d.ctl_json("board", "show", "quiet")] == ["Hi"]


def test_app_settings_are_shown(apps):
    lab, client, router, host, d = apps
    shown = {a["name"]: a.get("settings") for a in d.ctl_json("app", "list")}
    assert shown["board"] == {"lines": 8}
    assert shown["tree"] == {"lights": 5}
    assert shown["canvas"] == {"width": 64, "height": 48}
    assert shown["routed"] == {}
    text = d.ctl("app", "show", "canvas").stdout
    assert re.search(r"^width +64$", text, re.M) and re.search(r"^height +48$", text, re.M), text
    # The same from the pins alone, thingsd stopped.
    d.stop()
    assert {a["name"]: a.get("settings") for a in d.ctl_json("app", "list")} == shown


LAYOUTS = [
    ("board", "2001:db8:1:b0a::/72", "a board reads the low 64 bits of the address: its prefix "
     "must be /64 or shorter"),
    ("canvas", "2001:db8:1:ca5:8000::/65", "/64 or shorter"),
    ("tree", "2001:db8:1:7ee::/96", "a tree reads the low 48 bits of the address: its prefix "
     "must be /80 or shorter"),
]


@pytest.mark.parametrize("kind,prefix,why", LAYOUTS)
def test_layout_that_does_not_fit_the_prefix(tmp_path, kind, prefix, why):
    conf = tmp_path / "l.conf"
    conf.write_text("[app a]\nkind = %s\nprefix = %s\n" % (kind, prefix))
    res = L.sh(L.THINGSD, "--check", str(conf), check=False)
    assert res.returncode == 2 and res.stderr.startswith("%s:3: app 'a': " % conf), res.stderr
    assert why in res.stderr, res.stderr


@pytest.mark.parametrize("text,line,why", [
    ("kind = canvas\nprefix = 2001:db8::/64\nwidth = 4097\n", 4, "width must be a whole number from 1 to 4096"),
    ("kind = board\nprefix = 2001:db8::/64\nlines = 257\n", 4, "lines must be a whole number from 1 to 256"),
    ("kind = tree\nprefix = 2001:db8::/80\nlights = 0\n", 4, "lights must be a whole number from 1 to 1024"),
    ("kind = tree\nprefix = 2001:db8::/80\nburst = 5\n", 4, "burst needs rate = N"),
    ("kind = echo\nprefix = 2001:db8::/64\nrate = 5\n", 4, "rate does not apply to kind echo"),
    ("kind = board\nprefix = 2001:db8::/64\nwidth = 5\n", 4, "width does not apply to kind board"),
    ("kind = canvas\nprefix = 2001:db8::/64\nrate = 10\nrate_prefix = 129\n", 5, "rate_prefix must be"),
])
def test_app_keys_are_checked(tmp_path, text, line, why):
    conf = tmp_path / "k.conf"
    conf.write_text("[app a]\n" + text)
    res = L.sh(L.THINGSD, "--check", str(conf), check=False)
    assert res.returncode == 2 and res.stderr.startswith("%s:%d: " % (conf, line)), res.stderr
    assert why in res.stderr, res.stderr


def test_runtime_apps_take_every_key(apps):
    lab, client, router, host, d = apps
    d.ctl("app", "add", "small", "kind", "canvas", "prefix", "2001:db8:1:ca6::/64", "width", "8",
          "height", "4", "silent", "no", "rate", "100", "burst", "10", "rate_prefix", "56")
    app = {a["name"]: a for a in d.ctl_json("app", "list")}["small"]
    assert app["settings"] == {"width": 8, "height": 4, "rate": 100, "burst": 10,
                               "rate_prefix": 56}
    assert app["silent"] is False
    # Answered, since silent no; painted; off the 8 x 4 canvas, not.
    assert ping(client, "2001:db8:1:ca6:7:3:ff00:ff").returncode == 0
    assert ping(client, "2001:db8:1:ca6:8:0:ff00:ff").returncode == 0
    img = export(lab, d, "small")
    assert img.size == (8, 4) and img.getpixel((7, 3)) == (255, 0, 0)
    bad = d.ctl("app", "add", "big", "kind", "canvas", "prefix", "2001:db8:1:ca7::/64",
                "width", "5000", check=False)
    assert bad.returncode == 1 and "width must be a whole number from 1 to 4096" in bad.stderr
    # And they come back after a restart, settings and all.
    d.stop()
    d.start()
    assert {a["name"]: a for a in d.ctl_json("app", "list")}["small"]["settings"] == \
        app["settings"]
