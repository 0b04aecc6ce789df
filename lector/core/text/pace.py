"""Narration pace: how long text takes to read before any synthesis.

The EPUB reader uses it to split an overlong chapter before planning, the proof report to
estimate a book's running time; both must agree, so the numbers live here, below both.
"""

WORDS_PER_MINUTE = 155.0  # an audiobook narrator's English pace
HAN_PER_SECOND = 4.2  # Mandarin narration, characters a second
