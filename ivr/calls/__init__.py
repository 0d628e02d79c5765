"""The call itself: flows and their engine, prompts, TwiML, the keypad, call state and the voice webhooks."""
