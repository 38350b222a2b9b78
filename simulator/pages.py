"""HTML of the simulator's own pages: a CXone-like login page branded per tenant."""
from html import escape

CSS = """
:root { --brand: #0b5cab; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       background: #eef1f5; color: #1d2330; }
.banner { background: var(--brand); color: #fff; padding: 18px 32px; display: flex;
          align-items: center; gap: 14px; }
.banner .mark { width: 34px; height: 34px; border-radius: 8px; background: rgba(255,255,255,.2);
                display: grid; place-items: center; font-weight: 700; }
.banner h1 { font-size: 1.15rem; margin: 0; font-weight: 600; }
.banner small { opacity: .85; display: block; font-size: .8rem; }
main { max-width: 460px; margin: 40px auto; background: #fff; border-radius: 12px;
       box-shadow: 0 4px 24px rgba(20,30,60,.08); padding: 32px; }
main.popup { margin: 16px auto; padding: 20px; }
h2 { margin: 0 0 4px; font-size: 1.4rem; }
p.lead { margin: 0 0 20px; color: #536079; }
label { display: block; font-weight: 600; margin: 14px 0 6px; }
input[type=text] { width: 100%; padding: 10px 12px; border: 1px solid #b8c1d1; border-radius: 8px; font: inherit; }
.users { display: grid; gap: 8px; margin: 18px 0; }
.user { display: flex; justify-content: space-between; align-items: center; width: 100%;
        border: 1px solid #d5dbe6; background: #fafbfd; border-radius: 8px; padding: 10px 14px;
        font: inherit; cursor: pointer; text-align: start; }
.user:hover, .user:focus { border-color: var(--brand); outline: 2px solid transparent; background: #f1f5fb; }
.user .role { font-size: .8rem; background: #e7ecf5; border-radius: 999px; padding: 2px 10px; }
.user.hinted { border-color: var(--brand); }
.actions { display: flex; gap: 10px; margin-top: 16px; }
button.primary { background: var(--brand); color: #fff; border: 0; border-radius: 8px; padding: 10px 18px; font: inherit; cursor: pointer; }
button.secondary { background: #fff; color: #1d2330; border: 1px solid #b8c1d1; border-radius: 8px; padding: 10px 18px; font: inherit; cursor: pointer; }
.problem { background: #fdecec; border: 1px solid #f3b5b5; color: #8a1c1c; padding: 10px 12px; border-radius: 8px; }
.note { font-size: .85rem; color: #6b7890; margin-top: 22px; }
"""


# CXone's login page speaks the language the portal asks for with `ui_locales` (OpenID
# Connect Core 3.1.2.1: space-separated BCP 47 tags, preferred first); the simulator knows a
# few words of each language the portal ships, enough for a test to see which was asked.
LOGIN_WORDS = {
    "en": ("Sign in to {name}", "Sign in to CXone", "Choose a demo user, or type a username.", "Username", "Sign in", "Cancel"),
    "es": ("Iniciar sesión en {name}", "Iniciar sesión en CXone", "Elija un usuario de demostración o escriba un nombre de usuario.", "Nombre de usuario", "Iniciar sesión", "Cancelar"),
    "fr": ("Se connecter à {name}", "Se connecter à CXone", "Choisissez un utilisateur de démonstration ou saisissez un nom d'utilisateur.", "Nom d'utilisateur", "Se connecter", "Annuler"),
    "de": ("Bei {name} anmelden", "Bei CXone anmelden", "Wählen Sie einen Demo-Benutzer oder geben Sie einen Benutzernamen ein.", "Benutzername", "Anmelden", "Abbrechen"),
    "pt-BR": ("Entrar em {name}", "Entrar no CXone", "Escolha um usuário de demonstração ou digite um nome de usuário.", "Nome de usuário", "Entrar", "Cancelar"),
    "he": ("כניסה אל {name}", "כניסה אל CXone", "בחרו משתמש הדגמה או הקלידו שם משתמש.", "שם משתמש", "כניסה", "ביטול"),
}
RTL = {"he", "ar", "fa", "ur"}


