"""Batch and scheduled generation jobs: specs, planning, leased items, runners, exports, schedules."""
