"""The settings tables of ``project.toml``: [pauses], [output], [publish], [schedule], [manuscript],
[credits], [render] and [engines.<id>]. Re-exported by lector.core.project, which holds [book],
[voices.<name>], the whole ProjectConfig and its loading.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .errors import did_you_mean


class StrictModel(BaseModel):
    # every table refuses unknown keys (a typo is an error, not a silent default) and is immutable
    model_config = ConfigDict(extra="forbid", frozen=True)


class PauseSettings(StrictModel):
    sentence_ms: int = Field(450, ge=0, le=10000)
    paragraph_ms: int = Field(900, ge=0, le=10000)
    chapter_title_ms: int = Field(1200, ge=0, le=10000)
    scene_break_ms: int = Field(2000, ge=0, le=10000)  # a paragraph with nothing to speak (* * *, ⁂, —)
    verse_line_ms: int = Field(300, ge=0, le=10000)  # after each line of verse (a line is not a paragraph)
    verse_stanza_ms: int = Field(1000, ge=0, le=10000)  # after each stanza
    head_ms: int = Field(750, ge=500, le=1000)  # ACX: 0.5-1 s room tone at the head
    tail_ms: int = Field(2500, ge=1000, le=5000)  # ACX: 1-5 s at the tail


class OutputSettings(StrictModel):
    profile: Literal["acx", "apple-books", "google-play", "podcast", "ebu-r128"] = "acx"
    formats: tuple[Literal["flac", "wav", "mp3", "m4b", "vtt"], ...] = ("flac", "mp3", "m4b", "vtt")
    sample_rate: int = 44100
    mp3_kbps: int = Field(192, ge=192, le=320)


class PublishSettings(StrictModel):
    target: Literal["local", "s3"] = "local"
    local_dir: str = "build/object-store"  # relative to the project folder
    bucket: str = "lector"
    prefix: str = "audiobooks"
    endpoint_url: str | None = None
    # credentials never live here: AWS chain or a Prefect block


class ScheduleSettings(StrictModel):
    cron: str | None = None
    timezone: str = "UTC"

    @field_validator("cron")
    @classmethod
    def _cron(cls, v: str | None) -> str | None:
        if v is not None and len(v.split()) != 5:
            raise ValueError(f"cron {v!r} must have 5 fields, e.g. '0 2 * * *'")
        return v

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, v: str) -> str:
        import zoneinfo

        try:
            zoneinfo.ZoneInfo(v)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"timezone {v!r} is not an IANA time zone"
                f"{did_you_mean(v, zoneinfo.available_timezones())}, e.g. 'Europe/London'"
            ) from None
        return v


class ManuscriptSettings(StrictModel):
    # EPUB sections (epub:type / doc-* role) and documents (id, file name) matching one of these are not read
    front_matter: tuple[str, ...] = (
        "cover",
        "titlepage",
        "halftitlepage",
        "imprint",
        "copyright",
        "colophon",
        "toc",
        "nav",
        "landmarks",
        "page-list",
        "loi",
        "lot",
        "index",
        "errata",
        "seriespage",
        "other-credits",
    )
    notes: Literal["drop", "chapter-end", "book-end"] = "drop"  # EPUB footnotes / endnotes
    code: Literal["skip", "note"] = "note"  # EPUB <pre> code listings
    tables: Literal["skip", "note", "read"] = "note"  # EPUB tables
    code_note: str = "A code listing is left out here."
    table_note: str = "A table is left out here."
    max_chars: int = Field(0, ge=0, description="0 = the engine's declared max_chars")
    # text no cast voice can read (a script or xml:lang no voice speaks): "error" stops the plan,
    # "skip" leaves it out with a plan warning listing what was skipped
    unreadable: Literal["error", "skip"] = "error"
    # English (Latin-script) runs inside Chinese text: "voice" = spoken by the cast's English voice,
    # "rules" = read by the Chinese voice (acronyms letter by letter, known words from a word list,
    # numbers in Chinese; lector.core.text.zh_mixed), "auto" = "voice" when
    # the cast has an English voice, else "rules"
    mixed_english: Literal["auto", "voice", "rules"] = "auto"


class CreditSettings(StrictModel):
    """Spoken opening / closing credits (their own chapters). Texts may use {title}, {author}, {narrator}."""

    opening: bool | None = None  # unset: on for EPUB manuscripts, off for text / SSML ones
    closing: bool = False
    opening_text: str = ""  # "" = "{title}. Written by {author}. Read by {narrator}." (language's own)
    closing_text: str = ""  # "" = "The end. You have been listening to {title}, ..."


class RenderSettings(StrictModel):
    batch_size: int = Field(16, ge=1, le=512)
    qc: bool = True  # QC each chapter after mastering (build/qc.json); `lector render --no-qc` skips it
    # Whisper + voice checks on this many takes per chapter (lowest sha256 of the sentence id), and on
    # up to as many takes the signal checks flag; signal checks on all; 0 = every take
    qc_sample_takes: int = Field(16, ge=0, le=100000)


class EngineOptions(StrictModel):
    """Per-engine settings in ``[engines.<engine-id>]``; env ``LECTOR_<ID>_URL`` overrides ``url``."""

    url: str | None = None  # remote engines (GPT-SoVITS, CosyVoice, OpenAI-compatible)
    model_path: str | None = None  # e.g. a user's own Piper .onnx voice
    config_path: str | None = None
    threads: int | None = Field(None, ge=1, le=64)
    timeout_s: float = Field(60.0, gt=0)
    retries: int = Field(3, ge=0, le=10)
    concurrency: int = Field(1, ge=1, le=64)
    model: str | None = None  # server-side model name (OpenAI-compatible APIs)
    # cloning engines: the project's voices/ folder (reference clips); the renderer fills it in
    voices_dir: str | None = None
    # remote engines: the server's output rate in Hz (CosyVoice raw PCM has no header)
    sample_rate: int | None = Field(None, ge=8000, le=192000)
