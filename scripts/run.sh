#!/usr/bin/env bash
# Starts the action server and the Rasa server (REST channel, web chat, and Telegram/SMS when configured),
# prints the URLs once both answer, and stops both cleanly on Ctrl-C.
set -uo pipefail
cd "$(dirname "$0")/.."

PORT="${PORT:-5005}"
export RASA_TELEMETRY_ENABLED=false  # no usage report leaves a service that holds victims' words
VENV=.venv
mkdir -p var
# The staff cookie is Secure by default (HTTPS only); on this machine's plain http://localhost it would not come back
# in every browser, so `make run` turns it off unless told otherwise or PUBLIC_URL says the server is on HTTPS.
if [[ -z "${STAFF_COOKIE_SECURE:-}" && "${PUBLIC_URL:-}" != https://* ]]; then
  export STAFF_COOKIE_SECURE=0
fi
# A bad setting stops here, named, in French (bot/settings.py), before either server starts.
"$VENV/bin/python" -m bot.settings || exit 2
# The application tables at the latest migration (migrations/, console/schema.py); Rasa creates its own `events`.
"$VENV/bin/python" -m console.schema upgrade || exit 2

# The Rasa server and the action server share a secret (endpoints.yml, bot/action_server.py): one per session unless
# set (production sets its own, see the README).
export ACTION_SERVER_TOKEN="${ACTION_SERVER_TOKEN:-$("$VENV/bin/python" -c 'import secrets; print(secrets.token_urlsafe(32))')}"
ACTIONS_PORT=5055  # the url of action_endpoint in endpoints.yml
# Sanic worker processes (Rasa reads SANIC_WORKERS): one per core with REDIS_URL, else one (bot/settings.py).
export SANIC_WORKERS="$("$VENV/bin/python" -c 'from bot import settings; print(settings.current().workers)')"

pids=()
stop() {
  trap - INT TERM EXIT
  echo; echo "Arrêt de l'assistant…"
  kill "${pids[@]}" 2>/dev/null
  wait "${pids[@]}" 2>/dev/null
  exit 0
}
trap stop INT TERM EXIT

"$VENV/bin/python" -m bot.action_server --port "$ACTIONS_PORT" &
pids+=($!)
"$VENV/bin/rasa" run --port "$PORT" --model models --credentials credentials.yml --endpoints endpoints.yml &
pids+=($!)

started=$(date +%s)
until curl -fs "http://localhost:$PORT/webhooks/rest/" >/dev/null 2>&1 && curl -fs "http://127.0.0.1:$ACTIONS_PORT/health" >/dev/null 2>&1; do
  for pid in "${pids[@]}"; do
    kill -0 "$pid" 2>/dev/null || { echo "Un des serveurs s'est arrêté au démarrage (voir les messages ci-dessus)."; exit 1; }
  done
  sleep 1
done

cat <<BANNER

  Assistant prêt en $(( $(date +%s) - started )) s ($SANIC_WORKERS processus Rasa).
  Page de démonstration : http://localhost:$PORT/
  Canal REST            : POST http://localhost:$PORT/webhooks/rest/webhook  {"sender": "...", "message": "..."}
  Console du personnel  : http://localhost:$PORT/console/  (premier compte : .venv/bin/python -m console create-admin)
  Serveur d'actions     : http://127.0.0.1:$ACTIONS_PORT/health (jeton partagé requis)
$("$VENV/bin/python" -m channels.config)
  Base de données       : $("$VENV/bin/python" -c 'from sqlalchemy.engine import make_url; from bot import settings; print(make_url(settings.current().database_url).render_as_string(hide_password=True))')
  Ctrl-C pour arrêter.

BANNER
wait -n "${pids[@]}"
