//! `clamav`: scans an attachment or malware sample with a clamd daemon, spoken to
//! directly over TCP or a Unix socket with clamd's null-terminated command protocol.

use std::io::Read as _;
use std::time::Duration;

use app::{ModuleDescriptor, ModuleType, StandardResults};
use async_trait::async_trait;
use base64::Engine as _;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::timeout;

use super::input_attribute::echo;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::ObjectBuilder;

const INPUT_TYPES: [&str; 2] = ["attachment", "malware-sample"];
/// Largest file sent to clamd; clamd's own default StreamMaxLength is 25 MiB.
const MAX_SCAN_BYTES: usize = 64 * 1024 * 1024;
/// Bytes per INSTREAM chunk.
const CHUNK: usize = 64 * 1024;
/// Longest reply line accepted from clamd.
const MAX_REPLY: usize = 64 * 1024;
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const VERSION_TIMEOUT: Duration = Duration::from_secs(15);
const SCAN_TIMEOUT: Duration = Duration::from_secs(180);
const TOO_BIG: &str = "Could not send attribute data to ClamAV. Maybe file is too big?";

pub struct Clamav(ModuleDescriptor);

impl Clamav {
    pub fn new() -> Self {
        Self(descriptor(
            "clamav",
            ModuleType::Expansion,
            json!({"input": INPUT_TYPES, "format": "misp_standard"}),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Scans an attachment or malware sample with ClamAV. Needs a running clamd daemon reachable at the address set in the connection setting (host:port for TCP, or unix:///path/to/clamd.sock); when clamd cannot be reached the module answers an error naming the address.",
                "module-type": ["expansion"],
                "name": "ClaamAV",
                "logo": "",
                "requirements": ["A clamd daemon, address in the connection setting"],
                "features": "The file is streamed to clamd with INSTREAM (at most 64 MiB); malware samples are first taken out of their zip (password \"infected\"). A detection becomes an av-signature object naming the signature and the ClamAV version.",
                "references": ["https://docs.clamav.net/manual/Usage/Scanning.html#clamd"],
                "input": "An attachment or malware-sample attribute with its data.",
                "output": "Nothing when the file is clean, or the input attribute and an av-signature object.",
                "config": ["connection"]
            }),
        ))
    }
}

/// Where clamd listens.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Endpoint {
    Tcp(String, u16),
    Unix(String),
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Endpoint::Tcp(host, port) if host.contains(':') => write!(f, "[{host}]:{port}"),
            Endpoint::Tcp(host, port) => write!(f, "{host}:{port}"),
            Endpoint::Unix(path) => write!(f, "unix://{path}"),
        }
    }
}

fn parse_endpoint(text: &str) -> Result<Endpoint, ModuleError> {
    let invalid = || {
        ModuleError::reported(format!(
            "ClamAV connection string '{text}' is invalid. It must be unix socket path with 'unix://' prefix or IP:PORT."
        ))
    };
    if let Some(path) = text.strip_prefix("unix://") {
        return if path.is_empty() {
            Err(invalid())
        } else {
            Ok(Endpoint::Unix(path.to_owned()))
        };
    }
    let (host, port) = text.trim().rsplit_once(':').ok_or_else(invalid)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let port: u16 = port.parse().map_err(|_| invalid())?;
    if host.is_empty() || port == 0 {
        return Err(invalid());
    }
    Ok(Endpoint::Tcp(host.to_owned(), port))
}

trait Duplex: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Duplex for T {}

async fn connect(endpoint: &Endpoint) -> std::io::Result<Box<dyn Duplex>> {
    let connecting = async {
        match endpoint {
            Endpoint::Tcp(host, port) => {
                let stream = tokio::net::TcpStream::connect((host.as_str(), *port)).await?;
                Ok(Box::new(stream) as Box<dyn Duplex>)
            }
            #[cfg(unix)]
            Endpoint::Unix(path) => {
                let stream = tokio::net::UnixStream::connect(path).await?;
                Ok(Box::new(stream) as Box<dyn Duplex>)
            }
            #[cfg(not(unix))]
            Endpoint::Unix(_) => Err(std::io::Error::other(
                "Unix sockets are not available on this platform",
            )),
        }
    };
    timeout(CONNECT_TIMEOUT, connecting)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "connection timed out"))?
}

