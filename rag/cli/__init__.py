"""The `rag` command line (rag.cli.commands:main) and its terminal helpers (rag.cli.support).
May import everything; nothing imports it.
"""
