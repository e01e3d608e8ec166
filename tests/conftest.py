# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
import os
import subprocess

import pytest

import lab as L
import xdp


@pytest.fixture(scope="session", autouse=True)
def built():
    """Brings every build output the tests run up to date, once."""
    if os.geteuid() != 0:
        pytest.exit("these tests load BPF programs: run them as root", returncode=1)
    targets = ["all"]
    proc = subprocess.run(["make", "-C", str(xdp.REPO), *L.MAKE_VARS, *targets],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.exit(f"make {' '.join(targets)} failed:\n{proc.stdout}{proc.stderr}",
                    returncode=1)


@pytest.fixture(scope="session", autouse=True)
def sanitizer_reports(tmp_path_factory):
    """Under THINGS_SANITIZE=1 every program the tests start writes its
    AddressSanitizer, LeakSanitizer and UBSan reports to files here; a
    report from any of them fails the run, whatever the test that started
    it checked."""
    if not L.SANITIZE:
        yield
        return
    logs = tmp_path_factory.mktemp("sanitizer")
    prefix = str(logs / "report")
    os.environ["ASAN_OPTIONS"] = f"log_path={prefix}:detect_leaks=1:abort_on_error=0"
    os.environ["UBSAN_OPTIONS"] = f"log_path={prefix}:print_stacktrace=1:halt_on_error=1"
    os.environ["LSAN_OPTIONS"] = f"log_path={prefix}"
    yield
    reports = sorted(logs.iterdir())
    text = "\n".join(f"== {r.name}\n{r.read_text(errors='replace')[:4000]}" for r in reports)
    assert not reports, f"sanitizer reports:\n{text}"
