mod countrycode;
mod eql;
mod extract_url_components;
mod stix2_pattern_syntax_validator;
mod yara_query;
mod yara_syntax_validator;

use std::sync::Arc;

use crate::engine::Module;

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(countrycode::CountryCode::new()),
        Arc::new(eql::Eql::new()),
        Arc::new(extract_url_components::ExtractUrlComponents::new()),
        Arc::new(stix2_pattern_syntax_validator::Stix2PatternSyntaxValidator::new()),
        Arc::new(yara_query::YaraQuery::new()),
        Arc::new(yara_syntax_validator::YaraSyntaxValidator::new()),
    ]
}
