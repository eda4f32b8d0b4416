//! Where outbound requests go: the real services, or, in test builds only, a test server.

use url::Url;

use crate::Error;

/// Turns a provider's real URL into the URL a request goes to.
///
/// In the shipped binary it only parses the real URL. With the cargo feature
/// `test-endpoints` (tests only) it can carry an override: every URL is then
/// moved to the override's scheme, host and port, keeping the real path and
/// query, so that a test server answering on the real paths sees every request
/// a flow makes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Endpoints {
    #[cfg(feature = "test-endpoints")]
    base: Option<Url>,
}

impl Endpoints {
    /// The real services.
    pub fn real() -> Endpoints {
        Endpoints::default()
    }

    /// Every request to `base`'s scheme, host and port (tests only).
    #[cfg(feature = "test-endpoints")]
    pub fn overridden(base: Url) -> Endpoints {
        Endpoints { base: Some(base) }
    }

    /// The override, if any; always none without the `test-endpoints` feature.
    pub fn base(&self) -> Option<&Url> {
        #[cfg(feature = "test-endpoints")]
        return self.base.as_ref();
        #[cfg(not(feature = "test-endpoints"))]
        None
    }

    /// The URL a request for the real URL `real` goes to.
    pub fn url(&self, real: &str) -> Result<Url, Error> {
        let url = Url::parse(real).map_err(|e| Error::BadUrl {
            url: real.to_owned(),
            reason: e.to_string(),
        })?;
        #[cfg(feature = "test-endpoints")]
        return rebased(url, real, self.base());
        #[cfg(not(feature = "test-endpoints"))]
        Ok(url)
    }
}

/// `url` (parsed from `real`), moved to `base`'s scheme, host and port when a
/// base is given. Only in test builds: the shipped binary cannot move a URL.
#[cfg(feature = "test-endpoints")]
fn rebased(mut url: Url, real: &str, base: Option<&Url>) -> Result<Url, Error> {
    if let Some(base) = base {
        let moved = url
            .set_scheme(base.scheme())
            .and_then(|()| url.set_host(base.host_str()).map_err(|_| ()))
            .and_then(|()| url.set_port(base.port()));
        if moved.is_err() {
            return Err(Error::Rebase {
                base: base.to_string(),
                real: real.to_owned(),
            });
        }
    }
    Ok(url)
}

#[cfg(all(test, feature = "test-endpoints"))]
mod tests {
    use super::*;

    #[test]
    fn override_keeps_path_and_query() {
        let url = |over: Option<&str>, real: &str| {
            let endpoints = match over {
                Some(o) => Endpoints::overridden(o.parse().expect("a test URL")),
                None => Endpoints::real(),
            };
            endpoints
                .url(real)
                .map(|u| u.to_string())
                .map_err(|e| e.to_string())
        };
        let real = "https://graph.microsoft.com/v1.0/me/drives?$top=1";
        assert_eq!(url(None, real).as_deref(), Ok(real));
        assert_eq!(
            url(Some("http://127.0.0.1:8123"), real).as_deref(),
            Ok("http://127.0.0.1:8123/v1.0/me/drives?$top=1")
        );
        assert_eq!(
            url(Some("https://[::1]"), "http://h:99/x").as_deref(),
            Ok("https://[::1]/x")
        );
        assert!(url(None, "not a url").is_err());
    }
}
