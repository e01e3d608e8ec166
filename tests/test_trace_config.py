"""Trace apps in the config: story files are read as strictly as the config
itself, and an error names the story file's own FILE:LINE; `thingsd
--check` and a start with a bad story exit 2 and create nothing."""
import os
import subprocess

import pytest

import lab as L

PREFIX = "2001:db8:1:5707::/64"
GOOD = "2001:db8:1:5707::1:1 a.line\n"


def check(tmp_path, stories, app_extra="", story_keys=None):
    """Writes the story files ({name: bytes or str}) and a config with one
    trace app telling them; runs thingsd --check on it."""
    for name, body in stories.items():
        (tmp_path / name).write_bytes(body if isinstance(body, bytes) else body.encode())
    keys = story_keys if story_keys is not None else \
        ["2001:db8:1:5707::%x %s" % (i + 1, name) for i, name in enumerate(stories)]
    conf = tmp_path / "things.conf"
    conf.write_text("[app t]\nkind = trace\nprefix = %s\n%s%s" % (
        PREFIX, app_extra, "".join("story = %s\n" % k for k in keys)))
    return subprocess.run([L.THINGSD, "--check", str(conf)], capture_output=True, text=True,
                          cwd=str(tmp_path))


def test_good_stories_check(tmp_path):
    res = check(tmp_path, {"list": GOOD + "2001:db8:1:5707::1:2 b\n",
                           "addr": "bits 2\ntable\n2001:db8:1:5707::2:1 x\ntable\n"
                                   "2001:db8:1:5707::2:2 y  # a comment\n"},
                story_keys=["2001:db8:1:5707::1 list", "2001:db8:1:5707:1::/80 addr"])
    assert res.returncode == 0, res.stderr
    assert "OK: 0 interface(s), 1 app(s)" in res.stdout


# (story file body, line of the error, words of the message)
BAD_FILES = [
    ("nul", b"2001:db8:1:5707::1:1 a\x00b\n", 1, "NUL byte"),
    ("long-line", GOOD + "2001:db8:1:5707::1:2 " + "x" * 2000 + "\n", 2, "longer than 1024"),
    ("long-name", "2001:db8:1:5707::1:2 " + "x" * 300 + "\n", 1, "longer than 255"),
    ("bad-address", GOOD + "2001:db8::zz nope\n", 2, "not an IPv6 address"),
    ("multicast-hop", "ff02::1 all.nodes\n", 1, "cannot be a hop's address"),
    ("no-name", GOOD + "2001:db8:1:5707::1:2\n", 2, "no name"),
    ("only-dots", "2001:db8:1:5707::1:2 ...\n", 1, "nothing but dots"),
    ("control", "2001:db8:1:5707::1:2 a\tb\n", 1, "control character"),
    ("two-names", GOOD + "# again\n2001:db8:1:5707::1:1 another.name\n", 3, "one name"),
    ("empty", "# nothing\n\n", 0, "no lines"),
    ("bits-twice", "bits 2\nbits 3\n", 2, "given twice"),
    ("bits-late", GOOD + "bits 2\n", 2, "before the first line"),
    ("bits-range", "bits 9\n", 1, "from 1 to 8"),
    ("table-in-list", GOOD + "table\n", 2, "say 'bits N' first"),
    ("line-before-table", "bits 2\n" + GOOD, 2, "say 'table' first"),
    ("table-too-full", "bits 1\ntable\n2001:db8:1:5707::1:1 a\n2001:db8:1:5707::1:2 b\n"
     "2001:db8:1:5707::1:3 c\n", 5, "more lines in this table"),
    ("empty-table", "bits 2\ntable\ntable\n" + GOOD, 3, "has no lines"),
    ("last-table-empty", "bits 2\ntable\n" + GOOD + "table\n", 0, "last table has no lines"),
    ("too-many-tables", "bits 8\n" + "table\n2001:db8:1:5707::1:1 a\n" * 9, 18,
     "more tables than the interface ID"),
    ("too-many-lines", "".join("2001:db8:1:5707::1:%x l%d\n" % (i, i) for i in range(256)),
     256, "more than 255 lines"),
]


@pytest.mark.parametrize("body,line,words", [c[1:] for c in BAD_FILES],
                         ids=[c[0] for c in BAD_FILES])
def test_bad_story_file(tmp_path, body, line, words):
    res = check(tmp_path, {"bad.story": body})
    assert res.returncode == 2, res.stdout
    path = tmp_path / "bad.story"
    where = "%s:%d: " % (path, line) if line else "%s: " % path
    assert res.stderr.startswith(where), res.stderr
    assert words in res.stderr, res.stderr


