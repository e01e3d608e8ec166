# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
"""thingsctl's app views (board, tree, canvas) on pins made by hand.

The maps are created with bpftool and filled through libbpf (ctypes) or a
shared mapping, in the layout of maps/things_abi.h, as the data plane will
leave them: boards with torn, empty and overwritten slots, a board_log the
test appends to while `board follow` runs (and laps it), a tree with dark
lights, a canvas painted with a pattern that Pillow reads back. The judges
are the test's own packing of the structs, Python's clocks, and Pillow.
"""

import ctypes
import datetime
import ipaddress
import json
import mmap
import os
import pty
import re
import secrets
import select
import shutil
import signal
import struct
import subprocess
import time
from io import BytesIO
from pathlib import Path

import pytest

import lab as L
from PIL import Image

from lab import ensure_bpffs
from test_thingsctl import abi_names

REPO = Path(__file__).resolve().parent.parent
THINGSCTL = Path(L.BUILD) / "thingsctl"
BPFFS = Path("/sys/fs/bpf")

KINDS = abi_names("THINGS_KINDS")
MAX_APPS = 256
BOARD_MAX_LINES = 256
TREE_MAX_LIGHTS = 1024
LOG_SLOTS = 4096
LIGHT_ON = 0x01000000
MSG = struct.Struct("=QQ16s8s")           # struct things_board_msg
EVENT = struct.Struct("=QII")             # struct things_board_event, before its msg
APP = struct.Struct("=32sI16sHHI")        # struct things_app
CFG = struct.Struct("=IIBBHHHHHI")        # struct things_app_cfg
BOARD_SIZE = 16 + MSG.size * BOARD_MAX_LINES
TREE_SIZE = 8 + 4 * TREE_MAX_LIGHTS
MMAPABLE = 1 << 10                        # BPF_F_MMAPABLE

# The apps of the hand-made pins: id -> (name, kind, app_cfg settings).
WALL, XMAS, ART, PLAIN, OTHER, SKEWED, UNSET = 1, 2, 3, 4, 5, 6, 7
APPS = {
    WALL: ("wall", "board", {"lines": 4}),
    XMAS: ("xmas", "tree", {"lights": 8}),
    ART: ("art", "canvas", {"width": 40, "height": 30}),
    PLAIN: ("plain", "echo", {}),
    OTHER: ("other", "board", {"lines": 24}),
    SKEWED: ("skewed", "canvas", {"width": 50, "height": 30}),   # its map is 40 x 30
    UNSET: ("unset", "board", {}),                                # no lines in app_cfg
}
CANVAS_SIZE = {ART: (40, 30), SKEWED: (40, 30)}

LIBBPF = ctypes.CDLL("libbpf.so.1", use_errno=True)


def check(ret, what):
    if ret < 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")
    return ret


def mono_ns(iso):
    """The data plane's timestamp (CLOCK_MONOTONIC, as a u64) of a wall-clock
    time 'YYYY-MM-DDTHH:MM:SS.mmmZ'. Half a millisecond in, so that the
    reader's own CLOCK_REALTIME - CLOCK_MONOTONIC, read a moment later and a
    few nanoseconds apart from ours, still gives the same millisecond."""
    when = datetime.datetime.strptime(iso, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)
    offset = time.clock_gettime_ns(time.CLOCK_REALTIME) - time.clock_gettime_ns(
        time.CLOCK_MONOTONIC)
    ns = int(when.timestamp()) * 10**9 + when.microsecond * 1000 + 500000 - offset
    return ns % 2**64   # a time before the clock's start wraps, as the reader expects


def src(n):
    return f"2001:db8::{n:x}"


def make_msg(seq, text, source, when="2024-02-29T12:34:56.789Z"):
    return MSG.pack(seq, mono_ns(when), ipaddress.ip_address(source).packed, text)


