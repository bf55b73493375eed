//! Integer division by a constant zero, which YARA's compiler folds and refuses
//! (`1 \ 0`, `filesize % (2 - 2)`). A float division (`1.0 \ 0`) is allowed.

use yara_x_parser::ast::dfs::{DFSEvent, DFSIter};
use yara_x_parser::ast::{Expr, WithSpan};

/// The offset of the first divisor that is a constant integer zero under an integer
/// dividend, if any.
pub(crate) fn division_by_zero(condition: &Expr) -> Option<usize> {
    for event in DFSIter::new(condition) {
        let DFSEvent::Enter(Expr::Div(operation) | Expr::Mod(operation)) = event else {
            continue;
        };
        let mut dividend = kind_of(&operation.operands[0]);
        for divisor in &operation.operands[1..] {
            let divisor_kind = kind_of(divisor);
            if dividend.is_integer() && divisor_kind == Kind::Int(Some(0)) {
                // YARA notices it once the divisor is read: the line of its end.
                return Some(divisor.span().end().saturating_sub(1));
            }
            dividend = combine(dividend, divisor_kind, |a, b| a.checked_div(b));
        }
    }
    None
}

/// What an expression is known to be without running it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Kind {
    /// An integer, with its value when it is a constant.
    Int(Option<i64>),
    Float,
    /// A type this check does not work out (identifiers, most functions).
    Unknown,
}

impl Kind {
    fn is_integer(self) -> bool {
        matches!(self, Self::Int(_))
    }
}

fn kind_of(expr: &Expr) -> Kind {
    match expr {
        Expr::LiteralInteger(literal) => Kind::Int(Some(literal.value)),
        Expr::LiteralFloat(_) => Kind::Float,
        Expr::Filesize { .. }
        | Expr::Entrypoint { .. }
        | Expr::PatternCount(_)
        | Expr::PatternOffset(_)
        | Expr::PatternLength(_) => Kind::Int(None),
        Expr::FuncCall(call)
            if call.object.is_none() && is_integer_reader(call.identifier.name) =>
        {
            Kind::Int(None)
        }
        Expr::Minus(unary) => match kind_of(&unary.operand) {
            Kind::Int(value) => Kind::Int(value.and_then(i64::checked_neg)),
            other => other,
        },
        Expr::BitwiseNot(unary) => match kind_of(&unary.operand) {
            Kind::Int(value) => Kind::Int(value.map(|v| !v)),
            _ => Kind::Unknown,
        },
        Expr::Add(n) => fold(&n.operands, i64::checked_add),
        Expr::Sub(n) => fold(&n.operands, i64::checked_sub),
        Expr::Mul(n) => fold(&n.operands, i64::checked_mul),
        Expr::Div(n) => fold(&n.operands, i64::checked_div),
        Expr::Mod(n) => fold(&n.operands, i64::checked_rem),
        Expr::Shl(b) => integer_pair(&b.lhs, &b.rhs, |a, s| Some(shifted(a, s, true))),
        Expr::Shr(b) => integer_pair(&b.lhs, &b.rhs, |a, s| Some(shifted(a, s, false))),
        Expr::BitwiseAnd(b) => integer_pair(&b.lhs, &b.rhs, |a, b| Some(a & b)),
        Expr::BitwiseOr(b) => integer_pair(&b.lhs, &b.rhs, |a, b| Some(a | b)),
        Expr::BitwiseXor(b) => integer_pair(&b.lhs, &b.rhs, |a, b| Some(a ^ b)),
        _ => Kind::Unknown,
    }
}

/// `int8(..)` to `uint32be(..)`: YARA's functions that read integers.
fn is_integer_reader(name: &str) -> bool {
    let width = name.strip_prefix('u').unwrap_or(name);
    let width = width.strip_suffix("be").unwrap_or(width);
    matches!(width, "int8" | "int16" | "int32")
}

/// YARA shifts by 64 or more give 0 (and a negative shift count is not folded).
fn shifted(value: i64, count: i64, left: bool) -> i64 {
    match u32::try_from(count) {
        Ok(count) if count < 64 => {
            if left {
                value << count
            } else {
                value >> count
            }
        }
        _ => 0,
    }
}

fn fold(operands: &[Expr], operation: fn(i64, i64) -> Option<i64>) -> Kind {
    let mut kinds = operands.iter().map(kind_of);
    let Some(first) = kinds.next() else {
        return Kind::Unknown;
    };
    kinds.fold(first, |acc, next| combine(acc, next, operation))
}

/// Arithmetic on two kinds: a float makes a float; integer constants fold.
fn combine(left: Kind, right: Kind, operation: impl Fn(i64, i64) -> Option<i64>) -> Kind {
    match (left, right) {
        (Kind::Int(a), Kind::Int(b)) => Kind::Int(a.zip(b).and_then(|(a, b)| operation(a, b))),
        (Kind::Float, Kind::Int(_) | Kind::Float) | (Kind::Int(_), Kind::Float) => Kind::Float,
        _ => Kind::Unknown,
    }
}

fn integer_pair(lhs: &Expr, rhs: &Expr, operation: impl Fn(i64, i64) -> Option<i64>) -> Kind {
    match (kind_of(lhs), kind_of(rhs)) {
        (Kind::Int(a), Kind::Int(b)) => Kind::Int(a.zip(b).and_then(|(a, b)| operation(a, b))),
        _ => Kind::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use yara_x_parser::ast::AST;

    fn divides_by_zero(condition: &str) -> bool {
        let source = format!("rule a {{ strings: $a = \"x\" condition: {condition} }}");
        let ast = AST::from(source.as_str());
        assert!(ast.errors().is_empty(), "{condition}: {:?}", ast.errors());
        ast.rules()
            .next()
            .is_some_and(|rule| division_by_zero(&rule.condition).is_some())
    }

    #[test]
    fn constant_zero_divisors_are_found() {
        // yara-python 4.5 says "division by zero" for each of these.
        for condition in [
            "1 \\ 0",
            "1 % 0",
            "1 \\ (2 - 2)",
            "filesize \\ 0",
            "uint8(0) \\ 0",
            "-1 \\ 0",
            "4 \\ 2 \\ 0",
            "4 \\ (1 % 1)",
            "4 \\ (3 & 4)",
            "4 \\ (1 << 64)",
            "4 \\ (2 \\ 3)",
            "4 \\ -0",
            "4 \\ ~-1",
            "4 \\ 0x0",
            "4 \\ 0KB",
            "#a \\ 0 > 1",
            "(1 \\ 0) > 0",
        ] {
            assert!(divides_by_zero(condition), "{condition}");
        }
    }

    #[test]
    fn float_and_unknown_divisions_pass() {
        for condition in [
            "1.0 \\ 0 > 1",
            "1 \\ 0.0 > 1",
            "4 \\ (1.5 * 0) > 1",
            "2.5 \\ (1 - 1) > 1",
            "(1.0 + 1) \\ 0 > 1",
            "math.entropy(0, filesize) \\ 0 > 1",
            "4 \\ 2 > 1",
            "filesize \\ x > 1",
        ] {
            assert!(!divides_by_zero(condition), "{condition}");
        }
    }

    #[test]
    fn the_line_is_the_divisors() {
        let source = "rule a {\n condition:\n 4\n \\\n 0 }";
        let ast = AST::from(source);
        let offset = ast
            .rules()
            .next()
            .and_then(|r| division_by_zero(&r.condition));
        assert_eq!(
            offset.map(|o| source[..o].matches('\n').count() + 1),
            Some(5)
        );
    }
}
