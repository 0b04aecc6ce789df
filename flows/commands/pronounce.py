"""`lector pronounce` (stub: to be implemented)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("pronounce", help="(not implemented yet)")
    p.set_defaults(func=lambda args: print("lector pronounce: not implemented yet") or 1)
