"""Persistence: the database (SQLAlchemy, Alembic) and media blobs (local disk; S3 later)."""
