//! The math pairs the `load` and `engine_overhead` examples grade.

/// Math pairs (reference, response): equal, unequal, extraction-heavy and numeric ones.
pub const MATH_PAIRS: &[(&str, &str)] = &[
    (
        "\\frac{3}{4}",
        "Adding gives 1/2 + 1/4, so the answer is \\boxed{0.75}.",
    ),
    (
        "12",
        "We count the cases: 5 + 7 = 12. The answer is $\\boxed{12}$.",
    ),
    (
        "\\sqrt{2}",
        "Therefore $x = \\boxed{\\frac{2}{\\sqrt{2}}}$.",
    ),
    ("2\\pi", "The circumference is \\boxed{6.28}."),
    ("(1, 2)", "The point is \\boxed{(1,2)}."),
    ("x^2 + 2x + 1", "Expanding, \\boxed{(x+1)^2}."),
    ("\\frac{1}{3}", "So the probability is \\boxed{0.3333}."),
    ("1000", "The total is **1,000**."),
];
