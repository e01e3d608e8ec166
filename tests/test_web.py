# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""things-web end to end: thingsd and things-web in a namespace, real pings
from a client, and independent judges: Debian's headless Chromium (through
Selenium) for the pages, Pillow for the pixels, promtool for /metrics,
thingsctl for the numbers and the JSON, wrk and a client of our own for
many viewers at once, and the kernel for read-only access: things-web runs
as nobody with CAP_BPF and CAP_DAC_READ_SEARCH only, so a pin opened for
writing would fail.

The browser and the HTTP clients run in the host namespace too (the server
listens there only): a thread that has entered the namespace makes their
sockets and starts their processes there.
"""
import asyncio
import concurrent.futures
import ctypes
import functools
import http.client
import io
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pytest
from PIL import Image

import lab as L

from test_apps import APPS, BOARD, CANVAS, TREE

# Pages and browsers take their time on a busy machine.
wait_for = functools.partial(L.wait_for, timeout=15)

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")

THINGS_WEB = os.path.join(L.BUILD, "things-web")
THINGS_PING = os.path.join(L.BUILD, "things-ping")
DOCS_SHOT = os.path.join(L.REPO, "docs", "things-web.png")
STILL = "2001:db8:1:ca6::/64"
# The apps of test_apps: a board of 8 lines, a tree of 5 lights, a canvas.
W, H = 64, 48
LIGHTS = 5
# The canvas's quadrants, painted by the first test.
QUADRANTS = ((230, 57, 70), (42, 157, 143), (233, 196, 106), (69, 123, 157))
# The only privileges things-web gets: bpf() and reading any file.
CAPS = "-all,+bpf,+dac_read_search"
NOBODY = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
          "--inh-caps=" + CAPS, "--ambient-caps=" + CAPS, "--bounding-set=" + CAPS)
CHROMIUM_ARGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--hide-scrollbars",
                 "--force-device-scale-factor=1", "--force-color-profile=srgb")

_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def _enter(path):
    fd = os.open(path, os.O_RDONLY)
    try:
        if _libc.setns(fd, CLONE_NEWNET):
            err = ctypes.get_errno()
            raise OSError(err, "setns %s: %s" % (path, os.strerror(err)))
    finally:
        os.close(fd)


class NsThread:
    """Runs callables in one thread that has entered a network namespace:
    the sockets it makes and the processes it starts live there."""

    def __init__(self, ns):
        self.pool = concurrent.futures.ThreadPoolExecutor(1, initializer=_enter,
                                                          initargs=(ns.path,))

    def __call__(self, fn, *args, **kw):
        return self.pool.submit(fn, *args, **kw).result()

    def close(self):
        self.pool.shutdown()


class Web:
    """things-web in a namespace, as nobody, on [::1]:port there."""

    def __init__(self, lab, ns, nst, pin_dir, port=8080, args=()):
        self.lab, self.ns, self.nst, self.port = lab, ns, nst, port
        self.pin_dir, self.args = pin_dir, args
        self.log_path = os.path.join(lab.tmp, "things-web-%d.log" % port)
        self.proc = None
        lab.undo.append(self.stop)
        self.start()

    def start(self):
        with open(self.log_path, "a") as log:
            self.proc = self.ns.popen(*NOBODY, THINGS_WEB, "--pin-dir", self.pin_dir,
                                      "--listen", "[::1]:%d" % self.port, *self.args,
                                      stdout=log, stderr=subprocess.STDOUT)
        deadline = time.time() + 10
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("things-web exited %d:\n%s" % (self.proc.returncode,
                                                                 self.read_log()))
            try:
                if self.get("/static/icon.svg")[0] == 200:
                    return
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("things-web not serving:\n" + self.read_log())
            time.sleep(0.05)

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode if self.proc else None

    def read_log(self):
        with open(self.log_path) as f:
            return f.read()

    @property
    def url(self):
        return "http://[::1]:%d" % self.port

    def get(self, path, method="GET", headers=None):
        """(status, headers, body), from inside the namespace."""
        def run():
            c = http.client.HTTPConnection("::1", self.port, timeout=30)
            try:
                c.request(method, path, headers=headers or {})
                r = c.getresponse()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
            finally:
                c.close()
        return self.nst(run)

    def json(self, path):
        status, _, body = self.get(path)
        assert status == 200, (path, status, body)
        return json.loads(body)

    def metrics(self):
        status, hdrs, body = self.get("/metrics")
        assert status == 200 and hdrs["content-type"].startswith("text/plain; version=0.0.4")
        return body.decode()

    def rss_kib(self):
        return L.rss_kb(self.proc.pid)


class Browser:
    """Chromium under chromedriver, both in the namespace; every call to the
    driver goes through the namespace's thread."""

    def __init__(self, nst, width=1280, height=1000):
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        self.nst = nst
        self.profile = tempfile.mkdtemp(prefix="things-web-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = shutil.which("chromium")
        for a in CHROMIUM_ARGS + ("--user-data-dir=" + self.profile,
                                  "--window-size=%d,%d" % (width, height)):
            opts.add_argument(a)
        self.driver = nst(lambda: webdriver.Chrome(
            service=Service(shutil.which("chromedriver")), options=opts))

    def __call__(self, fn, *args):
        return self.nst(fn, self.driver, *args)

    def open(self, url):
        self(lambda d: d.get(url))
        # the script has run and its stream is open: it says so in the
        # header; and the pictures are in
        wait_for(lambda: self.js("return document.getElementById('live').textContent") == "live",
                 what=url)
        wait_for(lambda: self.js("return Array.from(document.images)"
                                 ".every(i => i.complete && i.naturalWidth > 0)"), what=url)

    def js(self, script, *args):
        return self(lambda d: d.execute_script(script, *args))

    def screenshot(self):
        return Image.open(io.BytesIO(self(lambda d: d.get_screenshot_as_png()))).convert("RGB")

    def close(self):
        try:
            self(lambda d: d.quit())
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


class Site:
    """The LAN lab with thingsd serving apps and things-web beside it."""

    def __init__(self, lab, apps=APPS, web_args=()):
        self.lab = lab
        self.client, self.router, self.host = L.lan_topology(lab)
        self.d = lab.thingsd(self.host, apps)
        self.nst = NsThread(self.host)
        lab.undo.append(self.nst.close)
        self.web = Web(lab, self.host, self.nst, self.d.pin_dir, args=web_args)
        self._browser = None

    @property
    def browser(self):
        if not self._browser:
            self._browser = Browser(self.nst)
            self.lab.undo.append(self._browser.close)
        return self._browser

    def ping(self, addr):
        return self.client.run("ping", "-6", "-n", "-c", "1", "-W", "2", addr, check=False,
                               timeout=15)

    def things_ping(self, *args):
        return L.sh("nsenter", "--net=" + self.client.path, THINGS_PING, *args, timeout=120)

    def image(self, img):
        path = os.path.join(self.lab.tmp, "img-%d.png" % time.monotonic_ns())
        img.save(path)
        return path

    def reasons(self):
        return self.d.ctl_json("stats")["reasons"]

    def pins_ctl(self, *args):
        """thingsctl reading the pins, as it does when thingsd is down: the
        JSON shapes things-web's API has."""
        return json.loads(L.sh("nsenter", "--net=" + self.host.path, L.THINGSCTL,
                               "--run-dir", os.path.join(self.lab.tmp, "no-daemon"),
                               "--pin-dir", self.d.pin_dir, "-j", *args).stdout)


@pytest.fixture(scope="module")
def site():
    with L.Lab("web") as lab:
        yield Site(lab)


def quadrant_image():
    img = Image.new("RGBA", (W, H))
    for i, colour in enumerate(QUADRANTS):
        x, y = (i % 2) * W // 2, (i // 2) * H // 2
        img.paste(colour + (255,), (x, y, x + W // 2, y + H // 2))
    return img


def canvas_rect(b):
    return b.js("const r = document.querySelector('img[data-canvas]').getBoundingClientRect();"
                "return [r.left, r.top, r.width, r.height];")


def screen_pixel(shot, rect, x, y):
    """The screenshot's colour at the middle of canvas pixel (x, y)."""
    left, top, width, height = rect
    return shot.getpixel((int(left + (x + 0.5) * width / W), int(top + (y + 0.5) * height / H)))


def close_to(a, b, tol=3):
    return all(abs(p - q) <= tol for p, q in zip(a, b))


def test_pages_show_what_was_pinged(site):
    # A post, one of markup (shown as text), two lights and a picture.
    assert site.ping("2001:db8:1:b0a:4177:6573:6f6d:6521").returncode == 0  # "Awesome!"
    site.things_ping("board", BOARD, "<b>x&y")
    assert site.ping("2001:db8:1:7ee::ff:0:0").returncode == 0                # red
    site.things_ping("tree", TREE, "#00ff00")
    site.things_ping("canvas", CANVAS, site.image(quadrant_image()))
    assert wait_for(lambda: site.reasons()["canvas-painted"]["packets"] == W * H)
    b = site.browser

    b.open(site.web.url + "/canvas/canvas")
    rect = canvas_rect(b)
    assert rect[2] >= W and rect[3] >= H, rect
    shot = b.screenshot()
    for i, colour in enumerate(QUADRANTS):
        x0, y0 = (i % 2) * W // 2, (i // 2) * H // 2
        # near each quadrant's corners: the picture is where it should be
        for x, y in ((x0 + 2, y0 + 2), (x0 + W // 2 - 3, y0 + H // 2 - 3)):
            assert close_to(screen_pixel(shot, rect, x, y), colour), (i, x, y)

    b.open(site.web.url + "/board/board")
    texts = b.js("return Array.from(document.querySelectorAll('ol.msgs q'), q => q.textContent)")
    assert texts == ["<b>x&y", "Awesome!"]
    # markup in a message is text, never an element
    assert b.js("return document.querySelectorAll('ol.msgs q b').length") == 0
    nets = b.js("return Array.from(document.querySelectorAll('ol.msgs .net'), e => e.textContent)")
    assert nets == ["2001:db8:ff::/64"] * 2

    b.open(site.web.url + "/tree/tree")
    fills = b.js("return Array.from(document.querySelectorAll('svg.tree circle.light'),"
                 " c => c.getAttribute('fill'))")
    assert len(fills) == LIGHTS
    assert fills[:2] == ["#ff0000", "#00ff00"] and len(set(fills[2:])) == 1

    # On a phone's width nothing sticks out sideways.
    b(lambda d: d.set_window_size(390, 844))
    for page in ("/", "/board/board", "/tree/tree", "/canvas/canvas"):
        b.open(site.web.url + page)
        assert b.js("return document.documentElement.scrollWidth <= window.innerWidth"), page
    b(lambda d: d.set_window_size(1280, 1000))

    # The README's picture: the list of apps, with what each shows.
    assert site.ping("2001:db8:1::1").returncode == 0
    assert site.ping("2001:db8:2:3::1").returncode == 0
    b.open(site.web.url + "/")
    names = b.js("return Array.from(document.querySelectorAll('li.app'), e => e.dataset.app)")
    assert names == ["routed", "lan", "board", "tree", "canvas"]
    os.makedirs(os.path.dirname(DOCS_SHOT), exist_ok=True)
    b.screenshot().save(DOCS_SHOT, optimize=True)


def test_pages_follow_pings_without_reloading(site):
    b = site.browser
    marker = "mark-%d" % time.monotonic_ns()

    b.open(site.web.url + "/board/board")
    b.js("window.thingsMark = arguments[0]", marker)
    site.things_ping("board", BOARD, "Live!")
    assert wait_for(lambda: b.js("return document.querySelector('ol.msgs q').textContent")
                    == "Live!")
    assert b.js("return window.thingsMark") == marker, "the page was reloaded"

    b.open(site.web.url + "/tree/tree")
    lit = int(b.js("return document.querySelector('[data-lit]').textContent"))
    b.js("window.thingsMark = arguments[0]", marker)
    site.things_ping("tree", TREE, "#0000ff")
    assert wait_for(lambda: b.js("return document.querySelector("
                                 "'circle[data-i=\"%d\"]').getAttribute('fill')" % (lit % LIGHTS))
                    == "#0000ff")
    assert b.js("return window.thingsMark") == marker, "the page was reloaded"

    b.open(site.web.url + "/canvas/canvas")
    b.js("window.thingsMark = arguments[0]", marker)
    rect = canvas_rect(b)
    dot = Image.new("RGBA", (8, 8), (255, 0, 255, 255))
    site.things_ping("canvas", CANVAS, site.image(dot), "--at", "28,20")
    assert wait_for(lambda: close_to(screen_pixel(b.screenshot(), rect, 31, 23), (255, 0, 255)))
    assert b.js("return window.thingsMark") == marker, "the page was reloaded"

    # The list of apps counts along.
    b.open(site.web.url + "/")
    before = int(b.js("return document.querySelector("
                      "'li[data-app=\"routed\"] dd[data-action=\"echo-reply\"]').textContent"))
    b.js("window.thingsMark = arguments[0]", marker)
    assert site.ping("2001:db8:1::7").returncode == 0
    assert wait_for(lambda: int(b.js(
        "return document.querySelector('li[data-app=\"routed\"] "
        "dd[data-action=\"echo-reply\"]').textContent")) == before + 1)
    assert b.js("return window.thingsMark") == marker, "the page was reloaded"


# ---- metrics ----

SERIES = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse_metrics(text):
    """[(name, {label: value}, float)] of every sample."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SERIES.match(line)
        assert m, line
        out.append((m.group(1), dict(LABEL.findall(m.group(2) or "")), float(m.group(3))))
    return out


def quiet(ref, read):
    """read() while nothing changes: ref() (thingsctl's view) is the same
    before and after it. Returns (what ref returned, what read returned)."""
    for _ in range(50):
        before = ref()
        got = read()
        if ref() == before:
            return before, got
        time.sleep(0.2)
    raise AssertionError("the data plane never stayed quiet for a read")


def test_metrics_pass_promtool_and_equal_thingsctl(site):
    site.ping("2001:db8:1::99")
    stats, text = quiet(lambda: site.d.ctl_json("stats"), site.web.metrics)
    check = subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                           text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    samples = parse_metrics(text)

    for unit in ("packets", "bytes"):
        series = [(lab, v) for name, lab, v in samples if name == "things_%s_total" % unit]
        for reason, c in stats["reasons"].items():
            assert sum(v for lab, v in series if lab["reason"] == reason) == c[unit], reason
        assert sum(v for _, v in series) == stats["total"][unit]
        for app in stats["apps"]:
            for action, c in app["counters"].items():
                assert sum(v for lab, v in series if lab["app"] == app["name"] and
                           lab["action"] == action) == c[unit], (app["name"], action)

    def one(name, **labels):
        vals = [v for n, lab, v in samples if n == name and lab == labels]
        assert len(vals) == 1, (name, labels)
        return vals[0]
    board = site.pins_ctl("board", "show", "board")
    assert one("things_board_posts_total", app="board") == board[0]["seq"]
    assert one("things_board_lines", app="board") == 8
    lights = site.pins_ctl("tree", "show", "tree")
    assert one("things_tree_lights_on", app="tree") == sum(1 for l in lights if l["colour"])
    assert one("things_tree_lights", app="tree") == LIGHTS
    assert one("things_canvas_width_pixels", app="canvas") == W
    assert one("things_canvas_pixels_painted_total", app="canvas") == \
        stats["reasons"]["canvas-painted"]["packets"]
    mac = site.host.link_mac("h0")
    infos = [lab for n, lab, v in samples if n == "things_interface_info"]
    assert [(i["interface"], i["mac"]) for i in infos] == [("h0", mac)]
    assert one("things_interface_xdp_attached", interface="h0") == 1
    assert [n for n, _, _ in samples].count("things_web_build_info") == 1


def test_api_has_thingsctl_shapes(site):
    # The same JSON as thingsctl -j reading the same pins.
    for path, args in (("/api/apps", ("app", "list")), ("/api/stats", ("stats",)),
                       ("/api/ifaces", ("iface", "list")),
                       ("/api/board/board", ("board", "show", "board")),
                       ("/api/tree/tree", ("tree", "show", "tree"))):
        ctl, api = quiet(lambda: site.pins_ctl(*args), lambda: site.web.json(path))
        assert api == ctl, path
    canvas = site.web.json("/api/canvas/canvas")
    assert (canvas["width"], canvas["height"]) == (W, H)
    status, hdrs, png = site.web.get(canvas["png"])
    assert status == 200 and hdrs["content-type"] == "image/png"
    assert Image.open(io.BytesIO(png)).size == (W, H)


def test_unknown_paths_and_apps_are_404(site):
    for path in ("/nope", "/board/nope", "/board/tree", "/tree/canvas", "/canvas/board.png",
                 "/api/board/nope", "/api/nope", "/events/board/nope", "/events/nope",
                 "/static/nope.js", "/board/", "/board/a/b", "/board/%2e%2e", "/api/apps/x",
                 "/" + "x" * 5000):
        status, hdrs, body = site.web.get(path)
        assert status == 404, path
        if path.startswith("/api/"):
            assert "error" in json.loads(body)
    status, hdrs, _ = site.web.get("/", method="POST")
    assert status == 405 and hdrs["allow"] == "GET, HEAD"
    status, hdrs, body = site.web.get("/canvas/canvas.png", method="HEAD")
    assert status == 200 and body == b"" and hdrs["content-type"] == "image/png"
    # An unchanged snapshot is not sent again.
    status, hdrs, _ = site.web.get("/canvas/canvas.png")
    status, _, body = site.web.get("/canvas/canvas.png", headers={"If-None-Match": hdrs["etag"]})
    assert status == 304 and body == b""


def test_huge_url_and_slow_clients_stall_nobody(site):
    web = site.web
    rss = web.rss_kib()
    result = {}

    def huge_url():
        """Sends up to 1 GiB of URL; the server must refuse long before."""
        s = socket.create_connection(("::1", web.port))
        s.settimeout(30)
        chunk, sent = b"a" * 65536, 0
        try:
            s.sendall(b"GET /")
            while sent < 1 << 30:
                s.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
        try:
            result["reply"] = s.recv(100)
        except OSError as e:
            result["reply"] = repr(e)
        result["sent"] = sent
        s.close()

    def slow_clients(n=20):
        """Each sends its headers a byte at a time, and never finishes."""
        socks = [socket.create_connection(("::1", web.port)) for _ in range(n)]
        for s in socks:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        return socks

    slow = site.nst(slow_clients)
    other = NsThread(site.host)
    t = threading.Thread(target=lambda: other(huge_url))
    t.start()
    try:
        # Meanwhile everyone else is served, as usual.
        for _ in range(30):
            assert web.get("/")[0] == 200
            site.nst(lambda: [s.send(b"X") for s in slow])
    finally:
        t.join(120)
        other.close()
        site.nst(lambda: [s.close() for s in slow])
    # Refused after a few kilobytes: 414, or the connection closed.
    assert result["sent"] < 64 << 20, result
    assert not isinstance(result["reply"], bytes) or result["reply"] == b"" or \
        result["reply"].startswith(b"HTTP/1.1 414"), result["reply"]
    # AddressSanitizer's quarantine keeps freed memory resident.
    assert L.SANITIZE or web.rss_kib() < rss + 32 * 1024
    assert web.proc.poll() is None


# ---- many viewers ----

async def read_head(reader):
    status = await reader.readline()
    assert status.startswith(b"HTTP/1.1 "), status
    hdrs = {}
    while True:
        line = await reader.readline()
        if line in (b"\r\n", b""):
            break
        k, v = line.decode().split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    return int(status.split()[1]), hdrs


async def png_viewer(port, path, stop, stats):
    """GETs the snapshot again and again on one connection; each must be a
    whole PNG of the canvas's size."""
    reader, writer = await asyncio.open_connection("::1", port)
    try:
        while not stop.is_set():
            writer.write(("GET %s HTTP/1.1\r\nHost: [::1]\r\n\r\n" % path).encode())
            status, hdrs = await read_head(reader)
            body = await reader.readexactly(int(hdrs["content-length"]))
            assert status == 200, status
            img = Image.open(io.BytesIO(body))
            img.load()
            assert img.size == stats["size"]
            stats["pngs"] += 1
            stats["bodies"].add(body)
            await asyncio.sleep(0.02)
    finally:
        writer.close()


async def sse_events(reader):
    """Yields (event, data) from a chunked event stream."""
    buf = b""
    while True:
        size = int((await reader.readline()).strip(), 16)
        if size == 0:
            return
        buf += await reader.readexactly(size)
        await reader.readexactly(2)
        while b"\n\n" in buf:
            block, buf = buf.split(b"\n\n", 1)
            fields = dict(line.split(": ", 1) for line in block.decode().split("\n")
                          if line and not line.startswith(":"))
            if "data" in fields:
                yield fields.get("event"), json.loads(fields["data"])


async def sse_viewer(port, path, stop, stats, on_event=None):
    reader, writer = await asyncio.open_connection("::1", port)
    writer.write(("GET %s HTTP/1.1\r\nHost: [::1]\r\n\r\n" % path).encode())
    status, hdrs = await read_head(reader)
    assert status == 200 and hdrs["content-type"] == "text/event-stream", (status, hdrs)
    assert hdrs["transfer-encoding"] == "chunked"
    n = 0
    try:
        async for event, data in sse_events(reader):
            n += 1
            if on_event:
                on_event(event, data)
            if stop.is_set():
                break
    finally:
        stats["events"].append(n)
        writer.close()


async def stalled_viewer(port, path, stop):
    """Opens a stream and never reads it: its socket buffer fills."""
    sock = socket.socket(socket.AF_INET6)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, ("::1", port))
    sock.send(("GET %s HTTP/1.1\r\nHost: [::1]\r\n\r\n" % path).encode())
    while not stop.is_set():
        await asyncio.sleep(0.1)
    sock.close()


def run_viewers(site, n_png, n_sse, n_stalled, seconds, painter):
    """n viewers of each kind on the canvas for as long as painter() runs
    (at least seconds), with things-web's memory sampled meanwhile."""
    web = site.web
    stats = {"size": (W, H), "pngs": 0, "bodies": set(), "events": []}
    rss = []

    async def main():
        stop = asyncio.Event()
        tasks = [asyncio.create_task(png_viewer(web.port, "/canvas/canvas.png", stop, stats))
                 for _ in range(n_png)]
        tasks += [asyncio.create_task(sse_viewer(web.port, "/events/canvas/canvas", stop, stats))
                  for _ in range(n_sse)]
        tasks += [asyncio.create_task(stalled_viewer(web.port, "/events/canvas/canvas", stop))
                  for _ in range(n_stalled)]
        loop = asyncio.get_running_loop()
        paint = loop.run_in_executor(None, painter)
        t0 = loop.time()
        while not paint.done() or loop.time() - t0 < seconds:
            rss.append(web.rss_kib())
            await asyncio.sleep(0.1)
            for t in tasks:
                if t.done() and t.exception():
                    raise t.exception()
        await paint
        stop.set()
        # Streams end at their next event: one more paint wakes them.
        await loop.run_in_executor(None, site.ping, "2001:db8:1:ca5:0:0:ff:ff")
        await asyncio.wait_for(asyncio.gather(*tasks), 60)
    site.nst(lambda: asyncio.run(main()))
    return stats, rss


def noise(w, h, seed):
    img = Image.new("RGBA", (w, h))
    img.putdata([((x * 37 + seed * 11) & 255, (y * 59 + seed * 7) & 255, (x * y + seed) & 255, 255)
                 for y in range(h) for x in range(w)])
    return img


def test_200_viewers_while_the_canvas_is_painted(site):
    images = [site.image(noise(W, H, s)) for s in range(4)]

    def painter():
        for img in images * 3:
            site.things_ping("canvas", CANVAS, img, "--rate", "20000")

    rss0 = site.web.rss_kib()
    stats, rss = run_viewers(site, n_png=100, n_sse=80, n_stalled=20, seconds=2, painter=painter)
    # Every PNG was whole and of the canvas's size (checked as it came),
    # there were many of them, and the canvas was seen changing.
    assert stats["pngs"] >= 100 and len(stats["bodies"]) >= 2, stats["pngs"]
    # Every stream got the picture at once, then more as it changed.
    assert len(stats["events"]) == 80 and min(stats["events"]) >= 2, stats["events"]
    # AddressSanitizer's quarantine keeps freed memory resident.
    assert L.SANITIZE or max(rss) < rss0 + 64 * 1024, (rss0, max(rss))

    # And wrk's view: 200 connections, every response whole and 200.
    out = site.host.run("wrk", "-t", "2", "-c", "200", "-d", "3s",
                        site.web.url + "/canvas/canvas.png", timeout=60).stdout
    assert re.search(r"(\d+) requests in", out) and int(re.search(r"(\d+) requests in",
                                                                  out).group(1)) > 200, out
    assert "Non-2xx" not in out and "Socket errors" not in out, out
    assert site.web.proc.poll() is None
    # Once everyone is served, only the frame shown is left.
    png = site.web.get("/canvas/canvas.png")[2]
    assert wait_for(lambda: re.search(r"^things_web_png_bytes %d$" % len(png), site.web.metrics(),
                                      re.M))


def encodes(web, app):
    for name, labels, v in parse_metrics(web.metrics()):
        if name == "things_web_png_encodes_total" and labels["app"] == app:
            return int(v)
    raise AssertionError("no encode count of %s" % app)


def burst(site, path, n=200):
    """n concurrent GETs of path: their bodies."""
    async def one():
        reader, writer = await asyncio.open_connection("::1", site.web.port)
        writer.write(("GET %s HTTP/1.1\r\nHost: [::1]\r\nConnection: close\r\n\r\n" %
                      path).encode())
        status, hdrs = await read_head(reader)
        body = await reader.readexactly(int(hdrs["content-length"]))
        writer.close()
        assert status == 200
        return body

    async def main():
        return await asyncio.gather(*(one() for _ in range(n)))
    return site.nst(lambda: asyncio.run(main()))


def test_png_is_encoded_once_per_change(site):
    site.d.ctl("app", "add", "still", "kind", "canvas", "prefix", STILL, "width", "32",
               "height", "32")
    site.web.get("/canvas/still.png")
    first = encodes(site.web, "still")
    assert first == 1
    # Still: 200 viewers, no new PNG.
    bodies = burst(site, "/canvas/still.png")
    assert len(set(bodies)) == 1 and encodes(site.web, "still") == first
    # One pixel: one PNG, however many ask.
    for n, (x, y) in enumerate(((3, 4), (20, 9)), 1):
        site.ping("2001:db8:1:ca6:%x:%x:0:ffff" % (x, y))      # blue, opaque

        def shown():
            png = site.web.get("/canvas/still.png")[2]
            return Image.open(io.BytesIO(png)).convert("RGB").getpixel((x, y)) == (0, 0, 255)
        assert wait_for(shown)
        bodies = burst(site, "/canvas/still.png")
        assert len(set(bodies)) == 1
        assert Image.open(io.BytesIO(bodies[0])).convert("RGB").getpixel((x, y)) == (0, 0, 255)
        assert encodes(site.web, "still") == first + n


def test_reads_only_and_comes_back_after_a_crash(site):
    # The judge can fail: as nobody with the same privileges, a write open
    # of a pin is refused by the kernel.
    fail = L.sh("nsenter", "--net=" + site.host.path, *NOBODY, L.THINGSCTL, "--pin-dir",
                site.d.pin_dir, "canvas", "clear", "canvas", check=False)
    assert fail.returncode == 1 and "for writing" in fail.stderr, fail.stderr
    state = (site.pins_ctl("board", "show", "board"), site.pins_ctl("tree", "show", "tree"),
             site.web.get("/canvas/canvas.png")[2])

    # A second instance beside the first, its streams open, killed outright
    # while the data plane answers pings; then started again.
    second = Web(site.lab, site.host, site.nst, site.d.pin_dir, port=8081)
    pinger = site.client.popen("ping", "-6", "-n", "-c", "40", "-i", "0.05", "-W", "2",
                               "2001:db8:1::42", stdout=subprocess.PIPE, text=True)
    viewers = [site.host.popen("curl", "-sS", "-N", "-g", "--max-time", "30",
                               "http://[::1]:8081/events/" + path, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
               for path in ("apps", "board/board", "tree/tree", "canvas/canvas")]
    time.sleep(0.5)
    assert second.stop(signal.SIGKILL) == -signal.SIGKILL
    second.start()
    out = pinger.communicate(timeout=60)[0]
    for v in viewers:
        v.kill()
        v.wait()
    assert " 0% packet loss" in out, out
    assert second.get("/")[0] == 200 and site.web.get("/")[0] == 200
    assert (site.pins_ctl("board", "show", "board"), site.pins_ctl("tree", "show", "tree"),
            site.web.get("/canvas/canvas.png")[2]) == state
    assert second.stop() == 0


def test_serves_before_the_pins_exist(site):
    # Started before thingsd: it says the pins cannot be read, and serves.
    pins = os.path.join(site.lab.tmp, "no-pins-yet")
    web = Web(site.lab, site.host, site.nst, pins, port=8083)
    for path in ("/", "/metrics", "/board/board", "/canvas/canvas.png", "/events/apps"):
        status, _, body = web.get(path)
        assert status == 503 and b"no-pins-yet/apps" in body, (path, status)
    status, _, body = web.get("/api/apps")
    assert status == 503 and "no-pins-yet" in json.loads(body)["error"]
    assert web.get("/static/things.css")[0] == 200
    assert web.stop() == 0


def test_stops_cleanly_with_streams_open(site):
    web = Web(site.lab, site.host, site.nst, site.d.pin_dir, port=8082)
    streams = [site.host.popen("curl", "-sS", "-N", "-g", "--max-time", "30",
                               "http://[::1]:8082/events/" + path, stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL)
               for path in ("apps", "board/board", "canvas/canvas") * 3]
    # Every stream open (under load, curl may take a while to connect).
    assert wait_for(lambda: all('things_web_event_streams{stream="%s"} 3' % s in web.metrics()
                                for s in ("apps", "board", "canvas")))
    assert web.stop() == 0, web.read_log()
    for s in streams:
        out = s.communicate(timeout=30)[0]
        assert out.startswith(b"retry: ")


def test_bench_web_smoke(tmp_path):
    """bench/web.py is not part of make test, but this short run of it is,
    so that it cannot rot. It checks that every figure is there, never how
    fast anything was."""
    proc = subprocess.run([sys.executable, os.path.join(L.REPO, "bench", "web.py"), "--smoke",
                           "--out", str(tmp_path)], capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr
    with open(tmp_path / "web.json") as f:
        s = json.load(f)["summary"]
    assert s["latency_ms"]["samples"] > 0 and s["latency_ms"]["median"] > 0
    assert s["encodes_black"]["encodes"] >= 1 and s["encodes_noise"]["encodes"] >= 1
    for cond in ("none", "viewers", "busy"):
        for kind in ("echo", "canvas"):
            assert s["rates"][cond][kind]["median"] > 0, (cond, kind)
    assert s["viewers"] and all(v["connected"] == v["viewers"] == 200 and not v["errors"]
                                for v in s["viewers"])
    assert (tmp_path / "web.md").read_text() == proc.stdout