class Pins:
    """A pin dir holding the maps the app views read, and the data plane's
    side of them: posts, log events, lights, pixels."""

    def __init__(self):
        ensure_bpffs()
        self.dir = BPFFS / f"things-apps-test-{secrets.token_hex(4)}"
        self.dir.mkdir()
        self.fds = {}
        self.boards = {}        # app id -> [posts, {slot: msg bytes}]
        self.head = 0
        self.make("apps", APP.size, MAX_APPS)
        self.make("app_cfg", CFG.size, MAX_APPS)
        self.make("boards", BOARD_SIZE, MAX_APPS)
        self.make("board_log", EVENT.size + MSG.size, LOG_SLOTS + 1, MMAPABLE)
        self.make("trees", TREE_SIZE, MAX_APPS)
        for id_, (w, h) in CANVAS_SIZE.items():
            self.make(f"canvas_{id_}", 8, (w * h + 1) // 2, MMAPABLE)
        for id_, (name, kind, cfg) in APPS.items():
            self.update("apps", id_, APP.pack(name.encode(), 48, ipaddress.ip_address(
                f"2001:db8:{id_}::").packed, KINDS.index(kind), 0, 0))
            self.update("app_cfg", id_, CFG.pack(0, 0, 64, 0, cfg.get("lines", 0),
                                                 cfg.get("lights", 0), cfg.get("width", 0),
                                                 cfg.get("height", 0), 0, 0))

    def make(self, name, value_size, entries, flags=0):
        subprocess.run(["bpftool", "map", "create", str(self.dir / name), "type", "array", "key",
                        "4", "value", str(value_size), "entries", str(entries), "name",
                        name[:15], "flags", str(flags)], check=True, capture_output=True)
        self.fds[name] = check(LIBBPF.bpf_obj_get(str(self.dir / name).encode()), name)

    def update(self, name, key, value):
        k = ctypes.c_uint32(key)
        check(LIBBPF.bpf_map_update_elem(self.fds[name], ctypes.byref(k), value, 0), name)

    def update_batch(self, name, values):
        """values: {key: bytes}, in one syscall."""
        keys = (ctypes.c_uint32 * len(values))(*values)
        count = ctypes.c_uint32(len(values))
        check(LIBBPF.bpf_map_update_batch(self.fds[name], keys, b"".join(values.values()),
                                          ctypes.byref(count), None), name)

    def close(self):
        for fd in self.fds.values():
            os.close(fd)
        shutil.rmtree(self.dir, ignore_errors=True)

    # ---- boards and their log ----

    def post(self, app, text, source, when="2024-02-29T12:34:56.789Z", write=True):
        """A post as the data plane makes it: the board's next seq in its
        slot, and an event in the log. Returns the message."""
        lines = APPS[app][2]["lines"]
        board = self.boards.setdefault(app, [0, {}])
        board[0] += 1
        msg = make_msg(board[0], text, source, when)
        board[1][(board[0] - 1) % lines] = msg
        if write:
            self.write_board(app)
            self.log([(app, msg)])
        return msg

    def write_board(self, app, slots=None):
        """The board's value; slots ({slot: msg bytes}) replaces what posts made."""
        posts, made = self.boards.get(app, [0, {}])
        msgs = slots if slots is not None else made
        value = bytearray(BOARD_SIZE)
        struct.pack_into("=Q", value, 0, posts)
        for slot, msg in msgs.items():
            value[16 + slot * MSG.size:16 + (slot + 1) * MSG.size] = msg
        self.update("boards", app, bytes(value))

    def log(self, events):
        """Appends (app, msg) events: their slots in one batch, then the head,
        as a reader must see them (an event before its head)."""
        slots = {}
        for app, msg in events:
            self.head += 1
            slots[(self.head - 1) % LOG_SLOTS] = EVENT.pack(self.head, app, 0) + msg
        self.update_batch("board_log", slots)
        self.update("board_log", LOG_SLOTS, EVENT.pack(self.head, 0, 0) + bytes(MSG.size))

    # ---- trees and canvases ----

    def set_tree(self, app, lit, lights):
        self.update("trees", app, struct.pack(f"=Q{TREE_MAX_LIGHTS}I", lit,
                                              *lights, *[0] * (TREE_MAX_LIGHTS - len(lights))))

    def framebuffer(self, app):
        """The canvas mapped, as a root writer sees it: two pixels to an
        8-byte element, so the pixels are contiguous u32s."""
        w, h = CANVAS_SIZE[app]
        return mmap.mmap(self.fds[f"canvas_{app}"], (w * h + 1) // 2 * 8, mmap.MAP_SHARED,
                         mmap.PROT_READ | mmap.PROT_WRITE)


@pytest.fixture
def pins():
    p = Pins()
    try:
        yield p
    finally:
        p.close()


def ctl(pins, *args, user=None, env=None, timeout=30, text=True):
    cmd = [str(THINGSCTL), "--pin-dir", str(pins.dir), *args]
    if user:
        cmd = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *cmd]
    return subprocess.run(cmd, capture_output=True, text=text, timeout=timeout, check=False,
                          env=env)