/// Reads one null- or newline-terminated reply, without its terminator.
async fn read_reply(stream: &mut Box<dyn Duplex>) -> std::io::Result<String> {
    let mut reply = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        if stream.read(&mut byte).await? == 0 || matches!(byte[0], 0 | b'\n') {
            break;
        }
        reply.push(byte[0]);
        if reply.len() > MAX_REPLY {
            return Err(std::io::Error::other("reply from clamd is too long"));
        }
    }
    Ok(String::from_utf8_lossy(&reply).trim().to_owned())
}

async fn version(endpoint: &Endpoint) -> std::io::Result<String> {
    let mut stream = connect(endpoint).await?;
    let exchange = async {
        stream.write_all(b"zVERSION\0").await?;
        read_reply(&mut stream).await
    };
    let reply = timeout(VERSION_TIMEOUT, exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "no answer to VERSION"))??;
    if reply.is_empty() {
        return Err(std::io::Error::other("empty answer to VERSION"));
    }
    Ok(reply)
}

/// Streams `data` with INSTREAM and returns clamd's verdict line.
async fn instream(endpoint: &Endpoint, data: &[u8]) -> std::io::Result<String> {
    let mut stream = connect(endpoint).await?;
    let exchange = async {
        let sent: std::io::Result<()> = async {
            stream.write_all(b"zINSTREAM\0").await?;
            for chunk in data.chunks(CHUNK) {
                let length = u32::try_from(chunk.len()).map_err(std::io::Error::other)?;
                stream.write_all(&length.to_be_bytes()).await?;
                stream.write_all(chunk).await?;
            }
            stream.write_all(&0u32.to_be_bytes()).await?;
            stream.flush().await
        }
        .await;
        // clamd stops reading and answers as soon as its size limit is hit, so a failed
        // write may still be followed by a reply worth reading.
        match (read_reply(&mut stream).await, sent) {
            (Ok(reply), _) if !reply.is_empty() => Ok(reply),
            (_, Err(e)) => Err(e),
            (Err(e), Ok(())) => Err(e),
            (Ok(_), Ok(())) => Err(std::io::Error::other("empty answer to INSTREAM")),
        }
    };
    timeout(SCAN_TIMEOUT, exchange)
        .await
        .map_err(|_| std::io::Error::new(std::io::ErrorKind::TimedOut, "scan timed out"))?
}

#[derive(Debug, PartialEq, Eq)]
enum Verdict {
    Clean,
    Found(String),
    Error(String),
    TooBig,
}

/// Reads `stream: OK`, `stream: <signature> FOUND`, `<message> ERROR`.
fn verdict(reply: &str) -> Option<Verdict> {
    if reply.starts_with("INSTREAM size limit exceeded") {
        return Some(Verdict::TooBig);
    }
    let (_, rest) = reply.split_once(": ")?;
    if rest == "OK" {
        return Some(Verdict::Clean);
    }
    if let Some(signature) = rest.strip_suffix(" FOUND") {
        return Some(Verdict::Found(signature.to_owned()));
    }
    rest.strip_suffix(" ERROR")
        .map(|message| Verdict::Error(message.to_owned()))
}

/// The first member of a malware-sample zip, opened with MISP's "infected" password.
fn unzip_sample(data: &[u8]) -> Result<Vec<u8>, ModuleError> {
    let failed = || ModuleError::reported("Could not extract malware sample from ZIP file");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(data)).map_err(|_| failed())?;
    if archive.is_empty() {
        return Err(failed());
    }
    let encrypted = archive.by_index_raw(0).map_err(|_| failed())?.encrypted();
    let member = if encrypted {
        archive.by_index_decrypt(0, b"infected")
    } else {
        archive.by_index(0)
    };
    let mut sample = Vec::new();
    member
        .map_err(|_| failed())?
        .take(MAX_SCAN_BYTES as u64 + 1)
        .read_to_end(&mut sample)
        .map_err(|_| failed())?;
    Ok(sample)
}

