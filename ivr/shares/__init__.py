"""Voice shares: recording, drafts, callbacks, the moderation queue and review, on-call alerts."""
