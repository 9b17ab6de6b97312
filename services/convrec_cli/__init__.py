"""The convrec command line: serve, build, chat, demo, bench."""
