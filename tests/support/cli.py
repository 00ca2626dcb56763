"""`python -m console.observatory …` in a subprocess, as staff run it beside the server: only DATABASE_URL given."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from tests.conftest import ROOT


def observatory(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "DATABASE_URL": database_url, "TF_CPP_MIN_LOG_LEVEL": "2"}
    return subprocess.run(
        [sys.executable, "-m", "console.observatory", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def observatory_json(database_url: str, *args: str) -> Any:
    """The command's JSON document (it must succeed)."""
    done = observatory(database_url, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)
