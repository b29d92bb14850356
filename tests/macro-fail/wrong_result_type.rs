// A `Result` with a value: the compiler says what a test returns, at the return type.
use pyrum::prelude::*;

#[pyrum::test]
async fn answers(rumor: Rumor) -> pyrum::Result<u32> {
    let _ = rumor;
    Ok(42)
}

fn main() {}
