//! [`domain_base_url`]: a server's domain, as its users type it, as a base URL.

use url::Url;

use crate::error::Error;

/// `domain` — a host name with an optional port, with or without `https://`, such as an
/// Auth0 tenant (`tenant-1.id.example`), an Okta org, a Salesforce My Domain or a
/// Mastodon instance — as the base URL `https://host[:port]/` of a server whose
/// endpoints are on that domain: what a provider crate for a tenant or an instance reads
/// its users' setting with.
/// Surrounding white space is ignored. `http://` is accepted for `localhost` and
/// loopback addresses only (a local test server). `what` names the domain in errors
/// (`"Auth0 domain"`).
///
/// ```
/// use portcullis::domain_base_url;
///
/// let base = domain_base_url("acme.id.example", "Auth0 domain")?;
/// assert_eq!(base.as_str(), "https://acme.id.example/");
/// assert!(domain_base_url("acme.id.example/authorize", "Auth0 domain").is_err());
/// # Ok::<(), portcullis::Error>(())
/// ```
///
/// # Errors
///
/// [`Error::Config`] when `domain` is not a host name: a path, a query, a fragment,
/// credentials, another scheme, or `http://` for a host that is not loopback.
pub fn domain_base_url(domain: &str, what: &str) -> Result<Url, Error> {
    let invalid = |why: &str| Error::Config(format!("invalid {what} `{domain}`: {why}"));
    let text = domain.trim();
    let url = if text.contains("://") {
        Url::parse(text)
    } else {
        Url::parse(&format!("https://{text}"))
    }
    .map_err(|e| invalid(&e.to_string()))?;
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        _ => return Err(invalid("use https (http only for a local test server)")),
    }
    if url.path() != "/"
        || url.query().is_some()
        || url.fragment().is_some()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(invalid("a domain has no path, query or credentials"));
    }
    Ok(url)
}

/// Whether `url`'s host is `localhost` or a loopback address.
fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_become_https_base_urls() {
        for (domain, base) in [
            ("tenant-1.id.example", "https://tenant-1.id.example/"),
            ("https://login.example.com", "https://login.example.com/"),
            ("https://login.example.com/", "https://login.example.com/"),
            (" acme.id.example ", "https://acme.id.example/"),
            ("acme.example:8443", "https://acme.example:8443/"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
            ("http://localhost:3001", "http://localhost:3001/"),
            ("http://[::1]:3001", "http://[::1]:3001/"),
        ] {
            assert_eq!(
                domain_base_url(domain, "test domain").unwrap().as_str(),
                base,
                "{domain}"
            );
        }
        for domain in [
            "",
            "http://tenant-1.id.example",
            "ftp://tenant-1.id.example",
            "https://tenant-1.id.example/tenant",
            "tenant-1.id.example/authorize",
            "https://tenant-1.id.example?x=1",
            "https://tenant-1.id.example#x",
            "https://user:pw@tenant-1.id.example",
            "http://10.0.0.1",
            "http://localhost.evil.example",
        ] {
            let err = domain_base_url(domain, "test domain").unwrap_err();
            assert!(
                matches!(&err, Error::Config(message) if message.starts_with(&format!("invalid test domain `{domain}`: "))),
                "{domain}: {err:?}"
            );
        }
    }
}
