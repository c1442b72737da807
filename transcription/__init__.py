"""transcription."""
