"""Grading a class: many students' tables for one model, and the teacher's summary of their mistakes.

Each table is checked as :func:`grade_table` checks one (a mistake carried into later rows is
counted once, where it was made). The class summary counts, for each mistake, how many
students made it and where. The report is JSON (for scripts), Markdown or HTML (for the
teacher), or text.

>>> import symcnn
>>> graded = grade_class(symcnn.load("examples/seed.yaml"), ["tests/fixtures/check/seed_mistakes.md"])
>>> [(m["mistake"], m["students"]) for m in graded.summary()["mistakes"]]
[('floor forgotten', 1), ('kernel area taken as K', 1)]
"""

from __future__ import annotations

import html
import json
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SymcnnError, visible
from ..model import Model
from .fmt import LABELS, _fmt
from .results import CheckResult, ValueCheck
from .tables import TableReport, grade_table

FORMATS = ("text", "json", "markdown", "html")


def _value_dict(r: CheckResult, v: ValueCheck) -> dict[str, Any]:
    return {
        "layer": r.layer,
        "type": r.layer_type,
        "quantity": v.quantity,
        "entry": v.entry,
        "verdict": v.verdict,
        "expected": _fmt(v.expected),
        "yours": _fmt(v.student),
        "mistake": v.mistake,
        "diagnosis": v.diagnosis,
        "diagnoses": [{"text": d.text, "mistake": d.mistake, "origin": d.origin} for d in v.diagnoses],
        "carried_from": v.carried_from,
        "right_working": v.working or None,
        "counterexample": v.counterexample,
        "method": v.method,
    }


def table_dict(t: TableReport) -> dict[str, Any]:
    """One student's table as plain data: per row, verdict, expected and diagnosis."""
    if t.error is not None:
        return {"file": t.file, "error": t.error}
    values = t.values()
    return {
        "file": t.file,
        "values": len(values),
        "right": sum(1 for _, v in values if v.correct),
        "mistakes": len(t.mistakes),
        "carried_forward": len(t.carried),
        "summary": t.summary(),
        "missing": [{"layer": r.name, "type": r.type, "params": _fmt(r.params)} for r in t.missing],
        "rows": [_value_dict(r, v) for r, v in values],
    }


