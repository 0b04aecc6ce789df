"""resemblyzer's speaker encoder (``VoiceEncoder.embed_utterance``) in plain numpy.

The render process must not import torch or librosa (~400 MiB of resident memory for the rest of a
run) just to embed a few sampled takes. resemblyzer's weights are a torch pickle, so a short-lived
child process (``python -m lector.core.voices.encoder_np SRC OUT``) converts them once into an
``.npz`` with the LSTM/linear weights, librosa's mel filterbank and STFT window; it lives in the
per-user model cache beside the engines' derived models (:func:`lector.core.modelcache.cached_model`:
named by the sha256 of ``pretrained.pt`` and :data:`FORMAT_VERSION`, a partial or corrupt file
rebuilt). Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from ..errors import EngineUnavailable
from ..modelcache import cached_model

FORMAT_VERSION = 1  # bump when the .npz layout or its conversion changes
SAMPLE_RATE = 16000
N_FFT = 400  # 25 ms window
HOP = 160  # 10 ms step
N_MELS = 40
PARTIAL_FRAMES = 160  # 1.6 s per partial utterance
RATE = 1.3  # partials per second (resemblyzer's embed_utterance default)
MIN_COVERAGE = 0.75
N_LAYERS = 3
FIX = "pip install 'lector[qc]' (resemblyzer, torch and librosa convert its weights once)"

F32 = npt.NDArray[np.float32]


def _unavailable(reason: str, file: Path | None = None) -> EngineUnavailable:
    return EngineUnavailable(
        f"speaker encoder unavailable: {reason}", file=file, field="resemblyzer", fix=FIX
    )


def weights_source() -> Path:
    """resemblyzer's ``pretrained.pt``, found without importing resemblyzer (which imports torch)."""
    spec = importlib.util.find_spec("resemblyzer")
    if spec is None or spec.origin is None:
        raise _unavailable("No module named 'resemblyzer'")
    path = Path(spec.origin).parent / "pretrained.pt"
    if not path.is_file():
        raise _unavailable(f"{path} is missing")
    return path


def cached_weights(source: Path | None = None) -> Path:
    """The converted ``.npz`` for ``source`` (resemblyzer's weights), converting them once."""
    return cached_model(
        source or weights_source(),
        f"np-v{FORMAT_VERSION}",
        ".npz",
        _convert_in_child,
        stem="resemblyzer-encoder",
    )


def _convert_in_child(src: Path) -> bytes:
    """Run the torch/librosa conversion in a child so their memory leaves with it."""
    for name in ("torch", "librosa"):
        if importlib.util.find_spec(name) is None:
            raise _unavailable(f"No module named {name!r}")
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
    with tempfile.TemporaryDirectory(prefix="lector-encoder-") as tmp:
        out = Path(tmp) / "encoder.npz"
        cmd = [sys.executable, "-m", __name__, str(src), str(out)]
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0 or not out.is_file():
            tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
            raise _unavailable(f"converting {src} failed (exit {proc.returncode}): {tail[0]}", src)
        return out.read_bytes()


def convert(src: Path, out: Path) -> None:
    """Write ``src``'s weights, librosa's mel filterbank and Hann window to ``out`` (child only)."""
    import librosa
    import torch

    state = torch.load(src, map_location="cpu")["model_state"]
    arrays = {k.replace(".", "_"): v.numpy().astype(np.float32) for k, v in state.items() if "." in k}
    arrays["mel_basis"] = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS)
    arrays["window"] = librosa.filters.get_window("hann", N_FFT, fftbins=True)  # float64, as stft uses
    np.savez(out, **arrays)


def partial_slices(n_samples: int) -> list[slice]:
    """Mel-frame slices of the partial utterances (``VoiceEncoder.compute_partial_slices``)."""
    n_frames = int(np.ceil((n_samples + 1) / HOP))
    frame_step = int(np.round((SAMPLE_RATE / RATE) / HOP))
    steps = max(1, n_frames - PARTIAL_FRAMES + frame_step + 1)
    slices = [slice(i, i + PARTIAL_FRAMES) for i in range(0, steps, frame_step)]
    last = slices[-1]
    coverage = (n_samples - last.start * HOP) / (PARTIAL_FRAMES * HOP)
    if coverage < MIN_COVERAGE and len(slices) > 1:
        slices = slices[:-1]
    return slices


