# SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
import os
import subprocess

import pytest

import xdp


@pytest.fixture(scope="session", autouse=True)
def built():
    """Brings the data plane and the test-run helper up to date, once.

    Only these two targets: the oracle should not wait on, or fail with,
    unrelated parts of the tree.
    """
    if os.geteuid() != 0:
        pytest.exit("these tests load BPF programs: run them as root", returncode=1)
    targets = [str(p.relative_to(xdp.REPO)) for p in (xdp.BPF_OBJ, xdp.TESTRUN)]
    proc = subprocess.run(["make", "-C", str(xdp.REPO), *targets],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.exit(f"make {' '.join(targets)} failed:\n{proc.stdout}{proc.stderr}",
                    returncode=1)
