"""Shared analyses that rules compose: facts, timed regions, sync points, model calls, step
sources, batch shapes and units. Rules ask these; they never re-derive them."""
