"""`lector qc` (stub: to be implemented)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("qc", help="(not implemented yet)")
    p.set_defaults(func=lambda args: print("lector qc: not implemented yet") or 1)
