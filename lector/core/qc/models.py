"""The QC models (Whisper tiny.en, the speaker encoder) in memory only while a QC pass uses them.

A pass that may run them (a chapter's take measurements, a chapter's QC) enters
:func:`model_session`. It waits for the process's memory budget (:mod:`lector.core.membudget`) as a
chapter being mastered does, for the whole budget: the models and their runtimes are never in
memory beside a chapter's float audio. The last session to leave drops both models and
hands the freed heap back to the system; the next one loads them again (~0.3 s of CPU, against
~10 s of model work per 24 sampled takes). What the imported libraries keep (CTranslate2's code)
stays; the speaker encoder runs in numpy (:mod:`lector.core.voices.encoder_np`), without torch.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from ..membudget import MASTER_BUDGET, MemoryBudget
from ..memtune import trim_heap
from ..voices import embed as embed_mod
from . import asr as asr_mod

MODEL_BYTES = 512 << 20  # more than the budget: a model session waits for the whole of it

_users = [0]  # sessions open now (in a list: updated under _users_lock)
_users_lock = threading.Lock()


@contextmanager
def model_session(budget: MemoryBudget | None = None) -> Iterator[None]:
    """Hold ``budget`` (the mastering budget by default) while the models may be used; the last
    session to leave releases them (:func:`release_models`)."""
    with (budget or MASTER_BUDGET).hold(MODEL_BYTES):
        with _users_lock:
            _users[0] += 1
        try:
            yield
        finally:
            with _users_lock:
                _users[0] -= 1
                last = _users[0] == 0
            if last:
                release_models()


def release_models() -> tuple[str, ...]:
    """Drop the loaded QC models (a thread still using one keeps it until it is done); returns the
    names of those that were loaded ("whisper", "speaker-encoder")."""
    dropped = tuple(
        name
        for name, release in (
            ("whisper", asr_mod.release_model),
            ("speaker-encoder", embed_mod.release_encoder),
        )
        if release()
    )
    if dropped:
        gc.collect()
        trim_heap()
    return dropped


def loaded_models() -> tuple[str, ...]:
    """The QC models in memory now."""
    return tuple(
        name
        for name, loaded in (("whisper", asr_mod.model_loaded), ("speaker-encoder", embed_mod.encoder_loaded))
        if loaded()
    )
