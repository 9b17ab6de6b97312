"""Importers: ReDial, MovieLens and plain JSONL into the project's catalog and interactions."""