def ctl_json(pins, *args, **kw):
    proc = ctl(pins, "-j", *args, **kw)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""
    return json.loads(proc.stdout)


def msg_json(seq, source, text, when="2024-02-29T12:34:56.789Z"):
    return {"seq": seq, "time": when, "source": source, "text": text}


# ---- errors common to the views --------------------------------------------

VIEWS = [["board", "show"], ["board", "follow"], ["tree", "show"], ["canvas", "export"],
         ["canvas", "clear"]]
ARGS_AFTER_NAME = {"canvas export": ["out.png"]}


@pytest.mark.parametrize("view", VIEWS, ids=[" ".join(v) for v in VIEWS])
def test_unknown_app(view, pins):
    proc = ctl(pins, *view, "nope", *ARGS_AFTER_NAME.get(" ".join(view), []))
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr == "thingsctl: no app named 'nope'\n"


@pytest.mark.parametrize("view,wrong", [(["board", "show"], "xmas"), (["board", "follow"], "art"),
                                        (["tree", "show"], "plain"), (["canvas", "clear"], "wall"),
                                        (["canvas", "export"], "xmas")],
                         ids=lambda v: " ".join(v) if isinstance(v, list) else v)
def test_app_of_the_wrong_kind(view, wrong, pins):
    proc = ctl(pins, *view, wrong, *ARGS_AFTER_NAME.get(" ".join(view), []))
    assert proc.returncode == 1
    kind = APPS[next(i for i, a in APPS.items() if a[0] == wrong)][1]
    want = {"board": "board", "tree": "tree", "canvas": "canvas"}[view[0]]
    assert proc.stderr == f"thingsctl: app '{wrong}' is of kind {kind}, not {want}\n"


USAGE = [
    (["board", "show"], "needs NAME"),
    (["board", "show", "wall", "x"], "unexpected argument 'x'"),
    (["board", "follow"], "needs NAME"),
    (["board", "follow", "wall", "--count", "0"], "--count"),
    (["board", "follow", "wall", "--count", "many"], "--count"),
    (["tree", "show", "a" * 32], "1 to 31"),
    (["canvas", "export", "art"], "needs NAME FILE"),
    (["canvas", "export", "art", "a.png", "b.png"], "unexpected argument 'b.png'"),
    (["-j", "canvas", "export", "art", "-"], "standard output"),
    (["canvas", "clear"], "needs NAME"),
    (["canvas", "paint", "art"], "unknown canvas command 'paint'"),
]


@pytest.mark.parametrize("args,names", USAGE, ids=[" ".join(a) for a, _ in USAGE])
def test_usage_error(args, names, pins):
    proc = ctl(pins, *args)
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 2 and names in lines[0], proc.stderr
    assert lines[1] == "Try 'thingsctl help'."


def test_missing_settings_and_pins(pins):
    proc = ctl(pins, "board", "show", "unset")
    assert proc.returncode == 1
    assert "board 'unset' has lines 0 in app_cfg" in proc.stderr
    proc = ctl(pins, "--pin-dir", str(pins.dir / "absent"), "tree", "show", "xmas")
    assert proc.returncode == 1
    assert proc.stderr == (f"thingsctl: cannot open the pinned map {pins.dir}/absent/apps: "
                           "No such file or directory\n")


# ---- board show -------------------------------------------------------------

def test_board_show_newest_first_after_wrapping(pins):
    """Six posts on a board of four lines: the last four, newest first, each
    from the slot the ring put it in."""
    texts = [b"Awesome!", b"hello", b"IPv6", b"Things", b"ping me", b"bye"]
    for i, t in enumerate(texts, 1):
        pins.post(WALL, t, src(i), when=f"2024-02-29T12:34:5{i}.{i}00Z")
    want = [msg_json(i, src(i), texts[i - 1].decode(), f"2024-02-29T12:34:5{i}.{i}00Z")
            for i in (6, 5, 4, 3)]
    assert ctl_json(pins, "board", "show", "wall") == want

    proc = ctl(pins, "board", "show", "wall")
    assert proc.returncode == 0 and proc.stderr == ""
    rows = [line.split(None, 3) for line in proc.stdout.splitlines()]
    assert rows[0] == ["SEQ", "TIME", "SOURCE", "TEXT"]
    assert rows[1:] == [[str(m["seq"]), m["time"], m["source"], m["text"]] for m in want]


