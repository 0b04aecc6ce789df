"""`lector pronounce --lang zh|en [--project PATH] [--sandhi] [TEXT ...]`: pronunciations of
TEXT (or of stdin lines).

zh: the line normalised as the planner does (numbers, dates, units: 1907年 -> yi1 jiu3 ling2
qi1 nian2), English runs read by rules (lector.core.text.zh_mixed: GDP -> ji4 di4 pi1), then one
pinyin syllable with tone number per Han character, space-separated (punctuation left out).
en: IPA per word, space-separated. Uses the same front-end and lexicons as `lector plan`
(base lexicons/ + the project's lexicon).
"""

from __future__ import annotations

import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("pronounce", help="print the pronunciation of stdin lines (pinyin / IPA)")
    p.add_argument("--lang", required=True, choices=("zh", "en"), help="language of the input lines")
    p.add_argument(
        "--project",
        type=Path,
        default=None,
        help="project folder whose lexicon.pls / lexicon.tsv apply on top of the base lexicons",
    )
    p.add_argument(
        "--sandhi",
        action="store_true",
        help="zh: spoken tones (一/不 and third-tone sandhi) instead of citation tones",
    )
    p.add_argument("text", nargs="*", help="lines to pronounce (default: read stdin)")
    p.set_defaults(func=run)


def run(args) -> int:
    from lector.core.errors import ConfigError
    from lector.core.pronounce import Pronouncer

    if args.project is not None and not args.project.is_dir():
        raise ConfigError(
            f"project folder {str(args.project)!r} does not exist",
            field="--project",
            fix="pass the folder that holds project.toml and lexicon.pls / lexicon.tsv",
        )
    pronouncer = Pronouncer.for_project(args.project, sandhi=args.sandhi)
    from lector.core.text.zh_mixed import zh_line_pronunciation

    for raw in args.text or sys.stdin:
        line = raw.rstrip("\r\n")
        if args.lang == "zh":
            print(zh_line_pronunciation(line, lambda run: pronouncer.pronunciation(run, "zh")), flush=True)
        else:
            print(pronouncer.pronunciation(line, args.lang), flush=True)
    return 0
