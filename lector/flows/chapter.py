"""Prefect tasks of one chapter after synthesis: master, chapter.flac, exports, AAC; each is one
call into lector.core.pipeline (stamps keep what is up to date, see lector.core.pipeline.exports).
``mastered`` parameters only order a task after the chapter's master."""

from __future__ import annotations

from prefect import task
from prefect.cache_policies import NO_CACHE

from lector.core import pipeline as p
from lector.core.build import ChapterOutput
from lector.core.model import Chapter
from lector.core.project import Project
from lector.core.render import RenderReport

from . import s3store  # noqa: F401  (registers the s3:// render cache)
from .runlog import chapter_run_name


@task(name="master", cache_policy=NO_CACHE, persist_result=False, task_run_name=chapter_run_name("master"))
def master_task(project: Project, chapter: Chapter, reports: list[RenderReport]) -> ChapterOutput:
    """Stitch + master, paragraph block by block (timeline.json, master.json)."""
    return p.master_chapter(project, chapter, reports, p.render_store(project))


@task(
    name="chapter-flac",
    cache_policy=NO_CACHE,
    persist_result=False,
    task_run_name=chapter_run_name("chapter-flac"),
)
def chapter_flac_task(
    project: Project, chapter: Chapter, mastered: ChapterOutput, track_total: int = 0
) -> str | None:
    """The tagged chapter.flac and its masters/ link when the project exports FLAC."""
    return p.chapter_flac(project, chapter, track_total)


@task(
    name="export",
    cache_policy=NO_CACHE,
    persist_result=False,
    task_run_name=chapter_run_name("export", fmt_param="fmt"),
)
def export_task(
    project: Project, chapter: Chapter, fmt: str, mastered: ChapterOutput, track_total: int = 0
) -> str:
    """masters/NN-slug.<fmt> (wav, mp3 or vtt)."""
    return p.export_chapter(project, chapter, fmt, track_total)


@task(name="aac", cache_policy=NO_CACHE, persist_result=False, task_run_name=chapter_run_name("aac"))
def aac_task(project: Project, chapter: Chapter, mastered: ChapterOutput) -> str:
    """The chapter's AAC for the M4B, encoded next to its MP3 export (not after the whole book)."""
    return str(p.chapter_aac(project, chapter.index))
