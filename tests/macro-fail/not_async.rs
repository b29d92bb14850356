// A #[pyrum::test] is an `async fn`: the error points at `fn`.
use pyrum::prelude::*;

#[pyrum::test(actors = ["alice"])]
fn blocking(alice: Actor) -> pyrum::Result<()> {
    let _ = alice;
    Ok(())
}

fn main() {}
