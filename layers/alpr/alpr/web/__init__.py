"""Pages for people (issue 20): browser sign-in through the Cognito hosted UI (OAuth 2.0
authorization code + PKCE), a signed session cookie, CSRF-protected forms and server-rendered,
autoescaped Jinja2 pages under a strict Content-Security-Policy. No AWS here but the token
endpoint and the JWKS the hosted UI publishes; the wiring is in `alpr.api.web`."""
