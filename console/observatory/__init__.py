"""The observatory: statistics of what victims report and what the referred providers say they handled."""
