"""`lector` command line. Each subcommand lives in lector/cli/commands/<name>.py and exposes
``register(subparsers)``; it only parses arguments and calls the library or a flow.

Command modules import nothing heavy at module level (no prefect, pydantic, numpy): `lector
--help` and `--version` stay fast, and commands that run no flow never import prefect.
A Lector error is printed as one paragraph (where, the bad value, the fix) with exit code 2;
any other error as one line; tracebacks only with ``--debug``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import traceback

COMMANDS = (
    "init",
    "plan",
    "proof",
    "pronounce",
    "say",
    "engines",
    "render",
    "publish",
    "deploy",
    "demo",
    "qc",
    "review",
    "voice",
    "gc",
)
EXIT_INTERNAL = 1  # an unexpected error (a bug, or a failure outside Lector's checks)
EXIT_ERROR = 2  # a Lector error: bad input, a failed engine, a refused clip
EXIT_FALLBACK = 3  # render finished with fallback voices not allowed: masters written, not published


def version() -> str:
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("lector")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def _common() -> argparse.ArgumentParser:
    """Options every command takes, before or after its name (SUPPRESS: absent unless given)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show tracebacks (and Prefect's own log lines)",
    )
    common.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        default=argparse.SUPPRESS,
        help="detailed progress: every batch, export and QC step",
    )
    return common


class _Subcommands:
    """The subparsers action, handing every command the common options."""

    def __init__(self, sub, common: argparse.ArgumentParser) -> None:
        self._sub, self._common = sub, common

    def add_parser(self, name: str, **kwargs) -> argparse.ArgumentParser:
        kwargs["parents"] = [*kwargs.get("parents", ()), self._common]
        return self._sub.add_parser(name, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    common = _common()
    parser = argparse.ArgumentParser(
        prog="lector", description="Audiobook production workflow", parents=[common]
    )
    parser.add_argument("--version", action="version", version=f"lector {version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    wrapped = _Subcommands(sub, common)
    for name in COMMANDS:
        importlib.import_module(f"lector.cli.commands.{name}").register(wrapped)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.debug = getattr(args, "debug", False)
    args.verbose = getattr(args, "verbose", False) or args.debug
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # `lector plan --json | head`: the reader went away; that is not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print("lector: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        return report_error(exc, debug=args.debug)


def report_error(exc: BaseException, *, debug: bool) -> int:
    """Print ``exc`` for a producer (traceback only when ``debug``); return the exit code."""
    from lector.core.errors import FallbackUsed, LectorError

    if debug:
        traceback.print_exception(exc)
    if isinstance(exc, LectorError):
        print(f"lector: error: {exc}", file=sys.stderr)
        return EXIT_FALLBACK if isinstance(exc, FallbackUsed) else EXIT_ERROR
    text = str(exc).strip().splitlines()
    detail = f": {text[0]}" if text else ""
    print(
        f"lector: unexpected {type(exc).__name__}{detail} — run again with --debug for the traceback",
        file=sys.stderr,
    )
    return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
