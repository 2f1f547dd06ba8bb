//! The demo's HTML: small server-rendered pages, every dynamic value escaped.

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use portcullis_axum::escape;
use portcullis_sqlx::SqlUser;

use crate::DemoUser;

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2328}\
a.button,button{display:block;width:100%;box-sizing:border-box;margin:.5rem 0;padding:.7rem 1rem;border:1px solid #d0d7de;\
border-radius:.4rem;background:#f6f8fa;color:inherit;font:inherit;text-align:left;text-decoration:none;cursor:pointer}\
a.button:hover,button:hover{background:#eaeef2}table{border-collapse:collapse}td,th{text-align:left;padding:.25rem .75rem .25rem 0}\
img.avatar{width:64px;height:64px;border-radius:50%;float:right}.muted{color:#656d76}";

fn layout(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Portcullis demo</title><style>{STYLE}</style></head>\
         <body>{body}</body></html>\n",
        title = escape(title)
    );
    (status, Html(html)).into_response()
}

/// The sign-in page: a button per provider.
pub(crate) fn sign_in(buttons: &[(String, String)]) -> Response {
    let mut body = String::from(
        "<h1>Sign in</h1><p class=\"muted\">Portcullis demo. The local test provider works offline; \
         others appear when their credentials are configured.</p>",
    );
    for (id, label) in buttons {
        body.push_str(&format!(
            "<a class=\"button\" id=\"sign-in-{id}\" href=\"/login/{id}\">Sign in with {label}</a>",
            id = escape(id),
            label = escape(label)
        ));
    }
    layout(StatusCode::OK, "Sign in", &body)
}

/// The profile page: the user, linked identities, buttons to link more, sign out.
pub(crate) fn profile(
    user: &SqlUser<DemoUser>,
    keys: &[portcullis::Key],
    buttons: &[(String, String)],
) -> Response {
    let a = &user.attributes;
    let mut body = String::new();
    if let Some(avatar) = &a.avatar_url {
        body.push_str(&format!(
            "<img class=\"avatar\" src=\"{}\" alt=\"\">",
            escape(avatar)
        ));
    }
    body.push_str(&format!(
        "<h1 id=\"user-name\">{}</h1><table>\
         <tr><th>User id</th><td id=\"user-id\">{}</td></tr>\
         <tr><th>Email</th><td id=\"user-email\">{}</td></tr></table>",
        escape(&a.name),
        user.id,
        match &a.email {
            Some(email) => format!(
                "{} {}",
                escape(email),
                if a.email_verified {
                    "(verified by the provider)"
                } else {
                    "(not verified)"
                }
            ),
            None => "—".to_owned(),
        }
    ));
    body.push_str("<h2>Linked identities</h2><ul id=\"identities\">");
    for key in keys {
        body.push_str(&format!(
            "<li><code>{}</code></li>",
            escape(&key.to_string())
        ));
    }
    body.push_str("</ul>");
    let unlinked: Vec<&(String, String)> = buttons
        .iter()
        .filter(|(id, _)| !keys.iter().any(|k| k.provider_id() == id))
        .collect();
    if !unlinked.is_empty() {
        body.push_str("<h2>Link another account</h2>");
        for (id, label) in unlinked {
            body.push_str(&format!(
                "<a class=\"button\" href=\"/login/{id}\">Link {label}</a>",
                id = escape(id),
                label = escape(label)
            ));
        }
    }
    body.push_str("<form method=\"post\" action=\"/logout\"><button id=\"sign-out\" type=\"submit\">Sign out</button></form>");
    layout(StatusCode::OK, &a.name, &body)
}

/// An error page.
pub(crate) fn error(status: StatusCode, title: &str, text: &str) -> Response {
    layout(
        status,
        title,
        &format!(
            "<h1>{}</h1><p>{}</p><p><a href=\"/\">Back</a></p>",
            escape(title),
            escape(text)
        ),
    )
}
