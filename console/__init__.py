"""The staff console: operators' inbox for human handover (and, later, transcript review), served by `rasa run`."""
