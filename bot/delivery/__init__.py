"""The one path for every message the bot sends on its own initiative: tips, reminders,
announcements. An outbox in the database, a rate limiter, and a handler for every outcome."""
