"""Login, API tokens, CSRF policy and the request's current user."""
