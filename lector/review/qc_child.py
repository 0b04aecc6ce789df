"""``python -m review.qc_child PROJECT CHAPTER``: the QC of one chapter, in its own process.

The review app starts it after an accept or an in-app re-render (review.preview), so the ASR and
speaker models (several hundred MB) are never loaded into the long-lived app; the flow's qc step
(lector.core.pipeline.qc_chapter: run_qc, merged into build/qc.json under its lock) does the work.
Exit 0: QC ran (flags or not); 3: QC could not run (its message on stderr)."""

from __future__ import annotations

import signal
import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or not args[1].isdigit():
        print("usage: python -m review.qc_child PROJECT CHAPTER", file=sys.stderr)
        return 2
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the app ends this
    from lector.core.errors import LectorError
    from lector.core.pipeline import qc_chapter
    from lector.core.project import load_project

    try:
        summary = qc_chapter(load_project(args[0]), int(args[1]))
    except LectorError as exc:  # the project itself cannot be read
        summary = {"error": str(exc)}
    if "error" in summary:
        print(f"QC could not run: {summary['error']}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
