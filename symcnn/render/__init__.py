"""Worked steps, LaTeX printing, MathML conversion and the site writer."""
