"""Background workers: rq jobs and the pure audio, transcription and screening core they use."""
