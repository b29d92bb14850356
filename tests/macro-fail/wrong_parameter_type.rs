// A parameter is matched by name; its type must fit: `alice` is an Actor, `rumor` a Rumor.
use pyrum::prelude::*;

#[pyrum::test(actors = ["alice"])]
async fn swapped(alice: Rumor, rumor: Actor) -> pyrum::Result<()> {
    let _ = (alice, rumor);
    Ok(())
}

fn main() {}
