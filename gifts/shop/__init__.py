"""Stickers and effects bought with coins."""
