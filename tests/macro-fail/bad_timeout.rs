// A timeout is a duration with units; `connected` needs two actors or more.
use pyrum::prelude::*;

#[pyrum::test(actors = ["alice"], timeout = "30")]
async fn no_unit(alice: Actor) -> pyrum::Result<()> {
    let _ = alice;
    Ok(())
}

#[pyrum::test(actors = ["alice"], connected)]
async fn connected_alone(alice: Actor) -> pyrum::Result<()> {
    let _ = alice;
    Ok(())
}

fn main() {}
