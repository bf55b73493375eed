use base64::Engine as _;
use serde_json::json;

use super::*;
use crate::builtin::testing::{query, reported};

const OBJECT_UUID: &str = "7a1e9c2b-5d4f-4a3e-9b8c-1d2e3f4a5b6c";

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn unb64(text: &Value) -> Vec<u8> {
    base64::engine::general_purpose::STANDARD
        .decode(text.as_str().unwrap())
        .unwrap()
}

fn metadata(datatype: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "global": {
            "core:datatype": datatype,
            "core:sample_rate": 2000000.0,
            "core:version": "1.0.0",
            "core:num_channels": 1,
            "core:author": "Jane Doe <jane@example.org>",
            "core:description": "Key fob at 433.92 MHz",
            "core:recorder": "GNU Radio 3.10",
            "core:license": "https://creativecommons.org/licenses/by-sa/4.0/"
        },
        "captures": [{"core:sample_start": 0, "core:frequency": 433920000}],
        "annotations": []
    }))
    .unwrap()
}

/// `blocks` FFT blocks of a complex tone at a quarter of the sample rate, as ci16_le.
fn tone_ci16(blocks: usize) -> Vec<u8> {
    let mut bytes = Vec::new();
    for n in 0..blocks * waterfall::FFT_SIZE {
        let angle = std::f64::consts::FRAC_PI_2 * n as f64;
        for part in [angle.cos(), angle.sin()] {
            bytes.extend(((part * 1000.0).round() as i16).to_le_bytes());
        }
    }
    bytes
}

fn attachment_json(relation: &str, name: &str, bytes: &[u8]) -> Value {
    json!({"object_relation": relation, "type": "attachment", "value": name, "data": b64(bytes)})
}

fn recording_object(meta: &[u8], data: &[u8]) -> Value {
    json!({"object": {"name": "sigmf-recording", "uuid": OBJECT_UUID, "Attribute": [
        attachment_json("SigMF-meta", "keyfob.sigmf-meta", meta),
        attachment_json("SigMF-data", "keyfob.sigmf-data", data)
    ]}})
}

fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, bytes) in files {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, *bytes).unwrap();
    }
    builder.into_inner().unwrap()
}

fn archive_object(archive: &[u8]) -> Value {
    json!({"object": {"name": "sigmf-archive", "uuid": OBJECT_UUID, "Attribute": [
        attachment_json("SigMF-archive", "capture.sigmf", archive)
    ]}})
}

#[tokio::test]
async fn a_recording_expands_into_metadata_and_a_waterfall() {
    let answer = query(
        &SigmfExpand::new(),
        recording_object(&metadata("ci16_le"), &tone_ci16(4)),
    )
    .await
    .unwrap();
    let objects = answer["results"]["Object"].as_array().unwrap();
    assert_eq!(objects.len(), 1);
    let object = &objects[0];
    assert_eq!(object["name"], "sigmf-expanded-recording");
    assert_eq!(object["ObjectReference"][0]["referenced_uuid"], OBJECT_UUID);
    assert_eq!(object["ObjectReference"][0]["relationship_type"], "expands");
    let fields: Vec<(&str, &str, Value)> = object["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["object_relation"].as_str().unwrap(),
                a["type"].as_str().unwrap(),
                a["value"].clone(),
            )
        })
        .collect();
    // As the reference answers: the integer channel count as text, the float sample
    // rate as a JSON number.
    assert_eq!(
        fields,
        [
            ("author", "text", json!("Jane Doe <jane@example.org>")),
            ("datatype", "text", json!("ci16_le")),
            ("description", "text", json!("Key fob at 433.92 MHz")),
            (
                "license",
                "text",
                json!("https://creativecommons.org/licenses/by-sa/4.0/")
            ),
            ("num_channels", "counter", json!("1")),
            ("recorder", "text", json!("GNU Radio 3.10")),
            ("sample_rate", "float", json!(2000000.0)),
            ("version", "text", json!("1.0.0")),
            (
                "waterfall-plot",
                "attachment",
                json!("keyfob-waterfall.png")
            ),
        ]
    );
    let plot = &object["Attribute"][8];
    assert_eq!(plot["comment"], "Waterfall plot of the recording");
    assert_eq!(plot["category"], "External analysis");
    assert_eq!(plot["disable_correlation"], true);
    let image = unb64(&plot["data"]);
    let decoder = png::Decoder::new(std::io::Cursor::new(image));
    let mut reader = decoder.read_info().unwrap();
    let (width, height) = (reader.info().width, reader.info().height);
    assert_eq!((width, height), (1024, 4));
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).unwrap();
    // The tone sits at +1/4 of the band (bin 768): the brightest viridis colour there,
    // the darkest where there is only quantisation noise.
    let pixel = |x: usize| &pixels[x * 3..x * 3 + 3];
    assert_eq!(pixel(768), [253, 231, 37]);
    assert_ne!(pixel(100), [253, 231, 37]);
}

