"""Intent service: intent classification, constraint extraction and item linking."""
