"""Circles: scheduled facilitated conference calls, their rosters, controls, reminders and staff console."""
