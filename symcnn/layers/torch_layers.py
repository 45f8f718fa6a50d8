"""PyTorch-convention layers, by their torch names: re-exports :mod:`symcnn.layers.torch`.

The classes live in the package, one module per family (convolution, linear, norm, pool,
shape, activations, attention, recurrent); this module keeps the old import path working.

>>> Conv2d(3, 16, 3, stride=2, padding=1).output_shape([(1, 3, 97, 97)])
(1, 16, 49, 49)
"""

from __future__ import annotations

from .torch import *
from .torch import __all__  # noqa: F401
from .torch.activations import _SAME_MODULES, _Same  # noqa: F401
from .torch.base import (  # noqa: F401
    _axis,
    _check_channels,
    _div,
    _int,
    _respecting_frozen,
    _same,
    _TorchLayer,
)
from .torch.recurrent import _CellBase, _RNNBase  # noqa: F401
from .torch.shape import _fill_minus_one, _flatten, _pad_tuple, _padded  # noqa: F401
