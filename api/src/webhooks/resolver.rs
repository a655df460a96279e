//! DNS for webhook delivery. The delivery client resolves through
//! [`CheckedResolver`], which drops internal addresses from every answer: the
//! address the client connects to is the one that was checked, so a DNS
//! answer that changes between a check and the connection (rebinding)
//! cannot reach an internal host.

use std::net::SocketAddr;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use super::guard::is_internal;

/// A resolver the delivery client can use (the system's by default, another
/// one in tests).
pub type Lookup = Arc<dyn Resolve>;

/// Longest wait for an answer.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(3);

/// The system resolver (`getaddrinfo`, through tokio).
#[derive(Debug, Default)]
pub struct SystemResolver;

impl Resolve for SystemResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let lookup = tokio::net::lookup_host((host.as_str(), 0));
            let found = tokio::time::timeout(LOOKUP_TIMEOUT, lookup)
                .await
                .map_err(|_| "the host name did not resolve in time")??;
            let addresses: Addrs = Box::new(found.collect::<Vec<_>>().into_iter());
            Ok(addresses)
        })
    }
}

/// Resolves with an inner resolver and keeps only public addresses (all of
/// them when private targets are allowed); an answer with none left is an
/// error.
#[derive(Clone)]
pub struct CheckedResolver {
    inner: Lookup,
    allow_private: bool,
}

impl std::fmt::Debug for CheckedResolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckedResolver")
            .field("allow_private", &self.allow_private)
            .finish_non_exhaustive()
    }
}

impl CheckedResolver {
    /// Checks the answers of `inner` (the system resolver when `None`).
    pub fn new(inner: Option<Lookup>, allow_private: bool) -> Self {
        Self {
            inner: inner.unwrap_or_else(|| Arc::new(SystemResolver)),
            allow_private,
        }
    }

    /// Whether internal addresses are allowed (the operator's setting).
    pub fn allow_private(&self) -> bool {
        self.allow_private
    }

    /// Every address the inner resolver gives for `host`, unfiltered.
    pub async fn lookup(&self, host: &str) -> Result<Vec<SocketAddr>, String> {
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        let name = Name::from_str(bare).map_err(|_| "its host name is not valid".to_owned())?;
        let found = self
            .inner
            .resolve(name)
            .await
            .map_err(|_| "its host name does not resolve".to_owned())?
            .collect::<Vec<_>>();
        if found.is_empty() {
            return Err("its host name does not resolve".to_owned());
        }
        Ok(found)
    }
}

impl Resolve for CheckedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let this = self.clone();
        Box::pin(async move {
            let found = this.lookup(name.as_str()).await?;
            let kept: Vec<SocketAddr> = found
                .into_iter()
                .filter(|address| this.allow_private || !is_internal(address.ip()))
                .collect();
            if kept.is_empty() {
                return Err(
                    "the host resolves only to loopback, private or reserved addresses \
                            (refused)"
                        .into(),
                );
            }
            let addresses: Addrs = Box::new(kept.into_iter());
            Ok(addresses)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers with fixed addresses.
    struct Fixed(Vec<SocketAddr>);

    impl Resolve for Fixed {
        fn resolve(&self, _: Name) -> Resolving {
            let addresses: Addrs = Box::new(self.0.clone().into_iter());
            Box::pin(async move { Ok(addresses) })
        }
    }

    fn resolver(answers: &[&str], allow_private: bool) -> CheckedResolver {
        let addresses = answers.iter().map(|a| a.parse().unwrap()).collect();
        CheckedResolver::new(Some(Arc::new(Fixed(addresses))), allow_private)
    }

    async fn resolve(resolver: &CheckedResolver) -> Result<Vec<SocketAddr>, String> {
        match Resolve::resolve(resolver, Name::from_str("hooks.example.com").unwrap()).await {
            Ok(found) => Ok(found.collect()),
            Err(err) => Err(err.to_string()),
        }
    }

    #[tokio::test]
    async fn drops_internal_answers_and_refuses_when_none_remain() {
        let mixed = resolver(
            &["127.0.0.1:0", "93.184.216.34:0", "[64:ff9b::a00:1]:0"],
            false,
        );
        assert_eq!(
            resolve(&mixed).await.unwrap(),
            vec!["93.184.216.34:0".parse().unwrap()]
        );
        let internal = resolver(&["127.0.0.1:0", "[::1]:0", "10.0.0.1:0"], false);
        let err = resolve(&internal).await.unwrap_err();
        assert!(err.contains("only to loopback"), "{err}");
        let allowed = resolver(&["127.0.0.1:0"], true);
        assert_eq!(resolve(&allowed).await.unwrap().len(), 1);
        assert!(resolve(&resolver(&[], false)).await.is_err());
    }
}
