"""Learned understanding: one multilingual encoder with an intent head and a BIO slot head."""
