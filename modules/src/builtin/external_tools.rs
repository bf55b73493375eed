//! Running the few local programs some modules depend on (tesseract, pandoc, wkhtmltopdf,
//! pdftoppm): located on PATH or through a `MISP_MODULES_<PROGRAM>` variable, started
//! directly (never through a shell), fed on stdin, and killed when they overrun their time
//! or when the query is cancelled. Also the image decoding those modules share.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::process::Command;

use crate::engine::ModuleError;

/// Longest a single program run may take, so one stuck conversion cannot hold its worker.
pub const PROGRAM_TIMEOUT: Duration = Duration::from_secs(120);

/// Decoding limits: room for a scanned A4 page at 600 dpi, while a crafted header cannot
/// make the decoder allocate gigabytes.
const MAX_SIDE: u32 = 20_000;
const MAX_DECODED_BYTES: u64 = 512 * 1024 * 1024;

/// The variable that may name a program's path, e.g. `MISP_MODULES_TESSERACT`.
pub fn override_variable(program: &str) -> String {
    format!(
        "MISP_MODULES_{}",
        program.to_ascii_uppercase().replace('-', "_")
    )
}

/// Where `program` lives: the path in its override variable if that file exists, otherwise
/// the first match on PATH.
pub fn locate(program: &str) -> Option<PathBuf> {
    if let Some(path) = std::env::var_os(override_variable(program)).filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        return path.is_file().then_some(path);
    }
    let search = std::env::var_os("PATH")?;
    std::env::split_paths(&search)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// [`locate`], or the error a user reads when the program is not installed.
pub fn require(program: &str, purpose: &str) -> Result<PathBuf, ModuleError> {
    locate(program).ok_or_else(|| {
        ModuleError::reported(format!(
            "{purpose} needs the `{program}` program, which was not found on PATH of the modules server (install it, or set {} to its path).",
            override_variable(program)
        ))
    })
}

/// Runs `program` with `args`, writes `input` to its stdin and returns its stdout. A
/// non-zero exit becomes an error carrying the first line of stderr.
pub async fn run(
    program: &Path,
    args: &[&str],
    input: &[u8],
    timeout: Duration,
) -> Result<Vec<u8>, ModuleError> {
    let name = program
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| ModuleError::reported(format!("Could not start `{name}`: {e}")))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| ModuleError::internal(format!("{name}: no stdin pipe")))?;
    let input = input.to_vec();
    // Writing runs beside the wait: a program that answers before reading everything must
    // not dead-lock against a full pipe.
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(&input).await;
        let _ = stdin.shutdown().await;
    });
    let output = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .map_err(|_| {
            ModuleError::reported(format!(
                "`{name}` did not finish within {timeout:?} and was stopped."
            ))
        })?
        .map_err(|e| ModuleError::reported(format!("`{name}` failed: {e}")))?;
    writer.abort();
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let reason = stderr
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("no message");
        return Err(ModuleError::reported(format!(
            "`{name}` failed ({}): {reason}",
            output.status
        )));
    }
    Ok(output.stdout)
}

/// Decodes any image the `image` crate reads, in grey levels. `None` when the bytes are not
/// a readable image (or one beyond the decoding limits).
pub fn decode_grey(bytes: &[u8]) -> Option<image::GrayImage> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_DECODED_BYTES);
    reader.limits(limits);
    Some(reader.decode().ok()?.to_luma8())
}

/// [`decode_grey`], written out again as PNG: the one format every tesseract build reads.
pub fn normalise_image(bytes: &[u8]) -> Option<Vec<u8>> {
    let grey = decode_grey(bytes)?;
    let mut png = Vec::new();
    grey.write_to(&mut Cursor::new(&mut png), image::ImageFormat::Png)
        .ok()?;
    Some(png)
}

/// The text tesseract reads in a PNG image.
pub async fn tesseract(png: &[u8]) -> Result<String, ModuleError> {
    let program = require("tesseract", "Optical character recognition")?;
    let out = run(&program, &["stdin", "stdout"], png, PROGRAM_TIMEOUT).await?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// For tests of modules that need a local program: whether it is there, printing a note
/// when the program-dependent part of a test is skipped.
#[cfg(test)]
pub fn available_or_skip(program: &str, test: &str) -> bool {
    let found = locate(program).is_some();
    if !found {
        println!("skipped: {test} needs `{program}`, which is not installed here");
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_programs_are_named() {
        let error = require("no-such-program-here", "Testing").unwrap_err();
        assert!(matches!(error, ModuleError::Reported(ref m)
            if m == "Testing needs the `no-such-program-here` program, which was not found on PATH of the modules server (install it, or set MISP_MODULES_NO_SUCH_PROGRAM_HERE to its path)."));
    }

    #[tokio::test]
    async fn programs_get_stdin_and_overruns_are_stopped() {
        if !available_or_skip("sh", "programs_get_stdin_and_overruns_are_stopped") {
            return;
        }
        let cat = locate("cat").unwrap();
        assert_eq!(
            run(&cat, &[], b"through", PROGRAM_TIMEOUT).await.unwrap(),
            b"through"
        );
        let sleep = locate("sleep").unwrap();
        let error = run(&sleep, &["5"], b"", Duration::from_millis(100))
            .await
            .unwrap_err();
        assert!(
            matches!(error, ModuleError::Reported(ref m) if m == "`sleep` did not finish within 100ms and was stopped.")
        );
        let sh = locate("sh").unwrap();
        let error = run(
            &sh,
            &["-c", "echo bad input >&2; exit 3"],
            b"",
            PROGRAM_TIMEOUT,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(error, ModuleError::Reported(ref m) if m == "`sh` failed (exit status: 3): bad input"),
            "{error:?}"
        );
    }

    #[test]
    fn only_images_are_normalised() {
        assert!(normalise_image(b"plain text, not a picture").is_none());
        let png = normalise_image(include_bytes!("testdata/qr-url.png")).unwrap();
        assert!(png.starts_with(b"\x89PNG"));
    }
}
