"""Canonical data model: table specs, DDL and migrations."""

from uptake.schema.tables import ACTIONS, MEANINGFUL_ACTIONS, TABLES, Column, Table, table

__all__ = ["ACTIONS", "MEANINGFUL_ACTIONS", "TABLES", "Column", "Table", "table"]
