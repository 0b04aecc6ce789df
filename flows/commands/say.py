"""`lector say` (stub: to be implemented)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("say", help="(not implemented yet)")
    p.set_defaults(func=lambda args: print("lector say: not implemented yet") or 1)
