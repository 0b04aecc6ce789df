"""Quality control of renders: signal checks, voice consistency, ASR round-trip.

Library entry points: :func:`check_sentences` (in-memory takes), :func:`check_chapter_dir`
(one built chapter folder) and :func:`run_qc` (a project's build, writes build/qc.json).
"""

from .checks import DEFAULT_THRESHOLDS, Thresholds
from .report import ChapterQC, ProfileCheck, QCReport, SentenceQC
from .runner import SentenceAudio, check_chapter_dir, check_sentences, options_for, run_qc
from .takes import QCOptions

__all__ = [
    "DEFAULT_THRESHOLDS",
    "ChapterQC",
    "ProfileCheck",
    "QCOptions",
    "QCReport",
    "SentenceAudio",
    "SentenceQC",
    "Thresholds",
    "check_chapter_dir",
    "check_sentences",
    "options_for",
    "run_qc",
]
