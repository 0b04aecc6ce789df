"""Markdown / plain-text reader and read_manuscript."""

import pytest

from lector.core.errors import ManuscriptError, TagError
from lector.core.ingest import Boundary, Break, RawParagraph, Run, Style, read_manuscript
from lector.core.project import load_project
from tests.test_project import make_project

MD = """# 第一章 开始

第一行，
第二行。 Second line.

[[voice:alice]]
甲说话。
[[emotion:sad:0.5]]乙难过。

丙旁白。[[pause:800ms]]
- 列表[[seed:9]]项

## 小节
"""


def test_markdown_chapters_paragraphs_and_scopes(tmp_path):
    make_project(tmp_path, {"01-a.md": MD, "02-b.txt": "没有标题的文本。\n"})
    chapters = read_manuscript(load_project(tmp_path))
    assert [(c.title, c.source) for c in chapters] == [
        ("第一章 开始", "manuscript/01-a.md"),
        ("b", "manuscript/02-b.txt"),
    ]
    paras = chapters[0].paragraphs
    alice, sad = Style(voice="alice"), Style(voice="alice", emotion="sad", emotion_degree=0.5)
    assert paras == (
        RawParagraph((Run("第一章 开始", 1),), 1, heading=True),
        RawParagraph((Run("第一行，", 3), Run("第二行。 Second line.", 4)), 3),
        RawParagraph((Run("甲说话。", 7, alice), Run("乙难过。", 8, sad)), 7),
        RawParagraph((Run("丙旁白。", 10, alice), Break(800, 10)), 10),
        RawParagraph((Run("列表", 11, alice), Boundary(11, seed=9), Run("项", 11, alice)), 11),
        RawParagraph((Run("小节", 13, alice),), 13, heading=True),
    )
    assert chapters[1].paragraphs == (RawParagraph((Run("没有标题的文本。", 1),), 1),)


def test_markdown_joins_english_lines_with_space_and_strips_markup(tmp_path):
    make_project(tmp_path, {"01.md": "# One\n\nThis is *very*\n**bold** and [a link](http://x).\n"})
    para = read_manuscript(load_project(tmp_path))[0].paragraphs[1]
    assert "".join(r.text for r in para.items) == "This is very bold and a link."


def test_sticky_tags_reset_at_next_chapter(tmp_path):
    make_project(tmp_path, {"01.md": "# A\n\n[[voice:alice]]\n\n甲。\n\n# B\n\n乙。\n"})
    chapters = read_manuscript(load_project(tmp_path))
    assert chapters[0].paragraphs[1].items == (Run("甲。", 5, Style(voice="alice")),)
    assert chapters[1].paragraphs[1].items == (Run("乙。", 9),)


def test_unknown_emotion_in_manuscript_names_file_line(tmp_path):
    make_project(tmp_path, {"01.md": "# A\n\n好。\n[[emotion:furious]]坏。\n"})
    with pytest.raises(TagError) as info:
        read_manuscript(load_project(tmp_path))
    assert str(info.value).startswith("manuscript/01.md:4: unknown emotion 'furious'")


def test_unknown_voice_in_manuscript_names_file_line(tmp_path):
    make_project(tmp_path, {"01.md": "# A\n\n[[voice:zed]]\n"})
    with pytest.raises(TagError) as info:
        read_manuscript(load_project(tmp_path))
    assert (info.value.file, info.value.line) == ("manuscript/01.md", 3)
    assert "narrator, alice" in info.value.fix


def test_not_utf8_is_manuscript_error(tmp_path):
    make_project(tmp_path, {"01.txt": "你好".encode("gbk")})
    with pytest.raises(ManuscriptError) as info:
        read_manuscript(load_project(tmp_path))
    assert info.value.file == "manuscript/01.txt"


def test_empty_manuscript_folder(tmp_path):
    make_project(tmp_path, {})
    with pytest.raises(ManuscriptError, match=r"holds no \.md"):
        read_manuscript(load_project(tmp_path))


def test_files_read_in_name_order(tmp_path):
    make_project(tmp_path, {"10-c.md": "# C\n", "02-b.md": "# B\n", "01-a.txt": "# A\n", "notes.docx": "x"})
    assert [c.title for c in read_manuscript(load_project(tmp_path))] == ["A", "B", "C"]
