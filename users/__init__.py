"""Accounts: the custom user model, registration, JWT authentication and the caller's profile."""
