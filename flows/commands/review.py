"""`lector review` (stub: to be implemented)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("review", help="(not implemented yet)")
    p.set_defaults(func=lambda args: print("lector review: not implemented yet") or 1)