#[async_trait]
impl Module for Clamav {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let connection = request
            .config_text("connection")
            .filter(|c| !c.trim().is_empty())
            .ok_or_else(|| ModuleError::reported("No ClamAV connection string provided"))?;
        if !request.get("attribute").is_some_and(|a| {
            a.as_object().is_some_and(|o| !o.is_empty())
                || a.as_str().is_some_and(|s| !s.is_empty())
        }) {
            return Err(ModuleError::reported("No attribute provided"));
        }
        let attribute = request.standard_attribute()?;
        if !INPUT_TYPES.contains(&attribute.attribute_type.as_str()) {
            return Err(ModuleError::reported(
                "Invalid attribute type provided, expected 'malware-sample' or 'attachment'",
            ));
        }
        let data = attribute
            .raw
            .get("data")
            .and_then(Value::as_str)
            .filter(|d| !d.is_empty())
            .ok_or_else(|| ModuleError::reported("No attribute data provided"))?;

        let endpoint = parse_endpoint(&connection)?;
        let software = version(&endpoint).await.map_err(|e| {
            ModuleError::reported(format!("Could not connect to ClamAV at {endpoint}: {e}"))
        })?;

        // Strict like the reference: no stray characters, padding required.
        let mut bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .map_err(|_| {
                ModuleError::reported("Provided data is not valid base64 encoded string")
            })?;
        if attribute.attribute_type == "malware-sample" {
            bytes = unzip_sample(&bytes)?;
        }
        if bytes.len() > MAX_SCAN_BYTES {
            return Err(ModuleError::reported(format!(
                "Could not send attribute data to ClamAV: the file is larger than the {} MiB this server scans.",
                MAX_SCAN_BYTES / (1024 * 1024)
            )));
        }