def _lstm_layer(w_ih: F32, w_hh: F32, b_ih: F32, b_hh: F32) -> tuple[F32, F32, F32]:
    """PyTorch's (4H, in) weights as (in, 4H) matrices with the gates reordered i, f, o, g and the
    sigmoid gates' rows halved: sigmoid(z) = (tanh(z / 2) + 1) / 2, so one tanh covers all gates."""
    size = w_hh.shape[1]
    order = np.r_[0 : 2 * size, 3 * size : 4 * size, 2 * size : 3 * size]
    scale = np.ones(4 * size, np.float32)
    scale[: 3 * size] = 0.5  # a power of two: exact in float32
    bias = (b_ih + b_hh)[order] * scale
    return (
        np.ascontiguousarray((w_ih[order] * scale[:, None]).T),
        np.ascontiguousarray((w_hh[order] * scale[:, None]).T),
        bias.astype(np.float32),
    )


class NumpyEncoder:
    """resemblyzer's d-vector encoder from converted weights; stateless, so threads may share it."""

    def __init__(self, weights: Path) -> None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError as exc:
            raise _unavailable(str(exc)) from None
        # one BLAS thread: the LSTM's 480 small matmuls are several times slower with threads
        self._pools = ThreadpoolController()
        with np.load(weights) as npz:
            w = {k: np.asarray(npz[k]) for k in npz.files}
        self.mel_basis: F32 = w["mel_basis"].astype(np.float32)
        self.window = w["window"].astype(np.float64)
        self.layers = [
            _lstm_layer(
                *(w[f"lstm_{name}_l{n}"] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))
            )
            for n in range(N_LAYERS)
        ]
        self.linear_w: F32 = np.ascontiguousarray(w["linear_weight"].T)
        self.linear_b: F32 = w["linear_bias"]

    def mel(self, wav: F32) -> F32:
        """(frames, 40) power mel spectrogram as ``librosa.feature.melspectrogram`` (centred, zero
        padding, periodic Hann, power 2) computes it."""
        y = np.pad(np.asarray(wav, np.float32), N_FFT // 2)
        frames = np.lib.stride_tricks.sliding_window_view(y, N_FFT)[::HOP]
        spec = np.fft.rfft(frames * self.window, axis=-1).astype(np.complex64)
        power = np.abs(spec) ** 2
        mel: F32 = (power @ self.mel_basis.T).astype(np.float32)
        return mel

    def _lstm_last_hidden(self, x: F32) -> F32:
        """Final hidden state of the top layer for a batch (B, T, 40). The 3 x 160 steps run in place
        on preallocated buffers: small arrays, so per-call allocation would cost as much as the math."""
        seq = np.ascontiguousarray(x.transpose(1, 0, 2))  # (T, B, features): one step is contiguous
        steps, batch = seq.shape[:2]
        h = np.zeros((batch, self.linear_w.shape[0]), np.float32)
        for w_ih, w_hh, bias in self.layers:
            size = w_hh.shape[0]
            gates_x = seq @ w_ih + bias  # every step's input projection in one matmul
            h, c = np.zeros((batch, size), np.float32), np.zeros((batch, size), np.float32)
            gates, tmp = np.empty((batch, 4 * size), np.float32), np.empty((batch, size), np.float32)
            sig, i, f, o, g = gates[:, : 3 * size], *np.split(gates, 4, axis=1)
            outs = np.empty((steps, batch, size), np.float32)
            for t in range(steps):
                np.matmul(h, w_hh, out=gates)
                gates += gates_x[t]
                np.tanh(gates, out=gates)
                sig *= 0.5
                sig += 0.5
                c *= f
                np.multiply(i, g, out=tmp)
                c += tmp
                np.tanh(c, out=tmp)
                np.multiply(o, tmp, out=outs[t])
                h = outs[t]
            seq = outs
        return h

    def embed_utterance(self, wav: F32) -> F32:
        """L2-normalised (256,) embedding: the mean of the partial utterances' embeddings."""
        # every BLAS call inside the limit: one outside wakes OpenBLAS's threads, which then spin
        with self._pools.limit(limits=1, user_api="blas"):
            return self._embed(wav)

    def _embed(self, wav: F32) -> F32:
        slices = partial_slices(len(wav))
        need = slices[-1].stop * HOP
        if need >= len(wav):
            wav = np.pad(wav, (0, need - len(wav)))
        mel = self.mel(wav)
        mels = np.stack([mel[s] for s in slices])
        raw = np.maximum(self._lstm_last_hidden(mels) @ self.linear_w + self.linear_b, 0.0)
        partials = raw / np.linalg.norm(raw, axis=1, keepdims=True)
        mean = partials.mean(axis=0)
        out: F32 = (mean / np.linalg.norm(mean)).astype(np.float32)
        return out


if __name__ == "__main__":
    convert(Path(sys.argv[1]), Path(sys.argv[2]))
