"""Embedding backends: texts into unit vectors (sentence-transformers, ONNX Runtime, a fake).

Owns the Embedder protocol, the backends (an extension point, rag.embedders.base) and where
the packaged models are found offline. May import rag's top-level modules only.
"""
