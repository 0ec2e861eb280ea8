"""Ingestion: files, web pages, feeds and JSON into clean Documents, and Documents into chunks.

Owns the document formats (rag.ingestion.formats, an extension point), cleaning and metadata
parsing, chunking, fetching web sources. May import the top-level modules of rag (values,
errors, text_utils, plugins, config) only: never the index, answering, HTTP or CLI layers.
"""
