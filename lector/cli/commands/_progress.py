"""What a render shows while it runs: one progress bar with ETA on a terminal, one line per
chapter otherwise; every step's line with ``--verbose``; warnings always.

It reads the ``lector.progress`` records the flow logs. Records carry a structured
``lector`` attribute (``extra={"lector": {...}}``) with an ``event``:

- ``start``:   {"chapters": {index: [title, sentences]}, "sentences": n, "cached": n}
- ``batch``:   {"chapter": index, "sentences": n}   (a synthesis batch finished)
- ``chapter``: {"chapter": index, "duration_s": x}  (its master is done)

Records without one are plain detail lines (shown with --verbose, or when WARNING or above).
A warning whose record has ``lector = {"event": "summary"}`` is printed in the closing summary
instead (retail rules, book tags), so it is not shown twice.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

LOGGER = "lector.progress"


class ProgressView(logging.Handler):
    def __init__(
        self, *, verbose: bool = False, tty: bool | None = None, stream: TextIO | None = None
    ) -> None:
        super().__init__(logging.INFO)
        self.verbose = verbose
        self._stream = stream
        self.tty = self.stream.isatty() if tty is None else tty
        self.chapters: dict[int, tuple[str, int]] = {}
        self.done: list[int] = []
        self.bar = None

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr  # whatever stderr is now (pytest's capture swaps it)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event = getattr(record, "lector", None)
            if isinstance(event, dict):
                self._event(event)
            in_summary = isinstance(event, dict) and event.get("event") == "summary"
            if self.verbose or (record.levelno >= logging.WARNING and not in_summary):
                self._line(f"lector: {record.getMessage()}")
        except (ValueError, TypeError, KeyError, OSError):  # a display problem must not stop a render
            self.handleError(record)

    def _event(self, event: dict) -> None:
        kind = event.get("event")
        if kind == "start":
            self.chapters = {int(i): (str(t), int(n)) for i, (t, n) in event["chapters"].items()}
            if self.tty and not self.verbose:
                self._open_bar(int(event["sentences"]), int(event.get("cached", 0)))
        elif kind == "batch" and self.bar is not None:
            self.bar.update(int(event["sentences"]))
        elif kind == "chapter":
            self._chapter_done(int(event["chapter"]), event.get("duration_s"))

    def _open_bar(self, total: int, cached: int) -> None:
        from tqdm import tqdm

        self.bar = bar = tqdm(
            total=total,
            initial=cached,
            unit="sentence",
            desc="render",
            file=self.stream,
            dynamic_ncols=True,
            leave=False,
            bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} sentences "
            "[{elapsed}<{remaining}] {postfix}",
        )
        bar.set_postfix_str(f"0/{len(self.chapters)} chapters")

    def _chapter_done(self, index: int, duration_s) -> None:
        if index in self.done:
            return
        self.done.append(index)
        total = len(self.chapters) or len(self.done)
        if self.bar is not None:
            self.bar.set_postfix_str(f"{len(self.done)}/{total} chapters")
            return
        if self.verbose:
            return  # the chapter's own lines say it
        title = self.chapters.get(index, ("", 0))[0]
        length = f" ({float(duration_s):.1f} s)" if duration_s is not None else ""
        self._line(f"lector: chapter {len(self.done)}/{total} done: {index:02d} {title}{length}")

    def _line(self, text: str) -> None:
        if self.bar is not None:
            self.bar.write(text, file=self.stream)
        else:  # not print(): inside a flow run with log_prints=True, Prefect captures print()
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        super().close()


def attach(*, verbose: bool = False, tty: bool | None = None) -> ProgressView:
    """Route ``lector.progress`` to a fresh ProgressView (replacing an earlier one); close it after."""
    log = logging.getLogger(LOGGER)
    for old in [h for h in log.handlers if isinstance(h, ProgressView)]:
        log.removeHandler(old)
        old.close()
    view = ProgressView(verbose=verbose, tty=tty)
    log.addHandler(view)
    log.setLevel(logging.INFO)
    return view
