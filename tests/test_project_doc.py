"""docs/PROJECT_TOML.md is generated from the models in lector/core/project.py and kept in sync."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from lector.core import project_doc
from lector.core.project import ProjectConfig


def test_reference_is_up_to_date():
    """Fails after a field is added, removed or re-commented: run `python -m lector.core.project_doc`."""
    assert project_doc.DOC_PATH.read_text(encoding="utf-8") == project_doc.render()
    assert project_doc.main(["--check"]) == 0


def test_every_key_of_every_table_is_listed():
    text = project_doc.render()
    for header, model in project_doc.tables():
        section = text.split(f"## [{header}]\n", 1)[1].split("\n## ", 1)[0]
        for key in model.model_fields:
            assert f"| `{key}` | " in section, f"[{header}] {key}"
    assert [h for h, _ in project_doc.tables()][:2] == ["book", "voices.NAME"]
    assert "## Top level" in text and "| `emotions` | array of strings | " in text
    assert set(ProjectConfig.model_fields) <= {h.split(".")[0] for h, _ in project_doc.tables()} | {
        "emotions",
        "seeds",
    }


class Sample(BaseModel):
    """A sample table."""

    name: str  # who
    # the mode, said above the field
    mode: Literal["a", "b"] = "a"
    size_ms: int = Field(450, ge=0, le=10000)
    tags: tuple[str, ...] = ()
    url: str | None = Field(None, description="where")


def test_rows_type_default_and_meaning():
    assert project_doc.rows(Sample) == [
        project_doc.Row("name", "string", "**required**", "who"),
        project_doc.Row("mode", '"a" \\| "b"', '`"a"`', "the mode, said above the field"),
        project_doc.Row("size_ms", "integer (>= 0, <= 10000)", "`450`", ""),
        project_doc.Row("tags", "array of strings", "`[]`", ""),
        project_doc.Row("url", "string (optional)", "`(unset)`", "where"),
    ]
