"""Staff web app: sign-in, moderation, stories, circles console and administration.

Every page sits under one parent blueprint (/staff) whose guard checks CSRF, session age and the
view's declared roles; a view that declares no roles is refused (fail closed).
"""
