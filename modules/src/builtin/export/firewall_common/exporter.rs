//! The exporters built on the vendor-neutral matches, and optional DNS resolution.

use std::sync::Arc;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::*;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub(super) const PLACEMENT_WARNING: &str = "Configuration fragment: place generated entries before existing terminal decisions, preserve the site's final policy and remove stale managed entries when refreshing indicators.";
pub(in crate::builtin::export) const PERMIT_LOG_WARNING: &str = "Logging mode permits matching traffic and stops policy evaluation; later denies can be bypassed.";

/// The settings every match-based exporter reads.
#[derive(Debug, Clone)]
pub(in crate::builtin::export) struct AclSettings {
    pub mode: Mode,
    pub name_prefix: String,
    pub resolve_dns: bool,
}

/// One vendor's syntax for the vendor-neutral matches.
pub(in crate::builtin::export) trait AclDialect:
    Send + Sync + 'static
{
    /// Settings of the vendor's own, read after the common ones.
    type Extra: Send + Sync;

    /// Human name, used in the file header and as prefix of error messages.
    const TITLE: &'static str;
    /// Comment leader of the configuration language.
    const COMMENT: &'static str = "#";
    /// Whether port 0 can be written; if not, such attributes are skipped.
    const PORT_ZERO: bool = true;

    fn configure(
        &self,
        config: &Map<String, Value>,
        settings: &mut AclSettings,
    ) -> Result<Self::Extra, Invalid>;

    fn render(
        &self,
        rules: &[AclRule],
        settings: &AclSettings,
        extra: &Self::Extra,
    ) -> Result<Vec<String>, Invalid>;

    /// Warnings about how the entries interact with the device's policy.
    fn policy_warnings(&self, settings: &AclSettings) -> Vec<&'static str>;
}

/// A match-based exporter: one dialect plus the shared flow.
pub(in crate::builtin::export) struct AclModule<D> {
    descriptor: ModuleDescriptor,
    dialect: D,
    resolver: Arc<dyn Resolver>,
}

/// The descriptor shared by the match-based exporters; `extra` are the dialect's own
/// string settings with their help texts.
pub(in crate::builtin::export) fn acl_descriptor(
    name: &str,
    title: &str,
    description: &str,
    output: &str,
    extra: &[(&str, &str)],
    prefix_limit: usize,
) -> ModuleDescriptor {
    let mut user_config = Map::new();
    user_config.insert(
        "mode".into(),
        json!({"type": "String", "message": "block (default) drops matching traffic; log records it, with the vendor's logging semantics"}),
    );
    user_config.insert(
        "name_prefix".into(),
        json!({"type": "String", "message": format!("Prefix of generated names: a letter, then up to {} letters, digits, _ or - (default MISP-IOC)", prefix_limit - 1)}),
    );
    user_config.insert(
        "resolve_dns".into(),
        json!({"type": "Boolean", "message": "Look up domain and hostname indicators when exporting (default false)"}),
    );
    for (key, message) in extra {
        user_config.insert((*key).into(), json!({"type": "String", "message": message}));
    }
    let config: Vec<&String> = user_config.keys().collect();
    descriptor(
        name,
        ModuleType::Export,
        json!({
            "input": NETWORK_TYPES,
            "inputSource": ["event", "event-collection"],
            "outputFileExtension": "cfg",
            "responseType": "text/plain",
            "userConfig": user_config,
        }),
        json!({
            "version": "1.0",
            "author": "misp-modules-stack",
            "name": title,
            "description": description,
            "module-type": ["export"],
            "config": config,
            "input": "Events in either export layout, or bare events; attributes of objects count too. Only attributes marked to_ids are exported.",
            "output": output,
        }),
    )
}

impl<D: AclDialect> AclModule<D> {
    pub fn new(descriptor: ModuleDescriptor, dialect: D) -> Self {
        Self {
            descriptor,
            dialect,
            resolver: Arc::new(SystemResolver),
        }
    }

    #[cfg(test)]
    pub fn with_resolver(mut self, resolver: Arc<dyn Resolver>) -> Self {
        self.resolver = resolver;
        self
    }

    async fn export(&self, request: &QueryRequest) -> Result<Value, Invalid> {
        let config = config_object(request)?;
        let mut settings = AclSettings {
            mode: mode(&config)?,
            name_prefix: token(&config, "name_prefix", "MISP-IOC", 27)?,
            resolve_dns: flag(config.get("resolve_dns"), "resolve_dns")?,
        };
        let extra = self.dialect.configure(&config, &mut settings)?;
        let collected = collect_rules(
            request.get("data"),
            settings.resolve_dns,
            D::PORT_ZERO,
            &*self.resolver,
        )
        .await?;
        let mut warnings = collected.skipped.warnings();
        if !collected.rules.is_empty() {
            warnings.push(PLACEMENT_WARNING.to_owned());
            warnings.extend(
                self.dialect
                    .policy_warnings(&settings)
                    .into_iter()
                    .map(str::to_owned),
            );
        }
        if collected.resolved {
            warnings.push(RESOLVED_WARNING.to_owned());
        }
        if collected.port_only {
            warnings.push(PORT_ONLY_WARNING.to_owned());
        }
        let rules: Vec<AclRule> = collected.rules.into_iter().collect();
        let mut lines = vec![format!(
            "{} MISP {}: IDS-marked network attributes",
            D::COMMENT,
            D::TITLE
        )];
        lines.extend(warnings.iter().map(|w| format!("{} {w}", D::COMMENT)));
        lines.extend(self.dialect.render(&rules, &settings, &extra)?);
        let file = lines.join("\n") + "\n";
        Ok(answer(&file, rules.len(), &collected.skipped, warnings))
    }
}

#[async_trait]
impl<D: AclDialect> Module for AclModule<D> {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.descriptor
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        self.export(&request)
            .await
            .map_err(|Invalid(message)| ModuleError::reported(format!("{}: {message}", D::TITLE)))
    }
}