# Errors of the config's own lines: FILE:LINE of things.conf.
BAD_KEYS = [
    ("outside-prefix", ["2001:db8:1:5708::1 ok.story"], 4, "not inside the app's prefix"),
    ("twice", ["2001:db8:1:5707::1 ok.story", "2001:db8:1:5707::1 ok.story"], 5,
     "two stories for"),
    ("no-file", ["2001:db8:1:5707::1"], 4, "DESTINATION FILE"),
    ("bad-destination", ["2001:db8:1:5707::1/200 ok.story"], 4, "prefix length"),
    ("missing-file", ["2001:db8:1:5707::1 missing.story"], 0, "cannot open the story file"),
    ("no-story", [], 0, "needs story = DESTINATION FILE"),
    ("fields-do-not-fit", ["2001:db8:1:5707::1:0/125 addr.story"], 4, "do not fit"),
]


@pytest.mark.parametrize("keys,line,words", [c[1:] for c in BAD_KEYS],
                         ids=[c[0] for c in BAD_KEYS])
def test_bad_story_key(tmp_path, keys, line, words):
    (tmp_path / "addr.story").write_text("bits 4\ntable\n" + GOOD)
    res = check(tmp_path, {"ok.story": GOOD}, story_keys=keys)
    assert res.returncode == 2, res.stdout
    if line:
        assert res.stderr.startswith("%s:%d: " % (tmp_path / "things.conf", line)), res.stderr
    assert words in res.stderr, res.stderr


def test_one_name_across_stories(tmp_path):
    res = check(tmp_path, {"one.story": GOOD, "two.story": "2001:db8:1:5707::1:1 other.name\n"})
    assert res.returncode == 2
    assert res.stderr.startswith("%s:1: " % (tmp_path / "two.story")), res.stderr
    assert "is named 'a.line' in one.story:1" in res.stderr


def test_story_key_belongs_to_trace(tmp_path):
    (tmp_path / "ok.story").write_text(GOOD)
    conf = tmp_path / "things.conf"
    conf.write_text("[app e]\nkind = echo\nprefix = %s\nstory = 2001:db8:1:5707::1 ok.story\n"
                    % PREFIX)
    res = subprocess.run([L.THINGSD, "--check", str(conf)], capture_output=True, text=True)
    assert res.returncode == 2
    assert "%s:4: app 'e': story does not apply to kind echo" % conf in res.stderr


def test_error_limits_in_daemon_section(tmp_path):
    (tmp_path / "ok.story").write_text(GOOD)
    conf = tmp_path / "things.conf"
    for body, ok in (("error_rate = 0\nerror_burst = 1\n", True),
                     ("error_rate = 5000\n", True),
                     ("error_burst = 0\n", False), ("error_rate = -1\n", False),
                     ("error_rate = 1\nerror_rate = 2\n", False)):
        conf.write_text("[daemon]\n%s\n[app t]\nkind = trace\nprefix = %s\n"
                        "story = 2001:db8:1:5707::1 %s\n" % (body, PREFIX, tmp_path / "ok.story"))
        res = subprocess.run([L.THINGSD, "--check", str(conf)], capture_output=True, text=True)
        assert (res.returncode == 0) == ok, body + res.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root")
def test_bad_story_creates_nothing():
    with L.Lab("tc") as lab:
        host = lab.netns("host")
        bad = os.path.join(lab.tmp, "bad.story")
        with open(bad, "w") as f:
            f.write(GOOD + "not-an-address x\n")
        pin_dir = "%s/things-tc-%s" % (L.BPFFS, lab.suffix)
        conf = os.path.join(lab.tmp, "things.conf")
        run_dir = os.path.join(lab.tmp, "run")
        with open(conf, "w") as f:
            f.write("[daemon]\npin_dir = %s\nrun_dir = %s\nstate_dir = %s/state\n\n"
                    "[app t]\nkind = trace\nprefix = %s\nstory = 2001:db8:1:5707::1 %s\n"
                    % (pin_dir, run_dir, lab.tmp, PREFIX, bad))
        res = L.sh("nsenter", "--net=" + host.path, L.THINGSD, "-c", conf, check=False)
        assert res.returncode == 2
        assert res.stderr.startswith("%s:2: " % bad), res.stderr
        assert not os.path.exists(pin_dir) and not os.path.exists(run_dir)
