//! SSRF guard: webhook URLs must be http(s) and, unless the operator allows
//! it, must not point at loopback, private, link-local or otherwise internal
//! addresses, neither literally nor through DNS.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use reqwest::Url;

/// Longest accepted webhook URL.
pub const MAX_URL_LENGTH: usize = 2_000;

/// Whether an address is reachable only from inside (or is not a host at all).
pub fn is_internal(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => internal_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => internal_v4(v4),
            None => internal_v6(v6),
        },
    }
}

fn internal_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b)) // carrier-grade NAT
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240
}

fn internal_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || first == 0x2001 && ip.segments()[1] == 0x0db8 // documentation
}

/// Parses and checks a webhook URL's form: scheme, host, no credentials.
/// Literal internal addresses and `localhost` are refused unless `allow_private`.
pub fn check_url(raw: &str, allow_private: bool) -> Result<Url, String> {
    if raw.len() > MAX_URL_LENGTH {
        return Err(format!("must be at most {MAX_URL_LENGTH} characters"));
    }
    let url = Url::parse(raw).map_err(|e| format!("is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must use http or https".to_owned());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err("must not carry credentials".to_owned());
    }
    let host = url.host_str().ok_or("must name a host")?.to_owned();
    if allow_private {
        return Ok(url);
    }
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        if is_internal(ip) {
            return Err("points at a loopback, private or reserved address".to_owned());
        }
    } else {
        let lower = bare.to_ascii_lowercase();
        if lower == "localhost" || lower.ends_with(".localhost") || lower.ends_with(".local") {
            return Err("points at a local host name".to_owned());
        }
    }
    Ok(url)
}

/// Resolves the URL's host and refuses it when any address is internal
/// (checked again before every delivery, against DNS rebinding).
pub async fn check_resolved(url: &Url, allow_private: bool) -> Result<(), String> {
    if allow_private {
        return Ok(());
    }
    let host = url.host_str().ok_or("must name a host")?;
    let port = url.port_or_known_default().unwrap_or(443);
    let lookup =
        tokio::net::lookup_host((host.trim_start_matches('[').trim_end_matches(']'), port));
    let addresses = tokio::time::timeout(Duration::from_secs(3), lookup)
        .await
        .map_err(|_| "its host name did not resolve in time".to_owned())?
        .map_err(|_| "its host name does not resolve".to_owned())?;
    let mut any = false;
    for address in addresses {
        any = true;
        if is_internal(address.ip()) {
            return Err("resolves to a loopback, private or reserved address".to_owned());
        }
    }
    if any {
        Ok(())
    } else {
        Err("its host name does not resolve".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_internal_and_odd_urls() {
        for bad in [
            "ftp://example.com/x",
            "http://127.0.0.1/x",
            "http://10.1.2.3/x",
            "http://192.168.0.1/",
            "http://169.254.169.254/latest/meta-data",
            "http://[::1]:8080/",
            "http://[fd00::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://localhost:9000/",
            "http://0.0.0.0/",
            "http://user:pw@example.com/",
            "not a url",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad} accepted");
        }
        assert!(check_url("https://hooks.example.com/rapport", false).is_ok());
        assert!(check_url("http://93.184.216.34/hook", false).is_ok());
        assert!(check_url("http://127.0.0.1:9000/hook", true).is_ok());
        assert!(check_url("ftp://127.0.0.1/", true).is_err());
    }
}
