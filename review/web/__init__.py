"""The review console (FastAPI, server-rendered): ``create_app(queue_url, secret_key)``."""

from review.web.app import create_app

__all__ = ["create_app"]
