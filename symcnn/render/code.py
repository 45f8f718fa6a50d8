"""The model as code a student can run: Keras for Keras-convention models, PyTorch for torch ones.

The code is generated from the model symcnn read, so ``model.summary()`` (Keras) or
``torchinfo.summary`` (PyTorch) prints the numbers of the worked page. Only layers with a
known, tested translation are written (:mod:`symcnn.render.code_keras`,
:mod:`symcnn.render.code_torch`); for any other layer no code is given at all and
:attr:`Listing.problems` says which layer and why, so a page never shows wrong code.
Settings symcnn does not read (activations, dropout rates, initialisers) change no shape
or count and are left out.

>>> from symcnn import load
>>> listing = model_code(load("examples/seed.yaml"))
>>> listing.framework, listing.problems
('Keras', ())
"""

from __future__ import annotations

from ..model import Model
from . import code_keras, code_torch
from .codegen import Listing

__all__ = ["Listing", "model_code"]


def model_code(model: Model) -> Listing:
    """The model as Keras code (Keras convention) or PyTorch code (torch convention)."""
    if model.convention == "torch":
        return code_torch.listing(model)
    return code_keras.listing(model)
