"""Who may do what: API tokens and roles, accounts and page sessions, and the audit log of every write."""