def test_board_show_more_posts_than_lines_kept(pins):
    for i in range(1, 1001):
        pins.post(WALL, b"n%d" % i, src(i), write=False)
    pins.write_board(WALL)
    assert [m["seq"] for m in ctl_json(pins, "board", "show", "wall")] == [1000, 999, 998, 997]
    assert [m["text"] for m in ctl_json(pins, "board", "show", "wall")] == ["n1000", "n999",
                                                                           "n998", "n997"]


def test_board_show_empty(pins):
    assert ctl_json(pins, "board", "show", "wall") == []
    proc = ctl(pins, "board", "show", "wall")
    assert (proc.returncode, proc.stdout) == (0, "board 'wall' has no messages\n")


def test_board_show_skips_torn_and_empty_slots(pins):
    """Eight posts, four lines: slots 0..3 should hold posts 5..8. Slot 1
    reads as a slot being written (seq zeroed), slot 2 still holds post 3
    (its overwrite unfinished): only posts 8 and 5 are whole."""
    for i in range(1, 9):
        pins.post(WALL, b"post %d" % i, src(i), write=False)
    slots = dict(pins.boards[WALL][1])
    slots[1] = MSG.pack(0, mono_ns("2024-02-29T12:34:56.789Z"), bytes(16), b"half")
    slots[2] = MSG.pack(3, mono_ns("2024-02-29T12:34:56.789Z"), bytes(16), b"post 7")
    pins.write_board(WALL, slots)
    assert ctl_json(pins, "board", "show", "wall") == [msg_json(8, src(8), "post 8"),
                                                       msg_json(5, src(5), "post 5")]


HOSTILE = [
    (b"\x1b[2J\x07ok", r"\x1b[2J\x07ok"),
    (b"a\\x41b", r"a\x5cx41b"),
    (b"\xff\xfe\x80\x00z", r"\xff\xfe\x80\x00z"),
    (b"tab\there", r"tab\x09here"),
    (b"\r\n\x7f", r"\x0d\x0a\x7f"),
    (b"nul\x00\x00\x00", "nul"),
]


def unescape(text):
    return re.sub(rb"\\x([0-9a-f]{2})", lambda m: bytes([int(m.group(1), 16)]),
                  text.encode())


def test_board_text_is_escaped(pins):
    for i, (raw, _) in enumerate(HOSTILE, 1):
        pins.post(OTHER, raw, src(i))
    msgs = ctl_json(pins, "board", "show", "other")
    assert [m["text"] for m in msgs] == [esc for _, esc in reversed(HOSTILE)]
    # the escapes read back to the bytes, bar the NUL padding
    assert [unescape(m["text"]) for m in msgs] == [raw.rstrip(b"\0") for raw, _ in
                                                   reversed(HOSTILE)]
    proc = ctl(pins, "board", "show", "other", text=False)
    assert proc.returncode == 0
    assert all(0x20 <= b < 0x7f or b == 0x0a for b in proc.stdout), proc.stdout
    for _, esc in HOSTILE:
        assert esc.encode() in proc.stdout


# ---- board follow -----------------------------------------------------------

