"""`lector engines` (stub: to be implemented)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("engines", help="(not implemented yet)")
    p.set_defaults(func=lambda args: print("lector engines: not implemented yet") or 1)
