//! MD5, for S3's Content-MD5 and the ETag of single-part objects: the
//! `md-5` crate behind the small interface the S3 code uses.

use md5::{Digest, Md5 as Hasher};

pub struct Md5(Hasher);

impl Default for Md5 {
    fn default() -> Md5 {
        Md5::new()
    }
}

impl Md5 {
    pub fn new() -> Md5 {
        Md5(Hasher::new())
    }

    pub fn update(&mut self, data: &[u8]) {
        self.0.update(data);
    }

    pub fn finish(self) -> [u8; 16] {
        self.0.finalize().into()
    }
}

pub fn digest(data: &[u8]) -> [u8; 16] {
    Hasher::digest(data).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_digests() {
        assert_eq!(hex::encode(digest(b"")), "d41d8cd98f00b204e9800998ecf8427e");
        let mut m = Md5::new();
        m.update(b"The quick brown fox ");
        m.update(b"jumps over the lazy dog");
        assert_eq!(hex::encode(m.finish()), "9e107d9d372bb6826bd81d3542a419d6");
    }
}
