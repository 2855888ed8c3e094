//! Device URLs: `<protocol>://<gatewayId>/<deviceAddress>[#<subsystemId>]`.
//!
//! Every device of a setup is named by its URL: `io://1234-1234-5752/960379#7` is
//! sub-system 7 of the io-homecontrol device `960379` paired with gateway
//! `1234-1234-5752`. [`DeviceUrl`] reads the parts and writes the URL back exactly
//! as it was given.

use std::fmt;
use std::str::FromStr;

use crate::generated_vocabulary::Protocol;

/// A parsed device URL: `<protocol>://<gatewayId>/<deviceAddress>[#<subsystemId>]`.
///
/// The address may itself contain `/` (`hue://1234-1234-4411/001788676dde/lights/10`).
/// Formatting gives back the text that was parsed, byte for byte.
///
/// ```
/// use overkiz::{DeviceUrl, Protocol};
/// let url = DeviceUrl::parse("io://1234-1234-5752/960379#7")?;
/// assert_eq!(url.protocol(), Protocol::Io);
/// assert_eq!(url.gateway_id(), "1234-1234-5752");
/// assert_eq!(url.device_address(), "960379");
/// assert_eq!(url.subsystem_id(), Some(7));
/// assert_eq!(url.base_device_url(), "io://1234-1234-5752/960379");
/// assert!(url.is_sub_device());
/// assert_eq!(url.to_string(), "io://1234-1234-5752/960379#7");
/// assert!(DeviceUrl::parse("io:/1234/960379").is_err());
/// # Ok::<(), overkiz::InvalidDeviceUrl>(())
/// ```
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceUrl {
    /// The whole URL, as parsed.
    url: String,
    /// Byte offset of the gateway id (after `://`).
    gateway_start: usize,
    /// Byte offset of the `/` that ends the gateway id.
    gateway_end: usize,
    /// Byte offset of the `#` before the sub-system id, if any.
    hash: Option<usize>,
    /// The sub-system id.
    subsystem_id: Option<u32>,
}

/// Why a text is not a device URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DeviceUrlErrorKind {
    /// The device has no `deviceURL` (only from [`crate::types::Device::url`]).
    Missing,
    /// No `://` after the protocol.
    NoScheme,
    /// The protocol is empty or holds a character outside `[A-Za-z0-9._+-]`.
    BadProtocol,
    /// No `/` between the gateway id and the device address.
    NoAddress,
    /// The gateway id is empty or holds a space, `#` or `?`.
    BadGatewayId,
    /// The device address is empty or holds a space or `?`.
    BadAddress,
    /// What follows `#` is not a whole number (up to 4294967295).
    BadSubsystemId,
}

impl DeviceUrlErrorKind {
    fn describe(self) -> &'static str {
        match self {
            DeviceUrlErrorKind::Missing => "the device has no deviceURL",
            DeviceUrlErrorKind::NoScheme => "no `://` after the protocol",
            DeviceUrlErrorKind::BadProtocol => "the protocol is empty or malformed",
            DeviceUrlErrorKind::NoAddress => "no `/<deviceAddress>` after the gateway id",
            DeviceUrlErrorKind::BadGatewayId => "the gateway id is empty or malformed",
            DeviceUrlErrorKind::BadAddress => "the device address is empty or malformed",
            DeviceUrlErrorKind::BadSubsystemId => "the sub-system id after `#` is not a number",
        }
    }
}

/// A text that is not a device URL, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid device URL {url:?}: {}", kind.describe())]
pub struct InvalidDeviceUrl {
    url: String,
    kind: DeviceUrlErrorKind,
}

impl InvalidDeviceUrl {
    pub(crate) fn new(url: &str, kind: DeviceUrlErrorKind) -> InvalidDeviceUrl {
        // Error texts may end up in logs: keep them short.
        let url: String = url.chars().take(200).collect();
        InvalidDeviceUrl { url, kind }
    }

    /// Why the text was refused.
    pub fn kind(&self) -> DeviceUrlErrorKind {
        self.kind
    }