def login_language(ui_locales):
    """The first of `ui_locales` the page can speak (exact tag, then its language), else "en"."""
    known = {tag.lower(): tag for tag in LOGIN_WORDS}
    by_language = {tag.split("-")[0].lower(): tag for tag in LOGIN_WORDS}
    for tag in (ui_locales or "").lower().split():
        if tag in known:
            return known[tag]
        if tag.split("-")[0] in by_language:
            return by_language[tag.split("-")[0]]
    return "en"


def _shell(sim, title, body, brand="#0b5cab", tenant_label="CXone", popup=False, lang="en"):
    direction = "rtl" if lang.split("-")[0] in RTL else "ltr"
    return f"""<!doctype html>
<html lang="{escape(lang)}" dir="{direction}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><link rel="stylesheet" href="{escape(sim.issuer)}/sim/static/sim.css"></head>
<body style="--brand: {escape(brand)}">
<header class="banner"><span class="mark" aria-hidden="true">cx</span>
<div><h1>{escape(tenant_label)}</h1><small>NICE CXone sign-in &middot; simulator</small></div></header>
<main class="{'popup' if popup else ''}">{body}</main></body></html>"""


def login(sim, params, tenant, prefill="", problem=None):
    hidden = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in params.items()
        if k not in ("username", "pick", "action")
    )
    tenants = [tenant] if tenant else list(sim.tenants.values())
    buttons = []
    for t in tenants:
        for user in t.users:
            hinted = " hinted" if prefill and user.username.lower() == prefill.lower() else ""
            label = f"{user.display_name}" + ("" if tenant else f" · {t.name}")
            buttons.append(
                f'<button class="user{hinted}" type="submit" name="pick" value="{escape(user.username)}">'
                f"<span><strong>{escape(label)}</strong><br><small>{escape(user.username)}</small></span>"
                f'<span class="role">{escape(user.role)}</span></button>'
            )
    problem_html = f'<p class="problem" role="alert">{escape(problem)}</p>' if problem else ""
    lang = login_language(params.get("ui_locales"))
    titled, untitled, lead, username, sign_in, cancel = LOGIN_WORDS[lang]
    title = titled.format(name=tenant.name) if tenant else untitled
    body = f"""<h2>{escape(title)}</h2>
<p class="lead">{escape(lead)}</p>{problem_html}
<form method="post" action="{escape(sim.endpoint_url('authorization'))}">{hidden}
<label for="username">{escape(username)}</label>
<input type="text" id="username" name="username" value="{escape(prefill)}" autocomplete="username" dir="ltr">
<div class="actions"><button class="primary" type="submit" name="action" value="sign_in">{escape(sign_in)}</button>
<button class="secondary" type="submit" name="action" value="cancel" formnovalidate>{escape(cancel)}</button></div>
<div class="users" aria-label="Demo users">{''.join(buttons)}</div>
</form>
<p class="note" lang="en" dir="ltr">This is the CXone simulator built into the portal for development. No password is asked.</p>"""
    return _shell(
        sim,
        title,
        body,
        brand=tenant.brand_color if tenant else "#0b5cab",
        tenant_label=tenant.name if tenant else "NICE CXone",
        popup=params.get("display") == "popup",
        lang=lang,
    )


def error(sim, message):
    return _shell(sim, "Sign-in request refused", f'<h2>Sign-in request refused</h2><p class="problem">{escape(message)}</p>')


def signed_out(sim):
    return _shell(sim, "Signed out", "<h2>You are signed out of CXone</h2><p class=\"lead\">You can close this window.</p>")


def cxone_ui(sim, area):
    """Where CXone's own applications (agent, supervisor, monitor, coach, barge) would open."""
    return _shell(sim, "CXone", f"<h2>CXone ({escape(area)})</h2><p class=\"lead\">CXone's own applications open here in a "
                  "real tenant: the agent application, and the supervisor's monitor, coach and barge, which need a phone "
                  "leg. The simulator stops at this page.</p>")


def index(sim):
    rows = "".join(
        f"<li><strong>{escape(t.name)}</strong> &middot; tenantId <code>{escape(t.tenant_id)}</code></li>"
        for t in sim.tenants.values()
    )
    return _shell(
        sim,
        "CXone simulator",
        f"<h2>CXone simulator</h2><p class=\"lead\">Issuer <code>{escape(sim.issuer)}</code></p><ul>{rows}</ul>",
    )
