//! A PE section's entropy exactly as lief computes it on x86-64: for each byte value in
//! order, `entropy += freq * log2l(freq)` with `freq` a double, the product and the sum in
//! the x87's 64-bit-mantissa extended precision, and the sum rounded back to a double at
//! every step. Plain `f64` arithmetic differs from it in the last digit for about a third
//! of real sections, so the extended steps are emulated with integers here: `log2` is
//! computed to ~110 bits and rounded to 64, products and sums are exact before rounding.

/// A finite non-zero number `mantissa × 2^exponent`, sign apart.
#[derive(Clone, Copy)]
struct Exact {
    negative: bool,
    mantissa: u128,
    exponent: i32,
}

/// Fractional bits of the fixed-point logarithm.
const FRACTION: u32 = 110;

pub fn lief_entropy(content: &[u8]) -> f64 {
    if content.len() <= 1 {
        return 0.0;
    }
    let mut counts = [0u64; 256];
    for &byte in content {
        counts[usize::from(byte)] += 1;
    }
    let total = content.len() as f64;
    let mut entropy = 0.0f64;
    for &count in counts.iter().filter(|&&c| c > 0) {
        let freq = count as f64 / total;
        let term = match log2_extended(freq) {
            Some(log) => multiply(from_f64(freq), log).map(|p| round(p, 64)),
            None => None, // log2(1) = 0: the term adds nothing
        };
        if let Some(term) = term {
            entropy = add_to_double(entropy, term);
        }
    }
    -entropy
}

fn from_f64(value: f64) -> Exact {
    let bits = value.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    let fraction = u128::from(bits & ((1 << 52) - 1));
    let (mantissa, exponent) = if biased == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    Exact {
        negative: value < 0.0,
        mantissa,
        exponent,
    }
}

/// Rounds to `bits` significant bits, to nearest, ties to even.
fn round(value: Exact, bits: u32) -> Exact {
    let width = 128 - value.mantissa.leading_zeros();
    if width <= bits {
        return value;
    }
    let shift = width - bits;
    let kept = value.mantissa >> shift;
    let rest = value.mantissa & ((1u128 << shift) - 1);
    let half = 1u128 << (shift - 1);
    let up = rest > half || (rest == half && kept & 1 == 1);
    Exact {
        negative: value.negative,
        mantissa: kept + u128::from(up),
        exponent: value.exponent + shift as i32,
    }
}

fn multiply(a: Exact, b: Exact) -> Option<Exact> {
    // Both have at most 64 significant bits here, so the product fits.
    let a = round(a, 64);
    let b = round(b, 64);
    Some(Exact {
        negative: a.negative != b.negative,
        mantissa: a.mantissa.checked_mul(b.mantissa)?,
        exponent: a.exponent + b.exponent,
    })
}

/// `double + extended`, rounded to 64 bits and then to a double, as `fadd` then `fstp`.
/// Every term is negative or zero, so both operands have the same sign.
fn add_to_double(sum: f64, term: Exact) -> f64 {
    if sum == 0.0 {
        return to_f64(round(round(term, 64), 53));
    }
    let a = round(from_f64(sum), 64);
    let b = round(term, 64);
    let low = a.exponent.min(b.exponent);
    let high = a.exponent.max(b.exponent);
    // Keep the addition exact while it fits; beyond that the smaller operand only
    // decides rounding, which a sticky bit preserves.
    let (mantissa, exponent) = if high - low <= 60 {
        let shift = |x: Exact| x.mantissa << (x.exponent - low);
        (shift(a) + shift(b), low)
    } else {
        let (big, small) = if a.exponent > b.exponent {
            (a, b)
        } else {
            (b, a)
        };
        let base = big.exponent - 60;
        let scaled = big.mantissa << 60;
        let sticky = u128::from(small.mantissa != 0);
        (scaled | sticky, base)
    };
    let total = Exact {
        negative: a.negative,
        mantissa,
        exponent,
    };
    to_f64(round(round(total, 64), 53))
}

/// The value of a number of at most 53 significant bits in the normal double range.
fn to_f64(value: Exact) -> f64 {
    let magnitude = value.mantissa as f64 * 2f64.powi(value.exponent);
    if value.negative {
        -magnitude
    } else {
        magnitude
    }
}

/// `log2(x)` for `0 < x < 1`, rounded to 64 significant bits; `None` for `x == 1`.
fn log2_extended(x: f64) -> Option<Exact> {
    if x >= 1.0 {
        return None;
    }
    let Exact {
        mantissa, exponent, ..
    } = from_f64(x);
    // x = m × 2^e with m in [1, 2) as a 53-bit integer over 2^52; moving m into
    // [√½, √2) keeps |log2 m| ≤ ½ and its relative precision when e is 0.
    let width = 128 - mantissa.leading_zeros() as i32;
    let mut e = exponent + width - 1;
    let m = mantissa << (53 - width); // now 2^52 ≤ m < 2^53
    const SQRT2_M: u128 = 6_369_051_672_525_773; // √2 × 2^52
    if m > SQRT2_M {
        e += 1;
        // m / 2 with one more bit of precision: scale both terms of the ratio instead.
        return combine(e, log2_ratio(m, 1 << 53));
    }
    combine(e, log2_ratio(m, 1 << 52))
}

