#!/usr/bin/env bash
# `make train`: trains a model into models/ only when a training input changed, and keeps a few archives.
#
# `rasa train` reuses its cache (.rasa/) but still packs a new 50 MB archive at every call, even when nothing
# changed, and `rasa train --dry-run` costs a full load of the data while missing a change of response texts
# (they are not a training input, yet the model's domain carries them). So the newest archive is reused when no file
# of config.yml, domain.yml and bot/data/ is newer than it; a checkout, an edit or a promotion makes it stale.
set -uo pipefail
cd "$(dirname "$0")/.."

RASA=.venv/bin/rasa
MODELS=models
KEEP=3  # archives kept, newest first: the one in service and two to go back to
erased="${CYBERAIDE_VAR_DIR:-var}/erasures.json"
newest=$(ls -t "$MODELS"/*.tar.gz 2>/dev/null | head -1)

if [ -n "$newest" ] && [ "$erased" -nt "$newest" ]; then
  echo "WARNING: the model in service ($newest) was trained before an erasure of training text ($erased):"
  echo "         it still holds the erased words and must be retrained; this training replaces it. Restart the"
  echo "         servers with the new model and delete the models trained before (models/, models/candidates/)."
elif [ -n "$newest" ] && [ -z "$(find config.yml domain.yml bot/data -type f -newer "$newest" | head -1)" ]; then
  echo "Model up to date: $newest (no change in config.yml, domain.yml or bot/data/ since it was trained)."
  exit 0
elif [ -n "$newest" ] && [ -n "$(find bot/data/nlu -name 'review_export_*.yml' -newer "$newest")" ]; then
  echo "WARNING: new reviewed examples (bot/data/nlu/review_export_*.yml) will change the model in service;"
  echo "         run \`make retrain\` first to compare the candidate with the current model."
fi

"$RASA" train --data bot/data --config config.yml --domain domain.yml --out "$MODELS" || exit $?
# After an erasure the older archives hold the erased words: only the new one is kept then.
[ -n "$newest" ] && [ "$erased" -nt "$newest" ] && KEEP=1
ls -t "$MODELS"/*.tar.gz | tail -n +$((KEEP + 1)) | xargs -r rm -f --
