"""The HTTP service: routes, request/response models, errors (domain codes to statuses),
metrics, the OpenAI-compatible endpoint, the chat page (web/), the uvicorn server. May import
everything below it (rag.engine, answering, index, ingestion); nothing imports it but the CLI.
"""
