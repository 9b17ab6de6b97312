"""Shared code for the convrec services: server kit, settings, models, catalog."""
