"""The symcnn error family: every problem a user can cause is one of these.

Each class carries the exit status the command line gives it, and each message
names the file, the layer and the problem on one line.
"""

from __future__ import annotations


class SymcnnError(Exception):
    """Base of every error symcnn raises for bad input (exit status 2)."""

    exit_code = 2

    def __init__(self, problem: str, *, file: str | None = None, layer: str | None = None) -> None:
        super().__init__(problem)
        self.problem = " ".join(str(problem).split())
        self.file = file
        self.layer = layer

    def within(self, *, file: str | None = None, layer: str | None = None) -> SymcnnError:
        """Fill in the file or layer if not yet known, and return self."""
        if self.file is None and file is not None:
            self.file = file
        if self.layer is None and layer is not None:
            self.layer = layer
        return self

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(str(self.file))
        if self.layer:
            where.append(f"layer {self.layer!r}")
        prefix = ": ".join(where)
        return _one_safe_line(f"{prefix}: {self.problem}" if prefix else self.problem)


MAX_MESSAGE = 2000


def shown(value: object) -> str:
    """A value from a file as a message quotes it: its repr, but an exact fraction read from a decimal as that decimal.

    >>> from fractions import Fraction
    >>> shown(Fraction(9, 2)), shown(Fraction(1, 3)), shown("F*")
    ('4.5', '1/3', "'F*'")
    """
    p, q = getattr(value, "numerator", None), getattr(value, "denominator", None)
    if isinstance(p, int) and isinstance(q, int) and q > 1 and not isinstance(value, bool):
        twos_fives = q
        for f in (2, 5):
            while twos_fives % f == 0:
                twos_fives //= f
        if twos_fives == 1 and q < 10**30:
            places = 0
            while (10**places) % q:
                places += 1
            whole, rest = divmod(abs(p) * 10**places // q, 10**places)
            return f"{'-' if p < 0 else ''}{whole}.{rest:0{places}d}"
        return f"{p}/{q}"
    return repr(value)


def visible(text: object) -> str:
    """``text`` with every character that is not printable shown as its escape: the one escaping every printer uses.

    Newlines, carriage returns, ESC, BEL, NUL, bidi overrides and lone surrogates become
    ``\\n``, ``\\r``, ``\\x1b``, ``\\x07``, ``\\x00``, ``\\u202e``, ``\\ud800``: a name can
    neither start a line of its own (a fake ``Total params: 1``) nor send a terminal escape.

    >>> print(visible("conv\\nTotal params: 1\\x1b[2J"))
    conv\\nTotal params: 1\\x1b[2J
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() or ch == " " else ascii(ch)[1:-1] for ch in text)


def _one_safe_line(text: str) -> str:
    """Escape control characters (newlines, terminal escapes) from file or layer names; cap the length."""
    text = visible(text)
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


class ParseError(SymcnnError):
    """Text that is not a valid expression, model file or table."""


class UnknownLayerError(SymcnnError):
    """A layer class (or op) that symcnn has no rule for."""


class ArgumentError(SymcnnError):
    """A layer argument of the wrong type or value."""


class ShapeError(SymcnnError):
    """Shapes that do not fit: an empty output, mismatched merge inputs, ..."""


class GraphError(SymcnnError):
    """A model graph that is not a DAG, has dangling inputs or duplicate names."""


class LimitError(SymcnnError):
    """Input larger than symcnn's stated limits (file size, layer count, power)."""
