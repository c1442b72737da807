"""The composition root: the `hotline` command, the demo and the wiring of every part into processes.

It sits above the features (ami_listener, ivr, transcription, api), which sit above the core `hotline`.
"""