#[tokio::test]
async fn other_plottable_datatypes_and_their_failures() {
    let module = SigmfExpand::new();
    let floats: Vec<u8> = (0..2 * waterfall::FFT_SIZE)
        .flat_map(|n| ((n % 7) as f32 - 3.0).to_le_bytes())
        .collect();
    let answer = query(&module, recording_object(&metadata("cf32_le"), &floats))
        .await
        .unwrap();
    assert_eq!(
        answer["results"]["Object"][0]["Attribute"][8]["object_relation"],
        "waterfall-plot"
    );
    let cases = [
        (metadata("ci16_le"), vec![0; 6], NOT_SIGMF),
        (metadata("ci16_le"), Vec::new(), NOT_SIGMF),
        (metadata("rf32_le"), tone_ci16(1), NO_PLOTS),
        (metadata("cf32"), tone_ci16(1), NO_PLOTS),
        (metadata("cf32_xx"), tone_ci16(1), NOT_SIGMF),
        (metadata("nonsense"), tone_ci16(1), NOT_SIGMF),
        (b"{\"global\": []}".to_vec(), tone_ci16(1), NOT_SIGMF),
        (b"{not json".to_vec(), tone_ci16(1), NO_JSON),
        (vec![0xff, 0xfe], tone_ci16(1), NO_JSON),
        (
            serde_json::to_vec(&json!({"global": {"core:datatype": "ci8"}})).unwrap(),
            vec![0; 2048],
            NO_PLOTS,
        ),
    ];
    for (meta, data, message) in cases {
        assert_eq!(
            reported(query(&module, recording_object(&meta, &data)).await),
            message
        );
    }
}

/// The metadata with `core:sha512` set.
fn metadata_with_sha512(datatype: &str, sha512: &str) -> Vec<u8> {
    let mut meta: Value = serde_json::from_slice(&metadata(datatype)).unwrap();
    meta["global"]["core:sha512"] = json!(sha512);
    serde_json::to_vec(&meta).unwrap()
}

/// The waterfall attachment of an answer, decoded: (width, height, RGB pixels).
fn waterfall_of(answer: &Value) -> (u32, u32, Vec<u8>) {
    let plot = answer["results"]["Object"][0]["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["object_relation"] == "waterfall-plot")
        .expect("a waterfall-plot attribute");
    assert_eq!(plot["type"], "attachment");
    assert_eq!(plot["value"], "keyfob-waterfall.png");
    let image = unb64(&plot["data"]);
    assert!(image.starts_with(b"\x89PNG\r\n\x1a\n"), "not a PNG");
    let mut reader = png::Decoder::new(std::io::Cursor::new(image))
        .read_info()
        .unwrap();
    let (width, height) = (reader.info().width, reader.info().height);
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut pixels).unwrap();
    assert_eq!(pixels.len(), width as usize * height as usize * 3);
    (width, height, pixels)
}

/// The brightest viridis colour, drawn where the spectrum peaks.
const PEAK: [u8; 3] = [253, 231, 37];