@dataclass
class ClassReport:
    """Every student's table, checked, and which mistakes the class made how often."""

    model: str
    tables: list[TableReport]

    @property
    def correct(self) -> bool:
        return all(t.correct for t in self.tables)

    @property
    def errors(self) -> list[str]:
        """One line per table that could not be read."""
        return [t.error for t in self.tables if t.error is not None]

    def summary(self) -> dict[str, Any]:
        """Per mistake: how many students made it, how many times, and where; the values most often wrong."""
        students: dict[str, set[str]] = defaultdict(set)
        times: Counter[str] = Counter()
        where: dict[str, Counter[str]] = defaultdict(Counter)
        wrong: Counter[tuple[str, str]] = Counter()
        for t in self.tables:
            for r, v in t.mistakes:
                name = v.mistake or "no known mistake"
                students[name].add(t.file)
                times[name] += 1
                where[name][f"{r.layer} {LABELS[v.quantity]}"] += 1
            for r, v in t.values():
                if not v.correct:
                    wrong[(r.layer, v.quantity)] += 1
        mistakes = [
            {
                "mistake": name,
                "students": len(students[name]),
                "times": times[name],
                "where": [{"value": w, "times": n} for w, n in where[name].most_common()],
                "files": sorted(students[name]),
            }
            for name in sorted(times, key=lambda n: (-len(students[n]), -times[n], n))
        ]
        return {
            "students": len(self.tables),
            "all_right": sum(1 for t in self.tables if t.correct),
            "unreadable": [t.file for t in self.tables if t.error is not None],
            "mistakes": mistakes,
            "carried_forward": sum(len(t.carried) for t in self.tables),
            "most_often_wrong": [
                {"layer": layer, "quantity": q, "students": n} for (layer, q), n in wrong.most_common(10)
            ],
        }

    def to_dict(self) -> dict[str, Any]:
        return {"model": self.model, "tables": [table_dict(t) for t in self.tables], "summary": self.summary()}

    def to_json(self) -> str:
        """The report as JSON (ASCII, so any name prints safely)."""
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=True)

    def to_text(self) -> str:
        parts = []
        for t in self.tables:
            head = f"== {visible(t.file)}: " + ("all right" if t.correct else t.summary())
            parts.append(f"{head}\n\n{t.report()}")
        if len(self.tables) > 1:
            parts.append(self._summary_text())
        return "\n\n".join(parts)

    def _summary_text(self) -> str:
        s = self.summary()
        lines = [f"class: {s['students']} tables, {s['all_right']} all right, {s['carried_forward']} values carried forward"]
        for m in s["mistakes"]:
            spots = ", ".join(f"{visible(w['value'])} ×{w['times']}" for w in m["where"][:4])
            lines.append(f"  {m['mistake']}: {m['students']} student(s), {m['times']} time(s) ({spots})")
        return "\n".join(lines)

    def to_markdown(self) -> str:
        s = self.summary()
        out = [
            f"# Hand calculations checked: {_md(self.model)}",
            "",
            (
                f"{s['students']} tables; {s['all_right']} all right; {s['carried_forward']} values carried forward "
                "(wrong only because of an earlier mistake, counted once where it was made)."
            ),
            "",
            "## Mistakes of the class",
            "",
            "| mistake | students | times | where |",
            "|---|---|---|---|",
        ]
        for m in s["mistakes"]:
            spots = ", ".join(f"{w['value']} ×{w['times']}" for w in m["where"][:6])
            out.append(f"| {_md(m['mistake'])} | {m['students']} | {m['times']} | {_md(spots)} |")
        for t in self.tables:
            out += ["", f"## {_md(Path(t.file).name)}: {'all right' if t.correct else _md(t.summary())}", ""]
            if t.error is not None:
                continue
            out += ["| layer | value | yours | expected | verdict | diagnosis |", "|---|---|---|---|---|---|"]
            for r, v in t.values():
                cells = [
                    r.layer,
                    LABELS[v.quantity],
                    f"`{v.entry.strip()}`",
                    f"`{_fmt(v.expected)}`",
                    v.verdict if v.correct else f"**{v.verdict}**",
                    "<br>".join(v.explanations()) if not v.correct else "",
                ]
                out.append("| " + " | ".join(_md(c) for c in cells) + " |")
            if t.missing:
                out += ["", "Missing rows: " + _md("; ".join(t.missing_text()))]
        return "\n".join(out) + "\n"

    def to_html(self) -> str:
        esc = html.escape
        s = self.summary()
        rows = "".join(
            f"<tr><td>{esc(m['mistake'])}</td><td>{m['students']}</td><td>{m['times']}</td>"
            f"<td>{esc(', '.join(w['value'] + ' ×' + str(w['times']) for w in m['where'][:6]))}</td></tr>"
            for m in s["mistakes"]
        )
        sections = []
        for t in self.tables:
            body = "".join(
                f"<tr class='{'right' if v.correct else 'wrong'}'><td data-label='layer'>{esc(visible(r.layer))}</td>"
                f"<td data-label='value'>{esc(LABELS[v.quantity])}</td>"
                f"<td data-label='yours'><code>{esc(visible(v.entry.strip()))}</code></td>"
                f"<td data-label='expected'><code>{esc(_fmt(v.expected))}</code></td>"
                f"<td data-label='verdict'>{esc(v.verdict)}</td>"
                + (
                    f"<td data-label='diagnosis'>{'<br>'.join(esc(visible(e)) for e in v.explanations())}</td>"
                    if not v.correct
                    else "<td></td>"
                )
                + "</tr>"
                for r, v in t.values()
            )
            missing = f"<p>Missing rows: {esc(visible('; '.join(t.missing_text())))}</p>" if t.missing else ""
            verdict = "all right" if t.correct else t.summary()
            sections.append(
                f"<section><h2>{esc(visible(Path(t.file).name))}: {esc(verdict)}</h2><table class='rows'><tr><th>layer</th>"
                f"<th>value</th><th>yours</th><th>expected</th><th>verdict</th><th>diagnosis</th></tr>{body}</table>"
                f"{missing}</section>"
            )
        return (
            "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'><title>{esc(visible(self.model))}: "
            f"hand calculations</title><style>{_CSS}</style></head><body><h1>Hand calculations checked: "
            f"{esc(visible(self.model))}</h1><p>{s['students']} tables; {s['all_right']} all right; "
            f"{s['carried_forward']} values carried forward (counted once, where the mistake was made).</p>"
            f"<h2>Mistakes of the class</h2><table><tr><th>mistake</th><th>students</th><th>times</th><th>where</th></tr>"
            f"{rows}</table>{''.join(sections)}</body></html>\n"
        )

    def render(self, fmt: str) -> str:
        """The report in one of FORMATS."""
        return {"text": self.to_text, "json": self.to_json, "markdown": self.to_markdown, "html": self.to_html}[fmt]()


_CSS = (
    "body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:70rem;line-height:1.4}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem;display:block;overflow-x:auto}"
    "th,td{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "tr.wrong td:nth-child(5){color:#a00;font-weight:600}code{white-space:pre-wrap}"
    # a phone: each row of a student's table becomes a card, every cell labelled, nothing to scroll sideways
    "@media (max-width:40rem){body{margin:.8rem}table.rows,table.rows tbody,table.rows tr,table.rows td"
    "{display:block}table.rows tr:first-child{display:none}table.rows tr{border:1px solid #ccc;margin:.5rem 0;"
    "padding:.3rem .4rem}table.rows td{border:none;padding:.1rem 0}table.rows td:empty{display:none}"
    "table.rows td::before{content:attr(data-label) ': ';font-weight:600}}"
)


def _md(text: Any) -> str:
    return visible(text).replace("|", "\\|").replace("\n", " ")


def grade_class(model: Model, paths: Sequence[str | Path], *, convention: str = "torchinfo", name: str = "") -> ClassReport:
    """Check every student's table for ``model``; the report counts the class's mistakes.

    A table that cannot be read (a cell that is not arithmetic, a layer the model lacks) is
    reported with its one-line reason, and the others are graded.
    """
    tables = []
    for p in paths:
        try:
            tables.append(grade_table(model, p, convention=convention))
        except SymcnnError as exc:
            tables.append(TableReport(str(p), [], error=str(exc.within(file=str(p)))))
    return ClassReport(name or str(model.name), tables)
