"""Proof report (lector.core.proof) and `lector proof` / `lector plan --proof`."""

from __future__ import annotations

import json

from lector.cli import main
from lector.core.model import PlanWarning
from lector.core.planner import build_plan
from lector.core.project import load_project
from lector.core.proof import ProofChange, ProofChapter, build_proof, proof_to_html, write_proof
from lector.core.render import RenderResult, describe_failures
from tests.epub_kit import EN_TOML
from tests.test_project import StubPronouncer, make_project

EN = EN_TOML.replace("The Test Book", "Proofed").replace("Ann Author", "A. Writer")
TEXT = "---\ntitle: One\n---\n\nIt has 3 cats.\n\n* * *\n\nThe end.\n"


def test_build_proof_estimates_changes_and_warnings(tmp_path):
    make_project(tmp_path, {"01.md": TEXT}, EN)
    project = load_project(tmp_path)
    plan = build_plan(project, pronouncer=StubPronouncer())
    proof = build_proof(plan, project)
    # 6 words at 155 a minute (2.32 s) + pauses 2000 + 900 ms
    assert proof.chapters == (
        ProofChapter(1, "One", "manuscript/01.md", 2, 6, 5.2, (("narrator", 2),), False),
    )
    assert proof.estimated_s == 5.2
    sid = plan.chapters[0].sentences[0].id
    assert proof.changes == (
        ProofChange("numeral", 1, sid, "manuscript/01.md:5", "It has 3 cats.", "It has three cats."),
    )
    assert proof.warnings == (
        PlanWarning("front-matter", "YAML front matter (title) is not spoken", "manuscript/01.md:1"),
        PlanWarning("pause", "'* * *' has nothing to speak: a 2000 ms pause", "manuscript/01.md:7"),
    )
    page = proof_to_html(proof)
    assert "<h1>Proof: Proofed</h1>" in page and "It has three cats." in page and "front-matter: 1" in page
    json_path, html_path = write_proof(proof, tmp_path / "out")
    data = json.loads(json_path.read_text(encoding="utf-8"))
    assert data["warning_counts"] == {"front-matter": 1, "pause": 1}
    assert data["change_counts"] == {"numeral": 1}
    assert html_path.read_text(encoding="utf-8") == page


def test_proof_cli_writes_build_files(tmp_path, capsys):
    make_project(tmp_path, {"01.md": TEXT}, EN)
    assert main(["proof", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "Proofed — A. Writer: 1 chapters, 2 sentences, about 0:00:05"
    assert "warnings: front-matter 1, pause 1" in out
    assert json.loads((tmp_path / "build" / "proof.json").read_text(encoding="utf-8"))["title"] == "Proofed"
    assert (tmp_path / "build" / "proof.html").is_file()
    (tmp_path / "build" / "proof.json").unlink()
    assert main(["plan", str(tmp_path), "--proof"]) == 0
    assert (tmp_path / "build" / "proof.json").is_file()


def test_plan_cli_lists_warnings_and_reports_unreadable_text(tmp_path, capsys):
    make_project(tmp_path, {"01.md": TEXT}, EN)
    assert main(["plan", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.endswith(
        "warnings: 2\n  front-matter (1)\n    manuscript/01.md:1: YAML front matter (title) is "
        "not spoken\n  pause (1)\n    manuscript/01.md:7: '* * *' has nothing to speak: "
        "a 2000 ms pause\n"
    )
    (tmp_path / "manuscript" / "01.md").write_text("Hello Мир.\n", encoding="utf-8")
    assert main(["plan", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "manuscript/01.md:1: 'Мир' in 'Hello Мир.': no cast voice reads cyrillic script" in err


def test_describe_failures_names_sentence_source_and_engine_errors():
    from lector.core.model import Sentence

    s = Sentence(id="abc", text="’", spans=(), lang="en", voice="narrator", source="manuscript/b.epub:12")
    results = [
        RenderResult(
            "abc",
            "",
            "",
            "",
            "",
            0,
            0.0,
            False,
            "narrator",
            "espeak-draft: returned silence (peak below -80 dBFS)",
        ),
        RenderResult("ok", "k", "espeak-draft", "1", "en-us", 22050, 1.0, True),
    ]
    assert describe_failures(results, [s]) == (
        "  sentence abc (manuscript/b.epub:12) '’': espeak-draft: returned silence (peak below -80 dBFS)"
    )
