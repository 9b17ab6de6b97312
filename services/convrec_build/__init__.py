"""Builds the artifacts the services load: the intent model and a catalog's indexes."""
