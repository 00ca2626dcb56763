"""The observatory: anonymous statistics of what victims report, from the tracker events.

models.py    the tables: observatory_daily (journeys per day × incident × public × channel × région ×
             département), observatory_facts (platform, payment means, money paid, handed over, waiting time,
             rating), observatory_journeys (the working row of each journey, erased with the conversation),
             observatory_state (the refresh's cursor)
journeys.py  what a journey is, how an event moves its contribution to the aggregates
refresh.py   the periodic refresh (cursor over events.id, batches, PostgreSQL settle delay, one run at a time)
stats.py     exact counts for staff: the CLI's `stats` and the statistics page's queries
publish.py   the published aggregates: cells under MIN_CELL never leave, small départements folded
charts.py    the statistics page's charts, server-rendered SVG
page.py      what the statistics page shows (console/routes/observatory.py)
feedback.py  what the referred providers report (signed links, CSV import), feedback_models.py its tables
__main__.py  the command line: python -m console.observatory stats | export | refresh (README, "Observatory")
"""
