"""Custom actions, served by `rasa run actions --actions bot.actions`.

Importing this package registers every action, loads the knowledge base (a broken advice sheet stops the action
server at start-up) and creates the application tables it writes to.
"""
from bot import db, handover, knowledge
from bot.actions import advice, diagnosis, fallback, prevention, qualification  # noqa: F401  (registers them)
from bot.actions import handover as handover_actions  # noqa: F401

knowledge.load()
db.create_all()  # the handover queue lives in the application database
