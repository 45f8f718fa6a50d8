"""What a check returns (Diagnosis, ValueCheck, CheckResult) and how it prints: terminal text, Markdown, HTML."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..errors import visible
from .fmt import LABELS, Value, _equals, _fmt

VERDICTS = ("right", "wrong", "wrong working", "carried forward", "not proved")
LEADS = ("wrong working", "arithmetic slip")  # diagnoses of the result, followed by those of the working


@dataclass(frozen=True)
class Diagnosis:
    """One explanation of a wrong value: the message, the mistake's name, and where it was made."""

    text: str
    mistake: str  # a name from mistakes.PRIORS, or "arithmetic slip", "wrong working", "no known mistake" ...
    origin: str | None = None  # the upstream layer where the mistake was made (None: this layer)
    confirmed: bool = False  # the student's own row for the origin shows the mistake

    def __str__(self) -> str:
        return self.text

    def __contains__(self, words: str) -> bool:
        return words in self.text


@dataclass
class ValueCheck:
    """One checked value: the student's entry against the exact value."""

    quantity: str  # one of QUANTITIES
    entry: str  # the student's text
    student: Value
    expected: Value
    correct: bool
    method: str  # "exact", "symbolic" (proved for all values), "sampled" (tested, not proved) or "unproved"
    diagnoses: list[Diagnosis] = field(default_factory=list)
    note: str = ""  # how the value was checked, when not plainly
    counterexample: str | None = None  # sizes at which a wrong formula differs, and both values there
    working: str = ""  # the right working, for a wrong value
    status: str = ""  # "wrong working", "carried forward" or "not proved" when not plainly right or wrong
    carried_from: str | None = None  # the layer (and value) a carried-forward mistake was made in

    @property
    def verdict(self) -> str:
        """One of VERDICTS."""
        return "right" if self.correct else self.status or "wrong"

    @property
    def symbolic(self) -> bool:
        """True when the entry was checked as a formula for all values, not at one point."""
        return self.method in ("symbolic", "sampled", "unproved")

    @property
    def mistake(self) -> str | None:
        """The name of the mistake named first (in the working, when the working is wrong), or None if right."""
        if self.correct or not self.diagnoses:
            return None
        first = self.diagnoses[0]
        if first.mistake in LEADS and len(self.diagnoses) > 1:
            return self.diagnoses[1].mistake
        return first.mistake

    def explanations(self) -> list[str]:
        """The diagnoses, then how the value was checked: for a table cell."""
        where = f"differs at {self.counterexample}" if self.counterexample else ""
        right = f"right working: {self.working}" if self.working and not self.correct else ""
        return [text for text in (*(d.text for d in self.diagnoses), right, self.note, where) if text]

    @property
    def diagnosis(self) -> str:
        return "; or ".join(d.text for d in self.diagnoses)

    def how(self) -> str:
        """How the value was checked, in words ('' for a plain number)."""
        how = {
            "exact": "",
            "symbolic": "checked as a formula: equal for all values (proved symbolically)",
            "sampled": "checked as a formula: not proved, but equal at every point tried, chosen to break it "
            "(small and large sizes, both sides of each floor's step)",
            "unproved": "checked as a formula: neither proved equal nor shown different; it agrees at every point "
            "tried, but its steps could not all be found, so it is not marked right",
        }[self.method]
        if self.counterexample:
            how = f"checked as a formula, for all values: it differs at {self.counterexample}"
        return how

    def lines(self) -> list[str]:
        label = LABELS[self.quantity]
        if self.correct:
            out = [f"  {label}: right: {self.entry.strip()}" + _equals(self.entry, self.student)]
        else:
            head = {"wrong working": "WRONG WORKING", "carried forward": "CARRIED FORWARD", "not proved": "NOT PROVED"}
            tag = head.get(self.status, "WRONG")
            if self.carried_from:
                tag += f" (from {self.carried_from})"
            out = [
                f"  {label}: {tag}",
                f"    yours:    {self.entry.strip()}" + _equals(self.entry, self.student),
                f"    expected: {_fmt(self.expected)}",
            ]
            if self.working:
                out.append(f"    right working: {self.working}")
        for text in (self.how(), self.note):
            if text:
                out.append(f"    {text}")
        for i, d in enumerate(self.diagnoses):
            out.append(f"    {self._label(i)}: {d.text}")
        return out

    def _label(self, i: int) -> str:
        if i == 0:
            return "diagnosis"
        if self.diagnoses[i].mistake == "right only at the default sizes":
            return "note"
        if i == 1 and self.diagnoses[0].mistake in LEADS:
            return "in your working"
        return "or"


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
                "right" if v.correct else f"**{v.verdict}**",
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
            f"<td><code>{esc(_fmt(v.expected))}</code></td><td>{'right' if v.correct else '<b>' + esc(v.verdict) + '</b>'}</td>"
            f"<td>{'<br>'.join(esc(d) for d in v.explanations())}</td></tr>"
            for v in self.values
        )
        return (
            f"{head}<table><tr><th>value</th><th>yours</th><th>expected</th><th>verdict</th>"
            f"<th>diagnosis</th></tr>{body}</table>"
        )


def report(results: Sequence[CheckResult], *, missing: Sequence[str] = (), summary: str = "") -> str:
    """The text report of several checks, with a closing count (and the layers the table has no row for)."""
    wrong = [r for r in results if not r.correct]
    values = sum(len(r.values) for r in results)
    bad = sum(1 for r in results for v in r.values if not v.correct)
    tail = (
        (f"all {values} checked values right" if values > 1 else "the checked value is right")
        if not wrong
        else f"{bad} of {values} checked values wrong, in {visible(', '.join(dict.fromkeys(r.layer for r in wrong)))}"
    )
    if summary:
        tail += f" ({summary})"
    parts = [*(r.report() for r in results)]
    if missing:
        parts.append(visible("missing (no row in the table): " + ", ".join(missing)))
    return "\n\n".join([*parts, tail])
