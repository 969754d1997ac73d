"""The rulebook: every duty, deadline, classification and recovery rule, written once.

The meeting pack's marts, the scorecards and the accountability review all call these
modules; none of them restates a rule. One module per family:

- `recovery`       — what counts as recovered, as cash, as the obligor's own payment
- `conduct`        — collection conduct (quiet hours, forbidden parties)
- `duties`         — when a post-loan duty falls due (first inspection, warning SLAs,
                     collection start)
- `deadlines`      — legal deadlines by 民法典 / 民事诉讼法 (limitation, guarantee period,
                     guarantee debt, enforcement, notarised instruments, bankruptcy
                     claims, seizure renewals)
- `classification` — the floors of the 2023 risk-classification rules, upgrade conditions,
                     dpd bands
- `attribution`    — who was responsible, who handed over, who was the branch head
- `default`        — when a loan defaulted (the cut-off for accountability)

Thresholds come from parameters/ (the run's snapshot); codes are labelled in
postloan/glossary.yaml.
"""
