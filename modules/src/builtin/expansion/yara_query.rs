//! `yara_query`: a YARA rule that matches files by one hash (md5, sha1, sha256 through the
//! `hash` module, imphash through `pe`).

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::builtin::yara_check::{YaraProblem, check_yara};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

/// Input types, in the order the reference looks for them.
const INPUT_TYPES: [&str; 7] = [
    "md5",
    "sha1",
    "sha256",
    "filename|md5",
    "filename|sha1",
    "filename|sha256",
    "imphash",
];

pub struct YaraQuery(ModuleDescriptor);

impl YaraQuery {
    pub fn new() -> Self {
        Self(descriptor(
            "yara_query",
            ModuleType::Expansion,
            json!({"input": INPUT_TYPES, "output": ["yara"]}),
            json!({
                "version": "1",
                "author": "misp-modules-stack",
                "description": "Writes a YARA rule matching files by a hash (md5, sha1, sha256 or imphash), checked for valid syntax before it is returned.",
                "module-type": ["expansion", "hover"],
                "name": "YARA Rule Generator",
                "require_standard_format": true,
                "config": [],
                "input": "A hash attribute (md5, sha1, sha256, imphash) or a filename|hash attribute.",
                "output": "A yara attribute holding the rule."
            }),
        ))
    }
}

/// Python's `re.sub(r"\W+", "_", text)`: every run of non-word characters becomes `_`.
fn word_characters(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_run = false;
    for c in text.chars() {
        if c.is_alphanumeric() || c == '_' {
            out.push(c);
            in_run = false;
        } else if !in_run {
            out.push('_');
            in_run = true;
        }
    }
    out
}

/// The rule for one hash, with CRLF line breaks as the reference writes them.
fn rule(hash_type: &str, hash: &str, uuid: Option<&str>) -> String {
    let hash = hash.to_lowercase();
    let (module, condition) = if hash_type == "imphash" {
        ("pe", format!("pe.imphash() == \"{hash}\""))
    } else {
        (
            "hash",
            format!("hash.{hash_type}(0, filesize) == \"{hash}\""),
        )
    };
    let name = match uuid {
        Some(uuid) => format!("{}_{}", hash_type.to_uppercase(), word_characters(uuid)),
        None => hash_type.to_uppercase(),
    };
    format!("import \"{module}\"\r\nrule {name} {{\r\n\tcondition:\r\n\t\t{condition}\r\n}}")
}

#[async_trait]
impl Module for YaraQuery {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let Some((input_type, value)) = INPUT_TYPES
            .iter()
            .find_map(|key| request.get(key).map(|value| (*key, value)))
        else {
            return Err(ModuleError::reported(format!(
                "Wrong input type, please choose in the following: {}",
                INPUT_TYPES.join(", ")
            )));
        };
        let value = value.as_str().ok_or_else(|| {
            ModuleError::internal(format!("yara_query: {input_type} is not text"))
        })?;
        let uuid = match request.get("attribute_uuid") {
            None | Some(Value::Null) => None,
            Some(Value::String(uuid)) if uuid.is_empty() => None,
            Some(Value::String(uuid)) => Some(uuid.as_str()),
            Some(_) => {
                return Err(ModuleError::internal(
                    "yara_query: attribute_uuid is not text",
                ));
            }
        };
        let (hash_type, hash) = match input_type.split_once('|') {
            // A file name may itself hold a `|`; the hash is what follows the last one.
            Some((_, hash_type)) => match value.rsplit_once('|') {
                Some((_, hash)) => (hash_type, hash),
                None => {
                    return Err(ModuleError::reported(format!(
                        "A {input_type} value must be a file name and a hash separated by |"
                    )));
                }
            },
            None => (input_type, value),
        };
        let text = rule(hash_type, hash, uuid);
        match check_yara(&text) {
            Ok(()) => Ok(json!({"results": [{"types": ["yara"], "values": text}]})),
            Err(YaraProblem::Syntax(detail)) => {
                Err(ModuleError::reported(format!("Syntax error: {detail}")))
            }
            Err(YaraProblem::NoRule) => Err(ModuleError::internal("yara_query: no rule built")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};

    async fn rule_text(body: Value) -> String {
        let answer = query(&YaraQuery::new(), body).await.unwrap();
        assert_eq!(answer["results"][0]["types"], json!(["yara"]));
        answer["results"][0]["values"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn hash_rules() {
        assert_eq!(
            rule_text(json!({"sha1": "3395856CE81F2B7382DEE72602F798B642F14140"})).await,
            "import \"hash\"\r\nrule SHA1 {\r\n\tcondition:\r\n\t\thash.sha1(0, filesize) == \"3395856ce81f2b7382dee72602f798b642f14140\"\r\n}"
        );
        assert_eq!(
            rule_text(json!({"imphash": "f34d5f2d4577ed6d9ceec516c1f5a744", "attribute_uuid": "ab cd--ef"})).await,
            "import \"pe\"\r\nrule IMPHASH_ab_cd_ef {\r\n\tcondition:\r\n\t\tpe.imphash() == \"f34d5f2d4577ed6d9ceec516c1f5a744\"\r\n}"
        );
        assert_eq!(
            rule_text(json!({"filename|md5": "odd|name.exe|b2a5abfeef9e36964281a31e17b57c97"}))
                .await,
            "import \"hash\"\r\nrule MD5 {\r\n\tcondition:\r\n\t\thash.md5(0, filesize) == \"b2a5abfeef9e36964281a31e17b57c97\"\r\n}"
        );
    }

    #[tokio::test]
    async fn invalid_inputs() {
        let module = YaraQuery::new();
        assert_eq!(
            reported(query(&module, json!({"domain": "example.com"})).await),
            "Wrong input type, please choose in the following: md5, sha1, sha256, filename|md5, filename|sha1, filename|sha256, imphash"
        );
        assert_eq!(
            reported(query(&module, json!({"filename|sha1": "a.exe"})).await),
            "A filename|sha1 value must be a file name and a hash separated by |"
        );
        let broken = reported(query(&module, json!({"md5": "ab\"cd"})).await);
        assert!(broken.starts_with("Syntax error: line 4:"), "{broken}");
    }
}
