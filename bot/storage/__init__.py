"""The database edge: SQLAlchemy 2 typed models, Alembic migrations and repositories."""
