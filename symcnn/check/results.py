"""What a check returns (ValueCheck, CheckResult) and how it prints: terminal text, Markdown, HTML."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import visible
from .fmt import LABELS, Value, _equals, _fmt


@dataclass
class ValueCheck:
    """One checked value: the student's entry against the exact value."""

    quantity: str  # one of QUANTITIES
    entry: str  # the student's text
    student: Value
    expected: Value
    correct: bool
    method: str  # "exact" (numbers), "symbolic" (proved for all values) or "sampled" (random points)
    diagnoses: list[str] = field(default_factory=list)
    note: str = ""  # how the value was checked, when not plainly
    counterexample: str | None = None  # sizes at which a wrong formula differs, and both values there

    @property
    def symbolic(self) -> bool:
        """True when the entry was checked as a formula for all values, not at one point."""
        return self.method in ("symbolic", "sampled")

    def explanations(self) -> list[str]:
        """The diagnoses, then how the value was checked: for a table cell."""
        where = f"differs at {self.counterexample}" if self.counterexample else ""
        return [text for text in (*self.diagnoses, self.note, where) if text]

    @property
    def diagnosis(self) -> str:
        return "; or ".join(self.diagnoses)

    def lines(self) -> list[str]:
        if self.correct:
            out = [f"  {LABELS[self.quantity]}: right: {self.entry.strip()}" + _equals(self.entry, self.student)]
        else:
            out = [
                f"  {LABELS[self.quantity]}: WRONG",
                f"    yours:    {self.entry.strip()}" + _equals(self.entry, self.student),
                f"    expected: {_fmt(self.expected)}",
            ]
        how = {
            "exact": "",
            "symbolic": "checked as a formula: equal for all values (proved symbolically)",
            "sampled": "checked as a formula at many random points",
        }[self.method]
        if self.method == "sampled" and self.correct:
            how += " (equal at all of them; not proved symbolically)"
        if self.counterexample:
            how = f"checked as a formula, for all values: it differs at {self.counterexample}"
        for text in (how, self.note):
            if text:
                out.append(f"    {text}")
        for i, d in enumerate(self.diagnoses):
            out.append(f"    {'diagnosis' if i == 0 else 'or'}: {d}")
        return out


@dataclass
class CheckResult:
    """The check of one layer: right or wrong per value, with a diagnosis when wrong."""

    layer: str
    layer_type: str
    values: list[ValueCheck]

    @property
    def correct(self) -> bool:
        return all(v.correct for v in self.values)

    @property
    def symbolic(self) -> bool:
        """True when every value was checked as a formula (for all values)."""
        return all(v.symbolic for v in self.values)

    @property
    def diagnosis(self) -> str:
        """The diagnoses of the wrong values, one line each ('' when all are right)."""
        return "\n".join(f"{LABELS[v.quantity]}: {v.diagnosis}" for v in self.values if not v.correct)

    def __getitem__(self, quantity: str) -> ValueCheck:
        """The check of one value: ``result["params"]``."""
        for v in self.values:
            if v.quantity == quantity:
                return v
        raise KeyError(f"{quantity!r} was not checked; checked: {', '.join(v.quantity for v in self.values)}")

    def report(self) -> str:
        verdict = "right" if self.correct else "WRONG"
        lines = [f"{self.layer} ({self.layer_type}): {verdict}", *(l for v in self.values for l in v.lines())]
        return "\n".join(visible(line) for line in lines)  # a name or an entry cannot start a line of its own

    __str__ = report

    def __repr__(self) -> str:
        return self.report()

    def _repr_markdown_(self) -> str:
        rows = [
            visible(f"**{self.layer}** ({self.layer_type}): {'✅ right' if self.correct else '❌ wrong'}"),
            "",
            "| value | yours | expected | verdict | diagnosis |",
            "|---|---|---|---|---|",
        ]
        for v in self.values:
            cells = [
                LABELS[v.quantity],
                f"`{v.entry.strip()}`",
                f"`{_fmt(v.expected)}`",
                "right" if v.correct else "**wrong**",
                "<br>".join(text for text in v.explanations() if text),
            ]
            rows.append("| " + " | ".join(visible(c.replace("|", "\\|").replace("\n", " ")) for c in cells) + " |")
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        def esc(text: str) -> str:
            return html.escape(visible(text))

        head = (
            f"<p><b>{esc(self.layer)}</b> ({esc(self.layer_type)}): {'right' if self.correct else '<b>wrong</b>'}</p>"
        )
        body = "".join(
            f"<tr><td>{esc(LABELS[v.quantity])}</td><td><code>{esc(v.entry.strip())}</code></td>"
            f"<td><code>{esc(_fmt(v.expected))}</code></td><td>{'right' if v.correct else '<b>wrong</b>'}</td>"
            f"<td>{'<br>'.join(esc(d) for d in v.explanations())}</td></tr>"
            for v in self.values
        )
        return (
            f"{head}<table><tr><th>value</th><th>yours</th><th>expected</th><th>verdict</th>"
            f"<th>diagnosis</th></tr>{body}</table>"
        )


def report(results: Sequence[CheckResult]) -> str:
    """The text report of several checks, with a closing count."""
    wrong = [r for r in results if not r.correct]
    values = sum(len(r.values) for r in results)
    bad = sum(1 for r in results for v in r.values if not v.correct)
    tail = (
        (f"all {values} checked values right" if values > 1 else "the checked value is right")
        if not wrong
        else f"{bad} of {values} checked values wrong, in {visible(', '.join(r.layer for r in wrong))}"
    )
    return "\n\n".join([*(r.report() for r in results), tail])
