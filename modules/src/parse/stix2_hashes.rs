//! The hash-value check stix2-patterns runs on well-formed patterns: a comparison on a
//! path through `hashes` whose last step names a known algorithm must compare with a value
//! of that algorithm's shape.

use std::fmt;

/// One step of an object path after the object type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PathStep {
    /// A property name (a quoted step is unescaped).
    Key(String),
    /// `[N]`.
    Index,
    /// `[*]`.
    AnyIndex,
}

/// A hash comparison whose value does not fit its algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadHash {
    /// The value as written, without its quote characters.
    value: String,
    /// The algorithm as the path names it.
    algorithm: String,
}

impl fmt::Display for BadHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}' is not a valid {} hash", self.value, self.algorithm)
    }
}

/// The problem with comparing `path` to `value` (the literal's source text), if any.
pub fn check_hash(path: &[PathStep], value: &str) -> Option<BadHash> {
    if !path
        .iter()
        .any(|s| matches!(s, PathStep::Key(k) if k == "hashes"))
    {
        return None;
    }
    // The reference crashes on a trailing `[N]` (an index has no name); no name, no check.
    let PathStep::Key(algorithm) = path.last()? else {
        return None;
    };
    let shape = shape_of(algorithm)?;
    // Every quote goes, not only the surrounding ones: `'a\'b'` is checked as `a\b`, and a
    // set `('a','b')` as `(a,b)`.
    let value: String = value.chars().filter(|c| *c != '\'').collect();
    if shape.accepts(&value) {
        None
    } else {
        Some(BadHash {
            value,
            algorithm: algorithm.clone(),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    /// Exactly this many hex digits.
    Hex(usize),
    /// Starts with 32 hex digits: stix2-patterns' MD6 expression only anchors its first
    /// alternative, so any longer tail passes.
    HexPrefix(usize),
    /// 1 to 128 characters of the ssdeep alphabet.
    Ssdeep,
}

/// The algorithm named `name`: case-insensitive, dashes and quotes ignored (`'sha-256'`,
/// `SHA256`, `RIPEMD-160`).
fn shape_of(name: &str) -> Option<Shape> {
    let key: String = name
        .to_uppercase()
        .chars()
        .filter(|c| *c != '-' && *c != '\'')
        .collect();
    Some(match key.as_str() {
        "MD5" => Shape::Hex(32),
        "MD6" => Shape::HexPrefix(32),
        "RIPEMD160" | "SHA1" => Shape::Hex(40),
        "SHA224" | "SHA3224" => Shape::Hex(56),
        "SHA256" | "SHA3256" => Shape::Hex(64),
        "SHA384" | "SHA3384" => Shape::Hex(96),
        "SHA512" | "SHA3512" | "WHIRLPOOL" => Shape::Hex(128),
        "SSDEEP" => Shape::Ssdeep,
        _ => return None,
    })
}

impl Shape {
    fn accepts(self, value: &str) -> bool {
        // The reference's expressions end in `$`, which also matches before a final newline.
        let whole = value.strip_suffix('\n').unwrap_or(value);
        match self {
            Self::Hex(length) => whole.len() == length && is_hex(whole),
            Self::HexPrefix(length) => value.get(..length).is_some_and(is_hex),
            Self::Ssdeep => {
                (1..=128).contains(&whole.len())
                    && whole
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '+' | ':' | '.'))
            }
        }
    }
}

fn is_hex(text: &str) -> bool {
    text.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(steps: &[&str]) -> Vec<PathStep> {
        steps.iter().map(|s| PathStep::Key((*s).into())).collect()
    }

    fn verdict(steps: &[&str], value: &str) -> Option<String> {
        check_hash(&keys(steps), value).map(|bad| bad.to_string())
    }

    #[test]
    fn values_are_checked_per_algorithm() {
        let md5 = "'d41d8cd98f00b204e9800998ecf8427e'";
        assert_eq!(verdict(&["hashes", "MD5"], md5), None);
        assert_eq!(verdict(&["hashes", "MD5"], &md5.to_uppercase()), None);
        assert_eq!(
            verdict(&["hashes", "SHA-256"], "'x'").as_deref(),
            Some("'x' is not a valid SHA-256 hash")
        );
        assert_eq!(
            verdict(&["hashes", "md5"], "'x'").as_deref(),
            Some("'x' is not a valid md5 hash")
        );
        assert_eq!(
            verdict(&["hashes", "RIPEMD-160"], "'x'").as_deref(),
            Some("'x' is not a valid RIPEMD-160 hash")
        );
        assert_eq!(
            verdict(&["hashes", "SHA1"], md5).as_deref(),
            Some("'d41d8cd98f00b204e9800998ecf8427e' is not a valid SHA1 hash")
        );
        assert_eq!(
            verdict(&["hashes", "SHA3-512"], &format!("'{}'", "a".repeat(128))),
            None
        );
        assert!(verdict(&["hashes", "WHIRLPOOL"], &format!("'{}'", "a".repeat(127))).is_some());
    }

    #[test]
    fn quirks_of_the_reference_are_kept() {
        // MD6: any value that starts with 32 hex digits.
        assert_eq!(
            verdict(&["hashes", "MD6"], "'d41d8cd98f00b204e9800998ecf8427eXX'"),
            None
        );
        // A final newline passes `$`.
        assert_eq!(
            verdict(&["hashes", "MD5"], "'d41d8cd98f00b204e9800998ecf8427e\n'"),
            None
        );
        // Values are checked as written, minus every quote.
        assert_eq!(
            verdict(&["hashes", "MD5"], "('a','b')").as_deref(),
            Some("'(a,b)' is not a valid MD5 hash")
        );
        assert_eq!(
            verdict(&["hashes", "MD5"], "h'00'").as_deref(),
            Some("'h00' is not a valid MD5 hash")
        );
        assert_eq!(
            verdict(&["hashes", "MD5"], "'it\\'s'").as_deref(),
            Some("'it\\s' is not a valid MD5 hash")
        );
        assert_eq!(verdict(&["hashes", "SSDEEP"], "'3:a:b'"), None);
        assert_eq!(
            verdict(&["hashes", "SSDEEP"], "'3:a b'").as_deref(),
            Some("'3:a b' is not a valid SSDEEP hash")
        );
    }

    #[test]
    fn only_named_algorithms_under_hashes() {
        assert!(verdict(&["parent_directory_ref", "hashes", "MD5"], "'x'").is_some());
        assert_eq!(verdict(&["hashes", "MD5", "x"], "'x'"), None);
        assert_eq!(verdict(&["hashes", "SHA 256"], "'x'"), None);
        assert_eq!(verdict(&["name", "MD5"], "'x'"), None);
        let indexed = [PathStep::Key("hashes".into()), PathStep::Index];
        assert_eq!(check_hash(&indexed, "'x'"), None);
        let any = [PathStep::Key("hashes".into()), PathStep::AnyIndex];
        assert_eq!(check_hash(&any, "'x'"), None);
    }
}