class Follower:
    """thingsctl board follow, its output read line by line."""

    def __init__(self, pins, *args, user=None):
        cmd = [str(THINGSCTL), "--pin-dir", str(pins.dir), *args]
        if user:
            cmd = ["setpriv", f"--reuid={user}", "--regid=nogroup", "--clear-groups", *cmd]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buf = b""

    def line(self, seconds=20):
        """The next line; the wait only keeps a broken follower from
        hanging the suite."""
        deadline = time.monotonic() + seconds
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.proc.stdout], [], [], left)[0]:
                pytest.fail(f"no line from board follow; so far {self.buf!r}")
            chunk = os.read(self.proc.stdout.fileno(), 65536)
            if not chunk:
                pytest.fail(f"board follow ended: {self.buf!r} "
                            f"{self.proc.stderr.read().decode()!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.decode()

    def json_lines(self, n):
        return [json.loads(self.line()) for _ in range(n)]

    def finish(self, seconds=30):
        """Waits for the end: exit status, the lines not read yet, stderr."""
        out, err = self.proc.communicate(timeout=seconds)
        rest, self.buf = (self.buf + out).decode(), b""
        return self.proc.returncode, rest.splitlines(), err.decode()

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.proc.stderr.close()


@pytest.fixture
def follow(pins):
    started = []

    def start(*args, user=None):
        started.append(Follower(pins, *args, user=user))
        return started[-1]

    yield start
    for f in started:
        f.close()


def test_follow_tail_then_new_posts(pins, follow):
    for i in range(1, 7):
        pins.post(WALL, b"old %d" % i, src(i))
        pins.post(OTHER, b"elsewhere", src(0x100 + i))
    f = follow("board", "follow", "wall", "--count", "3")
    # like tail: the last lines the board keeps, oldest first
    assert [f.line() for _ in range(4)] == [
        f"{i}  2024-02-29T12:34:56.789Z  {src(i)}  old {i}" for i in (3, 4, 5, 6)]
    pins.post(OTHER, b"not mine", src(0x200))
    for i in range(7, 11):
        pins.post(WALL, b"new %d" % i, src(i), when="2025-01-02T03:04:05.006Z")
    rc, rest, err = f.finish()
    assert (rc, err) == (0, "")
    # --count 3: the fourth new post is not waited for
    assert rest == [f"{i}  2025-01-02T03:04:05.006Z  {src(i)}  new {i}" for i in (7, 8, 9)]


def test_follow_lapped_counts_exactly_what_it_missed(pins, follow):
    """The writer laps the reader: 4096 + 300 events at once, every third a
    post to the followed board. The reader says how many of its board's
    posts it lost, then prints every post still in the log, in order."""
    for i in range(1, 5):
        pins.post(WALL, b"old %d" % i, src(i))
    lap, seq = [], 5
    for i in range(LOG_SLOTS + 300):
        if i % 3:
            lap.append((OTHER, make_msg(i, b"o%d" % i, src(0x1000 + i))))
        else:
            seq += 1
            lap.append((WALL, make_msg(seq, b"m%d" % i, src(i))))
    # the writer claims 300 slots more than the ring has: those events are lost
    missed = sum(1 for app, _ in lap[:300] if app == WALL)
    kept = [MSG.unpack(m)[0] for app, m in lap[300:] if app == WALL]
    assert missed == 100 and kept[0] == 5 + missed + 1

    f = follow("-j", "board", "follow", "wall", "--count", str(1 + len(kept)))
    assert [m["seq"] for m in f.json_lines(4)] == [1, 2, 3, 4]
    # one post more: once it is printed, the reader is at the head
    pins.post(WALL, b"five", src(5))
    assert f.json_lines(1) == [msg_json(5, src(5), "five")]
    pins.log(lap)
    rc, rest, err = f.finish()
    assert (rc, err) == (0, "")
    out = [json.loads(line) for line in rest]
    assert out[0] == {"missed": missed}
    assert [m["seq"] for m in out[1:]] == kept
    assert out[1] == msg_json(kept[0], src(300), "m300")
    assert out[-1]["seq"] == seq


def test_follow_missed_in_text(pins, follow):
    pins.post(WALL, b"one", src(1))
    f = follow("board", "follow", "wall", "--count", "1")
    assert f.line() == f"1  2024-02-29T12:34:56.789Z  {src(1)}  one"
    # posts 2 and 3 never reach the log the follower reads
    pins.log([(WALL, make_msg(4, b"four", src(4)))])
    rc, rest, err = f.finish()
    assert (rc, err) == (0, "")
    assert rest == ["(2 messages missed)", f"4  2024-02-29T12:34:56.789Z  {src(4)}  four"]


def test_follow_ends_cleanly_on_sigint(pins, follow):
    pins.post(WALL, b"hi", src(1))
    f = follow("board", "follow", "wall")
    assert f.line().endswith("  hi")
    f.proc.send_signal(signal.SIGINT)
    assert f.finish() == (0, [], "")


def test_follow_ends_cleanly_when_the_reader_goes(pins, follow):
    pins.post(WALL, b"hi", src(1))
    f = follow("board", "follow", "wall")
    assert f.line().endswith("  hi")
    f.proc.stdout.close()
    # its next line meets the closed pipe
    pins.post(WALL, b"more", src(2))
    assert f.proc.wait(timeout=30) == 0
    assert f.proc.stderr.read() == b""


# ---- tree show --------------------------------------------------------------

LIGHTS = [LIGHT_ON | 0xff0000, LIGHT_ON | 0x000000, 0, LIGHT_ON | 0x00ff80,
          0x00123456,                 # no ON bit: never lit
          LIGHT_ON | 0x0000ff, 0, LIGHT_ON | 0xabcdef,
          LIGHT_ON | 0x111111]        # past the tree's 8 lights
TREE_JSON = [{"index": 0, "colour": "#ff0000"}, {"index": 1, "colour": "#000000"},
             {"index": 2, "colour": None}, {"index": 3, "colour": "#00ff80"},
             {"index": 4, "colour": None}, {"index": 5, "colour": "#0000ff"},
             {"index": 6, "colour": None}, {"index": 7, "colour": "#abcdef"}]


def test_tree_show_json_and_text(pins):
    pins.set_tree(XMAS, 13, LIGHTS)
    assert ctl_json(pins, "tree", "show", "xmas") == TREE_JSON
    proc = ctl(pins, "tree", "show", "xmas", env={"TERM": "xterm-256color"})
    assert proc.returncode == 0 and proc.stderr == ""
    rows = [line.split() for line in proc.stdout.splitlines()]
    assert rows == [["LIGHT", "COLOUR"]] + [[str(t["index"]), t["colour"] or "dark"]
                                            for t in TREE_JSON]


def on_terminal(pins, env, *args):
    """Runs thingsctl with its standard output on a pseudo-terminal."""
    controller, terminal = pty.openpty()
    try:
        proc = subprocess.run([str(THINGSCTL), "--pin-dir", str(pins.dir), *args],
                              stdout=terminal, stderr=subprocess.PIPE, env=env, timeout=30,
                              check=False)
        os.close(terminal)
        terminal = -1
        out = b""
        while select.select([controller], [], [], 0)[0]:
            try:
                chunk = os.read(controller, 65536)
            except OSError:      # EIO: the terminal side is closed and drained
                break
            if not chunk:
                break
            out += chunk
        return proc.returncode, out.decode().replace("\r\n", "\n")
    finally:
        os.close(controller)
        if terminal >= 0:
            os.close(terminal)


def test_tree_show_colour_blocks_on_a_terminal(pins):
    pins.set_tree(XMAS, 13, LIGHTS)
    rc, out = on_terminal(pins, {"TERM": "xterm-256color"}, "tree", "show", "xmas")
    assert rc == 0
    line = out.rstrip("\n")
    cells = list(re.finditer(r"\x1b\[48;2;(\d+);(\d+);(\d+)m  \x1b\[0m|\.\.", line))
    # one line of cells, a blank between them, and nothing else
    assert " ".join(c.group(0) for c in cells) == line
    blocks = ["#%02x%02x%02x" % tuple(map(int, c.groups())) if c.group(1) else c.group(0)
              for c in cells]
    assert blocks == [t["colour"] or ".." for t in TREE_JSON]


@pytest.mark.parametrize("env", [{"TERM": "dumb"}, {"TERM": "xterm", "NO_COLOR": "1"}, {}],
                         ids=["dumb", "NO_COLOR", "no TERM"])
def test_tree_show_no_colour_on_a_plain_terminal(env, pins):
    pins.set_tree(XMAS, 13, LIGHTS)
    rc, out = on_terminal(pins, env, "tree", "show", "xmas")
    assert rc == 0
    assert "\x1b" not in out
    assert out.splitlines()[1].split() == ["0", "#ff0000"]


# ---- canvas -----------------------------------------------------------------

def pattern(x, y):
    return ((x * 7) & 0xff) << 16 | ((y * 9) & 0xff) << 8 | ((x * y + 3) & 0xff)


def paint(pins, app=ART):
    w, h = CANVAS_SIZE[app]
    with pins.framebuffer(app) as fb:
        fb[:] = struct.pack(f"<{w * h}I", *(pattern(x, y) for y in range(h) for x in range(w)))


def assert_pattern(img):
    assert img.mode == "RGB" and img.size == (40, 30)
    px = img.load()
    for y in range(30):
        for x in range(40):
            c = pattern(x, y)
            assert px[x, y] == (c >> 16, (c >> 8) & 0xff, c & 0xff), (x, y)


def test_canvas_export_to_a_file(pins, tmp_path):
    paint(pins)
    out = tmp_path / "art.png"
    assert ctl_json(pins, "canvas", "export", "art", str(out)) == {
        "width": 40, "height": 30, "file": str(out)}
    with Image.open(out) as img:
        assert img.format == "PNG"
        assert_pattern(img)


def test_canvas_export_to_stdout(pins):
    paint(pins)
    proc = ctl(pins, "canvas", "export", "art", "-", text=False)
    assert proc.returncode == 0 and proc.stderr == b""
    with Image.open(BytesIO(proc.stdout)) as img:
        assert_pattern(img)


def test_canvas_export_size_mismatch(pins, tmp_path):
    out = tmp_path / "skewed.png"
    proc = ctl(pins, "canvas", "export", "skewed", str(out))
    assert proc.returncode == 1
    assert proc.stderr == (f"thingsctl: {pins.dir}/canvas_{SKEWED} holds 600 pixel pairs, but "
                           "canvas 'skewed' is 50x30 = 1500 pixels in app_cfg\n")
    assert not out.exists()


def test_canvas_export_unwritable_file(pins, tmp_path):
    proc = ctl(pins, "canvas", "export", "art", str(tmp_path / "no" / "such" / "dir.png"))
    assert proc.returncode == 1
    assert "cannot create" in proc.stderr and "No such file or directory" in proc.stderr


def test_canvas_clear(pins):
    paint(pins)
    assert ctl_json(pins, "canvas", "clear", "art") == {}
    with pins.framebuffer(ART) as fb:
        assert fb[:] == bytes(40 * 30 * 4)
    proc = ctl(pins, "canvas", "export", "art", "-", text=False)
    with Image.open(BytesIO(proc.stdout)) as img:
        assert img.size == (40, 30)
        assert set(img.getdata()) == {(0, 0, 0)}


# ---- read-only, as nobody -----------------------------------------------------

@pytest.fixture
def readable_pins(pins):
    """Pins anyone may read and only root may write."""
    os.chmod(pins.dir, 0o755)
    for p in pins.dir.iterdir():
        os.chmod(p, 0o644)
    return pins


def test_views_need_no_write_access(readable_pins, follow):
    pins = readable_pins
    pins.post(WALL, b"hello", src(1))
    pins.set_tree(XMAS, 13, LIGHTS)
    paint(pins)
    assert ctl_json(pins, "board", "show", "wall", user="nobody") == [
        msg_json(1, src(1), "hello")]
    assert ctl_json(pins, "tree", "show", "xmas", user="nobody") == TREE_JSON
    proc = ctl(pins, "canvas", "export", "art", "-", user="nobody", text=False)
    assert proc.returncode == 0, proc.stderr
    with Image.open(BytesIO(proc.stdout)) as img:
        assert_pattern(img)
    f = follow("-j", "board", "follow", "wall", "--count", "1", user="nobody")
    assert f.json_lines(1) == [msg_json(1, src(1), "hello")]
    pins.post(WALL, b"again", src(2))
    rc, rest, err = f.finish()
    assert (rc, err) == (0, "")
    assert [json.loads(line) for line in rest] == [msg_json(2, src(2), "again")]


def test_canvas_clear_needs_root(readable_pins):
    pins = readable_pins
    paint(pins)
    proc = ctl(pins, "canvas", "clear", "art", user="nobody")
    assert proc.returncode == 1
    assert proc.stderr == (f"thingsctl: cannot open the pinned map {pins.dir}/canvas_{ART} for "
                           "writing: Permission denied (clearing a canvas needs root)\n")
    with pins.framebuffer(ART) as fb:
        assert struct.unpack_from("<I", fb, 4 * (40 * 2 + 3))[0] == pattern(3, 2)
