"""Answering: question analysis (spaCy), constraints, retrieval, the span reader and its
ranker, citations, the other question kinds (yes/no, lists, the collection), follow-ups,
generation with an LLM and its claim check. May import the index, embedders, ingestion (for
chunk sentences) and rag's top-level modules; never the HTTP or CLI layers.
"""
