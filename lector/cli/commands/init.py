"""`lector init PATH --lang zh|en`: scaffold a project folder (never overwrites)."""

from __future__ import annotations

import argparse
from pathlib import Path

from lector.core.errors import ConfigError
from lector.core.fsutil import atomic_write_text

_VOICES = {
    "zh": (
        '[voices.narrator]\nengine = "fastspeech2-zh"\nvoice = "baker"\nlang = "zh"\nfallback = "draft"\n\n'
        '[voices.draft]\nengine = "espeak-draft"\nvoice = "cmn"\nlang = "zh"\n'
    ),
    "en": (
        '[voices.narrator]\nengine = "piper-en"\nvoice = "joe"\nlang = "en"\nfallback = "draft"\n\n'
        '[voices.draft]\nengine = "espeak-draft"\nvoice = "en-us"\nlang = "en"\n'
    ),
}
_SAMPLES = {
    "zh": (
        "# 第一章\n\n这是第一章的第一段。它有两句话。\n\n"
        "[[emotion:happy]]\n今天是2026年11月22日，天气很好！\n"
    ),
    "en": (
        "# Chapter One\n\nThis is the first paragraph. It has two sentences.\n\n"
        "[[emotion:happy]]\nOn March 3, 2026, the weather was fine!\n"
    ),
}
_LEXICON = {
    "zh": (
        "# word<TAB>pinyin with tone numbers, one syllable per character<TAB>optional context word\n"
        "行\thang2\t银行\n"
    ),
    "en": "# word<TAB>IPA as espeak-ng writes it<TAB>optional context\n",
}


def register(sub) -> None:
    p = sub.add_parser("init", help="create a new project folder")
    p.add_argument("path", help="folder to create (may exist, must not hold project.toml)")
    p.add_argument("--lang", choices=("zh", "en"), default="zh", help="primary language of the book")
    p.add_argument("--title", default=None, help="book title (default: the folder name)")
    p.set_defaults(func=run)


def project_toml(title: str, lang: str) -> str:
    title = title.replace("\\", "\\\\").replace('"', '\\"')
    return (
        f'[book]\ntitle = "{title}"\n# author = "..."    (unset: the EPUB\'s dc:creator)\n'
        f'language = "{lang}"\n'
        'narrator = "narrator"\n\n'
        f"{_VOICES[lang]}\n[pauses]\nsentence_ms = 450\nparagraph_ms = 900\n\n"
        '[output]\nprofile = "acx"\nformats = ["flac", "mp3", "m4b", "vtt"]\n'
    )


def scaffold(path: str | Path, lang: str, title: str | None = None) -> Path:
    """Create PATH/project.toml, manuscript/01-chapter.md and lexicon.tsv. Raises ConfigError
    if project.toml exists (nothing is changed then)."""
    root = Path(path)
    toml_path = root / "project.toml"
    if toml_path.exists():
        raise ConfigError(
            "project.toml already exists",
            file=toml_path,
            fix="choose another folder or edit the existing project",
        )
    if lang not in _VOICES:
        raise ConfigError(f"unsupported language {lang!r}", field="--lang", fix="use zh or en")
    (root / "manuscript").mkdir(parents=True, exist_ok=True)
    sample = root / "manuscript" / "01-chapter.md"
    if not sample.exists():
        sample.write_text(_SAMPLES[lang], encoding="utf-8")
    lexicon = root / "lexicon.tsv"
    if not lexicon.exists():
        lexicon.write_text(_LEXICON[lang], encoding="utf-8")
    atomic_write_text(toml_path, project_toml(title or root.resolve().name, lang))
    return root


def run(args: argparse.Namespace) -> int:
    root = scaffold(args.path, args.lang, args.title)
    print(f"created {root / 'project.toml'}; next: lector plan {root}")
    return 0
