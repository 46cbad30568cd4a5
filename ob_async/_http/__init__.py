"""The HTTP layer: the only module that talks to the network (`session`), with its
configuration, credentials, request ids and adaptive send-rate throttle.

It drives the sans-I/O digest engine (`ob_async._digest`) and decodes answers with
`ob_async._wire`; it knows nothing of restores.
"""
