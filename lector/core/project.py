"""Project folder and ``project.toml``: validated once, at the edge.

A project folder holds ``project.toml``, ``manuscript/``, optional
``lexicon.pls`` / ``lexicon.tsv``, optional ``cover.jpg`` and ``voices/``.
Validation errors name the file, the dotted field and (for TOML) the line.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field, ValidationError, field_validator

from .errors import ConfigError, did_you_mean
from .project_settings import (
    CreditSettings,
    EngineOptions,
    ManuscriptSettings,
    OutputSettings,
    PauseSettings,
    PublishSettings,
    RenderSettings,
    ScheduleSettings,
    StrictModel,
)

if TYPE_CHECKING:
    from pydantic_core import ErrorDetails

# the settings tables live in project_settings and are re-exported here, so `from lector.core.project
# import X` serves every table of project.toml
__all__ = [
    "DEFAULT_EMOTIONS",
    "REMOVED_KEYS",
    "BookMeta",
    "CreditSettings",
    "EngineOptions",
    "ManuscriptSettings",
    "OutputSettings",
    "PauseSettings",
    "Project",
    "ProjectConfig",
    "PublishSettings",
    "RenderSettings",
    "ScheduleSettings",
    "VoiceSpec",
    "load_project",
    "toml_line",
]

DEFAULT_EMOTIONS = ("neutral", "happy", "sad", "angry", "calm", "excited", "whisper")


class BookMeta(StrictModel):
    # "" / () = taken from the manuscript's EPUB metadata (lector.core.ingest.metadata.book_metadata)
    title: str = ""
    author: str = ""  # "A; B" for several
    language: str = Field("zh", description="primary language: zh | en")
    languages: tuple[str, ...] = ()
    seed: int = 20261122
    narrator: str = "narrator"  # cast name used when no [[voice:]] tag applies
    description: str = ""
    version: str = "1"
    subtitle: str = ""
    narrators: tuple[str, ...] = ()  # the narrator credit (tags); default: the cast's synthetic voice
    publisher: str = ""
    year: str = ""
    genres: tuple[str, ...] = ()
    series: str = ""
    series_part: str = ""
    isbn: str = ""
    identifier: str = ""
    copyright: str = ""

    @field_validator("language")
    @classmethod
    def _lang(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z]{2,3}", v):
            raise ValueError(f"language {v!r} is not a primary language subtag like 'zh' or 'en'")
        return v


class VoiceSpec(StrictModel):
    """One cast entry: a project-level voice name bound to an engine voice."""

    engine: str
    voice: str = "default"
    lang: str = "zh"
    speed: float = Field(1.0, gt=0.25, le=4.0)
    pitch: float = Field(1.0, gt=0.25, le=4.0)
    emotion: str = "neutral"
    fallback: str | None = None  # another cast name used when this engine fails


# keys older project.toml files may still hold: why each went and what to write instead
REMOVED_KEYS = {
    "render.threads": "set CPU threads per engine with [engines.<id>] threads = N",
    "render.gpu_concurrency": "the GPU limit is the Prefect global concurrency limit named 'gpu' "
    "(`prefect gcl create gpu --limit N`)",
}


class ProjectConfig(StrictModel):
    book: BookMeta
    voices: dict[str, VoiceSpec] = Field(default_factory=dict)  # cast: name -> voice
    emotions: tuple[str, ...] = DEFAULT_EMOTIONS
    pauses: PauseSettings = PauseSettings()
    output: OutputSettings = OutputSettings()
    publish: PublishSettings = PublishSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    manuscript: ManuscriptSettings = ManuscriptSettings()
    credits: CreditSettings = CreditSettings()
    render: RenderSettings = RenderSettings()
    engines: dict[str, EngineOptions] = Field(default_factory=dict)
    seeds: dict[str, int] = Field(default_factory=dict)  # sentence id -> seed override


@dataclass(frozen=True)
class Project:
    """A loaded, validated project folder."""

    root: Path
    config: ProjectConfig

    @property
    def name(self) -> str:
        return self.root.name

    @property
    def manuscript_dir(self) -> Path:
        return self.root / "manuscript"

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def cover(self) -> Path | None:
        """``cover.*`` in the project folder, any case (lector.core.audio.cover checks what it holds)."""
        found = sorted(
            (p for p in self.root.glob("*") if p.stem.lower() == "cover" and p.is_file()),
            key=lambda p: (p.suffix.lower() not in (".jpg", ".jpeg", ".png"), p.name),
        )
        return found[0] if found else None

    def voice(self, name: str) -> VoiceSpec:
        try:
            return self.config.voices[name]
        except KeyError:
            known = ", ".join(sorted(self.config.voices)) or "(none)"
            raise ConfigError(
                f"unknown voice {name!r}",
                file=self.root / "project.toml",
                field=f"voices.{name}",
                fix=f"use one of: {known}, or add [voices.{name}] to project.toml",
            ) from None


def _line_of(text: str, loc: tuple[int | str, ...]) -> int | None:
    """Best-effort TOML line for a pydantic error location (table header or key)."""
    keys = [str(k) for k in loc if not isinstance(k, int)]
    line_no = None
    for depth in range(len(keys), 0, -1):
        table, key = keys[: depth - 1], keys[depth - 1]
        header = re.compile(r"^\s*\[+\s*" + re.escape(".".join(keys[:depth])) + r"\s*\]+")
        for i, line in enumerate(text.splitlines(), 1):
            if header.match(line):
                return i
        # a key "key = ..." inside its table (or a dotted key)
        in_table = not table
        for i, line in enumerate(text.splitlines(), 1):
            m = re.match(r"^\s*\[+\s*([^\]]+?)\s*\]+", line)
            if m:
                in_table = m.group(1) == ".".join(table)
            elif in_table and re.match(r"^\s*" + re.escape(key) + r"\s*=", line):
                return i
    return line_no


def toml_line(toml_path: Path, loc: tuple[int | str, ...]) -> int | None:
    """The line of project.toml that holds the dotted key ``loc`` (or its table), if found."""
    try:
        return _line_of(toml_path.read_text(encoding="utf-8"), loc)
    except OSError:
        return None


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The config model that holds the last key of ``loc`` (ProjectConfig for a top-level key)."""
    import typing

    model: type[BaseModel] = ProjectConfig
    keys = [str(k) for k in loc[:-1] if not isinstance(k, int)]
    while keys:
        field = model.model_fields.get(keys.pop(0))
        ann = field.annotation if field is not None else None
        if typing.get_origin(ann) is dict:  # [voices.NAME], [engines.ID]: skip the name
            ann = typing.get_args(ann)[1]
            if not keys:
                return None
            keys.pop(0)
        if not (isinstance(ann, type) and issubclass(ann, BaseModel)):
            return None
        model = ann
    return model


