"""The outside world: the SQL store, the system clock, logging set-up (and later the
scheduler, notice channels and importers). Only this package and ``shouhu.cli`` import
sqlmodel, sqlalchemy, apscheduler, typer or rich."""
