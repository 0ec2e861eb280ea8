"""The index: the store of record (SQLite + FTS5), the vector backends (FAISS, Milvus: an
extension point, rag.index.vector_backend), the in-memory keyword index and the corpus facts
kept per snapshot. May import rag's top-level modules only; answering reads it, never the
reverse.
"""
