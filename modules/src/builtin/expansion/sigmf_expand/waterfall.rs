//! The waterfall (spectrogram) picture of a recording: 1024-point FFTs of consecutive
//! sample blocks, power in dB, one pixel row per block (time runs downwards), coloured
//! with the viridis map. The picture carries no axes or labels.

use std::f64::consts::PI;

pub(super) const FFT_SIZE: usize = 1024;
/// Longer recordings have neighbouring blocks averaged so the picture stays this tall.
const MAX_ROWS: usize = 1024;

/// Why no picture can be drawn.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum NoPlot {
    /// The sample format is not one the plotter reads.
    Datatype,
    /// The data length is no whole number of samples.
    Truncated,
    /// No samples at all.
    TooShort,
    Encoding,
}

type Complex = (f64, f64);

/// The interleaved I/Q samples of the data, for the formats the reference plotted
/// (`i8` is read as interleaved pairs too, as the reference did).
pub(super) fn samples(data: &[u8], datatype: &str) -> Result<Vec<Complex>, NoPlot> {
    let (width, read): (usize, fn(&[u8]) -> f64) = match datatype {
        "ci16_le" | "ci16" => (2, |b| f64::from(i16::from_le_bytes([b[0], b[1]]))),
        "cf32_le" => (4, |b| {
            f64::from(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        }),
        "ci8" | "i8" => (1, |b| f64::from(i8::from_le_bytes([b[0]]))),
        _ => return Err(NoPlot::Datatype),
    };
    if !data.len().is_multiple_of(2 * width) {
        return Err(NoPlot::Truncated);
    }
    Ok(data
        .chunks_exact(2 * width)
        .map(|pair| (read(&pair[..width]), read(&pair[width..])))
        .collect())
}

/// In-place iterative radix-2 FFT; `values.len()` is a power of two.
fn fft(values: &mut [Complex]) {
    let n = values.len();
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            values.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let angle = -2.0 * PI / len as f64;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (wr, wi) = ((angle * k as f64).cos(), (angle * k as f64).sin());
                let (ar, ai) = values[start + k];
                let (br, bi) = values[start + k + len / 2];
                let (tr, ti) = (br * wr - bi * wi, br * wi + bi * wr);
                values[start + k] = (ar + tr, ai + ti);
                values[start + k + len / 2] = (ar - tr, ai - ti);
            }
        }
        len <<= 1;
    }
}

/// Power in dB per frequency bin, zero frequency in the middle.
fn spectrum_db(block: &[Complex]) -> Vec<f64> {
    let mut values = block.to_vec();
    fft(&mut values);
    let half = values.len() / 2;
    values.rotate_left(half);
    values
        .iter()
        .map(|(re, im)| 10.0 * (re * re + im * im).log10())
        .collect()
}

/// The spectrogram rows, blocks averaged in groups when there are more than `MAX_ROWS`.
/// A recording shorter than one block still gets a picture (the reference drew its
/// empty axes): one row, the samples padded with silence.
pub(super) fn spectrogram(samples: &[Complex]) -> Result<Vec<Vec<f64>>, NoPlot> {
    let blocks = samples.len() / FFT_SIZE;
    if blocks == 0 {
        if samples.is_empty() {
            return Err(NoPlot::TooShort);
        }
        let mut padded = samples.to_vec();
        padded.resize(FFT_SIZE, (0.0, 0.0));
        return Ok(vec![spectrum_db(&padded)]);
    }
    let group = blocks.div_ceil(MAX_ROWS);
    let rows = samples[..blocks * FFT_SIZE]
        .chunks(FFT_SIZE * group)
        .map(|chunk| {
            let spectra: Vec<Vec<f64>> = chunk.chunks(FFT_SIZE).map(spectrum_db).collect();
            (0..FFT_SIZE)
                .map(|bin| spectra.iter().map(|s| s[bin]).sum::<f64>() / spectra.len() as f64)
                .collect()
        })
        .collect();
    Ok(rows)
}

/// Viridis at nine evenly spaced stops; colours in between are interpolated.
const VIRIDIS: [[f64; 3]; 9] = [
    [68.0, 1.0, 84.0],
    [71.0, 44.0, 122.0],
    [59.0, 81.0, 139.0],
    [44.0, 113.0, 142.0],
    [33.0, 144.0, 141.0],
    [39.0, 173.0, 129.0],
    [92.0, 200.0, 99.0],
    [170.0, 220.0, 50.0],
    [253.0, 231.0, 37.0],
];