        let reply = instream(&endpoint, &bytes).await.map_err(|e| {
            tracing::warn!(%endpoint, error = %e, "clamd INSTREAM failed");
            ModuleError::reported(TOO_BIG)
        })?;
        match verdict(&reply) {
            Some(Verdict::Clean) => Ok(json!({"results": {}})),
            Some(Verdict::TooBig) => Err(ModuleError::reported(TOO_BIG)),
            Some(Verdict::Error(message)) => Err(ModuleError::reported(format!(
                "ClamAV returned error message: {message}"
            ))),
            Some(Verdict::Found(signature)) => {
                let mut object = ObjectBuilder::new("av-signature")?;
                object
                    .add("signature", signature)?
                    .add("software", software)?;
                object.reference(&attribute.uuid, "belongs-to");
                let results = StandardResults {
                    attributes: vec![echo(&attribute)],
                    objects: vec![object.build()],
                };
                Ok(json!({"results": results}))
            }
            None => Err(ModuleError::reported(format!(
                "ClamAV returned an unexpected answer: {reply}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};
    use std::sync::{Arc, Mutex};
    use tokio::io::AsyncReadExt;

    const UUID: &str = "5a5d2c1e-3c2b-4a8e-9c7d-0123456789ab";
    const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
    const CLAMD_VERSION: &str = "ClamAV 1.4.2/27500/Tue Jan  7 09:00:00 2025";
    /// `zip -P infected` of EICAR as eicar.com, the way MISP stores malware samples.
    const EICAR_ZIP: &str = "UEsDBAoACQAAAEKPg108z1FoUAAAAEQAAAAJABwAZWljYXIuY29tVVQJAAOsrRFrrK0Ra3V4CwABBAAAAAAEAAAAAG6ITdy5Ha5jiox/AsQNCuK1TE2w9NQ/PIQtwlUWf3BeWiO4H+0GtwajNe9hKKPKaKjvtDs43GVsVsUYy7nBuYF0oPf5Ftc9F1IFEGAbQmQBUEsHCDzPUWhQAAAARAAAAFBLAQIeAwoACQAAAEKPg108z1FoUAAAAEQAAAAJABgAAAAAAAEAAACkgQAAAABlaWNhci5jb21VVAUAA6ytEWt1eAsAAQQAAAAABAAAAABQSwUGAAAAAAEAAQBPAAAAowAAAAAA";

    /// Chunk sizes of every INSTREAM the stub received.
    type Seen = Arc<Mutex<Vec<Vec<usize>>>>;

    /// One clamd session: a null-terminated command, then clamd's answer.
    async fn serve<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S, seen: Seen) {
        let mut command = Vec::new();
        let mut byte = [0u8; 1];
        while stream.read_exact(&mut byte).await.is_ok() && byte[0] != 0 {
            command.push(byte[0]);
        }
        let reply: &[u8] = match command.as_slice() {
            b"zVERSION" => CLAMD_VERSION.as_bytes(),
            b"zINSTREAM" => {
                let (mut data, mut chunks) = (Vec::new(), Vec::new());
                loop {
                    let length = stream.read_u32().await.unwrap() as usize;
                    if length == 0 {
                        break;
                    }
                    chunks.push(length);
                    let mut chunk = vec![0; length];
                    stream.read_exact(&mut chunk).await.unwrap();
                    data.extend(chunk);
                }
                seen.lock().unwrap().push(chunks);
                let has = |needle: &[u8]| data.windows(needle.len()).any(|w| w == needle);
                if has(b"EICAR-STANDARD") {
                    b"stream: Eicar-Test-Signature FOUND"
                } else if has(b"TOO-BIG") {
                    b"INSTREAM size limit exceeded. ERROR"
                } else if has(b"NO-MEMORY") {
                    b"stream: Can't allocate memory ERROR"
                } else {
                    b"stream: OK"
                }
            }
            _ => b"UNKNOWN COMMAND",
        };
        let _ = stream.write_all(reply).await;
        let _ = stream.write_all(b"\0").await;
    }

    async fn tcp_clamd() -> (String, Seen) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        let seen = Seen::default();
        let recorder = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, recorder.clone()));
            }
        });
        (address, seen)
    }

    fn body(connection: &str, attribute_type: &str, value: &str, data: &str) -> Value {
        json!({"module": "clamav", "config": {"connection": connection},
               "attribute": {"type": attribute_type, "value": value, "uuid": UUID, "data": data}})
    }

    fn b64(bytes: &[u8]) -> String {
        base64::engine::general_purpose::STANDARD.encode(bytes)
    }

    #[tokio::test]
    async fn detection_becomes_an_av_signature_object() {
        let (address, seen) = tcp_clamd().await;
        let data = b64(EICAR);
        let answer = query(
            &Clamav::new(),
            body(&address, "attachment", "eicar.com", &data),
        )
        .await
        .unwrap();
        let results = &answer["results"];
        assert_eq!(
            results["Attribute"][0],
            json!({"uuid": UUID, "type": "attachment", "value": "eicar.com",
                   "category": "External analysis", "to_ids": false,
                   "disable_correlation": false, "data": data})
        );
        let object = &results["Object"][0];
        assert_eq!(object["name"], "av-signature");
        assert_eq!(object["ObjectReference"][0]["referenced_uuid"], UUID);
        assert_eq!(
            object["ObjectReference"][0]["relationship_type"],
            "belongs-to"
        );
        let attributes: Vec<_> = object["Attribute"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["object_relation"].clone(),
                    a["value"].clone(),
                    a["category"].clone(),
                )
            })
            .collect();
        assert_eq!(
            attributes,
            vec![
                (
                    json!("signature"),
                    json!("Eicar-Test-Signature"),
                    json!("Antivirus detection")
                ),
                (
                    json!("software"),
                    json!(CLAMD_VERSION),
                    json!("Antivirus detection")
                ),
            ]
        );
        assert_eq!(*seen.lock().unwrap(), vec![vec![EICAR.len()]]);
    }

    #[tokio::test]
    async fn malware_sample_is_unzipped_before_scanning() {
        let (address, seen) = tcp_clamd().await;
        let value = "eicar.com|44d88612fea8a8f36de82e1278abb02f";
        let answer = query(
            &Clamav::new(),
            body(&address, "malware-sample", value, EICAR_ZIP),
        )
        .await
        .unwrap();
        assert_eq!(
            answer["results"]["Object"][0]["Attribute"][0]["value"],
            "Eicar-Test-Signature"
        );
        assert_eq!(*seen.lock().unwrap(), vec![vec![EICAR.len()]]);
        let not_zip = body(&address, "malware-sample", value, &b64(b"plain"));
        assert_eq!(
            reported(query(&Clamav::new(), not_zip).await),
            "Could not extract malware sample from ZIP file"
        );
    }

    #[tokio::test]
    async fn clean_files_answer_empty_results_and_large_files_are_chunked() {
        let (address, seen) = tcp_clamd().await;
        let clean = vec![b'a'; CHUNK * 2 + 5];
        let answer = query(
            &Clamav::new(),
            body(&address, "attachment", "a.bin", &b64(&clean)),
        )
        .await
        .unwrap();
        assert_eq!(answer, json!({"results": {}}));
        assert_eq!(*seen.lock().unwrap(), vec![vec![CHUNK, CHUNK, 5]]);
    }

    #[tokio::test]
    async fn clamd_errors_are_reported() {
        let (address, _) = tcp_clamd().await;
        let module = Clamav::new();
        let ask = |data: &[u8]| body(&address, "attachment", "a.txt", &b64(data));
        assert_eq!(
            reported(query(&module, ask(b"NO-MEMORY")).await),
            "ClamAV returned error message: Can't allocate memory"
        );
        assert_eq!(reported(query(&module, ask(b"TOO-BIG")).await), TOO_BIG);
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn unix_socket_connection() {
        let path = std::env::temp_dir().join(format!("clamd-stub-{}.sock", uuid::Uuid::new_v4()));
        let listener = tokio::net::UnixListener::bind(&path).unwrap();
        let seen = Seen::default();
        let recorder = seen.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, recorder.clone()));
            }
        });
        let connection = format!("unix://{}", path.display());
        let answer = query(
            &Clamav::new(),
            body(&connection, "attachment", "e", &b64(EICAR)),
        )
        .await
        .unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            answer["results"]["Object"][0]["Attribute"][1]["value"],
            CLAMD_VERSION
        );
    }

    #[tokio::test]
    async fn unreachable_daemon_is_named() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap().to_string();
        drop(listener);
        let message =
            reported(query(&Clamav::new(), body(&address, "attachment", "a", "YQ==")).await);
        assert!(
            message.starts_with(&format!("Could not connect to ClamAV at {address}: ")),
            "{message}"
        );
        let socket = "unix:///nonexistent/clamd.sock";
        let message =
            reported(query(&Clamav::new(), body(socket, "attachment", "a", "YQ==")).await);
        assert!(
            message.starts_with("Could not connect to ClamAV at unix:///nonexistent/clamd.sock: "),
            "{message}"
        );
    }

    #[tokio::test]
    async fn input_errors_in_the_reference_order() {
        let module = Clamav::new();
        let (address, _) = tcp_clamd().await;
        let check = |body: Value, expected: &'static str| {
            let module = &module;
            async move { assert_eq!(reported(query(module, body).await), expected) }
        };
        check(
            json!({"attribute": {}}),
            "No ClamAV connection string provided",
        )
        .await;
        check(
            json!({"config": {"connection": address}}),
            "No attribute provided",
        )
        .await;
        check(
            json!({"config": {"connection": address}, "attribute": {"type": "attachment"}}),
            "This module requires an \"attribute\" field as input, which should contain at least a type, a value and an uuid.",
        )
        .await;
        check(
            body(&address, "md5", "x", "YQ=="),
            "Invalid attribute type provided, expected 'malware-sample' or 'attachment'",
        )
        .await;
        check(
            body(&address, "attachment", "a", ""),
            "No attribute data provided",
        )
        .await;
        check(
            body(&address, "attachment", "a", "not base64!"),
            "Provided data is not valid base64 encoded string",
        )
        .await;
        check(
            body("clamd-host", "attachment", "a", "YQ=="),
            "ClamAV connection string 'clamd-host' is invalid. It must be unix socket path with 'unix://' prefix or IP:PORT.",
        )
        .await;
    }

    #[test]
    fn endpoints_and_verdicts() {
        assert_eq!(
            parse_endpoint("[::1]:3310").unwrap(),
            Endpoint::Tcp("::1".into(), 3310)
        );
        assert_eq!(
            parse_endpoint("[::1]:3310").unwrap().to_string(),
            "[::1]:3310"
        );
        assert!(parse_endpoint("host:99999").is_err());
        assert!(parse_endpoint("unix://").is_err());
        assert_eq!(verdict("stream: OK"), Some(Verdict::Clean));
        assert_eq!(
            verdict("stream: Win.Test.EICAR_HDB-1 FOUND"),
            Some(Verdict::Found("Win.Test.EICAR_HDB-1".into()))
        );
        assert_eq!(verdict("garbage"), None);
    }
}
