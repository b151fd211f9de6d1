"""The Rasa edge: an HTTP client for /model/parse, the embedded server, and model training."""
