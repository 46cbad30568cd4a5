"""The API layer: one typed coroutine per OpenAPI call, over the HTTP session.

No retries and no waiting here: each call is one exchange (pages aside).
"""
