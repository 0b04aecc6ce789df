"""`lector init` (stub: to be implemented)."""
from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("init", help="(not implemented yet)")
    p.set_defaults(func=lambda args: print("lector init: not implemented yet") or 1)
