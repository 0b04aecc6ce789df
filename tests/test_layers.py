"""The architecture's import rules (pyproject [tool.importlinter], docs/ARCHITECTURE.md) hold:
cli > flows > review > core, the library's own layers, no library import of prefect/boto3/jinja2,
and no import cycle between sibling modules or packages."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_are_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run(
        [str(lint_imports), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