/// `e + l` where `l` is fixed point with FRACTION bits (signed), as an Exact rounded to 64.
fn combine(e: i32, l: (bool, u128)) -> Option<Exact> {
    let (l_negative, l_magnitude) = l;
    // |e| ≤ 1074 takes 11 bits, so the shift stays within 121 bits.
    let whole = u128::from(e.unsigned_abs()) << FRACTION;
    // e ≤ 0 and the total is negative, so its magnitude is |e| − l.
    let magnitude = if e == 0 {
        l_magnitude
    } else if l_negative {
        whole.checked_add(l_magnitude)?
    } else {
        whole.checked_sub(l_magnitude)?
    };
    if magnitude == 0 {
        return None;
    }
    Some(round(
        Exact {
            negative: true,
            mantissa: magnitude,
            exponent: -(FRACTION as i32),
        },
        64,
    ))
}

/// `log2(num / den)` for a ratio in [√½, √2], as (negative, magnitude × 2^-FRACTION),
/// by `ln = 2·atanh(s)` with `s = (num − den) / (num + den)`, then `/ ln 2`.
fn log2_ratio(num: u128, den: u128) -> (bool, u128) {
    let negative = num < den;
    let s = divide(num.abs_diff(den), num + den);
    let ln = atanh_series(s);
    (negative, divide_fixed(ln, ln2()))
}

/// `a / b` for `a < b` as a fixed-point fraction, by long division.
fn divide(a: u128, b: u128) -> u128 {
    let (mut quotient, mut rest) = (0u128, a);
    for _ in 0..FRACTION {
        rest <<= 1;
        quotient <<= 1;
        if rest >= b {
            rest -= b;
            quotient |= 1;
        }
    }
    quotient
}

/// `a / b` for fixed-point values with `a < 2b`.
fn divide_fixed(a: u128, b: u128) -> u128 {
    let whole = a / b;
    let rest = a % b;
    (whole << FRACTION) + divide(rest, b)
}

/// Product of fixed-point values below 1.
fn multiply_fixed(a: u128, b: u128) -> u128 {
    let mask = (1u128 << 64) - 1;
    let (a_high, a_low) = (a >> 64, a & mask);
    let (b_high, b_low) = (b >> 64, b & mask);
    // (a_high·2^64 + a_low)(b_high·2^64 + b_low) >> FRACTION, without overflow: the
    // inputs are below 2^FRACTION, so a_high and b_high are below 2^(FRACTION − 64).
    let high = a_high * b_high; // × 2^128
    let middle = a_high * b_low + a_low * b_high; // × 2^64, fits: < 2^(FRACTION+1)
    let low = a_low * b_low;
    (high << (128 - FRACTION)) + (middle >> (FRACTION - 64)) + (low >> FRACTION)
}

/// `2·atanh(s) = 2·(s + s³/3 + s⁵/5 + …)` for a fixed-point `0 ≤ s ≤ 0.18`.
fn atanh_series(s: u128) -> u128 {
    let square = multiply_fixed(s, s);
    let mut power = s;
    let mut sum = 0u128;
    let mut k = 1u128;
    while power != 0 {
        sum += power / k;
        power = multiply_fixed(power, square);
        k += 2;
    }
    sum * 2
}

/// ln 2 = 2·atanh(1/3), fixed point.
fn ln2() -> u128 {
    atanh_series(divide(1, 3))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Small cases; the test PEs' section entropies (pe.rs tests) and the reference cases
    /// of real launchers cover values where plain f64 is one unit off in the last place.
    #[test]
    fn matches_lief_where_f64_does_not() {
        // Two byte values: 3 of one, 1 of the other; and all zero.
        assert_eq!(lief_entropy(&[0, 0, 0, 1]), 0.8112781244591329);
        assert_eq!(lief_entropy(&[7; 10]).to_bits(), (-0.0f64).to_bits());
        assert_eq!(lief_entropy(&[7]), 0.0);
        assert_eq!(lief_entropy(&[]), 0.0);
        // lief 1.0's `Section.entropy` for this content; plain f64 gives ...887.
        let content = [
            2, 8, 3, 15, 14, 15, 12, 6, 3, 15, 0, 12, 13, 0, 14, 8, 7, 3, 10, 0, 0, 0, 0, 12, 6,
            13, 0, 7,
        ];
        assert_eq!(lief_entropy(&content), 3.2389211020256883);
    }

    #[test]
    fn logarithm_is_precise() {
        for x in [0.5, 0.25, 0.75, 0.1, 0.999_999, 1e-9, 0.707, 0.708] {
            let log = log2_extended(x).unwrap();
            let value = to_f64(round(log, 53));
            assert!((value - x.log2()).abs() <= x.log2().abs() * 1e-15, "{x}");
        }
        assert!(log2_extended(1.0).is_none());
    }
}
