"""The library never imports the orchestration side (prefect, boto3, jinja2)."""

import json
import re
import subprocess
import sys
from pathlib import Path

import lector.core

FORBIDDEN = ("prefect", "boto3", "jinja2")
ROOT = Path(lector.core.__file__).resolve().parent

PROBE = """
import importlib, json, pkgutil, sys
import lector.core
failed = {}
for info in pkgutil.walk_packages(lector.core.__path__, "lector.core."):
    try:
        importlib.import_module(info.name)
    except ImportError as exc:          # optional engine deps may be missing; report, don't hide
        failed[info.name] = str(exc)
loaded = sorted({m.split(".")[0] for m in sys.modules} & {"prefect", "boto3", "jinja2"})
print(json.dumps({"loaded": loaded, "failed": failed}))
"""


def test_importing_every_library_module_loads_no_orchestration_package():
    out = subprocess.run(
        [sys.executable, "-c", PROBE],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT.parent,
        check=True,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["loaded"] == []


def test_no_source_file_imports_orchestration_packages():
    pattern = re.compile(r"^\s*(import|from)\s+(" + "|".join(FORBIDDEN) + r")\b", re.M)
    offenders = [
        str(p.relative_to(ROOT))
        for p in sorted(ROOT.rglob("*.py"))
        if pattern.search(p.read_text(encoding="utf-8"))
    ]
    assert offenders == []
