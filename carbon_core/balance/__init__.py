"""Net-zero balance: instruments, market-based Scope 2, matching, offsets and the claims ledger."""
