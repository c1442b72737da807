"""Text of calls shared by the features: lemmas, analytics, masking, topic reports and search.

The transcription worker writes transcripts; the API reads them through these modules, so neither imports
the other.
"""