fn colour(level: f64) -> [u8; 3] {
    let scaled = level.clamp(0.0, 1.0) * (VIRIDIS.len() - 1) as f64;
    let low = (scaled.floor() as usize).min(VIRIDIS.len() - 2);
    let t = scaled - low as f64;
    let mut rgb = [0u8; 3];
    for (c, out) in rgb.iter_mut().enumerate() {
        let value = VIRIDIS[low][c] + (VIRIDIS[low + 1][c] - VIRIDIS[low][c]) * t;
        *out = value.round() as u8;
    }
    rgb
}

/// The spectrogram as an RGB PNG, scaled between its weakest and strongest finite power
/// (silent bins, at minus infinity, take the weakest colour).
pub(super) fn png(rows: &[Vec<f64>]) -> Result<Vec<u8>, NoPlot> {
    let finite = || rows.iter().flatten().copied().filter(|v| v.is_finite());
    let low = finite().fold(f64::INFINITY, f64::min);
    let high = finite().fold(f64::NEG_INFINITY, f64::max);
    let span = if high > low { high - low } else { 1.0 };
    let mut pixels = Vec::with_capacity(rows.len() * FFT_SIZE * 3);
    for value in rows.iter().flatten() {
        let level = if value.is_finite() {
            (value - low) / span
        } else {
            0.0
        };
        pixels.extend(colour(level));
    }
    let height = u32::try_from(rows.len()).map_err(|_| NoPlot::Encoding)?;
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, FFT_SIZE as u32, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|_| NoPlot::Encoding)?;
    writer
        .write_image_data(&pixels)
        .map_err(|_| NoPlot::Encoding)?;
    writer.finish().map_err(|_| NoPlot::Encoding)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_matches_a_direct_transform() {
        let input: Vec<Complex> = (0..16)
            .map(|i| ((i as f64 * 0.7).sin(), (i as f64 * 0.3).cos() - 0.5))
            .collect();
        let mut fast = input.clone();
        fft(&mut fast);
        for (k, (re, im)) in fast.iter().enumerate() {
            let (mut er, mut ei) = (0.0, 0.0);
            for (n, (xr, xi)) in input.iter().enumerate() {
                let a = -2.0 * PI * (k * n) as f64 / 16.0;
                er += xr * a.cos() - xi * a.sin();
                ei += xr * a.sin() + xi * a.cos();
            }
            assert!((re - er).abs() < 1e-9 && (im - ei).abs() < 1e-9, "bin {k}");
        }
    }

    #[test]
    fn a_tone_peaks_in_its_shifted_bin() {
        // A complex tone at +1/8 of the sample rate: bin 512 + 128 after the shift.
        let tone: Vec<Complex> = (0..FFT_SIZE * 3)
            .map(|n| {
                let a = 2.0 * PI * n as f64 / 8.0;
                (a.cos(), a.sin())
            })
            .collect();
        let rows = spectrogram(&tone).unwrap();
        assert_eq!(rows.len(), 3);
        let peak = rows[0]
            .iter()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(b.1))
            .unwrap()
            .0;
        assert_eq!(peak, 640);
        assert!((rows[0][640] - 20.0 * 1024f64.log10()).abs() < 1e-6);
    }

    #[test]
    fn samples_follow_the_datatype() {
        let bytes = [1u8, 0, 0xff, 0xff, 2, 0, 3, 0];
        assert_eq!(
            samples(&bytes, "ci16_le").unwrap(),
            vec![(1.0, -1.0), (2.0, 3.0)]
        );
        assert_eq!(samples(&bytes[..2], "ci8").unwrap(), vec![(1.0, 0.0)]);
        assert_eq!(
            samples(&1.5f32.to_le_bytes().repeat(2), "cf32_le").unwrap(),
            vec![(1.5, 1.5)]
        );
        assert_eq!(samples(&bytes[..6], "cf32_le"), Err(NoPlot::Truncated));
        assert_eq!(samples(&bytes, "rf32_le"), Err(NoPlot::Datatype));
        assert_eq!(spectrogram(&[]), Err(NoPlot::TooShort));
        assert_eq!(spectrogram(&[(1.0, 0.0); 100]).unwrap().len(), 1);
    }

    #[test]
    fn long_recordings_are_averaged_and_silence_is_drawn() {
        let silent = vec![(0.0, 0.0); FFT_SIZE * (MAX_ROWS + 1)];
        let rows = spectrogram(&silent).unwrap();
        assert_eq!(rows.len(), MAX_ROWS / 2 + 1);
        let image = png(&rows).unwrap();
        assert_eq!(&image[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(colour(0.0), [68, 1, 84]);
        assert_eq!(colour(1.0), [253, 231, 37]);
    }
}
