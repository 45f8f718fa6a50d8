"""PyTorch-convention layers: torch's class names, argument names and channels-first shapes.

Shapes are torch's own, ``(N, C, *spatial)`` (batch first, as everywhere in symcnn).
Moving statistics (BatchNorm's ``running_mean``/``running_var``/``num_batches_tracked``)
are buffers, not parameters (``counts_stats = False``), as ``module.parameters()`` has it.

torchinfo's MAC rule (``LayerInfo.calculate_macs`` in torchinfo 1.8), which the base
class applies from :meth:`torchinfo_positions`:

* a module whose class name contains ``Conv`` (transposed too): each ``weight``/``bias``
  element × batch × output spatial positions;
* any other module with ``weight``/``bias``: batch × params, where the "batch" is the
  output's first axis (a Linear on (N, T, I) is counted N times, not N·T);
* recurrent parameters (``weight_ih_l0`` ...): params × the output's first two axes.

The functional ops of traced graphs (``add``, ``cat``, ``flatten``, ``view`` ...) live in
:mod:`symcnn.layers.torch.ops`, lowercase layers named like the torch functions.

Class names that Keras also uses (Flatten, Dropout, ReLU, LSTM ...) are kept out of the
shared ``Layer.registry`` when Keras's class is already there; :data:`TORCH_LAYERS`
holds every torch-convention class by its torch name, and :func:`lookup` resolves a
name for a convention. One module per family: base, convolution, linear, norm, pool,
shape, activations, attention, recurrent; ``indexing`` (``table[index]``),
``einsum`` and ``windows`` (torchvision's Swin functions that fx keeps whole).

>>> Conv2d(3, 16, 3, stride=2, padding=1).output_shape([(1, 3, 97, 97)])
(1, 16, 49, 49)
"""

from __future__ import annotations

from . import activations, einsum, indexing, ops, shape, windows  # noqa: F401  (they register the functional ops)
from .activations import PReLU
from .attention import MultiheadAttention
from .base import TORCH_LAYERS, lookup
from .convolution import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .linear import Bilinear, Embedding, Linear
from .norm import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
    SyncBatchNorm,
)
from .pool import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    LPPool1d,
    LPPool2d,
    LPPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
)
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .shape import Flatten, PixelShuffle, PixelUnshuffle, Unflatten, Upsample, UpsamplingBilinear2d, UpsamplingNearest2d

# The shape-preserving modules and the padding family are made in a loop; export them by name too.
globals().update({name: TORCH_LAYERS[name] for name in (*activations._SAME_MODULES, *shape._PAD_MODULES)})

__all__ = [  # noqa: PLE0604
    "TORCH_LAYERS",
    "lookup",
    "MultiheadAttention",
    "Conv1d",
    "Conv2d",
    "Conv3d",
    "ConvTranspose1d",
    "ConvTranspose2d",
    "ConvTranspose3d",
    "Bilinear",
    "Embedding",
    "Linear",
    "BatchNorm1d",
    "BatchNorm2d",
    "BatchNorm3d",
    "GroupNorm",
    "InstanceNorm1d",
    "InstanceNorm2d",
    "InstanceNorm3d",
    "LayerNorm",
    "SyncBatchNorm",
    "AdaptiveAvgPool1d",
    "AdaptiveAvgPool2d",
    "AdaptiveAvgPool3d",
    "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d",
    "AdaptiveMaxPool3d",
    "AvgPool1d",
    "AvgPool2d",
    "AvgPool3d",
    "LPPool1d",
    "LPPool2d",
    "LPPool3d",
    "MaxPool1d",
    "MaxPool2d",
    "MaxPool3d",
    "GRU",
    "LSTM",
    "RNN",
    "GRUCell",
    "LSTMCell",
    "RNNCell",
    "Flatten",
    "PixelShuffle",
    "PixelUnshuffle",
    "Unflatten",
    "Upsample",
    "UpsamplingBilinear2d",
    "UpsamplingNearest2d",
    "PReLU",
    *activations._SAME_MODULES,
    *shape._PAD_MODULES,
]
