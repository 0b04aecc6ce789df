"""Chinese text normalisation over the real-case table tests/data/zh_tn_cases.tsv (exact output)."""

from pathlib import Path

import pytest

from lector.core.text.normalize_zh import normalize_zh

TABLE = Path(__file__).parent / "data" / "zh_tn_cases.tsv"


def _cases() -> list[tuple[str, str]]:
    rows = [
        line.split("\t")
        for line in TABLE.read_text(encoding="utf-8").splitlines()
        if line and not line.startswith("#")
    ]
    return [(text, spoken) for text, spoken in rows]


def test_table_has_at_least_150_cases():
    assert len(_cases()) == 165


@pytest.mark.parametrize("text, spoken", _cases())
def test_normalize_zh_table(text, spoken):
    assert normalize_zh(text) == spoken