    /// The refused text (at most 200 characters of it).
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl DeviceUrl {
    /// Parses `<protocol>://<gatewayId>/<deviceAddress>[#<subsystemId>]`.
    pub fn parse(url: &str) -> Result<DeviceUrl, InvalidDeviceUrl> {
        let fail = |kind| Err(InvalidDeviceUrl::new(url, kind));
        let Some(scheme_end) = url.find("://") else {
            return fail(DeviceUrlErrorKind::NoScheme);
        };
        let protocol = &url[..scheme_end];
        if protocol.is_empty()
            || !protocol
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'+' | b'-'))
        {
            return fail(DeviceUrlErrorKind::BadProtocol);
        }
        let gateway_start = scheme_end + 3;
        let rest = &url[gateway_start..];
        let Some(slash) = rest.find('/') else {
            return fail(DeviceUrlErrorKind::NoAddress);
        };
        let gateway = &rest[..slash];
        if gateway.is_empty()
            || gateway.contains(|c: char| c.is_whitespace() || c == '#' || c == '?')
        {
            return fail(DeviceUrlErrorKind::BadGatewayId);
        }
        let gateway_end = gateway_start + slash;
        let after = &url[gateway_end + 1..];
        let (address, hash, subsystem_id) = match after.find('#') {
            Some(i) => {
                let digits = &after[i + 1..];
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return fail(DeviceUrlErrorKind::BadSubsystemId);
                }
                let Ok(id) = digits.parse::<u32>() else {
                    return fail(DeviceUrlErrorKind::BadSubsystemId);
                };
                (&after[..i], Some(gateway_end + 1 + i), Some(id))
            }
            None => (after, None, None),
        };
        if address.is_empty() || address.contains(|c: char| c.is_whitespace() || c == '?') {
            return fail(DeviceUrlErrorKind::BadAddress);
        }
        Ok(DeviceUrl {
            url: url.to_owned(),
            gateway_start,
            gateway_end,
            hash,
            subsystem_id,
        })
    }

    /// Builds a URL from its parts (checked as [`DeviceUrl::parse`] does).
    pub fn from_parts(
        protocol: &str,
        gateway_id: &str,
        device_address: &str,
        subsystem_id: Option<u32>,
    ) -> Result<DeviceUrl, InvalidDeviceUrl> {
        let mut url = format!("{protocol}://{gateway_id}/{device_address}");
        if let Some(id) = subsystem_id {
            url.push('#');
            url.push_str(&id.to_string());
        }
        let parsed = DeviceUrl::parse(&url)?;
        // A `#` or `/` inside a part would move the boundaries: refuse it.
        if parsed.gateway_id() != gateway_id
            || parsed.device_address() != device_address
            || parsed.subsystem_id() != subsystem_id
        {
            return Err(InvalidDeviceUrl::new(&url, DeviceUrlErrorKind::BadAddress));
        }
        Ok(parsed)
    }

    /// The protocol (`io`, `rts`, `zwave`, ...): a known [`Protocol`] or
    /// [`Protocol::Unknown`] with the text.
    pub fn protocol(&self) -> Protocol {
        Protocol::from(self.protocol_str())
    }

    /// The protocol as written in the URL.
    pub fn protocol_str(&self) -> &str {
        &self.url[..self.gateway_start - 3]
    }

    /// The gateway id (`1234-1234-5752`).
    pub fn gateway_id(&self) -> &str {
        &self.url[self.gateway_start..self.gateway_end]
    }

    /// The device address: what follows the gateway id, without the sub-system
    /// (`960379`, `001788676dde/lights/10`).
    pub fn device_address(&self) -> &str {
        &self.url[self.gateway_end + 1..self.hash.unwrap_or(self.url.len())]
    }

    /// The sub-system id: the number after `#`, if any.
    pub fn subsystem_id(&self) -> Option<u32> {
        self.subsystem_id
    }

    /// The URL without its `#<subsystemId>`: the URL of the physical device whose
    /// sub-systems share it.
    pub fn base_device_url(&self) -> &str {
        &self.url[..self.hash.unwrap_or(self.url.len())]
    }

    /// True for a secondary part of a multi-part device: a sub-system id above 1
    /// (`#1` is the main part), as pyoverkiz counts it.
    pub fn is_sub_device(&self) -> bool {
        self.subsystem_id.is_some_and(|id| id > 1)
    }

    /// The URL as text.
    pub fn as_str(&self) -> &str {
        &self.url
    }
}

