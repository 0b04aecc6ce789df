"""Shared fixtures: a Prefect test server, a moto S3 server over HTTP, tiny projects."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
PROJECTS = REPO / "projects"

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("LECTOR_REVIEW_WARM", "0")  # review apps in tests load engines on first use


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def prefect_server():
    """One temporary Prefect API server (SQLite) for the whole session."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def moto_endpoint():
    """A moto S3 server on 127.0.0.1 speaking real HTTP; yields its endpoint URL."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture()
def s3_bucket(moto_endpoint, monkeypatch):
    """Test credentials in the AWS chain (env) and a fresh bucket; yields (endpoint, bucket)."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    for name in ("LECTOR_S3_ENDPOINT_URL", "LECTOR_S3_BUCKET", "LECTOR_CACHE_URL"):
        monkeypatch.delenv(name, raising=False)
    bucket = f"lector-{uuid.uuid4().hex[:10]}"
    boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1").create_bucket(Bucket=bucket)
    return moto_endpoint, bucket


def copy_project(name: str, dest: Path, *, chapters: int | None = None) -> Path:
    """Copy projects/<name> (without build/) to dest/<name>; keep only the first ``chapters``
    manuscript files when given."""
    src = PROJECTS / name
    if not (src / "project.toml").is_file():
        pytest.skip(f"projects/{name} is not there yet")
    out = dest / name
    shutil.copytree(src, out, ignore=shutil.ignore_patterns("build", "__pycache__"))
    if chapters is not None:
        files = sorted(p for p in (out / "manuscript").iterdir() if p.is_file())
        for extra in files[chapters:]:
            extra.unlink()
    return out


@pytest.fixture()
def make_project(tmp_path):
    """Factory: ``make_project("demo-en", chapters=2)`` copies a demo project into tmp_path."""

    def factory(name: str = "demo-en", *, chapters: int | None = None) -> Path:
        return copy_project(name, tmp_path, chapters=chapters)

    return factory


TINY_TEXT = {
    "en": (
        "# One\n\nThe first sentence is here. The second one follows.\n",
        "# Two\n\nChapter two begins. It ends soon.\n",
    ),
    "zh": ("# 第一章\n\n今天天气很好。我们去银行。\n", "# 第二章\n\n他笑了。故事结束了。\n"),
}
TINY_VOICE = {"fake": "tone-en", "fake-gpu": "tone-en", "piper-en": "default", "fastspeech2-zh": "default"}


def make_cover(path: Path) -> Path:
    """A 64x64 JPEG made by the bundled ffmpeg."""
    import subprocess

    import imageio_ffmpeg

    subprocess.run(
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-v",
            "error",
            "-f",
            "lavfi",
            "-i",
            "color=c=0x336699:s=64x64",
            "-frames:v",
            "1",
            "-y",
            str(path),
        ],
        check=True,
    )
    return path


FLOW_MECHANICS_ENGINES = ("fake", "fake-gpu")  # their tones are meaningless to QC (ASR, voice)


def write_tiny_project(
    root: Path,
    *,
    engine: str = "fake",
    lang: str = "en",
    cover: bool = True,
    extra_toml: str = "",
    batch_size: int = 2,
    qc: bool | None = None,
) -> Path:
    """Two chapters x two sentences (each chapter also speaks its title). ``qc``: [render] qc;
    None = off for the flow-mechanics fake engines (keeps those tests fast), on for real engines."""
    (root / "manuscript").mkdir(parents=True)
    qc = engine not in FLOW_MECHANICS_ENGINES if qc is None else qc
    (root / "project.toml").write_text(
        f'[book]\ntitle = "Tiny Book"\nauthor = "Test Author"\nlanguage = "{lang}"\n\n'
        f'[voices.narrator]\nengine = "{engine}"\nvoice = "{TINY_VOICE.get(engine, "default")}"\n'
        f'lang = "{lang}"\n\n[render]\nbatch_size = {batch_size}\nqc = {str(qc).lower()}\n{extra_toml}',
        encoding="utf-8",
    )
    for i, text in enumerate(TINY_TEXT[lang], 1):
        (root / "manuscript" / f"0{i}.md").write_text(text, encoding="utf-8")
    if cover:
        make_cover(root / "cover.jpg")
    return root


@pytest.fixture()
def tiny_project(tmp_path):
    """Factory: ``tiny_project(engine="fake", lang="en", extra_toml=...)`` -> project folder."""

    def factory(name: str = "tiny", **kwargs) -> Path:
        return write_tiny_project(tmp_path / name, **kwargs)

    return factory


@pytest.fixture(scope="session")
def piper_takes():
    """Real piper-en (joe) takes of tests.qc_audio.TEXTS, synthesized once per session."""
    from tests.qc_audio import synth_takes

    return synth_takes()


CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture()
def browser(tmp_path):
    """A headless Chromium driven by Selenium (the browser tests)."""
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        pytest.skip("chromium / chromedriver not installed (.ci/run installs them)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--autoplay-policy=no-user-gesture-required",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path / 'chrome-profile'}",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
