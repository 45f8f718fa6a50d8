"""What a researcher asks after the counts: memory, receptive fields, FLOPs and weights by kind, groups,
comparisons of configurations, inverse design and closed forms. Computation only; printing is in ``render``.

Sits on the floor of ``render`` and ``check``: it reads models and their records, never a printer.
"""
