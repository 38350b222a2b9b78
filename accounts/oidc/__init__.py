"""CXone's OpenID Connect, as plain Python: no request objects, no settings.

The Django adapters (backends, views, middleware) pass in what these functions need.
A sign-in reads top to bottom: authorize -> client_auth/tokens -> jwks -> id_token.
"""
