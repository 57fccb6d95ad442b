"""Tests of the /api/v2 surface through the real app (a package so its conftest does not shadow the root one)."""
