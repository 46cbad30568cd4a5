"""The wire layer: the API's objects as typed attrs models, their JSON codec and the envelope.

Pure data and pure functions: nothing here performs I/O or knows about HTTP.
"""
