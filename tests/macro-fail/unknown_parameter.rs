// A parameter that names no actor: the error points at the parameter.
use pyrum::prelude::*;

#[pyrum::test(actors = ["alice", "bob"])]
async fn who_is_carol(alice: Actor, bob: Actor, carol: Actor) -> pyrum::Result<()> {
    let _ = (alice, bob, carol);
    Ok(())
}

fn main() {}
