"""Retrieval service: hybrid dense (Faiss) + lexical (BM25) candidates with filters."""
