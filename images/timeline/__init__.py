"""The timeline: an account's live pictures by month and by day of when they were taken, a
jump to any day of it, and "on this day" (issue 22, item 1)."""
