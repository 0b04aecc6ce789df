"""`lector` command line. Each subcommand lives in flows/commands/<name>.py and
exposes ``register(subparsers)``; it only parses arguments and calls the library
or a flow. Lector errors are printed as one clear line with exit code 2."""
from __future__ import annotations

import argparse
import importlib
import os
import sys

from tts_engine.errors import LectorError

COMMANDS = ("init", "plan", "pronounce", "say", "engines", "render", "publish",
            "deploy", "demo", "qc", "review", "voice", "gc")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lector", description="Audiobook production workflow")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"flows.commands.{name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except LectorError as exc:
        print(f"lector: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # `lector plan --json | head`: the reader went away; that is not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
