"""CXone's OpenID Connect, as plain Python: no request objects, no settings, no HTTP statuses.

The Django adapters (`accounts/adapters.py`, the backend, views and middleware) pass in what
these functions need. A sign-in reads top to bottom: authorize -> tokens (code exchange with
the client's authentication) -> jwks -> id_token. Failures raise `errors.SignInError` with a
`core.reasons.Reason`.
"""
