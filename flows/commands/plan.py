"""`lector plan` (stub: to be implemented)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("plan", help="(not implemented yet)")
    p.set_defaults(func=lambda args: print("lector plan: not implemented yet") or 1)
