"""English reading on real books: how often the plan reads something a narrator would not.

    .venv/bin/python bench/reading_en.py                 # plans the shared books (about 1 min)
    .venv/bin/python bench/reading_en.py --plans a.json  # measure saved `lector plan --json` output
    .venv/bin/python bench/reading_en.py --before old/sherlock.json old/huck.json   # + earlier figures

Per book (Sherlock Holmes, Huckleberry Finn from /work/shared/data/books/):
- a_letter_share: share of the tokens "a"/"A" read as the letter name (IPA with eɪ);
- roman_misread: numerals said "Roman N" by espeak (ɹˌoʊmən in a token), capital numerals of
  two or more letters left in the spoken text (espeak spells them: "XI" -> "xi"), headings that
  are a lone "I" read as the pronoun;
- abbreviation_splits: sentence cuts inside a paragraph right after a title (Mr., St., Rev.),
  between No./vol./p./10s. and its number, after an initial, or after a full stop, ! or ? and
  before a lowercase word (a dialogue tag cut from its quotation);
- symbols_unread: spoken texts that still hold ° ′ ″ ℔ £ § ½ ¼ ¾ &c or old money (10s. 6d.).
Writes bench/results/reading_en.json.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import metric, stopwatch, write_result
from lector.core.text.segment import SPEECH_VERBS

BOOKS = Path("/work/shared/data/books")
SHARED = {
    "sherlock": "arthur-conan-doyle_the-adventures-of-sherlock-holmes.epub",
    "huck": "mark-twain_the-adventures-of-huckleberry-finn.epub",
}
_ROMAN = re.compile(r"\b(?:[IVX]{2,}|[IVXLCDM]{4,})\b")
_TITLE_END = re.compile(r"(?<![\w.])(?:Mr|Mrs|Messrs|Dr|St|Rev|Col|Capt|Gen|Prof|Hon|Lieut)\.$")
_NUMBER_END = re.compile(r"(?:(?<![\w.])(?:No|vol|Vol|p|pp|ch|chap)|\d\s?[lsd])\.$")
_INITIAL_END = re.compile(r"(?<![\w.’'])[A-HJ-Z]\.$")
_TAG = re.compile(r"(?:I|[A-Z][a-z]+(?: [A-Z][a-z]+){0,2}) (?:" + "|".join(SPEECH_VERBS) + r")\b")
_STOP_END = re.compile(r"[.!?…][’”\"')]*$")
_SYMBOLS = re.compile(r"[°′″℔£§½¼¾⅓⅔⅛]|&c|\b\d+\s?[lsd]\.")


def measure(plan: dict) -> dict[str, float | int]:
    a_total = a_letter = roman = splits = symbols = sentences = 0
    for chapter in plan["chapters"]:
        rows = chapter["sentences"]
        for k, s in enumerate(rows):
            sentences += 1
            for span in s["spans"]:
                for tok in span["tokens"]:
                    if tok["text"] in ("a", "A"):
                        a_total += 1
                        a_letter += "eɪ" in tok["pron"]
                    roman += "ɹˌoʊmən" in tok["pron"] or "ɹoʊmən" in tok["pron"]
                roman += len([m for m in _ROMAN.findall(span["spoken"]) if m != "I"])
            roman += s["text"].strip(" .") == "I" and s["spoken"].strip(" .") == "I"
            symbols += bool(_SYMBOLS.search(s["spoken"]))
            nxt = rows[k + 1] if k + 1 < len(rows) else None
            if nxt and nxt["paragraph"] == s["paragraph"]:
                left, right = s["text"].rstrip(), nxt["text"].lstrip()
                splits += _wrong_cut(left, right)
    return {
        "sentences": sentences,
        "a_tokens": a_total,
        "a_letter": a_letter,
        "a_letter_share": round(a_letter / max(1, a_total), 4),
        "roman_misread": roman,
        "abbreviation_splits": splits,
        "symbols_unread": symbols,
    }


def _wrong_cut(left: str, right: str) -> bool:
    """A sentence cut after a title, before the number of No./vol./p./10s., between initials,
    or before a lowercase word (a dialogue tag cut from its quotation)."""
    if _TITLE_END.search(left):
        return True
    if _NUMBER_END.search(left) and re.match(r"\d|[ivxlc]+\b|[IVXLC]{2,}\b|[a-z,]", right):
        return True
    if _INITIAL_END.search(left) and right[:1].isupper():
        return True
    if re.search(r"[?!][’”\"']+$", left) and _TAG.match(right):
        return True  # “Is it?” | I asked.
    return bool(_STOP_END.search(left)) and right[:1].islower()


def plan_book(epub: Path, work: Path) -> dict:
    from lector.core.planner import build_plan, plan_to_json
    from lector.core.project import load_project

    root = work / epub.stem
    (root / "manuscript").mkdir(parents=True)
    (root / "manuscript" / epub.name).symlink_to(epub)
    (root / "project.toml").write_text(
        '[book]\ntitle = "bench"\nauthor = "bench"\nlanguage = "en"\nnarrator = "narrator"\n\n'
        '[voices.narrator]\nengine = "espeak-draft"\nvoice = "en-us"\nlang = "en"\n',
        encoding="utf-8",
    )
    return json.loads(plan_to_json(build_plan(load_project(root)), indent=None))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--plans", nargs="*", type=Path, help="saved plan JSON files to measure instead")
    ap.add_argument(
        "--before",
        nargs="*",
        type=Path,
        default=[],
        help="saved plans of an earlier version, measured into details.before for comparison",
    )
    args = ap.parse_args(argv)
    before = {p.stem: measure(json.loads(p.read_text(encoding="utf-8"))) for p in args.before}
    books, seconds = {}, {}
    if args.plans:
        for path in args.plans:
            books[path.stem] = measure(json.loads(path.read_text(encoding="utf-8")))
    else:
        with tempfile.TemporaryDirectory(prefix="lector-reading-") as tmp:
            for name, file in SHARED.items():
                with stopwatch() as watch:
                    books[name] = measure(plan_book(BOOKS / file, Path(tmp)))
                seconds[name] = round(watch.seconds, 1)
    metrics = []
    for name, m in books.items():
        metrics += [
            metric(f"{name}_a_letter_share", m["a_letter_share"], "", "<= 0.01", note=f"{m['a_tokens']} a"),
            metric(f"{name}_roman_misread", m["roman_misread"], "", "<= 0"),
            metric(
                f"{name}_abbreviation_splits",
                m["abbreviation_splits"],
                "",
                "<= 2",
                note=f"{m['sentences']} sentences",
            ),
            metric(f"{name}_symbols_unread", m["symbols_unread"], "", "<= 0"),
        ]
    path = write_result("reading_en", metrics, details={"books": books, "plan_s": seconds, "before": before})
    print(json.dumps(books, indent=2))
    print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
