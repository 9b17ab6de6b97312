"""Message catalogs of the gateway's replies: one JSON file per language, named by its code."""
