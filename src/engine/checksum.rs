//! Offline checksum validators for tokens that carry one, and structure validators for
//! formats whose structure can be checked offline.

use base64::Engine as _;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Whether a GitHub classic token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`) or npm token (`npm_`)
/// carries a valid checksum: its last six characters are the CRC32 (IEEE) of the random part
/// between the prefix and the checksum, in base62 (`0-9A-Za-z`), left-padded with `0`.
///
/// ```
/// use leakhound::engine::github_crc32_valid;
/// // The example split published with npm's token format announcement.
/// assert!(github_crc32_valid(b"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")); // leakhound:allow -- npm's published example
/// assert!(!github_crc32_valid(b"npm_qkJaB6MffYVzZXWqmcoF49yrUxP3wf0LsakQ"));
/// ```
pub fn github_crc32_valid(token: &[u8]) -> bool {
    let Some(sep) = memchr::memchr(b'_', token) else { return false };
    let body = &token[sep + 1..];
    if body.len() <= 6 {
        return false;
    }
    let (random, check) = body.split_at(body.len() - 6);
    let mut n = crc32fast::hash(random);
    let mut encoded = [b'0'; 6];
    for slot in encoded.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    n == 0 && encoded == check
}

/// Whether `token` (`header.payload.signature`) has the structure of a JSON Web Token: its
/// header and payload are unpadded base64url of JSON objects, and the header has a string
/// `alg`. Anything else shaped like one (a base64 blob that starts with `eyJ`) is not a JWT.
///
/// ```
/// use leakhound::engine::jwt_structure_valid;
/// // {"alg":"HS256","typ":"JWT"} . {"sub":"x"} . signature
/// assert!(jwt_structure_valid(b"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"));
/// // {"typ":"JWT"} has no alg; {"notjson is not JSON.
/// assert!(!jwt_structure_valid(b"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"));
/// assert!(!jwt_structure_valid(b"eyJub3Rqc29u.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"));
/// ```
pub fn jwt_structure_valid(token: &[u8]) -> bool {
    let mut parts = token.split(|&b| b == b'.');
    let (Some(header), Some(payload)) = (parts.next(), parts.next()) else { return false };
    let object = |segment: &[u8]| -> Option<serde_json::Map<String, serde_json::Value>> {
        let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(segment).ok()?;
        match serde_json::from_slice(&json).ok()? {
            serde_json::Value::Object(map) => Some(map),
            _ => None,
        }
    };
    let Some(header) = object(header) else { return false };
    header.get("alg").is_some_and(serde_json::Value::is_string) && object(payload).is_some()
}
