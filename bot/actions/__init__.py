"""Custom actions, served by `rasa run actions --actions bot.actions`.

Importing this package registers every action and loads the knowledge base, so that a broken advice sheet stops
the action server at start-up.
"""
from bot import knowledge
from bot.actions import advice, diagnosis, fallback, prevention, qualification  # noqa: F401  (registers them)

knowledge.load()
