"""The built wheel holds everything: installed into a clean venv (no source tree on the path) it
speaks a sentence, finds the review templates and loads the base lexicons from package data."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
PY = "python{}.{}".format(*sys.version_info[:2])


def _build_wheel(tmp: Path) -> Path:
    """Build from a copy of the sources so no stale in-tree build/ folder leaks into the wheel."""
    src = tmp / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    shutil.copytree(ROOT / "lector", src / "lector", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    out = tmp / "dist"
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(out)]
    subprocess.run([*pip, str(src)], check=True, capture_output=True, timeout=300)
    (wheel,) = out.glob("lector-*.whl")
    return wheel


def _clean_venv(tmp: Path, wheel: Path) -> Path:
    """A venv holding only the wheel; the dependencies come from this venv's site-packages through a
    path line in a .pth file (the editable install's finder .pth there is not processed that way)."""
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=300)
    site = venv / "lib" / PY / "site-packages"
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "-q"]
    subprocess.run([*pip, "--no-deps", str(wheel)], check=True, capture_output=True, timeout=300)
    return venv


def _run(venv: Path, args: list[str], cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LECTOR_LEXICONS")}
    done = subprocess.run(args, cwd=cwd, env=env, check=True, capture_output=True, text=True, timeout=300)
    return done.stdout


CHECK = textwrap.dedent("""
    import lector
    from jinja2 import Environment, FileSystemLoader
    from lector.core.text.lexicon import base_lexicon_dir, load_base_lexicon
    from lector.core.pronounce import Pronouncer
    from lector.review.app import STATIC_FILES, TEMPLATES_DIR

    env = Environment(loader=FileSystemLoader(str(TEMPLATES_DIR)))
    names = sorted(env.list_templates(extensions=["html"]))
    for name in names:
        env.get_template(name)
    static = sorted(n for n in STATIC_FILES if (TEMPLATES_DIR / "static" / n).is_file())
    lexicon = load_base_lexicon()
    pron = Pronouncer.for_project(None)
    print(lector.__file__)
    print(TEMPLATES_DIR)
    print(base_lexicon_dir())
    print(",".join(names))
    print(",".join(static), ",".join(sorted(STATIC_FILES)))
    print(lexicon.lookup("Nietzsche").pron, lexicon.lookup("Lector").source)
    print([(t.text, t.pron, t.origin) for t in pron.tokens("Lector", "en")])
""")


def test_wheel_installs_into_a_clean_venv_and_speaks(tmp_path):
    wheel = _build_wheel(tmp_path)
    names = zipfile.ZipFile(wheel).namelist()
    assert {"lector/core/lexicons/en.pls", "lector/core/lexicons/zh.tsv"} <= set(names)
    assert {"lector/review/templates/base.html", "lector/review/templates/static/review.js"} <= set(names)
    assert "lector/__main__.py" in names
    version = wheel.name.split("-")[1]
    assert {n.split("/")[0] for n in names} == {"lector", f"lector-{version}.dist-info"}
    for source in (
        *(ROOT / "lector/core/lexicons").iterdir(),
        *(ROOT / "lector/review/templates").rglob("*"),
    ):
        if source.is_file() and "__pycache__" not in source.parts:
            assert source.relative_to(ROOT).as_posix() in names

    venv = _clean_venv(tmp_path, wheel)
    site = venv / "lib" / PY / "site-packages"
    away = tmp_path / "elsewhere"
    away.mkdir()
    lines = _run(venv, [str(venv / "bin" / "python"), "-c", CHECK], away).splitlines()
    assert lines[0] == str(site / "lector" / "__init__.py")
    assert lines[1] == str(site / "lector" / "review" / "templates")
    assert lines[2] == str(site / "lector" / "core" / "lexicons")
    source = ROOT / "lector/review/templates"
    templates = sorted(p.relative_to(source).as_posix() for p in source.rglob("*.html"))
    assert lines[3] == ",".join(templates)
    found, served = lines[4].split(" ")
    assert found == served and "review.js" in served  # every static file the app serves is installed
    assert lines[5] == "nˈiːtʃə lexicons/en.pls:8"
    assert lines[6] == "[('Lector', 'lˈɛktɔːɹ', 'lexicon:lexicons/en.pls:8')]"

    out = away / "hello.wav"
    say = ["say", "Hello there.", "--lang", "en", "--engine", "espeak-draft", "--out", str(out)]
    assert (venv / "bin" / "lector").is_file()  # the console script
    said = _run(venv, [str(venv / "bin" / "python"), "-m", "lector", *say], away)
    assert said.startswith(f"wrote {out}: ")
    assert said.rstrip().endswith("engine espeak-draft, 1 piece(s)")
    audio, sr = sf.read(str(out), dtype="float32")
    assert sr == 22050
    assert 0.3 < len(audio) / sr < 3.0
    assert float(abs(audio).max()) > 0.05
