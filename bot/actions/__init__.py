"""Custom actions, served by `python -m bot.action_server` (rasa-sdk behind a shared secret).

Importing this package registers every action, loads the knowledge base (a broken advice sheet stops the action
server at start-up) and creates the application tables it writes to.
"""

from bot import db, handover, knowledge, text  # noqa: F401  (handover: its table is created below)
from bot.actions import advice, diagnosis, dossier, evidence, fallback, follow_up, prevention, qualification  # noqa: F401
from bot.actions import handover as handover_actions  # noqa: F401
from bot.actions import providers as provider_actions  # noqa: F401
from bot.providers import seed as provider_seed

knowledge.load()
db.create_all()  # the handover queue and the provider directory live in the application database
provider_seed.at_startup()  # fictional demo providers into an EMPTY directory (PROVIDERS_DEMO_SEED)
text.language_detector()  # the foreign-language check's models, loaded now rather than on a victim's message
