"""Jobs: running units dependably (runner: lock, skip identical reruns, catch up), the run
ledger (ledger: its only reader and writer), emailing the summary once (deliver), and the
monthly schedule (schedule)."""