impl fmt::Display for DeviceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl fmt::Debug for DeviceUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceUrl({:?})", self.url)
    }
}

impl FromStr for DeviceUrl {
    type Err = InvalidDeviceUrl;

    fn from_str(s: &str) -> Result<DeviceUrl, InvalidDeviceUrl> {
        DeviceUrl::parse(s)
    }
}

impl TryFrom<&str> for DeviceUrl {
    type Error = InvalidDeviceUrl;

    fn try_from(s: &str) -> Result<DeviceUrl, InvalidDeviceUrl> {
        DeviceUrl::parse(s)
    }
}

impl AsRef<str> for DeviceUrl {
    fn as_ref(&self) -> &str {
        &self.url
    }
}

impl From<DeviceUrl> for String {
    fn from(url: DeviceUrl) -> String {
        url.url
    }
}

impl From<&DeviceUrl> for String {
    fn from(url: &DeviceUrl) -> String {
        url.url.clone()
    }
}

impl serde::Serialize for DeviceUrl {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.url)
    }
}

impl<'de> serde::Deserialize<'de> for DeviceUrl {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<DeviceUrl, D::Error> {
        let text = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
        DeviceUrl::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_of_real_urls() {
        let url = DeviceUrl::parse("hue://1234-1234-4411/001788676dde/lights/10").unwrap();
        assert_eq!(url.protocol_str(), "hue");
        assert_eq!(url.gateway_id(), "1234-1234-4411");
        assert_eq!(url.device_address(), "001788676dde/lights/10");
        assert_eq!(url.subsystem_id(), None);
        assert!(!url.is_sub_device());
        assert_eq!(url.base_device_url(), url.as_str());

        let url = DeviceUrl::parse("zwave://1234-1234-2813/1#1").unwrap();
        assert_eq!(url.subsystem_id(), Some(1));
        assert!(!url.is_sub_device());
        assert_eq!(url.base_device_url(), "zwave://1234-1234-2813/1");

        let url = DeviceUrl::parse("internal://1234-1234-5752/pod/0").unwrap();
        assert_eq!(url.device_address(), "pod/0");
        assert_eq!(url.protocol(), Protocol::Internal);

        let url = DeviceUrl::parse("newproto://gw/x#02").unwrap();
        assert_eq!(url.protocol(), Protocol::Unknown("newproto".into()));
        assert_eq!(url.subsystem_id(), Some(2));
        assert_eq!(url.to_string(), "newproto://gw/x#02");
    }

    #[test]
    fn malformed_urls_say_why() {
        use DeviceUrlErrorKind::*;
        for (text, kind) in [
            ("", NoScheme),
            ("io//gw/1", NoScheme),
            ("://gw/1", BadProtocol),
            ("i o://gw/1", BadProtocol),
            ("io://gw", NoAddress),
            ("io:///1", BadGatewayId),
            ("io://g#w/1", BadGatewayId),
            ("io://gw/", BadAddress),
            ("io://gw/#3", BadAddress),
            ("io://gw/1#", BadSubsystemId),
            ("io://gw/1#x", BadSubsystemId),
            ("io://gw/1#-1", BadSubsystemId),
            ("io://gw/1#99999999999", BadSubsystemId),
            ("io://gw/1#2#3", BadSubsystemId),
        ] {
            let error = DeviceUrl::parse(text).unwrap_err();
            assert_eq!(error.kind(), kind, "{text}");
            assert!(error.to_string().contains("invalid device URL"));
        }
    }

    #[test]
    fn from_parts_refuses_ambiguous_parts() {
        let url = DeviceUrl::from_parts("io", "gw", "12", Some(3)).unwrap();
        assert_eq!(url.as_str(), "io://gw/12#3");
        assert!(DeviceUrl::from_parts("io", "g/w", "12", None).is_err());
        assert!(DeviceUrl::from_parts("io", "gw", "1#2", None).is_err());
    }

    #[test]
    fn serde_as_a_string() {
        let url: DeviceUrl = serde_json::from_str("\"rts://gw/16756006\"").unwrap();
        assert_eq!(
            serde_json::to_string(&url).unwrap(),
            "\"rts://gw/16756006\""
        );
        assert!(serde_json::from_str::<DeviceUrl>("\"nope\"").is_err());
    }
}
