"""Offline evaluations: ReDial (conversational) and MovieLens (next item)."""
