//! The mock's HTML: the approval page and the page for a refused authorization request.
//! Everything that came from a request or the configuration is escaped.

use std::fmt::Write;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use url::Url;

use super::{AuthorizationRequest, MockUser};

const STYLE: &str = "\
:root{color-scheme:light dark;--fg:#1f2328;--muted:#59636e;--bg:#f6f8fa;--card:#fff;--line:#d1d9e0;--accent:#1f6feb}\
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--card:#151b23;--line:#3d444d;--accent:#4493f8}}\
*{box-sizing:border-box}\
body{margin:0;min-height:100vh;display:flex;align-items:center;justify-content:center;background:var(--bg);color:var(--fg);font:16px/1.5 system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;padding:24px}\
main{width:100%;max-width:420px;background:var(--card);border:1px solid var(--line);border-radius:12px;padding:32px}\
.brand{margin:0 0 20px;font-size:13px;font-weight:600;letter-spacing:.06em;text-transform:uppercase;color:var(--muted)}\
h1{margin:0 0 16px;font-size:22px;line-height:1.3;font-weight:600;overflow-wrap:anywhere}\
p{margin:0 0 12px;overflow-wrap:anywhere}\
.muted{color:var(--muted);font-size:14px}\
code{font:13px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:1px 5px}\
form{display:flex;gap:12px;margin:24px 0 20px}\
button{flex:1;font:inherit;font-weight:600;padding:10px 16px;border-radius:8px;border:1px solid var(--line);background:var(--card);color:var(--fg);cursor:pointer}\
button.primary{background:var(--accent);border-color:var(--accent);color:#fff}\
button:focus-visible{outline:2px solid var(--accent);outline-offset:2px}\
.note{margin:0;padding-top:16px;border-top:1px solid var(--line);color:var(--muted);font-size:13px}";

/// Escapes text for HTML element content and double- or single-quoted attributes.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// The page asking the user to approve `request` as `user`, posting the decision with
/// `request_id`.
pub(super) fn approval(
    request_id: &str,
    request: &AuthorizationRequest,
    user: &MockUser,
) -> Response {
    let mut body = format!(
        "<h1>Sign in to the local test provider as {}?</h1>",
        escape(user.display_name())
    );
    if let Some(email) = &user.email {
        let _ = write!(
            body,
            "<p class=\"muted\">{}{}</p>",
            escape(email),
            if user.email_verified {
                " · verified"
            } else {
                " · not verified"
            }
        );
    }
    let _ = write!(
        body,
        "<p>The app <code>{}</code> is asking to sign you in",
        escape(&request.client_id)
    );
    if let Some(scope) = &request.scope {
        let _ = write!(body, " with the scopes <code>{}</code>", escape(scope));
    }
    let _ = write!(
        body,
        ". You will be sent back to <code>{}</code>.</p>",
        escape(&origin(&request.redirect_uri))
    );
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/authorize/decision\">\
         <input type=\"hidden\" name=\"request_id\" value=\"{}\">\
         <button type=\"submit\" id=\"approve\" name=\"decision\" value=\"approve\" class=\"primary\" autofocus>Approve</button>\
         <button type=\"submit\" id=\"cancel\" name=\"decision\" value=\"cancel\">Cancel</button>\
         </form>",
        escape(request_id)
    );
    html(
        StatusCode::OK,
        "Sign in · Local test provider",
        &body,
        "A mock authorization server for development and tests: no password, no internet.",
    )
}

/// The page for a request the server refuses without redirecting back, as real servers
/// do when they cannot trust the redirect URI.
pub(super) fn error(error: &str, description: &str) -> Response {
    let body = format!(
        "<h1>This sign-in request cannot be completed</h1>\
         <p>{}</p>\
         <p class=\"muted\">Error: <code>{}</code></p>",
        code_spans(&escape(description)),
        escape(error)
    );
    html(
        StatusCode::BAD_REQUEST,
        "Error · Local test provider",
        &body,
        "The app that sent you here sent an invalid authorization request. Nothing was shared with it.",
    )
}

/// Turns the `backtick` spans of already escaped text into `<code>` elements.
fn code_spans(escaped: &str) -> String {
    let mut out = String::with_capacity(escaped.len());
    let mut parts = escaped.split('`').peekable();
    let mut inside = false;
    while let Some(part) = parts.next() {
        out.push_str(part);
        if parts.peek().is_some() {
            out.push_str(if inside { "</code>" } else { "<code>" });
            inside = !inside;
        }
    }
    if inside {
        out.push_str("</code>");
    }
    out
}

/// `scheme://host[:port]` of a URL that was checked to parse.
fn origin(url: &str) -> String {
    Url::parse(url).map_or_else(|_| url.to_owned(), |url| url.origin().ascii_serialization())
}

fn html(status: StatusCode, title: &str, body: &str, note: &str) -> Response {
    let page = format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"referrer\" content=\"no-referrer\">\n\
         <title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n\
         <p class=\"brand\">Local test provider</p>\n{body}\n<p class=\"note\">{note}</p>\n\
         </main>\n</body>\n</html>\n",
        title = escape(title),
        note = escape(note),
    );
    let mut response = (status, page).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // No scripts, no framing (clickjacking of the Approve button). No `form-action`:
    // browsers apply it to the redirect after the form, which goes to the app.
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_the_five_characters() {
        assert_eq!(
            escape(r#"<a href="x" title='y'>&amp;</a>"#),
            "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;amp;&lt;/a&gt;"
        );
        assert_eq!(escape("plain · text"), "plain · text");
    }

    #[test]
    fn backticks_become_code() {
        assert_eq!(
            code_spans("no `state` or `x"),
            "no <code>state</code> or <code>x</code>"
        );
        assert_eq!(code_spans("plain"), "plain");
    }
}
