"""The directory of qualified providers: model, matching, demonstration data, CSV import and export.

python -m bot.providers seed              # (re)create the fictional demonstration providers
python -m bot.providers import FILE.csv   # add a real directory (--replace to replace everything)
python -m bot.providers export FILE.csv   # the whole directory, importable back
"""

from bot.providers.matching import LOCAL, NEIGHBOUR, REMOTE, Offer, Result, find  # noqa: F401
from bot.providers.models import COMPETENCES, PUBLICS, SERVICES, Provider  # noqa: F401