def _validation_error(err: ErrorDetails, text: str, toml_path: Path) -> ConfigError:
    """One ConfigError for pydantic's first error: key, line, bad value, did-you-mean and the fix."""
    loc = tuple(err["loc"])
    field = ".".join(str(k) for k in loc)
    table = ".".join(str(k) for k in loc[:-1])
    where = f"[{table}]" if table else "the top level"
    msg = str(err["msg"]).removeprefix("Value error, ")
    if err["type"] == "extra_forbidden" and field in REMOVED_KEYS:
        return ConfigError(
            f"key {loc[-1]!r} in {where} is no longer read",
            file=toml_path,
            line=_line_of(text, loc),
            field=field,
            fix=f"delete it; {REMOVED_KEYS[field]}",
        )
    if err["type"] == "extra_forbidden":
        model = _model_at(loc)
        keys = list(model.model_fields) if model is not None else []
        return ConfigError(
            f"unknown key {loc[-1]!r} in {where}{did_you_mean(str(loc[-1]), keys)}",
            file=toml_path,
            line=_line_of(text, loc),
            field=field,
            fix=f"use one of the keys {where} takes: {', '.join(keys)} (docs/PROJECT_TOML.md)"
            if keys
            else "remove it (docs/PROJECT_TOML.md lists every key)",
        )
    hint = ""
    if err["type"] == "literal_error":
        hint = did_you_mean(
            str(err.get("input")), re.findall(r"'([^']*)'", str(err.get("ctx", {}).get("expected")))
        )
    elif err["type"] == "missing":
        msg = f"{loc[-1]!r} is required in {where}"
    got = "" if err["type"] == "missing" or repr(err.get("input")) in msg else f" (got {err.get('input')!r})"
    return ConfigError(
        f"{msg}{got}{hint}",
        file=toml_path,
        line=_line_of(text, loc),
        field=field,
        fix="set it to a valid value (docs/PROJECT_TOML.md lists every key, its type and default)",
    )


def load_project(path: str | Path) -> Project:
    """Read and validate ``PATH/project.toml``. Raises ConfigError naming file, field, line."""
    root = Path(path).resolve()
    toml_path = root / "project.toml"
    if not toml_path.is_file():
        raise ConfigError(
            "no project.toml found",
            file=toml_path,
            fix=f"run `lector init {path}` or point to a project folder",
        )
    text = toml_path.read_text(encoding="utf-8")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise ConfigError(
            f"invalid TOML: {exc}",
            file=toml_path,
            line=int(m.group(1)) if m else None,
            fix="correct the TOML syntax at that line",
        ) from None
    try:
        config = ProjectConfig.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(exc.errors()[0], text, toml_path) from None
    project = Project(root=root, config=config)
    _check_cast(project, toml_path)
    return project


def _check_cast(project: Project, toml_path: Path) -> None:
    cfg = project.config
    if cfg.book.narrator not in cfg.voices:
        raise ConfigError(
            f"narrator voice {cfg.book.narrator!r} is not in [voices]"
            f"{did_you_mean(cfg.book.narrator, cfg.voices)}",
            file=toml_path,
            line=toml_line(toml_path, ("book", "narrator")),
            field="book.narrator",
            fix=f"add [voices.{cfg.book.narrator}] with an engine, or name one of: "
            f"{', '.join(cfg.voices) or '(no voices yet)'}",
        )
    for name, spec in cfg.voices.items():
        if spec.fallback is not None and spec.fallback not in cfg.voices:
            raise ConfigError(
                f"fallback {spec.fallback!r} is not a voice{did_you_mean(spec.fallback, cfg.voices)}",
                file=toml_path,
                line=toml_line(toml_path, ("voices", name, "fallback")),
                field=f"voices.{name}.fallback",
                fix=f"name another entry of [voices]: {', '.join(n for n in cfg.voices if n != name)}",
            )
        if spec.emotion not in cfg.emotions:
            raise ConfigError(
                f"emotion {spec.emotion!r} is not allowed{did_you_mean(spec.emotion, cfg.emotions)}",
                file=toml_path,
                line=toml_line(toml_path, ("voices", name, "emotion")),
                field=f"voices.{name}.emotion",
                fix=f"use one of {list(cfg.emotions)}",
            )
