//! Standard base64 (Content-MD5, checksum headers), from the `base64` crate.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

pub fn encode(data: &[u8]) -> String {
    STANDARD.encode(data)
}

pub fn decode(text: &str) -> Option<Vec<u8>> {
    STANDARD.decode(text.trim()).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn round_trip() {
        assert_eq!(
            super::encode(b"any carnal pleas"),
            "YW55IGNhcm5hbCBwbGVhcw=="
        );
        assert_eq!(
            super::decode("YW55IGNhcm5hbCBwbGVhcw==").as_deref(),
            Some(&b"any carnal pleas"[..])
        );
        assert_eq!(super::decode("not base64!"), None);
    }
}
