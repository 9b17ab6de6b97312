"""Ranking service: personal interest over time, relevance, context, popularity, diversity."""
