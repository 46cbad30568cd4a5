"""The drill: a validated plan of restores, run through the batch runner, journaled
before each submission, resumable, and reported (JSON, JUnit).
"""
