"""``python -m review.qc_child PROJECT CHAPTER``: the QC of one chapter, in its own process.

The review app starts it after an accept or an in-app re-render (review.preview), so the ASR and
speaker models (several hundred MB) are never loaded into the long-lived app; the flow's qc step
(flows.tasks.qc_task: run_qc, merged into build/qc.json under its lock) does the work.
Exit 0: QC ran (flags or not); 3: QC could not run (its message on stderr)."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or not args[1].isdigit():
        print("usage: python -m review.qc_child PROJECT CHAPTER", file=sys.stderr)
        return 2
    import lector.review  # noqa: F401  (telemetry off before prefect is imported)
    from lector.flows.tasks import qc_task

    summary = qc_task.fn(args[0], int(args[1]))
    if "error" in summary:
        print(f"QC could not run: {summary['error']}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
