"""One router per concern; `api.app.create_app` includes them all."""
