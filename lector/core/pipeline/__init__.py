"""The book pipeline as plain functions over a loaded Project: each step of a render (synthesize a
batch, master, chapter.flac, exports, AAC, the book's M4B, QC, manifest) and ``render_book``, the
whole book in this process. lector.flows wraps each step in a Prefect task (retries, concurrency,
the UI); the review app calls the chapter steps after an edit."""

from .book import export_book, merge_previous, previous_book_files
from .book_manifest import (
    BookSummary,
    publish_withheld,
    raise_if_withheld,
    run_counts,
    sentence_keys,
    summarize,
    write_book_manifest,
)
from .exports import (
    AAC_KBPS,
    CHAPTER_FORMATS,
    EXPORT_FORMATS,
    chapter_aac,
    chapter_changed,
    chapter_flac,
    chapter_formats,
    chapter_tags,
    ensure_chapter_flac,
    export_chapter,
    wants_aac,
)
from .master import master_chapter, mastering_budget, mastering_slot
from .progress import PROGRESS_LOGGER, announce, chapter_label, log_rendered
from .qc import qc_chapter, qc_enabled, qc_report_lock, qc_takes
from .run import finish_chapter, plan_book, render_book, select_chapters, with_counts
from .store import CACHE_URL_ENV, probe_is_local, register_cache_scheme, render_store, takes_are_local
from .synth import Batch, batches, engines_text, no_audio_error, probe_batches, synthesize_batch
from .target import PublishTarget, resolve_target

__all__ = [
    "AAC_KBPS",
    "CACHE_URL_ENV",
    "CHAPTER_FORMATS",
    "EXPORT_FORMATS",
    "PROGRESS_LOGGER",
    "Batch",
    "BookSummary",
    "PublishTarget",
    "announce",
    "batches",
    "chapter_aac",
    "chapter_changed",
    "chapter_flac",
    "chapter_formats",
    "chapter_label",
    "chapter_tags",
    "engines_text",
    "ensure_chapter_flac",
    "export_book",
    "export_chapter",
    "finish_chapter",
    "log_rendered",
    "master_chapter",
    "mastering_budget",
    "mastering_slot",
    "merge_previous",
    "no_audio_error",
    "plan_book",
    "previous_book_files",
    "probe_batches",
    "probe_is_local",
    "publish_withheld",
    "qc_chapter",
    "qc_enabled",
    "qc_report_lock",
    "qc_takes",
    "raise_if_withheld",
    "register_cache_scheme",
    "render_book",
    "render_store",
    "resolve_target",
    "run_counts",
    "select_chapters",
    "sentence_keys",
    "summarize",
    "synthesize_batch",
    "takes_are_local",
    "wants_aac",
    "with_counts",
    "write_book_manifest",
]
