//! The compiler, not a run, catches a wrong call: each file in `tests/compile-fail/` (typed
//! commands) and `tests/macro-fail/` (`#[pyrum::test]`) must fail to compile with the error
//! pinned in its `.stderr` (`TRYBUILD=overwrite` rewrites them).

#[test]
fn wrong_calls_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile-fail/*.rs");
    t.compile_fail("tests/macro-fail/*.rs");
}
