use base64::Engine as _;
use serde_json::{Value, json};

use super::CsvImport;
use crate::builtin::testing::{query, reported};
use crate::engine::ModuleError;

fn body(data: &[u8], config: Value) -> Value {
    json!({"module": "csvimport", "data": base64::engine::general_purpose::STANDARD.encode(data), "config": config})
}

async fn import(data: &str, config: Value) -> Value {
    query(&CsvImport::new(), body(data.as_bytes(), config))
        .await
        .unwrap()["results"]
        .clone()
}

fn summary(results: &Value, key: &str) -> Vec<(String, String)> {
    results[key]
        .as_array()
        .map(|list| {
            list.iter()
                .map(|a| {
                    (
                        a["type"].as_str().unwrap().to_owned(),
                        a["value"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn typed_columns_with_a_comment_column() {
    let config =
        json!({"header": "ip-src,domain,comment", "has_header": "0", "special_delimiter": ""});
    let results = import(
        "198.51.100.7,evil.example.com,first row\n# a comment line\n203.0.113.9,,second row\n",
        config,
    )
    .await;
    assert_eq!(
        summary(&results, "Attribute"),
        vec![
            ("ip-src".into(), "198.51.100.7".into()),
            ("domain".into(), "evil.example.com".into()),
            ("ip-src".into(), "203.0.113.9".into())
        ]
    );
    let first = &results["Attribute"][0];
    assert_eq!(first["comment"], "first row");
    assert_eq!(first["category"], "Network activity");
    assert_eq!(first["to_ids"], true);
}

#[tokio::test]
async fn header_from_the_file_with_bom_and_semicolons() {
    let config = json!({"header": "", "has_header": "1", "special_delimiter": ";"});
    let results = import(
        "\u{feff}md5;filename\n44d88612fea8a8f36de82e1278abb02f;eicar.com\n",
        config,
    )
    .await;
    assert_eq!(
        summary(&results, "Attribute"),
        vec![
            ("md5".into(), "44d88612fea8a8f36de82e1278abb02f".into()),
            ("filename".into(), "eicar.com".into())
        ]
    );
    assert_eq!(results["Attribute"][0]["category"], "Payload delivery");
}

#[tokio::test]
async fn tabs_quotes_and_explicit_fields() {
    let config =
        json!({"header": "url,category,to_ids", "has_header": true, "special_delimiter": "\t"});
    let data = "url\tcategory\tto_ids\n\"http://a.example/x?y=1\"\tnetwork activity\t0\n";
    let results = import(data, config).await;
    let attribute = &results["Attribute"][0];
    assert_eq!(attribute["value"], "http://a.example/x?y=1");
    assert_eq!(attribute["category"], "Network activity");
    assert_eq!(attribute["to_ids"], false);
}

#[tokio::test]
async fn misp_export_with_objects() {
    let data = "uuid,event_id,category,type,value,comment,to_ids,date,object_relation,attribute_tag,object_uuid,object_name,object_meta_category\n\
        11111111-1111-4111-8111-111111111111,1,Network activity,ip-dst,192.0.2.1,c2,1,1705312800,,tlp:white,,,\n\
        22222222-2222-4222-8222-222222222222,1,Payload delivery,md5,e99a18c428cb38d5f260853678922e03,,1,1705312800,md5,,33333333-3333-4333-8333-333333333333,file,file\n\
        44444444-4444-4444-8444-444444444444,1,Payload delivery,filename,invoice.doc,,0,1705312800,filename,,33333333-3333-4333-8333-333333333333,file,file\n";
    let results = import(
        data,
        json!({"header": "", "has_header": "1", "special_delimiter": ""}),
    )
    .await;
    let attribute = &results["Attribute"][0];
    assert_eq!(attribute["uuid"], "11111111-1111-4111-8111-111111111111");
    assert_eq!(attribute["Tag"], json!([{"name": "tlp:white"}]));
    let object = &results["Object"][0];
    assert_eq!(object["name"], "file");
    assert_eq!(object["uuid"], "33333333-3333-4333-8333-333333333333");
    assert_eq!(
        object["template_uuid"],
        "688c46fb-5edb-40a3-8273-1af7923e2215"
    );
    assert_eq!(object["Attribute"].as_array().unwrap().len(), 2);
    assert_eq!(object["Attribute"][1]["object_relation"], "filename");
}

#[tokio::test]
async fn clear_errors_for_bad_input() {
    let module = CsvImport::new();
    let no_data = json!({"config": {"header": "ip-src"}});
    assert_eq!(
        reported(query(&module, no_data).await),
        "Unsupported attributes type"
    );
    // A Windows-1252 file: 0xC1 is not UTF-8.
    let latin = body(
        b"ip-src,comment\n1.2.3.4,\xC1rbol\n",
        json!({"has_header": "1"}),
    );
    assert_eq!(
        reported(query(&module, latin).await),
        "Input is not valid UTF-8"
    );
    let no_header = body(b"1.2.3.4\n", json!({}));
    assert!(
        reported(query(&module, no_header).await)
            .starts_with("Configuration error. Provide a header")
    );
    let no_config = json!({"data": "MS4yLjMuNAo="});
    assert!(reported(query(&module, no_config).await).starts_with("Configuration error."));
    let wrong = body(b"1.2.3.4\n", json!({"header": "ip-sorce"}));
    assert!(reported(query(&module, wrong).await).starts_with("Wrong header field: ip-sorce."));
    let clash = body(b"ip-src,type\n1,2\n", json!({"has_header": "1"}));
    assert_eq!(
        reported(query(&module, clash).await),
        "Error with the following header: ('ip-src', 'type'). It contains the following field(s): type, which is(are) already provided by the usage of at least on MISP attribute type in the header."
    );
    let bad_config = body(b"1.2.3.4\n", json!({"header": 5}));
    assert!(
        matches!(query(&module, bad_config).await, Err(ModuleError::Reported(m)) if m.contains("\"header\""))
    );
    let short = body(b"1.2.3.4\n", json!({"header": "comment,ip-src"}));
    assert_eq!(
        reported(query(&module, short).await),
        "Row 1 has 1 columns, fewer than the header names"
    );
}