/// The reference plots all three (its matplotlib figure is 1000x400; ours is one row
/// per FFT block, see docs/differences.md). Each picture must show its signal: the
/// tone at +1/4 of the band (bin 768).
#[tokio::test]
async fn reference_cases_short_i8_and_checksums() {
    use sha2::{Digest, Sha512};
    let module = SigmfExpand::new();
    let peak_at = |answer: &Value, column: usize| {
        let (width, height, pixels) = waterfall_of(answer);
        assert_eq!((width, height), (1024, 1));
        assert_eq!(pixels[column * 3..column * 3 + 3], PEAK, "peak at {column}");
        assert_ne!(pixels[100 * 3..100 * 3 + 3], PEAK);
    };
    // 25 samples, under one FFT block: padded and still plotted (sigmf_rec_small_data).
    let short = tone_ci16(1)[..100].to_vec();
    let answer = query(&module, recording_object(&metadata("ci16_le"), &short))
        .await
        .unwrap();
    peak_at(&answer, 768);
    // `i8` is read as interleaved pairs (sigmf_rec_i8): the tone as 8-bit I/Q pairs is
    // one block.
    let tone_i8: Vec<u8> = tone_ci16(1)
        .chunks_exact(2)
        .map(|b| (i16::from_le_bytes([b[0], b[1]]) / 10) as i8 as u8)
        .collect();
    let answer = query(&module, recording_object(&metadata("i8"), &tone_i8))
        .await
        .unwrap();
    peak_at(&answer, 768);
    // core:sha512 must be the data's digest (sigmf_rec_sha_ok, sigmf_rec_sha_bad).
    let data = tone_ci16(1);
    let digest: String = Sha512::digest(&data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let good = metadata_with_sha512("ci16_le", &digest);
    let answer = query(&module, recording_object(&good, &data))
        .await
        .unwrap();
    let sha512 = answer["results"]["Object"][0]["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["object_relation"] == "sha512")
        .expect("a sha512 attribute");
    assert_eq!(
        (&sha512["type"], &sha512["value"]),
        (&json!("text"), &json!(digest))
    );
    peak_at(&answer, 768);
    let bad = metadata_with_sha512("ci16_le", &"0".repeat(128));
    assert_eq!(
        reported(query(&module, recording_object(&bad, &data)).await),
        NOT_SIGMF
    );
}

/// The reference's answer for a channel count of u64::MAX (`2 * channels` used to
/// overflow and panic).
#[tokio::test]
async fn a_huge_channel_count_is_not_a_sigmf_file() {
    let mut meta: Value = serde_json::from_slice(&metadata("ci16_le")).unwrap();
    meta["global"]["core:num_channels"] = json!(u64::MAX);
    let meta = serde_json::to_vec(&meta).unwrap();
    let answer = query(&SigmfExpand::new(), recording_object(&meta, &[0; 8])).await;
    assert_eq!(reported(answer), NOT_SIGMF);
}

#[tokio::test]
async fn an_archive_unpacks_into_one_recording_per_metadata_file() {
    let meta = metadata("ci16_le");
    let data = tone_ci16(1);
    let archive = tar_of(&[
        ("capture/keyfob.sigmf-meta", &meta),
        ("capture/keyfob.sigmf-data", &data),
        ("capture/README.txt", b"notes"),
        ("capture/garage.sigmf-data", b"\x01\x02"),
        ("capture/garage.sigmf-meta", b"{}"),
    ]);
    let answer = query(&SigmfExpand::new(), archive_object(&archive))
        .await
        .unwrap();
    let objects = answer["results"]["Object"].as_array().unwrap();
    let summary: Vec<Vec<(String, String)>> = objects
        .iter()
        .map(|o| {
            assert_eq!(o["name"], "sigmf-recording");
            assert_eq!(o["ObjectReference"][0]["referenced_uuid"], OBJECT_UUID);
            assert_eq!(o["ObjectReference"][0]["relationship_type"], "expands");
            o["Attribute"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| {
                    (
                        a["object_relation"].as_str().unwrap().to_owned(),
                        a["value"].as_str().unwrap().to_owned(),
                    )
                })
                .collect()
        })
        .collect();
    let pair = |m: &str, d: Option<&str>| {
        let mut v = vec![("SigMF-meta".to_owned(), m.to_owned())];
        v.extend(d.map(|d| ("SigMF-data".to_owned(), d.to_owned())));
        v
    };
    assert_eq!(
        summary,
        [
            pair(
                "capture/keyfob.sigmf-meta",
                Some("capture/keyfob.sigmf-data")
            ),
            pair(
                "capture/garage.sigmf-meta",
                Some("capture/garage.sigmf-data")
            ),
        ]
    );
    let first = &objects[0]["Attribute"];
    assert_eq!(unb64(&first[0]["data"]), meta);
    assert_eq!(first[0]["comment"], "SigMF metadata file");
    assert_eq!(unb64(&first[1]["data"]), data);
    assert_eq!(first[1]["comment"], "SigMF data file");
    assert_eq!(first[1]["type"], "attachment");
}

#[tokio::test]
async fn archive_problems_are_reported() {
    let module = SigmfExpand::new();
    assert_eq!(
        reported(query(&module, archive_object(&tar_of(&[("a.txt", b"x")]))).await),
        "No SigMF metadata file found"
    );
    assert_eq!(
        reported(query(&module, archive_object(&[7u8; 1024])).await),
        ARCHIVE_FAILED
    );
    // A metadata file without its data file (sigmf_archive_no_data).
    let meta_only = tar_of(&[("rec/rec.sigmf-meta", b"{\"global\": {}}")]);
    assert_eq!(
        reported(query(&module, archive_object(&meta_only)).await),
        ARCHIVE_FAILED
    );
    let no_archive = json!({"object": {"name": "sigmf-archive", "Attribute": []}});
    assert_eq!(
        reported(query(&module, no_archive).await),
        "No SigMF-archive attribute found"
    );
    let bad_base64 = json!({"object": {"name": "sigmf-archive", "Attribute": [
        {"object_relation": "SigMF-archive", "value": "a.sigmf", "data": "%%%"}]}});
    assert_eq!(reported(query(&module, bad_base64).await), ARCHIVE_FAILED);
}

#[tokio::test]
async fn requests_without_a_sigmf_object_are_refused() {
    let module = SigmfExpand::new();
    let cases = [
        (json!({}), "No object provided"),
        (json!({"object": {}}), "No object provided"),
        (
            json!({"object": {"name": "sigmf-recording"}}),
            "Empty Attribute list",
        ),
        (
            json!({"object": {"name": "file", "Attribute": []}}),
            "No SigMF object provided",
        ),
        (
            json!({"object": {"name": "sigmf-recording", "Attribute": [
                attachment_json("SigMF-data", "x.sigmf-data", b"")]}}),
            "No SigMF-meta attribute",
        ),
        (
            json!({"object": {"name": "sigmf-recording", "Attribute": [
                attachment_json("SigMF-meta", "x.sigmf-meta", b"{}")]}}),
            "No SigMF-data attribute",
        ),
    ];
    for (body, message) in cases {
        assert_eq!(reported(query(&module, body).await), message);
    }
}
