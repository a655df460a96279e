//! SSRF guard: webhook URLs must be http(s) and, unless the operator allows
//! it, must not point at loopback, private, link-local or otherwise internal
//! addresses, neither literally nor through DNS.

use reqwest::Url;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::resolver::CheckedResolver;

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
    let segments = ip.segments();
    let first = segments[0];
    let [.., a, b, c, d] = ip.octets();
    let last_v4 = Ipv4Addr::new(a, b, c, d);
    ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_multicast()
        || (first & 0xfe00) == 0xfc00 // unique local
        || (first & 0xffc0) == 0xfe80 // link-local
        || (first & 0xffc0) == 0xfec0 // site-local (deprecated)
        || segments[..6] == [0; 6] // IPv4-compatible ::/96 (deprecated)
        || segments[..4] == [0x0100, 0, 0, 0] // discard-only 100::/64
        || (segments[..2] == [0x2001, 0]) // Teredo: the IPv4 inside is hidden
        || (segments[..3] == [0x0064, 0xff9b, 0x0001]) // local-use NAT64 64:ff9b:1::/48
        || (segments[..6] == [0x0064, 0xff9b, 0, 0, 0, 0] && internal_v4(last_v4)) // NAT64
        || (first == 0x2002 && internal_v4(six_to_four(segments))) // 6to4
        || first == 0x2001 && segments[1] == 0x0db8 // documentation
}

/// The IPv4 address a 6to4 address (2002:AABB:CCDD::/48) routes to.
fn six_to_four(segments: [u16; 8]) -> Ipv4Addr {
    let [a, b] = segments[1].to_be_bytes();
    let [c, d] = segments[2].to_be_bytes();
    Ipv4Addr::new(a, b, c, d)
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

/// Resolves the URL's host with `resolver` and refuses it when any address
/// is internal (unless `allow_private`). Delivery does not rely on this
/// check: its client connects only to addresses [`super::resolver`] checked.
pub async fn check_resolved(url: &Url, resolver: &CheckedResolver) -> Result<(), String> {
    if resolver.allow_private() {
        return Ok(());
    }
    let host = url.host_str().ok_or("must name a host")?;
    let addresses = resolver.lookup(host).await?;
    if addresses.iter().any(|address| is_internal(address.ip())) {
        return Err("resolves to a loopback, private or reserved address".to_owned());
    }
    Ok(())
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

    #[test]
    fn ipv6_forms_that_embed_or_hide_internal_addresses_are_internal() {
        let internal = |text: &str| is_internal(text.parse::<IpAddr>().unwrap());
        for bad in [
            "64:ff9b::7f00:1",      // NAT64 of 127.0.0.1
            "64:ff9b::a00:1",       // NAT64 of 10.0.0.1
            "64:ff9b::a9fe:a9fe",   // NAT64 of 169.254.169.254
            "64:ff9b:1::5db8:d822", // local-use NAT64
            "2002:7f00:1::1",       // 6to4 of 127.0.0.1
            "2002:c0a8:101::1",     // 6to4 of 192.168.1.1
            "::7f00:1",             // IPv4-compatible 127.0.0.1
            "::5db8:d822",          // IPv4-compatible, public inside: still refused
            "fec0::1",              // site-local
            "feff::1",              // site-local, top of the range
            "2001:0:4136:e378::1",  // Teredo
            "100::1",               // discard-only
        ] {
            assert!(internal(bad), "{bad} counted as public");
        }
        for good in [
            "64:ff9b::5db8:d822", // NAT64 of 93.184.216.34
            "2002:5db8:d822::1",  // 6to4 of 93.184.216.34
            "2606:2800:220:1:248:1893:25c8:1946",
            "2001:4860:4860::8888",
        ] {
            assert!(!internal(good), "{good} counted as internal");
        }
        assert!(check_url("http://[64:ff9b::7f00:1]/", false).is_err());
        assert!(check_url("http://[2002:7f00:1::1]/", false).is_err());
        assert!(check_url("http://[fec0::1]/", false).is_err());
    }
}
