//! The compiler, not a run, catches a wrong call: each file in `tests/compile-fail/` must fail to
//! compile with the error pinned in its `.stderr` (`TRYBUILD=overwrite` rewrites them).

#[test]
fn wrong_calls_do_not_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/compile-fail/*.rs");
}
