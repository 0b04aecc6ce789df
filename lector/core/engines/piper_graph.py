"""ONNX surgery that makes a Piper (VITS) voice reproducible per sentence.

A Piper export samples noise twice with unseeded ``RandomNormalLike``: the stochastic
duration predictor's ``z`` (shape ``[B, 2, n_ids]``) and the prior sample
(``[B, 192, n_frames]``, data-dependent). Each is replaced by a graph input
(``noise_dp`` / ``noise_z``) that the caller fills from ``numpy.random.default_rng(seed)``:

    noise = Pad(Slice(input, 0, Shape(target)), 0 .. Shape(target) - Shape(slice))

so an input buffer longer than needed is cut to the shape the graph wants, and a
shorter one is zero-padded (the caller then sees ``y_lengths`` larger than its buffer
and runs again with a buffer that is long enough). The frame count per item,
``y_lengths`` (the clipped sum of the ceiled durations), is added as a graph output so a
padded batch can be trimmed to each item's exact length (``y_lengths * hop_length``).
"""

from __future__ import annotations

import onnx
from onnx import TensorProto, helper

from ..errors import EngineError

NOISE_INPUTS = ("noise_dp", "noise_z")
Y_LENGTHS = "y_lengths"


def _find(graph: onnx.GraphProto, op_type: str) -> list[onnx.NodeProto]:
    return [n for n in graph.node if n.op_type == op_type]


def _y_lengths_tensor(graph: onnx.GraphProto) -> str:
    """The int64 [B] frame count: Ceil -> ReduceSum -> Clip -> Cast."""
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for node in graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    for ceil in _find(graph, "Ceil"):
        for rsum in consumers.get(ceil.output[0], []):
            if rsum.op_type != "ReduceSum":
                continue
            for clip in consumers.get(rsum.output[0], []):
                for cast in consumers.get(clip.output[0], []):
                    if clip.op_type == "Clip" and cast.op_type == "Cast":
                        return cast.output[0]
    raise EngineError(
        "the Piper graph has no Ceil->ReduceSum->Clip->Cast duration sum",
        field="model_path",
        fix="use a Piper VITS voice exported by piper_train",
    )


def _noise_nodes(rnd: onnx.NodeProto, input_name: str) -> list[onnx.NodeProto]:
    target, out, tag = rnd.input[0], rnd.output[0], input_name
    zeros = helper.make_tensor(f"{tag}_zeros3", TensorProto.INT64, [3], [0, 0, 0])
    axes = helper.make_tensor(f"{tag}_axes", TensorProto.INT64, [3], [0, 1, 2])
    return [
        helper.make_node("Constant", [], [f"{tag}_zeros3"], value=zeros),
        helper.make_node("Constant", [], [f"{tag}_axes"], value=axes),
        helper.make_node("Shape", [target], [f"{tag}_want"]),
        helper.make_node(
            "Slice", [input_name, f"{tag}_zeros3", f"{tag}_want", f"{tag}_axes"], [f"{tag}_cut"]
        ),
        helper.make_node("Shape", [f"{tag}_cut"], [f"{tag}_have"]),
        helper.make_node("Sub", [f"{tag}_want", f"{tag}_have"], [f"{tag}_short"]),
        helper.make_node("Concat", [f"{tag}_zeros3", f"{tag}_short"], [f"{tag}_pads"], axis=0),
        helper.make_node("Pad", [f"{tag}_cut", f"{tag}_pads"], [out], mode="constant"),
    ]


def seedable_piper(src: bytes) -> bytes:
    """Rewrite a Piper ONNX model: noise as inputs, y_lengths as an extra output."""
    model = onnx.load_from_string(src)
    graph = model.graph
    randoms = _find(graph, "RandomNormalLike")
    if len(randoms) != 2:
        raise EngineError(
            f"expected 2 RandomNormalLike ops in the Piper graph, found {len(randoms)}",
            field="model_path",
            fix="use a Piper VITS voice exported by piper_train",
        )
    # the duration-predictor noise comes first in a VITS export ("/dp/..." node)
    randoms.sort(key=lambda n: 0 if n.name.startswith("/dp/") else 1)
    nodes = list(graph.node)
    for rnd, input_name in zip(randoms, NOISE_INPUTS, strict=True):
        pos = nodes.index(rnd)
        nodes[pos : pos + 1] = _noise_nodes(rnd, input_name)
        channels = "dp_channels" if input_name == "noise_dp" else "z_channels"
        graph.input.append(
            helper.make_tensor_value_info(
                input_name, TensorProto.FLOAT, ["batch_size", channels, f"{input_name}_len"]
            )
        )
    del graph.node[:]
    graph.node.extend(nodes)
    graph.output.append(
        helper.make_tensor_value_info(_y_lengths_tensor(graph), TensorProto.INT64, ["batch_size"])
    )
    _rename_output(graph, graph.output[-1].name, Y_LENGTHS)
    return model.SerializeToString()


def _rename_output(graph: onnx.GraphProto, old: str, new: str) -> None:
    graph.node.append(helper.make_node("Identity", [old], [new]))
    graph.output[-1].name = new
