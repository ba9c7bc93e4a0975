"""How a case moves: the engine over a ``transitions`` machine per workflow, events and their
hash chain, Civil Code periods, validation, and the ports (store, clock) adapters implement.

This package imports no sqlmodel, sqlalchemy, apscheduler, typer or rich (import-linter checks).
"""
