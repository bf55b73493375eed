mod clamav;
mod convert_markdown_to_pdf;
mod countrycode;
mod docx_enrich;
mod eql;
mod extract_url_components;
mod frame;
mod geoip_asn;
mod geoip_city;
mod geoip_country;
mod geoip_db;
mod hygiene;
mod input_attribute;
mod ipgeolocation;
mod jinja_python;
mod jinja_template_rendering;
mod jinja_text_filters;
mod ocr_enrich;
mod ods_enrich;
mod odt_enrich;
mod office;
mod pdf_enrich;
mod pptx_enrich;
mod qrcode;
mod sheet_extent;
mod sheets;
mod sigma;
mod sigma_queries;
mod sigma_syntax_validator;
mod sigmf_expand;
mod stix2_pattern_syntax_validator;
mod xlsx_enrich;
mod xml_text;
mod yara_query;
mod yara_syntax_validator;

use std::sync::Arc;

use crate::engine::Module;

pub fn all() -> Vec<Arc<dyn Module>> {
    vec![
        Arc::new(clamav::Clamav::new()),
        Arc::new(convert_markdown_to_pdf::ConvertMarkdownToPdf::new()),
        Arc::new(countrycode::CountryCode::new()),
        Arc::new(docx_enrich::DocxEnrich::new()),
        Arc::new(eql::Eql::new()),
        Arc::new(extract_url_components::ExtractUrlComponents::new()),
        Arc::new(geoip_asn::GeoipAsn::new()),
        Arc::new(geoip_city::GeoipCity::new()),
        Arc::new(geoip_country::GeoipCountry::new()),
        Arc::new(hygiene::Hygiene::new()),
        Arc::new(ipgeolocation::Ipgeolocation::new()),
        Arc::new(jinja_template_rendering::JinjaTemplateRendering::new()),
        Arc::new(ocr_enrich::OcrEnrich::new()),
        Arc::new(ods_enrich::OdsEnrich::new()),
        Arc::new(odt_enrich::OdtEnrich::new()),
        Arc::new(pdf_enrich::PdfEnrich::new()),
        Arc::new(pptx_enrich::PptxEnrich::new()),
        Arc::new(qrcode::QrCode::new()),
        Arc::new(sigma_queries::SigmaQueries::new()),
        Arc::new(sigma_syntax_validator::SigmaSyntaxValidator::new()),
        Arc::new(sigmf_expand::SigmfExpand::new()),
        Arc::new(stix2_pattern_syntax_validator::Stix2PatternSyntaxValidator::new()),
        Arc::new(xlsx_enrich::XlsxEnrich::new()),
        Arc::new(yara_query::YaraQuery::new()),
        Arc::new(yara_syntax_validator::YaraSyntaxValidator::new()),
    ]
}
